package resource

import (
	"bytes"
	"crypto/aes"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
)

// Receiver collects and assembles an incoming resource.
type Receiver struct {
	adv    Advertisement
	sdu    int
	status Status
	hs     hasher

	hashmap  []byte // n map hashes; valid where known[i]
	known    []bool
	height   int    // number of known map hashes (the reference's hashmap_height)
	stream   []byte // the parts, at their offsets
	have     []bool // which parts arrived
	received int
	next     int // index of the first missing part

	// Streaming assembly: while parts arrive, the in-order prefix of the
	// stream is authenticated and decrypted in place (dec), and for
	// uncompressed resources its plaintext hashed (ph, up to hashed bytes
	// of plaintext), so that Assemble has little left to do when the last
	// part lands. dec is nil for unencrypted resources.
	dec    *identity.StreamDecrypter
	decErr error // why dec is nil for an encrypted stream
	ph     hash.Hash
	hashed int

	// For large streams that work runs on a worker routine, started when
	// the prefix grows and ending when it has caught up, so that the
	// routine filing parts only hashes and copies them. amu guards target
	// and working; the worker alone touches dec, ph, hashed and the
	// prefix of stream below target until it stops.
	amu     sync.Mutex
	aidle   *sync.Cond // on amu; broadcast when the worker stops
	target  int        // stream bytes final and ready for the worker
	working bool

	proof [2 * HashLen]byte
}

// NewReceiver starts receiving the resource adv describes over a link with
// the given Token key and MTU. The advertised number of parts must match
// the transfer size at this link's SDU.
func NewReceiver(adv *Advertisement, key []byte, mtu int) (*Receiver, error) {
	sdu, err := SDU(mtu)
	if err != nil {
		return nil, err
	}
	tok, err := identity.NewToken(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	n := ceilDiv(adv.TransferSize, sdu)
	if adv.TransferSize < 1 || adv.TransferSize > MaxTransferSize || adv.Parts != n {
		return nil, fmt.Errorf("%w: %d parts for %d bytes at SDU %d", ErrAdvertisement, adv.Parts, adv.TransferSize, sdu)
	}
	if hm := len(adv.Hashmap); hm == 0 || hm%MapHashLen != 0 || hm/MapHashLen > min(n, HashmapMaxLen) {
		return nil, fmt.Errorf("%w: hashmap of %d bytes", ErrAdvertisement, hm)
	}
	r := &Receiver{
		adv:     *adv,
		sdu:     sdu,
		status:  StatusTransferring,
		hashmap: make([]byte, n*MapHashLen),
		known:   make([]bool, n),
		stream:  make([]byte, adv.TransferSize),
		have:    make([]bool, n),
	}
	r.adv.Hashmap = nil
	r.adv.RequestID = bytes.Clone(adv.RequestID)
	r.setHashes(0, adv.Hashmap)
	if adv.Flags&FlagEncrypted != 0 {
		// A stream the token format cannot fit is reported by Assemble.
		if r.dec, r.decErr = tok.NewStreamDecrypter(adv.TransferSize); r.dec != nil && adv.Flags&FlagCompressed == 0 {
			r.ph = sha256.New()
			r.hashed = PrefixLen
		}
		if r.dec != nil && adv.TransferSize >= parallelMin {
			r.aidle = sync.NewCond(&r.amu)
		}
	}
	return r, nil
}

func (r *Receiver) setHashes(segment int, hashes []byte) {
	base := segment * HashmapMaxLen
	for i := 0; i < len(hashes)/MapHashLen; i++ {
		if !r.known[base+i] {
			r.known[base+i] = true
			r.height++
		}
		copy(r.hashmap[(base+i)*MapHashLen:], hashes[i*MapHashLen:(i+1)*MapHashLen])
	}
}

// Advertisement returns the advertisement the transfer started from,
// without its hashmap.
func (r *Receiver) Advertisement() Advertisement { return r.adv }

// Status is StatusTransferring until Assemble succeeds (StatusComplete) or
// finds the data corrupt (StatusCorrupt).
func (r *Receiver) Status() Status { return r.status }

// Received returns how many of the parts have arrived.
func (r *Receiver) Received() (got, total int) { return r.received, len(r.have) }

// Done reports whether every part has arrived.
func (r *Receiver) Done() bool { return r.received == len(r.have) }

// AppendRequest appends the plaintext of the next part request (as the
// reference's request_next builds it) to dst: up to window missing parts
// after the first missing one, by map hash. When it reaches a part whose map
// hash is not known yet, the request is marked exhausted and names the last
// known map hash, so the sender answers with a hashmap update. window <= 0
// means Window.
func (r *Receiver) AppendRequest(dst []byte, window int) []byte {
	if window <= 0 {
		window = Window
	}
	exhausted := false
	var hashes []byte
	count := 0
	for i := r.next; i < len(r.have) && i < r.next+window; i++ {
		if !r.have[i] {
			if !r.known[i] {
				exhausted = true
				break
			}
			hashes = append(hashes, r.hashmap[i*MapHashLen:(i+1)*MapHashLen]...)
			count++
			if count >= window {
				break
			}
		}
	}
	if exhausted {
		dst = append(dst, HashmapExhausted)
		last := max(r.height-1, 0)
		dst = append(dst, r.hashmap[last*MapHashLen:(last+1)*MapHashLen]...)
	} else {
		dst = append(dst, HashmapNotExhausted)
	}
	dst = append(dst, r.adv.Hash[:]...)
	return append(dst, hashes...)
}

// UpdateHashmap applies a hashmap update plaintext: resource hash ||
// msgpack [segment, map hashes].
func (r *Receiver) UpdateHashmap(plaintext []byte) error {
	if len(plaintext) < HashLen || !bytes.Equal(plaintext[:HashLen], r.adv.Hash[:]) {
		return fmt.Errorf("%w: other resource", ErrHashmapUpdate)
	}
	v, err := msgpack.Decode(plaintext[HashLen:])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHashmapUpdate, err)
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return fmt.Errorf("%w: not a pair", ErrHashmapUpdate)
	}
	seg, ok1 := arr[0].(int64)
	hashes, ok2 := arr[1].([]byte)
	if !ok1 || !ok2 || seg < 0 || seg > int64(len(r.have)/HashmapMaxLen) ||
		len(hashes) == 0 || len(hashes)%MapHashLen != 0 || len(hashes)/MapHashLen > HashmapMaxLen ||
		int(seg)*HashmapMaxLen+len(hashes)/MapHashLen > len(r.have) {
		return fmt.Errorf("%w: segment or hashmap out of range", ErrHashmapUpdate)
	}
	r.setHashes(int(seg), hashes)
	return nil
}

