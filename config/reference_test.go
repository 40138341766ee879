package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// refEnv names the environment variable that points TestReferenceConfigs
// at a checkout of the Python reference (Reticulum 1.4.2).
const refEnv = "MEHR_RETICULUM_REF"

// TestReferenceConfigs imports the configuration texts that ship with the
// Python reference: the default configuration it writes on first start
// (RNS/Reticulum.py), the output of rnsd --exampleconfig, and the
// configuration examples of its manual (docs/source/interfaces.rst and
// using.rst). None of them is copied into this repository; the test reads
// them from the checkout named by MEHR_RETICULUM_REF and is skipped without
// it. scripts/interop/config_import.sh runs it.
//
// Every text must import without warnings, survive Marshal and Load
// unchanged, and keep the value of every key; the default configuration
// must import as Default().
func TestReferenceConfigs(t *testing.T) {
	ref := os.Getenv(refEnv)
	if ref == "" {
		t.Skipf("set %s to a Reticulum checkout to import the reference's configuration texts", refEnv)
	}
	if _, err := os.Stat(filepath.Join(ref, "RNS", "Reticulum.py")); err != nil {
		t.Fatalf("%s=%s is not a Reticulum checkout: %v", refEnv, ref, err)
	}

	docs := []refDoc{
		{"default", pyTripleQuoted(t, filepath.Join(ref, "RNS", "Reticulum.py"), "__default_rns_config__")},
		{"exampleconfig", exampleConfig(t, ref)},
	}
	docs = append(docs, manualDocuments(t, ref)...)

	total := 0
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			c := importReference(t, d.name, d.text)
			if d.name == "default" {
				equalConfig(t, c, Default())
			}
			keys := checkKeysSurvive(t, c, d.text, d.name)
			t.Logf("%d keys keep their values (%d interfaces)", keys, len(c.Interfaces))
			total += keys
		})
	}
	t.Logf("%d keys of %d reference configuration texts keep their values", total, len(docs))
}

// refDoc is a configuration text of the reference.
type refDoc struct{ name, text string }

// importReference imports text, checks that it gives no warnings, and that
// the TOML written for it loads as an equal Config.
func importReference(t *testing.T, name, text string) *Config {
	t.Helper()
	c, warns, err := ImportReticulum(strings.NewReader(text), name)
	if err != nil {
		t.Fatalf("ImportReticulum: %v\n%s", err, text)
	}
	for _, w := range warns {
		t.Errorf("warning: %v", w)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "mehr.toml")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, lwarns, err := Load(file)
	if err != nil || len(lwarns) > 0 {
		t.Fatalf("Load: %v %v\n%s", err, lwarns, out)
	}
	equalConfig(t, loaded, c)
	return c
}

