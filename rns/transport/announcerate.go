package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/wire"
)

// MaxRateTimestamps is how many announce arrival times the announce rate
// table keeps per destination (RNS.Transport.MAX_RATE_TIMESTAMPS).
const MaxRateTimestamps = 16

// AnnounceRate is a copy of one announce-rate-table entry: how often a
// destination announces through interfaces with an announce rate target.
type AnnounceRate struct {
	// Last is the last announce that was not a violation.
	Last time.Time
	// Violations counts announces that came sooner than the target after
	// Last, minus those that did not.
	Violations int
	// BlockedUntil ends the penalty: until then the destination's
	// announces update the path table but are not rebroadcast.
	BlockedUntil time.Time
	// Timestamps are the last MaxRateTimestamps arrivals, oldest first.
	Timestamps []time.Time
}

type rateEntry struct {
	last         time.Time
	violations   int
	blockedUntil time.Time
	timestamps   []time.Time
}

// announceRateLocked records an announce of h arriving on in, which has an
// announce rate target, and reports whether its rebroadcast is blocked
// (the reference's inbound announce rate limiting).
func (t *Transport) announceRateLocked(h wire.Hash, in *Iface, now time.Time) bool {
	re, ok := t.rates[h]
	if !ok {
		t.rates[h] = &rateEntry{last: now, timestamps: []time.Time{now}}
		return false
	}
	re.timestamps = append(re.timestamps, now)
	if n := len(re.timestamps); n > MaxRateTimestamps {
		re.timestamps = append(re.timestamps[:0], re.timestamps[n-MaxRateTimestamps:]...)
	}
	if !now.After(re.blockedUntil) {
		return true
	}
	if now.Sub(re.last) < in.rateTarget {
		re.violations++
	} else {
		re.violations = max(0, re.violations-1)
	}
	if re.violations > in.rateGrace {
		re.blockedUntil = re.last.Add(in.rateTarget + in.ratePenalty)
		return true
	}
	re.last = now
	return false
}

// AnnounceRateOf returns a copy of the announce-rate-table entry for h.
func (t *Transport) AnnounceRateOf(h wire.Hash) (AnnounceRate, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	re, ok := t.rates[h]
	if !ok {
		return AnnounceRate{}, false
	}
	return AnnounceRate{
		Last: re.last, Violations: re.violations, BlockedUntil: re.blockedUntil,
		Timestamps: append([]time.Time(nil), re.timestamps...),
	}, true
}
