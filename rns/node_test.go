package rns_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

func pair(t *testing.T, a, b *rns.Node) {
	t.Helper()
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "b"}, ifacetest.Config{Name: "a"})
	if _, err := a.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestProbeAndData: a node with respond_to_probes proves probes from a
// peer that found it by path request, and an application destination
// receives data and proves it.
func TestProbeAndData(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, err := rns.NewNode(rns.Options{StorageDir: t.TempDir(), TransportEnabled: true, RespondToProbes: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := rns.NewNode(rns.Options{StorageDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pair(t, a, b)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	probeHash := a.ProbeDestination().Hash()
	if err := b.AwaitPath(ctx, probeHash); err != nil {
		t.Fatalf("no path to the probe responder: %v", err)
	}
	id, _, ok := b.Transport().Recall(probeHash)
	if !ok {
		t.Fatal("probe responder identity unknown")
	}
	probe, err := b.NewDestination(id, rns.Out, wire.Single, "rnstransport", "probe")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r, err := probe.Send([]byte{byte(i), 1, 2, 3}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-r.Done():
			if !r.Proved() {
				t.Fatalf("probe %d not proved", i)
			}
		case <-ctx.Done():
			t.Fatalf("probe %d: no reply", i)
		}
	}

	appID, _ := identity.Generate(nil)
	inbound, err := a.NewDestination(appID, rns.In, wire.Single, "mehrtest", "data")
	if err != nil {
		t.Fatal(err)
	}
	inbound.SetProofStrategy(rns.ProveAll)
	got := make(chan string, 1)
	inbound.SetPacketCallback(func(data []byte, p *transport.Packet) { got <- string(data) })
	inbound.SetDefaultAppData([]byte("hi"))
	if err := inbound.Announce(nil); err != nil {
		t.Fatal(err)
	}
	if err := b.AwaitPath(ctx, inbound.Hash()); err != nil {
		t.Fatal(err)
	}
	pub, app, _ := b.Transport().Recall(inbound.Hash())
	if string(app) != "hi" {
		t.Errorf("app data %q", app)
	}
	out, err := b.NewDestination(pub, rns.Out, wire.Single, "mehrtest", "data")
	if err != nil {
		t.Fatal(err)
	}
	r, err := out.Send([]byte("hello a"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "hello a" {
			t.Fatalf("got %q", s)
		}
	case <-ctx.Done():
		t.Fatal("data not delivered")
	}
	select {
	case <-r.Done():
		if !r.Proved() {
			t.Fatal("data not proved")
		}
	case <-ctx.Done():
		t.Fatal("no proof")
	}
	a.Close()
	b.Close()
}

// TestProofStrategyValues: the strategies carry the reference's values, a
// new destination proves nothing, and other values are refused.
func TestProofStrategyValues(t *testing.T) {
	if rns.ProveNone != 0x21 || rns.ProveApp != 0x22 || rns.ProveAll != 0x23 {
		t.Fatal("proof strategy values differ from RNS.Destination's")
	}
	n, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id, _ := identity.Generate(nil)
	d, err := n.NewDestination(id, rns.In, wire.Single, "prooftest", "x")
	if err != nil {
		t.Fatal(err)
	}
	if d.ProofStrategy() != rns.ProveNone {
		t.Errorf("default %#x", d.ProofStrategy())
	}
	if err := d.SetProofStrategy(0x99); !errors.Is(err, rns.ErrProofStrategy) || d.ProofStrategy() != rns.ProveNone {
		t.Errorf("0x99: %v, now %#x", err, d.ProofStrategy())
	}
	if err := d.SetProofStrategy(rns.ProveAll); err != nil || d.ProofStrategy() != rns.ProveAll {
		t.Errorf("ProveAll: %v", err)
	}
}

// TestDefaultAppData: announces given no app data carry the default, a
// bytes value or what a function returns; explicit app data wins.
func TestDefaultAppData(t *testing.T) {
	n, err := rns.NewNode(rns.Options{NoJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id, _ := identity.Generate(nil)
	d, err := n.NewDestination(id, rns.In, wire.Single, "defaultapp", "x")
	if err != nil {
		t.Fatal(err)
	}
	appData := func(explicit []byte) string {
		t.Helper()
		raw, err := d.AnnouncePacket(explicit)
		if err != nil {
			t.Fatal(err)
		}
		var p wire.Packet
		if err := p.Decode(raw); err != nil {
			t.Fatal(err)
		}
		a, err := announce.Validate(&p)
		if err != nil {
			t.Fatal(err)
		}
		return string(a.AppData)
	}
	if d.HasDefaultAppData() || appData(nil) != "" {
		t.Error("no default: want empty app data")
	}
	d.SetDefaultAppData([]byte("bytes"))
	if !d.HasDefaultAppData() || appData(nil) != "bytes" || appData([]byte("explicit")) != "explicit" {
		t.Error("bytes default")
	}
	calls := 0
	d.SetDefaultAppDataFunc(func() []byte { calls++; return []byte("func") })
	if appData(nil) != "func" || calls != 1 {
		t.Error("func default")
	}
}

// TestPathResponseTagCache: the announce answering a path request tag is
// reused for that tag within PathResponseTagWindow and rebuilt after it.
func TestPathResponseTagCache(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	n, err := rns.NewNode(rns.Options{NoJobs: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id, _ := identity.Generate(nil)
	d, err := n.NewDestination(id, rns.In, wire.Single, "prcache", "x")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := d.PathResponse([]byte("tag1"))
	b, _ := d.PathResponse([]byte("tag1"))
	c, _ := d.PathResponse([]byte("tag2"))
	if string(a) != string(b) || string(a) == string(c) || d.CachedPathResponses() != 2 {
		t.Fatalf("same tag not reused or other tag reused (%d cached)", d.CachedPathResponses())
	}
	now = now.Add(rns.PathResponseTagWindow + time.Second)
	e, _ := d.PathResponse([]byte("tag1"))
	if string(e) == string(a) || d.CachedPathResponses() != 1 {
		t.Fatalf("expired entry reused (%d cached)", d.CachedPathResponses())
	}
}

// TestExplicitProofs: with ExplicitProofs (use_implicit_proof = No) a
// node's destinations prove with the packet hash and the signature, and
// the sender's receipt still validates them.
func TestExplicitProofs(t *testing.T) {
	defer testutil.LeakCheck(t)()
	for _, explicit := range []bool{false, true} {
		a, err := rns.NewNode(rns.Options{TransportEnabled: true, RespondToProbes: true, ExplicitProofs: explicit})
		if err != nil {
			t.Fatal(err)
		}
		b, err := rns.NewNode(rns.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Transport().ImplicitProofs() == explicit {
			t.Fatalf("ImplicitProofs() = %v with ExplicitProofs %v", a.Transport().ImplicitProofs(), explicit)
		}
		// Switching at run time and back leaves the configured form.
		a.Transport().SetImplicitProofs(explicit)
		if a.Transport().ImplicitProofs() != explicit {
			t.Fatal("SetImplicitProofs had no effect")
		}
		a.Transport().SetImplicitProofs(!explicit)
		proofLens := make(chan int, 16)
		pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "b"}, ifacetest.Config{Name: "a", Drop: func(raw []byte) bool {
			var p wire.Packet
			if p.Decode(raw) == nil && p.PacketType == wire.Proof {
				select {
				case proofLens <- len(p.Data):
				default:
				}
			}
			return false
		}})
		if _, err := a.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		probeHash := a.ProbeDestination().Hash()
		if err := b.AwaitPath(ctx, probeHash); err != nil {
			t.Fatal(err)
		}
		id, _, _ := b.Transport().Recall(probeHash)
		probe, err := b.NewDestination(id, rns.Out, wire.Single, "rnstransport", "probe")
		if err != nil {
			t.Fatal(err)
		}
		r, err := probe.Send([]byte("probe"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-r.Done():
			if !r.Proved() {
				t.Fatalf("explicit=%v: probe not proved", explicit)
			}
		case <-ctx.Done():
			t.Fatalf("explicit=%v: no proof", explicit)
		}
		want := identity.SigLen
		if explicit {
			want += wire.FullHashLen
		}
		if n := <-proofLens; n != want {
			t.Errorf("explicit=%v: proof payload of %d bytes, want %d", explicit, n, want)
		}
		cancel()
		a.Close()
		b.Close()
	}
}

// TestBlackholePersists: a node's own blackhole entries survive a
// restart; expired ones do not come back.
func TestBlackholePersists(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	a, err := rns.NewNode(rns.Options{StorageDir: dir, TransportEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	live, gone := wire.Hash{1}, wire.Hash{2}
	a.Transport().Blackhole(live, time.Now().Add(time.Hour), "spam")
	a.Transport().Blackhole(gone, time.Now().Add(-time.Hour), "")
	a.Transport().Blackhole(wire.Hash{3}, time.Time{}, "")
	a.Transport().Unblackhole(wire.Hash{3})
	a.Close()

	b, err := rns.NewNode(rns.Options{StorageDir: dir, TransportEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bh := b.Transport().Blackholed()
	if e, ok := bh[live]; !ok || e.Reason != "spam" || e.Source != b.Transport().ID() {
		t.Errorf("live entry %+v %v", e, ok)
	}
	if _, ok := bh[gone]; ok {
		t.Error("expired entry reloaded")
	}
	if len(bh) != 1 {
		t.Errorf("%d entries", len(bh))
	}
}
