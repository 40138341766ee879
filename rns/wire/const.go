package wire

import (
	"encoding/hex"
	"strconv"
)

// Sizes and limits, in bytes unless noted. Each mirrors a constant of the
// reference (RNS.Reticulum, RNS.Packet, RNS.Identity, RNS.Transport).
const (
	// MTU is the default network MTU (RNS.Reticulum.MTU).
	MTU = 500
	// HashLen is the length of truncated hashes: destination hashes,
	// transport IDs, link IDs (RNS.Reticulum.TRUNCATED_HASHLENGTH / 8).
	HashLen = 16
	// FullHashLen is the length of a full SHA-256 packet hash.
	FullHashLen = 32
	// HeaderMinSize is the size of a HEADER_1 header: flags, hops,
	// destination and context (RNS.Reticulum.HEADER_MINSIZE).
	HeaderMinSize = 2 + HashLen + 1
	// HeaderMaxSize is the size of a HEADER_2 header
	// (RNS.Reticulum.HEADER_MAXSIZE).
	HeaderMaxSize = 2 + 2*HashLen + 1
	// IFACMinSize is the smallest interface access code
	// (RNS.Reticulum.IFAC_MIN_SIZE).
	IFACMinSize = 1
	// MDU is the largest payload of a packet at MTU: 464, not the 465 the
	// reference's documentation gives (RNS.Reticulum.MDU).
	MDU = MTU - HeaderMaxSize - IFACMinSize
	// PlainMDU is the largest unencrypted payload (RNS.Packet.PLAIN_MDU).
	PlainMDU = MDU
	// TokenOverhead is the IV and HMAC a Token adds to a padded
	// ciphertext (RNS.Identity.TOKEN_OVERHEAD).
	TokenOverhead = 48
	// aesBlock is the AES block size used to round encrypted MDUs.
	aesBlock = 16
	// x25519KeyLen is the ephemeral key that prefixes a packet encrypted
	// to a SINGLE destination (RNS.Identity.KEYSIZE/8/2).
	x25519KeyLen = 32
	// EncryptedMDU is the largest plaintext that fits one packet encrypted
	// to a SINGLE destination (RNS.Packet.ENCRYPTED_MDU): 383.
	EncryptedMDU = (MDU-TokenOverhead-x25519KeyLen)/aesBlock*aesBlock - 1
	// LinkMDU is the largest plaintext of one link packet at MTU
	// (RNS.Link.MDU): 431.
	LinkMDU = (MTU-IFACMinSize-HeaderMinSize-TokenOverhead)/aesBlock*aesBlock - 1
	// MaxHops is the hop limit (RNS.Transport.PATHFINDER_M). The reference
	// drops packets whose hops byte is MaxHops or more.
	MaxHops = 128
	// Headroom is the space transport leaves in front of a received packet
	// so that turning HEADER_1 into HEADER_2 needs no payload copy.
	Headroom = HashLen
)

// Offsets into the header.
const (
	offFlags       = 0
	offHops        = 1
	offAddr1       = 2                  // destination (HEADER_1) or transport ID (HEADER_2)
	offAddr2       = offAddr1 + HashLen // destination in HEADER_2
	offContext1    = offAddr1 + HashLen
	offContext2    = offAddr2 + HashLen
	offHashable1   = offAddr1 // hashable part after the flags nibble, HEADER_1
	offHashable2   = offAddr2 // hashable part after the flags nibble, HEADER_2
	flagIFAC       = 0b1000_0000
	flagHeader2    = 0b0100_0000
	flagContext    = 0b0010_0000
	flagTransport  = 0b0001_0000
	maskDestType   = 0b0000_1100
	maskPacketType = 0b0000_0011
	maskHashable   = 0b0000_1111
)

// Hash is a truncated hash: a destination hash, transport ID or link ID.
type Hash [HashLen]byte

// String returns the lowercase hex form, as the reference's hexrep without
// delimiters.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// PacketType is the packet type in the low two bits of the flags byte.
type PacketType uint8

// Packet types (RNS.Packet.DATA ...).
const (
	Data        PacketType = 0x00
	Announce    PacketType = 0x01
	LinkRequest PacketType = 0x02
	Proof       PacketType = 0x03
)

var packetTypeNames = [...]string{"DATA", "ANNOUNCE", "LINKREQUEST", "PROOF"}

