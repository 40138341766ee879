package svgplot

// The golden files in testdata/ are written by
//
//	go test ./internal/svgplot -run TestGolden -update
//
// and checked in; without -update, TestGolden fails if the output differs.
// Render them with rsvg-convert to look at them after a change; -dump DIR
// writes every chart the tests draw into DIR for the same purpose.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/*.svg from the charts in the tests")
	dump   = flag.String("dump", "", "also write every chart the tests render into this directory, to look at")
)

// dumped counts the charts written by -dump per test.
var dumped = map[string]int{}

func ptr(v float64) *float64 { return &v }

// lineChart is the golden line chart: log X, a dashed reference series, an
// HLine, whiskers, a scatter series and a legend.
func lineChart() *Chart {
	ns := []float64{100, 300, 1000, 3000, 10000}
	var ref, hops, lo, hi, scatter []float64
	for i, n := range ns {
		l := math.Log2(n)
		ref = append(ref, l*l/8)
		h := 1.1*math.Log2(n) + float64(i%2)
		hops = append(hops, h)
		lo = append(lo, h-1.5)
		hi = append(hi, h+2.5)
		scatter = append(scatter, h*0.8)
	}
	return &Chart{
		Title:  "Hop count vs network size <lattice + Kleinberg, r=2>",
		XLabel: "nodes N",
		YLabel: "hops",
		LogX:   true,
		HLines: []HLine{{Y: 25, Label: "budget & limit"}},
		Series: []Series{
			{Name: "mean hops (p5–p95)", X: ns, Y: hops, Lo: lo, Hi: hi},
			{Name: "log² N / 8", X: ns, Y: ref, Dashed: true},
			{Name: "Fastest", X: ns, Y: scatter, NoLine: true},
		},
	}
}

func barChart() *Bars {
	return &Bars{
		Title:  "Control traffic per link",
		YLabel: "share of link bandwidth (%)",
		Groups: []string{"N=100", "N=1000", "N=10000"},
		Series: []BarSeries{
			{Name: "lattice", Values: []float64{1.2, 2.5, 4.1}, Lo: []float64{0.8, 1.9, 3.0}, Hi: []float64{1.9, 3.4, 6.2}},
			{Name: "geometric", Values: []float64{1.8, 3.1, 5.5}},
			{Name: "Cheapest", Values: []float64{0.9, 1.7, 2.9}},
		},
		HLines: []HLine{{Y: 10, Label: "10 % budget"}},
	}
}

type svgWriterTo interface{ WriteSVG(io.Writer) error }

func render(t *testing.T, c svgWriterTo) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := c.WriteSVG(&b); err != nil {
		t.Fatalf("WriteSVG: %v", err)
	}
	if *dump != "" {
		dumped[t.Name()]++
		name := fmt.Sprintf("%s_%d.svg", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), dumped[t.Name()])
		if err := os.WriteFile(filepath.Join(*dump, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		chart svgWriterTo
	}{
		{"line_logx.svg", lineChart()},
		{"bars.svg", barChart()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := render(t, tc.chart)
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s; run with -update and look at the rendered result", path)
			}
		})
	}
}

// node is a parsed XML element.
type node struct {
	name     string
	attrs    map[string]string
	text     string
	children []*node
}

