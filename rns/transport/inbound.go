package transport

import (
	"crypto/ed25519"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/wire"
)

// delivery is a packet for a local destination, handed over after the
// lock is released.
type delivery struct {
	dest Destination
}

// Inbound processes one received packet (raw, without IFAC) from
// interface in. Receive routines call it; tests and the shared-instance
// client may call it directly. raw may be rewritten in place when the
// packet is forwarded; it is not kept after Inbound returns.
func (t *Transport) Inbound(raw []byte, in *Iface) {
	pp := packetPool.Get().(*Packet)
	defer func() {
		*pp = Packet{}
		packetPool.Put(pp)
	}()
	t.inbound(raw, in, pp)
}

// TunnelSynthesizeDestination is the hash of the PLAIN destination
// "rnstransport.tunnel.synthesize" that the reference's tunnel handshakes
// are sent to. Like the path-request destination it is a control
// destination: broadcasts to it are never repeated between local clients
// and the network.
var TunnelSynthesizeDestination = wire.Hash{
	0x91, 0xbf, 0x09, 0x10, 0x26, 0x7b, 0x59, 0xb0,
	0xe8, 0x64, 0xe0, 0xd4, 0xc9, 0x16, 0x02, 0xca,
}

// isControlHash reports whether h is one of the reference's control
// destinations (Transport.control_hashes).
func isControlHash(h wire.Hash) bool {
	return h == wire.PathRequestDestination || h == TunnelSynthesizeDestination
}

// packetPool recycles the Packet handed to destinations: passing it
// through the Destination interface makes it escape, and pooling keeps
// forwarding allocation-free.
var packetPool = sync.Pool{New: func() any { return new(Packet) }}

func (t *Transport) inbound(raw []byte, in *Iface, pp *Packet) {
	p := pp
	if err := p.Decode(raw); err != nil {
		if in != nil {
			in.dropped.Add(1)
		}
		return
	}
	if p.Context != wire.ContextResource {
		// Resource parts pass the packet filter unconditionally and are
		// never proved one by one, so their hash is never looked at:
		// skipping it saves a SHA-256 pass over all bulk data at every
		// node on the path.
		p.Hash, _ = wire.PacketHash(raw)
	}
	p.Interface = in
	p.Hops++
	if in != nil && (in.local || in.shared) {
		// Packets between a shared instance and the programs attached to
		// it have not crossed a network hop.
		p.Hops--
	}

	var q sendQueue
	var d delivery
	var ann *AnnounceInfo
	var rat announcedRatchet
	var proved *Receipt
	var cp *AnnounceCopy // only when announce observers are registered

	t.mu.Lock()
	if t.closed || !t.filterLocked(p) {
		t.mu.Unlock()
		return
	}
	remember := true
	if _, ok := t.links[p.Destination]; ok {
		remember = false
	}
	if p.PacketType == wire.Proof && p.Context == wire.ContextLRProof || p.Context == wire.ContextResource {
		remember = false
	}
	if t.sharedLocked() {
		remember = false // the shared instance filters for us
	}
	if remember {
		t.filter.Add(&p.Hash)
	}

	fromLocal := in != nil && in.local
	forLocal := false
	if p.PacketType != wire.Announce {
		if pe, ok := t.paths[p.Destination]; ok && pe.Hops == 0 {
			forLocal = true
		}
	}
	var localNH, localRH bool
	if le, ok := t.links[p.Destination]; ok && p.PacketType != wire.Announce {
		localNH = le.nextIface != nil && le.nextIface.local
		localRH = le.received != nil && le.received.local
	}
	proofForLocal := false
	if re, ok := t.reverse[p.Destination]; ok && re.received != nil && re.received.local {
		proofForLocal = true
	}
	forLocalLink := localNH || localRH
	linkRequestHandled := false
	rewritten := false

	// Plain broadcasts between local clients and the network are
	// repeated directly; they never enter transport.
	if p.DestType == wire.Plain && p.Propagation == wire.Broadcast && !isControlHash(p.Destination) {
		if fromLocal {
			for _, o := range t.ifaces {
				if o != in && o.out {
					q.add(o, raw)
				}
			}
		} else {
			for _, o := range t.ifaces {
				if o.local {
					q.add(o, raw)
				}
			}
		}
	}

	if t.cfg.Enabled || fromLocal || forLocal || forLocalLink {
		tid, hasTID := p.TransportID, p.HeaderType == wire.Header2
		if !hasTID && forLocal {
			tid, hasTID = t.id, true
		}
		if hasTID && p.PacketType != wire.Announce && tid == t.id {
			if pe, ok := t.paths[p.Destination]; ok {
				out := t.forwardLocked(raw, p, pe, in, &q)
				rewritten = out != nil
				if p.PacketType == wire.LinkRequest && out != nil {
					linkRequestHandled = true
				}
				pe.Timestamp = t.now()
			}
		}

		// Link transport: relay packets of links in our link table.
		if p.PacketType != wire.Announce && p.PacketType != wire.LinkRequest && p.Context != wire.ContextLRProof {
			if le, ok := t.links[p.Destination]; ok {
				var out *Iface
				if le.nextIface == le.received {
					if p.Hops == le.remaining || p.Hops == le.taken {
						out = le.nextIface
					}
				} else if in == le.nextIface {
					if p.Hops == le.remaining {
						out = le.received
					}
				} else if in == le.received {
					if p.Hops == le.taken {
						out = le.nextIface
					}
				}
				if out != nil {
					if p.Context != wire.ContextResource {
						t.filter.Add(&p.Hash)
					}
					fwd := raw
					if rewritten {
						fwd = append([]byte(nil), raw...)
					}
					fwd[1] = p.Hops
					q.add(out, fwd)
					le.timestamp = t.now()
				}
			}
		}
	}

	switch p.PacketType {
	case wire.Announce:
		ann, rat, cp = t.inboundAnnounceLocked(p, raw, &q)
	case wire.LinkRequest:
		if !linkRequestHandled && (p.HeaderType == wire.Header1 || p.TransportID == t.id) {
			if dst, ok := t.destinations[p.Destination]; ok && dst.Type() == p.DestType {
				t.clampLinkRequestForLocal(p, in)
				d.dest = dst
			}
		}
	case wire.Data:
		if dst, ok := t.destinations[p.Destination]; ok && dst.Type() == p.DestType {
			d.dest = dst
		}
	case wire.Proof:
		d.dest, proved = t.inboundProofLocked(p, raw, in, fromLocal, forLocalLink, proofForLocal, &q)
	}
	t.mu.Unlock()

	t.flush(&q)
	if d.dest != nil {
		d.dest.Receive(p)
	}
	if rat.ok {
		t.persistRatchet(rat)
	}
	if cp != nil {
		t.callObservers(cp)
	}
	if ann != nil {
		t.callAnnounceHandlers(ann)
	}
	if proved != nil {
		proved.finish(ReceiptDelivered)
	}
}

