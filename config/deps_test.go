package config

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps checks that the package imports only the standard library and
// the TOML library (STYLE.md §1).
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "github.com/mehr-net/mehr/config":
		case strings.HasPrefix(dep, "github.com/BurntSushi/toml"):
		default:
			t.Errorf("config depends on %s", dep)
		}
	}
}
