package svgplot

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrWhiskers: a series sets both Err and Lo or Hi.
var ErrWhiskers = errors.New("svgplot: both Err and Lo/Hi set")

// clipID names the clip path of the plot area; each document has one.
const clipID = "svgplot-plot"

// xInset is the gap in pixels between each end of the plot area and the
// ends of the x range.
const xInset = 10

// seriesName names series i in error messages.
func seriesName(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("series %d", i)
	}
	return fmt.Sprintf("series %d (%q)", i, name)
}

// whiskerEnds returns the whisker of point j, if the series has whiskers.
func (s *Series) whiskerEnds(j int) (lo, hi float64, ok bool) {
	switch {
	case s.Err != nil:
		return s.Y[j] - s.Err[j], s.Y[j] + s.Err[j], true
	case s.Lo != nil || s.Hi != nil:
		lo, hi = s.Y[j], s.Y[j]
		if s.Lo != nil {
			lo = s.Lo[j]
		}
		if s.Hi != nil {
			hi = s.Hi[j]
		}
		return lo, hi, true
	}
	return 0, 0, false
}

// checkValue validates one value for an axis; what and args name the value
// in the error, and are only formatted when there is one.
func checkValue(v float64, log bool, what string, args ...any) error {
	var err error
	switch {
	case !finite(v):
		err = ErrNotFinite
	case log && v <= 0:
		err = ErrLogNonPositive
	default:
		return nil
	}
	return fmt.Errorf("%s = %g: %w", fmt.Sprintf(what, args...), v, err)
}

// extents validates the chart's data and returns the x and y data extents.
func (c *Chart) extents() (xs, ys extent, err error) {
	if len(c.Series) == 0 {
		return xs, ys, ErrNoSeries
	}
	for i := range c.Series {
		s := &c.Series[i]
		sn := seriesName(i, s.Name)
		if len(s.X) != len(s.Y) {
			return xs, ys, fmt.Errorf("%s: len(X) = %d, len(Y) = %d: %w", sn, len(s.X), len(s.Y), ErrLength)
		}
		for _, e := range []struct {
			name string
			v    []float64
		}{{"Err", s.Err}, {"Lo", s.Lo}, {"Hi", s.Hi}} {
			if e.v != nil && len(e.v) != len(s.Y) {
				return xs, ys, fmt.Errorf("%s: len(%s) = %d, len(Y) = %d: %w", sn, e.name, len(e.v), len(s.Y), ErrLength)
			}
		}
		if s.Err != nil && (s.Lo != nil || s.Hi != nil) {
			return xs, ys, fmt.Errorf("%s: %w", sn, ErrWhiskers)
		}
		for j := range s.X {
			if err := checkValue(s.X[j], c.LogX, "%s: X[%d]", sn, j); err != nil {
				return xs, ys, err
			}
			if err := checkValue(s.Y[j], c.LogY, "%s: Y[%d]", sn, j); err != nil {
				return xs, ys, err
			}
			xs.add(s.X[j])
			ys.add(s.Y[j])
			if lo, hi, ok := s.whiskerEnds(j); ok {
				if err := checkValue(lo, c.LogY, "%s: whisker low end %d", sn, j); err != nil {
					return xs, ys, err
				}
				if err := checkValue(hi, c.LogY, "%s: whisker high end %d", sn, j); err != nil {
					return xs, ys, err
				}
				ys.add(lo)
				ys.add(hi)
			}
		}
	}
	if xs.n == 0 {
		return xs, ys, ErrNoData
	}
	for i, h := range c.HLines {
		if err := checkValue(h.Y, c.LogY, "HLines[%d]", i); err != nil {
			return xs, ys, err
		}
		ys.add(h.Y)
	}
	return xs, ys, nil
}

