package routing

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/rns/wire"
)

func TestAnnotationsRoundTrip(t *testing.T) {
	es := []route.Entry{
		{Destination: wire.Hash{1}, RandomHash: [10]byte{2}, Path: pathcost.Compact{Cost: 300, Latency: 20, Bandwidth: 90, Hops: 3, MTU: 40}},
		{Destination: wire.Hash{3}, RandomHash: [10]byte{4}, Path: pathcost.Origin(), Unknown: true},
	}
	b := []byte{annotationMsg, annotationV1}
	b = appendAnnotation(b, &es[0], false)
	b = appendAnnotation(b, &es[1], true)
	if len(b) != 2+2*annotationSize {
		t.Fatalf("%d bytes", len(b))
	}
	var got []route.Annotation
	var dsts []wire.Hash
	if err := decodeAnnotations(b, func(d wire.Hash, a route.Annotation) { dsts, got = append(dsts, d), append(got, a) }); err != nil {
		t.Fatal(err)
	}
	want := []route.Annotation{
		{RandomHash: es[0].RandomHash, Path: es[0].Path},
		{RandomHash: es[1].RandomHash, Path: es[1].Path, Unknown: true, Reverse: true},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || dsts[0] != es[0].Destination || dsts[1] != es[1].Destination {
		t.Errorf("got %+v %v, want %+v", got, dsts, want)
	}
	for _, bad := range [][]byte{nil, {annotationMsg}, {annotationMsg, 9}, {0, annotationV1}, b[:len(b)-1], append(bytes.Clone(b), 0)} {
		n := 0
		if err := decodeAnnotations(bad, func(wire.Hash, route.Annotation) { n++ }); !errors.Is(err, errAnnotations) || n != 0 {
			t.Errorf("% x: %v, %d records", bad, err, n)
		}
	}
}

// FuzzDecodeAnnotations: a neighbour's packet never panics the decoder,
// and what decodes re-encodes to the same bytes.
func FuzzDecodeAnnotations(f *testing.F) {
	e := route.Entry{Destination: wire.Hash{1}, RandomHash: [10]byte{2}, Path: pathcost.Origin()}
	f.Add(appendAnnotation([]byte{annotationMsg, annotationV1}, &e, true))
	f.Add([]byte{annotationMsg, annotationV1})
	f.Add([]byte{annotationMsg})
	f.Fuzz(func(t *testing.T, in []byte) {
		out := []byte{annotationMsg, annotationV1}
		err := decodeAnnotations(in, func(d wire.Hash, a route.Annotation) {
			e := route.Entry{Destination: d, RandomHash: a.RandomHash, Path: a.Path, Unknown: a.Unknown}
			out = appendAnnotation(out, &e, a.Reverse)
		})
		if err != nil {
			return
		}
		// Flag bits other than unknown and reverse are ignored.
		for k := 2 + annotationSize - 1; k < len(in); k += annotationSize {
			in[k] &= flagUnknown | flagReverse
		}
		if !bytes.Equal(in, out) {
			t.Errorf("re-encoded\n% x\nas\n% x", in, out)
		}
	})
}
