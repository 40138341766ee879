package transport

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/rns/wire"
)

// Receipt timing (RNS.Reticulum.DEFAULT_PER_HOP_TIMEOUT,
// RNS.Packet.TIMEOUT_PER_HOP).
const (
	// DefaultPerHopTimeout is the first-hop timeout when the next hop's
	// speed is unknown.
	DefaultPerHopTimeout = 6 * time.Second
	// TimeoutPerHop is added to a receipt's timeout for every hop to the
	// destination.
	TimeoutPerHop = 6 * time.Second
	// CullTimeout as a receipt's timeout makes it conclude CULLED rather
	// than FAILED when it times out (the reference's -1, set on receipts
	// dropped to make room).
	CullTimeout time.Duration = -1
)

// ReceiptStatus is the state of a receipt (RNS.PacketReceipt's constants).
type ReceiptStatus uint8

const (
	ReceiptFailed    ReceiptStatus = 0x00
	ReceiptSent      ReceiptStatus = 0x01
	ReceiptDelivered ReceiptStatus = 0x02
	ReceiptCulled    ReceiptStatus = 0xFF
)

// ErrNoReceipt is returned by ExpectProof for a packet the reference
// never tracks (ReceiptEligible).
var ErrNoReceipt = errors.New("transport: packet gets no receipt")

// Receipt waits for the proof of a sent packet (RNS.PacketReceipt). It is
// SENT until a valid proof arrives (DELIVERED) or its timeout passes
// (FAILED, or CULLED with CullTimeout).
type Receipt struct {
	// Hash is the full hash of the packet.
	Hash   [wire.FullHashLen]byte
	prover *identity.Identity
	sentAt time.Time
	// timeout is a time.Duration, changed by SetTimeout.
	timeout  atomic.Int64
	status   atomic.Uint32
	done     chan struct{}
	callback func(proved bool)
}

// Done is closed when the receipt concludes.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Proved reports whether a valid proof arrived.
func (r *Receipt) Proved() bool { return r.Status() == ReceiptDelivered }

// Status returns the receipt's state.
func (r *Receipt) Status() ReceiptStatus { return ReceiptStatus(r.status.Load()) }

// Timeout returns how long after sending the receipt times out.
func (r *Receipt) Timeout() time.Duration { return time.Duration(r.timeout.Load()) }

// SetTimeout changes the receipt's timeout (RNS.PacketReceipt.set_timeout);
// CullTimeout makes it time out at once, as CULLED.
func (r *Receipt) SetTimeout(d time.Duration) { r.timeout.Store(int64(d)) }

// SentAt returns when the receipt was registered.
func (r *Receipt) SentAt() time.Time { return r.sentAt }

func (r *Receipt) timedOut(now time.Time) bool {
	d := r.Timeout()
	if d == CullTimeout {
		return true
	}
	return now.After(r.sentAt.Add(d))
}

// finish concludes r with st; the caller has taken r out of the table, so
// it runs once.
func (r *Receipt) finish(st ReceiptStatus) {
	r.status.Store(uint32(st))
	close(r.done)
	if r.callback != nil {
		r.callback(st == ReceiptDelivered)
	}
}

// expire concludes a timed-out receipt.
func (r *Receipt) expire() {
	if r.Timeout() == CullTimeout {
		r.finish(ReceiptCulled)
		return
	}
	r.finish(ReceiptFailed)
}

// ReceiptEligible reports whether the reference tracks a receipt for a
// packet with header h (Transport.outbound's generate_receipt): only DATA
// packets to destinations other than PLAIN, outside the link control
// (KEEPALIVE to LRPROOF) and resource (RESOURCE to RESOURCE_RCL) contexts.
func ReceiptEligible(h *wire.Header) bool {
	return h.PacketType == wire.Data && h.DestType != wire.Plain &&
		h.Context < wire.ContextKeepalive &&
		(h.Context < wire.ContextResource || h.Context > wire.ContextResourceRCL)
}

// FirstHopTimeout returns how long a packet to destination h may take
// over its first hop (Transport.first_hop_timeout): the time one MTU-sized
// packet takes at the next hop's bitrate plus DefaultPerHopTimeout, or
// DefaultPerHopTimeout alone without a path or a known bitrate.
func (t *Transport) FirstHopTimeout(h wire.Hash) time.Duration {
	t.mu.Lock()
	pe, ok := t.paths[h]
	t.mu.Unlock()
	if !ok || pe.Interface == nil {
		return DefaultPerHopTimeout
	}
	return FirstHopTimeoutAt(pe.Interface.Stats().Bitrate)
}

