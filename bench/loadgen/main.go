// Command loadgen is the open-loop WebSocket load generator of Tandem's benchmark suite
// (bench/run drives it). It reads a plan (sockets with their URLs and Django session cookies),
// opens the sockets from many 127.0.0.x source addresses, runs one workload and writes JSON
// lines to stdout: events while it runs (so the driver can sample server CPU at step
// boundaries) and the result last. Progress goes to stderr.
//
// Workloads (-mode):
//
//	chat       1:1 traffic: sockets 2i and 2i+1 are the two users of one chat; rising -rates
//	group      fan-out: the first -senders sockets send to a chat every socket is a member of
//	echo       websocket-shootout echo round trips, spread over every socket
//	broadcast  websocket-shootout broadcast: -senders sockets broadcast to all
//	connect    opens every socket (-in-flight at a time), connect→hello latency and failures
//	idle       opens every socket and holds them until stdin closes (RSS, drain)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

var out = json.NewEncoder(os.Stdout)

func emit(event string, fields map[string]any) {
	fields["event"] = event
	fields["t"] = float64(time.Now().UnixNano()) / 1e9
	_ = out.Encode(fields)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(2)
}

func parseRates(s string) []float64 {
	var rates []float64
	for _, part := range strings.Split(s, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || r <= 0 {
			fail("bad rate %q in -rates", part)
		}
		rates = append(rates, r)
	}
	return rates
}

func main() {
	planPath := flag.String("plan", "", "plan JSON file: {origin, sockets: [{url, cookie, chat}]}")
	mode := flag.String("mode", "chat", "chat | group | echo | broadcast | connect | idle")
	rates := flag.String("rates", "100", "offered rates in messages/s, one step each, comma-separated")
	stepDuration := flag.Duration("step", 10*time.Second, "duration of each rate step")
	grace := flag.Duration("grace", 5*time.Second, "wait for in-flight messages after each step")
	maxDuration := flag.Duration("max-duration", 10*time.Minute, "hard stop of the whole run")
	errorBudget := flag.Int64("error-budget", 1000, "errors after which a step stops sending")
	stopP99 := flag.Float64("stop-p99-ms", 5000, "no higher rate step after one whose p99 exceeds this")
	inFlight := flag.Int("in-flight", 50, "handshakes in flight while opening sockets")
	openTimeout := flag.Duration("open-timeout", 30*time.Second, "per-socket connect+greeting timeout")
	sources := flag.Int("source-addrs", 200, "spread sockets over 127.0.0.1..127.0.0.N")
	senders := flag.Int("senders", 1, "group/broadcast: how many sockets send (round robin)")
	bodyBytes := flag.Int("body-bytes", 32, "bytes of message body")
	settle := flag.Duration("settle", time.Second, "pause after opening the sockets, before the first step (connect work settles)")
	settleMax := flag.Duration("settle-max", time.Minute, "longest pause after opening: it lasts until no presence frame arrived for -settle")
	hold := flag.Duration("hold", 10*time.Minute, "idle: hold sockets at most this long (or until stdin closes)")
	deliveredBatch := flag.Duration("delivered-batch", 0, "send `delivered` receipts for received messages, one per socket per this window, as the browser client does (0: none)")
	nonce := flag.String("nonce", strconv.FormatInt(time.Now().UnixNano()%1e9, 36), "client_id prefix, unique per run")
	flag.Parse()

	if *planPath == "" {
		fail("-plan is required")
	}
	raw, err := os.ReadFile(*planPath)
	if err != nil {
		fail("%v", err)
	}
	var pl plan
	if err := json.Unmarshal(raw, &pl); err != nil {
		fail("plan %s: %v", *planPath, err)
	}
	n := len(pl.Sockets)
	if n == 0 {
		fail("the plan has no sockets")
	}
	if *sources < 1 || *sources > 254 {
		fail("-source-addrs must be 1..254")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *maxDuration)
	defer cancel()

	shootout := *mode == "echo" || *mode == "broadcast"
	p := &pool{plan: pl, sourceAddrs: *sources, openTimeout: *openTimeout, expectHello: !shootout,
		deliveredBatch: *deliveredBatch}
	cpuStart := cpuSeconds()
	wallStart := time.Now()
	opened := func(o, f int) { fmt.Fprintf(os.Stderr, "loadgen: opening: %d open, %d failed of %d\n", o, f, n) }

	socks, connectHist, failures := p.openAll(ctx, *inFlight, opened)
	openCount := 0
	for _, s := range socks {
		if s != nil {
			openCount++
		}
	}
	openWall := time.Since(wallStart).Seconds()
	emit("open", map[string]any{"open": openCount, "failed": failures, "wall_s": openWall,
		"connect_to_hello": connectHist.summary(), "client_cpu_s": cpuSeconds() - cpuStart})
	result := map[string]any{"mode": *mode, "sockets": n, "open": openCount, "open_failures": failures,
		"open_wall_s": openWall, "connect_to_hello": connectHist.summary(), "in_flight": *inFlight}

	switch *mode {
	case "connect":
	case "idle":
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
		select {
		case <-done:
		case <-time.After(*hold):
		case <-ctx.Done():
		}
	default:
		sh := makeShape(*mode, pl, *senders, *bodyBytes)
		if sh == nil {
			fail("unknown -mode %q", *mode)
		}
		settled := p.settle(ctx, *settle, *settleMax)
		result["presence_at_settle"] = p.presence()
		result["settle_s"] = settled.Seconds()
		var steps []stepResult
		opts := runOptions{stepDuration: *stepDuration, grace: *grace, errorBudget: *errorBudget, nonce: *nonce}
		for i, rate := range parseRates(*rates) {
			if ctx.Err() != nil {
				break
			}
			emit("step_begin", map[string]any{"index": i, "rate": rate})
			r := runStep(ctx, p, socks, sh, rate, i, opts)
			steps = append(steps, r)
			emit("step_end", map[string]any{"index": i, "rate": rate, "result": r})
			// A step where most messages never completed has a p99 over the few that did: a
			// server that far behind has reached its limit as surely as one over stopP99.
			behind := r.Sent > 0 && r.Lost*2 > r.Sent
			if r.Aborted != "" || r.Last.P99 > *stopP99 || behind {
				fmt.Fprintf(os.Stderr, "loadgen: stopping the rate ladder at %.0f/s (p99 %.0f ms, %d of %d missing, %s)\n",
					rate, r.Last.P99, r.Lost, r.Sent, r.Aborted)
				break
			}
		}
		result["steps"] = steps
	}
	result["closed_by_server"] = p.closedByServer()
	result["presence"] = p.presence()
	result["receipts"] = p.receipts()
	p.closeAll(socks)
	result["client_cpu_s"] = cpuSeconds() - cpuStart
	result["wall_s"] = time.Since(wallStart).Seconds()
	emit("result", result)
}

