package channel

import (
	"math"
	"time"
)

// Window sizes, round thresholds and RTT classes of the reference's Channel
// (RNS.Channel.Channel class constants).
const (
	WindowInitial        = 2  // WINDOW: the window at channel setup
	WindowMin            = 2  // WINDOW_MIN: the absolute minimum window
	WindowMinLimitSlow   = 2  // WINDOW_MIN_LIMIT_SLOW
	WindowMinLimitMedium = 5  // WINDOW_MIN_LIMIT_MEDIUM
	WindowMinLimitFast   = 16 // WINDOW_MIN_LIMIT_FAST
	WindowMaxSlow        = 5  // WINDOW_MAX_SLOW
	WindowMaxMedium      = 12 // WINDOW_MAX_MEDIUM
	WindowMaxFast        = 48 // WINDOW_MAX_FAST

	// WindowMax is the largest window on any link (WINDOW_MAX). A
	// receiver accepts sequences up to this far ahead of the next one it
	// expects.
	WindowMax = WindowMaxFast

	// WindowFlexibility is the smallest difference a shrinking window
	// keeps between its maximum and minimum (WINDOW_FLEXIBILITY).
	WindowFlexibility = 4

	// FastRateThreshold is how many consecutive deliveries at a fast (or
	// medium) RTT raise the window limits to the fast (or medium) class
	// (FAST_RATE_THRESHOLD).
	FastRateThreshold = 10

	// MaxTries is how many times a message is sent before the reference
	// gives up and tears the link down (Channel._max_tries).
	MaxTries = 5

	// SeqModulus is the sequence number space (SEQ_MODULUS): sequences
	// are uint16 and wrap from 0xFFFF to 0.
	SeqModulus = 0x10000
)

// RTT classes (RTT_FAST, RTT_MEDIUM, RTT_SLOW). A link RTT above RTTSlow
// gets a channel window of one message.
const (
	RTTFast   = 180 * time.Millisecond
	RTTMedium = 750 * time.Millisecond
	RTTSlow   = 1450 * time.Millisecond
)

// Window is a channel sender's flow-control window: how many messages may be
// unproven at once, and the limits it moves between. It mirrors the window
// bookkeeping of RNS.Channel.Channel. The zero Window is not useful; start
// from NewWindow. A Window is a plain value with no locking.
type Window struct {
	Size        int // messages that may be outstanding (window)
	Max         int // upper limit for Size (window_max)
	Min         int // lower limit for Size (window_min)
	Flexibility int // smallest Max-Min kept when shrinking (window_flexibility)

	FastRounds   int // consecutive deliveries at a fast RTT (fast_rate_rounds)
	MediumRounds int // consecutive deliveries at a medium RTT (medium_rate_rounds)
}

// NewWindow returns the window a channel starts with on a link whose RTT
// is rtt (Channel.__init__).
func NewWindow(rtt time.Duration) Window {
	if rtt > RTTSlow {
		return Window{Size: 1, Max: 1, Min: 1, Flexibility: 1}
	}
	return Window{Size: WindowInitial, Max: WindowMaxSlow, Min: WindowMin, Flexibility: WindowFlexibility}
}

// CanSend reports whether another message may be sent while outstanding
// messages are still unproven (Channel.is_ready_to_send).
func (w *Window) CanSend(outstanding int) bool { return outstanding < w.Size }

// Delivered updates w after the proof of an outstanding message arrived
// on a link whose current RTT is rtt (Channel._packet_tx_op). An RTT of 0
// means unknown and only grows the window.
func (w *Window) Delivered(rtt time.Duration) {
	if w.Size < w.Max {
		w.Size++
	}
	if rtt == 0 {
		return
	}
	if rtt > RTTFast {
		w.FastRounds = 0
		if rtt > RTTMedium {
			w.MediumRounds = 0
			return
		}
		w.MediumRounds++
		if w.Max < WindowMaxMedium && w.MediumRounds == FastRateThreshold {
			w.Max = WindowMaxMedium
			w.Min = WindowMinLimitMedium
		}
		return
	}
	w.FastRounds++
	if w.Max < WindowMaxFast && w.FastRounds == FastRateThreshold {
		w.Max = WindowMaxFast
		w.Min = WindowMinLimitFast
	}
}

// TimedOut updates w after an outstanding message timed out and is about to
// be sent again (Channel._packet_timeout).
func (w *Window) TimedOut() {
	if w.Size > w.Min {
		w.Size--
		if w.Max > w.Min+w.Flexibility {
			w.Max--
		}
	}
}

// PacketTimeout returns how long a sender waits for the proof of a message
// on its tries-th transmission (counting from 1), on a link with the given
// RTT, while outstanding messages (including this one) are unproven
// (Channel._get_packet_timeout_time):
//
//	1.5^(tries-1) × max(2.5 × rtt, 25 ms) × (outstanding + 1.5)
func PacketTimeout(tries int, rtt time.Duration, outstanding int) time.Duration {
	s := math.Pow(1.5, float64(tries-1)) * max(rtt.Seconds()*2.5, 0.025) * (float64(outstanding) + 1.5)
	return time.Duration(math.Round(s * float64(time.Second)))
}

// InRxWindow reports whether a receiver expecting sequence next accepts a
// message with sequence seq: seq must be next or at most WindowMax ahead of
// it, modulo SeqModulus (Channel._receive). Anything else is dropped.
func InRxWindow(next, seq uint16) bool { return seq-next <= WindowMax }
