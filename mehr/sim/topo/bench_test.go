package topo

import (
	"testing"
)

func BenchmarkKleinberg(b *testing.B) {
	b.ReportAllocs()
	var long int
	for i := range b.N {
		g, err := Kleinberg(KleinbergConfig{Side: 100, Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		long = len(g.Links) - 2*100*99
	}
	b.ReportMetric(float64(long), "long-links")
}

func BenchmarkKleinbergUniform(b *testing.B) {
	b.ReportAllocs()
	for i := range b.N {
		if _, err := Kleinberg(KleinbergConfig{Side: 100, R: Uniform, Seed: uint64(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGeometric(b *testing.B) {
	b.ReportAllocs()
	var dropped int
	for i := range b.N {
		_, d, err := Geometric(GeometricConfig{N: 10000, Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		dropped = d
	}
	b.ReportMetric(float64(dropped), "dropped")
}

func benchFrom(b *testing.B, g *Graph, m Metric) {
	o := NewOracle(g)
	dist := make([]float64, g.N)
	o.From(0, m, dist)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		o.From(i*7919%g.N, m, dist)
	}
}

func BenchmarkFrom(b *testing.B) {
	k, err := Kleinberg(KleinbergConfig{Side: 100, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	geo, _, err := Geometric(GeometricConfig{N: 10000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		g    *Graph
	}{{"kleinberg", k}, {"geometric", geo}} {
		for _, m := range Metrics {
			b.Run(tc.name+"/"+m.String(), func(b *testing.B) { benchFrom(b, tc.g, m) })
		}
	}
}
