package svgplot

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// axis maps data values to pixels and holds the ticks to draw.
type axis struct {
	log    bool
	lo, hi float64 // data range; both > 0 on a log axis
	p0, p1 float64 // pixels of lo and hi
	ticks  []tick
}

// tick is one tick position. Major ticks get a darker gridline and a tick
// mark; label is empty for unlabelled (minor) ticks.
type tick struct {
	v     float64
	major bool
	label string
}

func (a *axis) pos(v float64) float64 {
	var t float64
	if a.log {
		t = (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	} else {
		t = v/(a.hi-a.lo) - a.lo/(a.hi-a.lo) // no overflow in v - lo
	}
	// Points far outside a fixed range are clipped anyway; keeping them
	// within a thousand axis lengths keeps coordinates finite, and line
	// segments towards them still leave the plot in the right direction.
	t = max(-1000, min(t, 1000))
	return a.p0 + t*(a.p1-a.p0)
}

// extent is the running min and max of a set of values.
type extent struct {
	min, max float64
	n        int
}

func (e *extent) add(v float64) {
	if e.n == 0 || v < e.min {
		e.min = v
	}
	if e.n == 0 || v > e.max {
		e.max = v
	}
	e.n++
}

// rangeSpec says how to build an axis range from data.
type rangeSpec struct {
	log      bool
	data     extent   // must have n > 0
	zero     bool     // include 0 when the data are all >= 0 (linear only)
	pad      bool     // leave headroom beyond the data at the growing ends (linear only)
	fixLo    *float64 // fixed ends, if any
	fixHi    *float64
	target   int // wanted number of labelled ticks on a linear axis
	axisName string
}

// makeAxis picks the range and ticks for s. The pixel ends are set by the caller.
func makeAxis(s rangeSpec) (*axis, error) {
	lo, hi := s.data.min, s.data.max
	if s.fixLo != nil {
		lo = *s.fixLo
	}
	if s.fixHi != nil {
		hi = *s.fixHi
	}
	if !finite(lo) || !finite(hi) {
		return nil, fmt.Errorf("%s axis range: %w", s.axisName, ErrNotFinite)
	}
	if s.log {
		if lo <= 0 || hi <= 0 {
			return nil, fmt.Errorf("%s axis range [%g, %g]: %w", s.axisName, lo, hi, ErrLogNonPositive)
		}
	} else if s.zero && s.data.min >= 0 && s.fixLo == nil && lo > 0 {
		lo = 0
	}
	if lo > hi || (lo == hi && s.fixLo != nil && s.fixHi != nil) {
		return nil, fmt.Errorf("%s axis range [%g, %g]: %w", s.axisName, lo, hi, ErrRange)
	}
	a := &axis{log: s.log}
	if s.log {
		a.lo, a.hi, a.ticks = logTicks(lo, hi, s.fixLo == nil, s.fixHi == nil)
	} else {
		if lo == hi { // only possible with at most one fixed end
			d := math.Abs(lo) / 2
			if d == 0 {
				d = 1
			}
			if s.fixLo == nil && !(s.zero && lo == 0) {
				lo -= d
			}
			if s.fixHi == nil {
				hi += d
			}
		}
		if !finite(hi - lo) {
			return nil, fmt.Errorf("%s axis range [%g, %g] too wide: %w", s.axisName, lo, hi, ErrNotFinite)
		}
		if s.pad {
			// Headroom, so that the highest point or a reference line at
			// the maximum does not sit on the frame.
			d := (hi - lo) * padFrac
			if s.fixHi == nil {
				hi += d
			}
			if s.fixLo == nil && lo != 0 {
				lo -= d
			}
		}
		a.lo, a.hi, a.ticks = linearTicks(lo, hi, s.target, s.fixLo == nil, s.fixHi == nil)
	}
	if !finite(a.hi - a.lo) {
		return nil, fmt.Errorf("%s axis range [%g, %g] too wide: %w", s.axisName, a.lo, a.hi, ErrNotFinite)
	}
	if !(a.hi > a.lo) || (a.log && a.lo <= 0) {
		return nil, fmt.Errorf("%s axis range [%g, %g]: %w", s.axisName, a.lo, a.hi, ErrRange)
	}
	return a, nil
}

// padFrac is the headroom left beyond the data on a padded axis, as a
// fraction of the data span.
const padFrac = 0.04

// niceStep returns a step of 1, 2 or 5 × 10^k close to raw.
func niceStep(raw float64) float64 {
	k := math.Floor(math.Log10(raw))
	mag := math.Pow(10, k)
	f := raw / mag
	switch {
	case f < 1.5:
		return mag
	case f < 3:
		return 2 * mag
	case f < 7:
		return 5 * mag
	}
	return 10 * mag
}

// linearTicks returns the range, rounded outwards to a multiple of a nice
// step at the ends that may grow, and a labelled tick at every multiple of
// the step inside it.
func linearTicks(lo, hi float64, target int, growLo, growHi bool) (float64, float64, []tick) {
	if target < 2 {
		target = 2
	}
	step := niceStep((hi - lo) / float64(target))
	if growLo {
		lo = math.Floor(lo/step) * step
	}
	if growHi {
		hi = math.Ceil(hi/step) * step
	}
	first := math.Ceil(lo/step - 1e-9)
	last := math.Floor(hi/step + 1e-9)
	var ticks []tick
	for i := first; i <= last && len(ticks) < 100; i++ {
		v := i * step
		ticks = append(ticks, tick{v: v, major: true, label: formatNum(v, step)})
	}
	return lo, hi, ticks
}

// decadeFloor returns the largest k with 10^k <= v, for v > 0.
func decadeFloor(v float64) int {
	k := int(math.Floor(math.Log10(v)))
	for math.Pow10(k+1) <= v {
		k++
	}
	for math.Pow10(k) > v {
		k--
	}
	return k
}

// decadeCeil returns the smallest k with 10^k >= v, for v > 0.
func decadeCeil(v float64) int {
	k := decadeFloor(v)
	if math.Pow10(k) < v {
		k++
	}
	return k
}

// logTicks returns the range, widened to whole decades at the ends that may
// grow, with a major tick at each decade and minor ticks at 2..9 × 10^k.
// Decades are labelled (every few decades when there are many); 2 and 5 ×
// 10^k are labelled too on short ranges.
func logTicks(lo, hi float64, growLo, growHi bool) (float64, float64, []tick) {
	dlo, dhi := decadeFloor(lo), decadeCeil(hi)
	if growLo {
		lo = math.Pow10(dlo)
	}
	if growHi {
		hi = math.Pow10(dhi)
	}
	if hi <= lo && growHi {
		dhi = dlo + 1
		hi = math.Pow10(dhi)
	} else if hi <= lo && growLo {
		dlo = dhi - 1
		lo = math.Pow10(dlo)
	}
	ndec := math.Log10(hi / lo)
	every := 1
	if n := dhi - dlo; n > 10 {
		every = (n + 7) / 8
	}
	var ticks []tick
	for k := dlo; k <= dhi; k++ {
		p := math.Pow10(k)
		for m := 1; m <= 9; m++ {
			v := float64(m) * p
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			if m != 1 && ndec > 6 {
				continue
			}
			t := tick{v: v, major: m == 1}
			if (m == 1 && (k-dlo)%every == 0) || (ndec <= 2.5 && (m == 2 || m == 5)) {
				t.label = formatNum(v, v)
			}
			ticks = append(ticks, t)
		}
	}
	return lo, hi, ticks
}

var siSuffixes = []struct {
	scale  float64
	suffix string
}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}

// formatNum formats a tick value v that is a multiple of step, with as many
// decimals as step needs and a k/M/G/T suffix for large values: 0.3, 1.5k, 2M.
func formatNum(v, step float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	suffix := ""
	for _, s := range siSuffixes {
		if a >= s.scale*(1-1e-9) {
			v /= s.scale
			step /= s.scale
			suffix = s.suffix
			break
		}
	}
	if suffix == "" && a < 1e-4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	dec := 0
	if step > 0 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	dec = max(0, min(dec, 10))
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s + suffix
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
