package channel_test

import (
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/link/resource"
)

// These tests pin behaviours of the reference's RNS.Channel and
// RNS.Buffer that the runtime mirrors (the conformance suite's
// test_channel*.py and test_buffer_stream.py check them on the wire).

func envelope(t *testing.T, mt, seq uint16, data []byte) []byte {
	t.Helper()
	raw, err := (&channel.Envelope{MsgType: mt, Sequence: seq, Data: data}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// recorder is a handler chain entry that records what it sees.
type recorder struct {
	mu  sync.Mutex
	got [][]byte
}

func (r *recorder) handle(m *channel.Message) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m.Data)
	return true
}

func (r *recorder) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.got
	r.got = nil
	return g
}

func TestUnregisteredTypeDoesNotAdvance(t *testing.T) {
	_, b := channelPair(t, nil, nil)
	rec := &recorder{}
	if err := b.Register(0x0101); err != nil {
		t.Fatal(err)
	}
	b.AddHandler(rec.handle)
	b.Inject(envelope(t, 0x0202, 0, []byte("unregistered")))
	b.Sync()
	if g := rec.take(); len(g) != 0 {
		t.Fatalf("unregistered type delivered: %q", g)
	}
	if s := b.State(); s.NextRx != 0 || s.RxPending != 0 {
		t.Fatalf("unregistered type moved the receive state: %+v", s)
	}
	b.Inject(envelope(t, 0x0101, 0, []byte("registered")))
	b.Sync()
	if g := rec.take(); len(g) != 1 || string(g[0]) != "registered" {
		t.Fatalf("registered envelope at the same sequence: %q", g)
	}
	if s := b.State(); s.NextRx != 1 {
		t.Fatalf("NextRx = %d, want 1", s.NextRx)
	}
	// A wrong length field is ignored; a truncated envelope is dropped.
	raw := envelope(t, 0x0101, 1, []byte("length-mismatch!"))
	raw[5] = 1
	b.Inject(raw)
	b.Inject([]byte{1, 2, 3})
	b.Sync()
	if g := rec.take(); len(g) != 1 || string(g[0]) != "length-mismatch!" {
		t.Fatalf("wrong-length envelope: %q", g)
	}
	if err := b.Register(channel.MsgTypeReserved); !errors.Is(err, channel.ErrReservedType) {
		t.Fatalf("Register(0xF000) = %v", err)
	}
}

