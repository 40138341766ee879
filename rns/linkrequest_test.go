package rns_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestLinkRequestHandler: a destination registered through the node hands
// link requests to a link.Listener and still receives its own DATA.
func TestLinkRequestHandler(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pair(t, a, b)

	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.NewDestination(id, rns.In, wire.Single, "mehrtest", "links")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	ln := link.NewListener(a.Transport(), id, d.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { got <- append([]byte(nil), pt...) },
	})
	defer ln.Close()
	d.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = ln.HandleRequest(p) })
	if err := d.Announce(nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.AwaitPath(ctx, d.Hash()); err != nil {
		t.Fatal(err)
	}
	l, err := link.Establish(ctx, b.Transport(), id, d.Hash(), link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Wait()
	defer l.Close()
	// Close the listener's end too, rather than racing the peer's close
	// against the nodes shutting down.
	al, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer al.Wait()
	defer al.Close()
	if _, err := l.Send([]byte("over the link")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if string(p) != "over the link" {
			t.Fatalf("got %q", p)
		}
	case <-ctx.Done():
		t.Fatal("no link data")
	}
}
