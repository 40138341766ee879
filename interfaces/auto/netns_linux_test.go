package auto_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/auto"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

// The namespace test runs two AutoInterfaces in two network namespaces
// joined by two veth pairs, so that each node sees the other on two NICs:
//
//	namespace a             namespace b
//	veth0 fe80::a  <----->  veth1 fe80::b
//	veth2 fe80::a2 <----->  veth3 fe80::b2
//
// The test binary re-executes itself inside each namespace with
// "ip netns exec" (the role is chosen by MEHR_AUTO_NETNS_ROLE), so that
// every socket, NIC listing and multicast packet stays in the namespace.
// The parent drives the children with commands on stdin and reads "@@"
// lines from their stdout.

const (
	envRole    = "MEHR_AUTO_NETNS_ROLE"
	envGroup   = "MEHR_AUTO_NETNS_GROUP"
	envDevices = "MEHR_AUTO_NETNS_DEVICES"
)

func run(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// setupNamespaces creates namespaces a and b joined by the given number
// of veth pairs, with fixed link-local addresses (veth0 fe80::a <->
// veth1 fe80::b, veth2 fe80::a2 <-> veth3 fe80::b2), and deletes them when
// the test ends. It skips the test where namespaces cannot be made.
func setupNamespaces(t *testing.T, pairs int) (prefix, nsA, nsB string) {
	t.Helper()
	if os.Getenv(envRole) != "" {
		t.Skip("running as a namespace child")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces (CI runs it as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip command to create network namespaces")
	}
	prefix = fmt.Sprintf("mehrtest-auto-%d-%d", os.Getpid(), nsSeq.Add(1))
	nsA, nsB = prefix+"-a", prefix+"-b"
	if out, err := exec.Command("ip", "netns", "add", nsA).CombinedOutput(); err != nil {
		t.Skipf("cannot create network namespaces here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsA).Run() })
	run(t, "netns", "add", nsB)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", nsB).Run() })

	// Fixed link-local addresses without duplicate address detection, so
	// that they are usable at once and known in advance.
	links := []struct{ a, b, addrA, addrB string }{
		{"veth0", "veth1", "fe80::a", "fe80::b"},
		{"veth2", "veth3", "fe80::a2", "fe80::b2"},
	}[:pairs]
	for _, l := range links {
		run(t, "-n", nsA, "link", "add", l.a, "type", "veth", "peer", "name", l.b, "netns", nsB)
		for _, e := range []struct{ ns, dev, addr string }{{nsA, l.a, l.addrA}, {nsB, l.b, l.addrB}} {
			run(t, "-n", e.ns, "link", "set", e.dev, "addrgenmode", "none")
			run(t, "-n", e.ns, "-6", "addr", "add", e.addr+"/64", "dev", e.dev, "nodad")
			run(t, "-n", e.ns, "link", "set", e.dev, "up")
		}
	}
	run(t, "-n", nsA, "link", "set", "lo", "up")
	run(t, "-n", nsB, "link", "set", "lo", "up")
	return prefix, nsA, nsB
}

var nsSeq atomic.Uint64

func TestNamespaces(t *testing.T) {
	prefix, nsA, nsB := setupNamespaces(t, 2)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	group := prefix
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// a names its devices; b adopts whatever its namespace offers.
	a := startGoChild(ctx, t, exe, nsA, "a", group, "veth0,veth2")
	b := startGoChild(ctx, t, exe, nsB, "b", group, "")

	wantMcast := auto.MulticastAddress([]byte(group), auto.AddressTemporary, auto.ScopeLink).String()
	for _, c := range []*child{a, b} {
		if got := c.line("@@MCAST "); got != wantMcast {
			t.Fatalf("%s: multicast group %s, want %s", c.role, got, wantMcast)
		}
	}
	if got := a.line("@@DEVICES "); got != "veth0=fe80::a,veth2=fe80::a2" {
		t.Fatalf("a uses %s", got)
	}
	if got := b.line("@@DEVICES "); got != "veth1=fe80::b,veth3=fe80::b2" {
		t.Fatalf("b uses %s", got)
	}

	// Each side discovers the other on both links.
	wantPeers := map[string][]string{
		"a": {"a/veth0/fe80::b", "a/veth2/fe80::b2"},
		"b": {"b/veth1/fe80::a", "b/veth3/fe80::a2"},
	}
	for _, c := range []*child{a, b} {
		var got []string
		for range 2 {
			got = append(got, c.line("@@PEER "))
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(wantPeers[c.role], " ") {
			t.Fatalf("%s peers %v, want %v", c.role, got, wantPeers[c.role])
		}
	}

	// b sends one packet to both of its peers, that is to a over both
	// links: a delivers it once and drops the copy.
	t.Logf("peers discovered after %v", time.Since(start))
	p1 := hex.EncodeToString([]byte("packet from b, with \x7e and \x7d and some more bytes to be longer"))
	b.send("SEND " + p1)
	if got := b.line("@@SENT "); got != "2" {
		t.Fatalf("b sent to %s peers", got)
	}
	recv := a.line("@@RECV ")
	if !strings.HasSuffix(recv, " "+p1) {
		t.Fatalf("a received %q, want %s", recv, p1)
	}
	// And back, with a large packet.
	big := make([]byte, auto.HWMTU)
	for i := range big {
		big[i] = byte(i)
	}
	p2 := hex.EncodeToString(big)
	a.send("SEND " + p2)
	a.line("@@SENT ")
	if recv := b.line("@@RECV "); !strings.HasSuffix(recv, " "+p2) {
		t.Fatalf("b received %q", recv)
	}
	// By now the duplicates have long arrived: a counted one for p1
	// and delivered no second copy; b likewise for p2.
	for _, c := range []*child{a, b} {
		// On a loaded machine the second copy can still be on its way:
		// poll, bounded, until it has been counted.
		var st string
		for try := 0; try < 40; try++ {
			c.send("STATS")
			st = c.line("@@STATS ")
			if !strings.Contains(st, "dups=0 ") {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(st, "dups=1 ") {
			t.Fatalf("%s stats %s, want exactly one duplicate dropped", c.role, st)
		}
		if strings.Contains(st, "recv=2") {
			t.Fatalf("%s delivered a duplicate: %s", c.role, st)
		}
		c.send("ECHO")
		if got := c.line("@@ECHO "); got != "true,true" {
			t.Fatalf("%s multicast echoes %s", c.role, got)
		}
	}

	t.Logf("exchanged after %v", time.Since(start))
	// Closing unblocks Accept and every Receive; the child checks for
	// leaked goroutines and exits cleanly.
	for _, c := range []*child{a, b} {
		c.stdin.Close()
		t.Logf("%s closed in %s", c.role, c.line("@@CLOSED"))
		if err := c.wait(); err != nil {
			t.Fatalf("%s: %v\n%s", c.role, err, c.output())
		}
		t.Logf("%s exited after %v", c.role, time.Since(start))
	}
}

// child is one AutoInterface running in a namespace.
type child struct {
	t     *testing.T
	role  string
	stdin io.WriteCloser
	lines chan string
	done  chan struct{} // closed when the child has exited
	err   error         // the child's exit status, set before done closes

	mu  sync.Mutex
	out strings.Builder
}

// startGoChild runs this test binary's TestNamespaceChild in namespace ns.
func startGoChild(ctx context.Context, t *testing.T, exe, ns, role, group, devices string) *child {
	t.Helper()
	return startChild(ctx, t, role, []string{envRole + "=" + role, envGroup + "=" + group, envDevices + "=" + devices},
		"ip", "netns", "exec", ns, exe, "-test.run=^TestNamespaceChild$", "-test.v", "-test.count=1", "-test.timeout=80s")
}

// startChild runs a command whose "@@" lines the test reads.
func startChild(ctx context.Context, t *testing.T, role string, env []string, name string, args ...string) *child {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	c := &child{t: t, role: role, lines: make(chan string, 256), done: make(chan struct{})}
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			c.mu.Lock()
			c.out.WriteString(l + "\n")
			c.mu.Unlock()
			if strings.HasPrefix(l, "@@") {
				c.lines <- l
			}
		}
		close(c.lines)
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		if cmd.Process != nil {
			select {
			case <-c.done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
			}
		}
	})
	return c
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

func (c *child) send(cmd string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		c.t.Fatalf("%s: %v", c.role, err)
	}
}

// line waits (bounded) for the next "@@" line with the prefix.
func (c *child) line(prefix string) string {
	c.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("%s ended before %q:\n%s", c.role, prefix, c.output())
			}
			if strings.HasPrefix(l, prefix) {
				return strings.TrimPrefix(l, prefix)
			}
		case <-timeout:
			c.t.Fatalf("%s: timed out waiting for %q:\n%s", c.role, prefix, c.output())
		}
	}
}

func (c *child) wait() error {
	select {
	case <-c.done:
		return c.err
	case <-time.After(30 * time.Second):
		return errors.New("did not exit")
	}
}

// TestNamespaceChild is the body of a namespace child; it runs only when
// TestNamespaces starts it inside a namespace.
func TestNamespaceChild(t *testing.T) {
	role := os.Getenv(envRole)
	if role == "" {
		t.Skip("only runs inside a namespace created by TestNamespaces")
	}
	defer testutil.LeakCheck(t)()
	cfg := auto.Config{Name: role, GroupID: os.Getenv(envGroup)}
	if d := os.Getenv(envDevices); d != "" {
		cfg.Devices = strings.Split(d, ",")
	}
	l, err := auto.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fmt.Printf("@@MCAST %v\n", l.MulticastAddress())
	devs := l.Devices()
	sort.Slice(devs, func(i, j int) bool { return devs[i].Name < devs[j].Name })
	var ds []string
	for _, d := range devs {
		ds = append(ds, d.Name+"="+d.LinkLocal.String())
	}
	fmt.Printf("@@DEVICES %s\n", strings.Join(ds, ","))

	var (
		mu    sync.Mutex
		peers []iface.Interface
		recvd = map[string]int{}
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ifc, err := l.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					fmt.Printf("@@ERROR accept: %v\n", err)
				}
				return
			}
			mu.Lock()
			peers = append(peers, ifc)
			mu.Unlock()
			fmt.Printf("@@PEER %s\n", ifc.Name())
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, ifc.MTU()+auto.MaxIFACSize)
				for {
					n, err := ifc.Receive(buf)
					if err != nil {
						if !errors.Is(err, net.ErrClosed) {
							fmt.Printf("@@ERROR receive: %v\n", err)
						}
						return
					}
					h := hex.EncodeToString(buf[:n])
					mu.Lock()
					recvd[h]++
					mu.Unlock()
					fmt.Printf("@@RECV %s %s\n", ifc.Name(), h)
				}
			}()
		}
	}()

	deadline := time.AfterFunc(75*time.Second, func() {
		fmt.Println("@@ERROR child deadline")
		os.Stdin.Close()
	})
	defer deadline.Stop()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "SEND":
			pkt, err := hex.DecodeString(arg)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			ps := append([]iface.Interface(nil), peers...)
			mu.Unlock()
			sent := 0
			for _, p := range ps {
				if err := p.Send(pkt); err != nil {
					t.Errorf("send on %s: %v", p.Name(), err)
					continue
				}
				sent++
			}
			fmt.Printf("@@SENT %d\n", sent)
		case "STATS":
			st := l.Stats()
			mu.Lock()
			max := 0
			for _, n := range recvd {
				if n > max {
					max = n
				}
			}
			mu.Unlock()
			fmt.Printf("@@STATS dups=%d unknown=%d recv=%d\n", st.Duplicates, st.Unknown, max)
		case "ECHO":
			var e []string
			for _, d := range l.Devices() {
				e = append(e, fmt.Sprint(d.Echoed))
			}
			fmt.Printf("@@ECHO %s\n", strings.Join(e, ","))
		}
	}
	t0 := time.Now()
	l.Close()
	wg.Wait()
	fmt.Println("@@CLOSED", time.Since(t0))
}
