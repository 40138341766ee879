package dest

import (
	"errors"
	"io"

	"github.com/mehr-net/mehr/rns/wire"
)

// Errors returned by [Destination.AppendPacket].
var (
	// ErrNoTransportID reports a HEADER_2 packet without a transport ID
	// (the reference's "Packet with header type 2 must have a transport ID").
	ErrNoTransportID = errors.New("dest: Packet with header type 2 must have a transport ID")
	// ErrOriginateHeader2 reports a HEADER_2 packet other than an announce:
	// the reference only originates announces in that form; everything else
	// becomes HEADER_2 when transport rewrites it.
	ErrOriginateHeader2 = errors.New("dest: only announces can be packed as HEADER_2")
)

// Encrypts reports whether a HEADER_1 packet of type typ with context ctx
// to a destination of type dt carries its data encrypted to the
// destination, by the rules of the reference's Packet.pack: announces, link
// requests, resource proofs, proofs on links, and RESOURCE, KEEPALIVE and
// CACHE_REQUEST contexts are sent as given.
func Encrypts(dt wire.DestType, typ wire.PacketType, ctx wire.Context) bool {
	switch {
	case typ == wire.Announce, typ == wire.LinkRequest:
		return false
	case typ == wire.Proof && (ctx == wire.ContextResourcePRF || dt == wire.Link):
		return false
	}
	switch ctx {
	case wire.ContextResource, wire.ContextKeepalive, wire.ContextCacheRequest, wire.ContextLRProof:
		return false
	}
	return true
}

// AppendPacket packs a packet to d as the reference's Packet.pack does and
// appends it to dst. h supplies everything but the destination type and
// hash, which come from d. The data is encrypted to d when [Encrypts] says
// so (rand, nil for crypto/rand, supplies the ephemeral key and IV).
// HEADER_2 is only packed for announces and needs h.TransportID set
// (hasTransportID); the result must fit [wire.MTU].
func (d *Destination) AppendPacket(dst []byte, h wire.Header, hasTransportID bool, data []byte, rand io.Reader) ([]byte, error) {
	h.DestType, h.Destination = d.Type, d.Hash
	payload := data
	switch h.HeaderType {
	case wire.Header1:
		if Encrypts(d.Type, h.PacketType, h.Context) {
			ct, err := d.Encrypt(rand, data, nil)
			if err != nil {
				return dst, err
			}
			payload = ct
		}
	case wire.Header2:
		if !hasTransportID {
			return dst, ErrNoTransportID
		}
		if h.PacketType != wire.Announce {
			return dst, ErrOriginateHeader2
		}
	default:
		return dst, wire.ErrHeaderType
	}
	if h.Len()+len(payload) > wire.MTU {
		return dst, wire.ErrTooLarge
	}
	dst = h.Append(dst)
	return append(dst, payload...), nil
}
