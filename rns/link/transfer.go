package link

import (
	"bytes"
	"context"
	"crypto/aes"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/wire"
)

// Resource transfer errors. A Transfer's Err wraps one of them (or ErrClosed
// when the link closed under it); test with errors.Is.
var (
	// ErrResourceRejected reports an advertisement the receiver refused.
	ErrResourceRejected = errors.New("link: resource rejected by receiver")
	// ErrResourceCanceled reports a transfer canceled by either side.
	ErrResourceCanceled = errors.New("link: resource transfer canceled")
	// ErrResourceTimeout reports a transfer that ran out of retries.
	ErrResourceTimeout = errors.New("link: resource transfer timed out")
	// ErrResourceCorrupt reports received data that failed verification.
	ErrResourceCorrupt = errors.New("link: resource data corrupt")
	// ErrResourceDuplicate reports an advertisement of a resource already
	// being received on the link.
	ErrResourceDuplicate = errors.New("link: resource already being received")
)

// ResourceStrategy tells a link what to do with resource advertisements
// (the reference's ACCEPT_NONE, ACCEPT_APP and ACCEPT_ALL).
type ResourceStrategy uint8

// Resource strategies.
const (
	// AcceptNone refuses every advertisement. Unlike the reference, which
	// ignores it silently, the link answers with RESOURCE_RCL so that the
	// sender fails at once instead of after its advertisement retries.
	AcceptNone ResourceStrategy = iota
	// AcceptApp asks ResourceConfig.Accept about each advertisement.
	AcceptApp
	// AcceptAll accepts every advertisement within MaxSize.
	AcceptAll
)

// DefaultResourceMaxSize is the largest incoming resource (data and
// metadata together) a link accepts when ResourceConfig.MaxSize is zero.
const DefaultResourceMaxSize = 16 << 20

// Resource timing, named after the fields of RNS/Resource.py.
const (
	resPartTimeoutFactor  = resource.PartTimeoutFactor
	resPartTimeoutAfterRT = resource.PartTimeoutFactorAfterRTT
	resProofTimeoutFactor = resource.ProofTimeoutFactor
	resMaxRetries         = resource.MaxRetries
	resMaxAdvRetries      = resource.MaxAdvRetries
	resSenderGrace        = resource.SenderGrace
	resProcessingGrace    = time.Second
	resRetryGrace         = 250 * time.Millisecond
	resPerRetryDelay      = 500 * time.Millisecond
	resHMUWaitFactor      = 4
	resTrafficTimeout     = 6 // Link.TRAFFIC_TIMEOUT_FACTOR
	// resEstablishmentCost approximates the bytes of a link handshake, which
	// the reference uses for its first rate estimate.
	resEstablishmentCost = 300
	resEventQueue        = 512
	resBuildRetries      = 8
)

// ResourceInfo describes an advertised incoming resource.
type ResourceInfo struct {
	Hash          [resource.HashLen]byte // original hash
	Size          int                    // data and metadata, uncompressed
	TransferSize  int                    // bytes on the wire, first segment
	Segments      int
	Compressed    bool
	HasMetadata   bool
	RequestID     []byte
	IsRequest     bool // flagged as a request sent as a resource
	IsResponse    bool // flagged as a response sent as a resource
	Advertisement *resource.Advertisement
}

// ResourceConfig configures how a link receives resources. Its callbacks
// run on the transfer's own routine and should return promptly.
type ResourceConfig struct {
	// Strategy decides which advertisements are accepted; the zero value
	// is AcceptNone.
	Strategy ResourceStrategy
	// Accept decides for AcceptApp; nil refuses everything.
	Accept func(l *Link, info ResourceInfo) bool
	// MaxSize is the largest total size (data and metadata) accepted; 0
	// means DefaultResourceMaxSize. Larger advertisements are refused.
	MaxSize int
	// MaxDecompressed caps what one compressed segment may decompress to;
	// 0 means resource.AutoCompressMaxSize. A segment that decompresses to
	// more (or to more than advertised) is a decompression bomb: the
	// transfer fails as corrupt, the sender is told (RESOURCE_RCL) and the
	// link is torn down, as the reference does.
	MaxDecompressed int
	// OnStarted runs when an incoming transfer is accepted.
	OnStarted func(t *Transfer)
	// OnProgress runs when parts of an incoming transfer arrive.
	OnProgress func(t *Transfer)
	// OnConcluded runs once when an incoming transfer completes (Err is
	// nil and Data holds the data) or fails.
	OnConcluded func(t *Transfer)
	// Sink, if not nil, streams incoming data instead of keeping it in
	// memory. It runs on the link's packet routine for each accepted
	// advertisement (after Strategy, Accept and MaxSize allowed it), before
	// OnStarted; an error refuses the resource. Each segment is verified,
	// written to the sink in order and released before it is proven, so a
	// receiver holds about one segment (resource.MaxEfficientSize) at a
	// time whatever the resource's size; a write error cancels the
	// transfer. The data written excludes the metadata, which Data still
	// returns; Data returns nil data. On success the sink is closed with
	// Close (an error from Close fails the transfer) before the last
	// segment is proven; on failure it is closed with CloseWithError(err)
	// if it has that method (as *io.PipeWriter does), with Close
	// otherwise. The sink is closed exactly once, on the transfer's
	// routine, before OnConcluded runs. MaxSize still bounds the
	// advertised size: raise it for large streamed resources.
	Sink func(l *Link, info ResourceInfo) (io.WriteCloser, error)
}

// sinkAborter is the optional method a Sink's writer may have to learn
// that the transfer failed.
type sinkAborter interface {
	CloseWithError(err error) error
}

// ResourceOptions are the options of SendResource.
type ResourceOptions struct {
	// Metadata is packed msgpack sent in front of the data (at most
	// resource.MetadataMaxSize bytes), or nil.
	Metadata []byte
	// NoCompress disables bzip2 compression; by default each segment is
	// compressed and sent compressed when that makes it smaller.
	NoCompress bool
	// OnProgress runs on the transfer's routine when parts are sent.
	OnProgress func(t *Transfer)
	// RequestID marks the resource as a request (or, with IsResponse, a
	// response) sent as a resource because it exceeds one packet
	// (package request sets these).
	RequestID  []byte
	IsResponse bool
	// MapHasher, if not nil, replaces the map hash function of the
	// resource's builds (resource.Params.MapHasher): a test seam, to force
	// the map hash collisions after which a build is retried with a fresh
	// random hash.
	MapHasher func(part, randomHash []byte) [resource.MapHashLen]byte
}

// Transfer is one resource transfer, outgoing (SendResource) or incoming
// (accepted by ResourceConfig). Its methods are safe for concurrent use.
type Transfer struct {
	l        *Link
	incoming bool
	cancel   chan struct{}
	once     sync.Once
	done     chan struct{}
	ctx      context.Context

	onProgress  func(*Transfer)
	onConcluded func(*Transfer)

	// Event queue, filled by the link's packet routine (post) and drained
	// by the transfer's routine (wait), in arrival order. Resource parts
	// beyond resEventQueue queued ones are dropped (missing parts are
	// requested again); control events are never dropped.
	evMu    sync.Mutex
	evQ     []resEvent
	evParts int           // parts in evQ
	evReady chan struct{} // signaled (capacity 1) when evQ grows

	mu         sync.Mutex
	status     resource.Status
	err        error
	hash       [resource.HashLen]byte // original hash
	size       int
	segment    int
	segments   int
	partsDone  int
	partsTotal int
	requests   int // distinct part requests served (outgoing)
	data, meta []byte
	hmuAsked   int // requests that asked for a hashmap update
	hmuGot     int // hashmap updates received

	// Owned by the transfer's routine.
	cur          [resource.HashLen]byte // current segment hash
	rtt          time.Duration
	retries      int
	lastActivity time.Time

	// Sender.
	src    []byte      // SendResource's data, or nil
	srcAt  io.ReaderAt // SendResourceFrom's reader, or nil
	srcLen int         // data length, without metadata
	// mtuOverride, if positive, replaces the link MTU (BuildResource).
	mtuOverride int
	// serving marks a resource RegisterOutgoingResource registered.
	serving bool
	opts    ResourceOptions
	res     *resource.Resource
	advAt   time.Time
	lastTx  time.Time

	// Receiver.
	rcv             *resource.Receiver
	maxDecompressed int // ResourceConfig.MaxDecompressed
	reqSent         time.Time
	reqSentBytes    int
	reqResp         time.Time
	partFactor      float64
	reqRespRate     float64
	reqDataRate     float64
	rxBytes         int
	rxBytesAtReq    int
	waitingNext     bool
	nextDeadline    time.Time
	receivedBytes   []byte
	copying         sync.WaitGroup // the copy of a segment into receivedBytes; see collect
	rxData          int            // data bytes received (all segments)
	rxPooled        *streamBuf     // the current segment's stream buffer, from streamPool, or nil
	sink            io.WriteCloser // streaming receiver, or nil
	sinkClosed      bool
}

