package transport_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// discard is an interface that counts what is sent and never receives.
type discard struct {
	name   string
	sent   atomic.Uint64
	closed chan struct{}
}

func newDiscard(name string) *discard { return &discard{name: name, closed: make(chan struct{})} }

func (d *discard) Name() string      { return d.name }
func (d *discard) MTU() int          { return wire.MTU }
func (d *discard) Bitrate() int64    { return 1_000_000_000 }
func (d *discard) Mode() iface.Mode  { return iface.ModeFull }
func (d *discard) Send([]byte) error { d.sent.Add(1); return nil }
func (d *discard) Receive([]byte) (int, error) {
	<-d.closed
	return 0, net.ErrClosed
}
func (d *discard) Close() error {
	select {
	case <-d.closed:
	default:
		close(d.closed)
	}
	return nil
}

// relay is a transport node with two interfaces and a link in its link
// table from a to b.
type relay struct {
	t      *transport.Transport
	a, b   *transport.Iface
	db     *discard
	linkID wire.Hash
	hops   uint8 // raw hops byte of packets arriving from a
}

func newRelay(tb testing.TB) *relay { return newRelayAt(tb, nil) }

// newRelayAt builds the relay with the given clock (nil: real time).
func newRelayAt(tb testing.TB, now func() time.Time) *relay {
	tb.Helper()
	id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
	tr, err := transport.New(transport.Config{Identity: id, Enabled: true, NoJobs: true, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	da, db := newDiscard("a"), newDiscard("b")
	ia, _ := tr.AddInterface(da, transport.InterfaceOptions{})
	ib, _ := tr.AddInterface(db, transport.InterfaceOptions{})

	// A destination one hop behind b.
	target := wire.Hash{0xd0}
	tr.SetPath(target, transport.PathEntry{
		Timestamp: time.Now(), NextHop: target, Hops: 1, Expires: time.Now().Add(time.Hour),
		Interface: ib, Announce: []byte{},
	})
	// A link request for it arrives from a, addressed to this node.
	lr := wire.Header{HeaderType: wire.Header2, Propagation: wire.Transport, PacketType: wire.LinkRequest,
		Hops: 2, TransportID: tr.ID(), Destination: target}
	raw := append(lr.Append(nil), bytes.Repeat([]byte{7}, wire.LinkKeysLen)...)
	linkID, err := wire.LinkID(raw)
	if err != nil {
		tb.Fatal(err)
	}
	before := db.sent.Load()
	tr.Inbound(raw, ia)
	if db.sent.Load() != before+1 {
		tb.Fatal("link request was not forwarded")
	}
	return &relay{t: tr, a: ia, b: ib, db: db, linkID: linkID, hops: 2}
}

// packet returns a 464-byte-payload link packet from a, made unique by n.
func (r *relay) packet(buf []byte, n uint64) []byte {
	h := wire.Header{DestType: wire.Link, Hops: r.hops, Destination: r.linkID}
	buf = h.Append(buf[:0])
	buf = buf[:wire.HeaderMinSize+wire.MDU]
	binary.BigEndian.PutUint64(buf[wire.HeaderMinSize:], n)
	return buf
}

// TestForwardAllocs proves that relaying a link packet allocates nothing.
func TestForwardAllocs(t *testing.T) {
	r := newRelay(t)
	buf := make([]byte, 0, wire.MTU)
	var n uint64
	before := r.db.sent.Load()
	testutil.MaxAllocs(t, 1000, 0, func() {
		n++
		r.t.Inbound(r.packet(buf, n), r.a)
	})
	if got := r.db.sent.Load() - before; got < 1000 {
		t.Fatalf("only %d of the packets were forwarded", got)
	}
}

// BenchmarkRelayLinkPacket forwards 464-byte link packets through a
// transport node's link table.
func BenchmarkRelayLinkPacket(b *testing.B) {
	r := newRelay(b)
	buf := make([]byte, 0, wire.MTU)
	var n uint64
	b.ReportAllocs()
	b.SetBytes(wire.HeaderMinSize + wire.MDU)
	before := r.db.sent.Load()
	for b.Loop() {
		n++
		r.t.Inbound(r.packet(buf, n), r.a)
	}
	if got := r.db.sent.Load() - before; got != n {
		b.Fatalf("forwarded %d of %d", got, n)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkAnnounceValidateRebroadcast measures an announce for a new
// destination arriving at a transport node: validation, path-table
// insertion and its rebroadcast.
func BenchmarkAnnounceValidateRebroadcast(b *testing.B) {
	const pool = 4096
	raws := make([][]byte, pool)
	for i := range raws {
		id, _ := identity.FromPrivateKey(append(bytes.Repeat([]byte{byte(i)}, 32), binary.BigEndian.AppendUint32(make([]byte, 28), uint32(i))...))
		d, _ := dest.New(id, dest.In, wire.Single, nil, "bench", "announce")
		raws[i], _ = announce.Append(nil, &announce.Params{Destination: d, AppData: []byte("app"),
			RandomHash: announce.RandomHash([]byte(fmt.Sprint(i)), time.Unix(1_700_000_000, 0))})
	}
	clk := newClock()
	var tr *transport.Transport
	var a, bIface *transport.Iface
	var db *discard
	reset := func() {
		if tr != nil {
			tr.Close()
		}
		id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
		tr, _ = transport.New(transport.Config{Identity: id, Enabled: true, NoJobs: true, Now: clk.Now})
		da := newDiscard("a")
		db = newDiscard("b")
		a, _ = tr.AddInterface(da, transport.InterfaceOptions{})
		bIface, _ = tr.AddInterface(db, transport.InterfaceOptions{})
	}
	reset()
	defer func() { tr.Close() }()
	_ = bIface
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == pool {
			b.StopTimer()
			reset()
			i = 0
			b.StartTimer()
		}
		tr.Inbound(append([]byte(nil), raws[i]...), a)
		clk.Advance(time.Second)
		tr.RunJobs()
		i++
	}
	b.StopTimer()
	if db.sent.Load() == 0 {
		b.Fatal("nothing was rebroadcast")
	}
}

// TestPathTableMemory measures the heap held per path-table entry at
// 100,000 entries and logs it; BenchmarkPathTableMemory reports it.
func BenchmarkPathTableMemory(b *testing.B) {
	const entries = 100_000
	for b.Loop() {
		b.StopTimer()
		id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
		tr, _ := transport.New(transport.Config{Identity: id, Enabled: true, NoJobs: true})
		in, _ := tr.AddInterface(newDiscard("a"), transport.InterfaceOptions{})
		announceRaw := make([]byte, 167) // a typical announce without app data
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		now := time.Now()
		for i := range entries {
			var h wire.Hash
			binary.BigEndian.PutUint32(h[:], uint32(i))
			tr.SetPath(h, transport.PathEntry{
				Timestamp: now, NextHop: h, Hops: 3, Expires: now.Add(time.Hour),
				RandomBlobs: [][10]byte{{1}}, Interface: in, Announce: append([]byte(nil), announceRaw...),
			})
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/entries, "B/entry")
		tr.Close()
		b.StartTimer()
	}
}
