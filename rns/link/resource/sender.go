package resource

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/internal/sha256x"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
)

// Params are the inputs of Build. The random fields are inputs so that the
// result is deterministic; fill them from a CSPRNG (the reference takes each
// from a truncated hash of fresh random bytes).
type Params struct {
	// Data is the resource's data for this segment.
	Data []byte
	// Metadata is the packed (msgpack) metadata, or nil for none. Only the
	// first segment carries it.
	Metadata []byte
	// Key is the link's derived 64-byte Token key.
	Key []byte
	// MTU is the link MTU; 0 means wire.MTU.
	MTU int
	// Compress asks for bzip2 compression. The compressed payload is used
	// only if it is shorter than the data, as in the reference. Data over
	// 256 KiB is compressed only if a 64 KiB sample of it compresses by
	// more than a sixteenth (sending uncompressed is always valid).
	Compress bool
	// Compressed, if not nil, is used as the bzip2 form of metadata block
	// || data instead of running Compress (for example to reproduce the
	// reference's libbz2 bytes). Build checks that it decompresses to
	// exactly that and fails with ErrCompressed otherwise.
	Compressed []byte

	Prefix     [PrefixLen]byte           // random prefix of the stream plaintext
	IV         [identity.TokenIVLen]byte // IV of the Token over the whole stream
	RandomHash [RandomHashLen]byte       // salt of the resource and map hashes

	// OriginalHash is the hash of the first segment; nil means this
	// resource's own hash.
	OriginalHash []byte
	// SegmentIndex and TotalSegments number the segment (from 1); 0 means 1.
	SegmentIndex, TotalSegments int
	// RequestID links the resource to a request (nil for none); IsResponse
	// tells whether it is the response to that request.
	RequestID  []byte
	IsResponse bool

	// StreamBuf, if its capacity suffices, holds the encrypted stream
	// (Resource.Stream aliases it) instead of a new buffer, so that a
	// sender can reuse one buffer for segment after segment. Its contents
	// do not matter. Data and Metadata must not overlap it.
	StreamBuf []byte

	// MapHasher, if not nil, computes the map hashes in place of MapHash.
	// It is a test seam (to force the collisions Build must refuse, say)
	// and may be called from several routines at once.
	MapHasher func(part, randomHash []byte) [MapHashLen]byte
}

// Resource is a resource prepared for sending.
type Resource struct {
	Hash          [HashLen]byte       // resource hash h
	OriginalHash  [HashLen]byte       // hash of the first segment o
	RandomHash    [RandomHashLen]byte // r
	ExpectedProof [HashLen]byte       // what the receiver's proof must carry
	Flags         Flags               // f
	DataSize      int                 // d: uncompressed size including metadata
	SDU           int                 // part size
	SegmentIndex  int                 // i
	TotalSegments int                 // l
	RequestID     []byte              // q
	// Stream is the encrypted stream; its length is the transfer size t.
	Stream []byte
	// Hashmap is the concatenated map hashes of all parts.
	Hashmap []byte

	// minHeight is the reference's receiver_min_consecutive_height: where
	// the search for requested parts starts.
	minHeight int
	status    Status
	sent      []bool // parts sent at least once
	nsent     int
	reqSeen   [][HashLen]byte // hashes of the request packets served
}

