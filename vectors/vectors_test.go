package vectors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyMatchesShared checks that reticulum/ is a byte-identical copy of
// ../shared/vectors/reticulum when that directory is present (it is on the
// developers' and CI machines; a plain clone elsewhere skips the check).
func TestCopyMatchesShared(t *testing.T) {
	shared := filepath.Join(Dir(), "..", "..", "..", "shared", "vectors", "reticulum")
	want, err := os.ReadDir(shared)
	if err != nil {
		t.Skipf("no shared vectors beside the repository: %v", err)
	}
	got, err := os.ReadDir(Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d files here, %d in %s", len(got), len(want), shared)
	}
	for _, e := range want {
		a, err := os.ReadFile(filepath.Join(shared, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(Dir(), e.Name()))
		if err != nil {
			t.Fatalf("missing copy of %s: %v", e.Name(), err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s", e.Name(), shared)
		}
	}
}

func TestCounting(t *testing.T) {
	s := &Set{present: map[string]int{}, used: map[string]int{}}
	s.present["a"] = count([]any{1, 2, 3})
	s.present["b"] = count(map[string]any{"x": 1, "y": map[string]any{"p": 1, "q": 2}})
	s.present["c"] = count("salt")
	if s.present["a"] != 3 || s.present["b"] != 3 || s.present["c"] != 1 {
		t.Fatalf("counts %v", s.present)
	}
	ft := &fakeTB{TB: t}
	s.Use("a")
	s.check(ft)
	if !ft.failed {
		t.Fatal("partial consumption passed the check")
	}
	for range 2 {
		s.Use("a")
	}
	for range 3 {
		s.Use("b")
	}
	s.Use("c")
	ft = &fakeTB{TB: t}
	s.check(ft)
	if ft.failed {
		t.Fatal("full consumption failed the check")
	}
}

type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Errorf(string, ...any) { f.failed = true }
