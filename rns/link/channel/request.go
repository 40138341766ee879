package channel

import (
	"fmt"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
)

// Request is the plaintext of a link request (RNS.Link.request): the
// msgpack array [Timestamp, PathHash, Data].
type Request struct {
	// Timestamp is the sender's clock in seconds since the Unix epoch,
	// always packed as a 64-bit float.
	Timestamp float64
	// PathHash is the truncated hash of the request path's UTF-8 bytes
	// (dest.PathHash).
	PathHash wire.Hash
	// Data is the request data: any value msgpack.Marshal accepts. After
	// UnpackRequest it is a value as msgpack.Decode returns it.
	Data any
}

// Pack returns the msgpack form of r, as the reference packs it. It fails
// only if Data cannot be encoded.
func (r *Request) Pack() ([]byte, error) {
	return msgpack.Marshal([]any{r.Timestamp, r.PathHash[:], r.Data})
}

// UnpackRequest decodes a request plaintext. It fails with ErrRequestFormat
// unless b is one msgpack array of three elements, with ErrRequestTimestamp
// if the first is not a number (an integer is converted, as Python would use
// it) and with ErrRequestHash if the second is not a 16-byte bin.
func UnpackRequest(b []byte) (Request, error) {
	a, err := unpackArray(b, 3)
	if err != nil {
		return Request{}, err
	}
	var r Request
	switch ts := a[0].(type) {
	case float64:
		r.Timestamp = ts
	case int64:
		r.Timestamp = float64(ts)
	case uint64:
		r.Timestamp = float64(ts)
	default:
		return Request{}, fmt.Errorf("%w: %T", ErrRequestTimestamp, a[0])
	}
	if r.PathHash, err = hashOf(a[1]); err != nil {
		return Request{}, err
	}
	r.Data = a[2]
	return r, nil
}

// Response is the plaintext of a response to a link request
// (RNS.Link.handle_request): the msgpack array [RequestID, Data].
type Response struct {
	RequestID wire.Hash
	// Data is the response: any value msgpack.Marshal accepts. After
	// UnpackResponse it is a value as msgpack.Decode returns it.
	Data any
}

// Pack returns the msgpack form of r, as the reference packs it. It fails
// only if Data cannot be encoded.
func (r *Response) Pack() ([]byte, error) {
	return msgpack.Marshal([]any{r.RequestID[:], r.Data})
}

// UnpackResponse decodes a response plaintext. It fails with
// ErrRequestFormat unless b is one msgpack array of two elements and with
// ErrRequestHash if the first is not a 16-byte bin.
func UnpackResponse(b []byte) (Response, error) {
	a, err := unpackArray(b, 2)
	if err != nil {
		return Response{}, err
	}
	id, err := hashOf(a[0])
	if err != nil {
		return Response{}, err
	}
	return Response{RequestID: id, Data: a[1]}, nil
}

// PacketRequestID returns the ID of a request sent in a single REQUEST
// packet: the truncated hash of that packet as sent, encrypted
// (RNS.Packet.getTruncatedHash). raw is the whole packet.
func PacketRequestID(raw []byte) (wire.Hash, error) {
	return wire.TruncatedPacketHash(raw)
}

// ResourceRequestID returns the ID of a request sent as a resource because
// its packed form exceeds the link MDU: the truncated hash of the packed
// request (RNS.Link.request).
func ResourceRequestID(packed []byte) wire.Hash {
	return wire.Hash(identity.TruncatedHash(packed))
}

// SentAsResource reports whether a packed request or response of n bytes
// is too large for one packet on a link with the given MDU, so that the
// reference sends it as a resource.
func SentAsResource(n, linkMDU int) bool { return n > linkMDU }

func unpackArray(b []byte, n int) ([]any, error) {
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequestFormat, err)
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %T, want array", ErrRequestFormat, v)
	}
	if len(a) != n {
		return nil, fmt.Errorf("%w: %d elements, want %d", ErrRequestFormat, len(a), n)
	}
	return a, nil
}

func hashOf(v any) (wire.Hash, error) {
	b, ok := v.([]byte)
	if !ok || len(b) != wire.HashLen {
		return wire.Hash{}, fmt.Errorf("%w: %T of length %d", ErrRequestHash, v, len(b))
	}
	return wire.Hash(b), nil
}
