package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/daemon"
)

func TestInterfaceCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, daemon.TOMLConfigFile), []byte("[reticulum]\nshare_instance = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, _, err := daemon.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, dir, c, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	file := filepath.Join(t.TempDir(), "s.toml")
	os.WriteFile(file, []byte(fmt.Sprintf("[[interfaces]]\nname = \"Loop\"\ntype = \"TCPServerInterface\"\nlisten_ip = \"127.0.0.1\"\nlisten_port = %d\n", port)), 0o600)

	if out, _, err := runCmd(t, "interface", "add", "--config", dir, file); err != nil || !strings.Contains(out, "added") {
		t.Fatalf("add: %q %v", out, err)
	}
	if out, _, err := runCmd(t, "interface", "list", "--config", dir); err != nil || !strings.Contains(out, "Loop") || !strings.Contains(out, "TCPServerInterface") {
		t.Fatalf("list: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "interface", "add", "--config", dir, file); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Fatalf("duplicate add: %v", err)
	}
	if out, _, err := runCmd(t, "interface", "remove", "--config", dir, "Loop"); err != nil || !strings.Contains(out, "removed Loop") {
		t.Fatalf("remove: %q %v", out, err)
	}
	if out, _, err := runCmd(t, "interface", "list", "--json", "--config", dir); err != nil || strings.Contains(out, "Loop") {
		t.Fatalf("list after remove: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "route", "--config", dir); err == nil || !strings.Contains(err.Error(), "Mehr routing is off") {
		t.Errorf("route with routing off: %v", err)
	}
	if _, _, err := runCmd(t, "ip", "--config", dir); err == nil || !strings.Contains(err.Error(), "IP over mehr is off") {
		t.Errorf("ip with the adapter off: %v", err)
	}
	for _, args := range [][]string{{"interface"}, {"interface", "frob"}, {"interface", "add"}, {"interface", "remove", "a", "b"}} {
		if _, _, err := runCmd(t, args...); exitCode(err) != 2 {
			t.Errorf("%v: %v", args, err)
		}
	}
}
