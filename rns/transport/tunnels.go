package transport

import (
	"errors"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// TunnelTimeout removes tunnel-table entries unused this long
// (RNS.Transport.TUNNEL_TIMEOUT).
const TunnelTimeout = 8 * time.Hour

// TunnelSynthesizeLen is the payload length of a tunnel synthesize
// packet: transport public key, interface hash, random hash, signature.
const TunnelSynthesizeLen = identity.KeySize + identity.FullHashLen + wire.HashLen + identity.SigLen

// ErrNoInterface is returned when an operation needs an attached interface.
var ErrNoInterface = errors.New("transport: no such attached interface")

// Tunnel is a copy of one tunnel-table entry: a transport node that proved,
// with a synthesize packet, that it sits at the other end of an interface.
//
// Only the handshake is implemented: tunnels are established, refreshed
// and expired as in the reference, but paths are not yet kept per tunnel
// or restored when a tunnel reappears (docs/spec-deviations.md).
type Tunnel struct {
	// ID is the full hash of the peer's public key and interface hash.
	ID [identity.FullHashLen]byte
	// Interface is the interface it was last seen on.
	Interface *Iface
	// Paths counts the paths kept for the tunnel (always 0 for now).
	Paths int
	// Expires is when the entry is removed if the tunnel is not seen.
	Expires time.Time
}

type tunnelEntry struct {
	iface   *Iface
	expires time.Time
}

// tunnelSynthesizeDest is the control destination
// rnstransport.tunnel.synthesize, registered in every Transport.
type tunnelSynthesizeDest struct{ t *Transport }

func (d tunnelSynthesizeDest) Hash() wire.Hash     { return TunnelSynthesizeDestination }
func (d tunnelSynthesizeDest) Type() wire.DestType { return wire.Plain }
func (d tunnelSynthesizeDest) Receive(p *Packet) {
	if p.PacketType == wire.Data {
		d.t.handleTunnelSynthesize(p)
	}
}

// Hash returns the interface hash the reference derives from its
// interfaces' string form: the full hash of the interface's descriptor
// (InterfaceOptions.Descriptor, or its name).
func (i *Iface) Hash() [identity.FullHashLen]byte { return i.hash }

// SynthesizeTunnel sends a tunnel synthesize packet on i (the reference's
// synthesize_tunnel): this node's transport public key and i's hash,
// with a random hash, signed by the transport identity. It returns the
// tunnel ID the peer will record.
func (t *Transport) SynthesizeTunnel(i *Iface) ([identity.FullHashLen]byte, error) {
	var id [identity.FullHashLen]byte
	t.mu.Lock()
	attached := i != nil && t.hasIface(i)
	t.mu.Unlock()
	if !attached {
		return id, ErrNoInterface
	}
	pub := t.cfg.Identity.PublicKey()
	data := make([]byte, 0, TunnelSynthesizeLen)
	data = append(data, pub[:]...)
	data = append(data, i.hash[:]...)
	id = identity.FullHash(data)
	random := t.randomHash()
	data = append(data, random[:]...)
	sig, err := t.cfg.Identity.Sign(data)
	if err != nil {
		return id, err
	}
	data = append(data, sig[:]...)
	hdr := wire.Header{DestType: wire.Plain, Destination: TunnelSynthesizeDestination}
	raw := append(hdr.Append(make([]byte, 0, wire.HeaderMinSize+len(data))), data...)
	if _, err := t.Send(raw, i); err != nil {
		return id, err
	}
	return id, nil
}

// handleTunnelSynthesize is the reference's tunnel_synthesize_handler.
func (t *Transport) handleTunnelSynthesize(p *Packet) {
	if len(p.Data) != TunnelSynthesizeLen || p.Interface == nil {
		return
	}
	const idLen = identity.KeySize + identity.FullHashLen
	signed := p.Data[:idLen+wire.HashLen]
	peer, err := identity.FromPublicKey(p.Data[:identity.KeySize])
	if err != nil || !peer.Verify(signed, p.Data[len(signed):]) {
		return
	}
	id := identity.FullHash(p.Data[:idLen])
	t.mu.Lock()
	defer t.mu.Unlock()
	te, ok := t.tunnels[id]
	if !ok {
		te = &tunnelEntry{}
		t.tunnels[id] = te
	}
	te.iface = p.Interface
	te.expires = t.now().Add(TunnelTimeout)
}

// Tunnels returns a copy of the tunnel table.
func (t *Transport) Tunnels() []Tunnel {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Tunnel, 0, len(t.tunnels))
	for id, te := range t.tunnels {
		out = append(out, Tunnel{ID: id, Interface: te.iface, Expires: te.expires})
	}
	return out
}

// cullTunnelsLocked drops expired tunnels and forgets the interfaces of
// tunnels whose interface went away.
func (t *Transport) cullTunnelsLocked(now time.Time) {
	for id, te := range t.tunnels {
		if now.After(te.expires) {
			delete(t.tunnels, id)
		} else if te.iface != nil && !t.hasIface(te.iface) {
			te.iface = nil
		}
	}
}
