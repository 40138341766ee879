package transport

import (
	"sync"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/wire"
)

// AnnounceCopy is one valid copy of an announce as it arrived, whether or
// not it changes the path table: Reticulum keeps one path per destination
// and lets only the copy that wins update it, while a multipath router
// (Mehr's) wants every neighbour that offered one.
type AnnounceCopy struct {
	Destination wire.Hash
	NameHash    [10]byte
	RandomHash  [10]byte
	// AppData aliases the received packet: it is valid only during the
	// observer's call.
	AppData []byte
	// Hops is the hop count after this node's increment (1: heard from
	// the announcing node itself).
	Hops uint8
	// NextHop is the transport ID of the neighbour that rebroadcast it,
	// or the destination itself when heard directly.
	NextHop      wire.Hash
	Interface    *Iface
	PathResponse bool
}

// AnnounceObserver sees announce copies. It runs on the receive routine
// without the transport lock held, and must not keep c or its AppData.
type AnnounceObserver func(c *AnnounceCopy)

// ObserveAnnounceCopies calls fn for every valid announce copy of another
// node's destination that is within the hop limit: duplicates by other
// neighbours included, held announces when they are released. What
// transport does with the copy is unchanged.
func (t *Transport) ObserveAnnounceCopies(fn AnnounceObserver) {
	t.mu.Lock()
	t.observers = append(t.observers, fn)
	t.mu.Unlock()
}

// newCopy describes the announce in p for the observers.
func newCopy(p *Packet, a *announce.Announce, nextHop wire.Hash) *AnnounceCopy {
	c := &AnnounceCopy{
		Destination: p.Destination, AppData: a.AppData, Hops: p.Hops, NextHop: nextHop,
		Interface: p.Interface, PathResponse: a.PathResponse,
	}
	copy(c.NameHash[:], a.NameHash)
	copy(c.RandomHash[:], a.RandomHash)
	return c
}

func (t *Transport) callObservers(c *AnnounceCopy) {
	t.mu.Lock()
	obs := t.observers
	t.mu.Unlock()
	for _, fn := range obs {
		fn(c)
	}
}

// ValidatedAnnounces is a set of announce packets whose signature and
// destination hash have been checked, shared by every transport in one
// process that is given it (Config.Validated). Validation is a pure
// function of the bytes a packet hash covers (with the context flag, which
// the hash leaves out but which decides whether a ratchet is present), so
// sharing the result changes no decision; it saves a simulator running
// thousands of nodes in one process from verifying every announce once per
// node and copy. A real node has no use for it. It grows with the number
// of distinct announces and is safe for concurrent use.
type ValidatedAnnounces struct {
	mu sync.RWMutex
	m  map[validatedKey]struct{}
}

type validatedKey struct {
	hash    [wire.FullHashLen]byte
	ratchet bool
}

// NewValidatedAnnounces returns an empty set.
func NewValidatedAnnounces() *ValidatedAnnounces {
	return &ValidatedAnnounces{m: map[validatedKey]struct{}{}}
}

// Len returns the number of announces in the set.
func (v *ValidatedAnnounces) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.m)
}

// validateAnnounce is announce.Validate, or announce.Parse for a packet
// the shared set already holds.
func (t *Transport) validateAnnounce(p *Packet) (announce.Announce, error) {
	v := t.cfg.Validated
	if v == nil {
		return announce.Validate(&p.Packet)
	}
	k := validatedKey{hash: p.Hash, ratchet: p.ContextFlag}
	v.mu.RLock()
	_, ok := v.m[k]
	v.mu.RUnlock()
	if ok {
		return announce.Parse(&p.Packet)
	}
	a, err := announce.Validate(&p.Packet)
	if err == nil {
		v.mu.Lock()
		v.m[k] = struct{}{}
		v.mu.Unlock()
	}
	return a, err
}
