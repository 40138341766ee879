package transport

import (
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// pathRequestDest is the control destination rnstransport.path.request,
// registered in every Transport.
type pathRequestDest struct{ t *Transport }

func (d pathRequestDest) Hash() wire.Hash     { return wire.PathRequestDestination }
func (d pathRequestDest) Type() wire.DestType { return wire.Plain }
func (d pathRequestDest) Receive(p *Packet)   { d.t.handlePathRequest(p) }

// RequestPath asks the network for a path to h, on every interface, or
// only on the given one.
func (t *Transport) RequestPath(h wire.Hash, on *Iface) error {
	tag := t.randomHash()
	var q sendQueue
	t.mu.Lock()
	ok := t.requestPathLocked(h, on, tag[:], &q)
	t.mu.Unlock()
	t.flush(&q)
	if !ok {
		return ErrNoRoute
	}
	return nil
}

func (t *Transport) requestPathLocked(h wire.Hash, on *Iface, tag []byte, q *sendQueue) bool {
	req := wire.PathRequest{Target: h, Tag: tag}
	if t.cfg.Enabled {
		req.TransportID, req.HasTransportID = t.id, true
	}
	hdr := wire.Header{DestType: wire.Plain, Destination: wire.PathRequestDestination}
	raw := req.Append(hdr.Append(make([]byte, 0, wire.HeaderMinSize+2*wire.HashLen+len(tag))))
	t.pathRequests[h] = t.now()
	return t.outboundLocked(raw, on, q)
}

// handlePathRequest is the reference's path_request_handler followed by
// path_request.
func (t *Transport) handlePathRequest(p *Packet) {
	var req wire.PathRequest
	if req.Decode(p.Data) != nil {
		return
	}
	var unique [2 * wire.HashLen]byte
	copy(unique[:], req.Target[:])
	copy(unique[wire.HashLen:], req.Tag)

	in := p.Interface
	fromLocal := in != nil && in.local
	var q sendQueue
	var responder PathResponder

	t.mu.Lock()
	if _, seen := t.prTags[unique]; seen {
		t.mu.Unlock()
		return
	}
	t.prTags[unique] = struct{}{}
	t.prTagOrder = append(t.prTagOrder, unique)
	if len(t.prTagOrder) > MaxPathRequestTags {
		for _, old := range t.prTagOrder[:len(t.prTagOrder)-MaxPathRequestTags] {
			delete(t.prTags, old)
		}
		t.prTagOrder = append(t.prTagOrder[:0:0], t.prTagOrder[len(t.prTagOrder)-MaxPathRequestTags:]...)
	}

	searchUnknown := false
	var searchModes []iface.Mode
	if in != nil && t.cfg.Enabled {
		switch in.mode {
		case iface.ModeAccessPoint, iface.ModeGateway, iface.ModeRoaming:
			searchUnknown = true
		case iface.ModeBoundary:
			searchUnknown = true
			searchModes = []iface.Mode{iface.ModeBoundary, iface.ModeGateway}
		}
	}
	hasLocalClients := false
	for _, o := range t.ifaces {
		if o.local {
			hasLocalClients = true
		}
	}
	h := req.Target
	if pe, ok := t.paths[h]; ok && hasLocalClients && pe.Interface != nil && pe.Interface.local {
		t.pendingLocal[h] = in
	}
	now := t.now()

	if d, ok := t.destinations[h]; ok {
		responder, _ = d.(PathResponder)
	} else if pe, ok := t.paths[h]; ok && (t.cfg.Enabled || fromLocal) && pe.Announce != nil {
		switch {
		case in != nil && in.mode == iface.ModeRoaming && in == pe.Interface:
			// Answering would point the requester back at itself.
		case req.HasTransportID && req.TransportID == pe.NextHop:
			// The requester is our next hop: it knows better.
		default:
			at := now
			if !fromLocal && (pe.Interface == nil || !pe.Interface.local) {
				at = now.Add(PathRequestGrace)
				if in != nil && in.mode == iface.ModeRoaming {
					at = at.Add(PathRequestRG)
				}
			}
			if held, ok := t.announces[h]; ok {
				t.held[h] = held
			}
			t.announces[h] = &announceEntry{
				timestamp: now, retransmitAt: at, retries: PathfinderR,
				receivedFrom: pe.NextHop, hops: pe.Hops, raw: pe.Announce,
				blockRebroadcasts: true, attached: in,
			}
		}
	} else if fromLocal {
		tag := t.randomHash()
		for _, o := range t.ifaces {
			if o != in {
				t.requestPathLocked(h, o, tag[:], &q)
			}
		}
	} else if searchUnknown {
		if _, ok := t.discoveryPRs[h]; !ok {
			t.discoveryPRs[h] = discoveryPR{timeout: now.Add(PathRequestTimeout), requesting: in}
			for _, o := range t.ifaces {
				if o == in || (searchModes != nil && !modeIn(o.mode, searchModes)) {
					continue
				}
				t.requestPathLocked(h, o, req.Tag, &q)
			}
		}
	} else if !fromLocal && hasLocalClients {
		tag := t.randomHash()
		for _, o := range t.ifaces {
			if o.local {
				t.requestPathLocked(h, o, tag[:], &q)
			}
		}
	}
	t.mu.Unlock()
	t.flush(&q)

	if responder != nil {
		raw, err := responder.PathResponse(req.Tag)
		if err == nil && raw != nil {
			_, _ = t.Send(raw, in)
		}
	}
}

func modeIn(m iface.Mode, ms []iface.Mode) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// HasPath reports whether a path to h is known.
func (t *Transport) HasPath(h wire.Hash) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.paths[h]
	return ok
}