// AcceptPart files a received part (the data of a RESOURCE packet) under the
// first missing part, at or after the first missing one, whose known map
// hash it matches. It copies part. It returns ErrPart for a part that
// matches none or has the wrong length for its place; a duplicate of a part
// already received is ignored and reported as false.
func (r *Receiver) AcceptPart(part []byte) (bool, error) {
	if len(part) == 0 || len(part) > r.sdu {
		return false, fmt.Errorf("%w: %d bytes", ErrPart, len(part))
	}
	m := r.hs.mapHash(part, r.adv.RandomHash[:])
	dup := false
	for i := r.next; i < len(r.have); i++ {
		if !r.known[i] || !bytes.Equal(r.hashmap[i*MapHashLen:(i+1)*MapHashLen], m[:]) {
			continue
		}
		if r.have[i] {
			dup = true
			continue
		}
		want := r.sdu
		if i == len(r.have)-1 {
			want = r.adv.TransferSize - i*r.sdu
		}
		if len(part) != want {
			return false, fmt.Errorf("%w: %d bytes for part %d of %d bytes", ErrPart, len(part), i, want)
		}
		copy(r.stream[i*r.sdu:], part)
		r.have[i] = true
		r.received++
		if i == r.next {
			for r.next < len(r.have) && r.have[r.next] {
				r.next++
			}
			r.advance()
		}
		return true, nil
	}
	for i := 0; i < r.next && !dup; i++ {
		dup = bytes.Equal(r.hashmap[i*MapHashLen:(i+1)*MapHashLen], m[:])
	}
	if dup {
		return false, nil
	}
	return false, ErrPart
}

