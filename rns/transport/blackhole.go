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
// Config.BlackholeChanged is called after a change, so that the node can
// store its list.
func (t *Transport) Blackhole(id wire.Hash, until time.Time, reason string) bool {
	t.mu.Lock()
	if _, ok := t.blackholed[id]; ok {
		t.mu.Unlock()
		return false
	}
	t.blackholed[id] = BlackholeEntry{Source: t.id, Until: until, Reason: reason}
	t.removeBlackholedPathsLocked()
	t.mu.Unlock()
	t.blackholeChanged()
	return true
}

// Unblackhole lifts the blackhole of the identity with hash id and
// reports whether it was blackholed.
func (t *Transport) Unblackhole(id wire.Hash) bool {
	t.mu.Lock()
	_, ok := t.blackholed[id]
	delete(t.blackholed, id)
	t.mu.Unlock()
	if ok {
		t.blackholeChanged()
	}
	return ok
}

func (t *Transport) blackholeChanged() {
	if fn := t.cfg.BlackholeChanged; fn != nil {
		fn()
	}
}

// MergeBlackhole adds a blackhole list from source (a stored or fetched
// list; this node's own for its stored "local" list), as the reference's
// reload does: entries already blackholed by this node itself are kept
// as they are, expired entries are skipped, and the others are attributed
// to source. Paths to destinations of blackholed identities are then
// forgotten.
func (t *Transport) MergeBlackhole(source wire.Hash, entries map[wire.Hash]BlackholeEntry) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, e := range entries {
		if old, ok := t.blackholed[id]; ok && old.Source == t.id {
			continue
		}
		if !e.Until.IsZero() && !now.Before(e.Until) {
			continue
		}
		e.Source = source
		t.blackholed[id] = e
	}
	t.removeBlackholedPathsLocked()
}

// ClearBlackhole empties the in-memory blackhole table (stored lists are
// not touched).
func (t *Transport) ClearBlackhole() {
	t.mu.Lock()
	clear(t.blackholed)
	t.mu.Unlock()
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
