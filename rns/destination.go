package rns

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Directions of a destination.
const (
	In  = dest.In
	Out = dest.Out
)

// ProofStrategy says which received packets a destination proves.
type ProofStrategy uint8

// Proof strategies, with the reference's values (RNS.Destination.PROVE_NONE,
// PROVE_APP, PROVE_ALL: 0x21, 0x22, 0x23), so that a value read from or
// handed to Reticulum tooling means the same thing here.
const (
	ProveNone ProofStrategy = 0x21
	ProveApp  ProofStrategy = 0x22
	ProveAll  ProofStrategy = 0x23
)

// ErrProofStrategy reports a value that is none of the proof strategies.
var ErrProofStrategy = errors.New("rns: unsupported proof strategy")

// Valid reports whether s is one of ProveNone, ProveApp and ProveAll.
func (s ProofStrategy) Valid() bool { return s >= ProveNone && s <= ProveAll }

// ErrNotInbound is returned for operations only inbound destinations have.
var ErrNotInbound = errors.New("rns: only an inbound SINGLE destination can do this")

// Destination is an endpoint of this node: inbound destinations receive
// packets and announce themselves; outbound ones are addressed.
type Destination struct {
	*dest.Destination
	node *Node

	mu            sync.Mutex
	onPacket      func(data []byte, p *transport.Packet)
	proveApp      func(p *transport.Packet) bool
	proofStrategy ProofStrategy
	defaultApp    []byte
	defaultAppFn  func() []byte
	pathResponses map[string]pathResponse // by request tag
	onLinkRequest func(p *transport.Packet)
}

// NewDestination creates a destination; inbound ones are registered with
// the node's transport.
func (n *Node) NewDestination(id *identity.Identity, dir dest.Direction, typ wire.DestType, app string, aspects ...string) (*Destination, error) {
	d, err := dest.New(id, dir, typ, nil, app, aspects...)
	if err != nil {
		return nil, err
	}
	nd := &Destination{Destination: d, node: n, proofStrategy: ProveNone}
	if dir == In {
		if err := n.t.Register(nd); err != nil {
			return nil, err
		}
		// Attached to a shared instance, tell it about the destination, as
		// the reference does a quarter second after registering.
		if typ == wire.Single && n.t.SharedInstanceClient() {
			time.AfterFunc(250*time.Millisecond, func() {
				if raw, err := nd.announcePacket(nil, true); err == nil {
					n.t.Send(raw, nil)
				}
			})
		}
	}
	return nd, nil
}

// Hash implements transport.Destination.
func (d *Destination) Hash() wire.Hash { return d.Destination.Hash }

// Type implements transport.Destination.
func (d *Destination) Type() wire.DestType { return d.Destination.Type }

// SetPacketCallback sets the function that receives decrypted DATA.
func (d *Destination) SetPacketCallback(fn func(data []byte, p *transport.Packet)) {
	d.mu.Lock()
	d.onPacket = fn
	d.mu.Unlock()
}

// SetProofStrategy sets which packets are proved; with ProveApp, fn
// decides per packet.
//
// It returns ErrProofStrategy, and changes nothing, for any other value.
func (d *Destination) SetProofStrategy(s ProofStrategy) error {
	if !s.Valid() {
		return fmt.Errorf("%w: 0x%02x", ErrProofStrategy, uint8(s))
	}
	d.mu.Lock()
	d.proofStrategy = s
	d.mu.Unlock()
	return nil
}

// ProofStrategy returns the destination's proof strategy (ProveNone
// until set).
func (d *Destination) ProofStrategy() ProofStrategy {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proofStrategy
}

// SetProofRequestedCallback sets the ProveApp decision function.
func (d *Destination) SetProofRequestedCallback(fn func(p *transport.Packet) bool) {
	d.mu.Lock()
	d.proveApp = fn
	d.mu.Unlock()
}

// SetDefaultAppData sets the app data announces carry when none is given.
func (d *Destination) SetDefaultAppData(b []byte) {
	d.mu.Lock()
	d.defaultApp = append([]byte{}, b...)
	d.defaultAppFn = nil
	d.mu.Unlock()
}

