package mgmt_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/mgmt"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// managed starts a transport node with remote management for allowed and
// a plain node joined to it, and returns the plain node with the
// management destination's hash.
func managed(t *testing.T, allowed ...*identity.Identity) (*rns.Node, *mgmt.Remote) {
	t.Helper()
	a, err := rns.NewNode(rns.Options{TransportEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var hashes [][identity.HashLen]byte
	for _, id := range allowed {
		hashes = append(hashes, id.Hash())
	}
	r, err := mgmt.EnableRemote(a, mgmt.NewView(a), hashes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "to b"}, ifacetest.Config{Name: "to a"})
	if _, err := a.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	return b, r
}

// manage opens a link from b to the management destination, identified
// as who unless who is nil.
func manage(t *testing.T, ctx context.Context, b *rns.Node, r *mgmt.Remote, who *identity.Identity) (*link.Link, *request.Mux) {
	t.Helper()
	h := r.Destination().Hash()
	if err := b.AwaitPath(ctx, h); err != nil {
		t.Fatal(err)
	}
	pub, _, ok := b.Transport().Recall(h)
	if !ok {
		t.Fatal("management identity not known")
	}
	mux := &request.Mux{}
	var cfg link.Config
	mux.Install(&cfg)
	l, err := link.Establish(ctx, b.Transport(), pub, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); l.Wait() })
	if who != nil {
		if err := l.Identify(who); err != nil {
			t.Fatal(err)
		}
	}
	return l, mux
}

// TestRemoteManagement: an allowed identity gets /status and /path
// answers with the RPC's dicts; the routes are ALLOW_LIST with the
// configured list, and the destination is a management destination.
func TestRemoteManagement(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // first registered, so it runs after the nodes close
	admin, _ := identity.Generate(nil)
	b, r := managed(t, admin)

	ih := r.Destination().Identity.Hash()
	want, err := dest.Hash((*wire.Hash)(&ih), mgmt.AppName, mgmt.RemoteAspects...)
	if err != nil || r.Destination().Hash() != want {
		t.Fatalf("destination %x, want %x (%v)", r.Destination().Hash(), want, err)
	}
	routes := r.Routes()
	if len(routes) != 2 || routes[0].Path != mgmt.StatusPath || routes[1].Path != mgmt.PathPath {
		t.Fatalf("routes %+v", routes)
	}
	for _, rt := range routes {
		if rt.Policy != request.AllowList || len(rt.Allowed) != 1 || rt.Allowed[0] != admin.Hash() || rt.PathHash != dest.PathHash(rt.Path) {
			t.Errorf("route %+v", rt)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, mux := manage(t, ctx, b, r, admin)
	v, err := mux.Do(ctx, l, mgmt.StatusPath, []any{true})
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := v.([]any)
	if !ok || len(resp) != 2 {
		t.Fatalf("/status answered %#v", v)
	}
	stats, ok := resp[0].(msgpack.Map)
	if !ok {
		t.Fatalf("/status stats %T", resp[0])
	}
	if ifs, _ := stats.Get("interfaces"); ifs == nil || len(ifs.([]any)) != 1 {
		t.Errorf("stats interfaces %#v", ifs)
	}
	if n, ok := resp[1].(int64); !ok || n < 0 {
		t.Errorf("link count %#v", resp[1])
	}

	v, err = mux.Do(ctx, l, mgmt.PathPath, []any{"table", nil, nil})
	if err != nil {
		t.Fatal(err)
	}
	table, ok := v.([]any)
	if !ok {
		t.Fatalf("/path table %#v", v)
	}
	// The table filtered to one destination: b is known to a only as a
	// link peer, so ask for a destination that is certainly absent.
	v, err = mux.Do(ctx, l, mgmt.PathPath, []any{"table", make([]byte, 16)})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := v.([]any); !ok || len(f) != 0 || len(f) > len(table) {
		t.Errorf("filtered table %#v", v)
	}
	if v, err = mux.Do(ctx, l, mgmt.PathPath, []any{"rates"}); err != nil {
		t.Fatal(err)
	} else if _, ok := v.([]any); !ok {
		t.Errorf("rates %#v", v)
	}
	// An unknown command gets no response at all, as the reference sends
	// none for a handler's None.
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if v, err = mux.Do(short, l, mgmt.PathPath, []any{"nonsense"}); !errors.Is(err, request.ErrTimeout) {
		t.Errorf("unknown command answered %#v, %v", v, err)
	}
}

// TestRemoteManagementRefuses: an identity not on the list, and a peer
// that never identified, get no answer.
func TestRemoteManagementRefuses(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // first registered, so it runs after the nodes close
	admin, _ := identity.Generate(nil)
	stranger, _ := identity.Generate(nil)
	b, r := managed(t, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, who := range []*identity.Identity{stranger, nil} {
		l, mux := manage(t, ctx, b, r, who)
		short, stop := context.WithTimeout(ctx, 700*time.Millisecond)
		_, err := mux.Do(short, l, mgmt.StatusPath, []any{false})
		stop()
		if err == nil || !(errors.Is(err, request.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)) {
			t.Errorf("identified as %v: got %v, want no answer", who != nil, err)
		}
	}
}
