package svgplot

import (
	"fmt"
	"io"
)

// hatches are the tile paths (6×6, drawn in white over the series colour)
// that tell bar series apart in greyscale; the first is solid.
var hatches = [8]string{
	"",
	"M0,6L6,0M-1,1L1,-1M5,7L7,5", // /
	"M0,0L6,6M-1,5L1,7M5,-1L7,1", // \
	"M0,3H6",                     // horizontal
	"M3,0V6",                     // vertical
	"M0,6L6,0M-1,1L1,-1M5,7L7,5M0,0L6,6M-1,5L1,7M5,-1L7,1", // crossed diagonals
	"M0,3H6M3,0V6",           // grid
	"M2.2,2.2h1.6v1.6h-1.6Z", // dots
}

// barFill returns the fill attribute value for bar series i.
func barFill(i int) string {
	if hatches[seriesMarker(i)] == "" {
		return seriesColor(i)
	}
	return fmt.Sprintf("url(#svgplot-bar%d)", i)
}

// check validates the bar chart and returns the y data extent.
func (b *Bars) check() (extent, error) {
	var ys extent
	if len(b.Series) == 0 {
		return ys, ErrNoSeries
	}
	if len(b.Groups) == 0 {
		return ys, fmt.Errorf("no groups: %w", ErrNoData)
	}
	if !b.LogY {
		ys.add(0) // bars rise from zero
	}
	for i := range b.Series {
		s := &b.Series[i]
		sn := seriesName(i, s.Name)
		for _, e := range []struct {
			name string
			v    []float64
		}{{"Values", s.Values}, {"Lo", s.Lo}, {"Hi", s.Hi}} {
			if (e.v != nil || e.name == "Values") && len(e.v) != len(b.Groups) {
				return ys, fmt.Errorf("%s: len(%s) = %d, len(Groups) = %d: %w", sn, e.name, len(e.v), len(b.Groups), ErrLength)
			}
		}
		for j, v := range s.Values {
			if err := checkValue(v, b.LogY, "%s: Values[%d]", sn, j); err != nil {
				return ys, err
			}
			ys.add(v)
			for _, e := range []struct {
				name string
				v    []float64
			}{{"Lo", s.Lo}, {"Hi", s.Hi}} {
				if e.v == nil {
					continue
				}
				if err := checkValue(e.v[j], b.LogY, "%s: %s[%d]", sn, e.name, j); err != nil {
					return ys, err
				}
				ys.add(e.v[j])
			}
		}
	}
	for i, h := range b.HLines {
		if err := checkValue(h.Y, b.LogY, "HLines[%d]", i); err != nil {
			return ys, err
		}
		ys.add(h.Y)
	}
	return ys, nil
}

