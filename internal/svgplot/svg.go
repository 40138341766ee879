package svgplot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// Look shared by both chart kinds.
const (
	fontSize      = 12
	titleSize     = 14
	textColor     = "#333333"
	axisColor     = "#333333"
	gridColor     = "#e0e0e0"
	minorColor    = "#f0f0f0"
	hlineColor    = "#555555"
	whiskerColor  = "#222222"
	tickLen       = 5
	legendRowH    = 18
	legendSampleW = 28
	// denseLine is the number of points above which a line series gets
	// markers on every k-th point only, about denseMarkers of them.
	denseLine    = 60
	denseMarkers = 30
)

// palette is the series colours, in order: distinguishable, and dark enough
// to read on white.
var palette = [8]string{
	"#1f77b4", // blue
	"#d62728", // red
	"#2ca02c", // green
	"#ff7f0e", // orange
	"#9467bd", // purple
	"#8c564b", // brown
	"#e377c2", // pink
	"#17a2b8", // teal
}

func seriesColor(i int) string { return palette[i%len(palette)] }

// seriesMarker gives series i a marker shape; past len(palette) series the
// shape shifts against the colour so that the pair stays unique.
func seriesMarker(i int) int { return (i + i/len(palette)) % numMarkers }

// svgWriter accumulates the document; it is written out in one piece only
// when the whole chart has been laid out without error.
type svgWriter struct{ b []byte }

// p appends format with args. Every float64 argument is rounded to two
// decimals first (and -0 made 0) so that "%.2f" output is stable.
func (w *svgWriter) p(format string, args ...any) {
	for i, a := range args {
		if f, ok := a.(float64); ok {
			args[i] = norm(f)
		}
	}
	w.b = fmt.Appendf(w.b, format, args...)
}

func norm(f float64) float64 {
	r := math.Round(f*100) / 100
	if r == 0 {
		return 0
	}
	return r
}

// esc XML-escapes s for use in text and in attribute values.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer cannot fail
	return b.String()
}

// textWidth estimates the rendered width of s in a sans-serif font of the
// given size; it only has to be good enough for layout, and errs on the wide
// side (DejaVu Sans, common on Linux, is wider than Arial or Helvetica).
func textWidth(s string, size float64) float64 {
	var w float64
	for _, r := range s {
		switch {
		case strings.ContainsRune("il.,:;'|!jtfI ()[]", r):
			w += 0.34
		case strings.ContainsRune("mwMW@%", r):
			w += 0.95
		case unicode.IsUpper(r):
			w += 0.72
		default:
			w += 0.62
		}
	}
	return w * size
}

