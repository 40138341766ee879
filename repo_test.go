// Package mehr is the root of the mehr module: a Go node that speaks
// Reticulum on the wire and adds the Mehr network-layer extensions. The
// root package holds only repository-wide guard tests (package docs, gofmt,
// import rules); see README.md and docs/ARCHITECTURE.md for the layout.
package mehr

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// packages lists the directories of every package in the module.
func packages(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Dir}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, dir, _ := strings.Cut(line, " ")
		pkgs[path] = dir
	}
	return pkgs
}

// TestPackageDocs checks that every package has exactly one package doc
// comment, in a non-test file.
func TestPackageDocs(t *testing.T) {
	for path, dir := range packages(t) {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		docs := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") && !strings.HasSuffix(f, "repo_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && (strings.HasPrefix(af.Doc.Text(), "Package ") || af.Name.Name == "main" && strings.HasPrefix(af.Doc.Text(), "Command ")) {
				docs++
			}
		}
		if docs != 1 {
			t.Errorf("%s: %d package doc comments, want exactly 1", path, docs)
		}
	}
}

// TestGofmt fails if any Go file is not gofmt-formatted.
func TestGofmt(t *testing.T) {
	out, err := exec.Command("gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		t.Skipf("gofmt unavailable: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("gofmt needed:\n%s", s)
	}
}

// importRules maps a package prefix to import-path substrings its
// non-test dependency graph must not contain (STYLE.md §1).
var importRules = map[string][]string{
	"github.com/mehr-net/mehr/rns/": {
		"github.com/mehr-net/mehr/interfaces", "github.com/mehr-net/mehr/plugins",
		"github.com/mehr-net/mehr/tun", "github.com/mehr-net/mehr/mehr",
		"github.com/mehr-net/mehr/config", "github.com/mehr-net/mehr/vectors",
		"github.com/mehr-net/mehr/internal/testutil",
	},
	"github.com/mehr-net/mehr/rns/wire":           {"encoding/json", "encoding/gob", "msgpack", "/rns/identity"},
	"github.com/mehr-net/mehr/rns/transport":      {"encoding/json", "encoding/gob", "msgpack", "/interfaces/"},
	"github.com/mehr-net/mehr/rns/iface":          {"github.com/mehr-net/mehr/"},
	"github.com/mehr-net/mehr/interfaces/framing": {"github.com/mehr-net/mehr/"},
	// Mehr's extensions plug into rns; they never reach down into drivers,
	// plugins or the daemon.
	"github.com/mehr-net/mehr/mehr/": {
		"github.com/mehr-net/mehr/interfaces", "github.com/mehr-net/mehr/plugins",
		"github.com/mehr-net/mehr/daemon", "github.com/mehr-net/mehr/config",
	},
	// Drivers see only the driver contract: no configuration schema, no
	// transport, no plugin machinery (cmd and internal/pluginmain map the
	// configuration onto each driver's Config).
	"github.com/mehr-net/mehr/interfaces/": {
		"github.com/mehr-net/mehr/config", "github.com/mehr-net/mehr/rns/transport",
		"github.com/mehr-net/mehr/plugins", "github.com/mehr-net/mehr/daemon",
	},
}

// TestImportRules enforces the dependency table of STYLE.md with go list.
func TestImportRules(t *testing.T) {
	for path := range packages(t) {
		if strings.HasSuffix(path, "test") { // test-helper packages
			continue
		}
		for prefix, banned := range importRules {
			if !strings.HasPrefix(path+"/", prefix) && path != strings.TrimSuffix(prefix, "/") {
				continue
			}
			out, err := exec.Command("go", "list", "-deps", path).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", path, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == path {
					continue
				}
				for _, b := range banned {
					if strings.Contains(dep, b) {
						t.Errorf("%s imports %s (banned: %s)", path, dep, b)
					}
				}
			}
		}
	}
	// "testing" must stay out of non-test rns packages.
	for path := range packages(t) {
		if !strings.HasPrefix(path, "github.com/mehr-net/mehr/rns") || strings.HasSuffix(path, "test") {
			continue
		}
		out, _ := exec.Command("go", "list", "-deps", path).Output()
		for _, dep := range strings.Fields(string(out)) {
			if dep == "testing" {
				t.Errorf("%s depends on package testing", path)
			}
		}
	}
}
