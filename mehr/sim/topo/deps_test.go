package topo

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the package pure: standard library only, nothing else of
// this module.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/mehr-net/mehr/mehr/sim/topo" {
			continue
		}
		if first, _, _ := strings.Cut(dep, "/"); strings.Contains(first, ".") {
			t.Errorf("mehr/sim/topo depends on %s", dep)
		}
	}
}
