package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// BlackholeEntry is why and until when an identity is blackholed: its
// announces are dropped as invalid and paths to its destinations are
// forgotten (the reference's blackholed_identities entry).
type BlackholeEntry struct {
	// Source is the transport identity hash that blackholed it: this
	// node's for local entries.
	Source wire.Hash
	// Until ends the blackhole; zero means never.
	Until time.Time
	// Reason is free text; empty means none was given.
	Reason string
}

// Blackhole blackholes the identity with hash id, as this node's own
// decision, and forgets every path to its destinations. It reports false
// when the identity was already blackholed (the entry is then unchanged).
// Entries are kept in memory only; storing and loading them, and lists
// from other sources, are not implemented yet.
func (t *Transport) Blackhole(id wire.Hash, until time.Time, reason string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.blackholed[id]; ok {
		return false
	}
	t.blackholed[id] = BlackholeEntry{Source: t.id, Until: until, Reason: reason}
	t.removeBlackholedPathsLocked()
	return true
}

// Unblackhole lifts the blackhole of the identity with hash id and
// reports whether it was blackholed.
func (t *Transport) Unblackhole(id wire.Hash) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.blackholed[id]
	delete(t.blackholed, id)
	return ok
}

// Blackholed returns a copy of the blackhole table, keyed by identity
// hash. It is also what the reference publishes as its blackhole list.
func (t *Transport) Blackholed() map[wire.Hash]BlackholeEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[wire.Hash]BlackholeEntry, len(t.blackholed))
	for h, e := range t.blackholed {
		out[h] = e
	}
	return out
}

// removeBlackholedPathsLocked forgets the paths to destinations whose
// known identity is blackholed.
func (t *Transport) removeBlackholedPathsLocked() {
	for h := range t.paths {
		k, ok := t.known[h]
		if !ok {
			continue
		}
		if _, bad := t.blackholed[wire.Hash(identity.TruncatedHash(k.PublicKey[:]))]; bad {
			delete(t.paths, h)
		}
	}
}

// cullBlackholeLocked lifts expired blackholes.
func (t *Transport) cullBlackholeLocked(now time.Time) {
	for h, e := range t.blackholed {
		if !e.Until.IsZero() && now.After(e.Until) {
			delete(t.blackholed, h)
		}
	}
}