// filterLocked is the reference's packet_filter.
func (t *Transport) filterLocked(p *Packet) bool {
	if t.sharedLocked() {
		return true
	}
	if p.HeaderType == wire.Header2 && p.PacketType != wire.Announce && p.TransportID != t.id {
		return false
	}
	switch p.Context {
	case wire.ContextKeepalive, wire.ContextResourceReq, wire.ContextResourcePRF,
		wire.ContextResource, wire.ContextCacheRequest, wire.ContextChannel:
		return true
	}
	if p.DestType == wire.Plain || p.DestType == wire.Group {
		if p.PacketType == wire.Announce {
			return false
		}
		return p.Hops <= 1
	}
	if !t.filter.Contains(&p.Hash) {
		return true
	}
	return p.PacketType == wire.Announce && p.DestType == wire.Single
}

// forwardLocked forwards a packet addressed to this transport node along
// its path, rewriting raw in place. It returns the interface it was queued
// on, or nil.
func (t *Transport) forwardLocked(raw []byte, p *Packet, pe *PathEntry, in *Iface, q *sendQueue) *Iface {
	out := pe.Interface
	if out == nil || !t.hasIface(out) {
		return nil
	}
	if p.HeaderType == wire.Header1 && pe.Hops > 0 {
		// Only packets for local clients arrive here without a transport
		// header, and their paths have zero hops.
		return nil
	}
	var fwd []byte
	switch {
	case pe.Hops > 1:
		// Next transport hop: new transport ID, same header form.
		raw[1] = p.Hops
		copy(raw[2:2+wire.HashLen], pe.NextHop[:])
		fwd = raw
	case pe.Hops == 1:
		// Last hop: strip the transport header; the two header bytes move
		// 16 bytes on, so the payload is not copied.
		raw[wire.HashLen] = raw[0] & 0x0F
		raw[wire.HashLen+1] = p.Hops
		fwd = raw[wire.HashLen:]
	default:
		// The destination is a local client of this shared instance.
		raw[1] = p.Hops
		fwd = raw
	}

	now := t.now()
	if p.PacketType == wire.LinkRequest {
		fwd = t.clampLinkRequestForward(fwd, p, in, out)
		linkID, err := wire.LinkID(fwd)
		if err != nil {
			return nil
		}
		t.links[linkID] = &linkEntry{
			timestamp:    now,
			nextHop:      pe.NextHop,
			nextIface:    out,
			remaining:    pe.Hops,
			received:     in,
			taken:        p.Hops,
			destination:  p.Destination,
			proofTimeout: now.Add(LinkEstablishmentPerHop * max(1, time.Duration(pe.Hops))),
		}
	} else {
		th := wire.Hash(p.Hash[:wire.HashLen])
		t.reverse[th] = reverseEntry{received: in, outbound: out, timestamp: now}
	}
	q.add(out, fwd)
	return out
}

