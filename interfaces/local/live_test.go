package local_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// clientScript attaches a Python Reticulum to the shared instance its
// configuration names, reports whether it is connected to a shared
// instance, announces a destination, and then stays up (bounded) until
// its stdin is closed, so that path requests can be answered.
const clientScript = `
import sys, select, RNS
r = RNS.Reticulum(configdir=sys.argv[1], loglevel=RNS.LOG_WARNING)
print("@@SHARED", r.is_connected_to_shared_instance, flush=True)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrtest", "local")
d.announce()
print("@@DEST", d.hexhash, flush=True)
select.select([sys.stdin], [], [], 60)
print("@@EXIT", flush=True)
`

// serverScript starts a Python Reticulum that becomes the shared
// instance, and announces a destination each time a line arrives on
// stdin, until stdin is closed (bounded).
const serverScript = `
import sys, time, select, RNS
r = RNS.Reticulum(configdir=sys.argv[1], loglevel=RNS.LOG_WARNING)
print("@@SHARED", r.is_shared_instance, flush=True)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrtest", "server")
print("@@DEST", d.hexhash, flush=True)
while True:
    ready, _, _ = select.select([sys.stdin], [], [], 60)
    if not ready or not sys.stdin.readline():
        break
    # The reference accepts clients on its own thread; wait (bounded)
    # until it has taken ours on.
    for _ in range(200):
        if RNS.Transport.local_client_interfaces: break
        time.sleep(0.05)
    print("@@CLIENTS", len(RNS.Transport.local_client_interfaces), flush=True)
    d.announce()
    print("@@ANNOUNCED", flush=True)
print("@@EXIT", flush=True)
`

// refPython returns the reference checkout and python3, or skips.
func refPython(t *testing.T) (ref, python string) {
	t.Helper()
	ref = os.Getenv("MEHR_RETICULUM_REF")
	if ref == "" {
		t.Skip("set MEHR_RETICULUM_REF to a Reticulum checkout to run against the Python reference")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	return ref, python
}

// writeRefConfig writes a reference configuration that shares the
// instance cfg describes, with the TCP port given for TypeTCP.
func writeRefConfig(t *testing.T, cfg local.Config, port string) string {
	t.Helper()
	dir := t.TempDir()
	conf := "[reticulum]\n  share_instance = Yes\n  enable_transport = No\n"
	switch cfg.Type {
	case local.TypeUnix:
		conf += "  instance_name = " + cfg.InstanceName + "\n"
	case local.TypeTCP:
		conf += "  shared_instance_type = tcp\n  shared_instance_port = " + port + "\n"
	}
	conf += "[logging]\n  loglevel = 2\n[interfaces]\n"
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pyProc is a running Python program that talks in "@@" lines.
type pyProc struct {
	t      *testing.T
	stdin  io.WriteCloser
	lines  chan string
	exited chan error
	stderr *strings.Builder
	cancel context.CancelFunc
}

func startPython(t *testing.T, ref, python, script, dir string) *pyProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, python, "-c", script, dir)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+ref)
	p := &pyProc{t: t, lines: make(chan string, 64), exited: make(chan error, 1), stderr: new(strings.Builder), cancel: cancel}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.exited <- cmd.Wait()
	}()
	return p
}

// line waits for the next line with the prefix and returns the rest.
func (p *pyProc) line(prefix string) string {
	p.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("python ended before %q; stderr:\n%s", prefix, p.stderr.String())
			}
			p.t.Logf("python: %s", l)
			if strings.HasPrefix(l, prefix) {
				return strings.TrimSpace(strings.TrimPrefix(l, prefix))
			}
		case <-timeout:
			p.t.Fatalf("timed out waiting for %q; stderr:\n%s", prefix, p.stderr.String())
		}
	}
}

// stop closes stdin and waits (bounded) for the program to exit.
func (p *pyProc) stop() {
	p.t.Helper()
	p.stdin.Close()
	defer p.cancel()
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("python: %v\n%s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		p.t.Error("python did not exit")
	}
}

func parseDest(t *testing.T, s string) wire.Hash {
	t.Helper()
	var h wire.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != wire.HashLen {
		t.Fatalf("bad destination hash %q", s)
	}
	copy(h[:], b)
	return h
}

// waitAnnounce receives until an announce for dest with the given context
// arrives.
func waitAnnounce(t *testing.T, r *receiver, dest wire.Hash, c wire.Context) {
	t.Helper()
	for range 16 {
		pkt := r.packet(t)
		var p wire.Packet
		if err := p.Decode(pkt); err != nil {
			t.Fatalf("undecodable packet %x: %v", pkt, err)
		}
		t.Logf("received %v %v to %v, %d bytes", p.PacketType, p.Context, p.Destination, len(pkt))
		if p.PacketType == wire.Announce && p.Destination == dest && p.Context == c {
			return
		}
	}
	t.Fatalf("no %v announce for %v", c, dest)
}

