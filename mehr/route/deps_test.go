package route

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the table transport-independent: of this module it may
// import only rns/wire and the Mehr codecs.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	allowed := map[string]bool{
		"github.com/mehr-net/mehr/mehr/route":    true,
		"github.com/mehr-net/mehr/rns/wire":      true,
		"github.com/mehr-net/mehr/mehr/pathcost": true,
		"github.com/mehr-net/mehr/mehr/ext":      true,
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/mehr-net/mehr") && !allowed[dep] {
			t.Errorf("mehr/route depends on %s", dep)
		}
		if first, _, _ := strings.Cut(dep, "/"); strings.Contains(first, ".") && !strings.HasPrefix(dep, "github.com/mehr-net/mehr") {
			t.Errorf("mehr/route depends on third-party %s", dep)
		}
	}
}
