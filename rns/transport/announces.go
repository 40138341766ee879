package transport

import (
	"bytes"
	"sort"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// randomBlob returns the 10-byte random part of an announce payload.
func randomBlob(data []byte) (b [10]byte) {
	copy(b[:], data[announce.PublicKeyLen+announce.NameHashLen:])
	return b
}

func blobEmitted(b [10]byte) int64 { return announce.EmittedSeconds(b[:]) }

func timebase(blobs [][10]byte) int64 {
	var m int64
	for _, b := range blobs {
		m = max(m, blobEmitted(b))
	}
	return m
}

func hasBlob(blobs [][10]byte, b [10]byte) bool {
	for _, x := range blobs {
		if x == b {
			return true
		}
	}
	return false
}

// announcedRatchet is a new ratchet a valid announce carried, persisted
// after the transport lock is released.
type announcedRatchet struct {
	ok   bool
	dest wire.Hash
	key  [announce.RatchetLen]byte
}

// inboundAnnounceLocked is the announce branch of the reference's inbound:
// validation, detection of neighbours' rebroadcasts, the path-table update
// rules, scheduling of our own rebroadcast, and immediate copies to local
// clients and to interfaces waiting on a discovery path request. It returns
// what announce handlers should hear, or nil, and the ratchet a valid
// announce carried, which the reference remembers whether or not the path
// table changes.
//
// When observers are registered, a copy that is valid, of another node's
// destination and within the hop limit is also described for them (cp).
func (t *Transport) inboundAnnounceLocked(p *Packet, raw []byte, q *sendQueue) (info *AnnounceInfo, rat announcedRatchet, cp *AnnounceCopy) {
	a, err := t.validateAnnounce(p)
	if err != nil {
		return nil, rat, cp
	}
	if len(t.blackholed) > 0 {
		// The reference invalidates announces of blackholed identities.
		if _, bad := t.blackholed[a.IdentityHash()]; bad {
			return nil, rat, cp
		}
	}
	in := p.Interface
	now := t.now()
	if in != nil {
		in.announcesIn.Add(1)
		in.ingress.announceArrived(now)
		// Announces of unknown destinations are held during a burst,
		// unless we asked for the path; known ones are governed by the
		// announce rate limits.
		if _, known := t.paths[p.Destination]; !known {
			_, requested := t.pathRequests[p.Destination]
			_, discovering := t.discoveryPRs[p.Destination]
			if !requested && !discovering && in.ingress.limit(now) {
				in.ingress.hold(p.Destination, raw, p.Hops)
				return nil, rat, cp
			}
		}
	}
	if _, local := t.destinations[p.Destination]; local {
		return nil, rat, cp
	}
	if !t.knownKeyMatchesLocked(p.Destination, a.PublicKey) {
		return nil, rat, cp
	}
	t.rememberLocked(p, &a, now)
	// As validate_announce does, the ratchet is known before the path
	// is; storing it waits until the lock is released.
	if a.Ratchet != nil && t.cfg.Ratchets.Note(p.Destination, a.Ratchet) {
		rat.ok, rat.dest = true, p.Destination
		copy(rat.key[:], a.Ratchet)
	}

	receivedFrom := p.Destination
	if p.HeaderType == wire.Header2 {
		receivedFrom = p.TransportID
		if ae, ok := t.announces[p.Destination]; ok && t.cfg.Enabled {
			if p.Hops-1 == ae.hops {
				ae.localRebroadcasts++
				if ae.retries > 0 && ae.localRebroadcasts >= LocalRebroadcastsMax {
					delete(t.announces, p.Destination)
				}
			}
			if ae, ok := t.announces[p.Destination]; ok && p.Hops-1 == ae.hops+1 && ae.retries > 0 && now.Before(ae.retransmitAt) {
				delete(t.announces, p.Destination)
			}
		}
	}

	if int(p.Hops) >= wire.MaxHops+1 {
		return nil, rat, cp
	}
	if len(t.observers) > 0 {
		cp = newCopy(p, &a, receivedFrom)
	}
	emitted := announce.EmittedSeconds(a.RandomHash)
	blob := randomBlob(p.Data)
	pe, known := t.paths[p.Destination]
	var blobs [][10]byte
	shouldAdd := false
	if !known {
		shouldAdd = true
	} else {
		blobs = pe.RandomBlobs
		if p.Hops <= pe.Hops {
			base := timebase(blobs)
			if !hasBlob(blobs, blob) && emitted > base {
				delete(t.unresponsive, p.Destination)
				shouldAdd = true
			}
			// The reference also lets an equal announce move to an
			// interface of higher "gravity"; interfaces here have none.
		} else {
			var pathEmitted int64
			for _, b := range blobs {
				pathEmitted = max(pathEmitted, blobEmitted(b))
				if pathEmitted >= emitted {
					break
				}
			}
			switch {
			case !now.Before(pe.Expires):
				shouldAdd = !hasBlob(blobs, blob)
			case emitted > pathEmitted:
				shouldAdd = !hasBlob(blobs, blob)
			case emitted == pathEmitted:
				shouldAdd = t.unresponsive[p.Destination]
			}
			if shouldAdd {
				delete(t.unresponsive, p.Destination)
			}
		}
	}
	if !shouldAdd {
		return nil, rat, cp
	}

	fromLocal := in != nil && in.local
	expires := now.Add(PathfinderE)
	if in != nil {
		switch in.mode {
		case iface.ModeAccessPoint:
			expires = now.Add(APPathTime)
		case iface.ModeRoaming:
			expires = now.Add(RoamingPathTime)
		}
	}
	if !hasBlob(blobs, blob) {
		blobs = append(blobs, blob)
		if len(blobs) > MaxRandomBlobs {
			blobs = blobs[len(blobs)-MaxRandomBlobs:]
		}
	}
	stored := append([]byte(nil), raw...)
	stored[1] = p.Hops

	rateBlocked := false
	if in != nil && in.rateTarget > 0 && p.Context != wire.ContextPathResponse {
		rateBlocked = t.announceRateLocked(p.Destination, in, now)
		if rateBlocked {
			t.logf("transport: announce rate of %x exceeded, not rebroadcast", p.Destination[:])
		}
	}
	if (t.cfg.Enabled || fromLocal) && p.Context != wire.ContextPathResponse && !rateBlocked {
		ae := &announceEntry{
			timestamp:    now,
			retransmitAt: now.Add(t.randDuration(PathfinderRW)),
			receivedFrom: receivedFrom,
			hops:         p.Hops,
			raw:          stored,
		}
		if fromLocal {
			// Announces from local clients go out at once, one time.
			ae.retransmitAt = now
			ae.retries = PathfinderR
		}
		t.announces[p.Destination] = ae
	} else if fromLocal && p.Context == wire.ContextPathResponse {
		if _, ok := t.pendingLocal[p.Destination]; ok {
			delete(t.pendingLocal, p.Destination)
			t.announces[p.Destination] = &announceEntry{
				timestamp: now, retransmitAt: now, retries: PathfinderR,
				receivedFrom: receivedFrom, hops: p.Hops, raw: stored,
			}
		}
	}

	// Local clients hear every new announce at once.
	for _, o := range t.ifaces {
		if o.local && o != in {
			t.outboundLocked(t.rebroadcast(stored, p.Hops, wire.ContextNone), o, q)
		}
	}
	// A discovery path request waiting for this destination is answered.
	if dpr, ok := t.discoveryPRs[p.Destination]; ok && dpr.requesting != nil {
		t.outboundLocked(t.rebroadcast(stored, p.Hops, wire.ContextPathResponse), dpr.requesting, q)
	}

	t.paths[p.Destination] = &PathEntry{
		Timestamp:   now,
		NextHop:     receivedFrom,
		Hops:        p.Hops,
		Expires:     expires,
		RandomBlobs: blobs,
		Interface:   in,
		PacketHash:  p.Hash,
		Announce:    stored,
	}
	delete(t.unresponsive, p.Destination)

	id, err := identity.FromPublicKey(a.PublicKey)
	if err != nil {
		return nil, rat, cp
	}
	info = &AnnounceInfo{
		Destination:  p.Destination,
		Identity:     id,
		AppData:      append([]byte(nil), a.AppData...),
		Hops:         p.Hops,
		PathResponse: p.Context == wire.ContextPathResponse,
		PacketHash:   p.Hash,
	}
	return info, rat, cp
}

// rebroadcast builds the HEADER_2 form this node transmits an announce in
// (raw as stored: HEADER_1 or HEADER_2 as received, hops updated).
func (t *Transport) rebroadcast(stored []byte, hops uint8, ctx wire.Context) []byte {
	var p wire.Packet
	if p.Decode(stored) != nil {
		return nil
	}
	return announce.AppendRebroadcast(make([]byte, 0, wire.HeaderMaxSize+len(p.Data)), &p, t.id, hops, ctx)
}

// knownKeyMatchesLocked reports whether pub may be announced for h: the
// reference refuses an announce whose key differs from the one it already
// knows for the destination.
func (t *Transport) knownKeyMatchesLocked(h wire.Hash, pub []byte) bool {
	k, ok := t.known[h]
	return !ok || bytes.Equal(k.PublicKey[:], pub)
}

// ValidateAnnounce checks a received announce packet the way the
// reference's Identity.validate_announce does, outside the path-table
// logic: the signature and destination hash must be valid, the identity
// must not be blackholed and the public key must match the one already
// known for the destination. A valid announce is remembered (app data,
// key, and the ratchet it carries); the result says whether it was valid.
func (t *Transport) ValidateAnnounce(raw []byte) bool {
	var p Packet
	if p.Decode(raw) != nil {
		return false
	}
	h, err := wire.PacketHash(raw)
	if err != nil {
		return false
	}
	p.Hash = h
	a, err := announce.Validate(&p.Packet)
	if err != nil {
		return false
	}
	t.mu.Lock()
	_, bad := t.blackholed[a.IdentityHash()]
	ok := !bad && t.knownKeyMatchesLocked(p.Destination, a.PublicKey)
	if ok {
		t.rememberLocked(&p, &a, t.now())
	}
	t.mu.Unlock()
	if ok && a.Ratchet != nil {
		if _, err := t.cfg.Ratchets.Remember(p.Destination, a.Ratchet); err != nil {
			t.logf("transport: ratchet of %x not persisted: %v", p.Destination[:], err)
		}
	}
	return ok
}

// rememberLocked records what a valid announce tells about a destination
// (Identity.remember in the reference).
func (t *Transport) rememberLocked(p *Packet, a *announce.Announce, now time.Time) {
	k := t.known[p.Destination]
	if k == nil {
		k = &Known{}
		t.known[p.Destination] = k
	}
	k.Seen = now
	k.PacketHash = p.Hash
	copy(k.PublicKey[:], a.PublicKey)
	switch {
	case len(a.AppData) > 0:
		k.AppData = append(k.AppData[:0], a.AppData...)
	case a.Ratchet != nil:
		// The reference's validate_announce keeps b"" (present, empty) for
		// an announce longer than a ratchetless one without app data.
		k.AppData = []byte{}
	default:
		k.AppData = nil
	}
}

// cloneAppData copies app data, keeping nil (none) apart from empty.
func cloneAppData(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// Recall returns the identity and app data last announced for a
// destination.
func (t *Transport) Recall(h wire.Hash) (*identity.Identity, []byte, bool) {
	t.mu.Lock()
	k, ok := t.known[h]
	var pub [identity.KeySize]byte
	var app []byte
	if ok {
		pub, app = k.PublicKey, cloneAppData(k.AppData)
	}
	t.mu.Unlock()
	if !ok {
		return nil, nil, false
	}
	id, err := identity.FromPublicKey(pub[:])
	return id, app, err == nil
}

// Remember records a destination's public key and app data, as when they
// are loaded from storage.
func (t *Transport) Remember(h wire.Hash, k Known) {
	t.mu.Lock()
	kk := k
	kk.AppData = cloneAppData(k.AppData)
	t.known[h] = &kk
	t.mu.Unlock()
}

// KnownDestinations returns a copy of the known-destination table.
func (t *Transport) KnownDestinations() map[wire.Hash]Known {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[wire.Hash]Known, len(t.known))
	for h, k := range t.known {
		kk := *k
		kk.AppData = cloneAppData(k.AppData)
		out[h] = kk
	}
	return out
}

// RegisterAnnounceHandler calls fn for every announce that updates the path
// table and, if aspects are given, whose destination has that name
// ("app.aspect1.aspect2"). Path responses reach fn only when
// pathResponses is set.
func (t *Transport) RegisterAnnounceHandler(name string, pathResponses bool, fn AnnounceHandler) {
	h := &announceHandler{pathResponses: pathResponses, fn: fn}
	if name != "" {
		nh := dest.HashName(name)
		h.nameHash = (*[10]byte)(&nh)
	}
	t.mu.Lock()
	t.handlers = append(t.handlers, h)
	t.mu.Unlock()
}

func (t *Transport) callAnnounceHandlers(a *AnnounceInfo) {
	t.mu.Lock()
	hs := append([]*announceHandler(nil), t.handlers...)
	t.mu.Unlock()
	ih := wire.Hash(a.Identity.Hash())
	for _, h := range hs {
		if a.PathResponse && !h.pathResponses {
			continue
		}
		if h.nameHash != nil && dest.HashFrom(dest.NameHash(*h.nameHash), &ih) != a.Destination {
			continue
		}
		t.callAnnounceHandler(h, a)
	}
}

// callAnnounceHandler runs one handler; a handler that panics is logged
// and does not keep the others from hearing the announce, as the
// reference isolates handler exceptions.
func (t *Transport) callAnnounceHandler(h *announceHandler, a *AnnounceInfo) {
	defer func() {
		if v := recover(); v != nil {
			t.logf("transport: announce handler panicked: %v", v)
		}
	}()
	h.fn(*a)
}

// announceJobsLocked retransmits pending announces whose time has come
// (the announce_table part of the reference's jobs).
func (t *Transport) announceJobsLocked(now time.Time, q *sendQueue) {
	// Due announces go out in ascending hop order (the reference sorts
	// its outgoing list), so that capped interfaces spend their
	// bandwidth on the nearest destinations first.
	type due struct {
		raw      []byte
		hops     uint8
		attached *Iface
	}
	var out []due
	for h, ae := range t.announces {
		switch {
		case ae.retries > 0 && ae.retries >= LocalRebroadcastsMax:
			delete(t.announces, h)
		case ae.retries > PathfinderR:
			delete(t.announces, h)
		case now.After(ae.retransmitAt) || now.Equal(ae.retransmitAt):
			ae.retransmitAt = now.Add(PathfinderG + PathfinderRW)
			ae.retries++
			ctx := wire.ContextNone
			if ae.blockRebroadcasts {
				ctx = wire.ContextPathResponse
			}
			out = append(out, due{t.rebroadcast(ae.raw, ae.hops, ctx), ae.hops, ae.attached})
			if held, ok := t.held[h]; ok {
				delete(t.held, h)
				t.announces[h] = held
			}
		}
	}
	// Ties go by content, not by map order, so a node fed the same
	// packets on the same clock decides the same way (simulations are
	// deterministic for a seed).
	sort.Slice(out, func(a, b int) bool {
		if out[a].hops != out[b].hops {
			return out[a].hops < out[b].hops
		}
		return bytes.Compare(out[a].raw, out[b].raw) < 0
	})
	for _, d := range out {
		t.outboundLocked(d.raw, d.attached, q)
	}
}

// Ratchets returns the table of ratchets heard in announces.
func (t *Transport) Ratchets() *identity.KnownRatchets { return t.cfg.Ratchets }

// ReplaceKnown replaces the whole known-destination table, as loading it
// from storage does; nil empties it.
func (t *Transport) ReplaceKnown(known map[wire.Hash]Known) {
	m := make(map[wire.Hash]*Known, len(known))
	for h, k := range known {
		kk := k
		kk.AppData = cloneAppData(k.AppData)
		m[h] = &kk
	}
	t.mu.Lock()
	t.known = m
	t.mu.Unlock()
}

// Registered returns the local destination registered under h.
func (t *Transport) Registered(h wire.Hash) (Destination, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, ok := t.destinations[h]
	return d, ok
}
