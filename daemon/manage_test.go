package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/internal/testutil"
)

func startDaemon(t *testing.T, ctx context.Context, cfg string) (*daemon.Daemon, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, daemon.TOMLConfigFile), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, _, err := daemon.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Start(ctx, dir, c, daemon.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return d, dir
}

func call(t *testing.T, ctx context.Context, dir string, req control.Request) *control.Response {
	t.Helper()
	resp, err := control.Call(ctx, dir, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// attached waits until the named configured interface of the daemon in
// dir has n attachments.
func attached(t *testing.T, ctx context.Context, dir, name string, n int) {
	t.Helper()
	for {
		resp := call(t, ctx, dir, control.Request{Cmd: "interfaces"})
		for _, i := range resp.Interfaces {
			if i.Name == name && len(i.Attached) == n {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %+v", name, resp.Interfaces)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestInterfaceHotPlug adds and removes interfaces of running daemons
// through the control socket, as `mehr interface` does.
func TestInterfaceHotPlug(t *testing.T) {
	defer testutil.LeakCheck(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	port, uport := freePort(t, "tcp"), freePort(t, "udp")
	a, adir := startDaemon(t, ctx, fmt.Sprintf(`[reticulum]
share_instance = false
[[interfaces]]
name = "srv"
type = "TCPServerInterface"
enabled = true
listen_ip = "127.0.0.1"
listen_port = %d
[[interfaces]]
name = "u"
type = "UDPInterface"
enabled = true
listen_ip = "127.0.0.1"
listen_port = %d
forward_ip = "127.0.0.1"
forward_port = %d
`, port, uport, uport))
	defer a.Close()
	b, bdir := startDaemon(t, ctx, "[reticulum]\nshare_instance = false\n")
	defer b.Close()

	if r := call(t, ctx, bdir, control.Request{Cmd: "interfaces"}); r.Error != "" || len(r.Interfaces) != 0 {
		t.Fatalf("fresh daemon: %+v", r)
	}
	client := fmt.Sprintf("[[interfaces]]\nname = \"c\"\ntype = \"TCPClientInterface\"\ntarget_host = \"127.0.0.1\"\ntarget_port = %d\n", port)
	if r := call(t, ctx, bdir, control.Request{Cmd: "interface_add", TOML: client}); r.Error != "" {
		t.Fatalf("add: %+v", r)
	}
	attached(t, ctx, adir, "srv", 1)
	attached(t, ctx, bdir, "c", 1)

	for _, bad := range []struct{ toml, want string }{
		{client, `interface "c" is already open`},
		{"[[interfaces]]\nname = \"x\"\ntype = \"TCPClientInterface\"\n", "target_host"},
		{"[[interfaces]\n", "interface"},
		{"", "no [[interfaces]] entry"},
	} {
		r := call(t, ctx, bdir, control.Request{Cmd: "interface_add", TOML: bad.toml})
		if !strings.Contains(r.Error, bad.want) {
			t.Errorf("add %q: %q, want %q", bad.toml, r.Error, bad.want)
		}
	}
	if r := call(t, ctx, bdir, control.Request{Cmd: "interface_remove", Name: "nope"}); !strings.Contains(r.Error, `no interface "nope"`) {
		t.Errorf("remove unknown: %+v", r)
	}

	// Removing the client closes its connection; A's server loses it.
	if r := call(t, ctx, bdir, control.Request{Cmd: "interface_remove", Name: "c"}); r.Error != "" || len(r.Interfaces) != 0 {
		t.Fatalf("remove: %+v", r)
	}
	if n := len(b.Node.Transport().Interfaces()); n != 0 {
		t.Fatalf("%d interfaces left on B", n)
	}
	attached(t, ctx, adir, "srv", 0)

	// Removing A's server leaves its UDP interface running.
	if r := call(t, ctx, adir, control.Request{Cmd: "interface_remove", Name: "srv"}); r.Error != "" {
		t.Fatalf("remove srv: %+v", r)
	}
	st := call(t, ctx, adir, control.Request{Cmd: "status"}).Status
	if len(st.Interfaces) != 1 || st.Interfaces[0].Name != "u" {
		t.Fatalf("A after removing srv: %+v", st.Interfaces)
	}
	// The port is free again: the listener is closed.
	if r := call(t, ctx, adir, control.Request{Cmd: "interface_add", TOML: fmt.Sprintf(
		"[[interfaces]]\nname = \"srv2\"\ntype = \"TCPServerInterface\"\nlisten_ip = \"127.0.0.1\"\nlisten_port = %d\n", port)}); r.Error != "" {
		t.Fatalf("re-add on the same port: %+v", r)
	}
	// Removing the UDP interface stops its plugin process.
	ps := a.Plugins()
	if len(ps) != 1 || !ps[0].Up || ps[0].PID == 0 {
		t.Fatalf("plugins before removal: %+v", ps)
	}
	pid := ps[0].PID
	for _, ci := range call(t, ctx, adir, control.Request{Cmd: "interfaces"}).Interfaces {
		if ci.Name == "u" && (ci.Plugin == nil || !ci.Plugin.Up || ci.Plugin.PID != pid) {
			t.Fatalf("u listed as %+v", ci)
		}
	}
	if r := call(t, ctx, adir, control.Request{Cmd: "interface_remove", Name: "u"}); r.Error != "" {
		t.Fatalf("remove u: %+v", r)
	}
	if ps := a.Plugins(); len(ps) != 0 {
		t.Fatalf("plugins after removal: %+v", ps)
	}
	for syscall.Kill(pid, 0) == nil {
		select {
		case <-ctx.Done():
			t.Fatalf("plugin process %d still running", pid)
		case <-time.After(20 * time.Millisecond):
		}
	}
	a.Close()
	b.Close()
}
