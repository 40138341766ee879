package bridge

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzServe feeds arbitrary input to the protocol loop: it never panics,
// and answers every non-empty line with exactly one response line.
func FuzzServe(f *testing.F) {
	f.Add([]byte(`{"id":"1","command":"echo","params":{"data":"00ff"}}`))
	f.Add([]byte("not json\n\n{\"id\":2}\n"))
	f.Add([]byte(`{"id":[1,2],"command":"echo","params":{"data":7}}`))
	cmds := Registry{"echo": func(p Params) (Result, error) {
		b, err := p.Hex("data")
		if err != nil {
			return nil, err
		}
		n, _ := p.IntOr("n", 0)
		f, _ := p.FloatOr("f", 0)
		_, _ = p.Bool("b", false)
		_, _ = p.List("l")
		_, _ = p.Map("m")
		return Result{"data": Hex(b), "n": n, "f": f}, nil
	}}
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.ContainsAny(in, "\r") {
			return // line splitting on \r is bufio's business, not ours
		}
		var out bytes.Buffer
		if err := Serve(bytes.NewReader(in), &out, cmds); err != nil {
			return // over-long line: bufio refuses it
		}
		want := 1 // READY
		sc := bufio.NewScanner(bytes.NewReader(in))
		sc.Buffer(nil, MaxLine)
		for sc.Scan() {
			if len(sc.Bytes()) > 0 {
				want++
			}
		}
		if got := strings.Count(out.String(), "\n"); got != want {
			t.Fatalf("%d output lines for %d requests", got, want-1)
		}
	})
}