// clampLinkRequestForward applies the reference's MTU rules to a link
// request forwarded from in to out: signalling is removed when the next
// hop cannot carry larger MTUs, and clamped to the smaller of the two
// interfaces' MTUs otherwise.
func (t *Transport) clampLinkRequestForward(fwd []byte, p *Packet, in, out *Iface) []byte {
	sig := wire.LinkRequestSignalling(p.Data)
	if sig == nil {
		return fwd
	}
	mtu, mode, _ := wire.Signalling(sig)
	if !out.autoMTU {
		return fwd[:len(fwd)-wire.SignallingLen]
	}
	limit := out.mtu
	if in != nil && in.mtu < limit {
		limit = in.mtu
	}
	if limit < mtu {
		wire.AppendSignalling(fwd[:len(fwd)-wire.SignallingLen], limit, mode)
	}
	return fwd
}

// clampLinkRequestForLocal applies the reference's MTU rule for a link
// request delivered to a local destination: the granted MTU is at most the
// receiving interface's MTU, or 500 on interfaces that do not
// autoconfigure their MTU.
func (t *Transport) clampLinkRequestForLocal(p *Packet, in *Iface) {
	sig := wire.LinkRequestSignalling(p.Data)
	if sig == nil || in == nil {
		return
	}
	mtu, mode, _ := wire.Signalling(sig)
	limit := wire.MTU
	if in.autoMTU {
		limit = in.mtu
	}
	if limit < mtu {
		wire.AppendSignalling(sig[:0], limit, mode)
	}
}

// inboundProofLocked handles PROOF packets: link request proofs relayed
// through the link table or delivered to a pending local link, resource
// proofs for local links, and packet proofs routed back along the reverse
// table or matched against local receipts. It returns a local destination
// (a link) to deliver the packet to, if any.
func (t *Transport) inboundProofLocked(p *Packet, raw []byte, in *Iface, fromLocal, forLocalLink, proofForLocal bool, q *sendQueue) (Destination, *Receipt) {
	switch p.Context {
	case wire.ContextLRProof:
		if le, ok := t.links[p.Destination]; ok && (t.cfg.Enabled || forLocalLink || fromLocal) {
			if p.Hops == le.remaining && in == le.nextIface && t.validLinkProofLocked(p, le.destination) {
				raw[1] = p.Hops
				le.validated = true
				q.add(le.received, raw)
			}
			return nil, nil
		}
		if dst, ok := t.destinations[p.Destination]; ok && dst.Type() == wire.Link {
			t.filter.Add(&p.Hash)
			return dst, nil
		}
	case wire.ContextResourcePRF:
		if dst, ok := t.destinations[p.Destination]; ok && dst.Type() == wire.Link {
			return dst, nil
		}
	default:
		if re, ok := t.reverse[p.Destination]; ok && (t.cfg.Enabled || fromLocal || proofForLocal) {
			delete(t.reverse, p.Destination)
			if in == re.outbound {
				raw[1] = p.Hops
				q.add(re.received, raw)
			}
		}
		if p.DestType == wire.Link {
			if dst, ok := t.destinations[p.Destination]; ok && dst.Type() == wire.Link {
				return dst, nil
			}
		}
		return nil, t.matchReceiptLocked(p)
	}
	return nil, nil
}

// validLinkProofLocked checks a link request proof against the public key
// of the link's destination, learned from its announce.
func (t *Transport) validLinkProofLocked(p *Packet, destination wire.Hash) bool {
	if len(p.Data) != wire.LinkProofLen && len(p.Data) != wire.LinkProofLen+wire.SignallingLen {
		return false
	}
	k, ok := t.known[destination]
	if !ok {
		return false
	}
	var signed [wire.HashLen + 32 + 32 + wire.SignallingLen]byte
	n := copy(signed[:], p.Destination[:])
	n += copy(signed[n:], p.Data[64:96])
	n += copy(signed[n:], k.PublicKey[32:])
	n += copy(signed[n:], wire.LinkProofSignalling(p.Data))
	return ed25519.Verify(k.PublicKey[32:], signed[:n], p.Data[:64])
}

// persistRatchet stores an announced ratchet. It takes the ratchet by
// value so that only this call, not every inbound packet, moves it to
// the heap.
func (t *Transport) persistRatchet(rat announcedRatchet) {
	key := rat.key
	if err := t.cfg.Ratchets.Persist(rat.dest, key[:]); err != nil {
		t.logf("transport: ratchet of %x not persisted: %v", rat.dest[:], err)
	}
}