type resEvent struct {
	ctx    wire.Context
	data   []byte
	pooled *[]byte                // data's buffer, from partPool; see release
	hash   [wire.FullHashLen]byte // the packet's hash, for requests
}

// resources is a link's table of transfers.
type resources struct {
	mu   sync.Mutex
	wg   sync.WaitGroup
	out  map[[resource.HashLen]byte]*Transfer // by current segment hash
	in   map[[resource.HashLen]byte]*Transfer // by current segment hash
	cont map[[resource.HashLen]byte]*Transfer // by original hash, awaiting the next segment
	// lastWindow is the request window the last incoming segment ended
	// with, where the next one starts (the reference's
	// last_resource_window); 0 before the first.
	lastWindow int
}

func (r *resources) init() {
	if r.out == nil {
		r.out = map[[resource.HashLen]byte]*Transfer{}
		r.in = map[[resource.HashLen]byte]*Transfer{}
		r.cont = map[[resource.HashLen]byte]*Transfer{}
	}
}

// Done is closed when the transfer completes or fails.
func (t *Transfer) Done() <-chan struct{} { return t.done }

// Wait blocks until the transfer ends or ctx ends and returns Err.
func (t *Transfer) Wait(ctx context.Context) error {
	select {
	case <-t.done:
		return t.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Err is nil while running and after success, the failure otherwise.
func (t *Transfer) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Status returns the transfer's state.
func (t *Transfer) Status() resource.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

// Incoming reports whether this end receives the resource.
func (t *Transfer) Incoming() bool { return t.incoming }

// Link returns the link the transfer runs on.
func (t *Transfer) Link() *Link { return t.l }

// Hash returns the resource's original hash (that of its first segment).
func (t *Transfer) Hash() [resource.HashLen]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.hash
}

// Size returns the total size of data and metadata block.
func (t *Transfer) Size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size
}

// Progress returns the fraction of the transfer done, from 0 to 1.
func (t *Transfer) Progress() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == resource.StatusComplete {
		return 1
	}
	if t.segments == 0 || t.partsTotal == 0 {
		return 0
	}
	return (float64(t.segment-1) + float64(t.partsDone)/float64(t.partsTotal)) / float64(t.segments)
}

// Data returns the received data and packed metadata (nil if none) of a
// completed incoming transfer. With a ResourceConfig.Sink the data went to
// the sink and Data returns nil data.
func (t *Transfer) Data() (data, metadata []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.data, t.meta
}

// Cancel stops the transfer and tells the peer (RESOURCE_ICL from the
// sender, RESOURCE_RCL from the receiver). It is idempotent.
func (t *Transfer) Cancel() { t.once.Do(func() { close(t.cancel) }) }

// Segments returns the 1-based index of the segment in flight and the
// number of segments (0, 0 before the first segment is known).
func (t *Transfer) Segments() (index, total int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.segment, t.segments
}

// Parts returns how many parts of the current segment are done and how
// many it has.
func (t *Transfer) Parts() (done, total int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.partsDone, t.partsTotal
}

// HashmapUpdates returns, for an incoming transfer, how many of its
// requests asked for a hashmap update (the receiver had run out of map
// hashes) and how many hashmap updates (RESOURCE_HMU) arrived.
func (t *Transfer) HashmapUpdates() (requested, received int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.hmuAsked, t.hmuGot
}

func (t *Transfer) setProgress(done, total int) {
	t.mu.Lock()
	t.partsDone, t.partsTotal = done, total
	t.mu.Unlock()
}

func (t *Transfer) setStatus(s resource.Status) {
	t.mu.Lock()
	t.status = s
	t.mu.Unlock()
}

// SendResource starts sending data (and opts.Metadata) as a resource and
// returns at once; wait on the Transfer. Data larger than
// resource.MaxEfficientSize is sent as consecutive segments. Ending ctx
// cancels the transfer. data must not be modified until the transfer ends.
func (l *Link) SendResource(ctx context.Context, data []byte, opts ResourceOptions) (*Transfer, error) {
	return l.sendResource(ctx, data, nil, len(data), opts)
}

// SendResourceFrom is SendResource for the size bytes that r holds from
// offset 0. It reads one segment (at most resource.MaxEfficientSize bytes)
// at a time, when that segment is built, so the sender holds about two
// segments whatever the size; the bytes on the wire are those SendResource
// sends for the same data. A read error (a short read included) fails the
// transfer. r must keep returning the same bytes until the transfer ends;
// reads may run on a routine of their own but never concurrently.
func (l *Link) SendResourceFrom(ctx context.Context, r io.ReaderAt, size int64, opts ResourceOptions) (*Transfer, error) {
	if r == nil || size < 0 || size > int64(math.MaxInt-resource.MetadataMaxSize-3) {
		return nil, fmt.Errorf("%w: size %d", resource.ErrTooLarge, size)
	}
	return l.sendResource(ctx, nil, r, int(size), opts)
}

func (l *Link) sendResource(ctx context.Context, data []byte, r io.ReaderAt, size int, opts ResourceOptions) (*Transfer, error) {
	if st := l.Status(); st == StatusClosed {
		return nil, ErrClosed
	} else if st != StatusActive && st != StatusStale {
		return nil, ErrNotActive
	}
	if opts.Metadata != nil && len(opts.Metadata) > resource.MetadataMaxSize {
		return nil, resource.ErrTooLarge
	}
	l.mu.Lock()
	key := l.key
	l.mu.Unlock()
	if key == nil {
		return nil, ErrNotActive
	}
	if ctx == nil {
		ctx = context.Background()
	}
	total := size
	if opts.Metadata != nil {
		total += 3 + len(opts.Metadata)
	}
	t := l.newTransfer(false)
	t.ctx = ctx
	t.src, t.srcAt, t.srcLen, t.opts = data, r, size, opts
	t.onProgress = opts.OnProgress
	t.size = total
	t.segments = max(1, (total+resource.MaxEfficientSize-1)/resource.MaxEfficientSize)
	t.status = resource.StatusQueued
	l.res.wg.Add(1)
	go t.runSender()
	return t, nil
}

func (l *Link) newTransfer(incoming bool) *Transfer {
	return &Transfer{
		l: l, incoming: incoming,
		cancel: make(chan struct{}), done: make(chan struct{}),
		ctx: context.Background(), segment: 1, retries: resMaxRetries,
		evReady: make(chan struct{}, 1),
	}
}

// segmentRange returns the data range and metadata of segment i (from 1),
// split as the reference splits files: the first segment holds the
// metadata block and MaxEfficientSize minus its size of data.
func (t *Transfer) segmentRange(i int) (start, end int, meta []byte) {
	n := t.srcLen
	if t.segments == 1 {
		return 0, n, t.opts.Metadata
	}
	first := resource.MaxEfficientSize
	if t.opts.Metadata != nil {
		first -= 3 + len(t.opts.Metadata)
		meta = t.opts.Metadata
	}
	if i == 1 {
		return 0, min(first, n), meta
	}
	start = first + (i-2)*resource.MaxEfficientSize
	return min(start, n), min(start+resource.MaxEfficientSize, n), nil
}

