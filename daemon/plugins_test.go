package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/plugins/plugintest"
)

const pipePluginPkg = "github.com/mehr-net/mehr/examples/plugin-pipe"

var pluginBins map[string]string

// TestMain builds the plugins and puts them on PATH, where mehrd finds
// mehr-plugin-udp, -serial, -kiss and -rnode for their sections.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "daemon-plugins")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginBins, err = plugintest.Build(dir, "github.com/mehr-net/mehr/cmd/mehr-plugin-udp", pipePluginPkg,
		"github.com/mehr-net/mehr/cmd/mehr-plugin-serial", "github.com/mehr-net/mehr/cmd/mehr-plugin-kiss",
		"github.com/mehr-net/mehr/cmd/mehr-plugin-rnode")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestFindPlugin(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, daemon.PluginPrefix+"thing")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, daemon.PluginPrefix+"noexec"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, want string
	}{
		{"thing", dir, exe},
		{daemon.PluginPrefix + "thing", dir, exe},
		{exe, "", exe},
		{"udp", "", pluginBins["github.com/mehr-net/mehr/cmd/mehr-plugin-udp"]}, // on PATH
		{"thing", "", ""},
		{"noexec", dir, ""},
		{filepath.Join(dir, "missing"), "", ""},
	} {
		got, err := daemon.FindPlugin(c.name, c.dir)
		if c.want == "" {
			if !errors.Is(err, daemon.ErrPluginNotFound) {
				t.Errorf("FindPlugin(%q, %q) = %q, %v; want ErrPluginNotFound", c.name, c.dir, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("FindPlugin(%q, %q) = %q, %v; want %q", c.name, c.dir, got, err, c.want)
		}
	}
}

// TestStartThirdPartyPlugin: an interface of a type mehrd does not know,
// with a plugin key, runs in that plugin and gets its own keys.
func TestStartThirdPartyPlugin(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`[reticulum]
share_instance = false

[[interfaces]]
name = "Echo pipe"
type = "ExamplePipeInterface"
enabled = true
plugin = %q
command = "cat"
respawn_delay = 0.5
`, pluginBins[pipePluginPkg])
	c, warns, err := config.Decode(strings.NewReader(cfg), "config.toml")
	if err != nil || len(warns) != 0 {
		t.Fatalf("%v %v", err, warns)
	}
	var mu sync.Mutex
	var logs strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, dir, c, daemon.Options{NoControl: true, Logf: func(f string, a ...any) {
		mu.Lock()
		fmt.Fprintf(&logs, f+"\n", a...)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ifs := d.Node.Transport().Interfaces()
	if len(ifs) != 1 || ifs[0].Name() != "Echo pipe" || ifs[0].MTU() != 1064 {
		t.Fatalf("interfaces %v", ifs)
	}
	if ps := d.Plugins(); len(ps) != 1 || ps[0].Name != "Echo pipe" || !ps[0].Up || ps[0].PID == 0 {
		t.Fatalf("plugins %+v", ps)
	}
	d.Close()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "runs in plugin") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// TestPluginMissing: a plugin that cannot be found fails the start with
// an error naming it.
func TestPluginMissing(t *testing.T) {
	defer testutil.LeakCheck(t)()
	c := config.Default()
	c.Reticulum.ShareInstance = false
	it := config.NewInterface("Nowhere", "NoSuchInterface")
	it.Enabled = true
	it.Plugin = "no-such-plugin"
	c.Interfaces = []config.Interface{it}
	_, err := daemon.Start(context.Background(), t.TempDir(), c, daemon.Options{NoControl: true})
	if !errors.Is(err, daemon.ErrPluginNotFound) || !strings.Contains(err.Error(), "mehr-plugin-no-such-plugin") {
		t.Fatalf("err %v", err)
	}
}