// parse decodes a whole document with encoding/xml, failing on any error.
func parse(t *testing.T, doc []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var root *node
	var stack []*node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root != nil {
				t.Fatal("XML: more than one root element")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	if root == nil || root.name != "svg" {
		t.Fatal("XML: no svg root element")
	}
	if root.attrs["xmlns"] == "" && root.attrs["svg"] == "" {
		t.Errorf("svg root has no namespace")
	}
	return root
}

func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

// seriesGroups returns the series groups: <g> elements with a <title> child,
// by title.
func seriesGroups(root *node) map[string]*node {
	m := map[string]*node{}
	root.walk(func(n *node) {
		if n.name != "g" {
			return
		}
		for _, c := range n.children {
			if c.name == "title" {
				m[c.text] = n
			}
		}
	})
	return m
}

// count counts the elements under n by name; paths with a stroke-width of 2
// and no fill are markers (plus and cross), like circles, rects and filled
// paths; whisker paths are counted as "whiskers".
func count(n *node) map[string]int {
	m := map[string]int{}
	n.walk(func(e *node) {
		switch e.name {
		case "polyline":
			m["polyline"]++
		case "circle", "rect":
			m["marker"]++
		case "path":
			if e.attrs["stroke"] == whiskerColor {
				m["whiskers"]++
			} else {
				m["marker"]++
			}
		}
	})
	return m
}

func TestStructure(t *testing.T) {
	root := parse(t, render(t, lineChart()))
	groups := seriesGroups(root)
	for name, want := range map[string]map[string]int{
		"mean hops (p5–p95)": {"polyline": 1, "marker": 5, "whiskers": 1},
		"log² N / 8":         {"polyline": 1, "marker": 5},
		"Fastest":            {"marker": 5},
	} {
		g := groups[name]
		if g == nil {
			t.Errorf("no group for series %q", name)
			continue
		}
		got := count(g)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("series %q: %d %s elements, want %d", name, got[k], k, v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("series %q: elements %v, want %v", name, got, want)
		}
	}
	var texts []string
	root.walk(func(n *node) {
		if n.name == "text" {
			texts = append(texts, n.text)
		}
	})
	all := strings.Join(texts, "|")
	for _, want := range []string{
		"Hop count vs network size <lattice + Kleinberg, r=2>", // escaped in the file, intact after parsing
		"budget & limit", "nodes N", "hops", "100", "1k", "10k", "log² N / 8",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no text %q in %q", want, all)
		}
	}

	root = parse(t, render(t, barChart()))
	groups = seriesGroups(root)
	for name, want := range map[string]map[string]int{
		"lattice":   {"marker": 3, "whiskers": 1},
		"geometric": {"marker": 3},
		"Cheapest":  {"marker": 3},
	} {
		g := groups[name]
		if g == nil {
			t.Errorf("no group for bar series %q", name)
			continue
		}
		if got := count(g); len(got) != len(want) || got["marker"] != want["marker"] || got["whiskers"] != want["whiskers"] {
			t.Errorf("bar series %q: elements %v, want %v", name, got, want)
		}
	}
}

// TestDenseLine checks that a long line gets thinned markers, and a scatter
// series of the same length a marker per point.
func TestDenseLine(t *testing.T) {
	var x, y []float64
	for i := range 1000 {
		x = append(x, float64(i))
		y = append(y, math.Sin(float64(i)/50))
	}
	c := &Chart{Series: []Series{{Name: "line", X: x, Y: y}, {Name: "dots", X: x, Y: y, NoLine: true}}}
	groups := seriesGroups(parse(t, render(t, c)))
	if got := count(groups["line"]); got["marker"] != 30 || got["polyline"] != 1 {
		t.Errorf("dense line: %v, want 30 markers (every 34th of 1000) and 1 polyline", got)
	}
	if got := count(groups["dots"]); got["marker"] != 1000 || got["polyline"] != 0 {
		t.Errorf("scatter: %v, want 1000 markers", got)
	}
}

func TestDeterministic(t *testing.T) {
	for _, c := range []svgWriterTo{lineChart(), barChart()} {
		a, b := render(t, c), render(t, c)
		if !bytes.Equal(a, b) {
			t.Errorf("%T: two renderings differ", c)
		}
	}
}