// segmentData returns the data and metadata of segment i (from 1): a
// slice of SendResource's data, or a fresh buffer read from
// SendResourceFrom's reader.
func (t *Transfer) segmentData(i int) (data, meta []byte, err error) {
	start, end, meta := t.segmentRange(i)
	if t.srcAt == nil {
		return t.src[start:end], meta, nil
	}
	data = make([]byte, end-start)
	// ReadAt reads everything or says why not; io.EOF may come with a
	// full read of the last bytes.
	if n, err := t.srcAt.ReadAt(data, int64(start)); n < len(data) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, fmt.Errorf("link: reading resource segment %d: %w", i, err)
	}
	return data, meta, nil
}

// segmentParams returns the build parameters of segment i with fresh
// random fields, without Data and Metadata (see segmentData).
func (t *Transfer) segmentParams(i int) (*resource.Params, error) {
	l := t.l
	l.mu.Lock()
	key, mtu := l.key, l.mtu
	l.mu.Unlock()
	if t.mtuOverride > 0 {
		mtu = t.mtuOverride
	}
	p := &resource.Params{
		Key: key, MTU: mtu, Compress: !t.opts.NoCompress,
		SegmentIndex: i, TotalSegments: t.segments,
		RequestID: t.opts.RequestID, IsResponse: t.opts.IsResponse,
		MapHasher: t.opts.MapHasher,
	}
	if i > 1 {
		h := t.hash
		p.OriginalHash = h[:]
	}
	for _, b := range [][]byte{p.Prefix[:], p.IV[:], p.RandomHash[:]} {
		if _, err := io.ReadFull(l.cfg.Rand, b); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (t *Transfer) buildSegment(i int) (*resource.Resource, error) {
	return t.buildSegmentIn(i, nil)
}

// buildSegmentIn builds segment i, with its stream in buf if buf is large
// enough.
func (t *Transfer) buildSegmentIn(i int, buf []byte) (*resource.Resource, error) {
	data, meta, err := t.segmentData(i)
	if err != nil {
		return nil, err
	}
	for range resBuildRetries {
		var p *resource.Params
		if p, err = t.segmentParams(i); err != nil {
			return nil, err
		}
		p.Data, p.Metadata, p.StreamBuf = data, meta, buf
		var r *resource.Resource
		r, err = resource.Build(p)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, resource.ErrCollision) {
			return nil, err
		}
	}
	return nil, err
}

// builtSegment is the outcome of a segment built ahead.
type builtSegment struct {
	r   *resource.Resource
	buf *streamBuf // from streamPool, holding r's stream
	err error
}

// buildAhead starts building segment i on its own routine, so that the
// next segment is ready when the current one is proven. The random fields
// are read here, on the sender's routine, as buildSegment reads them; the
// data is read on the build routine.
func (t *Transfer) buildAhead(i int) <-chan builtSegment {
	ch := make(chan builtSegment, 1)
	p, err := t.segmentParams(i)
	if err != nil {
		ch <- builtSegment{err: err}
		return ch
	}
	t.l.res.wg.Add(1) // the sender's own count keeps the group busy
	go func() {
		defer t.l.res.wg.Done()
		data, meta, err := t.segmentData(i)
		if err != nil {
			ch <- builtSegment{err: err}
			return
		}
		buf := streamPool.Get().(*streamBuf)
		p.Data, p.Metadata, p.StreamBuf = data, meta, buf[:]
		r, err := resource.Build(p)
		ch <- builtSegment{r, buf, err}
	}()
	return ch
}

// exit finishes the transfer with err (nil for success) and runs the
// concluded callback.
func (t *Transfer) exit(err error) {
	l := t.l
	l.res.mu.Lock()
	if t.incoming {
		if l.res.in[t.cur] == t {
			delete(l.res.in, t.cur)
		}
		if l.res.cont[t.hash] == t {
			delete(l.res.cont, t.hash)
		}
	} else if l.res.out[t.cur] == t {
		delete(l.res.out, t.cur)
	}
	l.res.mu.Unlock()
	t.mu.Lock()
	t.err = err
	switch {
	case err == nil:
		t.status = resource.StatusComplete
	case errors.Is(err, ErrResourceRejected):
		t.status = resource.StatusRejected
	case errors.Is(err, ErrResourceCorrupt):
		t.status = resource.StatusCorrupt
	default:
		t.status = resource.StatusFailed
	}
	t.mu.Unlock()
	close(t.done)
	if err != nil {
		l.cfg.Logf("link %s: resource %x: %v", l.id, t.cur[:8], err)
	}
	if t.onConcluded != nil {
		t.onConcluded(t)
	}
}

// sendCancel tells the peer the transfer is canceled.
func (t *Transfer) sendCancel() {
	ctx := wire.ContextResourceICL
	if t.incoming {
		ctx = wire.ContextResourceRCL
	}
	_, _ = t.l.SendPacket(wire.Data, ctx, t.cur[:])
}

func (t *Transfer) linkRTT() time.Duration {
	return max(t.l.RTT(), time.Millisecond)
}

// wait blocks until an event, the deadline, cancellation or link close. It
// returns the event, or ok=false with a non-nil err to stop, or ok=false and
// err=nil on timeout.
func (t *Transfer) wait(timer *time.Timer, deadline time.Time) (ev resEvent, ok bool, err error) {
	d := time.Until(deadline)
	if d <= 0 {
		return ev, false, nil
	}
	if ev, ok = t.next(); ok {
		return ev, true, nil
	}
	timer.Reset(d)
	defer timer.Stop()
	for {
		select {
		case <-t.evReady:
			if ev, ok = t.next(); ok {
				return ev, true, nil
			}
		case <-timer.C:
			return ev, false, nil
		case <-t.l.done:
			return ev, false, ErrClosed
		case <-t.cancel:
			t.sendCancel()
			return ev, false, ErrResourceCanceled
		case <-t.ctx.Done():
			t.sendCancel()
			return ev, false, fmt.Errorf("%w: %w", ErrResourceCanceled, t.ctx.Err())
		}
	}
}

// next takes the oldest queued event, if any.
func (t *Transfer) next() (ev resEvent, ok bool) { return t.take(false) }

// nextPart takes the oldest queued event if it is a resource part.
func (t *Transfer) nextPart() (ev resEvent, ok bool) { return t.take(true) }

func (t *Transfer) take(partOnly bool) (ev resEvent, ok bool) {
	t.evMu.Lock()
	defer t.evMu.Unlock()
	if len(t.evQ) == 0 || partOnly && t.evQ[0].ctx != wire.ContextResource {
		return ev, false
	}
	ev = t.evQ[0]
	t.evQ[0] = resEvent{}
	t.evQ = t.evQ[1:]
	if len(t.evQ) == 0 {
		t.evQ = nil // let the backing array go
	}
	if ev.ctx == wire.ContextResource {
		t.evParts--
	}
	return ev, true
}

// runSender is the sender's routine: segment after segment, advertise,
// answer requests, wait for the proof.
func (t *Transfer) runSender() {
	defer t.l.res.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var ahead <-chan builtSegment
	for i := 1; i <= t.segments; i++ {
		var err error
		if ahead, err = t.sendSegment(i, ahead, timer); err != nil {
			t.exit(err)
			return
		}
	}
	t.exit(nil)
}

// sendSegment sends segment i, built ahead if ahead is not nil, and
// returns the build of segment i+1 it started, if any.
func (t *Transfer) sendSegment(i int, ahead <-chan builtSegment, timer *time.Timer) (next <-chan builtSegment, err error) {
	l := t.l
	var r *resource.Resource
	var buf *streamBuf // r's stream buffer, recycled once r is proven
	if ahead != nil {
		b := <-ahead
		r, buf, err = b.r, b.buf, b.err
	}
	if ahead == nil || errors.Is(err, resource.ErrCollision) {
		if buf == nil {
			buf = streamPool.Get().(*streamBuf)
		}
		r, err = t.buildSegmentIn(i, buf[:])
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && next != nil {
			<-next // let the build finish before the transfer ends
			next = nil
		}
	}()
	if err := t.waitTurn(r.Hash, timer); err != nil {
		return next, err
	}
	t.mu.Lock()
	if i == 1 {
		t.hash = r.Hash
	}
	t.segment, t.partsDone, t.partsTotal = i, 0, r.NumParts()
	t.status = resource.StatusAdvertised
	t.mu.Unlock()
	t.res = r
	adv := r.Advertisement()
	adv.DataSize = t.size
	advPT, err := adv.Marshal()
	if err != nil {
		return next, err
	}
	if _, err := l.SendPacket(wire.Data, wire.ContextResourceAdv, advPT); err != nil {
		return next, err
	}
	if i < t.segments {
		next = t.buildAhead(i + 1)
	}
	t.rtt = t.linkRTT()
	now := time.Now()
	t.advAt, t.lastActivity = now, now
	advRetries := resMaxAdvRetries
	pkt := make([]byte, 0, wire.HeaderMinSize+r.SDU)
	t.retries = resMaxRetries
	status := resource.StatusAdvertised
	for {
		var deadline time.Time
		switch status {
		case resource.StatusAdvertised:
			deadline = t.advAt.Add(resTrafficTimeout*t.rtt + resProcessingGrace)
		case resource.StatusTransferring:
			var extra time.Duration
			for r := range resMaxRetries {
				extra += time.Duration(r+1) * resPerRetryDelay
			}
			deadline = t.lastActivity.Add(t.rtt*resTrafficTimeout*resMaxRetries + resSenderGrace + extra)
		case resource.StatusAwaitingProof:
			deadline = t.lastTx.Add(t.rtt*resProofTimeoutFactor + resSenderGrace)
		}
		ev, ok, err := t.wait(timer, deadline)
		if err != nil {
			return next, err
		}
		if !ok {
			switch status {
			case resource.StatusAdvertised:
				if advRetries <= 0 {
					t.sendCancel()
					return next, fmt.Errorf("%w: no part requests", ErrResourceTimeout)
				}
				advRetries--
				if _, err := l.SendPacket(wire.Data, wire.ContextResourceAdv, advPT); err != nil {
					return next, err
				}
				t.advAt, t.lastActivity = time.Now(), time.Now()
			case resource.StatusTransferring:
				t.sendCancel()
				return next, fmt.Errorf("%w: waiting for part requests", ErrResourceTimeout)
			case resource.StatusAwaitingProof:
				if t.retries <= 0 {
					t.sendCancel()
					return next, fmt.Errorf("%w: waiting for proof", ErrResourceTimeout)
				}
				t.retries--
				t.lastTx = time.Now()
			}
			continue
		}
		switch ev.ctx {
		case wire.ContextResourceReq:
			n, ok, err := t.serveRequest(r, ev, &pkt)
			if err != nil {
				return next, err
			}
			if !ok {
				continue
			}
			if status == resource.StatusAdvertised {
				status = resource.StatusTransferring
				t.setStatus(status)
			}
			t.lastActivity = time.Now()
			t.retries = resMaxRetries
			t.lastTx = t.lastActivity
			if r.SentParts() == r.NumParts() && status != resource.StatusAwaitingProof {
				status = resource.StatusAwaitingProof
				t.setStatus(status)
			}
			if t.onProgress != nil && n > 0 {
				t.onProgress(t)
			}
		case wire.ContextResourcePRF:
			if r.VerifyProof(ev.data) == nil {
				// Nothing reads the stream once it is proven: every
				// part went out synchronously.
				t.res = nil
				streamPool.Put(buf)
				return next, nil
			}
		case wire.ContextResourceRCL:
			return next, ErrResourceRejected
		}
	}
}

// serveRequest answers a part request for r, as the reference's
// Resource.request does: the requested parts and, if the receiver ran out
// of map hashes, a hashmap update go out. A request for another resource,
// or a re-delivered copy of one already served (the same packet hash, the
// reference's req_hashlist), is ignored (ok false). A hashmap sequencing
// error cancels the transfer after the parts went out. n is the number of
// parts sent.
func (t *Transfer) serveRequest(r *resource.Resource, ev resEvent, pkt *[]byte) (n int, ok bool, err error) {
	if q, err := resource.DecodeRequest(ev.data); err != nil || q.Hash != r.Hash {
		return 0, false, nil
	}
	if ev.hash != ([wire.FullHashLen]byte{}) && !r.NoteRequest(ev.hash) {
		return 0, false, nil
	}
	parts, hmu, herr := r.HandleRequest(ev.data)
	if errors.Is(herr, resource.ErrFailed) {
		return 0, false, nil
	}
	l := t.l
	for _, p := range parts {
		// Interfaces never keep a packet after Send returns, so one
		// buffer serves every part.
		*pkt = r.AppendPartPacket((*pkt)[:0], l.id, p)
		if err := l.sendRaw(*pkt); err != nil {
			return 0, true, err
		}
	}
	if herr != nil {
		t.sendCancel()
		return len(parts), true, fmt.Errorf("%w: %w", ErrResourceCanceled, herr)
	}
	if hmu != nil {
		if _, err := l.SendPacket(wire.Data, wire.ContextResourceHMU, hmu); err != nil {
			return len(parts), true, err
		}
	}
	t.mu.Lock()
	t.partsDone, t.partsTotal, t.requests = r.SentParts(), r.NumParts(), r.Requests()
	t.mu.Unlock()
	return len(parts), true, nil
}

// Requests returns, for an outgoing transfer, how many distinct part
// requests (by packet hash) the current segment has served.
func (t *Transfer) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// queuePoll is how often a queued outgoing resource looks whether the
// link is free (the reference's advertise job polls every 250 ms).
const queuePoll = 250 * time.Millisecond

// waitTurn registers t as the link's outgoing resource under h once no
// other outgoing resource is registered: a link advertises one outgoing
// resource at a time (the reference's Link.ready_for_new_resource), and a
// transfer waiting for its turn is QUEUED.
func (t *Transfer) waitTurn(h [resource.HashLen]byte, timer *time.Timer) error {
	l := t.l
	for {
		l.res.mu.Lock()
		l.res.init()
		busy := false
		for _, o := range l.res.out {
			if o != t {
				busy = true
				break
			}
		}
		if !busy {
			if l.res.out[t.cur] == t {
				delete(l.res.out, t.cur)
			}
			t.cur = h
			l.res.out[h] = t
			l.res.mu.Unlock()
			return nil
		}
		l.res.mu.Unlock()
		t.setStatus(resource.StatusQueued)
		timer.Reset(queuePoll)
		select {
		case <-timer.C:
		case <-l.done:
			timer.Stop()
			return ErrClosed
		case <-t.cancel:
			timer.Stop()
			return ErrResourceCanceled
		case <-t.ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w: %w", ErrResourceCanceled, t.ctx.Err())
		}
	}
}

// ReadyForNewResource reports whether the link has no outgoing resource,
// so that a new one would be advertised at once rather than queued (the
// reference's Link.ready_for_new_resource).
func (l *Link) ReadyForNewResource() bool {
	l.res.mu.Lock()
	defer l.res.mu.Unlock()
	return len(l.res.out) == 0
}

// RegisterOutgoingResource registers r, built with BuildResource, as an
// outgoing resource of the link without advertising it (the reference's
// Link.register_outgoing_resource): the returned transfer answers part
// requests for r and ends on its proof or a cancel, and it holds the
// link's outgoing slot, so that resources sent meanwhile queue behind it.
// It has no timeouts; CancelOutgoingResource or the transfer's Cancel ends
// it.
func (l *Link) RegisterOutgoingResource(r *resource.Resource) (*Transfer, error) {
	if l.Status() == StatusClosed {
		return nil, ErrClosed
	}
	l.res.mu.Lock()
	defer l.res.mu.Unlock()
	l.res.init()
	if _, dup := l.res.out[r.Hash]; dup {
		return nil, ErrResourceDuplicate
	}
	t := l.newTransfer(false)
	t.serving = true
	t.cur, t.hash, t.res = r.Hash, r.Hash, r
	t.status = resource.StatusAdvertised
	t.segments, t.partsTotal, t.size = r.TotalSegments, r.NumParts(), r.DataSize
	l.res.out[r.Hash] = t
	l.res.wg.Add(1)
	go t.runServe()
	return t, nil
}

// CancelOutgoingResource cancels the transfer RegisterOutgoingResource
// started for r, if it is still registered.
func (l *Link) CancelOutgoingResource(r *resource.Resource) {
	l.res.mu.Lock()
	t := l.res.out[r.Hash]
	l.res.mu.Unlock()
	if t != nil && t.serving {
		t.Cancel()
	}
}

// runServe is the routine of a registered resource: answer requests until
// the proof, a rejection or a cancel.
func (t *Transfer) runServe() {
	defer t.l.res.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	r := t.res
	pkt := make([]byte, 0, wire.HeaderMinSize+r.SDU)
	for {
		ev, ok, err := t.wait(timer, time.Now().Add(time.Hour))
		if err != nil {
			t.exit(err)
			return
		}
		if !ok {
			continue
		}
		switch ev.ctx {
		case wire.ContextResourceReq:
			if _, ok, err := t.serveRequest(r, ev, &pkt); err != nil {
				t.exit(err)
				return
			} else if ok {
				st := resource.StatusTransferring
				if r.SentParts() == r.NumParts() {
					st = resource.StatusAwaitingProof
				}
				t.setStatus(st)
			}
		case wire.ContextResourcePRF:
			if r.VerifyProof(ev.data) == nil {
				t.exit(nil)
				return
			}
		case wire.ContextResourceRCL:
			t.exit(ErrResourceRejected)
			return
		}
	}
}

// sendRaw sends a packet built outside the session (resource parts).
func (l *Link) sendRaw(raw []byte) error {
	l.mu.Lock()
	st, attached := l.status, l.attached
	l.mu.Unlock()
	if st == StatusClosed {
		return ErrClosed
	}
	return l.send(raw, attached)
}

// handleResource routes a resource packet (plaintext already decrypted
// where the context is encrypted) to its transfer. pt must not be retained
// by the caller afterwards.
//
// packetHash is the packet's hash, which tells re-delivered copies of a
// part request apart (zero if unknown).
func (l *Link) handleResource(ctx wire.Context, pt []byte, packetHash [wire.FullHashLen]byte) {
	switch ctx {
	case wire.ContextResourceAdv:
		l.handleAdvertisement(pt)
		return
	case wire.ContextResource:
		l.handlePart(pt)
		return
	}
	var h [resource.HashLen]byte
	off := 0
	if ctx == wire.ContextResourceReq {
		off = 1
		if len(pt) > 0 && pt[0] == resource.HashmapExhausted {
			off += resource.MapHashLen
		}
	}
	if len(pt) < off+resource.HashLen {
		return
	}
	copy(h[:], pt[off:])
	l.res.mu.Lock()
	defer l.res.mu.Unlock()
	var t *Transfer
	switch ctx {
	case wire.ContextResourceReq, wire.ContextResourcePRF, wire.ContextResourceRCL:
		t = l.res.out[h]
	case wire.ContextResourceHMU, wire.ContextResourceICL:
		t = l.res.in[h]
	}
	if t != nil {
		t.postEvent(resEvent{ctx: ctx, data: pt, hash: packetHash})
	}
}

// partPool holds the buffers resource parts are queued in between the
// link's packet routine and the transfer's routine. The largest part is an
// MTU; buffers grow to the largest link MTU seen.
var partPool = sync.Pool{New: func() any { return new([]byte) }}

// handlePart queues a copy of a resource part for every incoming transfer
// (a part names no resource; each transfer checks it against its hashmap).
// With one transfer, the common case, the copy comes from partPool and the
// transfer gives it back.
func (l *Link) handlePart(part []byte) {
	l.res.mu.Lock()
	defer l.res.mu.Unlock()
	if len(l.res.in) == 1 {
		bp := partPool.Get().(*[]byte)
		*bp = append((*bp)[:0], part...)
		for _, t := range l.res.in {
			if !t.postEvent(resEvent{ctx: wire.ContextResource, data: *bp, pooled: bp}) {
				partPool.Put(bp)
			}
		}
		return
	}
	for _, t := range l.res.in {
		t.post(wire.ContextResource, bytes.Clone(part))
	}
}

// release returns a pooled event buffer.
func (ev *resEvent) release() {
	if ev.pooled != nil {
		*ev.pooled = ev.data[:0]
		partPool.Put(ev.pooled)
		ev.pooled, ev.data = nil, nil
	}
}

// post queues an event without blocking (it runs on the link's packet
// routine, under l.res.mu). Control events (advertisements, requests,
// hashmap updates, proofs, cancels) are always queued: losing one could
// stall both sides, the receiver waiting for an advertisement and the
// sender for requests. A resource part is dropped, as the network may drop
// it, when resEventQueue parts are already queued; the receiver requests
// missing parts again.
// maxControlEvents bounds the queued control events (advertisements,
// requests, hashmap updates, proofs, cancels) of one transfer.
const maxControlEvents = 4096

func (t *Transfer) post(ctx wire.Context, pt []byte) {
	t.postEvent(resEvent{ctx: ctx, data: pt})
}

// postEvent queues ev and reports whether it was queued.
func (t *Transfer) postEvent(ev resEvent) bool {
	t.evMu.Lock()
	if ev.ctx == wire.ContextResource {
		if t.evParts >= resEventQueue {
			t.evMu.Unlock()
			return false
		}
		t.evParts++
	} else if len(t.evQ)-t.evParts >= maxControlEvents {
		// A peer that floods control packets while the transfer is busy
		// loses the excess instead of growing memory without bound; a
		// well-behaved sender never has this many outstanding.
		t.evMu.Unlock()
		return false
	}
	t.evQ = append(t.evQ, ev)
	t.evMu.Unlock()
	select {
	case t.evReady <- struct{}{}:
	default:
	}
	return true
}

func (l *Link) handleAdvertisement(pt []byte) {
	adv, err := resource.DecodeAdvertisement(pt)
	if err != nil {
		l.cfg.Logf("link %s: resource advertisement: %v", l.id, err)
		return
	}
	rc := l.cfg.Resources
	l.res.mu.Lock()
	l.res.init()
	// A transfer awaiting the next segment (registered in cont before it
	// proves the previous one, so the sender's next advertisement always
	// finds it), or a re-advertisement of the segment being received: the
	// sender got no request from us, so the transfer requests again.
	t := l.res.in[adv.Hash]
	if t != nil && t.hash != adv.OriginalHash {
		t = nil
	}
	if t == nil && adv.SegmentIndex > 1 {
		t = l.res.cont[adv.OriginalHash]
	}
	if t != nil {
		t.post(wire.ContextResourceAdv, pt)
		l.res.mu.Unlock()
		return
	}
	// A late copy of an advertisement for a resource being received (a
	// segment already proven, say) is ignored, never refused: refusing
	// would cancel the sender's transfer.
	known := l.res.receiving(adv.OriginalHash)
	l.res.mu.Unlock()
	if known {
		return
	}
	if adv.SegmentIndex > 1 {
		l.reject(adv.Hash)
		return
	}

	maxSize := rc.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultResourceMaxSize
	}
	info := resourceInfo(adv)
	ok := false
	var reqConcluded func(*Transfer)
	if info.IsRequest || info.IsResponse {
		// Requests and responses sent as resources are the request
		// layer's, whatever the application's resource strategy.
		if l.cfg.RequestResources != nil {
			ok, reqConcluded = l.cfg.RequestResources(l, info)
		}
		rc = ResourceConfig{MaxSize: rc.MaxSize}
	} else {
		switch rc.Strategy {
		case AcceptAll:
			ok = true
		case AcceptApp:
			ok = rc.Accept != nil && rc.Accept(l, info)
		}
	}
	if ok && adv.DataSize > maxSize {
		l.cfg.Logf("link %s: refusing resource of %d bytes (max %d)", l.id, adv.DataSize, maxSize)
		ok = false
	}
	if !ok {
		l.reject(adv.Hash)
		return
	}
	_, _ = l.startIncoming(adv, info, rc, reqConcluded)
}

