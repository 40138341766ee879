package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/plugins/plugintest"
)

const testPluginPkg = "github.com/mehr-net/mehr/plugins/internal/testplugin"

var testPlugin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plugintest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err := plugintest.Build(dir, testPluginPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	testPlugin = bins[testPluginPkg]
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// logBuf collects log lines for assertions.
type logBuf struct {
	t     testing.TB
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	l.t.Log(s)
}

func (l *logBuf) contains(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func start(t *testing.T, behaviour string, cfg host.Config) (*host.Interface, *logBuf) {
	t.Helper()
	lb := &logBuf{t: t}
	cfg.Name = "test-" + behaviour
	cfg.Path = testPlugin
	cfg.Config = []byte(fmt.Sprintf("name = %q\ntype = \"TestInterface\"\nbehaviour = %q\n", cfg.Name, behaviour))
	cfg.Logf = lb.logf
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 50 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	i, err := host.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i, lb
}

// receiver runs Receive on its own goroutine and hands packets on.
func receiver(i *host.Interface) (<-chan string, func()) {
	ch := make(chan string, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, i.MTU())
		for {
			n, err := i.Receive(buf)
			if err != nil {
				return
			}
			select {
			case ch <- string(buf[:n]):
			default:
			}
		}
	}()
	return ch, func() { <-done }
}

func expect(t *testing.T, ch <-chan string, want string, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case got := <-ch:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("did not receive %q within %v", want, d)
		}
	}
}

// waitFor polls cond every 10 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLoopback(t *testing.T) {
	defer testutil.LeakCheck(t)()
	i, _ := start(t, "loop", host.Config{})
	ch, wait := receiver(i)
	defer wait()
	defer i.Close()
	if i.MTU() != 500 || i.Bitrate() != 1e9 || i.DefaultIFACSize() != 16 || i.Name() != "test-loop" {
		t.Fatalf("properties: MTU %d, bitrate %d, IFAC %d, name %q", i.MTU(), i.Bitrate(), i.DefaultIFACSize(), i.Name())
	}
	for k := range 100 {
		if err := i.Send(fmt.Appendf(nil, "packet %d", k)); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, ch, "packet 99", 10*time.Second)
	if err := i.Send(make([]byte, 500+64+1)); !errors.Is(err, host.ErrTooLarge) {
		t.Fatalf("oversized Send: %v", err)
	}
	st := i.Status()
	if !st.Up || st.PID == 0 || st.Restarts != 0 {
		t.Fatalf("status %+v", st)
	}
	if c := i.Counters(); c.TxPackets != 100 || c.RxPackets < 1 {
		t.Fatalf("counters %+v", c)
	}
}

func TestRestartAfterKill(t *testing.T) {
	defer testutil.LeakCheck(t)()
	i, lb := start(t, "loop", host.Config{})
	ch, wait := receiver(i)
	defer wait()
	defer i.Close()
	if err := i.Send([]byte("before")); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, "before", 10*time.Second)
	pid := i.Status().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "restart", func() bool {
		st := i.Status()
		return st.Up && st.Restarts == 1 && st.PID != pid
	})
	if !lb.contains("down, restarting") || !lb.contains("up again") {
		t.Fatal("no down/up log lines")
	}
	if err := i.Send([]byte("after")); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, "after", 10*time.Second)
}

func TestGarbageIsCutOff(t *testing.T) {
	defer testutil.LeakCheck(t)()
	i, lb := start(t, "garbage", host.Config{MaxGarbage: 20, MinBackoff: time.Second})
	defer i.Close()
	waitFor(t, 20*time.Second, "a restart", func() bool { return i.Status().Restarts >= 1 })
	if st := i.Status(); st.Garbage <= 20 || !strings.Contains(st.LastError, "cut off") {
		t.Fatalf("status %+v", st)
	}
	if !lb.contains("plugin test-garbage") || !lb.contains("cut off") {
		t.Fatal("no log line naming the plugin and what it did")
	}
}

func TestHangIsCutOff(t *testing.T) {
	defer testutil.LeakCheck(t)()
	i, _ := start(t, "hang", host.Config{HealthInterval: 100 * time.Millisecond, CallTimeout: 500 * time.Millisecond, MinBackoff: time.Second})
	defer i.Close()
	waitFor(t, 20*time.Second, "a restart", func() bool { return i.Status().Restarts >= 1 })
	if st := i.Status(); !strings.Contains(st.LastError, "health check") {
		t.Fatalf("status %+v", st)
	}
}

func TestSendWhileDown(t *testing.T) {
	defer testutil.LeakCheck(t)()
	i, _ := start(t, "loop", host.Config{MinBackoff: 3 * time.Second})
	defer i.Close()
	syscall.Kill(i.Status().PID, syscall.SIGKILL)
	waitFor(t, 10*time.Second, "down", func() bool { return !i.Status().Up })
	if err := i.Send([]byte("x")); !errors.Is(err, host.ErrDown) {
		t.Fatalf("Send while down: %v", err)
	}
}

func TestBadExecutable(t *testing.T) {
	defer testutil.LeakCheck(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := host.Start(ctx, host.Config{Name: "x", Path: "/bin/true", StartTimeout: 5 * time.Second})
	if err == nil {
		t.Fatal("started /bin/true as a plugin")
	}
}

// TestOpenErrorIsTheDriversMessage: a configuration the driver refuses
// fails Start with the driver's own message.
func TestOpenErrorIsTheDriversMessage(t *testing.T) {
	defer testutil.LeakCheck(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := host.Start(ctx, host.Config{Name: "bad", Path: testPlugin, Config: []byte("behaviour = \"refuse\"\n")})
	if err == nil || !strings.Contains(err.Error(), "open: testplugin refuses to open") || strings.Contains(err.Error(), "rpc error") {
		t.Fatalf("err %v", err)
	}
}

// restartDelays returns the delays of the "restarting in" log lines.
func (l *logBuf) restartDelays() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if _, d, ok := strings.Cut(s, "restarting in "); ok {
			out = append(out, d)
		}
	}
	return out
}

// TestBackoff: a plugin that keeps dying is restarted after delays that
// double up to MaxBackoff; with runs that count as stable, the delay
// stays at MinBackoff.
func TestBackoff(t *testing.T) {
	defer testutil.LeakCheck(t)()
	t.Run("doubling", func(t *testing.T) {
		i, lb := start(t, "die", host.Config{MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond})
		defer i.Close()
		waitFor(t, 30*time.Second, "5 restarts", func() bool { return len(lb.restartDelays()) >= 5 })
		got := lb.restartDelays()[:5]
		want := []string{"20ms", "40ms", "80ms", "80ms", "80ms"}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("delays %q, want %q", got, want)
			}
		}
	})
	t.Run("reset after a stable run", func(t *testing.T) {
		i, lb := start(t, "die", host.Config{MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond,
			StableAfter: time.Millisecond})
		defer i.Close()
		waitFor(t, 30*time.Second, "3 restarts", func() bool { return len(lb.restartDelays()) >= 3 })
		for _, d := range lb.restartDelays()[:3] {
			if d != "20ms" {
				t.Fatalf("delays %q, want 20ms each", lb.restartDelays())
			}
		}
	})
}
