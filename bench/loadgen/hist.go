package main

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// histogram is a log-linear latency histogram (HDR-style): each power of two of microseconds is
// split into 32 sub-buckets, so any recorded value is known to within ~3%, in a fixed 2 KiB
// array whatever the count. Safe for concurrent use.
type histogram struct {
	mu     sync.Mutex
	counts [64 * subBuckets]uint64
	total  uint64
	max    time.Duration
	sum    time.Duration
}

const subBits = 5
const subBuckets = 1 << subBits

func bucketOf(us uint64) int {
	if us < subBuckets {
		return int(us)
	}
	exp := bits.Len64(us) - subBits // >= 1
	sub := (us >> uint(exp-1)) & (subBuckets - 1)
	return exp*subBuckets + int(sub)
}

// bucketTop is the largest value (µs) a bucket holds: percentiles report it, never under-stating.
func bucketTop(b int) uint64 {
	if b < subBuckets {
		return uint64(b)
	}
	exp := b / subBuckets
	sub := uint64(b % subBuckets)
	return ((subBuckets | sub) << uint(exp-1)) + (1 << uint(exp-1)) - 1
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	us := uint64(d / time.Microsecond)
	h.mu.Lock()
	h.counts[bucketOf(us)]++
	h.total++
	h.sum += d
	if d > h.max {
		h.max = d
	}
	h.mu.Unlock()
}

func (h *histogram) count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

func (h *histogram) percentileMs(q float64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.percentileLocked(q)
}

func (h *histogram) percentileLocked(q float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			top := float64(bucketTop(b)) / 1000
			return math.Min(top, float64(h.max)/float64(time.Millisecond))
		}
	}
	return float64(h.max) / float64(time.Millisecond)
}

type summary struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50    float64 `json:"p50_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	P999   float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

func (h *histogram) summary() summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := summary{Count: h.total, MaxMs: float64(h.max) / float64(time.Millisecond)}
	if h.total > 0 {
		s.MeanMs = float64(h.sum) / float64(h.total) / float64(time.Millisecond)
	}
	s.P50 = h.percentileLocked(0.50)
	s.P90 = h.percentileLocked(0.90)
	s.P99 = h.percentileLocked(0.99)
	s.P999 = h.percentileLocked(0.999)
	return s
}
