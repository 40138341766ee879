package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/config"
)

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	return out.String(), errb.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestUsageAndUnknown(t *testing.T) {
	if _, _, err := runCmd(t); exitCode(err) != 2 {
		t.Errorf("no args: %v", err)
	}
	if _, _, err := runCmd(t, "frobnicate"); exitCode(err) != 2 {
		t.Errorf("unknown: %v", err)
	}
	if out, _, err := runCmd(t, "version"); err != nil || !strings.HasPrefix(out, "mehr ") {
		t.Errorf("version: %q %v", out, err)
	}
}

func TestID(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "id")
	out, _, err := runCmd(t, "id", "-g", f)
	if err != nil || !strings.Contains(out, "written to") {
		t.Fatalf("generate: %q %v", out, err)
	}
	if _, _, err := runCmd(t, "id", "-g", f); err == nil {
		t.Error("overwrote an identity without -f")
	}
	out, _, err = runCmd(t, "id", "-i", f, "-p")
	if err != nil || !strings.Contains(out, "Identity Hash") || !strings.Contains(out, "Private Key   : Hidden") {
		t.Fatalf("print: %q %v", out, err)
	}
	out, _, err = runCmd(t, "id", "-i", f, "-H", "rnstransport.probe")
	if err != nil || !strings.Contains(out, "rnstransport.probe destination for this identity") {
		t.Fatalf("hash: %q %v", out, err)
	}
	os.WriteFile(filepath.Join(dir, "bad"), []byte("short"), 0o600)
	if _, _, err := runCmd(t, "id", "-i", filepath.Join(dir, "bad")); err == nil {
		t.Error("a 5-byte identity file loaded")
	}
}

func TestConfigImport(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "config")
	os.WriteFile(in, []byte("[reticulum]\n  enable_transport = Yes\n[interfaces]\n  [[Up]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = 4242\n    bogus_key = 1\n"), 0o600)
	out, stderr, err := runCmd(t, "config", "import", in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "bogus_key") {
		t.Errorf("unknown key not warned about: %q", stderr)
	}
	c, _, err := config.Decode(strings.NewReader(out), "imported.toml")
	if err != nil || !c.Reticulum.EnableTransport || len(c.Interfaces) != 1 || c.Interfaces[0].TargetPort != 4242 {
		t.Fatalf("imported TOML: %+v %v", c, err)
	}
	if _, _, err := runCmd(t, "config", "import", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file imported")
	}
}

func TestStatusWithoutDaemon(t *testing.T) {
	_, _, err := runCmd(t, "status", "--config", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is mehrd running") {
		t.Fatalf("status without daemon: %v", err)
	}
	if _, _, err := runCmd(t, "path", "--config", t.TempDir(), "nothex"); err == nil {
		t.Error("bad hash accepted")
	}
}