// AcceptAdvertisement starts receiving the resource that an advertisement
// (a decrypted RESOURCE_ADV plaintext) describes, whatever the link's
// ResourceConfig.Strategy, Accept and MaxSize say, as the reference's
// Resource.accept does; the transfer reports through ResourceConfig's
// callbacks. It fails with resource.ErrAdvertisement for a malformed
// advertisement and ErrResourceDuplicate when a transfer of that resource
// is already under way on the link.
func (l *Link) AcceptAdvertisement(pt []byte) (*Transfer, error) {
	adv, err := resource.DecodeAdvertisement(pt)
	if err != nil {
		return nil, err
	}
	if adv.SegmentIndex > 1 {
		return nil, fmt.Errorf("%w: segment %d without the first", resource.ErrAdvertisement, adv.SegmentIndex)
	}
	l.res.mu.Lock()
	l.res.init()
	known := l.res.in[adv.Hash] != nil || l.res.receiving(adv.OriginalHash)
	l.res.mu.Unlock()
	if known {
		return nil, ErrResourceDuplicate
	}
	info := resourceInfo(adv)
	return l.startIncoming(adv, info, l.cfg.Resources, nil)
}

// IncomingResources returns the incoming transfers under way on the link.
func (l *Link) IncomingResources() []*Transfer {
	l.res.mu.Lock()
	defer l.res.mu.Unlock()
	ts := make([]*Transfer, 0, len(l.res.in)+len(l.res.cont))
	for _, t := range l.res.in {
		ts = append(ts, t)
	}
	for _, t := range l.res.cont {
		ts = append(ts, t)
	}
	return ts
}

