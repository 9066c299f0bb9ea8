package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// socketSpec is one socket of the plan the driver (bench/run) writes: where it connects and the
// Django session cookie it logs in with, as a browser would.
type socketSpec struct {
	URL    string `json:"url"`
	Cookie string `json:"cookie"`
	Chat   int64  `json:"chat"`
}

type plan struct {
	Origin  string       `json:"origin"`
	Sockets []socketSpec `json:"sockets"`
}

// frame holds the few fields the load generator reads from a server frame (Tandem's protocol,
// the Channels baseline consumers that speak it, and the websocket-shootout protocol).
type frame struct {
	Type     string          `json:"type"`
	ClientID string          `json:"client_id"`
	Chat     int64           `json:"chat"`
	Seq      int64           `json:"seq"`
	Sender   int64           `json:"sender"`
	UserID   int64           `json:"user_id"`
	Status   string          `json:"status"`
	Upto     int64           `json:"upto"`
	Code     string          `json:"code"`
	Ref      string          `json:"ref"`
	Payload  json.RawMessage `json:"payload"`
}

type sock struct {
	idx    int
	user   int64 // from the hello (0 on the shootout endpoint)
	conn   *websocket.Conn
	out    chan []byte
	closed atomic.Bool
	// The delivered receipt waiting for its batch window (see noteDelivered). outMu also
	// orders a receipt's send against closeAll closing `out`.
	outMu        sync.Mutex
	receiptChat  int64
	receiptUpto  int64
	receiptTimer bool
}

// frameHandler sees every frame after the greeting; it runs on the socket's reader goroutine.
// The sidecar's (and the Channels baselines') presence frame: {"type":"presence","users":[{"user":…},…]}.
var (
	presencePrefix = []byte(`{"type":"presence"`)
	presenceEntry  = []byte(`"user":`)
	// Cheap filters before parsing: Tandem writes `"type":"message"`, the Channels consumers
	// (Python's json) `"type": "message"`; the parsed type decides.
	messageWord = []byte(`"message"`)
	statusWord  = []byte(`"status"`)
)

type frameHandler func(s *sock, f *frame, raw []byte, at time.Time)

type pool struct {
	plan        plan
	sourceAddrs int
	openTimeout time.Duration
	expectHello bool
	handler     atomic.Pointer[frameHandler]
	closeCodes  sync.Map // close code (int) -> *atomic.Int64, sockets the server closed or dropped
	// Presence frames and the user entries they list, counted for every socket from its hello
	// on: what a group's members coming online cost (issue 14, W5: O(members), not O(members²)).
	presenceFrames  atomic.Int64
	presenceEntries atomic.Int64
	// -delivered-batch: each socket acknowledges the messages it receives with one `delivered`
	// receipt per window, for the highest seq, as the browser client does (deliveredBatchMs).
	deliveredBatch  time.Duration
	receiptsSent    atomic.Int64
	receiptsDropped atomic.Int64 // the socket's writer was that far behind: not sent
	statusFrames    atomic.Int64 // ticks moving, as the senders hear them
	statusUpto      atomic.Int64 // the highest `delivered` tick a sender heard of
	messageSeq      atomic.Int64 // the highest seq a socket received
	wg              sync.WaitGroup
}

// dialerFor spreads sockets over 127.0.0.1..127.0.0.N source addresses: one source address
// has ~28,000 ephemeral ports, too few for tens of thousands of sockets to one server port.
func (p *pool) dialerFor(i int) *websocket.Dialer {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%p.sourceAddrs))}
	d := &net.Dialer{LocalAddr: local, Timeout: p.openTimeout}
	return &websocket.Dialer{
		NetDialContext:   d.DialContext,
		HandshakeTimeout: p.openTimeout,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	}
}

type openError struct {
	kind string // http_<status>, close_<code>, timeout, dial, read
	err  error
}

func (e *openError) Error() string { return e.kind + ": " + e.err.Error() }

// open connects socket i and, when the protocol greets, waits for its first frame (`hello`).
func (p *pool) open(ctx context.Context, i int) (*sock, time.Duration, error) {
	spec := p.plan.Sockets[i]
	header := http.Header{}
	if p.plan.Origin != "" {
		header.Set("Origin", p.plan.Origin)
	}
	if spec.Cookie != "" {
		header.Set("Cookie", spec.Cookie)
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(ctx, p.openTimeout)
	defer cancel()
	conn, resp, err := p.dialerFor(i).DialContext(ctx, spec.URL, header)
	if err != nil {
		if resp != nil {
			return nil, 0, &openError{fmt.Sprintf("http_%d", resp.StatusCode), err}
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return nil, 0, &openError{"timeout", err}
		}
		return nil, 0, &openError{"dial", err}
	}
	var user int64
	if p.expectHello {
		_ = conn.SetReadDeadline(time.Now().Add(p.openTimeout))
		_, data, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			if ce, ok := err.(*websocket.CloseError); ok {
				return nil, 0, &openError{fmt.Sprintf("close_%d", ce.Code), err}
			}
			return nil, 0, &openError{"read", err}
		}
		var hello frame
		if json.Unmarshal(data, &hello) != nil || hello.Type != "hello" {
			conn.Close()
			return nil, 0, &openError{"no_hello", fmt.Errorf("first frame %.80s", data)}
		}
		_ = conn.SetReadDeadline(time.Time{})
		user = hello.UserID
	}
	s := &sock{idx: i, user: user, conn: conn, out: make(chan []byte, 256)}
	p.wg.Add(2)
	go p.read(s)
	go p.write(s)
	return s, time.Since(started), nil
}

