package channel_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestLivePython exchanges channel messages, Buffer streams and requests
// with the Python reference over a loopback TCP connection, with Python as
// link initiator and with mehr as link initiator. It runs only when
// MEHR_RETICULUM_REF names a Reticulum checkout (scripts/interop/link_apps.sh).
func TestLivePython(t *testing.T) {
	ref := os.Getenv("MEHR_RETICULUM_REF")
	if ref == "" {
		t.Skip("MEHR_RETICULUM_REF not set")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	t.Run("python-initiator", func(t *testing.T) { livePythonInitiator(t, ref) })
	t.Run("go-initiator", func(t *testing.T) { liveGoInitiator(t, ref) })
}

const (
	liveMsgType   = 0x0101
	liveMessages  = 20
	liveStreamLen = 200 * 1024
	liveTimeout   = 150 * time.Second
)

// liveNode is a Go transport with a TCP server the Python program joins.
type liveNode struct {
	t   *transport.Transport
	srv *tcp.Server
}

func newLiveNode(t *testing.T) *liveNode {
	t.Helper()
	tid, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transport.New(transport.Config{Identity: tid})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := tcp.Listen(ctx, tcp.Config{Name: "live", Addr: "127.0.0.1:0"})
	if err != nil {
		tr.Close()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := srv.Accept()
			if err != nil {
				return
			}
			if _, err := tr.AddInterface(c, transport.InterfaceOptions{}); err != nil {
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
		tr.Close()
	})
	return &liveNode{t: tr, srv: srv}
}

// pyProc is a running Python program and the "@@ " lines it reported.
type pyProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
	err    error // exit status, after exited

	mu     sync.Mutex
	cond   *sync.Cond
	lines  []string // "@@ " lines without the prefix
	all    []string // every stdout line
	eof    bool
	failed string
}

// startPython writes a Reticulum config for a TCPClientInterface to the
// node's server and runs the script in mode with args.
func startPython(t *testing.T, ctx context.Context, ref string, node *liveNode, mode string, args ...string) *pyProc {
	t.Helper()
	dir := t.TempDir()
	_, port, err := net.SplitHostPort(node.srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`[reticulum]
  enable_transport = No
  share_instance = No
  panic_on_interface_error = No

[logging]
  loglevel = 2

[interfaces]
  [[Mehr Live]]
    type = TCPClientInterface
    enabled = yes
    target_host = 127.0.0.1
    target_port = %s
`, port)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "python3", append([]string{"-", mode, dir}, args...)...)
	cmd.Stdin = strings.NewReader(livePyScript)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+ref, "PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second
	p := &pyProc{cmd: cmd, exited: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	cmd.Stderr = &p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.all = append(p.all, line)
			if rest, ok := strings.CutPrefix(line, "@@ "); ok {
				p.lines = append(p.lines, rest)
				if f, ok := strings.CutPrefix(rest, "FAIL "); ok && p.failed == "" {
					p.failed = f
				}
			}
			p.mu.Unlock()
			p.cond.Broadcast()
		}
		p.err = cmd.Wait()
		p.mu.Lock()
		p.eof = true
		p.mu.Unlock()
		p.cond.Broadcast()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			select {
			case <-p.exited:
			default:
				_ = cmd.Process.Kill()
				<-p.exited
			}
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("python stdout:\n%s", strings.Join(p.all, "\n"))
			p.mu.Unlock()
			t.Logf("python stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// line waits for the first reported line starting with prefix and returns
// its fields after the prefix. It fails the test if Python reports a
// failure, exits first or ctx ends.
func (p *pyProc) line(t *testing.T, ctx context.Context, prefix string) []string {
	t.Helper()
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.cond.Broadcast()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for _, l := range p.lines {
			if l == prefix || strings.HasPrefix(l, prefix+" ") {
				return strings.Fields(l[len(prefix):])
			}
		}
		switch {
		case p.failed != "":
			t.Fatalf("python failed: %s (waiting for %q)", p.failed, prefix)
		case p.eof:
			t.Fatalf("python exited before reporting %q", prefix)
		case ctx.Err() != nil:
			t.Fatalf("timed out waiting for python to report %q", prefix)
		}
		p.cond.Wait()
	}
}

// finish waits for Python to exit and checks it reported DONE and exit 0.
func (p *pyProc) finish(t *testing.T, ctx context.Context) {
	t.Helper()
	p.line(t, ctx, "DONE")
	select {
	case <-p.exited:
	case <-ctx.Done():
		t.Fatal("python did not exit")
	}
	if p.err != nil {
		t.Fatalf("python: %v", p.err)
	}
	t.Logf("python exited cleanly")
}

// liveEnd is the Go end of a link: its channel, the reader of the stream
// the peer writes and the text messages received.
type liveEnd struct {
	l     *link.Link
	ch    *channel.Channel
	rd    io.Reader
	texts chan string
}

