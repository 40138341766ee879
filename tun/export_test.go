package tun

import (
	"net/netip"

	"github.com/mehr-net/mehr/rns/link"
)

// Test helpers for the external test package.
var (
	EchoPacket = echoPacket
	IPv6Packet = ipv6Packet
	ChecksumOK = checksumOK
)

// PeerLink returns the link packets to addr go on, or nil.
func (a *Adapter) PeerLink(addr netip.Addr) *link.Link {
	p := a.peers.Load().byAddr[addr.As16()]
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.link
}

// HandleOutbound routes pkt as if read from the device. Benchmarks call
// it while the device has nothing to read, so that routineRead does not
// share the scratch buffers.
func (a *Adapter) HandleOutbound(pkt []byte) { a.handleOutbound(pkt) }
