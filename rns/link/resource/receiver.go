package resource

import (
	"bytes"
	"crypto/aes"
	"fmt"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/internal/sha256x"
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

	// Request state, as the reference's inbound Resource keeps it.
	win         windowState
	outstanding int  // parts requested and not yet received
	waitingHMU  bool // a request asked for a hashmap update not yet applied

	// Streaming assembly: while parts arrive, the in-order prefix of the
	// stream is authenticated and decrypted in place (dec), and for
	// uncompressed resources its plaintext hashed (ph, up to hashed bytes
	// of plaintext), so that Assemble has little left to do when the last
	// part lands. dec is nil for unencrypted resources.
	dec    *identity.StreamDecrypter
	decErr error // why dec is nil for an encrypted stream
	ph     *sha256x.Digest
	hashed int

	// For large streams that work runs on a worker routine, started when
	// there is work for it and ending when it has caught up, so that the
	// routine filing parts only hashes and copies them. It authenticates
	// and decrypts the stream up to target (dec, decAsked), a step at a
	// time, each step decrypted right after it is authenticated, while it
	// is in cache, and hashes the plaintext of each step alongside the
	// authentication of the next (ph, hashed). While it runs it alone
	// touches decAsked, decrypted, hashed and ph, and only the stream's
	// prefix below target. amu guards target and working.
	amu       sync.Mutex
	aidle     *sync.Cond // on amu; broadcast when the worker stops
	target    int        // stream bytes final and ready for the worker
	decrypted int        // plaintext bytes decrypted (padding included)
	decAsked  int        // stream bytes given to dec
	working   bool

	proof [2 * HashLen]byte

	maxDecompressed int // 0: AutoCompressMaxSize
}

// NewReceiver starts receiving the resource adv describes over a link with
// the given Token key and MTU. The advertised number of parts must match
// the transfer size at this link's SDU.
func NewReceiver(adv *Advertisement, key []byte, mtu int) (*Receiver, error) {
	return NewReceiverBuffer(adv, key, mtu, nil)
}