// Build prepares a resource for sending. It fails with ErrTooLarge for
// metadata over MetadataMaxSize, ErrMTU, ErrKey, ErrCompressed, and
// ErrCollision when two map hashes within CollisionGuardSize parts are equal
// (retry with another RandomHash).
func Build(p *Params) (*Resource, error) {
	sdu, err := SDU(p.MTU)
	if err != nil {
		return nil, err
	}
	tok, err := identity.NewToken(p.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	r := &Resource{
		RandomHash:    p.RandomHash,
		SDU:           sdu,
		SegmentIndex:  max(p.SegmentIndex, 1),
		TotalSegments: max(p.TotalSegments, 1),
		RequestID:     p.RequestID,
		Flags:         FlagEncrypted,
	}
	if r.SegmentIndex > r.TotalSegments {
		return nil, fmt.Errorf("resource: segment %d of %d", r.SegmentIndex, r.TotalSegments)
	}
	data := p.Data
	if p.Metadata != nil {
		block, err := MetadataBlock(p.Metadata)
		if err != nil {
			return nil, err
		}
		data = append(block, p.Data...)
		r.Flags |= FlagMetadata
	}
	r.DataSize = len(data)

	// The resource hash and the proof hash data once: beside compression
	// (hashAside), or as the stream is sealed (ph, alongside the HMAC).
	var wg sync.WaitGroup
	hashing := false
	hashAside := func() {
		hashing = true
		wg.Go(func() { r.Hash, r.ExpectedProof = hashAndProof(data, r.RandomHash[:]) })
	}
	payload := data
	if p.Compress {
		c := p.Compressed
		if c != nil {
			got, err := Decompress(c, len(data))
			if err != nil || !bytes.Equal(got, data) {
				return nil, ErrCompressed
			}
		} else if !worthCompressing(data) {
			c = data // not smaller: sent uncompressed
		} else {
			// Compression runs a piece per processor and leaves one
			// idle while another finishes its piece; hashing beside
			// it fills that time instead of following it.
			if len(data) >= parallelMin {
				hashAside()
			}
			if c, err = Compress(data); err != nil {
				wg.Wait()
				return nil, err
			}
		}
		if len(c) < len(data) {
			payload = c
			r.Flags |= FlagCompressed
		}
	}
	if r.TotalSegments > 1 {
		r.Flags |= FlagSplit
	}
	if p.RequestID != nil {
		if p.IsResponse {
			r.Flags |= FlagResponse
		} else {
			r.Flags |= FlagRequest
		}
	}

	var ph *sha256x.Digest
	switch {
	case hashing:
	case r.Flags&FlagCompressed == 0:
		ph = sha256x.New()
	case len(data) >= parallelMin:
		hashAside()
	default:
		r.Hash, r.ExpectedProof = hashAndProof(data, r.RandomHash[:])
	}
	size := identity.TokenLen(PrefixLen + len(payload))
	buf := p.StreamBuf
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	enc, err := tok.NewStreamEncrypter(buf, p.IV, PrefixLen+len(payload))
	if err != nil { // unreachable: buf has the token's length
		wg.Wait()
		return nil, err
	}
	r.Stream = buf
	r.seal(enc, p.Prefix[:], payload, p.MapHasher, ph, data)
	wg.Wait()
	if ph != nil {
		r.Hash, r.ExpectedProof = finishHashAndProof(ph, r.RandomHash[:])
	}

	r.OriginalHash = r.Hash
	if p.OriginalHash != nil {
		if len(p.OriginalHash) != HashLen {
			return nil, fmt.Errorf("resource: original hash of %d bytes", len(p.OriginalHash))
		}
		copy(r.OriginalHash[:], p.OriginalHash)
	}

	n := r.NumParts()
	r.sent = make([]bool, n)
	for i := range n {
		v := binary.BigEndian.Uint32(r.Hashmap[i*MapHashLen:])
		for j := max(0, i-CollisionGuardSize); j < i; j++ {
			if binary.BigEndian.Uint32(r.Hashmap[j*MapHashLen:]) == v {
				return nil, fmt.Errorf("%w: parts %d and %d", ErrCollision, j, i)
			}
		}
	}
	return r, nil
}

// TransferSize is the advertised transfer size t: the stream's length.
func (r *Resource) TransferSize() int { return len(r.Stream) }

// NumParts is the number of parts n.
func (r *Resource) NumParts() int { return len(r.Hashmap) / MapHashLen }

// Part returns part i, aliasing Stream.
func (r *Resource) Part(i int) []byte {
	return r.Stream[i*r.SDU : min((i+1)*r.SDU, len(r.Stream))]
}

// MapHash returns the map hash of part i, aliasing Hashmap.
func (r *Resource) MapHash(i int) []byte {
	return r.Hashmap[i*MapHashLen : (i+1)*MapHashLen]
}

// AppendPartPacket appends the DATA packet with context RESOURCE that
// carries part i over the link linkID.
func (r *Resource) AppendPartPacket(dst []byte, linkID wire.Hash, i int) []byte {
	return AppendPacket(dst, linkID, wire.Data, wire.ContextResource, r.Part(i))
}

// Advertisement returns the advertisement of the resource. It carries the
// first HashmapMaxLen map hashes; the rest go out in hashmap updates.
func (r *Resource) Advertisement() *Advertisement {
	return &Advertisement{
		TransferSize:  r.TransferSize(),
		DataSize:      r.DataSize,
		Parts:         r.NumParts(),
		Hash:          r.Hash,
		RandomHash:    r.RandomHash,
		OriginalHash:  r.OriginalHash,
		SegmentIndex:  r.SegmentIndex,
		TotalSegments: r.TotalSegments,
		RequestID:     r.RequestID,
		Flags:         r.Flags,
		Hashmap:       r.Hashmap[:min(len(r.Hashmap), HashmapMaxLen*MapHashLen)],
	}
}

// Request is a decoded part request (RESOURCE_REQ plaintext).
type Request struct {
	// Exhausted is set when the receiver has used up its map hashes and
	// wants a hashmap update after LastMapHash.
	Exhausted   bool
	LastMapHash [MapHashLen]byte
	Hash        [HashLen]byte // resource hash
	MapHashes   []byte        // requested map hashes, concatenated; aliases the input
}

// DecodeRequest parses a part request plaintext: the exhausted flag (0x00,
// or 0xFF followed by the last known map hash), the resource hash and the
// requested map hashes.
func DecodeRequest(b []byte) (Request, error) {
	var q Request
	if len(b) < 1 {
		return q, ErrRequest
	}
	off := 1
	switch b[0] {
	case HashmapNotExhausted:
	case HashmapExhausted:
		if len(b) < 1+MapHashLen {
			return q, ErrRequest
		}
		q.Exhausted = true
		copy(q.LastMapHash[:], b[1:])
		off += MapHashLen
	default:
		return q, fmt.Errorf("%w: flag %#02x", ErrRequest, b[0])
	}
	if len(b) < off+HashLen || (len(b)-off-HashLen)%MapHashLen != 0 {
		return q, fmt.Errorf("%w: length %d", ErrRequest, len(b))
	}
	copy(q.Hash[:], b[off:])
	q.MapHashes = b[off+HashLen:]
	return q, nil
}

// HandleRequest answers a part request (the decrypted RESOURCE_REQ
// plaintext) as the reference's Resource.request does: it returns the
// indexes of the requested parts, in order, found among the
// CollisionGuardSize parts after the receiver's last known position, and,
// if the receiver's hashmap is exhausted, the plaintext of the hashmap
// update to send (resource hash || msgpack [segment, map hashes]). The
// returned parts count as sent; once every part was sent the status is
// StatusAwaitingProof, before that StatusTransferring. A hashmap request
// that does not end on a hashmap segment boundary is a sequencing error:
// the parts are still returned, with an error, and the resource fails. A
// failed resource answers nothing (ErrFailed).
func (r *Resource) HandleRequest(plaintext []byte) (parts []int, hmu []byte, err error) {
	if r.status == StatusFailed || r.status == StatusComplete {
		return nil, nil, ErrFailed
	}
	q, err := DecodeRequest(plaintext)
	if err != nil {
		return nil, nil, err
	}
	if q.Hash != r.Hash {
		return nil, nil, fmt.Errorf("%w: other resource", ErrRequest)
	}
	r.status = StatusTransferring
	defer func() {
		for _, p := range parts {
			if !r.sent[p] {
				r.sent[p] = true
				r.nsent++
			}
		}
		if err != nil && !errors.Is(err, ErrRequest) {
			return
		}
		if err != nil {
			r.status = StatusFailed
		} else if r.nsent == len(r.sent) {
			r.status = StatusAwaitingProof
		}
	}()
	n := r.NumParts()
	start, end := r.minHeight, min(r.minHeight+CollisionGuardSize, n)
	for i := start; i < end; i++ {
		m := r.MapHash(i)
		for k := 0; k+MapHashLen <= len(q.MapHashes); k += MapHashLen {
			if bytes.Equal(m, q.MapHashes[k:k+MapHashLen]) {
				parts = append(parts, i)
				break
			}
		}
	}
	if !q.Exhausted {
		return parts, nil, nil
	}
	idx := start
	for i := start; i < end; i++ {
		idx++
		if bytes.Equal(r.MapHash(i), q.LastMapHash[:]) {
			break
		}
	}
	r.minHeight = max(idx-1-WindowMax, 0)
	if idx%HashmapMaxLen != 0 {
		return parts, nil, fmt.Errorf("%w: hashmap sequencing at part %d", ErrRequest, idx)
	}
	seg := idx / HashmapMaxLen
	hs, he := seg*HashmapMaxLen, min((seg+1)*HashmapMaxLen, n)
	if hs >= he {
		return parts, nil, fmt.Errorf("%w: no hashmap after part %d", ErrRequest, idx)
	}
	body, err := msgpack.Marshal([]any{seg, r.Hashmap[hs*MapHashLen : he*MapHashLen]})
	if err != nil {
		return parts, nil, err
	}
	hmu = make([]byte, 0, HashLen+len(body))
	hmu = append(append(hmu, r.Hash[:]...), body...)
	return parts, hmu, nil
}

// VerifyProof checks the data of a RESOURCE_PRF proof, resource hash ||
// SHA-256(data || resource hash), as the reference's validate_proof does:
// the proof must be 2*HashLen bytes and end with the expected proof (the
// leading hash only routes the proof to its resource). A valid proof
// completes the resource; a failed resource accepts none (ErrFailed).
func (r *Resource) VerifyProof(proof []byte) error {
	if r.status == StatusFailed {
		return ErrFailed
	}
	if len(proof) != 2*HashLen || !bytes.Equal(proof[HashLen:], r.ExpectedProof[:]) {
		return ErrProof
	}
	r.status = StatusComplete
	return nil
}

// Status returns the sender's state: StatusNone after Build,
// StatusTransferring once requests arrive, StatusAwaitingProof once every
// part was sent, StatusComplete after a valid proof, StatusFailed after
// Cancel or a sequencing error.
func (r *Resource) Status() Status { return r.status }

// Cancel fails the resource (the reference's cancel): later requests and
// proofs are ignored. A complete resource stays complete.
func (r *Resource) Cancel() {
	if r.status != StatusComplete {
		r.status = StatusFailed
	}
}

// SentParts returns how many distinct parts were sent (the reference's
// sent_parts).
func (r *Resource) SentParts() int { return r.nsent }

// Scope returns the first part the sender searches for requested map
// hashes (the reference's receiver_min_consecutive_height). It advances
// with hashmap requests, so that large transfers search a window that
// slides with the receiver.
func (r *Resource) Scope() int { return r.minHeight }

// NoteRequest records the hash of a request packet and reports whether it
// is new: a re-delivered copy of a request already served is ignored, as
// the reference's req_hashlist does.
func (r *Resource) NoteRequest(packetHash [HashLen]byte) bool {
	for _, h := range r.reqSeen {
		if h == packetHash {
			return false
		}
	}
	r.reqSeen = append(r.reqSeen, packetHash)
	return true
}

// Requests returns how many distinct request packets NoteRequest recorded.
func (r *Resource) Requests() int { return len(r.reqSeen) }
