package route

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/vectors"
)

var unknownHop = UnknownHop{Cost: 50, Latency: 2 * time.Second, Bandwidth: 1200}

// origin is what a Mehr origin writes: its own first hop, hop count 0.
func origin() ext.Extension {
	p := pathcost.Origin().AddHop(pathcost.Hop{Cost: 5, Latency: 10 * time.Millisecond, Bandwidth: 10e6, MTU: 1500})
	p.Hops = 0
	return ext.Extension{PathCost: p, Lamport: 42, HasLamport: true}
}

func announce(hops uint8) Announce {
	a := Announce{Destination: dstX, NextHop: hop(1), Hops: hops,
		LastHop: pathcost.Hop{Cost: 3, Latency: 30 * time.Millisecond, Bandwidth: 1e6, MTU: 1200}}
	a.RandomHash[0] = 0xaa
	return a
}

func TestNewObservation(t *testing.T) {
	e := origin()
	e.PathCost.Hops = 9 // the origin's hop count is ignored
	op := origin().PathCost

	t.Run("direct neighbour", func(t *testing.T) {
		a := announce(1)
		o, err := NewObservation(&a, &e, unknownHop)
		if err != nil {
			t.Fatal(err)
		}
		want := op.AddHop(a.LastHop)
		if o.Path != want || o.Unknown || o.Lamport != 42 || o.RandomHash != a.RandomHash || o.Destination != dstX || o.NextHop != hop(1) {
			t.Errorf("got %+v, want path %+v", o, want)
		}
		if o.Path.Hops != 1 {
			t.Errorf("hops %d", o.Path.Hops)
		}
	})
	t.Run("through python relays", func(t *testing.T) {
		a := announce(4)
		o, err := NewObservation(&a, &e, unknownHop)
		if err != nil {
			t.Fatal(err)
		}
		if !o.Unknown || o.Path.Hops != 4 {
			t.Errorf("unknown %v hops %d", o.Unknown, o.Path.Hops)
		}
		if c := pathcost.DecodeCost(o.Path.Cost); c < 5+3*50+3 {
			t.Errorf("cost %d below origin + 3 unknown hops + last hop", c)
		}
		if m := pathcost.DecodeMTU(o.Path.MTU); m > UnknownMTU {
			t.Errorf("MTU %d above %d", m, UnknownMTU)
		}
		if bw := pathcost.DecodeBandwidth(o.Path.Bandwidth); bw > 1200 {
			t.Errorf("bandwidth %d above the floor", bw)
		}
		if l := pathcost.DecodeLatency(o.Path.Latency); l < 2*time.Second {
			t.Errorf("latency %v below the unknown-hop latency", l)
		}
	})
	t.Run("annotated", func(t *testing.T) {
		a := announce(3)
		ann := op.AddHop(pathcost.Hop{Cost: 7, Latency: 5 * time.Millisecond, Bandwidth: 5e6, MTU: 4000})
		a.Annotation = Annotation{RandomHash: a.RandomHash, Path: ann}
		a.HasAnnotation = true
		o, err := NewObservation(&a, &e, unknownHop)
		if err != nil {
			t.Fatal(err)
		}
		// The annotation covers 2 hops with ours; the header says 3: one
		// hop is unaccounted for and priced as unknown.
		if !o.Unknown || o.Path.Hops != 3 || pathcost.DecodeMTU(o.Path.MTU) > UnknownMTU {
			t.Errorf("got %+v", o)
		}
		a.Hops = 2
		o, _ = NewObservation(&a, &e, unknownHop)
		if want := ann.AddHop(a.LastHop); o.Path != want || o.Unknown {
			t.Errorf("got %+v, want %+v", o.Path, want)
		}
		a.Annotation.Unknown = true
		if o, _ = NewObservation(&a, &e, unknownHop); !o.Unknown {
			t.Error("the neighbour's unknown flag was dropped")
		}
	})
	t.Run("saturating", func(t *testing.T) {
		a := announce(255)
		u := unknownHop
		u.Cost = 1 << 62
		o, err := NewObservation(&a, &e, u)
		if err != nil || o.Path.Hops != 255 || pathcost.DecodeCost(o.Path.Cost) != 1<<64-1 {
			t.Errorf("got %+v, %v", o.Path, err)
		}
	})
	for _, tc := range []struct {
		name string
		mod  func(*Announce, *ext.Extension)
		want error
	}{
		{"no lamport", func(_ *Announce, e *ext.Extension) { e.HasLamport = false }, ErrNoLamport},
		{"zero hops", func(a *Announce, _ *ext.Extension) { a.Hops = 0 }, ErrHops},
		{"annotation of another announce", func(a *Announce, _ *ext.Extension) {
			a.HasAnnotation = true
			a.Annotation.RandomHash[0] = 1
		}, ErrAnnotation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, e := announce(2), origin()
			tc.mod(&a, &e)
			if _, err := NewObservation(&a, &e, unknownHop); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseObservation(t *testing.T) {
	e := origin()
	app := e.Append(nil)
	a := announce(1)
	o, err := ParseObservation(&a, app, unknownHop)
	if err != nil || o.Lamport != 42 || o.Path != e.PathCost.AddHop(a.LastHop) {
		t.Errorf("got %+v, %v", o, err)
	}
	for _, tc := range []struct {
		name string
		app  []byte
		want error
	}{
		{"empty", nil, ext.ErrTruncated},
		{"not mehr", []byte("Nobody"), ext.ErrVersion},
		{"bad magic", append([]byte{0x4f}, app[1:]...), ext.ErrMagic},
		{"no lamport", app[:ext.FixedSize], ErrNoLamport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseObservation(&a, tc.app, unknownHop); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzParseObservation: ParseObservation never panics, and what it accepts
// is never better than the origin's own values, has at least the header's
// hop count and passes through the table.
func FuzzParseObservation(f *testing.F) {
	s := vectors.Open(f, filepath.Join("..", "mehr", "extension.json"))
	var valid []struct {
		Encoded vectors.Hex `json:"encoded"`
	}
	s.Section(f, "valid", &valid)
	for i, v := range valid {
		f.Add([]byte(v.Encoded), uint8(i%4), false, uint8(0))
	}
	e := origin()
	f.Add(e.Append(nil), uint8(3), true, uint8(1))
	f.Fuzz(func(t *testing.T, app []byte, hops uint8, annotated bool, annHops uint8) {
		a := announce(hops)
		if annotated {
			a.HasAnnotation = true
			a.Annotation = Annotation{RandomHash: a.RandomHash, Path: pathcost.Compact{Cost: 100, Latency: 5, Bandwidth: 100, Hops: annHops, MTU: 40}}
		}
		o, err := ParseObservation(&a, app, unknownHop)
		if err != nil {
			return
		}
		if o.Path.Hops < hops {
			t.Fatalf("hops %d below the header's %d", o.Path.Hops, hops)
		}
		var x ext.Extension
		if err := x.Decode(app); err != nil {
			t.Fatalf("accepted app_data the decoder refuses: %v", err)
		}
		if !annotated && (pathcost.DecodeCost(o.Path.Cost) < pathcost.DecodeCost(x.PathCost.Cost) ||
			o.Path.MTU > x.PathCost.MTU || o.Path.Bandwidth > x.PathCost.Bandwidth || o.Path.Latency < x.PathCost.Latency) {
			t.Fatalf("path %+v better than the origin's %+v", o.Path, x.PathCost)
		}
		if o.Unknown && !annotated && pathcost.DecodeMTU(o.Path.MTU) > UnknownMTU {
			t.Fatalf("unknown path with MTU above %d: %+v", UnknownMTU, o.Path)
		}
		tb := New(Config{})
		if err := tb.Observe(o); err != nil {
			t.Fatal(err)
		}
		if _, err := tb.Select(o.Destination, Policy{}, Constraints{}); err != nil {
			t.Fatal(err)
		}
	})
}
