package plugins_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/plugins/shared"
)

// helperEnv makes the test binary act as a host that starts a plugin,
// prints its process ID and waits to be killed.
const helperEnv = "MEHR_PLUGINS_TEST_HOST"

// runHelperHost is the helper's main.
func runHelperHost(plugin string) {
	i, err := host.Start(context.Background(), host.Config{Name: "orphan", Path: plugin,
		Config: []byte("behaviour = \"loop\"\n")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(i.Status().PID)
	select {}
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(data)
	k := strings.LastIndexByte(s, ')')
	return k < 0 || k+2 >= len(s) || s[k+2] != 'Z'
}

// startHelper runs cmd, reads the plugin's process ID from its first line
// of output, and returns it.
func startHelper(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		pid, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("helper said %q", s)
		}
		return pid
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not start the plugin")
	}
	return 0
}

func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin %d still running %v after its host died", pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPluginDiesWithHost: kill -9 the host process; the kernel's
// parent-death signal ends the plugin.
func TestPluginDiesWithHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("parent-death signal is Linux only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+bins[testPluginPkg])
	pid := startHelper(t, cmd)
	if !alive(pid) {
		t.Fatal("plugin not running")
	}
	cmd.Process.Kill()
	waitGone(t, pid, 5*time.Second)
}

// TestSDKPluginExitsWithParent: an SDK plugin whose parent (here a shell,
// which sets no parent-death signal) dies notices and exits on its own.
func TestSDKPluginExitsWithParent(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	cmd := exec.Command("sh", "-c", `"$0" >/dev/null 2>&1 & echo $!; wait`, bins[udpPluginPkg])
	cmd.Env = append(os.Environ(), shared.Handshake.MagicCookieKey+"="+shared.Handshake.MagicCookieValue)
	pid := startHelper(t, cmd)
	time.Sleep(300 * time.Millisecond) // let it reach its parent watch
	if !alive(pid) {
		t.Fatal("plugin not running")
	}
	cmd.Process.Kill()
	waitGone(t, pid, 5*time.Second)
}
