//go:build linux

package rnode_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// livePeer is the Python side: a Reticulum instance with an RNodeInterface
// on the port given, a destination mehrtest.rnode that echoes link
// packets, and an announce handler for mehrtest.go. It reports on stdout
// with "@@ " lines.
const livePeer = `
import sys, time, RNS
r = RNS.Reticulum(configdir=sys.argv[1], loglevel=int(sys.argv[2]))
iface = None
t0 = time.time()
while time.time() - t0 < 60:
    up = [i for i in RNS.Transport.interfaces if getattr(i, "online", False)]
    if up:
        iface = up[0]
        break
    time.sleep(0.1)
if iface is None:
    print("@@ FAIL RNodeInterface did not come up", flush=True)
    sys.exit(1)
print("@@ online %s fw %d.%d bitrate %.0f" % (iface, iface.maj_version, iface.min_version, iface.bitrate), flush=True)
ident = RNS.Identity()
d = RNS.Destination(ident, RNS.Destination.IN, RNS.Destination.SINGLE, "mehrtest", "rnode")
state = {"done": False}
def on_link(l):
    print("@@ link " + l.link_id.hex(), flush=True)
    def on_packet(data, packet):
        print("@@ data " + data.decode(), flush=True)
        RNS.Packet(l, b"echo: " + data).send()
        state["done"] = True
    l.set_packet_callback(on_packet)
d.set_link_established_callback(on_link)
class Handler:
    aspect_filter = "mehrtest.go"
    def received_announce(self, destination_hash, announced_identity, app_data):
        state.setdefault("go", destination_hash)
        print("@@ announce %s rssi %s snr %s" % (destination_hash.hex(), iface.r_stat_rssi, iface.r_stat_snr), flush=True)
RNS.Transport.register_announce_handler(Handler())
print("@@ dest " + d.hash.hex(), flush=True)
t0 = time.time()
while time.time() - t0 < 120 and not state["done"]:
    if not any(l.status == RNS.Link.ACTIVE for l in d.links):
        d.announce()
    time.sleep(4)
# Now the other way round: a link from the reference to the Go node.
h = state["go"]
out = RNS.Destination(RNS.Identity.recall(h), RNS.Destination.OUT, RNS.Destination.SINGLE, "mehrtest", "go")
got = []
l = RNS.Link(out)
l.set_packet_callback(lambda data, packet: got.append(data))
t0 = time.time()
while l.status != RNS.Link.ACTIVE and time.time() - t0 < 30:
    time.sleep(0.05)
if l.status != RNS.Link.ACTIVE:
    print("@@ FAIL link to mehr not established", flush=True)
    sys.exit(1)
print("@@ linked %s rtt %.3f" % (l.link_id.hex(), l.rtt), flush=True)
RNS.Packet(l, b"hello from python").send()
t0 = time.time()
while not got and time.time() - t0 < 30:
    time.sleep(0.05)
if not got:
    print("@@ FAIL no echo from mehr", flush=True)
    sys.exit(1)
print("@@ echo " + got[0].decode(), flush=True)
l.teardown()
time.sleep(1)
print("@@ stats rxb %d txb %d airtime %.2f load %.2f" % (iface.rxb, iface.txb, iface.r_airtime_short, iface.r_channel_load_short), flush=True)
print("@@ DONE", flush=True)
`