func resourceInfo(adv *resource.Advertisement) ResourceInfo {
	return ResourceInfo{
		Hash: adv.OriginalHash, Size: adv.DataSize, TransferSize: adv.TransferSize,
		Segments: adv.TotalSegments, Compressed: adv.Flags&resource.FlagCompressed != 0,
		HasMetadata: adv.Flags&resource.FlagMetadata != 0, RequestID: adv.RequestID, Advertisement: adv,
		IsRequest: adv.Flags&resource.FlagRequest != 0, IsResponse: adv.Flags&resource.FlagResponse != 0,
	}
}

// startIncoming starts the transfer of an accepted advertisement.
func (l *Link) startIncoming(adv *resource.Advertisement, info ResourceInfo, rc ResourceConfig, reqConcluded func(*Transfer)) (*Transfer, error) {
	l.mu.Lock()
	key, mtu := l.key, l.mtu
	l.mu.Unlock()
	t := l.newTransfer(true)
	rcv, err := l.newReceiver(adv, key, mtu, t.segmentBuffer(adv))
	if err != nil {
		l.cfg.Logf("link %s: resource: %v", l.id, err)
		l.reject(adv.Hash)
		return nil, err
	}
	rcv.SetDecompressLimit(rc.MaxDecompressed)
	var sink io.WriteCloser
	if rc.Sink != nil {
		if sink, err = rc.Sink(l, info); err == nil && sink == nil {
			err = errors.New("nil sink")
		}
		if err != nil {
			l.cfg.Logf("link %s: resource sink: %v", l.id, err)
			l.reject(adv.Hash)
			return nil, err
		}
	}
	t.maxDecompressed = rc.MaxDecompressed
	t.onProgress, t.onConcluded = rc.OnProgress, rc.OnConcluded
	if reqConcluded != nil {
		t.onConcluded = reqConcluded
	}
	t.hash, t.cur, t.size = adv.OriginalHash, adv.Hash, adv.DataSize
	t.segments = adv.TotalSegments
	t.status = resource.StatusTransferring
	t.rcv = rcv
	t.partsTotal = adv.Parts
	if sink != nil {
		t.sink = sink
	} else {
		t.receivedBytes = make([]byte, 0, adv.DataSize)
	}
	l.res.mu.Lock()
	if l.Status() == StatusClosed {
		l.res.mu.Unlock()
		t.closeSink(ErrClosed)
		return nil, ErrClosed
	}
	if _, dup := l.res.in[adv.Hash]; dup {
		l.res.mu.Unlock()
		t.closeSink(fmt.Errorf("%w: duplicate advertisement", ErrResourceCanceled))
		return nil, ErrResourceDuplicate
	}
	l.res.in[adv.Hash] = t
	l.res.wg.Add(1)
	l.res.mu.Unlock()
	if rc.OnStarted != nil {
		rc.OnStarted(t)
	}
	go t.runReceiver()
	return t, nil
}

