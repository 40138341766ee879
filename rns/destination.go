package rns

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
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

// Proof strategies (RNS.Destination.PROVE_NONE, PROVE_APP, PROVE_ALL).
const (
	ProveNone ProofStrategy = iota
	ProveApp
	ProveAll
)

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
	onLinkRequest func(p *transport.Packet)
}

// NewDestination creates a destination; inbound ones are registered with
// the node's transport.
func (n *Node) NewDestination(id *identity.Identity, dir dest.Direction, typ wire.DestType, app string, aspects ...string) (*Destination, error) {
	d, err := dest.New(id, dir, typ, nil, app, aspects...)
	if err != nil {
		return nil, err
	}
	nd := &Destination{Destination: d, node: n}
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
func (d *Destination) SetProofStrategy(s ProofStrategy) {
	d.mu.Lock()
	d.proofStrategy = s
	d.mu.Unlock()
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
	d.defaultApp = append([]byte(nil), b...)
	d.mu.Unlock()
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
	pt, err := d.Decrypt(p.Data, nil, false)
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
		appData = d.defaultApp
		d.mu.Unlock()
	}
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	return announce.Append(nil, &announce.Params{
		Destination:  d.Destination,
		AppData:      appData,
		RandomHash:   announce.RandomHash(random[:], time.Now()),
		PathResponse: pathResponse,
	})
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

// PathResponse implements transport.PathResponder.
func (d *Destination) PathResponse(tag []byte) ([]byte, error) {
	return d.announcePacket(nil, true)
}

// Send encrypts data to this (outbound) destination and sends it. The
// returned receipt is proved when the destination proves the packet.
func (d *Destination) Send(data []byte, proofTimeout time.Duration) (*transport.Receipt, error) {
	ct, err := d.Encrypt(nil, data, nil)
	if err != nil {
		return nil, err
	}
	h := wire.Header{DestType: d.Destination.Type, Destination: d.Destination.Hash}
	raw := append(h.Append(make([]byte, 0, wire.HeaderMinSize+len(ct))), ct...)
	var r *transport.Receipt
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