// advance hands the stream's newly completed in-order prefix to the
// decryption and hashing, on the worker routine for large streams.
func (r *Receiver) advance() {
	if r.dec == nil {
		return
	}
	avail := min(r.next*r.sdu, len(r.stream))
	if r.aidle == nil {
		r.process(avail)
		return
	}
	r.amu.Lock()
	r.target = avail
	if !r.working {
		r.working = true
		go r.work()
	}
	r.amu.Unlock()
}

// work processes the prefix until it has caught up with target.
func (r *Receiver) work() {
	done := 0
	for {
		r.amu.Lock()
		t := r.target
		if t <= done {
			r.working = false
			r.aidle.Broadcast()
			r.amu.Unlock()
			return
		}
		r.amu.Unlock()
		r.process(t)
		done = t
	}
}

// settle waits until the worker, if any, has stopped.
func (r *Receiver) settle() {
	if r.aidle == nil {
		return
	}
	r.amu.Lock()
	for r.working {
		r.aidle.Wait()
	}
	r.amu.Unlock()
}

// process decrypts and hashes the stream up to avail bytes.
func (r *Receiver) process(avail int) {
	n := r.dec.Advance(r.stream, avail)
	if r.ph == nil {
		return
	}
	// The last decrypted block may hold padding: hash up to it.
	if end := n - aes.BlockSize; end > r.hashed {
		r.ph.Write(r.stream[identity.TokenIVLen+r.hashed : identity.TokenIVLen+end])
		r.hashed = end
	}
}

// Assemble joins the parts, decrypts the stream, strips the random prefix,
// decompresses (to at most the advertised data size, and at most
// MaxEfficientSize for a segment of a split resource) and checks the
// resource hash. It returns the data and the packed metadata (nil if the
// resource has none), both new slices. After it succeeds, Proof returns the
// proof to send.
func (r *Receiver) Assemble() (data, metadata []byte, err error) {
	if !r.Done() {
		return nil, nil, ErrIncomplete
	}
	r.settle()
	r.status = StatusCorrupt
	stream := r.stream
	r.stream = nil // decrypted in place below; Assemble runs once
	plain := stream
	if r.adv.Flags&FlagEncrypted != 0 {
		if r.dec == nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrCorrupt, r.decErr)
		}
		if plain, err = r.dec.Finish(stream); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	if len(plain) < PrefixLen {
		return nil, nil, fmt.Errorf("%w: stream of %d bytes", ErrCorrupt, len(plain))
	}
	all := plain[PrefixLen:]
	if r.adv.Flags&FlagCompressed != 0 {
		limit := r.adv.DataSize
		if r.adv.TotalSegments > 1 {
			limit = min(limit, MaxEfficientSize)
		}
		if all, err = Decompress(all, limit); err != nil {
			return nil, nil, err
		}
	}
	var h, p [HashLen]byte
	if r.ph != nil && r.hashed <= len(plain) {
		r.ph.Write(plain[r.hashed:])
		h, p = finishHashAndProof(r.ph, r.adv.RandomHash[:])
	} else {
		h, p = hashAndProof(all, r.adv.RandomHash[:])
	}
	if h != r.adv.Hash {
		return nil, nil, fmt.Errorf("%w: resource hash mismatch", ErrCorrupt)
	}
	data = all
	if r.adv.Flags&FlagMetadata != 0 && r.adv.SegmentIndex == 1 {
		if len(all) < 3 {
			return nil, nil, fmt.Errorf("%w: no metadata block", ErrCorrupt)
		}
		n := int(all[0])<<16 | int(all[1])<<8 | int(all[2])
		if 3+n > len(all) {
			return nil, nil, fmt.Errorf("%w: metadata of %d bytes in %d", ErrCorrupt, n, len(all))
		}
		metadata = all[3 : 3+n : 3+n]
		data = all[3+n:]
	}
	copy(r.proof[:], r.adv.Hash[:])
	copy(r.proof[HashLen:], p[:])
	r.status = StatusComplete
	return data, metadata, nil
}

// Proof returns the data of the RESOURCE_PRF proof packet: resource hash ||
// SHA-256(data || resource hash), or nil before Assemble succeeded.
func (r *Receiver) Proof() []byte {
	if r.status != StatusComplete {
		return nil
	}
	return bytes.Clone(r.proof[:])
}