// receiving reports whether an incoming transfer of the resource with
// original hash h is under way. r.mu must be held.
func (r *resources) receiving(h [resource.HashLen]byte) bool {
	if r.cont[h] != nil {
		return true
	}
	for _, t := range r.in {
		if t.hash == h {
			return true
		}
	}
	return false
}

// reject answers an advertisement with RESOURCE_RCL.
func (l *Link) reject(hash [resource.HashLen]byte) {
	_, _ = l.SendPacket(wire.Data, wire.ContextResourceRCL, hash[:])
}

// eifr is the expected in-flight rate in bytes per second (update_eifr).
func (t *Transfer) eifr() float64 {
	if t.reqDataRate > 0 {
		return t.reqDataRate
	}
	return resEstablishmentCost / t.rtt.Seconds()
}

func (t *Transfer) receiverDeadline() time.Time {
	sdu, _ := resource.SDU(t.l.MTU())
	extra := time.Duration(resMaxRetries-t.retries) * resPerRetryDelay
	rate := t.eifr()
	var wait float64
	if t.reqRespRate != 0 {
		tof := float64(max(t.rcv.Outstanding(), 0)*sdu) / rate
		var hmu float64
		if t.rcv.WaitingForHMU() || t.rcv.Outstanding() == 0 {
			hmu = float64(sdu*resHMUWaitFactor) / rate
		}
		wait = t.partFactor*tof + hmu
	} else {
		wait = t.partFactor * float64(3*sdu) / rate
	}
	return t.lastActivity.Add(time.Duration(wait*float64(time.Second)) + resRetryGrace + extra)
}

// runReceiver is the receiver's routine: request parts window by window,
// assemble, prove, and wait for further segments.
func (t *Transfer) runReceiver() {
	defer t.l.res.wg.Done()
	err := t.receive()
	t.copying.Wait()
	t.closeSink(err)
	t.exit(err)
}

// closeSink closes the transfer's sink, if any and not closed yet: with
// CloseWithError(err) if err is not nil and the sink has that method, with
// Close otherwise. It returns Close's error.
func (t *Transfer) closeSink(err error) error {
	if t.sink == nil || t.sinkClosed {
		return nil
	}
	t.sinkClosed = true
	if a, ok := t.sink.(sinkAborter); ok && err != nil {
		return a.CloseWithError(err)
	}
	return t.sink.Close()
}

func (t *Transfer) receive() error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	t.rtt = t.linkRTT()
	t.partFactor = resPartTimeoutFactor
	t.lastActivity = time.Now()
	if err := t.requestNext(); err != nil {
		return err
	}
	for {
		var deadline time.Time
		if t.waitingNext {
			deadline = t.nextDeadline
		} else {
			deadline = t.receiverDeadline()
		}
		ev, ok, err := t.wait(timer, deadline)
		if err != nil {
			return err
		}
		if !ok {
			if t.waitingNext {
				return fmt.Errorf("%w: waiting for segment %d", ErrResourceTimeout, t.segment+1)
			}
			if t.retries <= 0 {
				t.sendCancel()
				return fmt.Errorf("%w: waiting for parts", ErrResourceTimeout)
			}
			t.rcv.Retry()
			t.retries--
			if err := t.requestNext(); err != nil {
				return err
			}
			continue
		}
		switch ev.ctx {
		case wire.ContextResource:
			if t.waitingNext {
				ev.release()
				continue
			}
			// Two parts that arrived together are hashed side by side.
			var m1, m2 *[resource.MapHashLen]byte
			ev2, two := t.nextPart()
			if two {
				a, b := t.rcv.MapHashes(ev.data, ev2.data)
				m1, m2 = &a, &b
			}
			done, err := t.receivePart(ev.data, m1)
			ev.release()
			if two {
				if err == nil && !done {
					done, err = t.receivePart(ev2.data, m2)
				}
				ev2.release()
			}
			if err != nil || done {
				if err != nil {
					return err
				}
				if t.segment == t.segments {
					return nil
				}
			}
		case wire.ContextResourceHMU:
			t.mu.Lock()
			t.hmuGot++
			t.mu.Unlock()
			if t.waitingNext || !t.rcv.WaitingForHMU() || t.rcv.UpdateHashmap(ev.data) != nil {
				continue
			}
			if err := t.requestNext(); err != nil {
				return err
			}
		case wire.ContextResourceICL:
			return fmt.Errorf("%w by sender", ErrResourceCanceled)
		case wire.ContextResourceAdv:
			if !t.waitingNext {
				if err := t.readvertised(ev.data); err != nil {
					return err
				}
				continue
			}
			if err := t.nextSegment(ev.data); err != nil {
				return err
			}
		}
	}
}

