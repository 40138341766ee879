package svgplot_test

import (
	"bytes"
	"fmt"
	"log"
	"math"

	"github.com/mehr-net/mehr/internal/svgplot"
)

// A line chart of measured hop counts against network size on a log x axis,
// with p5–p95 whiskers, a dashed reference curve and a reference line.
func Example() {
	ns := []float64{100, 1000, 10000}
	var ref []float64
	for _, n := range ns {
		l := math.Log2(n)
		ref = append(ref, l*l/10)
	}
	c := &svgplot.Chart{
		Title:  "Hop count",
		XLabel: "nodes",
		YLabel: "hops",
		LogX:   true,
		HLines: []svgplot.HLine{{Y: 20, Label: "TTL"}},
		Series: []svgplot.Series{
			{Name: "mean", X: ns, Y: []float64{5.1, 8.4, 12.9},
				Lo: []float64{3, 5, 8}, Hi: []float64{8, 13, 19}},
			{Name: "log² N / 10", X: ns, Y: ref, Dashed: true},
		},
	}
	var b bytes.Buffer // in mehr-sim: an *os.File for docs/sim/hops.svg
	if err := c.WriteSVG(&b); err != nil {
		log.Fatal(err)
	}
	fmt.Println(bytes.Contains(b.Bytes(), []byte("<polyline")))

	bars := &svgplot.Bars{
		Title:  "Control traffic",
		YLabel: "% of link bandwidth",
		Groups: []string{"N=100", "N=1000"},
		Series: []svgplot.BarSeries{
			{Name: "lattice", Values: []float64{1.2, 2.5}},
			{Name: "geometric", Values: []float64{1.8, 3.1}},
		},
		HLines: []svgplot.HLine{{Y: 10, Label: "budget"}},
	}
	b.Reset()
	if err := bars.WriteSVG(&b); err != nil {
		log.Fatal(err)
	}
	fmt.Println(bytes.Count(b.Bytes(), []byte("<rect")) > 4)
	// Output:
	// true
	// true
}
