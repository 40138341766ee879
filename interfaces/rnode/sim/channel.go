package sim

import (
	"sync"
	"time"
)

// Tuning is what two radios must share to hear each other: carrier
// frequency, bandwidth and spreading factor. (The coding rate travels in
// the explicit header, so radios with different coding rates still hear
// each other, as real LoRa modems do.)
type Tuning struct {
	Frequency, Bandwidth uint32
	SpreadingFactor      uint8
}

// Channel is a shared simulated radio medium. A transmission is heard,
// when it ends, by every other radio on the channel that is switched on
// and tuned alike. With collisions enabled, transmissions with the same
// tuning that overlap in time are lost at every receiver, and a radio
// hears nothing while it transmits itself.
//
// A Channel is safe for concurrent use.
type Channel struct {
	collisions bool

	// mu guards the following fields.
	mu     sync.Mutex
	radios map[*Radio]struct{}
	txs    []*transmission // ongoing and recently ended, oldest first
}

// transmission is one packet on the air.
type transmission struct {
	from       *Radio
	tuning     Tuning
	start, end time.Time
	collided   bool
}

// historyKeep is how long ended transmissions are remembered for collision
// checks: longer than any packet's airtime (SF12 at 7.8 kHz, 508 bytes, is
// about 7 minutes; such settings are not worth simulating collisions for).
const historyKeep = 2 * time.Minute

// NewChannel returns an empty channel. collisions enables the loss of
// overlapping transmissions.
func NewChannel(collisions bool) *Channel {
	return &Channel{collisions: collisions, radios: map[*Radio]struct{}{}}
}

func (c *Channel) attach(r *Radio) {
	c.mu.Lock()
	c.radios[r] = struct{}{}
	c.mu.Unlock()
}

func (c *Channel) detach(r *Radio) {
	c.mu.Lock()
	delete(c.radios, r)
	c.mu.Unlock()
}

// busyUntil returns when the last ongoing transmission that r would hear
// ends, or the zero time if the channel is idle for r.
func (c *Channel) busyUntil(r *Radio, t Tuning, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var until time.Time
	for _, tx := range c.txs {
		if tx.from != r && tx.tuning == t && tx.end.After(now) && tx.end.After(until) {
			until = tx.end
		}
	}
	return until
}

// begin puts a transmission on the air.
func (c *Channel) begin(r *Radio, t Tuning, now time.Time, airtime time.Duration) *transmission {
	tx := &transmission{from: r, tuning: t, start: now, end: now.Add(airtime)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked(now)
	if c.collisions {
		for _, o := range c.txs {
			if o.tuning == t && o.end.After(now) {
				o.collided = true
				tx.collided = true
			}
		}
	}
	c.txs = append(c.txs, tx)
	return tx
}

// pruneLocked forgets transmissions that ended long ago.
func (c *Channel) pruneLocked(now time.Time) {
	i := 0
	for i < len(c.txs) && now.Sub(c.txs[i].end) > historyKeep {
		i++
	}
	if i > 0 {
		c.txs = append(c.txs[:0], c.txs[i:]...)
	}
}

// end takes tx off the air and delivers it to every radio that hears it.
func (c *Channel) end(tx *transmission, payload []byte) {
	c.mu.Lock()
	collided := tx.collided
	var to []*Radio
	for r := range c.radios {
		if r == tx.from {
			continue
		}
		if c.collisions && c.transmittedDuringLocked(r, tx) {
			continue // half duplex: deaf while transmitting
		}
		to = append(to, r)
	}
	c.mu.Unlock()
	for _, r := range to {
		r.hear(tx, payload, collided)
	}
}

// transmittedDuringLocked reports whether r transmitted while tx was on
// the air.
func (c *Channel) transmittedDuringLocked(r *Radio, tx *transmission) bool {
	for _, o := range c.txs {
		if o.from == r && o.start.Before(tx.end) && o.end.After(tx.start) {
			return true
		}
	}
	return false
}