// FirstHopTimeoutAt is the first-hop timeout for a next hop of the given
// bitrate: one MTU-sized packet's time at that speed plus
// DefaultPerHopTimeout, or DefaultPerHopTimeout alone when the bitrate is
// not positive.
func FirstHopTimeoutAt(bitrate int64) time.Duration {
	if bitrate <= 0 {
		return DefaultPerHopTimeout
	}
	return DefaultPerHopTimeout + time.Duration(float64(wire.MTU*8)/float64(bitrate)*float64(time.Second))
}

// ReceiptTimeout returns the default timeout of a receipt for a packet to
// destination h (RNS.PacketReceipt): FirstHopTimeout plus TimeoutPerHop
// for every hop to it (wire.MaxHops without a path).
func (t *Transport) ReceiptTimeout(h wire.Hash) time.Duration {
	return t.FirstHopTimeout(h) + TimeoutPerHop*time.Duration(t.HopsTo(h))
}

// ExpectProof registers a receipt for a packet this node sends: when a
// proof for it, valid under prover's key, arrives before timeout, the
// receipt is DELIVERED. timeout 0 means ReceiptTimeout of the packet's
// destination. callback, if not nil, runs once with the outcome. A packet
// the reference gets no receipt for (ReceiptEligible) is refused with
// ErrNoReceipt. When MaxReceipts are outstanding, an old one is culled.
func (t *Transport) ExpectProof(raw []byte, prover *identity.Identity, timeout time.Duration, callback func(proved bool)) (*Receipt, error) {
	var hdr wire.Header
	if _, err := hdr.Decode(raw); err != nil {
		return nil, err
	}
	if !ReceiptEligible(&hdr) {
		return nil, ErrNoReceipt
	}
	h, err := wire.PacketHash(raw)
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		timeout = t.ReceiptTimeout(hdr.Destination)
	}
	r := &Receipt{Hash: h, prover: prover, sentAt: t.now(), done: make(chan struct{}), callback: callback}
	r.timeout.Store(int64(timeout))
	r.status.Store(uint32(ReceiptSent))
	var culled *Receipt
	t.mu.Lock()
	if len(t.receipts) >= MaxReceipts {
		for k, old := range t.receipts {
			culled = old
			delete(t.receipts, k)
			break
		}
	}
	t.receipts[wire.Hash(h[:wire.HashLen])] = r
	t.mu.Unlock()
	if culled != nil {
		culled.SetTimeout(CullTimeout)
		culled.expire()
	}
	return r, nil
}

// ValidateProof checks a proof payload against receipt r, as a PROOF
// packet for it is checked on arrival (RNS.PacketReceipt.validate_proof):
// an implicit (64-byte) or explicit (96-byte) proof valid under the
// destination's key concludes r DELIVERED. It returns proof.Validate's
// error for an invalid proof, and nil without effect for a receipt that
// has concluded already.
func (t *Transport) ValidateProof(r *Receipt, payload []byte) error {
	if err := proof.Validate(payload, r.Hash, r.prover); err != nil {
		return err
	}
	if t.takeReceipt(r) {
		r.finish(ReceiptDelivered)
	}
	return nil
}

// CheckReceipt concludes r if its timeout has passed at now, as the jobs
// do (RNS.PacketReceipt.check_timeout): CULLED if its timeout is
// CullTimeout, FAILED otherwise. It reports whether r timed out.
func (t *Transport) CheckReceipt(r *Receipt, now time.Time) bool {
	if !r.timedOut(now) || !t.takeReceipt(r) {
		return false
	}
	r.expire()
	return true
}

// takeReceipt removes r from the outstanding receipts; it reports false
// if r was not there (it has concluded).
func (t *Transport) takeReceipt(r *Receipt) bool {
	k := wire.Hash(r.Hash[:wire.HashLen])
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.receipts[k] != r {
		return false
	}
	delete(t.receipts, k)
	return true
}

// matchReceiptLocked checks a packet proof against the outstanding
// receipts: explicit proofs name their packet's full hash, implicit proofs
// are addressed to its truncated hash.
func (t *Transport) matchReceiptLocked(p *Packet) *Receipt {
	key := p.Destination
	if len(p.Data) == proof.ExplicitLen {
		copy(key[:], p.Data[:wire.HashLen])
	}
	r, ok := t.receipts[key]
	if !ok || proof.Validate(p.Data, r.Hash, r.prover) != nil {
		return nil
	}
	delete(t.receipts, key)
	return r
}
