package mgmt

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rpc"
)

// Names of the remote management destination and its request paths, as
// the reference registers them.
const (
	AppName    = "rnstransport"
	StatusPath = "/status"
	PathPath   = "/path"
)

// RemoteAspects are the aspects of the remote management destination.
var RemoteAspects = []string{"remote", "management"}

// ErrNoTransportIdentity is returned by EnableRemote for a node whose
// transport identity cannot sign (it has no private key).
var ErrNoTransportIdentity = errors.New("mgmt: the transport identity has no private key")

// Remote is a node's remote management destination.
type Remote struct {
	dest    *rns.Destination
	ln      *link.Listener
	mux     *request.Mux
	view    rpc.Node
	allowed [][identity.HashLen]byte

	mu     sync.Mutex
	links  map[*link.Link]bool // open management links
	closed bool
}

// Route describes one request handler of the remote management
// destination.
type Route struct {
	Path     string
	PathHash wire.Hash
	Policy   request.Policy
	// Allowed is the allow list the handler checks: the identities given
	// to EnableRemote, for every route.
	Allowed [][identity.HashLen]byte
}

// EnableRemote registers n's remote management destination, answering
// /status and /path from v for links whose peer identified as one of
// allowed (the reference's enable_remote_management with
// remote_management_allowed; an empty list allows no one). The
// destination is added to n's management destinations, so a transport
// node announces it.
func EnableRemote(n *rns.Node, v rpc.Node, allowed [][identity.HashLen]byte) (*Remote, error) {
	id := n.Identity()
	if !id.HasPrivateKey() {
		return nil, ErrNoTransportIdentity
	}
	d, err := n.NewDestination(id, rns.In, wire.Single, AppName, RemoteAspects...)
	if err != nil {
		return nil, err
	}
	r := &Remote{dest: d, mux: &request.Mux{}, view: v, allowed: slices.Clone(allowed), links: map[*link.Link]bool{}}
	if r.allowed == nil {
		r.allowed = [][identity.HashLen]byte{}
	}
	for path, fn := range map[string]request.Handler{StatusPath: r.status, PathPath: r.path} {
		if err := r.mux.Register(path, fn, request.AllowList, r.allowed); err != nil {
			return nil, err
		}
	}
	cfg := link.Config{
		OnEstablished: func(l *link.Link) {
			r.mu.Lock()
			closed := r.closed
			if !closed {
				r.links[l] = true
			}
			r.mu.Unlock()
			if closed {
				l.Close()
			}
		},
		OnClosed: func(l *link.Link, _ link.TeardownReason) {
			r.mu.Lock()
			delete(r.links, l)
			r.mu.Unlock()
		},
	}
	r.mux.Install(&cfg)
	r.ln = link.NewListener(n.Transport(), id, d.Hash(), cfg)
	d.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = r.ln.HandleRequest(p) })
	n.AddManagementDestination(d)
	return r, nil
}

// Destination returns the remote management destination.
func (r *Remote) Destination() *rns.Destination { return r.dest }

// Routes returns the request handlers, /status first.
func (r *Remote) Routes() []Route {
	out := make([]Route, 0, 2)
	for _, p := range []string{StatusPath, PathPath} {
		out = append(out, Route{Path: p, PathHash: dest.PathHash(p), Policy: request.AllowList, Allowed: slices.Clone(r.allowed)})
	}
	return out
}

// Close stops accepting management links and closes the open ones.
func (r *Remote) Close() {
	r.ln.Close()
	r.mu.Lock()
	r.closed = true
	links := make([]*link.Link, 0, len(r.links))
	for l := range r.links {
		links = append(links, l)
	}
	r.mu.Unlock()
	for _, l := range links {
		l.Close()
		l.Wait()
	}
}

// status answers /status: [interface stats] for a request [false], and
// [interface stats, link count] for [true], as the reference does.
func (r *Remote) status(_ *link.Link, _ string, data any, _ wire.Hash, remote *identity.Identity, _ time.Time) any {
	args, ok := data.([]any)
	if remote == nil || !ok || len(args) == 0 {
		return nil
	}
	resp := []any{rpc.StatsValue(r.view.InterfaceStats())}
	if b, _ := args[0].(bool); b {
		resp = append(resp, r.view.LinkCount())
	}
	return resp
}

// path answers /path: ["table", destination or nil, max hops or nil]
// returns the path table, ["rates", destination or nil] the announce rate
// table, each filtered to one destination when one is given.
func (r *Remote) path(_ *link.Link, _ string, data any, _ wire.Hash, remote *identity.Identity, _ time.Time) any {
	args, ok := data.([]any)
	if remote == nil || !ok || len(args) == 0 {
		return nil
	}
	var want []byte
	if len(args) > 1 {
		want, _ = args[1].([]byte)
	}
	var maxHops any
	if len(args) > 2 {
		maxHops = args[2]
	}
	var table []any
	switch args[0] {
	case "table":
		t, err := rpc.PathTableValue(r.view.PathTable(), maxHops)
		if err != nil {
			return nil
		}
		table = t
	case "rates":
		table = rpc.RateTableValue(r.view.RateTable())
	default:
		return nil
	}
	if len(args) < 2 || args[1] == nil {
		return table
	}
	out := []any{}
	for _, e := range table {
		if m, ok := e.(msgpack.Map); ok {
			if h, _ := m.Get("hash"); h != nil {
				if b, _ := h.([]byte); bytes.Equal(b, want) {
					out = append(out, e)
				}
			}
		}
	}
	return out
}
