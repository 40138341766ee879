package transport

import (
	"bytes"
	"errors"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// Ingress control defaults (the reference's Interface.IC_* constants).
const (
	DefaultICMaxHeldAnnounces    = 256
	DefaultICBurstFreqNew        = 3.0 // announces per second
	DefaultICBurstFreq           = 10.0
	DefaultICBurstHold           = 15 * time.Second
	DefaultICBurstPenalty        = 15 * time.Second
	DefaultICHeldReleaseInterval = 5 * time.Second
	DefaultICNewTime             = 2 * time.Hour

	// icFreqSamples is how many arrival times the announce frequency is
	// computed over; icMinSamples the fewest it needs; icFreqDecay the
	// span after which the oldest sample is dropped.
	icFreqSamples = 48
	icMinSamples  = 2
	icFreqDecay   = 10 * time.Second
	// interfaceJobInterval is how often bursts are re-evaluated and held
	// announces released.
	interfaceJobInterval = 5 * time.Second
)

// IngressControl configures how an interface holds announces for unknown
// destinations while they arrive in a burst (the reference's ingress
// control): when the interface's incoming announce rate exceeds the burst
// frequency, announces of destinations with no path (and no path request
// of ours waiting) are held instead of processed, up to MaxHeld, one per
// destination. Once the rate has stayed under the frequency for BurstHold,
// the held announces are processed one at a time, fewest hops first, every
// HeldReleaseInterval, starting BurstPenalty after the burst began. Zero
// fields take the defaults.
type IngressControl struct {
	// Off disables ingress control (ingress_control = No).
	Off          bool
	MaxHeld      int
	BurstFreqNew float64 // the burst frequency while the interface is new
	BurstFreq    float64
	BurstHold    time.Duration
	BurstPenalty time.Duration
	// HeldReleaseInterval is the pause between two released announces.
	HeldReleaseInterval time.Duration
	// NewTime is how long after attaching the interface counts as new.
	NewTime time.Duration
}

// WithDefaults fills every unset field with the reference's default.
func (c IngressControl) WithDefaults() IngressControl {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.MaxHeld <= 0 {
		c.MaxHeld = DefaultICMaxHeldAnnounces
	}
	if c.BurstFreqNew <= 0 {
		c.BurstFreqNew = DefaultICBurstFreqNew
	}
	if c.BurstFreq <= 0 {
		c.BurstFreq = DefaultICBurstFreq
	}
	def(&c.BurstHold, DefaultICBurstHold)
	def(&c.BurstPenalty, DefaultICBurstPenalty)
	def(&c.HeldReleaseInterval, DefaultICHeldReleaseInterval)
	def(&c.NewTime, DefaultICNewTime)
	return c
}

// ingress is an interface's ingress-control state, guarded by
// Transport.mu.
type ingress struct {
	cfg     IngressControl
	on      bool
	created time.Time

	arrivals       []time.Time // announce arrival times, oldest first
	burstActive    bool
	burstActivated time.Time
	heldRelease    time.Time
	held           map[wire.Hash]heldAnnounce
}

type heldAnnounce struct {
	raw  []byte
	hops uint8
}

func newIngress(c IngressControl, in iface.Interface, local bool, now time.Time) ingress {
	on := !c.Off && !local
	if e, ok := in.(iface.IngressExempt); ok && e.IngressExempt() {
		on = false
	}
	return ingress{cfg: c.WithDefaults(), on: on, created: now}
}

// announceArrived records an announce with a valid signature.
func (g *ingress) announceArrived(now time.Time) {
	if len(g.arrivals) == icFreqSamples {
		copy(g.arrivals, g.arrivals[1:])
		g.arrivals = g.arrivals[:icFreqSamples-1]
	}
	g.arrivals = append(g.arrivals, now)
}

// frequency returns the incoming announce rate in Hz, dropping the oldest
// sample once it is older than the decay span, as the reference does.
func (g *ingress) frequency(now time.Time) float64 {
	n := len(g.arrivals)
	if n <= icMinSamples {
		return 0
	}
	span := now.Sub(g.arrivals[0])
	if span > icFreqDecay {
		g.arrivals = g.arrivals[1:]
	}
	if span <= 0 {
		return 0
	}
	return float64(n) / span.Seconds()
}

func (g *ingress) threshold(now time.Time) float64 {
	if now.Sub(g.created) < g.cfg.NewTime {
		return g.cfg.BurstFreqNew
	}
	return g.cfg.BurstFreq
}

// limit reports whether announces for unknown destinations are held now,
// starting or ending a burst as the rate dictates.
func (g *ingress) limit(now time.Time) bool {
	if !g.on {
		return false
	}
	th := g.threshold(now)
	f := g.frequency(now)
	if g.burstActive {
		if f < th && now.After(g.burstActivated.Add(g.cfg.BurstHold)) && len(g.arrivals) >= icMinSamples {
			g.burstActive = false
		}
		return true
	}
	if f > th {
		g.burstActive = true
		g.burstActivated = now
		g.heldRelease = now.Add(g.cfg.BurstPenalty)
		return true
	}
	return false
}

// hold keeps an announce (raw as received, hops as counted on arrival);
// a newer announce of a held destination replaces the older one.
func (g *ingress) hold(dest wire.Hash, raw []byte, hops uint8) {
	if int(hops) >= wire.MaxHops-1 {
		return
	}
	if _, ok := g.held[dest]; !ok && len(g.held) >= g.cfg.MaxHeld {
		return
	}
	if g.held == nil {
		g.held = map[wire.Hash]heldAnnounce{}
	}
	g.held[dest] = heldAnnounce{raw: append([]byte(nil), raw...), hops: hops}
}

// release pops the held announce with the fewest hops once the release
// time has come and the rate is under the burst frequency (or at once
// with force), and schedules the next release.
func (g *ingress) release(now time.Time, force bool) (wire.Hash, heldAnnounce, bool) {
	if len(g.held) == 0 || (!force && !now.After(g.heldRelease)) {
		return wire.Hash{}, heldAnnounce{}, false
	}
	if g.frequency(now) >= g.threshold(now) {
		return wire.Hash{}, heldAnnounce{}, false
	}
	var best wire.Hash
	var found bool
	minHops := wire.MaxHops
	// Fewest hops first; equal hop counts in hash order, so that a pass
	// does not depend on map iteration.
	for h, a := range g.held {
		if int(a.hops) < minHops || (int(a.hops) == minHops && found && bytes.Compare(h[:], best[:]) < 0) {
			minHops, best, found = int(a.hops), h, true
		}
	}
	if !found {
		return wire.Hash{}, heldAnnounce{}, false
	}
	a := g.held[best]
	delete(g.held, best)
	g.heldRelease = now.Add(g.cfg.HeldReleaseInterval)
	return best, a, true
}

// interfaceJobsLocked re-evaluates bursts and releases held announces on
// every interface (the reference's interface jobs, every 5 s). It returns
// the announces to process again, with their interfaces.
func (t *Transport) interfaceJobsLocked(now time.Time) []releasedAnnounce {
	var out []releasedAnnounce
	for _, i := range t.ifaces {
		i.ingress.limit(now)
		if _, a, ok := i.ingress.release(now, false); ok {
			out = append(out, releasedAnnounce{raw: a.raw, in: i})
		}
	}
	return out
}

type releasedAnnounce struct {
	raw []byte
	in  *Iface
}

// Seams for tests and the conformance bridge.

// ErrNotAnnounce is returned by HoldAnnounce for a packet that is not an
// announce.
var ErrNotAnnounce = errors.New("transport: not an announce packet")

// HoldAnnounce puts an announce on i's ingress-control queue, as a burst
// would, with its hop count as it stands in the header.
func (i *Iface) HoldAnnounce(raw []byte) error {
	var p wire.Packet
	if err := p.Decode(raw); err != nil {
		return err
	}
	if p.PacketType != wire.Announce {
		return ErrNotAnnounce
	}
	i.t.mu.Lock()
	i.ingress.hold(p.Destination, raw, p.Hops)
	i.t.mu.Unlock()
	return nil
}

// HeldAnnounces returns the destinations whose announces i holds, with
// their hop counts.
func (i *Iface) HeldAnnounces() map[wire.Hash]uint8 {
	i.t.mu.Lock()
	defer i.t.mu.Unlock()
	out := make(map[wire.Hash]uint8, len(i.ingress.held))
	for h, a := range i.ingress.held {
		out[h] = a.hops
	}
	return out
}

// BurstActive reports whether i is in an announce burst.
func (i *Iface) BurstActive() bool {
	i.t.mu.Lock()
	defer i.t.mu.Unlock()
	return i.ingress.burstActive
}

// ReleaseHeldAnnounce runs one release pass on i now without waiting for
// the release time: the held announce with the fewest hops is processed
// again, as if it had just arrived, and its destination returned.
func (i *Iface) ReleaseHeldAnnounce() (wire.Hash, bool) {
	t := i.t
	t.mu.Lock()
	h, a, ok := i.ingress.release(t.now(), true)
	t.mu.Unlock()
	if ok {
		t.Inbound(a.raw, i)
	}
	return h, ok
}
