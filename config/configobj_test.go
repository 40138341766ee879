package config

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
)

type vector struct {
	Text string `json:"text"`
	Want struct {
		Error  int            `json:"error"`
		Tree   map[string]any `json:"tree"`
		Values map[string]any `json:"values"`
	} `json:"want"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/configobj_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// jsonTree renders a parsed section like the vector generator does.
func jsonTree(s *coSection) map[string]any {
	scalars := []any{}
	for _, e := range s.entries {
		scalars = append(scalars, []any{e.key, entryJSON(e.value, e.list, e.isList)})
	}
	sections := []any{}
	for _, sub := range s.subs {
		sections = append(sections, []any{sub.name, jsonTree(sub)})
	}
	return map[string]any{"scalars": scalars, "sections": sections}
}

func entryJSON(v string, list []string, isList bool) any {
	if !isList {
		return v
	}
	l := []any{}
	for _, x := range list {
		l = append(l, x)
	}
	return l
}

func jsonValues(s *coSection, prefix string, out map[string]any) {
	for _, e := range s.entries {
		var im importer
		v, ok := im.get(s, e)
		if !ok {
			out[prefix+e.key] = "!error"
			continue
		}
		out[prefix+e.key] = entryJSON(v.s, v.list, v.isList)
	}
	for _, sub := range s.subs {
		jsonValues(sub, prefix+sub.name+"/", out)
	}
}

// roundJSON makes Go values comparable with values decoded from JSON.
func roundJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConfigObjVectors checks the parser and the %(name)s interpolation
// against the reference's own parser.
func TestConfigObjVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		root, err := parseConfigObj(v.Text, "f")
		if v.Want.Error != 0 {
			var e *Error
			if !errors.As(err, &e) || e.Line != v.Want.Error {
				t.Errorf("%q: got %v, want an error at line %d", v.Text, err, v.Want.Error)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: unexpected error %v", v.Text, err)
			continue
		}
		if got := roundJSON(t, jsonTree(root)); !reflect.DeepEqual(got, roundJSON(t, v.Want.Tree)) {
			t.Errorf("%q: tree\n got %v\nwant %v", v.Text, got, v.Want.Tree)
		}
		vals := map[string]any{}
		jsonValues(root, "", vals)
		if got := roundJSON(t, vals); !reflect.DeepEqual(got, roundJSON(t, v.Want.Values)) {
			t.Errorf("%q: values\n got %v\nwant %v", v.Text, got, v.Want.Values)
		}
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in     string
		single string
		list   []string
		isList bool
		ok     bool
	}{
		{in: "yes", single: "yes", ok: true},
		{in: "netcat -l 5757  ", single: "netcat -l 5757", ok: true},
		{in: "a # comment", single: "a", ok: true},
		{in: "a#comment", single: "a", ok: true},
		{in: `"a # b"`, single: "a # b", ok: true},
		{in: `'x, y'`, single: "x, y", ok: true},
		{in: "it's", single: "it's", ok: true},
		{in: "", single: "", ok: true},
		{in: `""`, single: "", ok: true},
		{in: "wlan0,eth1", list: []string{"wlan0", "eth1"}, isList: true, ok: true},
		{in: "a, b , c", list: []string{"a", "b", "c"}, isList: true, ok: true},
		{in: "a,", list: []string{"a"}, isList: true, ok: true},
		{in: ",", list: []string{}, isList: true, ok: true},
		{in: `"a,b", c`, list: []string{"a,b", "c"}, isList: true, ok: true},
		{in: "a,,b", ok: false},
		{in: ",a", ok: false},
		{in: `"abc`, ok: false},
		{in: `"abc" def`, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			single, list, isList, ok := parseValue(tt.in)
			if ok != tt.ok || !ok {
				if ok != tt.ok {
					t.Fatalf("ok = %v, want %v", ok, tt.ok)
				}
				return
			}
			if single != tt.single || isList != tt.isList || !reflect.DeepEqual(list, tt.list) {
				t.Errorf("got %q %q %v, want %q %q %v", single, list, isList, tt.single, tt.list, tt.isList)
			}
		})
	}
}

func TestParseConfigObjErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"invalid line", "[reticulum]\nshare_instance\n", `f:2: invalid line "share_instance": neither a [section] nor key = value`, ErrSyntax},
		{"bracket mismatch", "[interfaces]\n  [[A]\n", "f:2: section [A]: 2 opening but 1 closing brackets", ErrSyntax},
		{"too deep", "[[A]]\n", "f:1: section [[A]] is nested too deep: it is 2 levels below the top level", ErrSyntax},
		{"duplicate section", "[interfaces]\n[[A]]\n[[A]]\n", `f:3: duplicate section name "A" in [interfaces]`, ErrDuplicate},
		{"duplicate key", "[reticulum]\na = 1\na = 2\n", `f:3: duplicate key "a" in [reticulum]`, ErrDuplicate},
		{"bad value", "[reticulum]\na = x,,y\n", `f:2: a: malformed value "x,,y" (check quotes and commas)`, ErrSyntax},
		{"unterminated multiline", "[a]\nk = '''x\ny\n", "f:2: k: unterminated or malformed multi-line value", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfigObj(tt.in, "f")
			if err == nil || err.Error() != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("got %v, want %q (%v)", err, tt.want, tt.err)
			}
		})
	}
}

func TestPyNumbers(t *testing.T) {
	ints := map[string]int64{"42": 42, " -7 ": -7, "+3": 3, "1_000": 1000, "007": 7}
	for in, want := range ints {
		if got, err := pyInt(in, 64); err != nil || got != want {
			t.Errorf("pyInt(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "4.0", "0x10", "1__0", "_1", "1_", "abc", "99999999999999999999"} {
		if _, err := pyInt(in, 64); err == nil {
			t.Errorf("pyInt(%q) accepted", in)
		}
	}
	if _, err := pyInt("70000", 16); err == nil {
		t.Error("pyInt did not check the bit size")
	}
	floats := map[string]float64{"1.5": 1.5, "2": 2, ".5": .5, "5.": 5, "1e3": 1000, "-1E-2": -0.01, "1_0.2_5": 10.25, " 3 ": 3}
	for in, want := range floats {
		if got, err := pyFloat(in); err != nil || got != want {
			t.Errorf("pyFloat(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", "e5", "1e", "nan", "inf", "-Infinity", "1e999", "0x1p3", "1__0", "abc", "1.2.3"} {
		if _, err := pyFloat(in); err == nil {
			t.Errorf("pyFloat(%q) accepted", in)
		}
	}
	for _, in := range []string{"Yes", "TRUE", "on", "1"} {
		if b, ok := pyBool(in); !ok || !b {
			t.Errorf("pyBool(%q) = %v, %v", in, b, ok)
		}
	}
	for _, in := range []string{"No", "false", "OFF", "0"} {
		if b, ok := pyBool(in); !ok || b {
			t.Errorf("pyBool(%q) = %v, %v", in, b, ok)
		}
	}
	for _, in := range []string{"", "y", " yes", "enabled", "2"} {
		if _, ok := pyBool(in); ok {
			t.Errorf("pyBool(%q) accepted", in)
		}
	}
}