// TestManySeries renders more series than colours, with every marker shape
// and hatch, on log-log axes and with a fixed y range.
func TestManySeries(t *testing.T) {
	c := &Chart{LogX: true, LogY: true, YMin: ptr(0.5), YMax: ptr(2000)}
	b := &Bars{LogY: true, Groups: []string{"a", "b"}}
	for i := range 12 {
		x := []float64{1, 10, 100}
		y := []float64{float64(i + 1), float64(10 * (i + 1)), float64(100 * (i + 1))}
		c.Series = append(c.Series, Series{Name: "s" + string(rune('A'+i)), X: x, Y: y})
		b.Series = append(b.Series, BarSeries{Name: "s" + string(rune('A'+i)), Values: []float64{float64(i + 1), 1000}})
	}
	root := parse(t, render(t, c))
	if got := len(seriesGroups(root)); got != 12 {
		t.Errorf("%d series groups, want 12", got)
	}
	// Points above YMax are clipped: series with y = 100×(i+1) > 2000 lose that marker.
	if got := count(seriesGroups(root)["sL"])["marker"]; got != 3 {
		t.Errorf("sL: %d markers, want 3", got)
	}
	c.YMax = ptr(1000)
	if got := count(seriesGroups(parse(t, render(t, c)))["sL"])["marker"]; got != 2 {
		t.Errorf("sL with YMax 1000: %d markers, want 2", got)
	}
	parse(t, render(t, b))
}

