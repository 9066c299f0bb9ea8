package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// shape says who sends message `seq`, who must receive it, and what the frame is.
type shape struct {
	name       string
	sender     func(seq int) int
	recipient  func(seq, idx int) bool
	expect     int32 // recipients per message
	frame      func(seq int, id string, s *sock) []byte
	classify   func(f *frame) (kind int, id string)
	hasAck     bool
	bodyFiller string
}

const (
	kindNone = iota
	kindAck
	kindDeliver
	kindError
)

// tandemClassify reads Tandem's protocol (and the Channels baseline consumers, which speak it).
func tandemClassify(f *frame) (int, string) {
	switch f.Type {
	case "ack":
		return kindAck, f.ClientID
	case "message":
		return kindDeliver, f.ClientID
	case "error":
		return kindError, f.Ref
	}
	return kindNone, ""
}

// shootoutClassify reads the websocket-shootout protocol: payloads are the message ids.
func shootoutClassify(f *frame) (int, string) {
	var id string
	if len(f.Payload) > 0 && json.Unmarshal(f.Payload, &id) != nil {
		return kindNone, ""
	}
	switch f.Type {
	case "echo", "broadcast":
		return kindDeliver, id
	case "broadcastResult":
		return kindAck, id
	}
	return kindNone, ""
}

type stepResult struct {
	Rate         float64          `json:"offered_rate"`
	DurationS    float64          `json:"duration_s"`
	Scheduled    int              `json:"scheduled"`
	Sent         int64            `json:"sent"`
	Acked        int64            `json:"acked"`
	Delivered    int64            `json:"deliveries"`
	Complete     int64            `json:"messages_complete"`
	Lost         int64            `json:"lost"`
	Errors       map[string]int64 `json:"errors"`
	Backlogged   int64            `json:"client_backlogged_sends"`
	Aborted      string           `json:"aborted,omitempty"`
	AchievedRate float64          `json:"achieved_rate"`
	Ack          summary          `json:"ack"`
	Deliver      summary          `json:"deliver"`
	Last         summary          `json:"last_recipient"`
	ClientCPU    float64          `json:"client_cpu_s"`
	// Tick news (`status` frames) and delivered receipts during the step and its grace period.
	StatusFrames int64 `json:"status_frames"`
	ReceiptsSent int64 `json:"receipts_sent"`
	// With receipts: the highest seq received and the highest delivered tick heard at the end
	// of the step, and how long after the last send the wait ended.
	MessageSeq  int64   `json:"message_seq"`
	TickUpto    int64   `json:"delivered_tick_upto"`
	TicksAfterS float64 `json:"ticks_after_s"`
}

type step struct {
	shape     *shape
	prefix    string
	start     time.Time
	period    time.Duration
	total     int
	counts    []atomic.Int32
	acked     []atomic.Bool
	ack       histogram
	deliver   histogram
	last      histogram
	errMu     sync.Mutex
	errors    map[string]int64
	errCount  atomic.Int64
	sent      atomic.Int64
	ackN      atomic.Int64
	delivN    atomic.Int64
	completeN atomic.Int64
	backlog   atomic.Int64
}

func (st *step) scheduled(seq int) time.Time { return st.start.Add(time.Duration(seq) * st.period) }

func (st *step) seqOf(id string) (int, bool) {
	if !strings.HasPrefix(id, st.prefix) {
		return 0, false
	}
	seq, err := strconv.Atoi(id[len(st.prefix):])
	if err != nil || seq < 0 || seq >= st.total {
		return 0, false
	}
	return seq, true
}

func (st *step) addError(code string) {
	st.errCount.Add(1)
	st.errMu.Lock()
	st.errors[code]++
	st.errMu.Unlock()
}

func (st *step) onFrame(s *sock, f *frame, _ []byte, at time.Time) {
	kind, id := st.shape.classify(f)
	if kind == kindNone {
		return
	}
	seq, ok := st.seqOf(id)
	if !ok {
		return // another step's straggler, or not ours
	}
	switch kind {
	case kindAck:
		if st.shape.sender(seq) == s.idx && !st.acked[seq].Swap(true) {
			st.ack.record(at.Sub(st.scheduled(seq)))
			st.ackN.Add(1)
		}
	case kindDeliver:
		if !st.shape.recipient(seq, s.idx) {
			return
		}
		latency := at.Sub(st.scheduled(seq))
		st.deliver.record(latency)
		st.delivN.Add(1)
		if st.counts[seq].Add(1) == st.shape.expect {
			st.last.record(latency)
			st.completeN.Add(1)
		}
	case kindError:
		code := f.Code
		if code == "" {
			code = "error"
		}
		st.addError(code)
	}
}

