package transport_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// clock is a fake clock shared by the nodes of a test network.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type node struct {
	name  string
	t     *transport.Transport
	id    *identity.Identity
	clock *clock
}

type network struct {
	tb    testing.TB
	clock *clock
	nodes []*node
	pipes []*ifacetest.Pipe
}

// newNetwork builds n transport-enabled nodes joined by in-memory links.
func newNetwork(tb testing.TB, n int, links [][2]int, cfgs ...func(i int, c *transport.Config)) *network {
	tb.Helper()
	nw := &network{tb: tb, clock: newClock()}
	for i := range n {
		id, err := identity.FromPrivateKey(bytes.Repeat([]byte{byte(i + 1)}, 64))
		if err != nil {
			tb.Fatal(err)
		}
		cfg := transport.Config{Identity: id, Enabled: true, Now: nw.clock.Now, NoJobs: true}
		for _, f := range cfgs {
			f(i, &cfg)
		}
		tr, err := transport.New(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		nw.nodes = append(nw.nodes, &node{name: fmt.Sprintf("n%d", i), t: tr, id: id, clock: nw.clock})
	}
	for _, l := range links {
		nw.link(l[0], l[1], ifacetest.Config{}, ifacetest.Config{})
	}
	tb.Cleanup(nw.close)
	return nw
}

// link joins nodes a and b with an in-memory pair.
func (nw *network) link(a, b int, ca, cb ifacetest.Config) (*transport.Iface, *transport.Iface) {
	nw.tb.Helper()
	if ca.Name == "" {
		ca.Name = fmt.Sprintf("to-n%d", b)
	}
	if cb.Name == "" {
		cb.Name = fmt.Sprintf("to-n%d", a)
	}
	pa, pb := ifacetest.NewPair(ca, cb)
	nw.pipes = append(nw.pipes, pa, pb)
	ia, err := nw.nodes[a].t.AddInterface(pa, transport.InterfaceOptions{})
	if err != nil {
		nw.tb.Fatal(err)
	}
	ib, err := nw.nodes[b].t.AddInterface(pb, transport.InterfaceOptions{})
	if err != nil {
		nw.tb.Fatal(err)
	}
	return ia, ib
}

func (nw *network) close() {
	for _, n := range nw.nodes {
		n.t.Close()
	}
}

// settle advances the fake clock in steps of step, running every node's
// jobs, until cond holds or max steps have passed. Between steps it waits
// (bounded) for the in-memory links to deliver.
func (nw *network) settle(step time.Duration, max int, cond func() bool) bool {
	for range max {
		if cond() {
			return true
		}
		nw.clock.Advance(step)
		for _, n := range nw.nodes {
			n.t.RunJobs()
		}
		nw.drain()
	}
	return cond()
}

// drain waits until every packet sent so far has been received, or 2 s.
func (nw *network) drain() {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		var sent, got uint64
		for _, p := range nw.pipes {
			sent += p.Sent.Load()
			got += p.Received.Load() + p.Dropped.Load()
		}
		if got >= sent {
			// Received means handed to transport; give the receive
			// routines a moment to finish processing.
			time.Sleep(time.Millisecond)
			var sent2 uint64
			for _, p := range nw.pipes {
				sent2 += p.Sent.Load()
			}
			if sent2 == sent {
				return
			}
			continue
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// app is a test destination: it records what it receives, answers path
// requests with fresh announces, and proves every packet.
type app struct {
	node *node
	d    *dest.Destination
	mu   sync.Mutex
	got  [][]byte
	n    int64
}

func newApp(tb testing.TB, n *node, aspects ...string) *app {
	tb.Helper()
	d, err := dest.New(n.id, dest.In, wire.Single, nil, "mehrtest", aspects...)
	if err != nil {
		tb.Fatal(err)
	}
	a := &app{node: n, d: d}
	if err := n.t.Register(a); err != nil {
		tb.Fatal(err)
	}
	return a
}

func (a *app) Hash() wire.Hash     { return a.d.Hash }
func (a *app) Type() wire.DestType { return wire.Single }

func (a *app) Receive(p *transport.Packet) {
	if p.PacketType != wire.Data {
		return
	}
	pt, err := a.d.Decrypt(p.Data, nil, false)
	if err != nil {
		return
	}
	a.mu.Lock()
	a.got = append(a.got, pt)
	a.mu.Unlock()
	_ = a.node.t.Prove(p, a.node.id)
}

func (a *app) received() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.got...)
}

func (a *app) announceRaw(pathResponse bool) []byte {
	a.n++
	rh := announce.RandomHash([]byte(fmt.Sprint(a.d.Hash, a.n)), a.node.clock.Now())
	raw, err := announce.Append(nil, &announce.Params{Destination: a.d, RandomHash: rh, PathResponse: pathResponse, AppData: []byte("app")})
	if err != nil {
		panic(err)
	}
	return raw
}

func (a *app) PathResponse(tag []byte) ([]byte, error) { return a.announceRaw(true), nil }

// announce sends a fresh announce of the destination.
func (a *app) announce(tb testing.TB) {
	tb.Helper()
	if _, err := a.node.t.Send(a.announceRaw(false), nil); err != nil {
		tb.Fatalf("announce: %v", err)
	}
}
