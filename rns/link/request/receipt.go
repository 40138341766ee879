package request

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/wire"
)

// Default timeout terms (RNS.Link.TRAFFIC_TIMEOUT_FACTOR and
// RNS.Resource.RESPONSE_MAX_GRACE_TIME, which Link.request scales by
// 1.125).
const (
	TrafficTimeoutFactor = 6
	ResponseMaxGraceTime = 10 * time.Second
)

// DefaultTimeout is the timeout of a request sent without one over a link
// with the given round-trip time, as Link.request computes it:
// rtt*6 + 10s*1.125.
func DefaultTimeout(rtt time.Duration) time.Duration {
	return TrafficTimeoutFactor*rtt + ResponseMaxGraceTime*9/8
}

// Status is the state of a request (RNS.RequestReceipt's constants).
type Status uint8

const (
	StatusFailed    Status = 0x00
	StatusSent      Status = 0x01
	StatusDelivered Status = 0x02 // a request sent as a resource arrived
	StatusReceiving Status = 0x03 // a response resource is arriving
	StatusReady     Status = 0x04
)

// Response is the answer to a request.
type Response struct {
	// Data is the unpacked response, or the bytes of a file response.
	Data any
	// Metadata is the unpacked metadata of a file response, else nil.
	Metadata any
	// File reports a file response: a response resource with metadata,
	// whose bytes are handed over unpacked.
	File bool
}

// Receipt tracks a sent request until it concludes (RNS.RequestReceipt):
// READY when the response arrived, FAILED when sending failed or the
// timeout passed first. (The reference fails only requests sent as
// resources at their timeout; one sent in a packet stays SENT, and its
// caller gives up on its own. Here every request fails at its timeout, so
// no request waits forever.)
type Receipt struct {
	// ID is the request ID: the truncated hash of the REQUEST packet, or
	// of the packed request sent as a resource.
	ID wire.Hash
	// Timeout is how long the request waits for its response, from the
	// moment it was sent (for a request sent as a resource, from the
	// moment the resource arrived).
	Timeout time.Duration
	// SentAt is when the request was handed to the link.
	SentAt time.Time

	done chan struct{}

	// mu guards the following fields.
	mu          sync.Mutex
	status      Status
	resp        Response
	err         error // why a FAILED request failed
	concludedAt time.Time
	timer       *time.Timer
}

// Done is closed when the request concludes.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Status returns the request's current state.
func (r *Receipt) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Response returns the response of a READY request; ok is false otherwise.
func (r *Receipt) Response() (resp Response, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resp, r.status == StatusReady
}

// ResponseTime returns how long the response took, for a READY request.
func (r *Receipt) ResponseTime() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.concludedAt.Sub(r.SentAt), r.status == StatusReady
}

// Wait waits until the request concludes or ctx ends. It returns
// ErrTimeout when the request's timeout passed (or ctx's deadline did),
// ErrFailed when sending it failed.
func (r *Receipt) Wait(ctx context.Context) (Response, error) {
	select {
	case <-r.done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Response{}, ErrTimeout
		}
		return Response{}, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resp, r.err
}

// conclude sets the final state: READY with resp when err is nil, else
// FAILED. It reports false if r had concluded already.
func (r *Receipt) conclude(resp Response, err error) bool {
	r.mu.Lock()
	if r.status == StatusReady || r.status == StatusFailed {
		r.mu.Unlock()
		return false
	}
	r.status, r.resp, r.err = StatusReady, resp, err
	if err != nil {
		r.status = StatusFailed
	}
	r.concludedAt = time.Now()
	if r.timer != nil {
		r.timer.Stop()
	}
	r.mu.Unlock()
	close(r.done)
	return true
}

// receiving marks a response resource arriving.
func (r *Receipt) receiving() {
	r.mu.Lock()
	if r.status != StatusFailed && r.status != StatusReady {
		r.status = StatusReceiving
	}
	r.mu.Unlock()
}

