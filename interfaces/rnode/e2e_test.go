//go:build linux

package rnode_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestNodesOverSimulatedRadios: two nodes, each with an RNode driver on a
// simulated radio (a pseudo-terminal opened through the serial library),
// exchange an announce, establish a link and carry data over it in both
// directions, every packet taking its LoRa airtime (SF7 at 500 kHz).
// Collisions are off: the nodes' retries would recover from them, but
// the test is about the driver, not about a busy channel.
func TestNodesOverSimulatedRadios(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch := sim.NewChannel(false)
	var nodes [2]*rns.Node
	var drivers [2]*rnode.Interface
	for k, name := range []string{"a", "b"} {
		term := openTerminal(t, ch, name)
		cfg := testConfig(t, name)
		cfg.Port = term.Path
		d, err := rnode.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		n, err := rns.NewNode(rns.Options{})
		if err != nil {
			d.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			n.Close()
			d.Close()
		})
		if _, err := n.AddInterface(d, transport.InterfaceOptions{}); err != nil {
			t.Fatal(err)
		}
		nodes[k], drivers[k] = n, d
	}
	a, b := nodes[0], nodes[1]

	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.NewDestination(id, rns.In, wire.Single, "mehrtest", "lora")
	if err != nil {
		t.Fatal(err)
	}
	atA := make(chan []byte, 1)
	atB := make(chan []byte, 1)
	ln := link.NewListener(a.Transport(), id, d.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { atA <- append([]byte(nil), pt...) },
	})
	defer ln.Close()
	d.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = ln.HandleRequest(p) })
	if err := d.Announce(nil); err != nil {
		t.Fatal(err)
	}
	if err := b.AwaitPath(ctx, d.Hash()); err != nil {
		t.Fatalf("no path over the radios: %v", err)
	}
	l, err := link.Establish(ctx, b.Transport(), id, d.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { atB <- append([]byte(nil), pt...) },
	})
	if err != nil {
		t.Fatalf("link over the radios: %v", err)
	}
	defer l.Wait()
	defer l.Close()
	al, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer al.Wait()
	defer al.Close()

	if _, err := l.Send([]byte("over LoRa")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-atA:
		if string(p) != "over LoRa" {
			t.Fatalf("got %q", p)
		}
	case <-ctx.Done():
		t.Fatal("no link data at a")
	}
	if _, err := al.Send([]byte("and back")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-atB:
		if string(p) != "and back" {
			t.Fatalf("got %q", p)
		}
	case <-ctx.Done():
		t.Fatal("no link data at b")
	}
	for k, dr := range drivers {
		s := dr.Stats()
		if s.RxPackets == 0 || s.TxPackets == 0 {
			t.Errorf("driver %d: %+v", k, s)
		}
		if st := dr.DeviceState(); !st.Has(rnode.FieldRSSI | rnode.FieldSNR) {
			t.Errorf("driver %d: no signal reports", k)
		}
	}
}