func makeShape(mode string, pl plan, senders, bodyBytes int) *shape {
	n := len(pl.Sockets)
	body := strings.Repeat("x", bodyBytes)
	if senders < 1 || senders > n {
		senders = 1
	}
	tandemSend := func(seq int, id string, s *sock) []byte {
		b, _ := json.Marshal(map[string]any{"type": "send", "client_id": id, "body": body, "chat": pl.Sockets[s.idx].Chat})
		return b
	}
	shootoutFrame := func(kind string) func(int, string, *sock) []byte {
		return func(seq int, id string, _ *sock) []byte {
			b, _ := json.Marshal(map[string]any{"type": kind, "payload": id})
			return b
		}
	}
	switch mode {
	case "chat":
		if n < 2 {
			fail("chat needs pairs of sockets")
		}
		pairs := n / 2
		sender := func(seq int) int { return 2*(seq%pairs) + (seq/pairs)%2 }
		return &shape{name: "chat", sender: sender, expect: 1, frame: tandemSend, classify: tandemClassify, hasAck: true,
			recipient: func(seq, idx int) bool { return idx == sender(seq)^1 }}
	case "group":
		sender := func(seq int) int { return seq % senders }
		return &shape{name: "group", sender: sender, expect: int32(n - 1), frame: tandemSend, classify: tandemClassify,
			hasAck: true, recipient: func(seq, idx int) bool { return idx != sender(seq) }}
	case "echo":
		sender := func(seq int) int { return seq % n }
		return &shape{name: "echo", sender: sender, expect: 1, frame: shootoutFrame("echo"), classify: shootoutClassify,
			recipient: func(seq, idx int) bool { return idx == sender(seq) }}
	case "broadcast":
		sender := func(seq int) int { return seq % senders }
		return &shape{name: "broadcast", sender: sender, expect: int32(n - 1), frame: shootoutFrame("broadcast"),
			classify: shootoutClassify, hasAck: true, recipient: func(seq, idx int) bool { return idx != sender(seq) }}
	}
	return nil
}