// liveRouter routes CHANNEL packets to the channel of their link; it is
// the Next of the request mux.
type liveRouter struct {
	mu    sync.Mutex
	chans map[*link.Link]*channel.Channel
	// streamMsgs and compressed count the stream messages received (all
	// transmissions) and those with the compressed bit set on the wire.
	streamMsgs, compressed int
}

// counts returns the stream message counters.
func (r *liveRouter) counts() (stream, compressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streamMsgs, r.compressed
}

func (r *liveRouter) onOther(l *link.Link, p *transport.Packet, pt []byte) {
	if p.Context != wire.ContextChannel {
		return
	}
	var env channel.Envelope
	r.mu.Lock()
	if env.Decode(pt) == nil && env.MsgType == channel.MsgTypeStream && len(env.Data) >= channel.StreamHeaderLen {
		r.streamMsgs++
		if env.Data[0]&0x40 != 0 {
			r.compressed++
		}
	}
	c := r.chans[l]
	r.mu.Unlock()
	if c != nil {
		c.Receive(p, pt)
	}
}

// open sets up the channel of l; it runs in OnEstablished, so no CHANNEL
// packet of l arrives before it. echo makes the text handler answer every
// "msg ..." text with "echo:" + text.
func (r *liveRouter) open(l *link.Link, rxStream uint16, echo bool) *liveEnd {
	e := &liveEnd{l: l, ch: channel.New(l), texts: make(chan string, 4*liveMessages)}
	e.rd = channel.NewReader(e.ch, rxStream)
	e.ch.Handle(liveMsgType, func(data []byte) {
		s := string(data)
		select {
		case e.texts <- s:
		default:
		}
		if echo && strings.HasPrefix(s, "msg ") {
			_ = e.ch.Send(liveMsgType, []byte("echo:"+s))
		}
	})
	r.mu.Lock()
	r.chans[l] = e.ch
	r.mu.Unlock()
	return e
}

// liveData returns 200 KB: a compressible half and a random half.
func liveData() []byte {
	b := bytes.Repeat([]byte("mehr writes this to reticulum. "), liveStreamLen/2/31+1)[:liveStreamLen/2]
	r := make([]byte, liveStreamLen/2)
	_, _ = rand.Read(r)
	return append(b, r...)
}