// nextSegment starts receiving the next segment of a split resource.
func (t *Transfer) nextSegment(pt []byte) error {
	adv, err := resource.DecodeAdvertisement(pt)
	if err != nil || adv.SegmentIndex != t.segment+1 || adv.TotalSegments != t.segments || adv.OriginalHash != t.hash {
		return nil
	}
	l := t.l
	l.mu.Lock()
	key, mtu := l.key, l.mtu
	l.mu.Unlock()
	rcv, err := l.newReceiver(adv, key, mtu, t.segmentBuffer(adv))
	if err != nil {
		l.reject(adv.Hash)
		return fmt.Errorf("%w: %w", ErrResourceCorrupt, err)
	}
	rcv.SetDecompressLimit(t.maxDecompressed)
	l.res.mu.Lock()
	delete(l.res.cont, t.hash)
	t.cur = adv.Hash
	l.res.in[adv.Hash] = t
	l.res.mu.Unlock()
	t.rcv = rcv
	t.waitingNext = false
	t.mu.Lock()
	t.segment, t.partsDone, t.partsTotal = adv.SegmentIndex, 0, adv.Parts
	t.status = resource.StatusTransferring
	t.mu.Unlock()
	t.retries = resMaxRetries
	t.lastActivity = time.Now()
	return t.requestNext()
}

// readvertised handles an advertisement of the segment being received:
// the sender re-advertises when no request reached it, so the request
// (and any hashmap update it waits for) was lost; request again at once
// rather than after the part timeout, which may exceed the sender's
// advertisement timeout.
func (t *Transfer) readvertised(pt []byte) error {
	adv, err := resource.DecodeAdvertisement(pt)
	if err != nil || adv.Hash != t.cur || adv.OriginalHash != t.hash {
		return nil
	}
	t.lastActivity = time.Now()
	t.rcv.Retry()
	return t.requestNext()
}

// requestNext sends the next part request (request_next).
func (t *Transfer) requestNext() error {
	waiting := t.rcv.WaitingForHMU()
	raw, err := t.l.requestParts(t.rcv)
	if err != nil || raw == nil {
		return err
	}
	if !waiting && t.rcv.WaitingForHMU() {
		t.mu.Lock()
		t.hmuAsked++
		t.mu.Unlock()
	}
	t.reqSent = time.Now()
	t.reqSentBytes = len(raw)
	t.reqResp = time.Time{}
	t.rxBytesAtReq = t.rxBytes
	return nil
}

// receivePart handles one RESOURCE packet, whose map hash is m unless m
// is nil; done reports a completed segment.
func (t *Transfer) receivePart(part []byte, m *[resource.MapHashLen]byte) (done bool, err error) {
	now := time.Now()
	var accepted bool
	var perr error
	if m != nil {
		accepted, perr = t.rcv.AcceptPartHashed(part, *m)
	} else {
		accepted, perr = t.rcv.AcceptPart(part)
	}
	if perr != nil {
		return false, nil // a part of another transfer, or garbage
	}
	t.lastActivity = now
	t.retries = resMaxRetries
	if t.reqResp.IsZero() {
		t.reqResp = now
		rtt := now.Sub(t.reqSent)
		t.partFactor = resPartTimeoutAfterRT
		if rtt < t.rtt {
			t.rtt = max(t.rtt-t.rtt/20, rtt)
		} else if rtt > t.rtt {
			t.rtt = min(t.rtt+t.rtt/20, rtt)
		}
		t.rtt = max(t.rtt, time.Millisecond)
		if rtt > 0 {
			t.reqRespRate = float64(len(part)+wire.HeaderMinSize+t.reqSentBytes) / rtt.Seconds()
			t.rcv.ObserveRate(t.reqRespRate, false)
		}
	}
	if !accepted {
		return false, nil
	}
	t.rxBytes += len(part)
	got, total := t.rcv.Received()
	t.setProgress(got, total)
	if t.onProgress != nil {
		t.onProgress(t)
	}
	if t.rcv.Done() {
		return true, t.assemble()
	}
	if t.rcv.Outstanding() != 0 {
		return false, nil
	}
	// The request was answered in full: AcceptPart widened the window;
	// the rate may move its maximum.
	if rtt := now.Sub(t.reqSent); rtt > 0 {
		t.reqDataRate = float64(t.rxBytes-t.rxBytesAtReq) / rtt.Seconds()
		t.rcv.ObserveRate(t.reqDataRate, true)
	}
	return false, t.requestNext()
}

// assemble verifies and collects a completed segment and proves it.
func (t *Transfer) assemble() error {
	t.setStatus(resource.StatusAssembling)
	data, meta, err := t.rcv.Assemble()
	t.l.noteWindow(t.rcv)
	if err != nil {
		t.sendCancel()
		if errors.Is(err, resource.ErrTooLarge) {
			// A decompression bomb: the reference rejects it and tears
			// the link down.
			t.l.Close()
		}
		return fmt.Errorf("%w: %w", ErrResourceCorrupt, err)
	}
	if t.rxData+len(data) > t.size {
		t.sendCancel()
		return fmt.Errorf("%w: more data than advertised", ErrResourceCorrupt)
	}
	t.rxData += len(data)
	// The metadata must not alias the stream buffer, which goes back to
	// the pool.
	meta = bytes.Clone(meta)
	if t.sink != nil {
		// Written before the proof, so that the sender waits for a slow
		// sink and a failing one cancels the transfer instead.
		_, err := t.sink.Write(data)
		if err == nil && t.segment == t.segments {
			err = t.closeSink(nil)
		}
		if err != nil {
			t.sendCancel()
			return fmt.Errorf("%w: sink: %w", ErrResourceCanceled, err)
		}
		data = nil
		t.releaseSegment() // the sink has the data: a Writer keeps none
	}
	// Await the next segment before proving this one: the sender
	// advertises it as soon as the proof arrives.
	if t.segment < t.segments {
		l := t.l
		l.res.mu.Lock()
		delete(l.res.in, t.cur)
		l.res.cont[t.hash] = t
		l.res.mu.Unlock()
	}
	if err := t.l.proveResource(t.rcv); err != nil {
		return err
	}
	if t.sink == nil {
		t.collect(data)
	}
	t.mu.Lock()
	if meta != nil {
		t.meta = meta
	}
	if t.segment == t.segments {
		t.data = t.receivedBytes
	} else {
		t.status = resource.StatusTransferring
	}
	t.mu.Unlock()
	if t.segment < t.segments {
		t.waitingNext = true
		// The sender builds the next segment after the proof arrives.
		t.nextDeadline = time.Now().Add(resTrafficTimeout*t.rtt*resMaxAdvRetries + resSenderGrace + resProcessingGrace*resMaxAdvRetries)
		t.rcv = nil
	}
	return nil
}

// collectAsyncMin is the smallest segment collect copies on a routine of
// its own.
const collectAsyncMin = 64 << 10