// Path returns a copy of the path-table entry for h.
func (t *Transport) Path(h wire.Hash) (PathEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pe, ok := t.paths[h]
	if !ok {
		return PathEntry{}, false
	}
	return *pe, true
}

// PathCount returns the number of path-table entries.
func (t *Transport) PathCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.paths)
}

// Paths returns a copy of the path table.
func (t *Transport) Paths() map[wire.Hash]PathEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[wire.Hash]PathEntry, len(t.paths))
	for h, pe := range t.paths {
		out[h] = *pe
	}
	return out
}

// SetPath installs a path-table entry, as when the table is loaded from
// storage.
func (t *Transport) SetPath(h wire.Hash, pe PathEntry) {
	t.mu.Lock()
	e := pe
	t.paths[h] = &e
	t.mu.Unlock()
}

// HopsTo returns the hop count to h, or wire.MaxHops when no path is
// known (RNS.Transport.hops_to).
func (t *Transport) HopsTo(h wire.Hash) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if pe, ok := t.paths[h]; ok {
		return int(pe.Hops)
	}
	return wire.MaxHops
}

// ExpirePath forgets the path to h.
func (t *Transport) ExpirePath(h wire.Hash) {
	t.mu.Lock()
	delete(t.paths, h)
	t.mu.Unlock()
}

// MarkUnresponsive marks the path to h as failed, so an equal announce may
// replace it.
func (t *Transport) MarkUnresponsive(h wire.Hash) {
	t.mu.Lock()
	t.unresponsive[h] = true
	t.mu.Unlock()
}

// DropAllVia forgets every path whose next hop is transportID and returns
// how many were dropped (rnpath -x).
func (t *Transport) DropAllVia(transportID wire.Hash) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for h, pe := range t.paths {
		if pe.NextHop == transportID {
			delete(t.paths, h)
			n++
		}
	}
	return n
}

// DropAnnounceQueues empties every interface's announce queue.
func (t *Transport) DropAnnounceQueues() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, i := range t.ifaces {
		n += len(i.announceQueue)
		i.announceQueue = nil
	}
	return n
}

// LinkCount returns the number of links this node relays.
func (t *Transport) LinkCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.links)
}

// NextHopMTU returns the hardware MTU of the interface the path to h
// leaves on, when that interface autoconfigures its MTU, as the
// reference's next_hop_interface_hw_mtu; links signal it in their
// requests. ok is false when there is no path or the interface has a
// fixed 500-byte medium.
func (t *Transport) NextHopMTU(h wire.Hash) (mtu int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pe, found := t.paths[h]
	if !found || pe.Interface == nil || !pe.Interface.autoMTU {
		return 0, false
	}
	return pe.Interface.mtu, true
}