// TestLiveReferenceRNode runs the Python reference's RNodeInterface on one
// simulated radio and this driver on another, on one channel: the
// reference and a Go node exchange announces, the Go node opens a link to
// the reference's destination and gets its packet echoed, then the
// reference opens a link to the Go node's and gets its echoed. It runs only
// when MEHR_RETICULUM_REF names a Reticulum checkout
// (scripts/interop/rnode_sim.sh); MEHR_RNODE_PYTHON names a Python with
// pyserial (default /usr/bin/python3), and MEHR_RNODE_PORTS="A,B" uses
// radios of a running mehr-rnode-sim instead of in-process ones.
func TestLiveReferenceRNode(t *testing.T) {
	ref := os.Getenv("MEHR_RETICULUM_REF")
	if ref == "" {
		t.Skip("MEHR_RETICULUM_REF not set")
	}
	python := os.Getenv("MEHR_RNODE_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()

	var pyPort, goPort string
	if ports := os.Getenv("MEHR_RNODE_PORTS"); ports != "" {
		var ok bool
		pyPort, goPort, ok = strings.Cut(ports, ",")
		if !ok {
			t.Fatalf("MEHR_RNODE_PORTS=%q: want two ports separated by a comma", ports)
		}
	} else {
		ch := sim.NewChannel(false)
		pyPort, goPort = openTerminal(t, ch, "python").Path, openTerminal(t, ch, "mehr").Path
	}

	dir := t.TempDir()
	cfg := fmt.Sprintf(`[reticulum]
  enable_transport = No
  share_instance = No
  panic_on_interface_error = No
[logging]
  loglevel = 2
[interfaces]
  [[Simulated RNode]]
    type = RNodeInterface
    enabled = yes
    port = %s
    frequency = 868000000
    bandwidth = 500000
    txpower = 14
    spreadingfactor = 7
    codingrate = 5
`, pyPort)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	py := startPeer(t, ctx, python, ref, dir)

	dcfg := testConfig(t, "mehr")
	dcfg.Port = goPort
	drv, err := rnode.New(ctx, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	node, err := rns.NewNode(rns.Options{})
	if err != nil {
		drv.Close()
		t.Fatal(err)
	}
	defer drv.Close()
	defer node.Close()
	if _, err := node.AddInterface(drv, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Logf("python: %s", strings.Join(py.must(t, ctx, "online"), " "))
	pyDest := py.must(t, ctx, "dest")[0]
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := node.NewDestination(id, rns.In, wire.Single, "mehrtest", "go")
	if err != nil {
		t.Fatal(err)
	}
	// Links the reference opens to us get their packets echoed.
	var echoes sync.WaitGroup
	defer echoes.Wait()
	ln := link.NewListener(node.Transport(), id, mine.Hash(), link.Config{
		OnPacket: func(l *link.Link, pt []byte) {
			reply := append([]byte("echo: "), pt...)
			echoes.Add(1)
			go func() {
				defer echoes.Done()
				if _, err := l.Send(reply); err != nil {
					t.Errorf("echo to the reference: %v", err)
				}
			}()
		},
	})
	defer ln.Close()
	mine.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = ln.HandleRequest(p) })
	// Announce until the reference reports it heard us.
	heard := make(chan []string, 1)
	mh := mine.Hash()
	go func() {
		f, _ := py.wait(ctx, "announce "+hex.EncodeToString(mh[:]))
		heard <- f
	}()
announcing:
	for {
		if err := mine.Announce(nil); err != nil {
			t.Fatal(err)
		}
		select {
		case f := <-heard:
			if f == nil {
				t.Fatal("python did not report our announce")
			}
			t.Logf("python heard our announce: %s", strings.Join(f, " "))
			break announcing
		case <-time.After(3 * time.Second):
		case <-ctx.Done():
			t.Fatal("python never heard our announce")
		}
	}

	raw, err := hex.DecodeString(pyDest)
	if err != nil || len(raw) != len(wire.Hash{}) {
		t.Fatalf("python destination %q", pyDest)
	}
	var h wire.Hash
	copy(h[:], raw)
	if err := node.AwaitPath(ctx, h); err != nil {
		t.Fatalf("no path to the reference's destination: %v", err)
	}
	remote, _, ok := node.Recall(h)
	if !ok {
		t.Fatal("reference identity not recalled")
	}
	t.Logf("path to python's %s over the radios", pyDest)
	echo := make(chan string, 1)
	l, err := link.Establish(ctx, node.Transport(), remote, h, link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { echo <- string(pt) },
	})
	if err != nil {
		t.Fatalf("link to the reference over the radios: %v", err)
	}
	defer l.Wait()
	defer l.Close()
	t.Logf("link %v established, RTT %v", l.ID(), l.RTT())
	if _, err := l.Send([]byte("hello from mehr")); err != nil {
		t.Fatal(err)
	}
	py.must(t, ctx, "data hello from mehr")
	select {
	case s := <-echo:
		if s != "echo: hello from mehr" {
			t.Fatalf("echo %q", s)
		}
		t.Logf("reference echoed %q over the link", s)
	case <-ctx.Done():
		t.Fatal("no echo from the reference")
	}
	l.Close()
	t.Logf("python linked to us: %s", strings.Join(py.must(t, ctx, "linked"), " "))
	if f := py.must(t, ctx, "echo"); strings.Join(f, " ") != "echo: hello from python" {
		t.Fatalf("python got %q back", f)
	}
	t.Logf("we echoed the reference's packet over its link")
	t.Logf("python: %s", strings.Join(py.must(t, ctx, "stats"), " "))
	py.must(t, ctx, "DONE")
	st := drv.DeviceState()
	s := drv.Stats()
	t.Logf("mehr driver: rx %d packets / %d bytes, tx %d / %d, last RSSI %d dBm SNR %.2f dB, airtime %.2f %%, channel load %.2f %%",
		s.RxPackets, s.RxBytes, s.TxPackets, s.TxBytes, st.RSSI, st.SNR, st.Channel.AirtimeShort, st.Channel.LoadShort)
}

// peer is the running Python program and the "@@ " lines it printed.
type peer struct {
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
	eof   bool
	out   bytes.Buffer
}

func startPeer(t *testing.T, ctx context.Context, python, ref, dir string) *peer {
	t.Helper()
	cmd := exec.CommandContext(ctx, python, "-", dir, "2")
	cmd.Stdin = strings.NewReader(livePeer)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+ref, "PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second
	p := &peer{}
	p.cond = sync.NewCond(&p.mu)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot run %s: %v", python, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			if rest, ok := strings.CutPrefix(sc.Text(), "@@ "); ok {
				p.lines = append(p.lines, rest)
			}
			p.mu.Unlock()
			p.cond.Broadcast()
		}
		cmd.Wait()
		p.mu.Lock()
		p.eof = true
		p.mu.Unlock()
		p.cond.Broadcast()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("python stdout:\n%s\npython stderr:\n%s", p.out.String(), stderr.String())
		}
	})
	return p
}

// must is wait that fails the test when the line does not come.
func (p *peer) must(t *testing.T, ctx context.Context, prefix string) []string {
	t.Helper()
	f, err := p.wait(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// wait returns the fields after prefix of the first line starting with it.
func (p *peer) wait(ctx context.Context, prefix string) ([]string, error) {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.cond.Broadcast()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for _, l := range p.lines {
			if strings.HasPrefix(l, "FAIL ") {
				return nil, fmt.Errorf("python: %s", l)
			}
			if l == prefix || strings.HasPrefix(l, prefix+" ") {
				return strings.Fields(l[len(prefix):]), nil
			}
		}
		if p.eof || ctx.Err() != nil {
			return nil, fmt.Errorf("python did not report %q", prefix)
		}
		p.cond.Wait()
	}
}