type runOptions struct {
	stepDuration time.Duration
	grace        time.Duration
	errorBudget  int64
	nonce        string
}

// runStep sends at `rate` messages/s for the step's duration, open loop: message seq is due at
// start + seq/rate whatever happened before, and every latency is measured from that due time,
// so a stalled server (or a stalled sender) shows up in the figures instead of slowing the load.
func runStep(ctx context.Context, p *pool, socks []*sock, sh *shape, rate float64, index int, o runOptions) stepResult {
	total := int(rate * o.stepDuration.Seconds())
	if total < 1 {
		total = 1
	}
	st := &step{
		shape:  sh,
		prefix: fmt.Sprintf("%s-%d-", o.nonce, index),
		period: time.Duration(float64(time.Second) / rate),
		total:  total,
		counts: make([]atomic.Int32, total),
		acked:  make([]atomic.Bool, total),
		errors: map[string]int64{},
	}
	handler := frameHandler(st.onFrame)
	p.handler.Store(&handler)
	cpuBefore := cpuSeconds()
	statusBefore, receiptsBefore := p.statusFrames.Load(), p.receiptsSent.Load()
	stop := make(chan struct{})
	go progress(st, rate, stop)
	aborted := ""
	st.start = time.Now().Add(20 * time.Millisecond)
	for seq := 0; seq < total; seq++ {
		if d := time.Until(st.scheduled(seq)); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			aborted = "max_duration"
			break
		}
		if st.errCount.Load() > o.errorBudget {
			aborted = "error_budget"
			break
		}
		s := socks[sh.sender(seq)]
		if s == nil || s.closed.Load() {
			st.addError("socket_closed")
			continue
		}
		data := sh.frame(seq, st.prefix+strconv.Itoa(seq), s)
		select {
		case s.out <- data:
		default:
			st.backlog.Add(1) // the socket's writer is behind: wait, the lateness is measured
			s.out <- data
		}
		st.sent.Add(1)
	}
	sentEnd := time.Now()
	// Wait for what is in flight, up to the grace period; with receipts, until the sender has
	// heard that everything it sent was delivered (the receipts' cost belongs to the step).
	// The highest seq and tick over every socket: right for one chat (W3r), not for many.
	want := st.sent.Load() * int64(sh.expect)
	deadline := time.Now().Add(o.grace)
	ticksCaughtUp := func() bool { return p.deliveredBatch == 0 || p.statusUpto.Load() >= p.messageSeq.Load() }
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if st.delivN.Load() >= want && (!sh.hasAck || st.ackN.Load()+st.errCount.Load() >= st.sent.Load()) &&
			ticksCaughtUp() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	ticksAt := time.Since(sentEnd)
	close(stop)
	p.handler.Store(nil)
	var lost int64
	for seq := 0; seq < total && int64(seq) < st.sent.Load(); seq++ {
		if (!sh.hasAck || st.acked[seq].Load()) && st.counts[seq].Load() < sh.expect {
			lost++ // acked (or sent, without acks) but not with every recipient within the grace period
		}
	}
	elapsed := sentEnd.Sub(st.start).Seconds()
	res := stepResult{
		Rate: rate, DurationS: elapsed, Scheduled: total, Sent: st.sent.Load(), Acked: st.ackN.Load(),
		Delivered: st.delivN.Load(), Complete: st.completeN.Load(), Lost: lost, Errors: st.errors,
		Backlogged: st.backlog.Load(), Aborted: aborted,
		Ack: st.ack.summary(), Deliver: st.deliver.summary(), Last: st.last.summary(),
		ClientCPU:    cpuSeconds() - cpuBefore,
		StatusFrames: p.statusFrames.Load() - statusBefore,
		ReceiptsSent: p.receiptsSent.Load() - receiptsBefore,
		MessageSeq:   p.messageSeq.Load(),
		TickUpto:     p.statusUpto.Load(),
		TicksAfterS:  ticksAt.Seconds(),
	}
	if elapsed > 0 {
		res.AchievedRate = float64(st.sent.Load()) / elapsed
	}
	return res
}

func progress(st *step, rate float64, stop chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			fmt.Fprintf(os.Stderr, "loadgen: %s %.0f/s  t=%.0fs sent=%d acked=%d delivered=%d errors=%d p99=%.1fms\n",
				st.shape.name, rate, time.Since(st.start).Seconds(), st.sent.Load(), st.ackN.Load(),
				st.delivN.Load(), st.errCount.Load(), st.last.percentileMs(0.99))
		}
	}
}
