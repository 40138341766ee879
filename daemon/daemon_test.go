package daemon_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/internal/testutil"
)

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestLoadConfigWritesDefault(t *testing.T) {
	dir := t.TempDir()
	c, from, _, err := daemon.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if from != filepath.Join(dir, daemon.TOMLConfigFile) || len(c.Interfaces) != 1 || c.Interfaces[0].Type != config.TypeAuto {
		t.Fatalf("default config from %s: %+v", from, c.Interfaces)
	}
	if _, err := os.Stat(from); err != nil {
		t.Fatalf("default config.toml not written: %v", err)
	}
	// The written file loads again as the same configuration.
	c2, _, _, err := daemon.LoadConfig(dir)
	if err != nil || len(c2.Interfaces) != 1 || !c2.Reticulum.ShareInstance {
		t.Fatalf("reloading: %+v %v", c2, err)
	}
}

func TestLoadConfigErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, daemon.TOMLConfigFile), []byte("[reticulum]\nenable_transport = \"maybe\"\n"), 0o600)
	_, _, _, err := daemon.LoadConfig(dir)
	if err == nil || !strings.Contains(err.Error(), "config.toml:2") || !strings.Contains(err.Error(), "enable_transport") {
		t.Fatalf("error %v does not name file, line and key", err)
	}
}

// TestStartFromReticulumDir starts a node from a directory holding only a
// reference-format config with TCP server, TCP client and UDP interfaces.
func TestStartFromReticulumDir(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	tp, up1, up2 := freePort(t, "tcp"), freePort(t, "udp"), freePort(t, "udp")
	cfg := fmt.Sprintf(`[reticulum]
  enable_transport = Yes
  share_instance = No
  respond_to_probes = Yes
[logging]
  loglevel = 3
[interfaces]
  [[Public TCP]]
    type = TCPServerInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = %d
  [[Loop TCP]]
    type = TCPClientInterface
    enabled = yes
    target_host = 127.0.0.1
    target_port = %d
  [[Local UDP]]
    type = UDPInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = %d
    forward_ip = 127.0.0.1
    forward_port = %d
    mode = gateway
  [[Off]]
    type = TCPClientInterface
    enabled = no
    target_host = 127.0.0.1
    target_port = 1
`, tp, tp, up1, up2)
	if err := os.WriteFile(filepath.Join(dir, daemon.ReticulumConfigFile), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, from, warnings, err := daemon.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if from != filepath.Join(dir, daemon.ReticulumConfigFile) || len(warnings) != 0 {
		t.Fatalf("loaded %s with warnings %v", from, warnings)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, dir, c, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The client connects to our own server: expect the client, the
	// server's spawned interface and UDP.
	var st *control.Status
	for {
		resp, err := control.Call(ctx, dir, control.Request{Cmd: "status"})
		if err != nil {
			t.Fatal(err)
		}
		st = resp.Status
		if len(st.Interfaces) == 3 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("interfaces: %+v", st.Interfaces)
		case <-time.After(20 * time.Millisecond):
		}
	}
	modes := map[string]string{}
	for _, i := range st.Interfaces {
		modes[i.Name] = i.Mode
	}
	if modes["Local UDP"] != "gateway" || modes["Loop TCP"] != "full" {
		t.Errorf("modes %v", modes)
	}
	if !st.TransportEnabled || st.ProbeResponder == "" {
		t.Errorf("transport %v, probe responder %q", st.TransportEnabled, st.ProbeResponder)
	}
	if _, err := os.Stat(filepath.Join(dir, daemon.StorageDir, "transport_identity")); err != nil {
		t.Errorf("transport identity not stored: %v", err)
	}
	d.Close()
}

// TestStartBackbone: the reference's BackboneInterface (listen_on, port)
// and BackboneClientInterface (remote, port) come up as TCP with the
// Backbone bitrate guesses.
func TestStartBackbone(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	port := freePort(t, "tcp")
	cfg := fmt.Sprintf(`[reticulum]
  enable_transport = Yes
  share_instance = No
[interfaces]
  [[BB]]
    type = BackboneInterface
    enabled = yes
    listen_on = 127.0.0.1
    port = %d
  [[BBC]]
    type = BackboneClientInterface
    enabled = yes
    remote = 127.0.0.1
    port = %d
`, port, port)
	if err := os.WriteFile(filepath.Join(dir, daemon.ReticulumConfigFile), []byte(cfg), 0o600); err != nil {
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
	for {
		resp, err := control.Call(ctx, dir, control.Request{Cmd: "status"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Status.Interfaces) == 2 {
			rates := map[bool]int64{}
			for _, i := range resp.Status.Interfaces {
				rates[i.Name == "BBC"] = i.Bitrate
			}
			if rates[true] != 100_000_000 || rates[false] != 1_000_000_000 {
				t.Errorf("bitrates %v", resp.Status.Interfaces)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("interfaces: %+v", resp.Status.Interfaces)
		case <-time.After(20 * time.Millisecond):
		}
	}
	d.Close()
}