// WriteSVG writes the bar chart as an SVG document. It returns an error, and
// writes nothing, if there are no series or no groups, if a series does not
// have one value per group, if a value is NaN or infinite, or if a value is
// not positive on a log axis.
func (b *Bars) WriteSVG(out io.Writer) error {
	ys, err := b.check()
	if err != nil {
		return err
	}
	width, height, err := size(b.Width, b.Height)
	if err != nil {
		return err
	}

	var entries []legendEntry
	for i := range b.Series {
		if b.Series[i].Name == "" {
			continue
		}
		fill, color := barFill(i), seriesColor(i)
		entries = append(entries, legendEntry{name: b.Series[i].Name, sample: func(w *svgWriter, x, y float64) {
			w.p(`<rect x="%.2f" y="%.2f" width="20" height="12" fill="%s" stroke="%s" stroke-width="1"/>`+"\n",
				x+4, y-6, fill, color)
		}})
	}
	leg := planLegend(entries, width, height)

	pa := plotArea{top: 20, right: width - 20}
	if b.Title != "" {
		pa.top = 44
	}
	if len(entries) > 0 && leg.right {
		pa.right = width - leg.w - 24
	}
	// Group labels are rotated when they would not fit side by side; the
	// band width is estimated with a typical left margin.
	var labelW float64
	for _, g := range b.Groups {
		labelW = max(labelW, textWidth(g, fontSize))
	}
	rotate := labelW > (pa.right-80)/float64(len(b.Groups))-6
	if rotate {
		pa.bottom = height - (tickLen + 22 + labelW/2)
	} else {
		pa.bottom = height - 30
	}
	if len(entries) > 0 && !leg.right {
		pa.bottom -= leg.h + 12
	}

	if b.LogY {
		// Start the axis below the smallest bar, so that a bar with a value
		// of exactly 10^k still shows.
		ys.add(ys.min / 2)
	}
	ya, err := makeAxis(rangeSpec{log: b.LogY, data: ys, zero: true, pad: true,
		target: max(2, int((pa.bottom-pa.top)/60)), axisName: "y"})
	if err != nil {
		return err
	}
	ya.p0, ya.p1 = pa.bottom, pa.top
	labelX, left := yLabelSpace(ya, b.YLabel)
	pa.left = left
	if rotate {
		// The first rotated name reaches left of its group's centre by
		// cos 30° of its width; keep it inside the chart.
		need := textWidth(b.Groups[0], fontSize)*0.87 - 4 + 8
		if band := (pa.right - pa.left) / float64(len(b.Groups)); pa.left+band/2 < need {
			// pa.left + (pa.right-pa.left)/(2n) = need, solved for pa.left.
			n := float64(len(b.Groups))
			pa.left = (need - pa.right/(2*n)) / (1 - 1/(2*n))
		}
	}
	if err := checkArea(pa); err != nil {
		return err
	}

	w := &svgWriter{}
	w.start(width, height, b.Title)
	w.p("<defs>\n")
	for i := range b.Series {
		h := hatches[seriesMarker(i)]
		if h == "" {
			continue
		}
		w.p(`<pattern id="svgplot-bar%d" patternUnits="userSpaceOnUse" width="6" height="6">`+
			`<rect x="0" y="0" width="6" height="6" fill="%s"/>`+
			`<path d="%s" fill="#ffffff" stroke="#ffffff" stroke-width="1.25"/></pattern>`+"\n",
			i, seriesColor(i), h)
	}
	w.p("</defs>\n")
	w.yAxis(ya, pa, b.YLabel, labelX)

	// The x axis: a line, a tick between groups, and the group names.
	band := (pa.right - pa.left) / float64(len(b.Groups))
	w.p(`<path d="M%.2f,%.2fH%.2f" fill="none" stroke="%s" stroke-width="1"/>`+"\n", pa.left, pa.bottom, pa.right, axisColor)
	w.p(`<path d="`)
	for g := range len(b.Groups) + 1 {
		w.p(`M%.2f,%.2fv%d`, pa.left+band*float64(g), pa.bottom, tickLen)
	}
	w.p(`" fill="none" stroke="%s" stroke-width="1"/>`+"\n", axisColor)
	w.p(`<g fill="%s">`+"\n", textColor)
	for g, name := range b.Groups {
		cx := pa.left + band*(float64(g)+0.5)
		if rotate {
			y := pa.bottom + tickLen + 10
			w.p(`<text x="%.2f" y="%.2f" text-anchor="end" transform="rotate(-30 %.2f %.2f)">%s</text>`+"\n",
				cx+4, y, cx+4, y, esc(name))
		} else {
			w.p(`<text x="%.2f" y="%.2f" text-anchor="middle">%s</text>`+"\n", cx, pa.bottom+tickLen+14, esc(name))
		}
	}
	w.p("</g>\n")

	// Bars: 80 % of each band, split between the series.
	barW := band * 0.8 / float64(len(b.Series))
	gap := 0.0
	if barW > 4 {
		gap = 1
	}
	base := ya.pos(0)
	if b.LogY {
		base = pa.bottom
	}
	for i := range b.Series {
		s := &b.Series[i]
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("series %d", i)
		}
		w.p("<g>\n<title>%s</title>\n", esc(name))
		fill, color := barFill(i), seriesColor(i)
		var px, p0, p1 []float64
		for g, v := range s.Values {
			x := pa.left + band*(float64(g)+0.1) + barW*float64(i)
			y := ya.pos(v)
			top, bot := min(y, base), max(y, base)
			w.p(`<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s" stroke="%s" stroke-width="1"/>`+"\n",
				x+gap/2, top, barW-gap, bot-top, fill, color)
			if s.Lo != nil || s.Hi != nil {
				lo, hi := v, v
				if s.Lo != nil {
					lo = s.Lo[g]
				}
				if s.Hi != nil {
					hi = s.Hi[g]
				}
				px = append(px, x+barW/2)
				p0 = append(p0, ya.pos(lo))
				p1 = append(p1, ya.pos(hi))
			}
		}
		w.whiskers(px, p0, p1, min(8, barW/2))
		w.p("</g>\n")
	}
	if !b.LogY && ya.lo < 0 {
		w.p(`<path d="M%.2f,%.2fH%.2f" fill="none" stroke="%s" stroke-width="1"/>`+"\n", pa.left, base, pa.right, axisColor)
	}
	w.hlines(b.HLines, ya, pa)
	if leg.right {
		leg.draw(w, pa.right+14, pa.top)
	} else {
		leg.draw(w, max(4, (pa.left+pa.right-leg.w)/2), height-leg.h-8)
	}
	w.end()
	_, err = out.Write(w.b)
	return err
}