// truncate shortens s, ending it with "…", to fit in width pixels.
func truncate(s string, width float64) string {
	if textWidth(s, fontSize) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textWidth(string(r)+"…", fontSize) > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// start writes the document head, the white background and the title.
func (w *svgWriter) start(width, height float64, title string) {
	w.p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.p(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="%d">`+"\n",
		int(width), int(height), int(width), int(height), fontSize)
	if title != "" {
		w.p("<title>%s</title>\n", esc(title))
	}
	w.p(`<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", int(width), int(height))
	if title != "" {
		w.p(`<text x="%.2f" y="26" text-anchor="middle" font-size="%d" font-weight="bold" fill="%s">%s</text>`+"\n",
			width/2, titleSize, textColor, esc(title))
	}
}

func (w *svgWriter) end() { w.p("</svg>\n") }

// plotArea is the pixel rectangle of the plot inside the chart.
type plotArea struct{ left, right, top, bottom float64 }

// yAxis draws the horizontal gridlines, the y axis line, its tick marks and
// labels, and the rotated axis title.
func (w *svgWriter) yAxis(a *axis, pa plotArea, label string, labelX float64) {
	w.grid(a, func(v float64) { w.p(`M%.2f,%.2fH%.2f`, pa.left, a.pos(v), pa.right) })
	w.p(`<path d="M%.2f,%.2fV%.2f" fill="none" stroke="%s" stroke-width="1"/>`+"\n", pa.left, pa.top, pa.bottom, axisColor)
	w.p(`<path d="`)
	for _, t := range a.ticks {
		if t.major || t.label != "" {
			w.p(`M%.2f,%.2fh%d`, pa.left-tickLen, a.pos(t.v), tickLen)
		}
	}
	w.p(`" fill="none" stroke="%s" stroke-width="1"/>`+"\n", axisColor)
	w.p(`<g text-anchor="end" fill="%s">`+"\n", textColor)
	last := math.Inf(1)
	for _, t := range a.ticks {
		y := a.pos(t.v)
		if t.label == "" || last-y < fontSize+2 {
			continue
		}
		last = y
		w.p(`<text x="%.2f" y="%.2f">%s</text>`+"\n", pa.left-tickLen-3, y+4, esc(t.label))
	}
	w.p("</g>\n")
	if label != "" {
		cy := (pa.top + pa.bottom) / 2
		w.p(`<text x="%.2f" y="%.2f" transform="rotate(-90 %.2f %.2f)" text-anchor="middle" fill="%s">%s</text>`+"\n",
			labelX, cy, labelX, cy, textColor, esc(label))
	}
}

// xAxis draws the vertical gridlines, the x axis line, its tick marks and
// labels, and the axis title.
func (w *svgWriter) xAxis(a *axis, pa plotArea, label string) {
	w.grid(a, func(v float64) { w.p(`M%.2f,%.2fV%.2f`, a.pos(v), pa.top, pa.bottom) })
	w.p(`<path d="M%.2f,%.2fH%.2f" fill="none" stroke="%s" stroke-width="1"/>`+"\n", pa.left, pa.bottom, pa.right, axisColor)
	w.p(`<path d="`)
	for _, t := range a.ticks {
		if t.major || t.label != "" {
			w.p(`M%.2f,%.2fv%d`, a.pos(t.v), pa.bottom, tickLen)
		}
	}
	w.p(`" fill="none" stroke="%s" stroke-width="1"/>`+"\n", axisColor)
	w.p(`<g text-anchor="middle" fill="%s">`+"\n", textColor)
	last := math.Inf(-1)
	for _, t := range a.ticks {
		if t.label == "" {
			continue
		}
		x, half := a.pos(t.v), textWidth(t.label, fontSize)/2
		if x-half < last+6 {
			continue
		}
		last = x + half
		w.p(`<text x="%.2f" y="%.2f">%s</text>`+"\n", x, pa.bottom+tickLen+14, esc(t.label))
	}
	w.p("</g>\n")
	if label != "" {
		w.p(`<text x="%.2f" y="%.2f" text-anchor="middle" fill="%s">%s</text>`+"\n",
			(pa.left+pa.right)/2, pa.bottom+tickLen+34, textColor, esc(label))
	}
}

// grid draws one path of minor gridlines and one of major ones; line
// appends the path commands for the line at value v.
func (w *svgWriter) grid(a *axis, line func(v float64)) {
	for _, major := range []bool{false, true} {
		n := 0
		for _, t := range a.ticks {
			if t.major != major {
				continue
			}
			if n == 0 {
				w.p(`<path d="`)
			}
			n++
			line(t.v)
		}
		if n > 0 {
			c := minorColor
			if major {
				c = gridColor
			}
			w.p(`" fill="none" stroke="%s" stroke-width="1" shape-rendering="crispEdges"/>`+"\n", c)
		}
	}
}

// hlines draws the reference lines that fall inside the y range, each with
// its label right-aligned just above it.
func (w *svgWriter) hlines(hs []HLine, y *axis, pa plotArea) {
	lo, hi := min(y.p0, y.p1), max(y.p0, y.p1)
	for _, h := range hs {
		py := y.pos(h.Y)
		if py < lo-0.01 || py > hi+0.01 {
			continue
		}
		w.p(`<path d="M%.2f,%.2fH%.2f" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="8,3,2,3"/>`+"\n",
			pa.left, py, pa.right, hlineColor)
		if h.Label != "" {
			ty := py - 4
			if ty < pa.top+fontSize { // no room above: put it below the line
				ty = py + fontSize + 2
			}
			w.p(`<text x="%.2f" y="%.2f" text-anchor="end" font-size="11" fill="%s">%s</text>`+"\n",
				pa.right-4, ty, hlineColor, esc(h.Label))
		}
	}
}

// Marker shapes.
const (
	markCircle = iota
	markSquare
	markTriangleUp
	markDiamond
	markTriangleDown
	markPlus
	markCross
	markStar
	numMarkers
)

// marker draws one marker of the given shape centred on x, y as a single element.
//
// Filled shapes get a thin white outline when outline is set, which makes
// them stand out on lines; dense scatter plots look better without it.
func (w *svgWriter) marker(kind int, x, y float64, color string, outline bool) {
	filled := `fill="%s" stroke="none"/>` + "\n"
	if outline {
		filled = `fill="%s" stroke="#ffffff" stroke-width="0.75"/>` + "\n"
	}
	const stroked = `fill="none" stroke="%s" stroke-width="2"/>` + "\n"
	switch kind {
	case markCircle:
		w.p(`<circle cx="%.2f" cy="%.2f" r="3.75" `+filled, x, y, color)
	case markSquare:
		w.p(`<rect x="%.2f" y="%.2f" width="7" height="7" `+filled, x-3.5, y-3.5, color)
	case markTriangleUp:
		w.p(`<path d="M%.2f,%.2fL%.2f,%.2fL%.2f,%.2fZ" `+filled, x, y-4.75, x+4.5, y+3.25, x-4.5, y+3.25, color)
	case markDiamond:
		w.p(`<path d="M%.2f,%.2fL%.2f,%.2fL%.2f,%.2fL%.2f,%.2fZ" `+filled, x, y-5, x+4.5, y, x, y+5, x-4.5, y, color)
	case markTriangleDown:
		w.p(`<path d="M%.2f,%.2fL%.2f,%.2fL%.2f,%.2fZ" `+filled, x, y+4.75, x+4.5, y-3.25, x-4.5, y-3.25, color)
	case markPlus:
		w.p(`<path d="M%.2f,%.2fH%.2fM%.2f,%.2fV%.2f" `+stroked, x-4.5, y, x+4.5, x, y-4.5, y+4.5, color)
	case markCross:
		w.p(`<path d="M%.2f,%.2fL%.2f,%.2fM%.2f,%.2fL%.2f,%.2f" `+stroked,
			x-3.5, y-3.5, x+3.5, y+3.5, x-3.5, y+3.5, x+3.5, y-3.5, color)
	default: // markStar
		w.p(`<path d="`)
		for i := range 10 {
			r := 5.5
			if i%2 == 1 {
				r = 2.4
			}
			a := float64(i) * math.Pi / 5
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			w.p(`%s%.2f,%.2f`, cmd, x+r*math.Sin(a), y-r*math.Cos(a))
		}
		w.p(`Z" `+filled, color)
	}
}

// whiskers draws vertical whiskers with short caps, as one path, from the
// pixel pairs (x, y0, y1).
func (w *svgWriter) whiskers(xs, y0s, y1s []float64, capW float64) {
	if len(xs) == 0 {
		return
	}
	w.p(`<path d="`)
	for i, x := range xs {
		w.p(`M%.2f,%.2fV%.2fM%.2f,%.2fh%.2fM%.2f,%.2fh%.2f`,
			x, y0s[i], y1s[i], x-capW/2, y0s[i], capW, x-capW/2, y1s[i], capW)
	}
	w.p(`" fill="none" stroke="%s" stroke-width="1.25"/>`+"\n", whiskerColor)
}

// legendEntry is one legend row: a sample drawn by sample at the given left
// edge and vertical centre, and the series name.
type legendEntry struct {
	name   string
	sample func(w *svgWriter, x, y float64)
}

// legend is a planned legend box, either right of the plot (one column) or
// below it (as many columns as fit).
type legend struct {
	entries []legendEntry
	right   bool
	cols    int
	colW    float64
	w, h    float64
}

// planLegend sizes a legend for a chart of the given size. It goes right of
// the plot when that costs at most 30 % of the width and it fits the height,
// else below the plot.
func planLegend(entries []legendEntry, chartW, chartH float64) legend {
	l := legend{entries: entries}
	if len(entries) == 0 {
		return l
	}
	// Names too long for even a single column below the plot are cut.
	limit := chartW - 40 - 8 - legendSampleW - 6 - 14
	var tw float64
	for i, e := range entries {
		entries[i].name = truncate(e.name, limit)
		tw = max(tw, textWidth(entries[i].name, fontSize))
	}
	l.colW = legendSampleW + 6 + tw + 14
	if 8+l.colW <= 0.3*chartW && 8+float64(len(entries))*legendRowH <= chartH-70 {
		l.right, l.cols = true, 1
	} else {
		l.cols = max(1, min(len(entries), int((chartW-40)/l.colW)))
	}
	rows := (len(entries) + l.cols - 1) / l.cols
	l.w = 8 + float64(l.cols)*l.colW
	l.h = 8 + float64(rows)*legendRowH
	return l
}

// draw writes the legend with its top-left corner at x, y.
func (l *legend) draw(w *svgWriter, x, y float64) {
	if len(l.entries) == 0 {
		return
	}
	w.p(`<g>`+"\n"+`<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="#ffffff" stroke="#cccccc" stroke-width="1"/>`+"\n",
		x, y, l.w, l.h)
	for i, e := range l.entries {
		col, row := i%l.cols, i/l.cols
		ex := x + 8 + float64(col)*l.colW
		ey := y + 4 + float64(row)*legendRowH + legendRowH/2
		e.sample(w, ex, ey)
		w.p(`<text x="%.2f" y="%.2f" fill="%s">%s</text>`+"\n", ex+legendSampleW+6, ey+4, textColor, esc(e.name))
	}
	w.p("</g>\n")
}

// yLabelSpace returns the room the y tick labels need, and where the rotated
// y axis title goes: x of its baseline, and the total left margin.
func yLabelSpace(a *axis, label string) (labelX, left float64) {
	var tw float64
	for _, t := range a.ticks {
		tw = max(tw, textWidth(t.label, fontSize))
	}
	left = 12 + tw + tickLen + 3
	if label != "" {
		labelX = 20
		left += 24
	}
	return labelX, max(left, 40)
}

// size returns the chart size in pixels, applying the defaults.
func size(width, height int) (float64, float64, error) {
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	if width < 100 || height < 100 || width > 100000 || height > 100000 {
		return 0, 0, fmt.Errorf("size %dx%d: %w", width, height, ErrSize)
	}
	return float64(width), float64(height), nil
}

// checkArea fails if the layout left too little room for the plot itself.
func checkArea(pa plotArea) error {
	if pa.right-pa.left < 60 || pa.bottom-pa.top < 60 {
		return fmt.Errorf("plot area %.0fx%.0f px after labels and legend: %w",
			pa.right-pa.left, pa.bottom-pa.top, ErrSize)
	}
	return nil
}
