// Package request runs Reticulum's request/response exchange over links:
// a client sends [timestamp, path hash, data] in a REQUEST packet and
// waits for the RESPONSE [request ID, data]; a server dispatches requests
// to handlers registered by path. The byte layouts are rns/link/channel's;
// this package adds the runtime. Requests and responses larger than one
// link packet travel as resources flagged as such, as in the reference:
// the request ID of a request sent as a resource is the truncated hash of
// the packed request, and a response resource carries [request ID,
// response].
//
// Install a Mux on a link's Config with Mux.Install (it becomes OnOther,
// passing every other context on to Next, and RequestResources).
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
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Request policies (RNS.Destination ALLOW_NONE, ALLOW_ALL, ALLOW_LIST).
type Policy uint8

const (
	AllowNone Policy = 0x00
	AllowAll  Policy = 0x01
	AllowList Policy = 0x02
)

// Errors returned by this package.
var (
	ErrInvalidPath    = errors.New("request: invalid path specified")
	ErrInvalidHandler = errors.New("request: invalid response generator specified")
	ErrInvalidPolicy  = errors.New("request: invalid request policy")
	ErrTooLarge       = errors.New("request: request larger than the link allows")
	ErrNoPath         = errors.New("request: no handler for this path")
	ErrTimeout        = errors.New("request: timed out")
)

// Handler answers a request arriving on link l (the reference passes the
// link ID; the link itself lets a handler answer with a resource, as rncp
// does). remote is the identity the peer identified with, or nil. The
// returned value is packed as the response data; nil sends a nil response.
type Handler func(l *link.Link, path string, data any, requestID wire.Hash, remote *identity.Identity, requestedAt time.Time) any

// Mux dispatches REQUEST packets to handlers and RESPONSE packets to
// waiting requests. Install Mux.OnOther as the link's Config.OnOther.
type Mux struct {
	// Next receives every packet that is not a request or response.
	Next func(l *link.Link, p *transport.Packet, plaintext []byte)

	mu       sync.Mutex
	handlers map[wire.Hash]pathHandler
	pending  map[wire.Hash]chan channel.Response
}

type pathHandler struct {
	path string
	fn   Handler
	// allow, when not nil, lists the identity hashes allowed to call.
	allow map[[identity.HashLen]byte]bool
}

// Handle registers fn for path. With allowed identities given, only links
// whose peer identified as one of them may call it.
func (m *Mux) Handle(path string, fn Handler, allowed ...*identity.Identity) {
	ph := pathHandler{path: path, fn: fn}
	if len(allowed) > 0 {
		ph.allow = map[[identity.HashLen]byte]bool{}
		for _, id := range allowed {
			ph.allow[id.Hash()] = true
		}
	}
	m.mu.Lock()
	if m.handlers == nil {
		m.handlers = map[wire.Hash]pathHandler{}
	}
	m.handlers[dest.PathHash(path)] = ph
	m.mu.Unlock()
}

// HandleHashes is Handle with the allowed identities given by their
// hashes (the reference's ALLOW_LIST). A non-nil empty list allows no one
// (ALLOW_NONE); a nil list allows everyone (ALLOW_ALL).
func (m *Mux) HandleHashes(path string, fn Handler, allowed [][identity.HashLen]byte) {
	ph := pathHandler{path: path, fn: fn}
	if allowed != nil {
		ph.allow = map[[identity.HashLen]byte]bool{}
		for _, h := range allowed {
			ph.allow[h] = true
		}
	}
	m.mu.Lock()
	if m.handlers == nil {
		m.handlers = map[wire.Hash]pathHandler{}
	}
	m.handlers[dest.PathHash(path)] = ph
	m.mu.Unlock()
}

// Register is Handle with the reference's checks and policies
// (Destination.register_request_handler): it refuses an empty path, a nil
// handler and a policy other than AllowNone, AllowAll and AllowList;
// with AllowList only the identity hashes in allowed may call.
func (m *Mux) Register(path string, fn Handler, policy Policy, allowed [][identity.HashLen]byte) error {
	switch {
	case path == "":
		return ErrInvalidPath
	case fn == nil:
		return ErrInvalidHandler
	}
	switch policy {
	case AllowAll:
		allowed = nil
	case AllowNone:
		allowed = [][identity.HashLen]byte{}
	case AllowList:
		if allowed == nil {
			allowed = [][identity.HashLen]byte{}
		}
	default:
		return fmt.Errorf("%w: 0x%02x", ErrInvalidPolicy, uint8(policy))
	}
	m.HandleHashes(path, fn, allowed)
	return nil
}

// Handlers returns how many paths have a handler.
func (m *Mux) Handlers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.handlers)
}

// Remove deregisters the handler for path; later requests for it are
// ignored, as for a path never registered.
func (m *Mux) Remove(path string) {
	m.mu.Lock()
	delete(m.handlers, dest.PathHash(path))
	m.mu.Unlock()
}

// OnOther implements link.Config.OnOther.
func (m *Mux) OnOther(l *link.Link, p *transport.Packet, plaintext []byte) {
	switch p.Context {
	case wire.ContextRequest:
		m.serve(l, p, plaintext)
	case wire.ContextResponse:
		resp, err := channel.UnpackResponse(plaintext)
		if err != nil {
			return
		}
		m.deliver(resp)
	default:
		if m.Next != nil {
			m.Next(l, p, plaintext)
		}
	}
}

func (m *Mux) serve(l *link.Link, p *transport.Packet, plaintext []byte) {
	req, err := channel.UnpackRequest(plaintext)
	if err != nil {
		return
	}
	id, err := channel.PacketRequestID(p.Raw)
	if err != nil {
		return
	}
	m.respond(l, req, id)
}

