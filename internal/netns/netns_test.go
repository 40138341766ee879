package netns

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestVethPair joins two namespaces with a veth pair and checks that they
// reach each other over IPv4 and IPv6 (UDP from Go code run inside them,
// and ping where it is installed), and that both namespaces go away.
func TestVethPair(t *testing.T) {
	var a, b *NS
	t.Run("pair", func(t *testing.T) {
		a, b = New(t), New(t)
		if a.Name == b.Name {
			t.Fatalf("two namespaces named %s", a.Name)
		}
		Veth(t, a, "va", []netip.Prefix{netip.MustParsePrefix("10.77.0.1/24"), netip.MustParsePrefix("fd00:77::1/64")},
			b, "vb", []netip.Prefix{netip.MustParsePrefix("10.77.0.2/24"), netip.MustParsePrefix("fd00:77::2/64")})
		if out := b.IP("-6", "addr", "show", "dev", "vb"); !strings.Contains(out, "fd00:77::2/64") {
			t.Fatalf("vb has no address:\n%s", out)
		}
		if out, err := exec.Command("ip", "link", "show", "va").CombinedOutput(); err == nil {
			t.Fatalf("va appeared in the host namespace:\n%s", out)
		}
		for _, addr := range []string{"10.77.0.2", "fd00:77::2"} {
			udpRoundTrip(t, a, b, addr)
			if _, err := exec.LookPath("ping"); err == nil {
				a.MustExec(10*time.Second, "ping", "-c1", "-W5", addr)
			}
		}
	})
	if a == nil {
		return
	}
	for _, n := range []*NS{a, b} {
		if _, err := os.Stat(n.Path()); !os.IsNotExist(err) {
			t.Errorf("namespace %s still exists after cleanup (%v)", n.Name, err)
		}
	}
}

// udpRoundTrip sends a datagram from a to addr in b and back.
func udpRoundTrip(t *testing.T, a, b *NS, addr string) {
	t.Helper()
	var srv, cli net.PacketConn
	if err := b.Do(func() (err error) {
		srv, err = net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := a.Do(func() (err error) {
		cli, err = net.ListenPacket("udp", ":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	deadline := time.Now().Add(10 * time.Second)
	srv.SetDeadline(deadline)
	cli.SetDeadline(deadline)
	if _, err := cli.WriteTo([]byte("ping"), srv.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, from, err := srv.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("%s: got %q, %v", addr, buf[:n], err)
	}
	if _, err := srv.WriteTo([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	if n, _, err = cli.ReadFrom(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("%s: reply %q, %v", addr, buf[:n], err)
	}
}

// TestExecAndStart runs a command in a namespace, with a timeout that
// ends a stuck one, and a background process that cleanup kills.
func TestExecAndStart(t *testing.T) {
	n := New(t)
	out := n.MustExec(0, "ip", "-o", "link", "show")
	if !strings.Contains(out, "lo:") || strings.Count(out, "\n") != 0 {
		t.Fatalf("a new namespace should hold only lo:\n%s", out)
	}
	if _, err := n.Exec(200*time.Millisecond, "sleep", "30"); err == nil {
		t.Fatal("sleep 30 finished within 200ms")
	}
	p := n.Start("sleep", "30")
	if err := p.Wait(50 * time.Millisecond); err == nil {
		t.Fatal("sleep 30 exited at once")
	}
	q := n.Start("echo", "hello")
	if err := q.Wait(Timeout); err != nil || strings.TrimSpace(q.Output()) != "hello" {
		t.Fatalf("echo: %q, %v", q.Output(), err)
	}
	w := n.Wrap("/bin/sh")
	if out, err := exec.Command(w, "-c", "ip -o link show | wc -l").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Fatalf("wrapped sh: %q, %v", out, err)
	}
}
