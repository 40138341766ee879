package daemon_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// nullModem returns the device paths of two pseudo-terminals joined as
// two serial ports by a null-modem cable.
func nullModem(t *testing.T) (string, string) {
	t.Helper()
	a, b := serialtest.OpenPTY(t), serialtest.OpenPTY(t)
	serialtest.NullModem(t, a, b)
	return a.Path, b.Path
}

// daemonWith starts a daemon whose only interface is section.
func daemonWith(t *testing.T, ctx context.Context, section string) *daemon.Daemon {
	t.Helper()
	d, _ := startDaemon(t, ctx, "[reticulum]\nshare_instance = false\n\n"+section)
	t.Cleanup(func() { d.Close() })
	return d
}

// announceAndLink announces a destination on a, waits for b to learn the
// path, opens a link from b and carries a packet over it.
func announceAndLink(t *testing.T, ctx context.Context, a, b *rns.Node) {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.NewDestination(id, rns.In, wire.Single, "mehrtest", "drivers")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	ln := link.NewListener(a.Transport(), id, d.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) {
			select {
			case got <- string(pt):
			default:
			}
		},
	})
	defer ln.Close()
	d.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = ln.HandleRequest(p) })
	// The plugin may still be bringing its device up: announce until the
	// path arrives.
	for {
		if err := d.Announce(nil); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := b.AwaitPath(wait, d.Hash())
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no path: %v", err)
		}
	}
	l, err := link.Establish(ctx, b.Transport(), id, d.Hash(), link.Config{})
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	defer func() { l.Close(); l.Wait() }()
	if _, err := l.Send([]byte("over the driver plugin")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "over the driver plugin" {
			t.Fatalf("got %q", s)
		}
	case <-ctx.Done():
		t.Fatal("no data over the link")
	}
}

// pluginUp waits until the daemon's only plugin reports up.
func pluginUp(t *testing.T, ctx context.Context, d *daemon.Daemon) {
	t.Helper()
	for {
		ps := d.Plugins()
		if len(ps) == 1 && ps[0].Up {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("plugin not up: %+v", ps)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestDaemonsOverSerialPlugin: two mehrd instances with SerialInterface
// sections, whose driver runs in mehr-plugin-serial, on two ports joined
// by a null modem, exchange an announce and open a link.
func TestDaemonsOverSerialPlugin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pa, pb := nullModem(t)
	sec := "[[interfaces]]\nname = \"Serial\"\ntype = \"SerialInterface\"\nenabled = true\nport = %q\nspeed = 115200\n"
	a := daemonWith(t, ctx, fmt.Sprintf(sec, pa))
	b := daemonWith(t, ctx, fmt.Sprintf(sec, pb))
	pluginUp(t, ctx, a)
	pluginUp(t, ctx, b)
	announceAndLink(t, ctx, a.Node, b.Node)
}

// TestDaemonsOverKISSPlugin: the same over KISSInterface sections and
// mehr-plugin-kiss, with flow control on both ends.
func TestDaemonsOverKISSPlugin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pa, pb := nullModem(t)
	sec := "[[interfaces]]\nname = \"TNC\"\ntype = \"KISSInterface\"\nenabled = true\nport = %q\nspeed = 115200\npreamble = 0\ntxtail = 0\n"
	a := daemonWith(t, ctx, fmt.Sprintf(sec, pa))
	b := daemonWith(t, ctx, fmt.Sprintf(sec, pb))
	pluginUp(t, ctx, a)
	pluginUp(t, ctx, b)
	announceAndLink(t, ctx, a.Node, b.Node)
}

// TestDaemonsOverRNodePlugin: two mehrd instances with RNodeInterface
// sections, whose driver runs in mehr-plugin-rnode, on two simulated
// radios sharing a channel: the plugins detect and configure the radios,
// and the nodes exchange an announce and open a link over LoRa airtime.
func TestDaemonsOverRNodePlugin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ch := sim.NewChannel(false)
	var paths [2]string
	for k := range paths {
		term, err := sim.OpenTerminal(ch, sim.Options{Name: fmt.Sprint("radio", k), Logf: t.Logf})
		if err != nil {
			t.Skipf("no pseudo-terminals: %v", err)
		}
		t.Cleanup(func() { term.Close() })
		paths[k] = term.Path
	}
	sec := "[[interfaces]]\nname = \"LoRa\"\ntype = \"RNodeInterface\"\nenabled = true\nport = %q\n" +
		"frequency = 868000000\nbandwidth = 500000\ntxpower = 14\nspreadingfactor = 7\ncodingrate = 5\n"
	a := daemonWith(t, ctx, fmt.Sprintf(sec, paths[0]))
	b := daemonWith(t, ctx, fmt.Sprintf(sec, paths[1]))
	pluginUp(t, ctx, a)
	pluginUp(t, ctx, b)
	announceAndLink(t, ctx, a.Node, b.Node)
}

// TestDaemonsOverUDPPlugin: two mehrd instances with UDPInterface
// sections on loopback, whose driver runs in mehr-plugin-udp, exchange an
// announce and open a link.
func TestDaemonsOverUDPPlugin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pa, pb := freePort(t, "udp"), freePort(t, "udp")
	sec := "[[interfaces]]\nname = \"UDP\"\ntype = \"UDPInterface\"\nenabled = true\nlisten_ip = \"127.0.0.1\"\nlisten_port = %d\nforward_ip = \"127.0.0.1\"\nforward_port = %d\n"
	a := daemonWith(t, ctx, fmt.Sprintf(sec, pa, pb))
	b := daemonWith(t, ctx, fmt.Sprintf(sec, pb, pa))
	pluginUp(t, ctx, a)
	pluginUp(t, ctx, b)
	announceAndLink(t, ctx, a.Node, b.Node)
}
