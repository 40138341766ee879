package storage

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
)

// RatchetsDir is the directory, inside the storage directory, holding one
// file per destination whose ratchet this node heard: storage/ratchets/<hex
// destination hash>, a msgpack map {"ratchet": key, "received": seconds}.
const RatchetsDir = "ratchets"

// Ratchets keeps received ratchets in a storage directory, as the
// reference's Identity._remember_ratchet and get_ratchet do. It implements
// identity.RatchetBackend.
type Ratchets struct {
	dir string
	mu  sync.Mutex // serialises writes, as the reference's ratchet_persist_lock
}

var _ identity.RatchetBackend = (*Ratchets)(nil)

// NewRatchets returns the ratchet store of the storage directory dir.
func NewRatchets(dir string) *Ratchets {
	return &Ratchets{dir: filepath.Join(dir, RatchetsDir)}
}

// Path returns the file the ratchet of dest is kept in.
func (r *Ratchets) Path(dest [identity.HashLen]byte) string {
	return filepath.Join(r.dir, hex.EncodeToString(dest[:]))
}

// EncodeRatchet returns the file content for a received ratchet.
func EncodeRatchet(ratchet []byte, received time.Time) ([]byte, error) {
	return msgpack.Marshal(msgpack.Map{
		{Key: "ratchet", Value: append([]byte{}, ratchet...)},
		{Key: "received", Value: seconds(received)},
	})
}

// DecodeRatchet parses a received-ratchet file.
func DecodeRatchet(b []byte) (ratchet []byte, received time.Time, err error) {
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("storage: ratchet: %w", err)
	}
	m, ok := v.(msgpack.Map)
	if !ok {
		return nil, time.Time{}, fmt.Errorf("%w: ratchet file is not a map", ErrFormat)
	}
	rv, ok1 := m.Get("ratchet")
	tv, ok2 := m.Get("received")
	ratchet, ok3 := rv.([]byte)
	if !ok1 || !ok2 || !ok3 {
		return nil, time.Time{}, fmt.Errorf("%w: ratchet file without ratchet or received", ErrFormat)
	}
	switch tv.(type) {
	case float64, int64, uint64:
	default:
		return nil, time.Time{}, fmt.Errorf("%w: ratchet file received time is not a number", ErrFormat)
	}
	return ratchet, fromSeconds(number(tv)), nil
}

// SaveRatchet writes the ratchet file of dest through a temporary
// "<name>.out" file renamed over the final one, as the reference does.
func (r *Ratchets) SaveRatchet(dest [identity.HashLen]byte, ratchet []byte, received time.Time) error {
	b, err := EncodeRatchet(ratchet, received)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	final := r.Path(dest)
	out := final + ".out"
	if err := os.WriteFile(out, b, 0o600); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := os.Rename(out, final); err != nil {
		os.Remove(out)
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// LoadRatchet reads the ratchet file of dest.
func (r *Ratchets) LoadRatchet(dest [identity.HashLen]byte) ([]byte, time.Time, bool) {
	b, err := os.ReadFile(r.Path(dest))
	if err != nil {
		return nil, time.Time{}, false
	}
	ratchet, received, err := DecodeRatchet(b)
	if err != nil {
		return nil, time.Time{}, false
	}
	return ratchet, received, true
}

// Clean removes the ratchet files that are expired, unreadable, or belong
// to a destination for which known reports false (Identity._clean_ratchets),
// and returns how many it removed.
func (r *Ratchets) Clean(now time.Time, known func(wire.Hash) bool) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	entries, err := os.ReadDir(r.dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		// Files not named by a destination hash are left alone, as the
		// reference fails on them and moves on.
		h, err := hex.DecodeString(e.Name())
		if err != nil || len(h) != wire.HashLen {
			continue
		}
		path := filepath.Join(r.dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		drop := !known(wire.Hash(h))
		if _, received, err := DecodeRatchet(b); err != nil || now.After(received.Add(identity.RatchetExpiry)) {
			drop = true
		}
		if drop && os.Remove(path) == nil {
			removed++
		}
	}
	return removed, nil
}