// pathRequest returns a path request packet for dest with a random tag,
// as RNS.Transport.request_path builds it.
func pathRequest(dest wire.Hash) []byte {
	var tag [wire.PathRequestTagLen]byte
	rand.Read(tag[:])
	req := wire.PathRequest{Target: dest, Tag: tag[:]}
	p := wire.Packet{Header: wire.Header{
		DestType: wire.Plain, PacketType: wire.Data,
		Destination: wire.PathRequestDestination,
	}, Data: req.Append(nil)}
	return p.Append(nil)
}

// TestLiveReference runs the Python reference as a shared-instance client
// of our Server. Set MEHR_RETICULUM_REF to a Reticulum checkout (the
// directory that contains the RNS package) to run it.
func TestLiveReference(t *testing.T) {
	ref, python := refPython(t)
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			srv, err := local.Listen(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			_, port, _ := strings.Cut(srv.Addr().String(), "127.0.0.1:")
			py := startPython(t, ref, python, clientScript, writeRefConfig(t, cfg, port))

			conn := accept(t, srv)
			defer conn.Close()
			t.Logf("python attached as %s", conn.Name())
			r := startReceiver(conn)

			if got := py.line("@@SHARED"); got != "True" {
				t.Fatalf("python is_connected_to_shared_instance = %s", got)
			}
			dest := parseDest(t, py.line("@@DEST"))
			waitAnnounce(t, r, dest, wire.ContextNone)

			// Ask the Python side for a path to its destination; it
			// answers with a path-response announce, which shows that
			// what we send reaches it intact.
			if err := conn.Send(pathRequest(dest)); err != nil {
				t.Fatal(err)
			}
			waitAnnounce(t, r, dest, wire.ContextPathResponse)

			// When the program exits it detaches, and the interface ends.
			py.stop()
			res := r.next(t)
			if !errors.Is(res.err, local.ErrDetached) {
				t.Fatalf("after python exited, Receive = %x, %v", res.pkt, res.err)
			}
			t.Logf("counters %+v", conn.(iface.Stats).Counters())
		})
	}
}

// TestLiveReferenceServer attaches our Client to a Python shared
// instance, restarts that instance and checks that the Client reattaches.
func TestLiveReferenceServer(t *testing.T) {
	ref, python := refPython(t)
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			port := ""
			if cfg.Type == local.TypeTCP {
				// Borrow a free port from the kernel for the reference.
				srv, err := local.Listen(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Addr = srv.Addr().String()
				_, port, _ = strings.Cut(cfg.Addr, "127.0.0.1:")
				srv.Close()
			}
			dir := writeRefConfig(t, cfg, port)

			py := startPython(t, ref, python, serverScript, dir)
			if got := py.line("@@SHARED"); got != "True" {
				t.Fatalf("python is_shared_instance = %s", got)
			}
			dest := parseDest(t, py.line("@@DEST"))

			ccfg := cfg
			ccfg.ReconnectWait = 100 * time.Millisecond
			detached := make(chan struct{}, 1)
			reattached := make(chan struct{}, 1)
			ccfg.OnDetach = func() { detached <- struct{}{} }
			ccfg.OnReattach = func() { reattached <- struct{}{} }
			c, err := local.Dial(context.Background(), ccfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := startReceiver(c)

			exchange := func(py *pyProc, dest wire.Hash) {
				t.Helper()
				io.WriteString(py.stdin, "announce\n")
				py.line("@@ANNOUNCED")
				waitAnnounce(t, r, dest, wire.ContextNone)
				if err := c.Send(pathRequest(dest)); err != nil {
					t.Fatal(err)
				}
				waitAnnounce(t, r, dest, wire.ContextPathResponse)
			}
			exchange(py, dest)

			py.stop()
			select {
			case <-detached:
			case <-time.After(waitFor):
				t.Fatal("client did not notice the reference instance going away")
			}

			py2 := startPython(t, ref, python, serverScript, dir)
			if got := py2.line("@@SHARED"); got != "True" {
				t.Fatalf("restarted python is_shared_instance = %s", got)
			}
			dest2 := parseDest(t, py2.line("@@DEST"))
			select {
			case <-reattached:
			case <-time.After(30 * time.Second):
				t.Fatal("client did not reattach to the restarted reference instance")
			}
			exchange(py2, dest2)
			py2.stop()
			c.Close()
			r.wait(t)
		})
	}
}