func TestHandlerChain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string
		want  []int
	}{
		{"all false", []string{"false", "false"}, []int{0, 1}},
		{"true stops", []string{"true", "false"}, []int{0}},
		{"panic continues", []string{"panic", "false"}, []int{0, 1}},
		{"stops in the middle", []string{"false", "true", "false"}, []int{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, b := channelPair(t, nil, nil)
			if err := b.Register(0x0707); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var log []int
			for i, spec := range tc.specs {
				b.AddHandler(func(*channel.Message) bool {
					mu.Lock()
					log = append(log, i)
					mu.Unlock()
					if spec == "panic" {
						panic("deliberate")
					}
					return spec == "true"
				})
			}
			b.Inject(envelope(t, 0x0707, 0, []byte("probe")))
			b.Sync()
			mu.Lock()
			defer mu.Unlock()
			if !equalInts(log, tc.want) {
				t.Fatalf("log %v, want %v", log, tc.want)
			}
			if s := b.State(); s.NextRx != 1 || s.Handlers != len(tc.specs) {
				t.Fatalf("state %+v", s)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStreamBombBound(t *testing.T) {
	_, b := channelPair(t, nil, nil)
	r := channel.NewReader(b, 0)
	var drops atomic.Int32
	b.OnDrop(func(mt uint16, err error) {
		if mt == channel.MsgTypeStream && errors.Is(err, channel.ErrStreamTooLarge) {
			drops.Add(1)
		}
	})
	stream := func(seq uint16, n int) []byte {
		z, err := resource.Compress(make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		m := channel.StreamMessage{EOF: true, Compressed: true, Data: z}
		sm, err := m.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		return envelope(t, channel.MsgTypeStream, seq, sm)
	}
	b.Inject(stream(0, channel.MaxChunkLen+1))
	if drops.Load() != 1 || b.State().NextRx != 0 {
		t.Fatalf("over-bound chunk: drops %d, state %+v", drops.Load(), b.State())
	}
	b.Inject(stream(0, channel.MaxChunkLen))
	buf := make([]byte, 2*channel.MaxChunkLen)
	n := 0
	for {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			break
		}
	}
	if n != channel.MaxChunkLen || b.State().NextRx != 1 {
		t.Fatalf("chunk at the bound: read %d, state %+v", n, b.State())
	}
}

func TestWriterChunking(t *testing.T) {
	a, b := channelPair(t, nil, nil)
	_ = channel.NewReader(b, 3)
	w := channel.NewWriter(a, 3)
	random := make([]byte, 1000)
	rand.Read(random)
	var chunks []channel.Chunk
	for rest := random; len(rest) > 0; {
		ch, err := w.WriteChunk(rest, false)
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, ch)
		rest = rest[ch.Consumed:]
	}
	if len(chunks) != 3 {
		t.Fatalf("1000 random bytes in %d chunks, want 3", len(chunks))
	}
	for i, ch := range chunks {
		if ch.Compressed || ch.Len > channel.MaxStreamData || ch.Len != ch.Consumed ||
			ch.Msg.Sequence() != chunks[0].Msg.Sequence()+uint16(i) {
			t.Fatalf("chunk %d: %+v", i, ch)
		}
	}
	ch, err := w.WriteChunk(make([]byte, 1000), false)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Compressed || ch.Consumed != 1000 || ch.Len >= 1000 {
		t.Fatalf("1000 zero bytes: %+v", ch)
	}
	if channel.MaxStreamData != 423 {
		t.Fatalf("MaxStreamData = %d, want 423", channel.MaxStreamData)
	}
}

// shapedOutlet fails the next send, or hands out receipts that never
// prove, on request.
type shapedOutlet struct {
	channel.Outlet
	failNext atomic.Bool
	noProofs atomic.Bool
}

func (o *shapedOutlet) Send(raw []byte) (channel.Receipt, error) {
	if o.failNext.CompareAndSwap(true, false) {
		return nil, nil
	}
	r, err := o.Outlet.Send(raw)
	if err != nil || !o.noProofs.Load() {
		return r, err
	}
	return neverProved{r}, nil
}

type neverProved struct{ channel.Receipt }

func (neverProved) Delivered() bool { return false }

func TestOutletFailureGivesSequenceBack(t *testing.T) {
	var out *shapedOutlet
	a, _ := channelPairWith(t, nil, nil, func(o channel.Outlet) channel.Outlet {
		out = &shapedOutlet{Outlet: o}
		return out
	})
	out.failNext.Store(true)
	if _, err := a.SendMessage(1, []byte("x")); !errors.Is(err, channel.ErrNotSent) {
		t.Fatalf("send through a failing outlet: %v", err)
	}
	if s := a.State(); s.NextSequence != 0 || s.Outstanding != 0 {
		t.Fatalf("state after the failed send %+v", s)
	}
	o, err := a.SendMessage(1, []byte("y"))
	if err != nil || o.Sequence() != 0 {
		t.Fatalf("next send: %v, %v", o, err)
	}
}

func TestRetransmissionTeardown(t *testing.T) {
	var out *shapedOutlet
	a, _ := channelPairWith(t, nil, nil, func(o channel.Outlet) channel.Outlet {
		out = &shapedOutlet{Outlet: o}
		return out
	})
	a.Handle(1, func([]byte) {})
	for range 3 {
		o, err := a.SendMessage(1, []byte("warm"))
		if err != nil {
			t.Fatal(err)
		}
		<-o.Done()
	}
	if s := a.State(); s.Window.Size != 5 || s.Window.Max != 5 {
		t.Fatalf("window after 3 proofs %+v", s.Window)
	}
	out.noProofs.Store(true)
	o, err := a.SendMessage(1, []byte("lost"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-o.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("message never given up")
	}
	// The link is torn down before the message is given up.
	if st := a.Link().Status(); st != link.StatusClosed {
		t.Fatalf("link status %v when the message was given up", st)
	}
	if o.Delivered() || o.Tries() != channel.MaxTries || !errors.Is(a.Err(), channel.ErrDeliveryFailed) {
		t.Fatalf("delivered %v, tries %d, err %v", o.Delivered(), o.Tries(), a.Err())
	}
	s := a.State()
	if s.Window.Size != 2 || s.Window.Max != 5 || s.Outstanding != 0 || s.RxPending != 0 || s.Handlers != 0 {
		t.Fatalf("state after teardown %+v", s)
	}
}

// doneReceipt is a proved receipt of no packet the channel sent.
type doneReceipt struct{ done chan struct{} }

func (r doneReceipt) Done() <-chan struct{} { return r.done }
func (doneReceipt) Delivered() bool         { return true }

func TestSpuriousProofAndTimeout(t *testing.T) {
	a, _ := channelPair(t, nil, nil)
	o, err := a.SendMessage(1, []byte("genuine"))
	if err != nil {
		t.Fatal(err)
	}
	<-o.Done()
	before := a.State()
	if before.Outstanding != 0 || before.Window.Size != 3 {
		t.Fatalf("after one proof %+v", before)
	}
	r := o.Receipt()
	a.HandleProof(r)
	a.HandleTimeout(r)
	u := doneReceipt{make(chan struct{})}
	close(u.done)
	a.HandleTimeout(u)
	a.HandleProof(u)
	after := a.State()
	if after.Window != before.Window || after.Outstanding != 0 || a.Err() != nil {
		t.Fatalf("spurious callbacks changed the state: %+v -> %+v (%v)", before, after, a.Err())
	}
}

func TestWindowProfileAndTimeout(t *testing.T) {
	for _, tc := range []struct {
		rtt  time.Duration
		want channel.Window
	}{
		{500 * time.Millisecond, channel.Window{Size: 2, Min: 2, Max: 5, Flexibility: 4}},
		{channel.RTTSlow, channel.Window{Size: 2, Min: 2, Max: 5, Flexibility: 4}},
		{channel.RTTSlow + time.Millisecond, channel.Window{Size: 1, Min: 1, Max: 1, Flexibility: 1}},
	} {
		if w := channel.NewWindow(tc.rtt); w != tc.want {
			t.Errorf("NewWindow(%v) = %+v, want %+v", tc.rtt, w, tc.want)
		}
	}
	for _, tc := range []struct {
		tries, depth int
		rtt          time.Duration
		want         time.Duration
	}{
		{1, 0, time.Millisecond, 37500 * time.Microsecond},   // the 25 ms floor
		{1, 0, 20 * time.Millisecond, 75 * time.Millisecond}, // rtt × 2.5
		{5, 4, 500 * time.Millisecond, 34804687500 * time.Nanosecond},
	} {
		if got := channel.PacketTimeout(tc.tries, tc.rtt, tc.depth); got != tc.want {
			t.Errorf("PacketTimeout(%d, %v, %d) = %v, want %v", tc.tries, tc.rtt, tc.depth, got, tc.want)
		}
	}
	// Medium RTT: ten deliveries raise the limits to the medium class.
	w := channel.NewWindow(500 * time.Millisecond)
	for i := 1; i <= channel.FastRateThreshold; i++ {
		w.Delivered(500 * time.Millisecond)
		if i < channel.FastRateThreshold && w.Max != channel.WindowMaxSlow {
			t.Fatalf("promoted after %d rounds", i)
		}
	}
	if w.Max != channel.WindowMaxMedium || w.Min != channel.WindowMinLimitMedium || w.MediumRounds != 10 || w.FastRounds != 0 {
		t.Fatalf("after ten medium rounds %+v", w)
	}
}
