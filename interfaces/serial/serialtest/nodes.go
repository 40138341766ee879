package serialtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// RunNodes attaches one interface to each of two nodes, has both announce
// a destination and learn a path to the other's, opens a link from b to
// a and sends data both ways over it; every interface must count traffic
// both ways and no drops. aspect names the test destinations.
func RunNodes(t *testing.T, ia, ib iface.Interface, aspect string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var nodes [2]*rns.Node
	for i, in := range []iface.Interface{ia, ib} {
		n, err := rns.NewNode(rns.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if _, err := n.AddInterface(in, transport.InterfaceOptions{}); err != nil {
			t.Fatal(err)
		}
		nodes[i] = n
	}
	a, b := nodes[0], nodes[1]

	ida, _ := identity.Generate(rand.Reader)
	da, err := a.NewDestination(ida, rns.In, wire.Single, "mehrtest", aspect, "a")
	if err != nil {
		t.Fatal(err)
	}
	atA := make(chan []byte, 1)
	ln := link.NewListener(a.Transport(), ida, da.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { atA <- bytes.Clone(pt) },
	})
	defer ln.Close()
	da.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = ln.HandleRequest(p) })
	idb, _ := identity.Generate(rand.Reader)
	db, err := b.NewDestination(idb, rns.In, wire.Single, "mehrtest", aspect, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := da.Announce([]byte("node a")); err != nil {
		t.Fatal(err)
	}
	if err := db.Announce([]byte("node b")); err != nil {
		t.Fatal(err)
	}
	if err := b.AwaitPath(ctx, da.Hash()); err != nil {
		t.Fatalf("b found no path to a: %v", err)
	}
	if err := a.AwaitPath(ctx, db.Hash()); err != nil {
		t.Fatalf("a found no path to b: %v", err)
	}
	if id, _, ok := b.Recall(da.Hash()); !ok || id.Hash() != ida.Hash() {
		t.Fatal("b does not know a's identity from its announce")
	}

	atB := make(chan []byte, 1)
	l, err := link.Establish(ctx, b.Transport(), ida, da.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { atB <- bytes.Clone(pt) },
	})
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	defer l.Wait()
	defer l.Close()
	al, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer al.Wait()
	defer al.Close()
	for _, c := range []struct {
		from *link.Link
		to   chan []byte
		msg  string
	}{{l, atA, "b to a over the link"}, {al, atB, "a to b over the link"}} {
		if _, err := c.from.Send([]byte(c.msg)); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-c.to:
			if string(got) != c.msg {
				t.Fatalf("got %q, want %q", got, c.msg)
			}
		case <-ctx.Done():
			t.Fatalf("%q never arrived", c.msg)
		}
	}
	for _, in := range []iface.Interface{ia, ib} {
		if st := in.(iface.Stats).Counters(); st.RxPackets == 0 || st.TxPackets == 0 || st.Dropped != 0 {
			t.Errorf("%s: %+v", in.Name(), st)
		}
	}
}
