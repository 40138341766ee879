package transport_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

// FuzzInbound feeds arbitrary bytes to a transport node with a path, a
// link-table entry and local destinations, as a peer could. Nothing may
// panic, and the node must keep forwarding afterwards.
func FuzzInbound(f *testing.F) {
	for _, name := range []string{"packets.json", "announces.json", "proofs.json"} {
		b, err := vectors.Read(name)
		if err != nil {
			f.Fatal(err)
		}
		var raws []string
		collectRaw(b, &raws)
		for _, r := range raws {
			if rb, err := vectorsHex(r); err == nil {
				f.Add(rb)
			}
		}
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 40))

	// A frozen clock: the relay's link was never proved, and real time
	// would let the job routine expire it mid-fuzz, as it should.
	r := newRelayAt(f, newClock().Now)
	app := newAppOn(f, r.t)
	buf := make([]byte, 0, wire.MTU)
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := append([]byte(nil), raw...)
		r.t.Inbound(in, r.a)
		r.t.Inbound(append([]byte(nil), raw...), r.b)
		r.t.RunJobs()
		// The link still relays.
		before := r.db.sent.Load()
		r.t.Inbound(r.packet(buf, uint64(time.Now().UnixNano())), r.a)
		if r.db.sent.Load() != before+1 {
			t.Fatal("relay stopped forwarding after fuzz input")
		}
		_ = app
	})
}

// newAppOn registers a SINGLE destination on tr so fuzz inputs can reach
// local delivery and path-request answering.
func newAppOn(tb testing.TB, tr *transport.Transport) *app {
	tb.Helper()
	id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{3}, 64))
	n := &node{name: "fuzz", t: tr, id: id, clock: newClock()}
	return newApp(tb, n, "fuzz")
}

// collectRaw finds every "raw" field in a vector file.
func collectRaw(b []byte, out *[]string) {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				if s, ok := e.(string); ok && (k == "raw" || k == "received_raw") {
					*out = append(*out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
}

func vectorsHex(s string) ([]byte, error) {
	var h vectors.Hex
	err := h.UnmarshalJSON([]byte(`"` + s + `"`))
	return h, err
}