// pyTripleQuoted returns the text of the triple-quoted string literal
// assigned to name at the start of a line of a Python source file. It
// refuses literals with backslashes, whose escapes it does not evaluate.
func pyTripleQuoted(t *testing.T, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for _, q := range []string{"'''", `"""`} {
		marker := "\n" + name + " = " + q
		i := strings.Index(src, marker)
		if i < 0 {
			continue
		}
		rest := src[i+len(marker):]
		j := strings.Index(rest, q)
		if j < 0 {
			t.Fatalf("%s: %s: unterminated string", path, name)
		}
		s := rest[:j]
		if strings.Contains(s, `\`) {
			t.Fatalf("%s: %s contains backslashes; extract it by running Python instead", path, name)
		}
		return s
	}
	t.Fatalf("%s: no %s = '''...''' assignment", path, name)
	return ""
}

// exampleConfig returns the output of rnsd --exampleconfig, run from the
// checkout with python3. Without python3 it falls back to the string that
// rnsd prints, read from rnsd.py; with python3, the two must agree.
func exampleConfig(t *testing.T, ref string) string {
	t.Helper()
	text := pyTripleQuoted(t, filepath.Join(ref, "RNS", "Utilities", "rnsd.py"), "__example_rns_config__")
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Logf("python3 not found; using __example_rns_config__ from rnsd.py instead of running rnsd --exampleconfig")
		return text
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "RNS.Utilities.rnsd", "--exampleconfig")
	pythonPath := ref
	if p := os.Getenv("PYTHONPATH"); p != "" {
		pythonPath += string(os.PathListSeparator) + p
	}
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pythonPath, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 -m RNS.Utilities.rnsd --exampleconfig: %v\n%s", err, stderr.String())
	}
	if string(out) != text+"\n" {
		t.Errorf("the output of rnsd --exampleconfig is not __example_rns_config__ of rnsd.py")
	}
	return string(out)
}

// Section lines of the reference's dialect, as far as the manual's
// examples need: [name] and [[name]], blanks allowed, then an optional
// comment.
var (
	rstSection1 = regexp.MustCompile(`^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$`)
	rstSection2 = regexp.MustCompile(`^(\s*)\[\s*\[\s*([^\[\]]+?)\s*\]\s*\](\s*(#.*)?)$`)
	rstKeyValue = regexp.MustCompile(`^\s*([A-Za-z0-9_]+)\s*=`)
)

// manualDocuments builds configuration documents from the literal blocks of
// the reference's manual, docs/source/interfaces.rst and then using.rst:
//
//   - A block with an [interfaces] section is a complete configuration and
//     becomes a document of its own.
//   - Every other block with a [[Name]] section is an interface example.
//     Its lines from the first [[Name]] on are gathered under one
//     [interfaces] section; a name seen before gets a " (2)", " (3)", ...
//     suffix so that the sections stay distinct. Examples that leave keys
//     out with a "..." line are fragments and are skipped.
//   - A block that starts with [reticulum] is a snippet of settings. Its
//     key = value lines (not the "..." that stand for the rest of the
//     section) are gathered into one [reticulum] section; a key that is
//     already there keeps its first value.
//
// The gathered document, named "manual", comes first; complete
// configurations are named by file and line.
func manualDocuments(t *testing.T, ref string) []refDoc {
	t.Helper()
	var complete []refDoc
	var settings, ifaces []string
	seenKey := map[string]bool{}
	seenName := map[string]int{}
	skipped := 0
	for _, name := range []string{"interfaces.rst", "using.rst"} {
		path := filepath.Join(ref, "docs", "source", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, blk := range rstLiteralBlocks(string(data)) {
			b := blk.lines
			first, sec2 := "", -1
			isComplete, elided := false, false
			for i, l := range b {
				if strings.TrimSpace(l) == "..." {
					elided = true
				}
				if first == "" && strings.TrimSpace(l) != "" {
					first = strings.TrimSpace(l)
				}
				if m := rstSection1.FindStringSubmatch(l); m != nil && m[1] == "interfaces" {
					isComplete = true
				}
				if sec2 < 0 && rstSection2.MatchString(l) {
					sec2 = i
				}
			}
			switch {
			case isComplete:
				complete = append(complete, refDoc{fmt.Sprintf("%s:%d", name, blk.line), strings.Join(b, "\n") + "\n"})
			case sec2 >= 0 && elided:
				skipped++
			case sec2 >= 0:
				for _, l := range b[sec2:] {
					if m := rstSection2.FindStringSubmatch(l); m != nil {
						seenName[m[2]]++
						if n := seenName[m[2]]; n > 1 {
							l = fmt.Sprintf("%s[[%s (%d)]]%s", m[1], m[2], n, m[3])
						}
					}
					ifaces = append(ifaces, "  "+l)
				}
				ifaces = append(ifaces, "")
			case rstSection1.MatchString(first) && rstSection1.FindStringSubmatch(first)[1] == "reticulum":
				for _, l := range b {
					m := rstKeyValue.FindStringSubmatch(l)
					if m == nil || seenKey[m[1]] {
						continue
					}
					seenKey[m[1]] = true
					settings = append(settings, "  "+strings.TrimSpace(l))
				}
			}
		}
	}
	n := 0
	for _, c := range seenName {
		n += c
	}
	if n == 0 {
		t.Fatal("found no interface examples in the manual")
	}
	t.Logf("manual: %d interface sections, %d examples with \"...\" skipped, %d [reticulum] keys, %d complete configurations",
		n, skipped, len(settings), len(complete))
	gathered := "[reticulum]\n" + strings.Join(settings, "\n") + "\n\n[interfaces]\n" + strings.Join(ifaces, "\n")
	return append([]refDoc{{"manual", gathered}}, complete...)
}

// rstBlock is a literal block of a reStructuredText file.
type rstBlock struct {
	line  int      // line number of the directive or paragraph
	lines []string // without their common indentation
}

// rstLiteralBlocks returns the literal blocks of a reStructuredText text:
// the lines indented under a ".. code::" or ".. code-block::" directive or
// under a paragraph that ends in "::".
func rstLiteralBlocks(text string) []rstBlock {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " \t")) }
	var blocks []rstBlock
	for i := 0; i < len(lines); i++ {
		s := strings.TrimSpace(lines[i])
		directive := strings.HasPrefix(s, ".. code::") || strings.HasPrefix(s, ".. code-block::")
		paragraph := strings.HasSuffix(s, "::") && !strings.HasPrefix(s, "..")
		if !directive && !paragraph {
			continue
		}
		base := indent(lines[i])
		j := i + 1
		for j < len(lines) && (strings.TrimSpace(lines[j]) == "" || indent(lines[j]) > base) {
			j++
		}
		b := lines[i+1 : j]
		for len(b) > 0 && strings.TrimSpace(b[len(b)-1]) == "" {
			b = b[:len(b)-1]
		}
		cut := -1
		for _, l := range b {
			if strings.TrimSpace(l) != "" && (cut < 0 || indent(l) < cut) {
				cut = indent(l)
			}
		}
		out := make([]string, len(b))
		for k, l := range b {
			if cut > 0 && len(l) >= cut {
				l = l[cut:]
			}
			out[k] = l
		}
		if len(out) > 0 {
			blocks = append(blocks, rstBlock{line: i + 1, lines: out})
		}
		i = j - 1
	}
	return blocks
}
