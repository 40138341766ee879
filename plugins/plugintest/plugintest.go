// Package plugintest builds plugin executables for tests, so that tests
// run real plugin processes without a prior make step.
package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
)

// Build compiles each package (an import path such as
// "github.com/mehr-net/mehr/cmd/mehr-plugin-udp") into dir and returns the
// executables' paths by package, named after the package's last element.
func Build(dir string, pkgs ...string) (map[string]string, error) {
	out := make(map[string]string, len(pkgs))
	for _, pkg := range pkgs {
		exe := filepath.Join(dir, path.Base(pkg))
		cmd := exec.Command("go", "build", "-o", exe, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go build %s: %w", pkg, err)
		}
		out[pkg] = exe
	}
	return out, nil
}