func (p *pool) read(s *sock) {
	defer p.wg.Done()
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			code := -1 // dropped without a close frame
			if ce, ok := err.(*websocket.CloseError); ok {
				code = ce.Code
			}
			if !s.closed.Load() {
				counter, _ := p.closeCodes.LoadOrStore(code, new(atomic.Int64))
				counter.(*atomic.Int64).Add(1)
			}
			s.closed.Store(true)
			// Close the TCP connection as a browser does once the close handshake is over: a
			// server that waits for the client to hang up first (RFC 6455 7.1.1) must not
			// wait on the load generator.
			s.conn.Close()
			return
		}
		at := time.Now()
		if bytes.HasPrefix(data, presencePrefix) {
			p.presenceFrames.Add(1)
			p.presenceEntries.Add(int64(bytes.Count(data, presenceEntry)))
		}
		status := bytes.Contains(data, statusWord)
		receipt := p.deliveredBatch > 0 && bytes.Contains(data, messageWord)
		h := p.handler.Load()
		if h == nil && !receipt && !status {
			continue
		}
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		if f.Type == "status" {
			p.statusFrames.Add(1)
			if f.Status == "delivered" {
				raiseTo(&p.statusUpto, f.Upto)
			}
		}
		if receipt && f.Type == "message" && f.Sender != s.user {
			raiseTo(&p.messageSeq, f.Seq)
			p.noteDelivered(s, f.Chat, f.Seq)
		}
		if h != nil {
			(*h)(s, &f, data, at)
		}
	}
}

// noteDelivered: the message reached this socket; its `delivered` receipt leaves at the end of
// the socket's batch window, covering every message received meanwhile.
func (p *pool) noteDelivered(s *sock, chat, seq int64) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if seq <= s.receiptUpto && chat == s.receiptChat {
		return
	}
	s.receiptChat, s.receiptUpto = chat, seq
	if !s.receiptTimer {
		s.receiptTimer = true
		time.AfterFunc(p.deliveredBatch, func() { p.sendDelivered(s) })
	}
}

func (p *pool) sendDelivered(s *sock) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.receiptTimer = false
	if s.closed.Load() {
		p.receiptsDropped.Add(1)
		return
	}
	b, _ := json.Marshal(map[string]any{"type": "delivered", "chat": s.receiptChat, "upto": s.receiptUpto})
	select {
	case s.out <- b:
		p.receiptsSent.Add(1)
	default:
		p.receiptsDropped.Add(1)
	}
}

func (p *pool) receipts() map[string]int64 {
	return map[string]int64{"sent": p.receiptsSent.Load(), "dropped": p.receiptsDropped.Load(),
		"status_frames": p.statusFrames.Load(), "delivered_tick_upto": p.statusUpto.Load(),
		"message_seq": p.messageSeq.Load()}
}

func raiseTo(v *atomic.Int64, to int64) {
	for {
		old := v.Load()
		if to <= old || v.CompareAndSwap(old, to) {
			return
		}
	}
}

func (p *pool) write(s *sock) {
	defer p.wg.Done()
	for data := range s.out {
		if s.closed.Load() {
			continue
		}
		if err := s.conn.WriteMessage(websocket.TextMessage, data); err != nil {
			s.closed.Store(true)
		}
	}
}

// closedByServer counts sockets the server closed (by close code; -1: dropped) since they opened.
// settle waits until no presence frame has arrived for `quiet` (at most `limit`), so the
// sockets' arrival announcements are over before the first step is timed: a group's members
// connecting are measured as what they are (presence frames, how long they take), not as
// latency of the messages sent meanwhile.
func (p *pool) settle(ctx context.Context, quiet, limit time.Duration) time.Duration {
	started := time.Now()
	last, lastChange := p.presenceFrames.Load(), started
	for time.Since(started) < limit && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		if now := p.presenceFrames.Load(); now != last {
			last, lastChange = now, time.Now()
		} else if time.Since(lastChange) >= quiet {
			break
		}
	}
	if waited := time.Since(started); waited >= limit {
		fmt.Fprintf(os.Stderr, "loadgen: presence frames still arriving after %s; starting anyway\n", limit)
	}
	return time.Since(started)
}

func (p *pool) presence() map[string]int64 {
	return map[string]int64{"frames": p.presenceFrames.Load(), "entries": p.presenceEntries.Load()}
}

func (p *pool) closedByServer() map[string]int64 {
	out := map[string]int64{}
	p.closeCodes.Range(func(k, v any) bool {
		out[fmt.Sprint(k)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// openAll opens every socket of the plan with at most `inFlight` handshakes at a time.
func (p *pool) openAll(ctx context.Context, inFlight int, progress func(opened, failed int)) ([]*sock, *histogram, map[string]int) {
	socks := make([]*sock, len(p.plan.Sockets))
	hist := &histogram{}
	failures := map[string]int{}
	var mu sync.Mutex
	var opened, failed int
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for i := range p.plan.Sockets {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			s, took, err := p.open(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				kind := "other"
				if oe, ok := err.(*openError); ok {
					kind = oe.kind
				}
				failures[kind]++
				failed++
			} else {
				socks[i] = s
				hist.record(took)
				opened++
			}
			if progress != nil && (opened+failed)%500 == 0 {
				progress(opened, failed)
			}
		}(i)
	}
	wg.Wait()
	return socks, hist, failures
}

func (p *pool) closeAll(socks []*sock) {
	for _, s := range socks {
		if s == nil {
			continue
		}
		s.outMu.Lock()
		s.closed.Store(true)
		close(s.out)
		s.outMu.Unlock()
		_ = s.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		s.conn.Close()
	}
	p.wg.Wait()
}
