//go:build linux

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
)

// TestRun starts two radios with links, configures one through its link
// with the driver, and stops the command.
func TestRun(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "rnode")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-n", "2", "-link", prefix, "-stats", "0"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for k := range 2 {
		if !lines.Scan() {
			t.Fatalf("no line for radio %d: %v", k, <-errc)
		}
		if l := lines.Text(); !strings.HasPrefix(l, "radio ") || !strings.Contains(l, "/dev/pts/") {
			t.Fatalf("line %q", l)
		}
	}
	go io.Copy(io.Discard, pr)
	cfg := rnode.Config{Name: "a", Port: prefix + "0", Frequency: 868000000, Bandwidth: 500000, TXPower: 14,
		SpreadingFactor: 7, CodingRate: 5, BootDelay: -1}
	tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
	defer tcancel()
	i, err := rnode.New(tctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !i.Online() {
		t.Fatal("driver not online on the simulated radio")
	}
	i.Close()
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(prefix + "0"); !os.IsNotExist(err) {
		t.Errorf("link left behind: %v", err)
	}
	if err := run(context.Background(), []string{"-n", "0"}, io.Discard); err == nil {
		t.Error("-n 0 accepted")
	}
	if err := run(context.Background(), []string{"-firmware", "x"}, io.Discard); err == nil {
		t.Error("-firmware x accepted")
	}
}
