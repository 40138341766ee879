package identity

import (
	"bytes"
	"sync"
	"time"
)

// RatchetExpiry is how long a received ratchet is used after it was heard
// (RNS.Identity.RATCHET_EXPIRY, 30 days). A newer announce replaces it
// before that.
const RatchetExpiry = 30 * 24 * time.Hour

// RatchetBackend persists the ratchets a node has heard, keyed by
// destination hash. Package storage implements it with the reference's
// storage/ratchets directory.
type RatchetBackend interface {
	// SaveRatchet stores the ratchet heard for dest at received.
	SaveRatchet(dest [HashLen]byte, ratchet []byte, received time.Time) error
	// LoadRatchet returns the stored ratchet of dest and when it was
	// heard; ok is false when there is none or it cannot be read.
	LoadRatchet(dest [HashLen]byte) (ratchet []byte, received time.Time, ok bool)
}

// KnownRatchets holds the newest ratchet public key announced by each
// destination, which senders encrypt to (the reference's
// Identity.known_ratchets, with get_ratchet and _remember_ratchet). It is
// safe for concurrent use.
type KnownRatchets struct {
	backend RatchetBackend
	now     func() time.Time

	// mu guards m.
	mu sync.Mutex
	m  map[[HashLen]byte][]byte
}

// NewKnownRatchets returns an empty table. backend may be nil (nothing is
// persisted); now may be nil (the wall clock).
func NewKnownRatchets(backend RatchetBackend, now func() time.Time) *KnownRatchets {
	if now == nil {
		now = time.Now
	}
	return &KnownRatchets{backend: backend, now: now, m: map[[HashLen]byte][]byte{}}
}

// Remember records ratchet as the newest one of dest and reports whether
// it is new. A new ratchet is also handed to the backend; its error is
// returned.
func (k *KnownRatchets) Remember(dest [HashLen]byte, ratchet []byte) (bool, error) {
	if !k.Note(dest, ratchet) {
		return false, nil
	}
	return true, k.Persist(dest, ratchet)
}

// Note is the in-memory half of Remember: it records ratchet and reports
// whether it is new, without touching the backend. A caller that must not
// block on storage notes a ratchet at once and persists it later.
func (k *KnownRatchets) Note(dest [HashLen]byte, ratchet []byte) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if old, ok := k.m[dest]; ok && bytes.Equal(old, ratchet) {
		return false
	}
	k.m[dest] = bytes.Clone(ratchet)
	return true
}

// Persist hands a ratchet heard now to the backend, if there is one.
func (k *KnownRatchets) Persist(dest [HashLen]byte, ratchet []byte) error {
	if k.backend == nil {
		return nil
	}
	return k.backend.SaveRatchet(dest, ratchet, k.now())
}

// Get returns the newest ratchet of dest. When it is not in memory it is
// loaded from the backend, if it was heard less than RatchetExpiry ago and
// has the ratchet size.
func (k *KnownRatchets) Get(dest [HashLen]byte) ([]byte, bool) {
	k.mu.Lock()
	r, ok := k.m[dest]
	k.mu.Unlock()
	if ok {
		return bytes.Clone(r), true
	}
	if k.backend == nil {
		return nil, false
	}
	r, received, ok := k.backend.LoadRatchet(dest)
	if !ok || len(r) != RatchetSize || !k.now().Before(received.Add(RatchetExpiry)) {
		return nil, false
	}
	k.mu.Lock()
	if _, ok := k.m[dest]; !ok {
		k.m[dest] = bytes.Clone(r)
	}
	k.mu.Unlock()
	return r, true
}

// CurrentID returns the ID of the newest ratchet of dest
// (Identity.current_ratchet_id).
func (k *KnownRatchets) CurrentID(dest [HashLen]byte) ([RatchetIDLen]byte, bool) {
	r, ok := k.Get(dest)
	if !ok {
		return [RatchetIDLen]byte{}, false
	}
	return RatchetID(r), true
}

// Uncache drops the in-memory copy of dest's ratchet; the backend keeps
// it, and Get reads it from there again.
func (k *KnownRatchets) Uncache(dest [HashLen]byte) {
	k.mu.Lock()
	delete(k.m, dest)
	k.mu.Unlock()
}
