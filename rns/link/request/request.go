// Package request runs Reticulum's request/response exchange over links:
// a client sends [timestamp, path hash, data] in a REQUEST packet and
// waits for the RESPONSE [request ID, data]; a server dispatches requests
// to handlers registered by path. The byte layouts are rns/link/channel's;
// this package adds the runtime. Requests and responses larger than one
// link packet travel as resources flagged as such, as in the reference:
// the request ID of a request sent as a resource is the truncated hash of
// the packed request, and a response resource carries [request ID,
// response]. A handler may also answer with a file (FileResponse): its
// bytes travel unpacked as a response resource with metadata, and the
// requester gets them with the unpacked metadata, as the reference hands
// over a file response.
//
// Mux.Send returns a Receipt (RNS.RequestReceipt) that concludes READY
// with the response or FAILED when the request's timeout passes; with no
// timeout given it is DefaultTimeout of the link's RTT. Mux.Do sends and
// waits.
//
// Install a Mux on a link's Config with Mux.Install (it becomes OnOther,
// passing every other context on to Next, and RequestResources).
package request

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/msgpack"
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
	ErrFailed         = errors.New("request: the request or its response resource failed")
)

// Handler answers a request arriving on link l (the reference passes the
// link ID; the link itself lets a handler answer with a resource, as rncp
// does). remote is the identity the peer identified with, or nil. The
// returned value is packed as the response data, except that nil sends no
// response at all (the reference's None: the requester times out) and a
// FileResponse is sent as a file.
type Handler func(l *link.Link, path string, data any, requestID wire.Hash, remote *identity.Identity, requestedAt time.Time) any

// Mux dispatches REQUEST packets to handlers and RESPONSE packets to
// waiting requests. Install Mux.OnOther as the link's Config.OnOther.
type Mux struct {
	// Next receives every packet that is not a request or response.
	Next func(l *link.Link, p *transport.Packet, plaintext []byte)

	// mu guards the following fields.
	mu       sync.Mutex
	handlers map[wire.Hash]pathHandler
	pending  map[wire.Hash]*Receipt
	trace    func(l *link.Link, ctx wire.Context, plaintext []byte)
}

// FileResponse is a handler's answer sent as a file (the reference's
// (file, metadata) response): the Size bytes File holds from offset 0
// travel unpacked as a response resource, with Metadata packed as the
// resource's metadata. With nil Metadata the resource carries none, and
// the requester unpacks the bytes as a packed response, as the reference
// does. File is closed after the transfer if it is an io.Closer.
type FileResponse struct {
	File     io.ReaderAt
	Size     int64
	Metadata any
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
		m.traced(l, p.Context, plaintext)
		resp, err := channel.UnpackResponse(plaintext)
		if err != nil {
			return
		}
		m.deliver(resp.RequestID, Response{Data: resp.Data})
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
// packet, as a response resource when it does not fit one, or as a file.
// A nil response is not sent.
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
	switch v := data.(type) {
	case nil:
		return
	case FileResponse:
		sendFile(l, id, v)
		return
	case *FileResponse:
		if v != nil {
			sendFile(l, id, *v)
		}
		return
	}
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

// sendFile sends a file response as a response resource with metadata.
func sendFile(l *link.Link, id wire.Hash, f FileResponse) {
	closeFile := func() {
		if c, ok := f.File.(io.Closer); ok {
			_ = c.Close()
		}
	}
	opts := link.ResourceOptions{RequestID: id[:], IsResponse: true}
	if f.Metadata != nil {
		meta, err := msgpack.Marshal(f.Metadata)
		if err != nil {
			closeFile()
			return
		}
		opts.Metadata = meta
	}
	if f.File == nil {
		return
	}
	tr, err := l.SendResourceFrom(context.Background(), f.File, f.Size, opts)
	if err != nil {
		closeFile()
		return
	}
	if _, ok := f.File.(io.Closer); ok {
		go func() { <-tr.Done(); closeFile() }()
	}
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
		id := wire.Hash(info.RequestID)
		m.mu.Lock()
		r := m.pending[id]
		m.mu.Unlock()
		if r == nil {
			return false, nil
		}
		m.traced(l, wire.ContextResourceAdv, nil)
		r.receiving()
		return true, func(t *link.Transfer) {
			if t.Err() != nil {
				m.fail(id)
				return
			}
			data, meta := t.Data()
			if info.HasMetadata {
				md, err := msgpack.Decode(meta)
				if err != nil {
					return
				}
				m.deliver(id, Response{Data: data, Metadata: md, File: true})
				return
			}
			resp, err := channel.UnpackResponse(data)
			if err != nil {
				return
			}
			m.deliver(resp.RequestID, Response{Data: resp.Data})
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

// SetTrace makes fn see the responses arriving for this mux's requests,
// before they are handled (nil removes it): the context and plaintext of
// every RESPONSE packet, and wire.ContextResourceAdv with nil plaintext
// for every response resource advertised for a pending request. It is a
// diagnostic seam; fn must not block.
func (m *Mux) SetTrace(fn func(l *link.Link, ctx wire.Context, plaintext []byte)) {
	m.mu.Lock()
	m.trace = fn
	m.mu.Unlock()
}

func (m *Mux) traced(l *link.Link, ctx wire.Context, plaintext []byte) {
	m.mu.Lock()
	fn := m.trace
	m.mu.Unlock()
	if fn != nil {
		fn(l, ctx, plaintext)
	}
}
