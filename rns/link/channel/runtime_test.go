package channel_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// router passes CHANNEL packets to the channel of their link.
type router struct {
	mu    sync.Mutex
	chans map[*link.Link]*channel.Channel
}

func (r *router) onOther(l *link.Link, p *transport.Packet, pt []byte) {
	if p.Context != wire.ContextChannel {
		return
	}
	r.mu.Lock()
	c := r.chans[l]
	r.mu.Unlock()
	if c != nil {
		c.Receive(p, pt)
	}
}

func (r *router) open(l *link.Link, wrap func(channel.Outlet) channel.Outlet) *channel.Channel {
	o := channel.LinkOutlet(l)
	if wrap != nil {
		o = wrap(o)
	}
	c := channel.NewWithOutlet(l, o)
	r.mu.Lock()
	r.chans[l] = c
	r.mu.Unlock()
	return c
}

// lossy drops every nth packet while on is set.
type lossy struct {
	on    atomic.Bool
	n     uint64
	count atomic.Uint64
}

func (d *lossy) drop([]byte) bool {
	if d == nil || !d.on.Load() {
		return false
	}
	return d.count.Add(1)%d.n == 0
}

// channelPair builds two transports joined by an in-memory pair (packets
// towards each end pass dropA and dropB), establishes a link from a to b
// and opens a channel on each end. Cleanup closes everything and checks
// for leaked goroutines.
func channelPair(t *testing.T, dropA, dropB *lossy) (ini, resp *channel.Channel) {
	t.Helper()
	return channelPairWith(t, dropA, dropB, nil)
}

// channelPairWith is channelPair with the initiator's outlet wrapped by
// wrap (if not nil).
func channelPairWith(t *testing.T, dropA, dropB *lossy, wrap func(channel.Outlet) channel.Outlet) (ini, resp *channel.Channel) {
	t.Helper()
	t.Cleanup(testutil.LeakCheck(t))
	type node struct {
		t    *transport.Transport
		id   *identity.Identity
		hash wire.Hash
	}
	var nodes [2]node
	for i := range nodes {
		tid, err := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x30 + i)}, 64))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := transport.New(transport.Config{Identity: tid, NoJobs: true})
		if err != nil {
			t.Fatal(err)
		}
		id, err := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x40 + i)}, 64))
		if err != nil {
			t.Fatal(err)
		}
		ih := wire.Hash(id.Hash())
		h, err := dest.Hash(&ih, "channeltest", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = node{tr, id, h}
		t.Cleanup(func() { tr.Close() })
	}
	pa, pb := ifacetest.NewPair(
		ifacetest.Config{Name: "a", Drop: dropA.drop},
		ifacetest.Config{Name: "b", Drop: dropB.drop})
	if _, err := nodes[0].t.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[1].t.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}

	r := &router{chans: map[*link.Link]*channel.Channel{}}
	cfg := link.Config{OnOther: r.onOther}
	ln, err := link.Listen(nodes[1].t, nodes[1].id, nodes[1].hash, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	li, err := link.Establish(ctx, nodes[0].t, nodes[1].id, nodes[1].hash, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The responder's link becomes active with the RTT packet.
	select {
	case <-lr.Established():
	case <-ctx.Done():
		t.Fatal("responder link not established")
	}
	ini, resp = r.open(li, wrap), r.open(lr, nil)
	t.Cleanup(func() {
		li.Close()
		lr.Close()
		li.Wait()
		lr.Wait()
		ini.Wait()
		resp.Wait()
	})
	if dropA != nil {
		dropA.on.Store(true)
	}
	if dropB != nil {
		dropB.on.Store(true)
	}
	return ini, resp
}

// collect registers a handler for msgType that records messages.
func collect(c *channel.Channel, msgType uint16, want int) (func() [][]byte, <-chan struct{}) {
	var mu sync.Mutex
	var got [][]byte
	full := make(chan struct{})
	c.Handle(msgType, func(data []byte) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, data)
		if len(got) == want {
			close(full)
		}
	})
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return got
	}, full
}

func numbered(i int) []byte {
	return binary.BigEndian.AppendUint32([]byte("msg "), uint32(i))
}

func checkOrder(t *testing.T, name string, got [][]byte, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%s: got %d messages, want %d", name, len(got), n)
	}
	for i, m := range got {
		if !bytes.Equal(m, numbered(i)) {
			t.Fatalf("%s: message %d is %q, want %q", name, i, m, numbered(i))
		}
	}
}

