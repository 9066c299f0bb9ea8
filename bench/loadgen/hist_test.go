package main

import (
	"testing"
	"time"
)

func TestBucketsCoverValuesWithinThreePercent(t *testing.T) {
	for _, us := range []uint64{0, 1, 31, 32, 33, 63, 64, 100, 1000, 12345, 999999, 123456789} {
		b := bucketOf(us)
		top := bucketTop(b)
		if top < us {
			t.Fatalf("value %d above its bucket's top %d", us, top)
		}
		if us >= 32 && float64(top-us) > 0.035*float64(us) {
			t.Fatalf("value %d: bucket top %d too far", us, top)
		}
		if b > 0 && bucketTop(b-1) >= us {
			t.Fatalf("value %d also fits the bucket below", us)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	s := h.summary()
	if s.Count != 1000 || s.MaxMs != 1000 {
		t.Fatalf("count/max %+v", s)
	}
	check := func(name string, got, want float64) {
		if got < want || got > want*1.04 {
			t.Fatalf("%s = %f, want about %f", name, got, want)
		}
	}
	check("p50", s.P50, 500)
	check("p99", s.P99, 990)
	check("p99.9", s.P999, 999)
}
