package resource

import "time"

// Window and timing constants of the receiver's request window, named after
// the fields of RNS/Resource.py. The window is the number of parts one
// request asks for; it grows by one for every request answered in full and
// shrinks on timeouts, between a minimum and a maximum that follow it at
// most WindowFlexibility apart. The maximum starts at WindowMaxSlow and is
// raised to WindowMaxFast once FastRateThreshold requests were answered
// faster than RateFast, or lowered to WindowMaxVerySlow after
// VerySlowRateThreshold requests slower than RateVerySlow.
const (
	// WindowMin is the smallest window (Resource.WINDOW_MIN).
	WindowMin = 2
	// WindowMaxSlow is the initial window maximum (Resource.WINDOW_MAX_SLOW).
	WindowMaxSlow = 10
	// WindowMaxVerySlow is the window maximum on very slow links
	// (Resource.WINDOW_MAX_VERY_SLOW).
	WindowMaxVerySlow = 4
	// WindowMaxFast is the window maximum on fast links
	// (Resource.WINDOW_MAX_FAST), the overall WindowMax.
	WindowMaxFast = WindowMax
	// WindowFlexibility is the largest spread between the window's minimum
	// and maximum (Resource.WINDOW_FLEXIBILITY).
	WindowFlexibility = 4
	// FastRateThreshold is how many fast requests raise the maximum to
	// WindowMaxFast (Resource.FAST_RATE_THRESHOLD).
	FastRateThreshold = WindowMaxSlow - Window - 2
	// VerySlowRateThreshold is how many very slow requests lower the maximum
	// to WindowMaxVerySlow (Resource.VERY_SLOW_RATE_THRESHOLD).
	VerySlowRateThreshold = 2
	// RateFast is the rate, in bytes per second, above which a request
	// counts as fast (Resource.RATE_FAST: 50 kbit/s).
	RateFast = 50 * 1000 / 8.0
	// RateVerySlow is the rate, in bytes per second, below which a request
	// counts as very slow (Resource.RATE_VERY_SLOW: 2 kbit/s).
	RateVerySlow = 2 * 1000 / 8.0

	// PartTimeoutFactor scales the expected part time before the first
	// part arrived (Resource.PART_TIMEOUT_FACTOR).
	PartTimeoutFactor = 4
	// PartTimeoutFactorAfterRTT scales it afterwards
	// (Resource.PART_TIMEOUT_FACTOR_AFTER_RTT).
	PartTimeoutFactorAfterRTT = 2
	// ProofTimeoutFactor scales the sender's wait for the proof
	// (Resource.PROOF_TIMEOUT_FACTOR).
	ProofTimeoutFactor = 3
	// MaxRetries is how often a request or the proof wait is retried
	// (Resource.MAX_RETRIES).
	MaxRetries = 16
	// MaxAdvRetries is how often an advertisement is repeated
	// (Resource.MAX_ADV_RETRIES).
	MaxAdvRetries = 4
	// SenderGrace is added to the sender's timeouts
	// (Resource.SENDER_GRACE_TIME).
	SenderGrace = 10 * time.Second
	// AutoCompressMaxSize is the largest payload a sender compresses and
	// the most a receiver decompresses a segment to
	// (Resource.AUTO_COMPRESS_MAX_SIZE, the default max_decompressed_size).
	AutoCompressMaxSize = 64 << 20
)

// windowState is a receiver's request window.
type windowState struct {
	size, min, max int
	fast, slow     int // rounds counted towards the fast and very slow maxima
}

func newWindow() windowState {
	return windowState{size: Window, min: WindowMin, max: WindowMaxSlow}
}

// grow widens the window after a request was answered in full
// (Resource.receive_part).
func (w *windowState) grow() {
	if w.size < w.max {
		w.size++
		if w.size-w.min > WindowFlexibility-1 {
			w.min++
		}
	}
}

// shrink narrows the window after a timeout (Resource.__watchdog_job).
func (w *windowState) shrink() {
	if w.size > w.min {
		w.size--
		if w.max > w.min {
			w.max--
			if w.max-w.size > WindowFlexibility-1 {
				w.max--
			}
		}
	}
}

// rate counts a measured rate towards the fast or, for a whole request
// (full), the very slow maximum.
func (w *windowState) rate(bps float64, full bool) {
	if bps > RateFast && w.fast < FastRateThreshold {
		w.fast++
		if w.fast == FastRateThreshold {
			w.max = WindowMaxFast
		}
	}
	if full && w.fast == 0 && bps < RateVerySlow && w.slow < VerySlowRateThreshold {
		w.slow++
		if w.slow == VerySlowRateThreshold {
			w.max = WindowMaxVerySlow
		}
	}
}

// WindowState is a snapshot of a receiver's request window.
type WindowState struct {
	Size, Min, Max int
}

// Window returns the receiver's request window (the reference's window,
// window_min and window_max).
func (r *Receiver) Window() WindowState {
	return WindowState{Size: r.win.size, Min: r.win.min, Max: r.win.max}
}

// SetWindow starts the window at size (clamped to WindowMin..WindowMax), as
// the reference starts a link's next incoming resource at the window its
// last one ended with.
func (r *Receiver) SetWindow(size int) {
	r.win.size = min(max(size, WindowMin), WindowMax)
}

// ObserveRate feeds a measured transfer rate, in bytes per second, into the
// window's maximum: the rate of a request's first answer (full false), or
// of a whole request answered (full true).
func (r *Receiver) ObserveRate(bps float64, full bool) { r.win.rate(bps, full) }
