// Package netns holds helpers for tests that need Linux network
// namespaces: a test creates its own namespaces (removed at cleanup), joins
// them with veth pairs, runs commands or Go code inside them, and starts
// background processes there that are killed at cleanup. Nothing here
// touches the host's own interfaces: veth pairs are created inside a test
// namespace and moved to the peer namespace directly.
//
// Every helper skips the test (t.Skip, with the reason) unless it runs as
// root on Linux with ip(8) installed, and every wait is bounded by a
// timeout. Only _test.go files import this package.
package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Timeout bounds every command a helper runs.
const Timeout = 20 * time.Second

// seq makes namespace names unique within the process; the pid makes them
// unique across concurrent test processes.
var seq atomic.Uint32

// Require skips tb unless network namespaces can be created: Linux, root,
// and ip(8) on PATH.
func Require(tb testing.TB) {
	tb.Helper()
	if reason := unsupported(); reason != "" {
		tb.Skip(reason)
	}
}

func unsupported() string {
	if runtime.GOOS != "linux" {
		return "network namespaces need Linux"
	}
	if os.Geteuid() != 0 {
		return "network namespaces need root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "ip(8) is not installed (iproute2)"
	}
	return ""
}

// NS is a network namespace a test created.
type NS struct {
	// Name is the namespace's name, as `ip netns` knows it.
	Name string
	tb   testing.TB
}

// New creates a uniquely named namespace with its loopback up, and
// deletes it at cleanup. It skips tb where namespaces are unavailable.
func New(tb testing.TB) *NS {
	tb.Helper()
	Require(tb)
	n := &NS{Name: fmt.Sprintf("mehrt-%d-%d", os.Getpid(), seq.Add(1)), tb: tb}
	if out, err := run(context.Background(), "ip", "netns", "add", n.Name); err != nil {
		tb.Fatalf("ip netns add %s: %v: %s", n.Name, err, out)
	}
	tb.Cleanup(func() {
		if out, err := run(context.Background(), "ip", "netns", "del", n.Name); err != nil {
			tb.Errorf("ip netns del %s: %v: %s", n.Name, err, out)
		}
	})
	n.IP("link", "set", "lo", "up")
	return n
}

// Path is the namespace's file, for setns(2).
func (n *NS) Path() string { return filepath.Join("/run/netns", n.Name) }

// run runs a command with Timeout and returns its combined output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (after %v)", ctx.Err(), Timeout)
	}
	return string(bytes.TrimSpace(out)), err
}

// IP runs `ip -n NAME args...` and fails the test if it fails.
func (n *NS) IP(args ...string) string {
	n.tb.Helper()
	out, err := run(context.Background(), "ip", append([]string{"-n", n.Name}, args...)...)
	if err != nil {
		n.tb.Fatalf("ip -n %s %s: %v: %s", n.Name, strings.Join(args, " "), err, out)
	}
	return out
}

// Exec runs a command inside the namespace (`ip netns exec`), waits at
// most timeout (Timeout if zero) and returns its combined output.
func (n *NS) Exec(timeout time.Duration, name string, args ...string) (string, error) {
	if timeout <= 0 {
		timeout = Timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s in %s: %w (after %v)", name, n.Name, ctx.Err(), timeout)
	}
	return string(bytes.TrimSpace(out)), err
}

// MustExec is Exec that fails the test on error.
func (n *NS) MustExec(timeout time.Duration, name string, args ...string) string {
	n.tb.Helper()
	out, err := n.Exec(timeout, name, args...)
	if err != nil {
		n.tb.Fatalf("%s %s in %s: %v: %s", name, strings.Join(args, " "), n.Name, err, out)
	}
	return out
}

// Proc is a background process in a namespace.
type Proc struct {
	Cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
	err  error
}

// Start starts a command in the namespace in the background. It is killed
// (SIGKILL) and waited for at cleanup, if it has not exited by then.
func (n *NS) Start(name string, args ...string) *Proc {
	n.tb.Helper()
	p := &Proc{done: make(chan struct{})}
	p.Cmd = exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	p.Cmd.Stdout = &p.out
	p.Cmd.Stderr = &p.out
	p.Cmd.WaitDelay = time.Second
	if err := p.Cmd.Start(); err != nil {
		n.tb.Fatalf("start %s in %s: %v", name, n.Name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	n.tb.Cleanup(func() {
		p.Cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(Timeout):
			n.tb.Errorf("%s in %s did not exit after SIGKILL", name, n.Name)
		}
	})
	return p
}

// Wait waits at most timeout for the process to exit and returns its
// error; a process still running after timeout gives an error.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.Cmd.Path, timeout)
	}
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Output returns what the process wrote to stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }

// AddAddr adds the address p to dev in the namespace. IPv6 addresses are
// added with nodad, so they are usable at once.
func (n *NS) AddAddr(dev string, p netip.Prefix) {
	n.tb.Helper()
	args := []string{"addr", "add", p.String(), "dev", dev}
	if p.Addr().Is6() {
		args = append([]string{"-6"}, append(args, "nodad")...)
	}
	n.IP(args...)
}

// Up sets dev up in the namespace.
func (n *NS) Up(dev string) {
	n.tb.Helper()
	n.IP("link", "set", dev, "up")
}

// Veth creates a veth pair, devA in a and devB in b, gives each end its
// addresses and sets both up. The pair is created inside a, never in the
// host's namespace, and goes away with the namespaces.
func Veth(tb testing.TB, a *NS, devA string, addrsA []netip.Prefix, b *NS, devB string, addrsB []netip.Prefix) {
	tb.Helper()
	a.IP("link", "add", devA, "type", "veth", "peer", "name", devB, "netns", b.Name)
	for _, p := range addrsA {
		a.AddAddr(devA, p)
	}
	for _, p := range addrsB {
		b.AddAddr(devB, p)
	}
	a.Up(devA)
	b.Up(devB)
}

// Wrap writes an executable script into a temporary directory that runs
// exe with its arguments inside the namespace, and returns its path. A
// program that starts exe by path (a plugin host) then starts it in the
// namespace, restarts included; the script execs, so the process keeps
// its pid, environment and inherited descriptors.
func (n *NS) Wrap(exe string) string {
	n.tb.Helper()
	ip, err := exec.LookPath("ip")
	if err != nil {
		n.tb.Fatal(err)
	}
	path := filepath.Join(n.tb.TempDir(), filepath.Base(exe)+"-in-"+n.Name)
	script := fmt.Sprintf("#!/bin/sh\nexec %q netns exec %q %q \"$@\"\n", ip, n.Name, exe)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		n.tb.Fatal(err)
	}
	return path
}

// WaitFor calls cond every 20 ms until it returns true, and fails the
// test if it has not after timeout.
func WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not after %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ErrNotLinux is returned by Do on other platforms.
var ErrNotLinux = errors.New("network namespaces need Linux")
