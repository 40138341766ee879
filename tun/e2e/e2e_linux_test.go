package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/internal/netns"
	"github.com/mehr-net/mehr/plugins/plugintest"
)

var bins map[string]string

const (
	mehrdPkg = "github.com/mehr-net/mehr/cmd/mehrd"
	prefix   = "fd6d:6568:7201::/48"
)

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("tun/e2e: needs root; skipped")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "tun-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = plugintest.Build(dir, mehrdPkg, "github.com/mehr-net/mehr/cmd/mehr-plugin-tun",
		"github.com/mehr-net/mehr/cmd/mehr-plugin-udp", "github.com/mehr-net/mehr/cmd/mehr-plugin-rnode")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// node is one mehrd in its namespace.
type node struct {
	ns   *netns.NS
	dir  string
	proc *netns.Proc
}

// start runs mehrd in ns with the given TOML (share_instance off).
func start(t testing.TB, ns *netns.NS, toml string) *node {
	t.Helper()
	dir := t.TempDir()
	cfg := "[reticulum]\nshare_instance = false\n" + toml
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	n := &node{ns: ns, dir: dir}
	n.proc = ns.Start(bins[mehrdPkg], "--config", dir)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mehrd in %s:\n%s", ns.Name, n.proc.Output())
		}
	})
	return n
}

// ip asks a node's mehrd for its adapter's status over the control socket.
func (n *node) ip() (*control.IPStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := control.Call(ctx, n.dir, control.Request{Cmd: "ip"})
	if err != nil {
		return nil, err
	}
	if r.Error != "" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	return r.IP, nil
}

// address waits for the node's adapter and returns its address.
func (n *node) address(t testing.TB) string {
	t.Helper()
	var addr string
	netns.WaitFor(t, 30*time.Second, "adapter of "+n.ns.Name, func() bool {
		st, err := n.ip()
		if err == nil {
			addr = st.Address
		}
		return err == nil
	})
	return addr
}

// knows waits until n has a peer with address addr.
func (n *node) knows(t testing.TB, addr string, within time.Duration) {
	t.Helper()
	netns.WaitFor(t, within, n.ns.Name+" learns "+addr, func() bool {
		st, err := n.ip()
		if err != nil {
			return false
		}
		for _, p := range st.Peers {
			if p.Address == addr {
				return true
			}
		}
		return false
	})
}

func tunSection(dev string) string {
	return fmt.Sprintf("[tun]\nenabled = true\ndevice = %q\nprefix = %q\n", dev, prefix)
}

func tcpClient(host string) string {
	return fmt.Sprintf("[[interfaces]]\nname = \"uplink\"\ntype = \"TCPClientInterface\"\nenabled = true\ntarget_host = %q\ntarget_port = 4242\n", host)
}

const tcpServer = "[[interfaces]]\nname = \"hub\"\ntype = \"TCPServerInterface\"\nenabled = true\nlisten_ip = \"0.0.0.0\"\nlisten_port = 4242\n"

func pfx(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }

