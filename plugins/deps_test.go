package plugins_test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/mehr-net/mehr/"

// TestDeps enforces the plugin rows of STYLE.md §1: the host and the
// shared code see transport only through rns/iface, the SDK does not pull
// in the host, and the example plugin is built against the SDK alone.
func TestDeps(t *testing.T) {
	banned := map[string][]string{
		"plugins/shared": {"rns/transport", "interfaces/", "plugins/host", "plugins/sdk", "config"},
		"plugins/host":   {"rns/transport", "interfaces/", "plugins/sdk", "config"},
		"plugins/sdk":    {"rns/transport", "interfaces/", "plugins/host", "config"},
	}
	for pkg, bans := range banned {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bans {
				if strings.HasPrefix(dep, mod+b) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, mod+"examples/plugin-pipe").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, mod) && imp != mod+"plugins/sdk" {
			t.Errorf("examples/plugin-pipe imports %s; it may import only plugins/sdk", imp)
		}
	}
}
