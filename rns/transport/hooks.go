package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/wire"
)

// This file holds the seams that let a caller drive transport without a
// medium and without waiting on its timers: frames handed in as if an
// interface had received them, transmissions on a chosen interface, the
// duplicate filter on its own, forced job rounds and interface detach.
// Tests of this package, white-box harnesses (the conformance bridge) and
// shared-instance plumbing use them.

// InboundFrame processes one frame as the receive routine of i would: it
// removes and checks i's interface access code (or rejects flagged frames
// on an open interface), counts the frame, and runs Inbound. frame may be
// rewritten in place; it is not kept.
func (t *Transport) InboundFrame(frame []byte, i *Iface) {
	if i == nil {
		t.Inbound(frame, nil)
		return
	}
	var unmasked []byte
	if i.ifac != nil {
		unmasked = make([]byte, 0, len(frame))
	}
	t.receiveFrame(frame, i, unmasked)
}

// receiveFrame is InboundFrame with a caller-owned scratch buffer for the
// unmasked packet (nil when i has no IFAC), so the receive loop does not
// allocate.
func (t *Transport) receiveFrame(frame []byte, i *Iface, unmasked []byte) {
	raw := frame
	var err error
	if i.ifac != nil {
		raw, err = i.ifac.Unmask(unmasked[:0], frame)
	} else {
		err = ifac.CheckOpen(frame)
	}
	if err != nil {
		i.dropped.Add(1)
		return
	}
	i.rxPackets.Add(1)
	i.rxBytes.Add(uint64(len(frame)))
	t.Inbound(raw, i)
}

// Transmit sends raw (a packet without IFAC) on i exactly as transport
// sends its own traffic: with i's interface access code applied, and
// counted. It bypasses routing, announce caps and the duplicate filter.
func (t *Transport) Transmit(i *Iface, raw []byte) {
	if i == nil {
		return
	}
	t.transmit(i, raw)
}

// FilterPacket runs raw (a packet as received, hop count unchanged)
// through the packet filter alone, as Inbound does before anything else,
// and, when it passes and remember is set, records its hash so that a
// replay is dropped. Like Inbound, a node attached to a shared instance
// passes everything and remembers nothing: the instance filters for it.
// It reports whether the packet passed and its hash.
func (t *Transport) FilterPacket(raw []byte, remember bool) (accepted bool, hash [wire.FullHashLen]byte, err error) {
	var p Packet
	if err := p.Decode(raw); err != nil {
		return false, hash, err
	}
	p.Hash, err = wire.PacketHash(raw)
	if err != nil {
		return false, hash, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	accepted = t.filterLocked(&p)
	if accepted && remember && !t.sharedLocked() {
		t.filter.Add(&p.Hash)
	}
	return accepted, p.Hash, nil
}

// Remembered reports whether the duplicate filter holds the packet hash h.
func (t *Transport) Remembered(h [wire.FullHashLen]byte) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.filter.Contains(&h)
}

// RememberedCount returns how many packet hashes the duplicate filter
// holds (both generations).
func (t *Transport) RememberedCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.filter.cur.n + t.filter.prev.n
}

// ForceJobs runs one round of the periodic jobs now, as RunJobs does, but
// with the once-a-second announce retransmission check and the
// every-few-seconds table cull forced to run in this round.
func (t *Transport) ForceJobs() {
	t.mu.Lock()
	t.lastAnnounces, t.lastCulled = time.Time{}, time.Time{}
	t.mu.Unlock()
	t.RunJobs()
}

// Detach removes i from the attached interfaces without closing it, as
// when a medium goes away: nothing more is sent on it, and paths, links
// and reverse entries through it are dropped at the next table cull.
// Frames still handed in with InboundFrame or Inbound are processed.
// Close still closes the interface.
func (t *Transport) Detach(i *Iface) {
	t.mu.Lock()
	if !t.closed && t.hasIface(i) {
		t.detachedOpen = append(t.detachedOpen, i)
	}
	t.mu.Unlock()
	t.detach(i)
}

// HasIFAC reports whether the interface authenticates its packets with an
// interface access code.
func (i *Iface) HasIFAC() bool { return i.ifac != nil }

// RequestPathTag is RequestPath with a caller-chosen request tag (the
// reference's request_path tag argument), so that the request's bytes are
// predictable.
func (t *Transport) RequestPathTag(h wire.Hash, on *Iface, tag []byte) error {
	if len(tag) == 0 {
		return t.RequestPath(h, on)
	}
	var q sendQueue
	t.mu.Lock()
	ok := t.requestPathLocked(h, on, tag, &q)
	t.mu.Unlock()
	t.flush(&q)
	if !ok {
		return ErrNoRoute
	}
	return nil
}
