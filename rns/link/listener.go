package link

import (
	"context"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// acceptQueue is how many established links wait for Accept before new
// ones are no longer queued (they still run, and OnEstablished still sees
// them).
const acceptQueue = 16

// Listener accepts links to a local SINGLE destination. Either register
// it with transport (Listen) or hand link requests to HandleRequest from
// the destination that is registered.
type Listener struct {
	t        *transport.Transport
	identity *identity.Identity
	hash     wire.Hash
	cfg      Config
	accepted chan *Link

	closeOnce  sync.Once
	closed     chan struct{}
	registered bool

	// mu guards the following fields.
	mu       sync.Mutex
	refusing bool           // the accept gate is off
	links    map[*Link]bool // links accepted and not yet closed
}

var _ transport.Destination = (*Listener)(nil)

// NewListener returns a listener for the destination with the given hash
// whose identity (with private key) signs link proofs. It is not
// registered with transport.
func NewListener(t *transport.Transport, id *identity.Identity, hash wire.Hash, cfg Config) *Listener {
	ln := &Listener{t: t, identity: id, hash: hash, accepted: make(chan *Link, acceptQueue), closed: make(chan struct{}), links: map[*Link]bool{}}
	userClosed := cfg.OnClosed
	cfg.OnClosed = func(l *Link, reason TeardownReason) {
		ln.mu.Lock()
		delete(ln.links, l)
		ln.mu.Unlock()
		if userClosed != nil {
			userClosed(l, reason)
		}
	}
	user := cfg.OnEstablished
	cfg.OnEstablished = func(l *Link) {
		select {
		case ln.accepted <- l:
		default:
		}
		if user != nil {
			user(l)
		}
	}
	ln.cfg = cfg
	return ln
}

// Listen returns a listener registered with t as the destination hash.
func Listen(t *transport.Transport, id *identity.Identity, hash wire.Hash, cfg Config) (*Listener, error) {
	if !id.HasPrivateKey() {
		return nil, identity.ErrNoPrivateKey
	}
	ln := NewListener(t, id, hash, cfg)
	if err := t.Register(ln); err != nil {
		return nil, err
	}
	ln.registered = true
	return ln, nil
}

// Hash returns the destination hash (transport.Destination).
func (ln *Listener) Hash() wire.Hash { return ln.hash }

// Type returns wire.Single (transport.Destination).
func (ln *Listener) Type() wire.DestType { return wire.Single }

// Receive handles link requests (transport.Destination); other packets
// are dropped.
func (ln *Listener) Receive(p *transport.Packet) {
	if p.PacketType == wire.LinkRequest {
		_, _ = ln.HandleRequest(p)
	}
}

// HandleRequest validates a link request to the destination and answers
// it with a link proof. The link becomes active when the initiator's RTT
// packet arrives; Accept returns it then. While the accept gate is off it
// refuses every request with ErrNotAccepting.
func (ln *Listener) HandleRequest(p *transport.Packet) (*Link, error) {
	select {
	case <-ln.closed:
		return nil, ErrClosed
	default:
	}
	ln.mu.Lock()
	refusing := ln.refusing
	ln.mu.Unlock()
	if refusing {
		return nil, ErrNotAccepting
	}
	l, err := accept(ln.t, ln.cfg, ln.identity, p)
	if err != nil {
		return nil, err
	}
	// A listener closed while the request was being answered takes no
	// new link: whoever closed it has already collected Links, so close
	// this one here, as they would have.
	ln.mu.Lock()
	closed := false
	select {
	case <-ln.closed:
		closed = true
	default:
		if l.Status() != StatusClosed {
			ln.links[l] = true
		}
	}
	ln.mu.Unlock()
	if closed {
		l.Close()
		return nil, ErrClosed
	}
	return l, nil
}

// SetAccepting sets the accept gate (the reference's
// Destination.accepts_links): while it is off, link requests are refused
// and no link is made. It is on by default.
func (ln *Listener) SetAccepting(on bool) {
	ln.mu.Lock()
	ln.refusing = !on
	ln.mu.Unlock()
}

// Accepting reports whether the accept gate is on.
func (ln *Listener) Accepting() bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	return !ln.refusing
}

// Links returns the links the listener accepted that have not closed yet,
// pending ones included (the reference's Destination.links).
func (ln *Listener) Links() []*Link {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	out := make([]*Link, 0, len(ln.links))
	for l := range ln.links {
		out = append(out, l)
	}
	return out
}

// Accept returns the next established link, or an error when ctx ends or
// the listener closes.
func (ln *Listener) Accept(ctx context.Context) (*Link, error) {
	select {
	case l := <-ln.accepted:
		return l, nil
	case <-ln.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops accepting links and deregisters the listener if Listen
// registered it. Established links stay open. It is idempotent.
func (ln *Listener) Close() error {
	ln.closeOnce.Do(func() {
		close(ln.closed)
		if ln.registered {
			ln.t.Deregister(ln.hash)
		}
	})
	return nil
}