// SetDefaultAppDataFunc makes announces that are given no app data carry
// what fn returns at the time (the reference's callable default_app_data).
func (d *Destination) SetDefaultAppDataFunc(fn func() []byte) {
	d.mu.Lock()
	d.defaultApp, d.defaultAppFn = nil, fn
	d.mu.Unlock()
}

// HasDefaultAppData reports whether a default was set with
// SetDefaultAppData or SetDefaultAppDataFunc.
func (d *Destination) HasDefaultAppData() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.defaultApp != nil || d.defaultAppFn != nil
}

// AnnouncePacket builds an announce of this destination without sending
// it: appData, or the default app data when appData is nil.
func (d *Destination) AnnouncePacket(appData []byte) ([]byte, error) {
	return d.announcePacket(appData, false)
}

// SetLinkRequestHandler sets the function that receives the LINKREQUEST
// packets addressed to this destination, typically a link.Listener's
// HandleRequest, so that one registered destination both receives packets
// and accepts links. Without one, link requests are dropped.
func (d *Destination) SetLinkRequestHandler(fn func(p *transport.Packet)) {
	d.mu.Lock()
	d.onLinkRequest = fn
	d.mu.Unlock()
}

// Receive implements transport.Destination.
func (d *Destination) Receive(p *transport.Packet) {
	if p.PacketType == wire.LinkRequest {
		d.mu.Lock()
		fn := d.onLinkRequest
		d.mu.Unlock()
		if fn != nil {
			fn(p)
		}
		return
	}
	if p.PacketType != wire.Data {
		return
	}
	pt, err := d.DecryptPayload(p.Data)
	if err != nil {
		return
	}
	d.mu.Lock()
	cb, strategy, app := d.onPacket, d.proofStrategy, d.proveApp
	d.mu.Unlock()
	if cb != nil {
		cb(pt, p)
	}
	if d.Identity == nil || !d.Identity.HasPrivateKey() {
		return
	}
	if strategy == ProveAll || (strategy == ProveApp && app != nil && app(p)) {
		_ = d.node.t.Prove(p, d.Identity)
	}
}

// announcePacket builds an announce of this destination.
func (d *Destination) announcePacket(appData []byte, pathResponse bool) ([]byte, error) {
	if d.Direction != In || d.Destination.Type != wire.Single || d.Identity == nil {
		return nil, ErrNotInbound
	}
	if appData == nil {
		d.mu.Lock()
		var fn func() []byte
		appData, fn = d.defaultApp, d.defaultAppFn
		d.mu.Unlock()
		if fn != nil {
			appData = fn()
		}
	}
	var random [16]byte
	if _, err := io.ReadFull(d.node.random(), random[:]); err != nil {
		return nil, err
	}
	now := d.node.now()
	var ratchet []byte
	if d.RatchetsEnabled() {
		// As the reference's announce: rotate when due, carry the newest
		// ratchet and remember it as this destination's own.
		if _, err := d.RotateRatchets(nil, now); err != nil {
			return nil, err
		}
		if pub, ok := d.CurrentRatchet(); ok {
			ratchet = pub[:]
			if _, err := d.node.t.Ratchets().Remember(d.Destination.Hash, ratchet); err != nil {
				d.node.logf("rns: ratchet of %s not persisted: %v", d.Destination, err)
			}
		}
	}
	return announce.Append(nil, &announce.Params{
		Destination:  d.Destination,
		AppData:      appData,
		Ratchet:      ratchet,
		RandomHash:   announce.RandomHash(random[:], now),
		PathResponse: pathResponse,
	})
}

// EnableRatchets turns ratchets on, kept in the reference's signed ratchet
// file at path (Destination.enable_ratchets; see
// dest.Destination.EnableRatchets). Announces then carry the newest
// ratchet.
func (d *Destination) EnableRatchets(path string) error {
	if path == "" {
		return fmt.Errorf("rns: no ratchet file path for %s", d.Destination)
	}
	return d.Destination.EnableRatchets(storage.RatchetFile(path))
}

