package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// Send transmits a packet built by this node (raw, without IFAC; normally
// HEADER_1 with hops 0), the way the reference's Transport.outbound does:
// packets to destinations with a known path go to that path's interface,
// with a transport header inserted when the path is longer than one hop;
// everything else (announces, PLAIN and GROUP packets, unknown
// destinations) is broadcast on every outgoing interface, or only on
// attached when it is not nil. It reports whether any interface took the
// packet.
func (t *Transport) Send(raw []byte, attached *Iface) (bool, error) {
	var q sendQueue
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false, ErrClosed
	}
	sent := t.outboundLocked(raw, attached, &q)
	t.mu.Unlock()
	t.flush(&q)
	if !sent {
		return false, ErrNoRoute
	}
	return true, nil
}

// outboundLocked decides where raw goes and queues it.
func (t *Transport) outboundLocked(raw []byte, attached *Iface, q *sendQueue) bool {
	var p wire.Packet
	if raw == nil || p.Decode(raw) != nil {
		return false
	}
	now := t.now()
	if p.PacketType != wire.Announce && p.DestType != wire.Plain && p.DestType != wire.Group {
		if pe, ok := t.paths[p.Destination]; ok && pe.Interface != nil && t.hasIface(pe.Interface) {
			out := pe.Interface
			if (pe.Hops > 1 || pe.Hops == 1 && t.sharedLocked()) && p.HeaderType == wire.Header1 {
				fwd, err := wire.AppendInsertTransport(make([]byte, 0, len(raw)+wire.HashLen), raw, pe.NextHop)
				if err != nil {
					return false
				}
				q.add(out, fwd)
			} else {
				q.add(out, raw)
			}
			pe.Timestamp = now
			return true
		}
	}

	sent, stored := false, false
	for _, i := range t.ifaces {
		if !i.out || (attached != nil && i != attached) {
			continue
		}
		if p.PacketType == wire.Announce && attached == nil && !t.announceAllowedLocked(&p, i, raw, now) {
			continue
		}
		if !stored && p.Context != wire.ContextResource {
			// Resource parts bypass the filter; remembering them would
			// only cost a hash and push real entries out.
			h, _ := wire.PacketHash(raw)
			t.filter.Add(&h)
			stored = true
		}
		if p.PacketType == wire.Announce {
			i.announcesOut.Add(1)
		}
		q.add(i, raw)
		sent = true
	}
	return sent
}

// announceAllowedLocked applies the reference's announce propagation rules
// for interface modes, and the announce bandwidth cap with its queue, to an
// announce about to go out on i.
func (t *Transport) announceAllowedLocked(p *wire.Packet, i *Iface, raw []byte, now time.Time) bool {
	_, local := t.destinations[p.Destination]
	var from *Iface
	if pe, ok := t.paths[p.Destination]; ok {
		from = pe.Interface
	}
	switch {
	case !local && from == nil:
		return false
	case i.mode == iface.ModeAccessPoint:
		return false
	case i.mode == iface.ModeRoaming:
		if !local && (from.mode == iface.ModeRoaming || from.mode == iface.ModeBoundary) {
			return false
		}
		return true
	case i.mode == iface.ModeBoundary:
		if !local && from.mode == iface.ModeRoaming {
			return false
		}
		return true
	}
	if p.Hops == 0 {
		return true
	}
	// Rebroadcasts share at most i.cap of the interface's bitrate.
	if len(i.announceQueue) == 0 && now.After(i.announceAllowedAt) && i.bitrate > 0 {
		i.announceAllowedAt = now.Add(capWait(len(raw), i))
		return true
	}
	if len(i.announceQueue) >= MaxQueuedAnnounces {
		return false
	}
	emitted := announce.EmittedSeconds(p.Data[announce.PublicKeyLen+announce.NameHashLen:])
	for n := range i.announceQueue {
		e := &i.announceQueue[n]
		if e.destination == p.Destination {
			if emitted > e.emitted {
				e.time, e.hops, e.emitted = now, p.Hops, emitted
				e.raw = append(e.raw[:0], raw...)
			}
			return false
		}
	}
	i.announceQueue = append(i.announceQueue, queuedAnnounce{
		destination: p.Destination, time: now, hops: p.Hops, emitted: emitted,
		raw: append([]byte(nil), raw...),
	})
	return false
}

// capWait is how long an interface must wait after sending n bytes of
// announce so announces use at most its cap of the bitrate.
func capWait(n int, i *Iface) time.Duration {
	if i.bitrate <= 0 {
		return 0
	}
	txSeconds := float64(n*8) / float64(i.bitrate)
	return time.Duration(txSeconds / i.cap * float64(time.Second))
}

// announceQueuesLocked releases queued announces on capped interfaces when
// their turn has come: the lowest hop count first, oldest first among
// those (the reference's process_announce_queue). The reference releases
// each one by a timer the moment the cap allows it; jobs run only every
// JobInterval, so a round releases every announce whose turn came since
// the previous round (at most a second back), each one cap-wait after the
// other, and the interface keeps the same share of its bitrate.
func (t *Transport) announceQueuesLocked(now time.Time, q *sendQueue) {
	since := now.Add(-time.Second)
	if t.lastQueues.After(since) {
		since = t.lastQueues
	}
	t.lastQueues = now
	for _, i := range t.ifaces {
		if len(i.announceQueue) == 0 || now.Before(i.announceAllowedAt) {
			continue
		}
		kept := i.announceQueue[:0]
		for _, e := range i.announceQueue {
			if now.Sub(e.time) <= QueuedAnnounceLife {
				kept = append(kept, e)
			}
		}
		clear(i.announceQueue[len(kept):])
		i.announceQueue = kept
		at := i.announceAllowedAt
		if at.Before(since) {
			at = since
		}
		for len(i.announceQueue) > 0 && !now.Before(at) {
			kept := i.announceQueue
			best := 0
			for n, e := range kept {
				b := kept[best]
				if e.hops < b.hops || e.hops == b.hops && e.time.Before(b.time) {
					best = n
				}
			}
			sel := kept[best]
			i.announceQueue = append(kept[:best], kept[best+1:]...)
			kept[len(kept)-1] = queuedAnnounce{}
			at = at.Add(capWait(len(sel.raw), i))
			i.announcesOut.Add(1)
			q.add(i, sel.raw)
		}
		i.announceAllowedAt = at
	}
}
