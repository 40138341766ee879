//go:build linux

package rnode_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/internal/testutil"
)

// openTerminal serves a simulated radio on a pseudo-terminal.
func openTerminal(t testing.TB, ch *sim.Channel, name string) *sim.Terminal {
	t.Helper()
	term, err := sim.OpenTerminal(ch, sim.Options{Name: name, Logf: t.Logf})
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { term.Close() })
	return term
}

// relink points link at target atomically, as udev re-creates a
// /dev/serial/by-id link when a radio is plugged in again.
func relink(t testing.TB, target, link string) {
	t.Helper()
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// TestSerialReconnect runs the driver on real serial ports (simulated
// radios on pseudo-terminals): packets flow, the radio goes away (Send
// fails, Receive keeps blocking), comes back under the same name, and the
// driver reopens it and carries on.
func TestSerialReconnect(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	link := filepath.Join(t.TempDir(), "rnode-a")
	ta := openTerminal(t, ch, "a")
	relink(t, ta.Path, link)
	tb := openTerminal(t, ch, "b")
	ctx := waitCtx(t)

	cfg := testConfig(t, "a")
	cfg.Port = link
	a, err := rnode.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	cfg = testConfig(t, "b")
	cfg.Port = tb.Path
	b, err := rnode.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if !a.Online() || !b.Online() {
		t.Fatal("not online")
	}
	if err := a.Send([]byte("first")); err != nil {
		t.Fatal(err)
	}
	if got, sig := receive(t, b); string(got) != "first" || sig.RSSI != sim.DefaultRSSI {
		t.Fatalf("got %q %+v", got, sig)
	}

	got := make(chan string, 1)
	go func() {
		buf := make([]byte, rnode.DataMTU)
		n, err := a.Receive(buf)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(buf[:n])
	}()
	ta.Close() // unplugged
	if err := a.WaitOffline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Send([]byte("x")); !errors.Is(err, rnode.ErrNotConnected) {
		t.Fatalf("Send while unplugged: %v", err)
	}
	select {
	case s := <-got:
		t.Fatalf("Receive returned %q while unplugged", s)
	case <-time.After(100 * time.Millisecond):
	}

	ta2 := openTerminal(t, ch, "a") // plugged in again
	relink(t, ta2.Path, link)
	if err := a.WaitOnline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Send([]byte("second")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "second" {
			t.Fatalf("got %q", s)
		}
	case <-ctx.Done():
		t.Fatal("nothing received after the radio came back")
	}
	if s := a.Stats(); s.Connects != 2 {
		t.Errorf("connects %d", s.Connects)
	}
}