func exchange(t *testing.T, a, b *channel.Channel, n int, timeout time.Duration) {
	t.Helper()
	gotB, fullB := collect(b, 0x0101, n)
	gotA, fullA := collect(a, 0x0202, n)
	errs := make(chan error, 2)
	send := func(c *channel.Channel, typ uint16) {
		for i := range n {
			if err := c.Send(typ, numbered(i)); err != nil {
				errs <- fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
		errs <- nil
	}
	go send(a, 0x0101)
	go send(b, 0x0202)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []<-chan struct{}{fullA, fullB} {
		select {
		case <-f:
		case <-time.After(timeout):
			t.Fatalf("timed out: a got %d, b got %d of %d", len(gotA()), len(gotB()), n)
		}
	}
	checkOrder(t, "a→b", gotB(), n)
	checkOrder(t, "b→a", gotA(), n)
}

func TestChannelBothWays(t *testing.T) {
	a, b := channelPair(t, nil, nil)
	exchange(t, a, b, 10, 10*time.Second)
}

func TestChannelThousand(t *testing.T) {
	a, b := channelPair(t, nil, nil)
	exchange(t, a, b, 1000, 60*time.Second)
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestChannelLossy(t *testing.T) {
	da, db := &lossy{n: 11}, &lossy{n: 13}
	a, b := channelPair(t, da, db)
	// 150 each way is ~25 drops, retransmissions and proofs included.
	// The reference's timeouts bottom out at 25 ms on an in-memory link,
	// so a long scheduler stall (-race, every package testing at once on
	// two cores) can exhaust a message's five tries; fewer messages keep
	// that rare without changing what is tested.
	exchange(t, a, b, 150, 60*time.Second)
	if da.count.Load() < 11 || db.count.Load() < 13 {
		t.Fatalf("nothing dropped: %d %d", da.count.Load(), db.count.Load())
	}
}

func TestChannelSendErrors(t *testing.T) {
	a, _ := channelPair(t, nil, nil)
	if err := a.Send(channel.MsgTypeStream, nil); !errors.Is(err, channel.ErrReservedType) {
		t.Fatalf("reserved type: %v", err)
	}
	if err := a.Send(1, make([]byte, a.MDU()+1)); !errors.Is(err, channel.ErrMessageTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if err := a.Send(1, make([]byte, a.MDU())); err != nil {
		t.Fatalf("MDU-sized message: %v", err)
	}
	a.Close()
	if err := a.Send(1, nil); !errors.Is(err, channel.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestChannelDeliveryFailed(t *testing.T) {
	drop := &lossy{n: 1} // drops everything towards b once on
	a, _ := channelPair(t, nil, drop)
	if err := a.Send(1, []byte("lost")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("channel did not fail")
	}
	if err := a.Err(); !errors.Is(err, channel.ErrDeliveryFailed) {
		t.Fatalf("Err = %v", err)
	}
	select {
	case <-a.Link().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("link not torn down")
	}
	if err := a.Send(1, nil); !errors.Is(err, channel.ErrDeliveryFailed) {
		t.Fatalf("Send after failure: %v", err)
	}
}

func TestBufferMegabyte(t *testing.T) {
	a, b := channelPair(t, nil, nil)
	data := make([]byte, 1<<20)
	rand.Read(data)
	r := channel.NewReader(b, 7)
	other := channel.NewReader(b, 8) // another stream sees nothing
	errc := make(chan error, 1)
	go func() {
		w := channel.NewWriter(a, 7)
		// Uneven writes exercise chunking across Write calls.
		for off := 0; off < len(data); {
			n := min(len(data)-off, 3000+off%7777)
			if _, err := w.Write(data[off : off+n]); err != nil {
				errc <- err
				return
			}
			off += n
		}
		errc <- w.Close()
	}()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) {
		t.Fatalf("read %d bytes, want %d", n, len(data))
	}
	if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("SHA-256 differs")
	}
	b.Close()
	if _, err := other.Read(make([]byte, 1)); !errors.Is(err, channel.ErrClosed) {
		t.Fatalf("unfinished stream after close: %v", err)
	}
}

// TestStateAndProved: the snapshot follows sends and proofs.
func TestStateAndProved(t *testing.T) {
	a, b := channelPair(t, nil, nil)
	if s := a.State(); s.NextSequence != 0 || s.Outstanding != 0 {
		t.Fatalf("fresh state %+v", s)
	}
	got, done := collect(b, 0x0101, 1)
	o, err := a.SendMessage(0x0101, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("not delivered")
	}
	_ = got
	deadline := time.Now().Add(10 * time.Second)
	select {
	case <-o.Done():
	case <-time.After(time.Until(deadline)):
		t.Fatalf("sequence 0 never proved: %+v", a.State())
	}
	if !o.Delivered() || o.Tries() != 1 || o.Sequence() != 0 {
		t.Fatalf("outgoing: delivered %v, tries %d, sequence %d", o.Delivered(), o.Tries(), o.Sequence())
	}
	if s := a.State(); s.NextSequence != 1 || s.Outstanding != 0 || len(s.Unproven) != 0 {
		t.Fatalf("state after proof %+v", s)
	}
	if s := b.State(); s.NextRx != 1 {
		t.Fatalf("receiver state %+v", s)
	}

	// Injected envelopes are reordered and deduplicated like received ones.
	got2, done2 := collect(b, 0x0202, 3)
	for i, seq := range []uint16{3, 2, 3, 1} {
		raw, err := (&channel.Envelope{MsgType: 0x0202, Sequence: seq, Data: []byte{byte(seq)}}).Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Inject(raw)
		if i == 0 {
			if s := b.State(); s.RxPending != 1 {
				t.Fatalf("pending after %d: %+v", seq, s)
			}
		}
	}
	select {
	case <-done2:
	case <-time.After(10 * time.Second):
		t.Fatal("injected messages not delivered")
	}
	if g := got2(); len(g) != 3 || g[0][0] != 1 || g[1][0] != 2 || g[2][0] != 3 {
		t.Fatalf("injected delivery %v", g)
	}
}
