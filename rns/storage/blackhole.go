package storage

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Blackhole lists live in storage/blackhole, one file per source, as in
// the reference: "local" holds this node's own entries, and a file named
// by the 32-hexadecimal-character identity hash of another transport
// instance holds the list fetched from it. Each is a msgpack map
// identity hash -> {"source": hash, "until": seconds or nil,
// "reason": text or nil}.
const (
	BlackholeDir       = "blackhole"
	LocalBlackholeFile = "local"
)

// BlackholePath returns the blackhole directory of storage directory dir.
func BlackholePath(dir string) string { return filepath.Join(dir, BlackholeDir) }

// SaveLocalBlackhole writes this node's own blackhole entries (those whose
// source is self) to the "local" list.
func SaveLocalBlackhole(dir string, self wire.Hash, entries map[wire.Hash]transport.BlackholeEntry) error {
	m := make(msgpack.Map, 0, len(entries))
	for id, e := range entries {
		if e.Source != self {
			continue
		}
		var until, reason any
		if !e.Until.IsZero() {
			until = seconds(e.Until)
		}
		if e.Reason != "" {
			reason = e.Reason
		}
		m = append(m, msgpack.KV{Key: append([]byte(nil), id[:]...), Value: msgpack.Map{
			{Key: "source", Value: append([]byte(nil), e.Source[:]...)},
			{Key: "until", Value: until},
			{Key: "reason", Value: reason},
		}})
	}
	b, err := msgpack.Marshal(m)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(BlackholePath(dir), LocalBlackholeFile), b); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// BlackholeList is one source's stored blackhole list.
type BlackholeList struct {
	// Source is the identity hash of the list's source: self for "local".
	Source  wire.Hash
	Entries map[wire.Hash]transport.BlackholeEntry
}

// LoadBlackholes reads the stored blackhole lists: "local" as self's, and
// each file named by a source identity hash for which trusted reports
// true (the configured blackhole_sources). Files with other names,
// untrusted sources and malformed lists are skipped, each with an error
// in the returned join (a missing directory is no error); entries of a
// list are attributed to the list's source.
func LoadBlackholes(dir string, self wire.Hash, trusted func(wire.Hash) bool) ([]BlackholeList, error) {
	path := BlackholePath(dir)
	ents, err := os.ReadDir(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	var lists []BlackholeList
	var errs []error
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		name := de.Name()
		src := self
		if name != LocalBlackholeFile {
			b, err := hex.DecodeString(name)
			if err != nil || len(b) != wire.HashLen {
				if name[0] != '.' { // our own temporary files
					errs = append(errs, fmt.Errorf("%w: blackhole list %q is not named by a source identity hash", ErrFormat, name))
				}
				continue
			}
			src = wire.Hash(b)
			if trusted == nil || !trusted(src) {
				continue // a source no longer configured
			}
		}
		entries, err := readBlackhole(filepath.Join(path, name), src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lists = append(lists, BlackholeList{Source: src, Entries: entries})
	}
	return lists, errors.Join(errs...)
}

func readBlackhole(path string, src wire.Hash) (map[wire.Hash]transport.BlackholeEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("storage: blackhole list %s: %w", filepath.Base(path), err)
	}
	m, ok := v.(msgpack.Map)
	if !ok {
		return nil, fmt.Errorf("%w: blackhole list %s is not a map", ErrFormat, filepath.Base(path))
	}
	out := make(map[wire.Hash]transport.BlackholeEntry, len(m))
	for _, kv := range m {
		id, ok := kv.Key.([]byte)
		if !ok || len(id) != wire.HashLen {
			continue
		}
		e := transport.BlackholeEntry{Source: src}
		if fields, ok := kv.Value.(msgpack.Map); ok {
			if u, ok := fields.Get("until"); ok && u != nil {
				if f := number(u); f > 0 {
					e.Until = fromSeconds(f)
				} else {
					e.Until = time.Unix(0, 1) // a bad or zero time: long expired
				}
			}
			if r, ok := fields.Get("reason"); ok {
				if s, ok := r.(string); ok {
					e.Reason = s
				}
			}
		}
		out[wire.Hash(id)] = e
	}
	return out, nil
}
