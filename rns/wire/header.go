package wire

import (
	"crypto/sha256"
	"errors"
)

// Errors returned by Decode and the rewrite functions. Malformed input
// always yields one of these, never a panic.
var (
	// ErrShort means the bytes end before the header does.
	ErrShort = errors.New("wire: packet shorter than its header")
	// ErrHops means the hops byte is MaxHops or more; the reference drops
	// such packets as malformed.
	ErrHops = errors.New("wire: hop count at or above the limit")
	// ErrHeaderType means an operation needed the other header type.
	ErrHeaderType = errors.New("wire: wrong header type for this operation")
	// ErrTooLarge means an encoded packet would exceed the MTU given.
	ErrTooLarge = errors.New("wire: packet exceeds MTU")
)

// Header is a decoded packet header. The zero value is a HEADER_1 DATA
// packet to a SINGLE destination with context NONE.
type Header struct {
	IFAC        bool        // an interface access code follows the hops byte on the wire
	HeaderType  HeaderType  // Header1 or Header2
	ContextFlag bool        // bit 5; not covered by the packet hash
	Propagation Propagation // Broadcast or Transport
	DestType    DestType
	PacketType  PacketType
	Hops        uint8
	TransportID Hash // only meaningful for Header2
	Destination Hash // destination hash, link ID, or truncated hash of the proved packet
	Context     Context
}

// Flags returns the packed flags byte.
func (h *Header) Flags() byte {
	f := byte(h.HeaderType&1)<<6 | byte(h.Propagation&1)<<4 | byte(h.DestType&3)<<2 | byte(h.PacketType&3)
	if h.IFAC {
		f |= flagIFAC
	}
	if h.ContextFlag {
		f |= flagContext
	}
	return f
}

// SetFlags unpacks a flags byte into h.
func (h *Header) SetFlags(f byte) {
	h.IFAC = f&flagIFAC != 0
	h.HeaderType = HeaderType(f & flagHeader2 >> 6)
	h.ContextFlag = f&flagContext != 0
	h.Propagation = Propagation(f & flagTransport >> 4)
	h.DestType = DestType(f & maskDestType >> 2)
	h.PacketType = PacketType(f & maskPacketType)
}

// Len returns the encoded header length: HeaderMinSize or HeaderMaxSize.
func (h *Header) Len() int {
	if h.HeaderType == Header2 {
		return HeaderMaxSize
	}
	return HeaderMinSize
}

// Decode parses the header at the front of b (a packet without IFAC bytes)
// and returns the header length, so the payload is b[n:]. It does not
// allocate and does not keep b.
func (h *Header) Decode(b []byte) (n int, err error) {
	if len(b) < HeaderMinSize {
		return 0, ErrShort
	}
	h.SetFlags(b[offFlags])
	h.Hops = b[offHops]
	if h.Hops >= MaxHops {
		return 0, ErrHops
	}
	if h.HeaderType == Header2 {
		if len(b) < HeaderMaxSize {
			return 0, ErrShort
		}
		h.TransportID = Hash(b[offAddr1:offAddr2])
		h.Destination = Hash(b[offAddr2 : offAddr2+HashLen])
		h.Context = Context(b[offContext2])
		return HeaderMaxSize, nil
	}
	h.TransportID = Hash{}
	h.Destination = Hash(b[offAddr1 : offAddr1+HashLen])
	h.Context = Context(b[offContext1])
	return HeaderMinSize, nil
}

// Append appends the encoded header to dst and returns the extended slice.
func (h *Header) Append(dst []byte) []byte {
	dst = append(dst, h.Flags(), h.Hops)
	if h.HeaderType == Header2 {
		dst = append(dst, h.TransportID[:]...)
	}
	dst = append(dst, h.Destination[:]...)
	return append(dst, byte(h.Context))
}

// Packet is a decoded packet. Raw and Data alias the decoded buffer.
type Packet struct {
	Header
	Raw  []byte // the whole packet, without IFAC
	Data []byte // everything after the context byte
}

// Decode parses raw (a packet without IFAC bytes) into p. p.Raw and p.Data
// alias raw. It does not allocate.
func (p *Packet) Decode(raw []byte) error {
	n, err := p.Header.Decode(raw)
	if err != nil {
		p.Raw, p.Data = nil, nil
		return err
	}
	p.Raw, p.Data = raw, raw[n:]
	return nil
}

// Append encodes the header followed by data onto dst.
func (p *Packet) Append(dst []byte) []byte {
	return append(p.Header.Append(dst), p.Data...)
}

// Hash returns the packet hash of the decoded packet.
func (p *Packet) Hash() [FullHashLen]byte {
	h, _ := PacketHash(p.Raw)
	return h
}

// TruncatedHash returns the first HashLen bytes of the packet hash.
func (p *Packet) TruncatedHash() Hash {
	h := p.Hash()
	return Hash(h[:HashLen])
}

// hashable returns the flags nibble and the tail of raw that together form
// the hashable part.
func hashable(raw []byte) (nibble byte, tail []byte, err error) {
	if len(raw) < HeaderMinSize {
		return 0, nil, ErrShort
	}
	if raw[offFlags]&flagHeader2 != 0 {
		if len(raw) < HeaderMaxSize {
			return 0, nil, ErrShort
		}
		return raw[offFlags] & maskHashable, raw[offHashable2:], nil
	}
	return raw[offFlags] & maskHashable, raw[offHashable1:], nil
}

// AppendHashablePart appends the bytes the packet hash covers: the low
// nibble of the flags byte followed by everything after the hops byte
// (HEADER_1) or after the transport ID (HEADER_2).
func AppendHashablePart(dst, raw []byte) ([]byte, error) {
	nib, tail, err := hashable(raw)
	if err != nil {
		return dst, err
	}
	return append(append(dst, nib), tail...), nil
}

// PacketHash returns SHA-256 of the hashable part of raw (a packet without
// IFAC bytes). It does not allocate.
func PacketHash(raw []byte) (sum [FullHashLen]byte, err error) {
	nib, tail, err := hashable(raw)
	if err != nil {
		return sum, err
	}
	d := sha256.New()
	d.Write([]byte{nib})
	d.Write(tail)
	d.Sum(sum[:0])
	return sum, nil
}

// TruncatedPacketHash returns the first HashLen bytes of PacketHash.
func TruncatedPacketHash(raw []byte) (Hash, error) {
	h, err := PacketHash(raw)
	return Hash(h[:HashLen]), err
}