// collect appends a segment's data, which aliases its stream buffer, to
// receivedBytes and gives the buffer back to streamPool. The copy goes to
// memory not touched before and page-faults, 0.3 ms or more per segment:
// except for the last segment it runs on a routine of its own, so that
// the transfer's routine takes the next advertisement and requests parts
// at once (and the sender, which has the proof, is not kept waiting).
// receivedBytes has room for the advertised size, which assemble checked
// the data against, so segments copy to disjoint places; runReceiver
// waits for the last copy.
func (t *Transfer) collect(data []byte) {
	n := len(t.receivedBytes)
	t.receivedBytes = t.receivedBytes[:n+len(data)]
	dst, buf := t.receivedBytes[n:], t.rxPooled
	t.rxPooled = nil
	copyOut := func() {
		copy(dst, data)
		if buf != nil {
			streamPool.Put(buf)
		}
	}
	t.copying.Wait() // the previous segment's, long done
	if t.segment < t.segments && len(data) >= collectAsyncMin {
		t.copying.Go(copyOut)
	} else {
		copyOut()
	}
}

// BuildResource builds, without advertising or sending anything, the
// first segment of the resource SendResource would send for data and opts
// on this link: the same key, splitting and compression, with fresh random
// fields. It returns the segment and the number of segments. mtu, when
// positive, replaces the link MTU for this build only (to get more parts
// from a small payload). It is for inspecting the resource format.
func (l *Link) BuildResource(data []byte, opts ResourceOptions, mtu int) (r *resource.Resource, segments int, err error) {
	if opts.Metadata != nil && len(opts.Metadata) > resource.MetadataMaxSize {
		return nil, 0, resource.ErrTooLarge
	}
	l.mu.Lock()
	key := l.key
	l.mu.Unlock()
	if key == nil {
		return nil, 0, ErrNotActive
	}
	total := len(data)
	if opts.Metadata != nil {
		total += 3 + len(opts.Metadata)
	}
	t := l.newTransfer(false)
	t.src, t.srcLen, t.opts = data, len(data), opts
	t.size = total
	t.segments = max(1, (total+resource.MaxEfficientSize-1)/resource.MaxEfficientSize)
	if mtu > 0 {
		t.mtuOverride = mtu
	}
	r, err = t.buildSegment(1)
	return r, t.segments, err
}

// streamCap is the largest stream of a segment: the token of a full
// segment's prefix and data.
const streamCap = identity.TokenOverhead + resource.PrefixLen + resource.MaxEfficientSize + aes.BlockSize

// streamBuf is a segment's stream buffer.
type streamBuf [streamCap]byte

// streamPool recycles segment stream buffers: the sender's once a segment
// is proven, the receiver's once its data was copied out or written to the
// sink. Reusing them saves allocating, zeroing and faulting in a
// megabyte per segment at each end, which the memory bounds do not see
// (the pool empties over GC cycles).
var streamPool = sync.Pool{New: func() any { return new(streamBuf) }}

// segmentBuffer returns a buffer from streamPool for the receiver of the
// segment adv describes to assemble its stream in, or nil for one of the
// receiver's own when the stream is larger than a segment's can be.
func (t *Transfer) segmentBuffer(adv *resource.Advertisement) []byte {
	t.rxPooled = nil
	if adv.TransferSize > streamCap {
		return nil
	}
	t.rxPooled = streamPool.Get().(*streamBuf)
	return t.rxPooled[:adv.TransferSize]
}

// releaseSegment returns the stream buffer of an assembled segment, whose
// data (which aliases it) has been consumed, to streamPool. A segment that
// failed keeps its buffer: a routine of its receiver may still be writing
// to it.
func (t *Transfer) releaseSegment() {
	if t.rxPooled != nil {
		streamPool.Put(t.rxPooled)
		t.rxPooled = nil
	}
}

// newReceiver starts a receiver for adv, assembling its stream in buf (see
// resource.NewReceiverBuffer; nil for a buffer of its own), with the window
// the link's last incoming segment ended with.
func (l *Link) newReceiver(adv *resource.Advertisement, key []byte, mtu int, buf []byte) (*resource.Receiver, error) {
	rcv, err := resource.NewReceiverBuffer(adv, key, mtu, buf)
	if err != nil {
		return nil, err
	}
	l.res.mu.Lock()
	w := l.res.lastWindow
	l.res.mu.Unlock()
	if w > 0 {
		rcv.SetWindow(w)
	}
	return rcv, nil
}

// noteWindow records the window a concluded incoming segment ended with
// (the reference's Link.resource_concluded).
func (l *Link) noteWindow(rcv *resource.Receiver) {
	w := rcv.Window().Size
	l.res.mu.Lock()
	l.res.lastWindow = w
	l.res.mu.Unlock()
}

// requestParts sends rcv's next part request and returns the packet, or
// nil if the receiver has nothing to ask (it waits for a hashmap update).
func (l *Link) requestParts(rcv *resource.Receiver) ([]byte, error) {
	req := rcv.AppendRequest(nil)
	if len(req) == 0 {
		return nil, nil
	}
	return l.SendPacket(wire.Data, wire.ContextResourceReq, req)
}

// proveResource sends the proof of an assembled receiver.
func (l *Link) proveResource(rcv *resource.Receiver) error {
	_, err := l.SendPacket(wire.Proof, wire.ContextResourcePRF, rcv.Proof())
	return err
}

// LastResourceWindow returns the request window the link's last incoming
// resource segment ended with, where the next one starts (0 before the
// first; the reference's get_last_resource_window).
func (l *Link) LastResourceWindow() int {
	l.res.mu.Lock()
	defer l.res.mu.Unlock()
	return l.res.lastWindow
}

// NewResourceReceiver returns the receiver an accepted advertisement would
// start on this link, without registering a transfer or sending anything:
// the link's key, its MTU (mtu, when positive, replaces it) and the window
// the link's last incoming segment ended with. With RequestResourceParts
// and ConcludeResource a caller drives the receiving state machine packet
// by packet, as tools and conformance probes do; transfers accepted through
// ResourceConfig do all of it on their own routine.
func (l *Link) NewResourceReceiver(adv *resource.Advertisement, mtu int) (*resource.Receiver, error) {
	l.mu.Lock()
	key, lmtu := l.key, l.mtu
	l.mu.Unlock()
	if key == nil {
		return nil, ErrNotActive
	}
	if mtu <= 0 {
		mtu = lmtu
	}
	return l.newReceiver(adv, key, mtu, nil)
}

// RequestResourceParts sends rcv's next part request (RESOURCE_REQ) on the
// link, as a transfer does when it starts and whenever a request was
// answered in full, and returns the request's plaintext. It returns nil
// when no request goes out: while the receiver waits for a hashmap update,
// or after it failed.
func (l *Link) RequestResourceParts(rcv *resource.Receiver) ([]byte, error) {
	req := rcv.AppendRequest(nil)
	if len(req) == 0 {
		return nil, nil
	}
	if _, err := l.SendPacket(wire.Data, wire.ContextResourceReq, req); err != nil {
		return nil, err
	}
	return req, nil
}

// FeedResourcePart files a received part into rcv as a transfer does: when
// it completes a request and parts are still missing, the next request
// goes out (RequestResourceParts); when it is the last part, the resource
// is assembled and, if it checks out, proven (ConcludeResource), and proved
// reports that. Parts rcv does not accept are ignored, as on the wire.
func (l *Link) FeedResourcePart(rcv *resource.Receiver, part []byte) (accepted, proved bool, err error) {
	accepted, _ = rcv.AcceptPart(part)
	if !accepted {
		return false, false, nil
	}
	if rcv.Done() {
		_, _, proved, err = l.ConcludeResource(rcv)
		return true, proved, err
	}
	if rcv.Outstanding() == 0 {
		_, err = l.RequestResourceParts(rcv)
	}
	return true, false, err
}

// ConcludeResource assembles a receiver whose parts have all arrived, as a
// transfer does: if the data checks out it sends the one proof
// (RESOURCE_PRF) and reports proved; a corrupt resource is not proven.
// Either way the receiver's window becomes the link's last.
func (l *Link) ConcludeResource(rcv *resource.Receiver) (data, metadata []byte, proved bool, err error) {
	data, metadata, err = rcv.Assemble()
	if errors.Is(err, resource.ErrIncomplete) || errors.Is(err, resource.ErrFailed) {
		return nil, nil, false, err
	}
	l.noteWindow(rcv)
	if err != nil {
		return nil, nil, false, err
	}
	if err := l.proveResource(rcv); err != nil {
		return data, metadata, false, err
	}
	return data, metadata, true, nil
}
