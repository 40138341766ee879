package bridge

import (
	"bufio"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	cmds := Registry{
		"echo": func(p Params) (Result, error) {
			b, err := p.Hex("data")
			if err != nil {
				return nil, err
			}
			n, err := p.IntOr("n", 1)
			if err != nil {
				return nil, err
			}
			return Result{"data": Hex(b), "n": n}, nil
		},
		"fail":  func(Params) (Result, error) { return nil, errors.New("boom") },
		"panic": func(Params) (Result, error) { panic("oops") },
	}
	in := strings.Join([]string{
		`{"id":"1","command":"echo","params":{"data":"00ff","n":3}}`,
		``,
		`{"id":"2","command":"echo","params":{"data":"zz"}}`,
		`{"id":"3","command":"nope"}`,
		`{"id":4,"command":"fail","params":{}}`,
		`{"id":"5","command":"panic"}`,
		`not json`,
		`{"id":"6","command":"echo","params":{"data":""}}`,
	}, "\n")
	var out strings.Builder
	if err := Serve(strings.NewReader(in), &out, cmds); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Scan()
	if sc.Text() != "READY" {
		t.Fatalf("first line %q", sc.Text())
	}
	want := []struct {
		ok  bool
		sub string
	}{
		{true, `"data":"00ff","n":3`},
		{false, "bad parameter"},
		{false, "Unknown command: nope"},
		{false, "boom"},
		{false, "panic in panic: oops"},
		{false, "JSON parse error"},
		{true, `"data":""`},
	}
	for i, w := range want {
		if !sc.Scan() {
			t.Fatalf("response %d missing", i)
		}
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if r["success"] != w.ok || !strings.Contains(sc.Text(), w.sub) {
			t.Errorf("response %d: %s, want success=%v and %q", i, sc.Text(), w.ok, w.sub)
		}
	}
}

func TestParams(t *testing.T) {
	p := Params{"i": 3.0, "f": 2.5, "s": "x", "b": true, "h": "0a", "e": "", "l": []any{1.0}, "m": map[string]any{"k": "v"}, "ns": "7"}
	if v, err := p.Int("i"); v != 3 || err != nil {
		t.Error("Int", v, err)
	}
	if _, err := p.Int("f"); !errors.Is(err, ErrParam) {
		t.Error("Int of 2.5", err)
	}
	if v, err := p.Int("ns"); v != 7 || err != nil {
		t.Error("Int of string", v, err)
	}
	if v, _ := p.Bool("b", false); !v {
		t.Error("Bool")
	}
	if v, _ := p.Bool("absent", true); !v {
		t.Error("Bool default")
	}
	if v, err := p.OptHex("e"); v != nil || err != nil {
		t.Error("OptHex empty", v, err)
	}
	if v, err := p.Hex("h"); len(v) != 1 || v[0] != 10 || err != nil {
		t.Error("Hex", v, err)
	}
	if _, err := p.Hex("absent"); !errors.Is(err, ErrParam) {
		t.Error("Hex absent", err)
	}
	if _, err := p.List("l"); err != nil {
		t.Error("List", err)
	}
	if m, err := p.Map("m"); err != nil || m.StringOr("k", "") != "v" {
		t.Error("Map", err)
	}
	r := Registry{"a": nil}
	if err := r.Add(Registry{"a": nil}); err == nil {
		t.Error("duplicate accepted")
	}
}