// NewReceiverBuffer is NewReceiver assembling the stream in buf, which must
// be exactly adv.TransferSize bytes long, instead of in a buffer of its
// own (a buf of another length is not used). buf's contents do not
// matter. The stream is decrypted in place, so the data and metadata
// Assemble returns for an uncompressed resource alias buf: a caller that
// places buf where the data should end up saves copying it. The receiver
// owns buf until Assemble returns; after a failure or Cancel a routine of
// the receiver may still be writing it, so it must not be reused.
func NewReceiverBuffer(adv *Advertisement, key []byte, mtu int, buf []byte) (*Receiver, error) {
	sdu, err := SDU(mtu)
	if err != nil {
		return nil, err
	}
	tok, err := identity.NewToken(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	// The part count is derived from the transfer size at this link's
	// SDU, as the reference's Resource.accept does; the advertised n is
	// not trusted.
	if adv.TransferSize < 1 || adv.TransferSize > MaxTransferSize {
		return nil, fmt.Errorf("%w: transfer size %d", ErrAdvertisement, adv.TransferSize)
	}
	n := ceilDiv(adv.TransferSize, sdu)
	if hm := len(adv.Hashmap); hm == 0 || hm%MapHashLen != 0 || hm/MapHashLen > min(n, HashmapMaxLen) {
		return nil, fmt.Errorf("%w: hashmap of %d bytes", ErrAdvertisement, hm)
	}
	r := &Receiver{
		adv:     *adv,
		sdu:     sdu,
		status:  StatusTransferring,
		hashmap: make([]byte, n*MapHashLen),
		known:   make([]bool, n),
		stream:  buf,
		have:    make([]bool, n),
		win:     newWindow(),
	}
	if len(r.stream) != adv.TransferSize {
		r.stream = make([]byte, adv.TransferSize)
	}
	r.adv.Parts = n
	r.adv.Hashmap = nil
	r.adv.RequestID = bytes.Clone(adv.RequestID)
	r.setHashes(0, adv.Hashmap)
	if adv.Flags&FlagEncrypted != 0 {
		// A stream the token format cannot fit is reported by Assemble.
		if r.dec, r.decErr = tok.NewStreamDecrypter(adv.TransferSize); r.dec != nil && adv.Flags&FlagCompressed == 0 {
			r.ph = sha256x.New()
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

// AppendRequest appends the plaintext of the next part request to dst, as
// the reference's request_next builds it: the map hashes of up to Window
// missing parts among the Window parts after the last consecutive one.
// When it reaches a part whose map hash is not known yet, the request is
// marked exhausted and names the last known map hash, so the sender answers
// with a hashmap update; the receiver then waits for that update and
// appends nothing until UpdateHashmap or Retry. A failed receiver appends
// nothing either. The requested parts become the outstanding ones.
func (r *Receiver) AppendRequest(dst []byte) []byte {
	if r.waitingHMU || r.status == StatusFailed {
		return dst
	}
	// First pass: how many parts to request, and whether the scan runs
	// into a part whose map hash is unknown.
	exhausted, count, last := false, 0, r.next
	for i := r.next; i < len(r.have) && i < r.next+r.win.size && count < r.win.size; i++ {
		if r.have[i] {
			continue
		}
		if !r.known[i] {
			exhausted = true
			break
		}
		count++
		last = i + 1
	}
	if exhausted {
		h := max(r.height-1, 0)
		dst = append(dst, HashmapExhausted)
		dst = append(dst, r.hashmap[h*MapHashLen:(h+1)*MapHashLen]...)
		r.waitingHMU = true
	} else {
		dst = append(dst, HashmapNotExhausted)
	}
	dst = append(dst, r.adv.Hash[:]...)
	for i := r.next; i < last; i++ {
		if !r.have[i] {
			dst = append(dst, r.hashmap[i*MapHashLen:(i+1)*MapHashLen]...)
		}
	}
	r.outstanding = count
	return dst
}

// Retry prepares a new request after the sender did not answer in time, as
// the reference's watchdog does: the window (and the window's maximum)
// shrinks, and a pending hashmap-update wait is dropped so that
// AppendRequest asks again.
func (r *Receiver) Retry() {
	r.win.shrink()
	r.waitingHMU = false
}

// WaitingForHMU reports whether the last request asked for a hashmap
// update that has not arrived (the reference's waiting_for_hmu).
func (r *Receiver) WaitingForHMU() bool { return r.waitingHMU }

// Outstanding returns how many parts of the last request have not arrived
// (the reference's outstanding_parts).
func (r *Receiver) Outstanding() int { return r.outstanding }

// ConsecutiveHeight returns the index of the last part of the in-order
// prefix received so far, -1 before the first part (the reference's
// consecutive_completed_height).
func (r *Receiver) ConsecutiveHeight() int { return r.next - 1 }

// HashmapHeight returns how many map hashes are known (the reference's
// hashmap_height).
func (r *Receiver) HashmapHeight() int { return r.height }

// TotalParts returns the number of parts, derived from the transfer size
// and the SDU.
func (r *Receiver) TotalParts() int { return len(r.have) }

// SDU returns the part size on this receiver's link.
func (r *Receiver) SDU() int { return r.sdu }

// Progress returns the fraction of parts received, from 0 to 1 (the
// reference's get_progress for one segment).
func (r *Receiver) Progress() float64 {
	if r.status == StatusComplete {
		return 1
	}
	return float64(r.received) / float64(len(r.have))
}

// Cancel marks the transfer failed (the reference's cancel): every later
// part, hashmap update and request is ignored.
func (r *Receiver) Cancel() {
	if r.status == StatusTransferring || r.status == StatusAssembling {
		r.status = StatusFailed
	}
}

// UpdateHashmap applies a hashmap update plaintext: resource hash ||
// msgpack [segment, map hashes].
func (r *Receiver) UpdateHashmap(plaintext []byte) error {
	if r.status == StatusFailed {
		return ErrFailed
	}
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
	r.waitingHMU = false
	return nil
}

// ApplyHashmap files the map hashes of hashmap segment seg (the reference's
// hashmap_update), as a hashmap update carries them. Map hashes already
// known are not counted again, so applying a segment twice is harmless.
func (r *Receiver) ApplyHashmap(seg int, hashes []byte) error {
	if r.status == StatusFailed {
		return ErrFailed
	}
	if seg < 0 || len(hashes) == 0 || len(hashes)%MapHashLen != 0 || len(hashes)/MapHashLen > HashmapMaxLen ||
		seg*HashmapMaxLen+len(hashes)/MapHashLen > len(r.have) {
		return fmt.Errorf("%w: segment or hashmap out of range", ErrHashmapUpdate)
	}
	r.setHashes(seg, hashes)
	r.waitingHMU = false
	return nil
}

// AcceptPart files a received part (the data of a RESOURCE packet), as the
// reference's receive_part does: the part's map hash is looked up among the
// Window map hashes from the last consecutive part on, and the part is
// filed under the first missing one it matches. It copies part. A part
// beyond that window, or matching no known map hash, is refused with
// ErrPart, as is one of the wrong length for its place; a duplicate of a
// part already received is ignored and reported as false. When the last
// outstanding part of a request arrives and parts are still missing, the
// window grows by one (up to its maximum) and the caller should request
// again. A failed receiver refuses every part with ErrFailed.
func (r *Receiver) AcceptPart(part []byte) (bool, error) {
	if r.status == StatusFailed {
		return false, ErrFailed
	}
	if len(part) == 0 || len(part) > r.sdu {
		return false, fmt.Errorf("%w: %d bytes", ErrPart, len(part))
	}
	return r.accept(part, r.hs.mapHash(part, r.adv.RandomHash[:]))
}

// MapHashes returns the map hashes of two received parts, computed side
// by side (see sha256x), for AcceptPartHashed.
func (r *Receiver) MapHashes(a, b []byte) (ma, mb [MapHashLen]byte) {
	rh := r.adv.RandomHash[:]
	sa, sb := sha256x.Sum256x2(a, rh, b, rh)
	return [MapHashLen]byte(sa[:MapHashLen]), [MapHashLen]byte(sb[:MapHashLen])
}

// AcceptPartHashed is AcceptPart for a part whose map hash m the caller
// has computed with MapHashes, so that two parts that arrived together
// are hashed in the time of one.
func (r *Receiver) AcceptPartHashed(part []byte, m [MapHashLen]byte) (bool, error) {
	if r.status == StatusFailed {
		return false, ErrFailed
	}
	if len(part) == 0 || len(part) > r.sdu {
		return false, fmt.Errorf("%w: %d bytes", ErrPart, len(part))
	}
	return r.accept(part, m)
}

// accept files part under the first missing part its map hash m matches.
func (r *Receiver) accept(part []byte, m [MapHashLen]byte) (bool, error) {
	from := max(r.next-1, 0)
	to := min(from+r.win.size, len(r.have))
	dup := false
	for i := from; i < to; i++ {
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
		r.file(i, part)
		r.outstanding--
		if r.outstanding == 0 && !r.Done() {
			r.win.grow()
		}
		return true, nil
	}
	if dup {
		return false, nil
	}
	return false, ErrPart
}

// PutPart files data as part i without looking at its map hash. It is for
// tests and tools that assemble a stream they laid out themselves (a
// corrupted one, say); transfers use AcceptPart.
func (r *Receiver) PutPart(i int, data []byte) error {
	if r.status == StatusFailed {
		return ErrFailed
	}
	if i < 0 || i >= len(r.have) || r.have[i] {
		return fmt.Errorf("%w: part %d", ErrPart, i)
	}
	want := r.sdu
	if i == len(r.have)-1 {
		want = r.adv.TransferSize - i*r.sdu
	}
	if len(data) != want {
		return fmt.Errorf("%w: %d bytes for part %d of %d bytes", ErrPart, len(data), i, want)
	}
	r.file(i, data)
	return nil
}

// file stores part i and advances the in-order prefix.
func (r *Receiver) file(i int, part []byte) {
	copy(r.stream[i*r.sdu:], part)
	r.have[i] = true
	r.received++
	if i == r.next {
		for r.next < len(r.have) && r.have[r.next] {
			r.next++
		}
		r.advance()
	}
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

// work authenticates and decrypts the stream, workStep bytes at a time,
// until it has caught up with target. For an uncompressed resource it
// also hashes the plaintext, each step's alongside the authentication of
// the next (sha256x.Write2, which costs about as much as one of the two),
// and the last step's on its own once it has caught up. The last
// decrypted block may hold padding: it is left for Assemble.
func (r *Receiver) work() {
	for {
		r.amu.Lock()
		t := r.target
		r.amu.Unlock()
		next := min(t, r.decAsked+workStep)
		var p []byte
		if r.ph != nil {
			if end := min(r.decrypted-aes.BlockSize, r.hashed+workStep); end > r.hashed {
				p = r.stream[identity.TokenIVLen+r.hashed : identity.TokenIVLen+end]
			}
		}
		if next <= r.decAsked && len(p) == 0 {
			r.amu.Lock()
			if r.target == t {
				r.working = false
				r.aidle.Broadcast()
				r.amu.Unlock()
				return
			}
			r.amu.Unlock()
			continue
		}
		r.decAsked = max(next, r.decAsked)
		if r.ph != nil {
			r.decrypted = r.dec.AdvanceAlong(r.stream, r.decAsked, r.ph, p)
			r.hashed += len(p)
		} else {
			r.decrypted = r.dec.Advance(r.stream, r.decAsked)
		}
	}
}

// settle waits until the workers, if any, have stopped.
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
	if r.status == StatusFailed {
		return nil, nil, ErrFailed
	}
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
		limit := min(r.adv.DataSize, r.DecompressLimit())
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

// DecompressLimit returns the ceiling on a segment's decompressed size,
// AutoCompressMaxSize unless SetDecompressLimit lowered it (the
// reference's max_decompressed_size). Assemble also refuses output larger
// than the advertised data size, so a decompression bomb costs at most the
// smaller of the two; either way it fails with ErrTooLarge.
func (r *Receiver) DecompressLimit() int {
	if r.maxDecompressed > 0 {
		return r.maxDecompressed
	}
	return AutoCompressMaxSize
}

// SetDecompressLimit sets the ceiling on a segment's decompressed size; n
// <= 0 restores AutoCompressMaxSize.
func (r *Receiver) SetDecompressLimit(n int) { r.maxDecompressed = max(n, 0) }

// Proof returns the data of the RESOURCE_PRF proof packet: resource hash ||
// SHA-256(data || resource hash), or nil before Assemble succeeded.
func (r *Receiver) Proof() []byte {
	if r.status != StatusComplete {
		return nil
	}
	return bytes.Clone(r.proof[:])
}