// Send sends a request for path with data over l and returns its receipt
// at once. The mux must be installed on l's Config (Install). A request
// larger than one packet is sent as a request resource. With timeout 0
// the request waits DefaultTimeout(l.RTT()).
func (m *Mux) Send(l *link.Link, path string, data any, timeout time.Duration) (*Receipt, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout(l.RTT())
	}
	req := channel.Request{Timestamp: float64(time.Now().UnixNano()) / 1e9, PathHash: dest.PathHash(path), Data: data}
	packed, err := req.Pack()
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	r := &Receipt{Timeout: timeout, done: make(chan struct{}), status: StatusSent}
	if channel.SentAsResource(len(packed), l.MDU()) {
		return m.sendResource(l, packed, r)
	}
	// The request ID depends on the encrypted packet (its IV), so the
	// packet is built before the receipt is registered under that ID; a
	// response cannot arrive before the packet is sent.
	_, err = l.SendPacketWith(wire.Data, wire.ContextRequest, packed, func(raw []byte) {
		id, err := channel.PacketRequestID(raw)
		if err != nil {
			return
		}
		r.ID, r.SentAt = id, time.Now()
		m.addPending(r)
		r.mu.Lock()
		r.timer = time.AfterFunc(timeout, func() { m.expire(id) })
		r.mu.Unlock()
	})
	if err != nil {
		m.forget(r.ID, r)
		return nil, err
	}
	return r, nil
}

// sendResource sends a packed request as a request resource; the timeout
// starts when the resource has arrived.
func (m *Mux) sendResource(l *link.Link, packed []byte, r *Receipt) (*Receipt, error) {
	r.ID, r.SentAt = wire.Hash(identity.TruncatedHash(packed)), time.Now()
	m.addPending(r)
	tr, err := l.SendResource(context.Background(), packed, link.ResourceOptions{RequestID: r.ID[:]})
	if err != nil {
		m.forget(r.ID, r)
		return nil, fmt.Errorf("request: %w", err)
	}
	go func() {
		select {
		case <-tr.Done():
		case <-r.done:
			tr.Cancel()
			return
		}
		if tr.Err() != nil {
			m.forget(r.ID, r)
			r.conclude(Response{}, ErrFailed)
			return
		}
		r.mu.Lock()
		if r.status == StatusSent {
			r.status = StatusDelivered
		}
		if r.status != StatusReady && r.status != StatusFailed {
			r.timer = time.AfterFunc(r.Timeout, func() { m.expire(r.ID) })
		}
		r.mu.Unlock()
	}()
	return r, nil
}

// Do sends a request for path with data over l and waits for the response
// until ctx ends; the request's timeout is ctx's deadline, or the default
// without one. The mux must be installed on l's Config (Install).
func (m *Mux) Do(ctx context.Context, l *link.Link, path string, data any) (any, error) {
	resp, err := m.DoResponse(ctx, l, path, data)
	return resp.Data, err
}

// DoResponse is Do returning the whole response, the metadata of a file
// response included.
func (m *Mux) DoResponse(ctx context.Context, l *link.Link, path string, data any) (Response, error) {
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	r, err := m.Send(l, path, data, timeout)
	if err != nil {
		return Response{}, err
	}
	resp, err := r.Wait(ctx)
	if err != nil {
		m.forget(r.ID, r)
		r.conclude(Response{}, ErrTimeout)
	}
	return resp, err
}

func (m *Mux) addPending(r *Receipt) {
	m.mu.Lock()
	if m.pending == nil {
		m.pending = map[wire.Hash]*Receipt{}
	}
	m.pending[r.ID] = r
	m.mu.Unlock()
}

// forget removes r from the pending requests, if it is still there.
func (m *Mux) forget(id wire.Hash, r *Receipt) {
	m.mu.Lock()
	if m.pending[id] == r {
		delete(m.pending, id)
	}
	m.mu.Unlock()
}

func (m *Mux) take(id wire.Hash) *Receipt {
	m.mu.Lock()
	r := m.pending[id]
	delete(m.pending, id)
	m.mu.Unlock()
	return r
}

// deliver hands a response to the request waiting for it.
func (m *Mux) deliver(id wire.Hash, resp Response) {
	if r := m.take(id); r != nil {
		r.conclude(resp, nil)
	}
}

// expire fails a request whose timeout passed.
func (m *Mux) expire(id wire.Hash) {
	if r := m.take(id); r != nil {
		r.conclude(Response{}, ErrTimeout)
	}
}

// fail fails a request whose response resource failed.
func (m *Mux) fail(id wire.Hash) {
	if r := m.take(id); r != nil {
		r.conclude(Response{}, ErrFailed)
	}
}
