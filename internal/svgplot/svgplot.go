// Package svgplot writes small line, scatter and bar charts as plain SVG 1.1,
// with no dependency beyond the standard library. mehr-sim uses it to draw the
// plots in docs/SIMULATION.md.
//
// The output is meant to be shown as an image on GitHub: every style is an
// inline presentation attribute (no CSS, no script), text uses the generic
// sans-serif family, and the chart sits on an opaque white rectangle so that
// it reads in both the light and the dark theme. Each series has its own
// colour from a fixed palette of eight and its own marker shape (bars get a
// hatch pattern instead), so a chart still reads when printed in greyscale.
//
// Output is deterministic: the same chart gives byte-identical SVG, with
// every coordinate written with two decimals. WriteSVG validates its input
// and returns an error (one of the Err values below, wrapped with context)
// instead of writing a partial document; it writes nothing on error.
package svgplot

import "errors"

// Errors returned, wrapped, by WriteSVG. Test for them with errors.Is.
var (
	// ErrNoSeries: the chart has no series.
	ErrNoSeries = errors.New("svgplot: no series")
	// ErrNoData: the series hold no points at all, or a bar chart has no groups.
	ErrNoData = errors.New("svgplot: no data points")
	// ErrLength: slices that must have equal length do not (X and Y, Y and
	// Lo/Hi/Err, bar Values and Groups).
	ErrLength = errors.New("svgplot: mismatched lengths")
	// ErrNotFinite: a value is NaN or ±Inf, or the data range overflows.
	ErrNotFinite = errors.New("svgplot: NaN or infinite value")
	// ErrLogNonPositive: a value on a log axis is zero or negative.
	ErrLogNonPositive = errors.New("svgplot: non-positive value on a log axis")
	// ErrRange: the fixed axis range is empty or inverted.
	ErrRange = errors.New("svgplot: empty or inverted axis range")
	// ErrSize: Width or Height is negative or too small to hold a plot.
	ErrSize = errors.New("svgplot: chart size too small")
)

// Default chart size in pixels, used when Width or Height is zero.
const (
	DefaultWidth  = 640
	DefaultHeight = 400
)

// Series is one line, scatter or whisker series of a Chart.
type Series struct {
	// Name labels the series in the legend. Series without names are left out
	// of it; when no series has a name there is no legend.
	Name string
	// X and Y are the points, drawn in the given order. They must have the
	// same length. A series may be empty (it then only shows in the legend),
	// but the chart as a whole must have at least one point.
	X, Y []float64
	// Dashed draws the line dashed, e.g. for a reference curve like log² N.
	Dashed bool
	// NoLine draws markers only (a scatter plot).
	NoLine bool
	// Err, if set, must have len(Y) and draws a vertical whisker from
	// Y[i]-Err[i] to Y[i]+Err[i]. It cannot be combined with Lo or Hi.
	Err []float64
	// Lo and Hi, if set, must have len(Y) and draw vertical whiskers from
	// Lo[i] to Hi[i] (e.g. p5 to p95). If only one is set, the other end of
	// each whisker is Y[i].
	Lo, Hi []float64
}

// Chart is an x/y chart of line and scatter series.
//
// A line series with more than 60 points gets markers on every k-th point
// only (about 30 in all), so that dense curves stay readable; scatter series
// (NoLine) always get a marker on every point.
type Chart struct {
	Title, XLabel, YLabel string
	// LogX and LogY make the axis base-10 logarithmic, with a tick and a
	// gridline at every decade, lighter gridlines at 2..9 × 10^k, and labels
	// on 2 and 5 × 10^k too when the axis spans 2.5 decades or less.
	LogX, LogY bool
	// Width and Height in pixels; zero means DefaultWidth × DefaultHeight.
	Width, Height int
	// YMin and YMax, if set, fix that end of the y axis. Points outside the
	// range are clipped. An unset end is chosen automatically: a round value
	// just beyond the data (a decade on a log axis), and 0 for the lower end
	// of a linear axis when no value is negative.
	YMin, YMax *float64
	// HLines are horizontal reference lines across the plot, e.g. the 10 %
	// bandwidth budget. They count towards the automatic y range.
	HLines []HLine
	Series []Series
}

// HLine is a labelled horizontal reference line.
type HLine struct {
	Y     float64
	Label string
}

// Bars is a grouped bar chart: one bar per series side by side in each group,
// with the groups as x-axis categories and a legend for the series.
type Bars struct {
	Title, YLabel string
	// LogY makes the y axis logarithmic; bars then rise from the bottom of
	// the axis. On a linear axis bars rise from (or hang below) zero.
	LogY bool
	// Width and Height in pixels; zero means DefaultWidth × DefaultHeight.
	Width, Height int
	// Groups are the x-axis categories.
	Groups []string
	Series []BarSeries
	HLines []HLine
}

// BarSeries is one bar per group. Values must have len(Groups); Lo and Hi,
// if set, must too and draw whiskers as for Series.
type BarSeries struct {
	Name   string
	Values []float64
	Lo, Hi []float64
}
