package link_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/link"
)

// TestResourceMixedSegments sends resources whose segments differ: some
// compressed, some not, with and without metadata, a short last one, so
// that segments decrypted in place in pooled stream buffers and segments
// decompressed out of them follow each other.
func TestResourceMixedSegments(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onDone})
	defer closeLinks(ini, resp)
	const mb = 1 << 20
	cases := []struct {
		name string
		data []byte
		meta []byte
	}{
		{"compressed-then-plain", append(compressible(mb), random(mb+5)...), nil},
		{"plain-then-compressed", append(random(mb), compressible(mb+100)...), []byte{0xa1, 'm'}},
		{"plain-compressed-plain", append(append(random(mb-7), compressible(mb)...), random(3)...), nil},
		{"tiny-last", random(2*mb - 2), []byte{0xc0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tr, err := ini.SendResource(ctx, c.data, link.ResourceOptions{Metadata: c.meta})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Wait(ctx); err != nil {
				t.Fatalf("send: %v", err)
			}
			r := wait(t, "conclusion", done)
			if r.err != nil || !bytes.Equal(r.data, c.data) || !bytes.Equal(r.meta, c.meta) {
				t.Fatalf("receive: %v, %d bytes of %d, metadata %x", r.err, len(r.data), len(c.data), r.meta)
			}
		})
	}
}