// respond runs the handler for req and sends its response: in a RESPONSE
// packet, or as a response resource when it does not fit one.
func (m *Mux) respond(l *link.Link, req channel.Request, id wire.Hash) {
	m.mu.Lock()
	h, ok := m.handlers[req.PathHash]
	m.mu.Unlock()
	if !ok {
		return // the reference ignores requests for unknown paths
	}
	remote := l.RemoteIdentity()
	if h.allow != nil && (remote == nil || !h.allow[remote.Hash()]) {
		return
	}
	at := time.Unix(0, int64(req.Timestamp*1e9))
	data := h.fn(l, h.path, req.Data, id, remote, at)
	resp := channel.Response{RequestID: id, Data: data}
	packed, err := resp.Pack()
	if err != nil {
		return
	}
	if len(packed) <= l.MDU() {
		_, _ = l.SendPacket(wire.Data, wire.ContextResponse, packed)
		return
	}
	_, _ = l.SendResource(context.Background(), packed, link.ResourceOptions{RequestID: id[:], IsResponse: true})
}

// Install makes m the request layer of links opened or accepted with cfg:
// it becomes cfg.OnOther (the previous OnOther, if any, becomes Next) and
// cfg.RequestResources.
func (m *Mux) Install(cfg *link.Config) {
	if cfg.OnOther != nil && m.Next == nil {
		m.Next = cfg.OnOther
	}
	cfg.OnOther = m.OnOther
	cfg.RequestResources = m.RequestResources
}

// RequestResources implements link.Config.RequestResources: a response
// resource is accepted when its request is pending here, a request
// resource when any handler is registered (as the reference does).
func (m *Mux) RequestResources(l *link.Link, info link.ResourceInfo) (bool, func(*link.Transfer)) {
	switch {
	case info.IsResponse:
		if len(info.RequestID) != wire.HashLen {
			return false, nil
		}
		m.mu.Lock()
		_, pending := m.pending[wire.Hash(info.RequestID)]
		m.mu.Unlock()
		if !pending {
			return false, nil
		}
		return true, func(t *link.Transfer) {
			data, _ := t.Data()
			if t.Err() != nil {
				return // the request times out
			}
			resp, err := channel.UnpackResponse(data)
			if err != nil {
				return
			}
			m.deliver(resp)
		}
	case info.IsRequest:
		m.mu.Lock()
		serving := len(m.handlers) > 0
		m.mu.Unlock()
		if !serving {
			return false, nil
		}
		return true, func(t *link.Transfer) {
			data, _ := t.Data()
			if t.Err() != nil {
				return
			}
			req, err := channel.UnpackRequest(data)
			if err != nil {
				return
			}
			m.respond(l, req, wire.Hash(identity.TruncatedHash(data)))
		}
	}
	return false, nil
}

// deliver hands a response to the request waiting for it.
func (m *Mux) deliver(resp channel.Response) {
	m.mu.Lock()
	ch := m.pending[resp.RequestID]
	delete(m.pending, resp.RequestID)
	m.mu.Unlock()
	if ch != nil {
		ch <- resp
	}
}

// Do sends a request for path with data over l and waits for the response
// until ctx ends. The mux must be installed on l's Config (Install). A
// request larger than one packet is sent as a request resource.
func (m *Mux) Do(ctx context.Context, l *link.Link, path string, data any) (any, error) {
	req := channel.Request{Timestamp: float64(time.Now().UnixNano()) / 1e9, PathHash: dest.PathHash(path), Data: data}
	packed, err := req.Pack()
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if channel.SentAsResource(len(packed), l.MDU()) {
		return m.doResource(ctx, l, packed)
	}
	// The request ID depends on the encrypted packet (its IV), so the
	// packet is built before the waiter is registered under that ID; a
	// response cannot arrive before the packet is sent.
	ch := make(chan channel.Response, 1)
	raw, err := l.SendPacketWith(wire.Data, wire.ContextRequest, packed, func(raw []byte) {
		if id, err := channel.PacketRequestID(raw); err == nil {
			m.mu.Lock()
			if m.pending == nil {
				m.pending = map[wire.Hash]chan channel.Response{}
			}
			m.pending[id] = ch
			m.mu.Unlock()
		}
	})
	if err != nil {
		return nil, err
	}
	id, _ := channel.PacketRequestID(raw)
	select {
	case resp := <-ch:
		return resp.Data, nil
	case <-ctx.Done():
		m.mu.Lock()
		delete(m.pending, id)
		m.mu.Unlock()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		return nil, ctx.Err()
	}
}

// doResource sends a packed request as a request resource and waits for
// the response, in a packet or a response resource.
func (m *Mux) doResource(ctx context.Context, l *link.Link, packed []byte) (any, error) {
	id := wire.Hash(identity.TruncatedHash(packed))
	ch := make(chan channel.Response, 1)
	m.mu.Lock()
	if m.pending == nil {
		m.pending = map[wire.Hash]chan channel.Response{}
	}
	m.pending[id] = ch
	m.mu.Unlock()
	forget := func() {
		m.mu.Lock()
		delete(m.pending, id)
		m.mu.Unlock()
	}
	if _, err := l.SendResource(ctx, packed, link.ResourceOptions{RequestID: id[:]}); err != nil {
		forget()
		return nil, fmt.Errorf("request: %w", err)
	}
	select {
	case resp := <-ch:
		return resp.Data, nil
	case <-ctx.Done():
		forget()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrTimeout
		}
		return nil, ctx.Err()
	}
}
