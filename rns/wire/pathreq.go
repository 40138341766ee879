package wire

import "errors"

// PathRequestDestination is the hash of the PLAIN destination
// "rnstransport.path.request" that path requests are sent to
// (RNS.Transport.APP_NAME + "path" + "request").
var PathRequestDestination = Hash{
	0x6b, 0x9f, 0x66, 0x01, 0x4d, 0x98, 0x53, 0xfa,
	0xab, 0x22, 0x0f, 0xba, 0x47, 0xd0, 0x27, 0x61,
}

// PathRequestTagLen is the length of the tag a requester generates; longer
// received tags are truncated to it.
const PathRequestTagLen = HashLen

// Errors returned by PathRequest.Decode.
var (
	// ErrPathRequestShort means the payload has no complete destination hash.
	ErrPathRequestShort = errors.New("wire: path request shorter than a destination hash")
	// ErrPathRequestNoTag means the payload has no tag; the reference
	// ignores such requests.
	ErrPathRequestNoTag = errors.New("wire: path request without a tag")
)

// PathRequest is the payload of a DATA packet to PathRequestDestination:
// the requested destination, the requester's transport ID when it is a
// transport node, and a tag that makes the request unique.
type PathRequest struct {
	Target         Hash
	TransportID    Hash
	HasTransportID bool
	Tag            []byte // aliases the decoded payload
}

// Append encodes the payload: target, then the transport ID if present,
// then the tag.
func (r *PathRequest) Append(dst []byte) []byte {
	dst = append(dst, r.Target[:]...)
	if r.HasTransportID {
		dst = append(dst, r.TransportID[:]...)
	}
	return append(dst, r.Tag...)
}

// Decode parses a path request payload the way a reference transport node
// reads one: the first 16 bytes are the target; if more than 32 bytes are
// present, the next 16 are the requester's transport ID and the rest is the
// tag, otherwise everything after the target is the tag. Tags longer than
// PathRequestTagLen are truncated. Tag aliases data.
func (r *PathRequest) Decode(data []byte) error {
	*r = PathRequest{}
	if len(data) < HashLen {
		return ErrPathRequestShort
	}
	r.Target = Hash(data[:HashLen])
	rest := data[HashLen:]
	if len(data) > 2*HashLen {
		r.TransportID = Hash(data[HashLen : 2*HashLen])
		r.HasTransportID = true
		rest = data[2*HashLen:]
	}
	if len(rest) == 0 {
		return ErrPathRequestNoTag
	}
	if len(rest) > PathRequestTagLen {
		rest = rest[:PathRequestTagLen]
	}
	r.Tag = rest
	return nil
}
