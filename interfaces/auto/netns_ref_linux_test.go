package auto_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/auto"
	"github.com/mehr-net/mehr/rns/wire"
)

// refAutoScript runs the Python reference with one AutoInterface, reports
// its multicast group, waits (bounded) until it has a peer, and announces
// a destination each time a line arrives on stdin.
const refAutoScript = `
import sys, time, select, RNS
from RNS.Interfaces.AutoInterface import AutoInterface
r = RNS.Reticulum(configdir=sys.argv[1], loglevel=RNS.LOG_WARNING)
auto = [i for i in RNS.Transport.interfaces if isinstance(i, AutoInterface)][0]
print("@@MCAST", auto.mcast_discovery_address, flush=True)
for _ in range(400):
    if auto.peers: break
    time.sleep(0.05)
print("@@PEERS", " ".join(sorted(auto.peers.keys())), flush=True)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrtest", "auto")
print("@@DEST", d.hexhash, flush=True)
while True:
    ready, _, _ = select.select([sys.stdin], [], [], 60)
    if not ready or not sys.stdin.readline():
        break
    d.announce()
    print("@@ANNOUNCED", flush=True)
print("@@EXIT", flush=True)
`

// TestNamespacesReference runs our AutoInterface in one namespace and the
// Python reference's in the other, and exchanges an announce, a path
// request and a path response between them. It needs root, iproute2 and
// MEHR_RETICULUM_REF pointing at a Reticulum checkout.
func TestNamespacesReference(t *testing.T) {
	ref := os.Getenv("MEHR_RETICULUM_REF")
	if ref == "" {
		t.Skip("set MEHR_RETICULUM_REF to a Reticulum checkout to run against the Python reference")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	prefix, nsA, nsB := setupNamespaces(t, 1)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	group := prefix
	dir := t.TempDir()
	conf := "[reticulum]\n  share_instance = No\n  enable_transport = No\n" +
		"[logging]\n  loglevel = 2\n" +
		"[interfaces]\n  [[Auto]]\n    type = AutoInterface\n    enabled = yes\n" +
		"    group_id = " + group + "\n    devices = veth1\n"
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := startGoChild(ctx, t, exe, nsA, "go", group, "veth0")
	py := startChild(ctx, t, "python", []string{"PYTHONPATH=" + ref}, "ip", "netns", "exec", nsB, python, "-c", refAutoScript, dir)

	// Both derive the same group address.
	if a, b := g.line("@@MCAST "), py.line("@@MCAST "); a != b {
		t.Fatalf("multicast group: ours %s, reference %s", a, b)
	} else if want := auto.MulticastAddress([]byte(group), 0, 0).String(); a != want {
		t.Fatalf("multicast group %s, want %s", a, want)
	}
	// Each discovers the other.
	if got := g.line("@@PEER "); got != "go/veth0/fe80::b" {
		t.Fatalf("our peer %s", got)
	}
	if got := py.line("@@PEERS "); got != "fe80::a" {
		t.Fatalf("reference peers %q", got)
	}
	dest := parseHash(t, py.line("@@DEST "))

	// The reference announces; the announce reaches us intact.
	py.send("announce")
	py.line("@@ANNOUNCED")
	waitPacket(t, g, wire.Announce, dest, wire.ContextNone)

	// We ask for a path; the reference answers with a path response.
	var tag [wire.PathRequestTagLen]byte
	rand.Read(tag[:])
	req := wire.PathRequest{Target: dest, Tag: tag[:]}
	pr := wire.Packet{Header: wire.Header{
		DestType: wire.Plain, PacketType: wire.Data, Destination: wire.PathRequestDestination,
	}, Data: req.Append(nil)}
	g.send("SEND " + hex.EncodeToString(pr.Append(nil)))
	if got := g.line("@@SENT "); got != "1" {
		t.Fatalf("sent to %s peers", got)
	}
	waitPacket(t, g, wire.Announce, dest, wire.ContextPathResponse)

	py.stdin.Close()
	py.line("@@EXIT")
	if err := py.wait(); err != nil {
		t.Fatalf("python: %v\n%s", err, py.output())
	}
	g.stdin.Close()
	g.line("@@CLOSED")
	if err := g.wait(); err != nil {
		t.Fatalf("go child: %v\n%s", err, g.output())
	}
}

func parseHash(t *testing.T, s string) wire.Hash {
	t.Helper()
	var h wire.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != wire.HashLen {
		t.Fatalf("bad hash %q", s)
	}
	copy(h[:], b)
	return h
}

// waitPacket reads the child's received packets until one of the given
// type, destination and context arrives.
func waitPacket(t *testing.T, c *child, pt wire.PacketType, dest wire.Hash, ctx wire.Context) {
	t.Helper()
	for range 16 {
		_, h, _ := strings.Cut(c.line("@@RECV "), " ")
		raw, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		var p wire.Packet
		if err := p.Decode(raw); err != nil {
			t.Fatalf("undecodable packet %x: %v", raw, err)
		}
		t.Logf("received %v %v to %v, %d bytes", p.PacketType, p.Context, p.Destination, len(raw))
		if p.PacketType == pt && p.Destination == dest && p.Context == ctx {
			return
		}
	}
	t.Fatalf("no %v %v for %v", pt, ctx, dest)
}
