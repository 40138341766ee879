package resource_test

import (
	"testing"

	"github.com/mehr-net/mehr/rns/link/resource"
)

const benchSize = 1_000_000

// BenchmarkBuild1MB builds into one stream buffer, as transfers build
// into buffers from a pool.
func BenchmarkBuild1MB(b *testing.B) {
	data := randomData(7, benchSize)
	p := testParams(data, false)
	p.StreamBuf = make([]byte, 0, 2*benchSize)
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := resource.Build(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildCompressed1MB(b *testing.B) {
	data := randomData(7, benchSize)
	for i := range data {
		data[i] &= 0x0f
	}
	p := testParams(data, true)
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := resource.Build(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssemble1MB measures the receiver: filing every part of a 1 MB
// resource by map hash, applying the hashmap updates, and assembling.
func BenchmarkAssemble1MB(b *testing.B) {
	data := randomData(8, benchSize)
	r, err := resource.Build(testParams(data, false))
	if err != nil {
		b.Fatal(err)
	}
	adv := r.Advertisement()
	// Collect the hashmap updates once, from a real exchange.
	var hmus [][]byte
	recv, err := resource.NewReceiver(adv, testKey, 500)
	if err != nil {
		b.Fatal(err)
	}
	recv.SetWindow(resource.WindowMax)
	for !recv.Done() {
		parts, hmu, err := r.HandleRequest(recv.AppendRequest(nil))
		if err != nil {
			b.Fatal(err)
		}
		for _, i := range parts {
			recv.AcceptPart(r.Part(i))
		}
		if hmu != nil {
			hmus = append(hmus, hmu)
			if err := recv.UpdateHashmap(hmu); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.SetBytes(benchSize)
	for b.Loop() {
		recv, err := resource.NewReceiver(adv, testKey, 500)
		if err != nil {
			b.Fatal(err)
		}
		for i := range r.NumParts() {
			if i > 0 && i%resource.HashmapMaxLen == 0 {
				if err := recv.UpdateHashmap(hmus[i/resource.HashmapMaxLen-1]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := recv.AcceptPart(r.Part(i)); err != nil {
				b.Fatal(err)
			}
		}
		got, _, err := recv.Assemble()
		if err != nil || len(got) != benchSize {
			b.Fatal(err)
		}
	}
}