// EncryptPayload encrypts plaintext for this destination as the
// reference's Destination.encrypt does: a SINGLE destination is encrypted
// to the newest ratchet this node heard it announce (or, for one of this
// node's own destinations, announced itself), and otherwise to its
// identity key; LatestRatchetID then names the ratchet used.
func (d *Destination) EncryptPayload(plaintext []byte) ([]byte, error) {
	var ratchet []byte
	if d.Destination.Type == wire.Single {
		ratchet, _ = d.node.t.Ratchets().Get(d.Destination.Hash)
	}
	return d.EncryptRatcheted(nil, plaintext, ratchet)
}

// DecryptPayload decrypts a packet addressed to this destination with its
// retained ratchets and identity key (Destination.decrypt); see
// dest.Destination.DecryptRatcheted.
func (d *Destination) DecryptPayload(ciphertext []byte) ([]byte, error) {
	return d.DecryptRatcheted(ciphertext)
}

// Announce broadcasts an announce of this destination on every interface.
func (d *Destination) Announce(appData []byte) error {
	raw, err := d.announcePacket(appData, false)
	if err != nil {
		return err
	}
	_, err = d.node.t.Send(raw, nil)
	return err
}

// PathResponseTagWindow is how long the announce answering a path request
// tag is kept and sent again for the same tag (RNS.Destination
// PR_TAG_WINDOW): requests for one tag that arrive over several
// interfaces get the same announce, which the network deduplicates.
const PathResponseTagWindow = 30 * time.Second

type pathResponse struct {
	at  time.Time
	raw []byte
}

// PathResponse implements transport.PathResponder: the announce answering
// a path request with this tag, reused within PathResponseTagWindow.
func (d *Destination) PathResponse(tag []byte) ([]byte, error) {
	now := d.node.now()
	d.mu.Lock()
	for k, e := range d.pathResponses {
		if now.Sub(e.at) > PathResponseTagWindow {
			delete(d.pathResponses, k)
		}
	}
	if e, ok := d.pathResponses[string(tag)]; ok && tag != nil {
		d.mu.Unlock()
		return bytes.Clone(e.raw), nil
	}
	d.mu.Unlock()
	raw, err := d.announcePacket(nil, true)
	if err != nil || tag == nil {
		return raw, err
	}
	d.mu.Lock()
	if d.pathResponses == nil {
		d.pathResponses = make(map[string]pathResponse)
	}
	d.pathResponses[string(tag)] = pathResponse{at: now, raw: bytes.Clone(raw)}
	d.mu.Unlock()
	return raw, nil
}

// CachedPathResponses returns how many path-response announces are kept.
func (d *Destination) CachedPathResponses() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.pathResponses)
}

// Send encrypts data to this (outbound) destination and sends it. The
// returned receipt is proved when the destination proves the packet.
func (d *Destination) Send(data []byte, proofTimeout time.Duration) (*transport.Receipt, error) {
	raw, err := d.DataPacket(data)
	if err != nil {
		return nil, err
	}
	return d.SendPacket(raw, proofTimeout)
}

// DataPacket builds the DATA packet Send sends: data encrypted with
// EncryptPayload, behind a HEADER_1 header addressed to the destination.
func (d *Destination) DataPacket(data []byte) ([]byte, error) {
	ct, err := d.EncryptPayload(data)
	if err != nil {
		return nil, err
	}
	h := wire.Header{DestType: d.Destination.Type, Destination: d.Destination.Hash}
	return append(h.Append(make([]byte, 0, wire.HeaderMinSize+len(ct))), ct...), nil
}

// SendPacket sends a packet built by DataPacket, expecting a proof of it
// from a SINGLE destination as Send does.
func (d *Destination) SendPacket(raw []byte, proofTimeout time.Duration) (*transport.Receipt, error) {
	var r *transport.Receipt
	var err error
	if d.Destination.Type == wire.Single && d.Identity != nil {
		r, err = d.node.t.ExpectProof(raw, d.Identity, proofTimeout, nil)
		if err != nil {
			return nil, err
		}
	}
	if _, err := d.node.t.Send(raw, nil); err != nil {
		return r, err
	}
	return r, nil
}