func ping(t testing.TB, from *node, to string, size int) {
	t.Helper()
	out, err := from.ns.Exec(60*time.Second, "ping", "-6", "-c", "3", "-W", "10", "-s", fmt.Sprint(size), to)
	if err != nil {
		t.Fatalf("ping -6 %s from %s: %v\n%s", to, from.ns.Name, err, out)
	}
	t.Logf("ping %s from %s (%d bytes): %s", to, from.ns.Name, size, lastLine(out))
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

// TestTwoNodes: A and C joined by one veth pair with UDP interfaces ping
// each other's TUN addresses.
func TestTwoNodes(t *testing.T) {
	a, c := netns.New(t), netns.New(t)
	netns.Veth(t, a, "va", pfx("10.77.1.1/24"), c, "vc", pfx("10.77.1.2/24"))
	udp := func(listen, fwd string) string {
		return fmt.Sprintf("[[interfaces]]\nname = \"veth\"\ntype = \"UDPInterface\"\nenabled = true\nlisten_ip = %q\nlisten_port = 4243\nforward_ip = %q\nforward_port = 4243\n", listen, fwd)
	}
	na := start(t, a, tunSection("mehr0")+udp("10.77.1.1", "10.77.1.2"))
	nc := start(t, c, tunSection("mehr0")+udp("10.77.1.2", "10.77.1.1"))
	addrA, addrC := na.address(t), nc.address(t)
	na.knows(t, addrC, 60*time.Second)
	nc.knows(t, addrA, 60*time.Second)
	ping(t, na, addrC, 56)
	ping(t, nc, addrA, 56)
}

// TestThreeNodes: A — B — C over TCP on veth pairs, B a transport node
// without a TUN device. ping both ways, an HTTP GET from A to a server on
// C's address, and an iperf3 run A to C.
func TestThreeNodes(t *testing.T) {
	a, b, c := netns.New(t), netns.New(t), netns.New(t)
	netns.Veth(t, a, "va", pfx("10.77.1.1/24"), b, "vb1", pfx("10.77.1.2/24"))
	netns.Veth(t, c, "vc", pfx("10.77.2.1/24"), b, "vb2", pfx("10.77.2.2/24"))
	start(t, b, "enable_transport = true\n"+tcpServer)
	na := start(t, a, tunSection("mehr0")+tcpClient("10.77.1.2"))
	nc := start(t, c, tunSection("mehr0")+tcpClient("10.77.2.2"))
	addrA, addrC := na.address(t), nc.address(t)
	na.knows(t, addrC, 60*time.Second)
	nc.knows(t, addrA, 60*time.Second)
	ping(t, na, addrC, 56)
	ping(t, nc, addrA, 56)
	ping(t, na, addrC, 1232) // a full 1280-byte IPv6 packet

	// HTTP over the mesh.
	www := t.TempDir()
	body := strings.Repeat("mehr ", 20000)
	os.WriteFile(filepath.Join(www, "index.txt"), []byte(body), 0o644)
	srv := c.Start("python3", "-m", "http.server", "--bind", addrC, "--directory", www, "8080")
	var got string
	netns.WaitFor(t, 30*time.Second, "HTTP GET A -> C", func() bool {
		out, err := a.Exec(20*time.Second, "curl", "-sf", "-g", "--max-time", "15", fmt.Sprintf("http://[%s]:8080/index.txt", addrC))
		got = out
		return err == nil
	})
	if got != strings.TrimSpace(body) {
		t.Fatalf("HTTP body: %d bytes, want %d\nserver: %s", len(got), len(body), srv.Output())
	}

	// iperf3 over the mesh.
	if _, err := exec.LookPath("iperf3"); err != nil {
		t.Skip("iperf3 not installed")
	}
	c.Start("iperf3", "-s", "-B", addrC, "-1")
	var res struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	netns.WaitFor(t, 30*time.Second, "iperf3 A -> C", func() bool {
		out, err := a.Exec(60*time.Second, "iperf3", "-c", addrC, "-t", "3", "-J")
		return err == nil && json.Unmarshal([]byte(out), &res) == nil && res.End.SumReceived.BitsPerSecond > 0
	})
	t.Logf("iperf3 A -> C over TCP interfaces through B: %.1f Mbit/s", res.End.SumReceived.BitsPerSecond/1e6)
}

// TestRNodeHop: A — B over TCP, B — C over two simulated RNode radios
// (MTU 500): 1280-byte IPv6 packets are fragmented inside the link and
// reassembled, and ping crosses both ways.
func TestRNodeHop(t *testing.T) {
	a, b, c := netns.New(t), netns.New(t), netns.New(t)
	netns.Veth(t, a, "va", pfx("10.77.1.1/24"), b, "vb1", pfx("10.77.1.2/24"))
	ch := sim.NewChannel(false)
	var radios [2]string
	for k := range radios {
		term, err := sim.OpenTerminal(ch, sim.Options{Name: fmt.Sprint("radio", k)})
		if err != nil {
			t.Skipf("no pseudo-terminals: %v", err)
		}
		t.Cleanup(func() { term.Close() })
		radios[k] = term.Path
	}
	lora := func(port string) string {
		return fmt.Sprintf("[[interfaces]]\nname = \"LoRa\"\ntype = \"RNodeInterface\"\nenabled = true\nport = %q\n"+
			"frequency = 868000000\nbandwidth = 500000\ntxpower = 14\nspreadingfactor = 7\ncodingrate = 5\n", port)
	}
	start(t, b, "enable_transport = true\n"+tcpServer+lora(radios[0]))
	na := start(t, a, tunSection("mehr0")+tcpClient("10.77.1.2"))
	nc := start(t, c, tunSection("mehr0")+lora(radios[1]))
	addrA, addrC := na.address(t), nc.address(t)
	na.knows(t, addrC, 90*time.Second)
	nc.knows(t, addrA, 90*time.Second)
	ping(t, na, addrC, 56)
	ping(t, na, addrC, 1232)
	ping(t, nc, addrA, 1232)
	st, err := nc.ip()
	if err != nil {
		t.Fatal(err)
	}
	if st.Counters["reassembled"] == 0 {
		t.Fatalf("no packet was reassembled at C: %+v", st.Counters)
	}
	t.Logf("C reassembled %d packets, fragmented %d", st.Counters["reassembled"], st.Counters["fragmented"])
}

// iperf runs iperf3 from a to the server address addr (started in srv)
// and returns the received bit rate.
func iperf(tb testing.TB, a, srv *netns.NS, addr string, seconds int) float64 {
	tb.Helper()
	srv.Start("iperf3", "-s", "-B", addr, "-1")
	var res struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	netns.WaitFor(tb, 30*time.Second, "iperf3 to "+addr, func() bool {
		out, err := a.Exec(time.Duration(seconds+30)*time.Second, "iperf3", "-c", addr, "-t", fmt.Sprint(seconds), "-J")
		return err == nil && json.Unmarshal([]byte(out), &res) == nil && res.End.SumReceived.BitsPerSecond > 0
	})
	return res.End.SumReceived.BitsPerSecond
}

// rtt runs 20 pings and returns the average round trip in milliseconds.
func rtt(tb testing.TB, from *netns.NS, to string) float64 {
	tb.Helper()
	out, err := from.Exec(60*time.Second, "ping", "-6", "-c", "20", "-i", "0.05", "-W", "5", to)
	if err != nil {
		tb.Fatalf("ping %s: %v\n%s", to, err, out)
	}
	// rtt min/avg/max/mdev = 0.838/1.007/1.128/0.123 ms
	var mn, avg float64
	line := lastLine(out)
	if i := strings.Index(line, "= "); i >= 0 {
		fmt.Sscanf(strings.ReplaceAll(line[i+2:], "/", " "), "%f %f", &mn, &avg)
	}
	return avg
}

// BenchmarkMeshVsVeth measures IP over mehr between two namespaces, A —
// B — C over TCP interfaces with B as transport only, beside a direct
// veth pair between the same A and C: iperf3 TCP throughput and ping
// RTT, and their ratios. One setup, one measurement, whatever b.N.
func BenchmarkMeshVsVeth(b *testing.B) {
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("iperf3 not installed")
	}
	a, m, c := netns.New(b), netns.New(b), netns.New(b)
	netns.Veth(b, a, "va", pfx("10.77.1.1/24"), m, "vb1", pfx("10.77.1.2/24"))
	netns.Veth(b, c, "vc", pfx("10.77.2.1/24"), m, "vb2", pfx("10.77.2.2/24"))
	netns.Veth(b, a, "direct", pfx("fd99::1/64"), c, "direct", pfx("fd99::2/64"))
	start(b, m, "enable_transport = true\n"+tcpServer)
	na := start(b, a, tunSection("mehr0")+tcpClient("10.77.1.2"))
	nc := start(b, c, tunSection("mehr0")+tcpClient("10.77.2.2"))
	addrA, addrC := na.address(b), nc.address(b)
	na.knows(b, addrC, 60*time.Second)
	nc.knows(b, addrA, 60*time.Second)
	ping(b, na, addrC, 56) // links up before measuring
	b.ResetTimer()
	var meshBps, vethBps, meshRTT, vethRTT float64
	for range b.N {
		meshBps = iperf(b, a, c, addrC, 5)
		vethBps = iperf(b, a, c, "fd99::2", 5)
		meshRTT = rtt(b, a, addrC)
		vethRTT = rtt(b, a, "fd99::2")
	}
	b.StopTimer()
	b.ReportMetric(meshBps/1e6, "mesh-Mbit/s")
	b.ReportMetric(vethBps/1e6, "veth-Mbit/s")
	b.ReportMetric(meshBps/vethBps, "throughput-ratio")
	b.ReportMetric(meshRTT, "mesh-rtt-ms")
	b.ReportMetric(vethRTT, "veth-rtt-ms")
	if vethRTT > 0 {
		b.ReportMetric(meshRTT/vethRTT, "rtt-ratio")
	}
}