func TestTicks(t *testing.T) {
	labels := func(ts []tick) string {
		var s []string
		for _, t := range ts {
			if t.label != "" {
				s = append(s, t.label)
			}
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name   string
		lo, hi float64
		target int
		want   string
		wlo    float64
		whi    float64
	}{
		{"tenths", 0, 0.9, 5, "0 0.2 0.4 0.6 0.8 1", 0, 1},
		{"thirds", 0.1, 0.7, 6, "0.1 0.2 0.3 0.4 0.5 0.6 0.7", 0.1, 0.7},
		{"thousands", 0, 4300, 5, "0 1k 2k 3k 4k 5k", 0, 5000},
		{"halves", 0, 2600, 5, "0 500 1k 1.5k 2k 2.5k 3k", 0, 3000},
		{"negative", -7, 3, 5, "-8 -6 -4 -2 0 2 4", -8, 4},
		{"mega", 0, 2.2e6, 4, "0 500k 1M 1.5M 2M 2.5M", 0, 2.5e6},
		{"small", 0, 0.00042, 4, "0 0.0001 0.0002 0.0003 0.0004 0.0005", 0, 0.0005},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, ts := linearTicks(tc.lo, tc.hi, tc.target, true, true)
			if got := labels(ts); got != tc.want || math.Abs(lo-tc.wlo) > 1e-12 || math.Abs(hi-tc.whi) > 1e-9 {
				t.Errorf("linearTicks(%g, %g) = [%g, %g] %q, want [%g, %g] %q", tc.lo, tc.hi, lo, hi, got, tc.wlo, tc.whi, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		lo, hi float64
		want   string
		wlo    float64
		whi    float64
	}{
		{"two decades", 100, 10000, "100 200 500 1k 2k 5k 10k", 100, 10000},
		{"widened", 130, 7000, "100 200 500 1k 2k 5k 10k", 100, 10000},
		{"one value", 1000, 1000, "1k 2k 5k 10k", 1000, 10000},
		{"small", 0.003, 0.2, "0.001 0.01 0.1 1", 0.001, 1},
		{"many decades", 1, 1e7, "1 10 100 1k 10k 100k 1M 10M", 1, 1e7},
		{"thinned", 1e-6, 1e9, "1e-06 0.0001 0.01 1 100 10k 1M 100M", 1e-6, 1e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, ts := logTicks(tc.lo, tc.hi, true, true)
			if got := labels(ts); got != tc.want || lo != tc.wlo || hi != tc.whi {
				t.Errorf("logTicks(%g, %g) = [%g, %g] %q, want [%g, %g] %q", tc.lo, tc.hi, lo, hi, got, tc.wlo, tc.whi, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ok := func() Series { return Series{Name: "s", X: []float64{1, 2}, Y: []float64{1, 2}} }
	for _, tc := range []struct {
		name  string
		chart *Chart
		want  error
	}{
		{"no series", &Chart{}, ErrNoSeries},
		{"no points", &Chart{Series: []Series{{Name: "empty"}}}, ErrNoData},
		{"short Y", &Chart{Series: []Series{{X: []float64{1, 2}, Y: []float64{1}}}}, ErrLength},
		{"short Lo", &Chart{Series: []Series{func() Series { s := ok(); s.Lo = []float64{1}; return s }()}}, ErrLength},
		{"short Err", &Chart{Series: []Series{func() Series { s := ok(); s.Err = []float64{1, 2, 3}; return s }()}}, ErrLength},
		{"Err and Hi", &Chart{Series: []Series{func() Series { s := ok(); s.Err = []float64{1, 1}; s.Hi = []float64{3, 3}; return s }()}}, ErrWhiskers},
		{"NaN Y", &Chart{Series: []Series{{X: []float64{1}, Y: []float64{math.NaN()}}}}, ErrNotFinite},
		{"Inf X", &Chart{Series: []Series{{X: []float64{math.Inf(1)}, Y: []float64{1}}}}, ErrNotFinite},
		{"NaN Hi", &Chart{Series: []Series{func() Series { s := ok(); s.Hi = []float64{3, math.NaN()}; return s }()}}, ErrNotFinite},
		{"NaN HLine", &Chart{Series: []Series{ok()}, HLines: []HLine{{Y: math.NaN()}}}, ErrNotFinite},
		{"NaN YMax", &Chart{Series: []Series{ok()}, YMax: ptr(math.NaN())}, ErrNotFinite},
		{"huge range", &Chart{Series: []Series{{X: []float64{1, 2}, Y: []float64{-math.MaxFloat64, math.MaxFloat64}}}}, ErrNotFinite},
		{"log X zero", &Chart{LogX: true, Series: []Series{{X: []float64{0, 1}, Y: []float64{1, 2}}}}, ErrLogNonPositive},
		{"log Y negative", &Chart{LogY: true, Series: []Series{{X: []float64{1, 2}, Y: []float64{1, -2}}}}, ErrLogNonPositive},
		{"log Y whisker", &Chart{LogY: true, Series: []Series{func() Series { s := ok(); s.Err = []float64{0.5, 2}; return s }()}}, ErrLogNonPositive},
		{"log Y HLine", &Chart{LogY: true, Series: []Series{ok()}, HLines: []HLine{{Y: 0}}}, ErrLogNonPositive},
		{"log YMin", &Chart{LogY: true, Series: []Series{ok()}, YMin: ptr(0)}, ErrLogNonPositive},
		{"inverted", &Chart{Series: []Series{ok()}, YMin: ptr(5), YMax: ptr(1)}, ErrRange},
		{"empty range", &Chart{Series: []Series{ok()}, YMin: ptr(5), YMax: ptr(5)}, ErrRange},
		{"YMin above data", &Chart{Series: []Series{ok()}, YMin: ptr(10)}, ErrRange},
		{"negative width", &Chart{Series: []Series{ok()}, Width: -1}, ErrSize},
		{"tiny", &Chart{Series: []Series{ok()}, Width: 120, Height: 100, Title: "t", XLabel: "x"}, ErrSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := tc.chart.WriteSVG(&b)
			if !errors.Is(err, tc.want) {
				t.Errorf("WriteSVG = %v, want %v", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes on error", b.Len())
			}
		})
	}

	okBars := func() BarSeries { return BarSeries{Name: "s", Values: []float64{1, 2}} }
	for _, tc := range []struct {
		name string
		bars *Bars
		want error
	}{
		{"no series", &Bars{Groups: []string{"a"}}, ErrNoSeries},
		{"no groups", &Bars{Series: []BarSeries{{Name: "s"}}}, ErrNoData},
		{"short values", &Bars{Groups: []string{"a", "b"}, Series: []BarSeries{{Values: []float64{1}}}}, ErrLength},
		{"nil values", &Bars{Groups: []string{"a", "b"}, Series: []BarSeries{{Name: "s"}}}, ErrLength},
		{"short Hi", &Bars{Groups: []string{"a", "b"}, Series: []BarSeries{func() BarSeries { s := okBars(); s.Hi = []float64{1}; return s }()}}, ErrLength},
		{"NaN value", &Bars{Groups: []string{"a"}, Series: []BarSeries{{Values: []float64{math.NaN()}}}}, ErrNotFinite},
		{"Inf Lo", &Bars{Groups: []string{"a", "b"}, Series: []BarSeries{func() BarSeries { s := okBars(); s.Lo = []float64{1, math.Inf(-1)}; return s }()}}, ErrNotFinite},
		{"log zero", &Bars{LogY: true, Groups: []string{"a", "b"}, Series: []BarSeries{{Values: []float64{0, 1}}}}, ErrLogNonPositive},
		{"log HLine", &Bars{LogY: true, Groups: []string{"a", "b"}, Series: []BarSeries{okBars()}, HLines: []HLine{{Y: -1}}}, ErrLogNonPositive},
		{"too small", &Bars{Width: 50, Groups: []string{"a", "b"}, Series: []BarSeries{okBars()}}, ErrSize},
	} {
		t.Run("bars/"+tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := tc.bars.WriteSVG(&b)
			if !errors.Is(err, tc.want) {
				t.Errorf("WriteSVG = %v, want %v", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes on error", b.Len())
			}
		})
	}
}

// TestEdgeCases renders inputs that are valid but degenerate; they must give
// well-formed documents.
func TestEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chart svgWriterTo
	}{
		{"single point", &Chart{Series: []Series{{Name: "p", X: []float64{3}, Y: []float64{7}}}}},
		{"all zero", &Chart{Series: []Series{{X: []float64{0, 0}, Y: []float64{0, 0}}}}},
		{"negative only", &Chart{Series: []Series{{X: []float64{1, 2}, Y: []float64{-5, -3}}}}},
		{"empty series beside data", &Chart{Series: []Series{{Name: "none"}, {Name: "some", X: []float64{1}, Y: []float64{1}}}}},
		{"log single decade", &Chart{LogX: true, LogY: true, Series: []Series{{X: []float64{10}, Y: []float64{100}}}}},
		{"YMax only", &Chart{YMax: ptr(10), Series: []Series{{X: []float64{1, 2}, Y: []float64{3, 30}}}}},
		{"YMin only log", &Chart{LogY: true, YMin: ptr(2), Series: []Series{{X: []float64{1, 2}, Y: []float64{3, 30}}}}},
		{"YMax at data log", &Chart{LogY: true, YMax: ptr(100), Series: []Series{{X: []float64{1, 2}, Y: []float64{100, 100}}}}},
		{"long legend below", &Chart{Series: []Series{{Name: strings.Repeat("a very long series name ", 4), X: []float64{1, 2}, Y: []float64{1, 2}}}}},
		{"markup in names", &Chart{Title: `"<&>'`, Series: []Series{{Name: "</g>\x01", X: []float64{1}, Y: []float64{1}}}}},
		{"twenty series", func() *Chart {
			c := &Chart{Title: "legend below when too tall"}
			for i := range 20 {
				c.Series = append(c.Series, Series{Name: fmt.Sprintf("series %d", i), X: []float64{0, 1}, Y: []float64{float64(i), float64(i + 1)}})
			}
			return c
		}()},
		{"negative bars", &Bars{Groups: []string{"x", "y"}, Series: []BarSeries{{Name: "d", Values: []float64{-3, 4}}}}},
		{"long group names", &Bars{Groups: []string{"lattice + Kleinberg r=2", "random geometric", "c"}, Series: []BarSeries{{Values: []float64{1, 2, 3}}}}},
		{"rotated group names", &Bars{Groups: []string{"lattice + Kleinberg r=2", "random geometric", "c", "d", "e", "f"}, Series: []BarSeries{{Values: []float64{1, 2, 3, 4, 5, 6}}}}},
		{"zero bars", &Bars{Groups: []string{"x"}, Series: []BarSeries{{Values: []float64{0}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parse(t, render(t, tc.chart))
		})
	}
}

func TestErrorMessage(t *testing.T) {
	c := &Chart{LogY: true, Series: []Series{{Name: "hops", X: []float64{1, 2}, Y: []float64{1, 0}}}}
	err := c.WriteSVG(io.Discard)
	if want := `series 0 ("hops"): Y[1] = 0: svgplot: non-positive value on a log axis`; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// BenchmarkScatter10k draws one point per node of a 10,000-node run.
func BenchmarkScatter10k(b *testing.B) {
	var x, y []float64
	for i := range 10000 {
		x = append(x, float64(i%100+1))
		y = append(y, float64(i%37+1))
	}
	c := &Chart{LogX: true, Series: []Series{{Name: "stretch", X: x, Y: y, NoLine: true}}}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteSVG(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRandom draws random charts, with extreme and invalid values mixed in:
// WriteSVG must never panic, and must either fail with one of the package's
// errors and write nothing, or write a well-formed document.
func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, -1, 1, 1e-300, 5e-324, 1e300, math.MaxFloat64, -math.MaxFloat64,
		math.NaN(), math.Inf(1), 1e15, 1 + 1e-15, 0.1, 42}
	val := func() float64 {
		if rng.IntN(8) == 0 {
			return special[rng.IntN(len(special))]
		}
		return (rng.Float64() - 0.2) * math.Pow(10, float64(rng.IntN(12)-4))
	}
	vals := func(n int) []float64 {
		if n < 0 {
			return nil
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = val()
		}
		return v
	}
	optional := func(n int) []float64 {
		if rng.IntN(4) == 0 {
			return vals(n + rng.IntN(2)) // sometimes one too long
		}
		return nil
	}
	known := []error{ErrNoSeries, ErrNoData, ErrLength, ErrNotFinite, ErrLogNonPositive, ErrRange, ErrSize, ErrWhiskers}
	check := func(i int, c svgWriterTo) {
		var b bytes.Buffer
		err := c.WriteSVG(&b)
		if err != nil {
			ok := false
			for _, k := range known {
				ok = ok || errors.Is(err, k)
			}
			if !ok || b.Len() != 0 {
				t.Fatalf("case %d: error %v (known: %v), %d bytes written", i, err, ok, b.Len())
			}
			return
		}
		if bytes.Contains(b.Bytes(), []byte("NaN")) || bytes.Contains(b.Bytes(), []byte("Inf")) {
			t.Fatalf("case %d: NaN or Inf in output:\n%s", i, b.Bytes())
		}
		parse(t, b.Bytes())
	}
	drawn := 0
	for i := range 3000 {
		c := &Chart{LogX: rng.IntN(2) == 0, LogY: rng.IntN(2) == 0, Title: "t"}
		if rng.IntN(5) == 0 {
			c.YMin = ptr(val())
		}
		if rng.IntN(5) == 0 {
			c.YMax = ptr(val())
		}
		for range rng.IntN(4) {
			n := rng.IntN(6)
			c.Series = append(c.Series, Series{Name: "s", X: vals(n), Y: vals(n), Lo: optional(n), Hi: optional(n),
				NoLine: rng.IntN(2) == 0, Dashed: rng.IntN(2) == 0})
		}
		if rng.IntN(3) == 0 {
			c.HLines = []HLine{{Y: val(), Label: "h"}}
		}
		check(i, c)
		g := rng.IntN(4)
		bc := &Bars{LogY: rng.IntN(2) == 0, Groups: make([]string, g)}
		for range rng.IntN(4) {
			bc.Series = append(bc.Series, BarSeries{Name: "b", Values: vals(g), Lo: optional(g), Hi: optional(g)})
		}
		check(i, bc)
		var b bytes.Buffer
		if c.WriteSVG(&b) == nil {
			drawn++
		}
	}
	if drawn < 100 {
		t.Errorf("only %d of 3000 random charts were valid; the generator is too harsh", drawn)
	}
}
