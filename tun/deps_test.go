package tun_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps enforces what package tun may depend on (see the package doc):
// the rns packages and the standard library, but no interface drivers,
// plugins, configuration, daemon code or OS TUN library (that is
// tun/tundev's), and tun/tuntest nothing of mehr's but tun.
func TestDeps(t *testing.T) {
	const mod = "github.com/mehr-net/mehr/"
	for pkg, allowed := range map[string][]string{
		"tun":         {"tun", "rns"},
		"tun/tuntest": {"tun/tuntest", "tun", "rns"},
	} {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.Contains(dep, "songgao/water") || strings.Contains(dep, "testing") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
			rel, ok := strings.CutPrefix(dep, mod)
			if !ok {
				continue
			}
			ok = false
			for _, a := range allowed {
				if rel == a || a == "rns" && strings.HasPrefix(rel, "rns/") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