// WriteSVG writes the chart as an SVG document. It returns an error, and
// writes nothing, if the chart has no series or no points, if lengths do not
// match, if a value is NaN or infinite, or if a value on a log axis is not
// positive.
func (c *Chart) WriteSVG(out io.Writer) error {
	xs, ys, err := c.extents()
	if err != nil {
		return err
	}
	width, height, err := size(c.Width, c.Height)
	if err != nil {
		return err
	}

	var entries []legendEntry
	for i := range c.Series {
		s := &c.Series[i]
		if s.Name == "" {
			continue
		}
		color, mk := seriesColor(i), seriesMarker(i)
		entries = append(entries, legendEntry{name: s.Name, sample: func(w *svgWriter, x, y float64) {
			if !s.NoLine {
				w.p(`<path d="M%.2f,%.2fh%d" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n",
					x, y, legendSampleW, color, dashAttr(s.Dashed))
			}
			w.marker(mk, x+legendSampleW/2, y, color, !s.NoLine)
		}})
	}
	leg := planLegend(entries, width, height)

	pa := plotArea{top: 20, bottom: height - 30, right: width - 20}
	if c.Title != "" {
		pa.top = 44
	}
	if c.XLabel != "" {
		pa.bottom -= 20
	}
	if len(entries) > 0 {
		if leg.right {
			pa.right = width - leg.w - 24
		} else {
			pa.bottom -= leg.h + 12
		}
	}

	ya, err := makeAxis(rangeSpec{log: c.LogY, data: ys, zero: true, pad: true, fixLo: c.YMin, fixHi: c.YMax,
		target: max(2, int((pa.bottom-pa.top)/60)), axisName: "y"})
	if err != nil {
		return err
	}
	ya.p0, ya.p1 = pa.bottom, pa.top
	labelX, left := yLabelSpace(ya, c.YLabel)
	pa.left = left
	if err := checkArea(pa); err != nil {
		return err
	}
	xa, err := makeAxis(rangeSpec{log: c.LogX, data: xs,
		target: max(2, int((pa.right-pa.left)/90)), axisName: "x"})
	if err != nil {
		return err
	}
	// Inset the data from the ends of the x axis so that markers and
	// whiskers at the ends of the range stay clear of the y axis.
	xa.p0, xa.p1 = pa.left+xInset, pa.right-xInset

	w := &svgWriter{}
	w.start(width, height, c.Title)
	w.p(`<defs><clipPath id="%s"><rect x="%.2f" y="%.2f" width="%.2f" height="%.2f"/></clipPath></defs>`+"\n",
		clipID, pa.left-2, pa.top-2, pa.right-pa.left+4, pa.bottom-pa.top+4)
	w.yAxis(ya, pa, c.YLabel, labelX)
	w.xAxis(xa, pa, c.XLabel)
	w.hlines(c.HLines, ya, pa)
	for i := range c.Series {
		c.drawSeries(w, i, xa, ya, pa)
	}
	if leg.right {
		leg.draw(w, pa.right+14, pa.top)
	} else {
		leg.draw(w, max(4, (pa.left+pa.right-leg.w)/2), height-leg.h-8)
	}
	w.end()
	_, err = out.Write(w.b)
	return err
}

func dashAttr(dashed bool) string {
	if dashed {
		return ` stroke-dasharray="6,4"`
	}
	return ""
}

// drawSeries draws series i as a group: its whiskers and line, clipped to
// the plot area, then its markers (those inside the plot area).
func (c *Chart) drawSeries(w *svgWriter, i int, xa, ya *axis, pa plotArea) {
	s := &c.Series[i]
	color, mk := seriesColor(i), seriesMarker(i)
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("series %d", i)
	}
	w.p("<g>\n<title>%s</title>\n", esc(name))
	n := len(s.X)
	hasWhiskers := s.Err != nil || s.Lo != nil || s.Hi != nil
	if n > 0 && (hasWhiskers || (!s.NoLine && n > 1)) {
		w.p(`<g clip-path="url(#%s)">`+"\n", clipID)
		if hasWhiskers {
			var px, p0, p1 []float64
			for j := range n {
				lo, hi, _ := s.whiskerEnds(j)
				px = append(px, xa.pos(s.X[j]))
				p0 = append(p0, ya.pos(lo))
				p1 = append(p1, ya.pos(hi))
			}
			w.whiskers(px, p0, p1, 6)
		}
		if !s.NoLine && n > 1 {
			w.p(`<polyline points="`)
			for j := range n {
				if j > 0 {
					w.p(" ")
				}
				w.p(`%.2f,%.2f`, xa.pos(s.X[j]), ya.pos(s.Y[j]))
			}
			w.p(`" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"%s/>`+"\n", color, dashAttr(s.Dashed))
		}
		w.p("</g>\n")
	}
	step := 1
	if !s.NoLine && n > denseLine {
		step = int(math.Ceil(float64(n) / denseMarkers))
	}
	for j := 0; j < n; j += step {
		px, py := xa.pos(s.X[j]), ya.pos(s.Y[j])
		if py < pa.top-0.5 || py > pa.bottom+0.5 {
			continue
		}
		w.marker(mk, px, py, color, !s.NoLine)
	}
	w.p("</g>\n")
}