func (t PacketType) String() string {
	if int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// DestType is the destination type in bits 2-3 of the flags byte.
type DestType uint8

// Destination types (RNS.Destination.SINGLE ...).
const (
	Single DestType = 0x00
	Group  DestType = 0x01
	Plain  DestType = 0x02
	Link   DestType = 0x03
)

var destTypeNames = [...]string{"SINGLE", "GROUP", "PLAIN", "LINK"}

func (t DestType) String() string {
	if int(t) < len(destTypeNames) {
		return destTypeNames[t]
	}
	return "DestType(" + strconv.Itoa(int(t)) + ")"
}

// HeaderType says whether the packet carries one address or two.
type HeaderType uint8

// Header types (RNS.Packet.HEADER_1, HEADER_2).
const (
	Header1 HeaderType = 0x00
	Header2 HeaderType = 0x01
)

func (t HeaderType) String() string {
	switch t {
	case Header1:
		return "HEADER_1"
	case Header2:
		return "HEADER_2"
	}
	return "HeaderType(" + strconv.Itoa(int(t)) + ")"
}

// Propagation is the propagation (transport) type bit.
type Propagation uint8

// Propagation types (RNS.Transport.BROADCAST, TRANSPORT).
const (
	Broadcast Propagation = 0x00
	Transport Propagation = 0x01
)

func (p Propagation) String() string {
	switch p {
	case Broadcast:
		return "BROADCAST"
	case Transport:
		return "TRANSPORT"
	}
	return "Propagation(" + strconv.Itoa(int(p)) + ")"
}

// Context is the context byte that follows the address(es).
type Context uint8

// Packet contexts (RNS.Packet.NONE ... LRPROOF).
const (
	ContextNone          Context = 0x00 // generic data
	ContextResource      Context = 0x01 // part of a resource
	ContextResourceAdv   Context = 0x02 // resource advertisement
	ContextResourceReq   Context = 0x03 // resource part request
	ContextResourceHMU   Context = 0x04 // resource hashmap update
	ContextResourcePRF   Context = 0x05 // resource proof
	ContextResourceICL   Context = 0x06 // resource initiator cancel
	ContextResourceRCL   Context = 0x07 // resource receiver cancel
	ContextCacheRequest  Context = 0x08 // cache request
	ContextRequest       Context = 0x09 // request
	ContextResponse      Context = 0x0A // response to a request
	ContextPathResponse  Context = 0x0B // announce answering a path request
	ContextCommand       Context = 0x0C // command
	ContextCommandStatus Context = 0x0D // status of an executed command
	ContextChannel       Context = 0x0E // link channel data
	ContextKeepalive     Context = 0xFA // keepalive
	ContextLinkIdentify  Context = 0xFB // link peer identification proof
	ContextLinkClose     Context = 0xFC // link close
	ContextLinkProof     Context = 0xFD // link packet proof
	ContextLRRTT         Context = 0xFE // link request round-trip time
	ContextLRProof       Context = 0xFF // link request proof
)

var contextNames = map[Context]string{
	ContextNone: "NONE", ContextResource: "RESOURCE", ContextResourceAdv: "RESOURCE_ADV",
	ContextResourceReq: "RESOURCE_REQ", ContextResourceHMU: "RESOURCE_HMU",
	ContextResourcePRF: "RESOURCE_PRF", ContextResourceICL: "RESOURCE_ICL",
	ContextResourceRCL: "RESOURCE_RCL", ContextCacheRequest: "CACHE_REQUEST",
	ContextRequest: "REQUEST", ContextResponse: "RESPONSE", ContextPathResponse: "PATH_RESPONSE",
	ContextCommand: "COMMAND", ContextCommandStatus: "COMMAND_STATUS", ContextChannel: "CHANNEL",
	ContextKeepalive: "KEEPALIVE", ContextLinkIdentify: "LINKIDENTIFY", ContextLinkClose: "LINKCLOSE",
	ContextLinkProof: "LINKPROOF", ContextLRRTT: "LRRTT", ContextLRProof: "LRPROOF",
}

// String returns the reference's name for the context, such as "LRPROOF".
func (c Context) String() string {
	if s, ok := contextNames[c]; ok {
		return s
	}
	return "Context(" + strconv.Itoa(int(c)) + ")"
}

// Contexts returns every context the reference defines as a named
// constant, in numeric order.
func Contexts() []Context {
	return []Context{
		ContextNone, ContextResource, ContextResourceAdv, ContextResourceReq, ContextResourceHMU,
		ContextResourcePRF, ContextResourceICL, ContextResourceRCL, ContextCacheRequest,
		ContextRequest, ContextResponse, ContextPathResponse, ContextCommand,
		ContextCommandStatus, ContextChannel, ContextKeepalive, ContextLinkIdentify,
		ContextLinkClose, ContextLinkProof, ContextLRRTT, ContextLRProof,
	}
}
