// Package vectors loads the wire test vectors in this directory and tracks
// which of them a test has checked.
//
// The files under reticulum/ were produced by the Python reference
// implementation (RNS 1.4.2) with fixed keys, randomness and clocks; they are
// a byte-identical copy of ../shared/vectors/reticulum. Only _test.go files
// import this package.
//
// A test opens a file with Load, decodes sections into its own typed structs
// with Section, and calls Use once for every vector it actually checked. When
// the test ends, Load's cleanup fails it unless every vector present in the
// file was used exactly as often as it occurs, so a vector added to a file, or
// one a test forgets to check, cannot go unnoticed.
package vectors

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Dir returns the absolute path of the directory holding the Reticulum
// reference vectors.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "reticulum")
}

// Read returns the raw bytes of a vector file, such as "packets.json".
func Read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(Dir(), name))
}

// Hex is a byte string that decodes from a lowercase hex JSON string.
// JSON null decodes to a nil Hex; "" decodes to an empty, non-nil Hex.
type Hex []byte

// UnmarshalJSON implements json.Unmarshaler.
func (h *Hex) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*h = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hex field: %w", err)
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("hex field %q: %w", s, err)
	}
	if v == nil {
		v = []byte{}
	}
	*h = v
	return nil
}

// String returns the lowercase hex form.
func (h Hex) String() string { return hex.EncodeToString(h) }

// Set is one loaded vector file together with its consumption counts.
type Set struct {
	name    string
	raw     map[string]json.RawMessage
	present map[string]int

	mu   sync.Mutex
	used map[string]int
}

// Load reads the named vector file and registers a cleanup on tb that fails
// the test unless, for every section of the file, the number of Use calls
// equals the number of vectors present. The "meta" section is documentation
// and is not counted. An array section holds one vector per element; an
// object section holds one vector per leaf value (so every named constant
// must be checked); any other value is a single vector.
func Load(tb testing.TB, name string) *Set {
	tb.Helper()
	s := Open(tb, name)
	tb.Cleanup(func() { s.check(tb) })
	return s
}

// Open reads the named vector file like Load but does not check
// consumption. Fuzz targets use it to seed their corpus.
func Open(tb testing.TB, name string) *Set {
	tb.Helper()
	b, err := Read(name)
	if err != nil {
		tb.Fatalf("vectors: %v", err)
	}
	s := &Set{name: name, present: map[string]int{}, used: map[string]int{}}
	if err := json.Unmarshal(b, &s.raw); err != nil {
		tb.Fatalf("vectors: %s: %v", name, err)
	}
	for k, v := range s.raw {
		if k == "meta" {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			tb.Fatalf("vectors: %s: section %s: %v", name, k, err)
		}
		s.present[k] = count(x)
	}
	return s
}

func count(x any) int {
	switch v := x.(type) {
	case []any:
		return len(v)
	case map[string]any:
		n := 0
		for _, e := range v {
			n += leaves(e)
		}
		return n
	default:
		return 1
	}
}

func leaves(x any) int {
	m, ok := x.(map[string]any)
	if !ok {
		return 1
	}
	n := 0
	for _, e := range m {
		n += leaves(e)
	}
	return n
}

// Section decodes the named top-level section into v. It fails the test if
// the section is missing or does not decode.
func (s *Set) Section(tb testing.TB, section string, v any) {
	tb.Helper()
	raw, ok := s.raw[section]
	if !ok {
		tb.Fatalf("vectors: %s has no section %q", s.name, section)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("vectors: %s: section %s: %v", s.name, section, err)
	}
}

// Use records that one vector of section has been checked. It is safe to
// call from parallel subtests.
func (s *Set) Use(section string) {
	s.mu.Lock()
	s.used[section]++
	s.mu.Unlock()
}

// Counts returns, per section, how many vectors are present and how many
// were used so far.
func (s *Set) Counts() (present, used map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	present, used = map[string]int{}, map[string]int{}
	for k, v := range s.present {
		present[k] = v
	}
	for k, v := range s.used {
		used[k] = v
	}
	return present, used
}

func (s *Set) check(tb testing.TB) {
	tb.Helper()
	present, used := s.Counts()
	var bad []string
	for k, n := range present {
		if used[k] != n {
			bad = append(bad, fmt.Sprintf("%s: %d of %d consumed", k, used[k], n))
		}
	}
	for k, n := range used {
		if _, ok := present[k]; !ok {
			bad = append(bad, fmt.Sprintf("%s: %d consumed, section not in file", k, n))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		tb.Errorf("vectors: %s not fully consumed:\n\t%s", s.name, strings.Join(bad, "\n\t"))
	}
}