func hexID(l *link.Link) string {
	id := l.ID()
	return hex.EncodeToString(id[:])
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type readResult struct {
	data []byte
	err  error
}

func readAll(rd io.Reader) <-chan readResult {
	c := make(chan readResult, 1)
	go func() {
		b, err := io.ReadAll(rd)
		c <- readResult{b, err}
	}()
	return c
}

func recv[T any](t *testing.T, ctx context.Context, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

var liveRequest = []any{"ping", int64(42), []byte("\x00\x01mehr")}

func sameValue(a, b any) bool { return fmt.Sprintf("%v", a) == fmt.Sprintf("%v", b) }

// livePythonInitiator: Go listens and announces; Python opens the link.
func livePythonInitiator(t *testing.T, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), liveTimeout)
	defer cancel()
	node := newLiveNode(t)
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dest.New(id, dest.In, wire.Single, nil, "mehrlive", "go")
	if err != nil {
		t.Fatal(err)
	}

	rt := &liveRouter{chans: map[*link.Link]*channel.Channel{}}
	type served struct {
		data   any
		remote *identity.Identity
	}
	requests := make(chan served, 4)
	mux := &request.Mux{Next: rt.onOther}
	mux.Handle("/echo", func(_ *link.Link, _ string, data any, _ wire.Hash, remote *identity.Identity, _ time.Time) any {
		select {
		case requests <- served{data, remote}:
		default:
		}
		return data
	})
	ends := make(chan *liveEnd, 1)
	ln, err := link.Listen(node.t, id, d.Hash, link.Config{
		OnOther:          mux.OnOther,
		RequestResources: mux.RequestResources,
		OnEstablished:    func(l *link.Link) { ends <- rt.open(l, 0, true) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	py := startPython(t, ctx, ref, node, "initiate", hex.EncodeToString(d.Hash[:]))

	// Announce until the link is up, so Python finds the path whenever it
	// connects.
	annCtx, stopAnnounce := context.WithCancel(ctx)
	annDone := make(chan struct{})
	go func() {
		defer close(annDone)
		for {
			var seed [16]byte
			_, _ = rand.Read(seed[:])
			if raw, err := announce.Append(nil, &announce.Params{Destination: d, RandomHash: announce.RandomHash(seed[:], time.Now())}); err == nil {
				_, _ = node.t.Send(raw, nil)
			}
			select {
			case <-annCtx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	defer func() { stopAnnounce(); <-annDone }()

	e := recv(t, ctx, "the link from python", ends)
	stopAnnounce()
	defer e.l.Close()
	t.Logf("python opened link %s: MTU %d, link MDU %d, channel MDU %d, RTT %v", e.l.ID(), e.l.MTU(), e.l.MDU(), e.ch.MDU(), e.l.RTT())
	f := py.line(t, ctx, "LINK")
	t.Logf("python reports link %v", f)
	if f[0] != hexID(e.l) {
		t.Fatalf("python link id %s, ours %s", f[0], e.l.ID())
	}
	pyID := py.line(t, ctx, "IDENTITY")[0]

	// (a) 20 messages in order, each echoed by the handler.
	for i := range liveMessages {
		got := recv(t, ctx, fmt.Sprintf("message %d", i), e.texts)
		if want := fmt.Sprintf("msg %02d from python", i); got != want {
			t.Fatalf("message %d: %q, want %q", i, got, want)
		}
	}
	t.Logf("check: received %d channel messages (type 0x%04x) from python in order, echoed each", liveMessages, liveMsgType)
	py.line(t, ctx, "OK echo")
	t.Logf("check: python received the %d echoes in order", liveMessages)

	// (b) read stream 0 to EOF while writing stream 1.
	got0 := readAll(e.rd)
	data1 := liveData()
	h1 := hexSum(data1)
	if err := e.ch.Send(liveMsgType, []byte("sha256:"+h1)); err != nil {
		t.Fatal(err)
	}
	w := channel.NewWriter(e.ch, 1)
	start := time.Now()
	if _, err := w.Write(data1); err != nil {
		t.Fatalf("write stream 1: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close stream 1: %v", err)
	}
	t.Logf("wrote %d bytes on stream 1 in %v", len(data1), time.Since(start).Round(time.Millisecond))
	f = py.line(t, ctx, "OK stream1")
	if f[1] != h1 {
		t.Fatalf("python read stream 1 with sha256 %s, want %s", f[1], h1)
	}
	t.Logf("check: python read %s bytes of stream 1 with the right sha256 %s", f[0], h1)
	r0 := recv(t, ctx, "stream 0", got0)
	if r0.err != nil {
		t.Fatalf("read stream 0: %v (after %d bytes)", r0.err, len(r0.data))
	}
	want0 := py.line(t, ctx, "HASH0")
	if hexSum(r0.data) != want0[0] || fmt.Sprint(len(r0.data)) != want0[1] {
		t.Fatalf("stream 0: %d bytes sha256 %s, python wrote %s bytes sha256 %s", len(r0.data), hexSum(r0.data), want0[1], want0[0])
	}
	t.Logf("check: read stream 0 to EOF: %d bytes, sha256 %s matches python's", len(r0.data), want0[0])
	if n, z := rt.counts(); z == 0 {
		t.Fatalf("none of the %d stream messages from python was bz2-compressed", n)
	} else {
		t.Logf("check: %d of %d stream messages from python carried bz2-compressed data and were decompressed", z, n)
	}

	// (c) the request python makes to /echo.
	req := recv(t, ctx, "the request", requests)
	if !sameValue(req.data, liveRequest) {
		t.Fatalf("request data %v, want %v", req.data, liveRequest)
	}
	if req.remote == nil || req.remote.HexHash() != pyID {
		t.Fatalf("request from %v, python identified as %s", req.remote, pyID)
	}
	t.Logf("check: served /echo request %v from identified peer %s", req.data, pyID)
	py.line(t, ctx, "OK request")
	t.Logf("check: python got the /echo response")

	e.l.Close()
	py.finish(t, ctx)
}

// liveGoInitiator: Python listens and announces; Go finds the path,
// opens the link and identifies.
func liveGoInitiator(t *testing.T, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), liveTimeout)
	defer cancel()
	node := newLiveNode(t)
	py := startPython(t, ctx, ref, node, "listen")
	f := py.line(t, ctx, "DEST")
	raw, err := hex.DecodeString(f[0])
	if err != nil || len(raw) != wire.HashLen {
		t.Fatalf("python destination %q", f[0])
	}
	var h wire.Hash
	copy(h[:], raw)
	for !node.t.HasPath(h) {
		_ = node.t.RequestPath(h, nil)
		select {
		case <-ctx.Done():
			t.Fatal("no path to the python destination")
		case <-time.After(500 * time.Millisecond):
		}
	}
	pid, _, ok := node.t.Recall(h)
	if !ok {
		t.Fatal("python destination has a path but no known identity")
	}
	t.Logf("path to python destination %s: %d hops", h, node.t.HopsTo(h))

	rt := &liveRouter{chans: map[*link.Link]*channel.Channel{}}
	mux := &request.Mux{Next: rt.onOther}
	ends := make(chan *liveEnd, 1)
	l, err := link.Establish(ctx, node.t, pid, h, link.Config{
		OnOther:          mux.OnOther,
		RequestResources: mux.RequestResources,
		OnEstablished:    func(l *link.Link) { ends <- rt.open(l, 1, false) },
	})
	if err != nil {
		t.Fatalf("establish: %v", err)
	}
	defer l.Close()
	e := recv(t, ctx, "the channel", ends)
	t.Logf("opened link %s: MTU %d, link MDU %d, channel MDU %d, RTT %v", l.ID(), l.MTU(), l.MDU(), e.ch.MDU(), l.RTT())
	f = py.line(t, ctx, "LINK")
	if f[0] != hexID(l) {
		t.Fatalf("python link id %s, ours %s", f[0], l.ID())
	}
	t.Logf("python reports link %v", f)

	me, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Identify(me); err != nil {
		t.Fatal(err)
	}
	// Python's link callback has run once it saw the identification.
	if got := py.line(t, ctx, "IDENTIFIED")[0]; got != me.HexHash() {
		t.Fatalf("python saw identity %s, want %s", got, me.HexHash())
	}
	t.Logf("check: python identified us as %s", me.HexHash())

	// (a) 20 messages, echoed by python in order.
	for i := range liveMessages {
		if err := e.ch.Send(liveMsgType, fmt.Appendf(nil, "msg %02d from go", i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for i := range liveMessages {
		got := recv(t, ctx, fmt.Sprintf("echo %d", i), e.texts)
		if want := fmt.Sprintf("echo:msg %02d from go", i); got != want {
			t.Fatalf("echo %d: %q, want %q", i, got, want)
		}
	}
	py.line(t, ctx, "OK echoed")
	t.Logf("check: sent %d channel messages (type 0x%04x), python echoed them in order", liveMessages, liveMsgType)

	// (b) stream 0 to python, stream 1 back.
	got1 := readAll(e.rd)
	data0 := liveData()
	h0 := hexSum(data0)
	if err := e.ch.Send(liveMsgType, []byte("sha256:"+h0)); err != nil {
		t.Fatal(err)
	}
	w := channel.NewWriter(e.ch, 0)
	start := time.Now()
	if _, err := w.Write(data0); err != nil {
		t.Fatalf("write stream 0: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close stream 0: %v", err)
	}
	t.Logf("wrote %d bytes on stream 0 in %v", len(data0), time.Since(start).Round(time.Millisecond))
	f = py.line(t, ctx, "OK stream0")
	if f[1] != h0 {
		t.Fatalf("python read stream 0 with sha256 %s, want %s", f[1], h0)
	}
	t.Logf("check: python read %s bytes of stream 0 with the right sha256 %s", f[0], h0)
	hashMsg := recv(t, ctx, "the stream 1 hash", e.texts)
	want1, ok := strings.CutPrefix(hashMsg, "sha256:")
	if !ok {
		t.Fatalf("expected the stream 1 hash, got %q", hashMsg)
	}
	r1 := recv(t, ctx, "stream 1", got1)
	if r1.err != nil {
		t.Fatalf("read stream 1: %v (after %d bytes)", r1.err, len(r1.data))
	}
	if got := hexSum(r1.data); got != want1 || len(r1.data) != liveStreamLen {
		t.Fatalf("stream 1: %d bytes sha256 %s, python wrote %d bytes sha256 %s", len(r1.data), got, liveStreamLen, want1)
	}
	if py1 := py.line(t, ctx, "HASH1"); py1[0] != want1 {
		t.Fatalf("python reported stream 1 sha256 %s on stdout, %s on the channel", py1[0], want1)
	}
	t.Logf("check: read stream 1 to EOF: %d bytes, sha256 %s matches python's", len(r1.data), want1)
	if n, z := rt.counts(); z == 0 {
		t.Fatalf("none of the %d stream messages from python was bz2-compressed", n)
	} else {
		t.Logf("check: %d of %d stream messages from python carried bz2-compressed data and were decompressed", z, n)
	}

	// (c) a request to python's /echo.
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	resp, err := mux.Do(rctx, l, "/echo", liveRequest)
	rcancel()
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if !sameValue(resp, liveRequest) {
		t.Fatalf("response %v, want %v", resp, liveRequest)
	}
	f = py.line(t, ctx, "REQUEST /echo")
	if f[len(f)-1] != me.HexHash() {
		t.Fatalf("python served the request for %s, want %s", f[len(f)-1], me.HexHash())
	}
	t.Logf("check: /echo response %v from python (served for %s)", resp, me.HexHash())

	l.Close()
	py.finish(t, ctx)
	if err := e.ch.Err(); err != nil && !errors.Is(err, channel.ErrClosed) {
		t.Fatalf("channel: %v", err)
	}
}
