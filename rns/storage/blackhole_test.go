package storage_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestBlackholeLists: the local list holds only this node's entries, in
// the reference's layout; lists of trusted sources load, others and
// misnamed files do not.
func TestBlackholeLists(t *testing.T) {
	dir := t.TempDir()
	self, other := wire.Hash{1}, wire.Hash{2}
	until := time.Unix(1_900_000_000, 500_000_000)
	entries := map[wire.Hash]transport.BlackholeEntry{
		{10}: {Source: self, Until: until, Reason: "spam"},
		{11}: {Source: self},
		{12}: {Source: other}, // not ours: not in "local"
	}
	if err := storage.SaveLocalBlackhole(dir, self, entries); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "blackhole", "local"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := msgpack.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(msgpack.Map)
	if len(m) != 2 {
		t.Fatalf("local list has %d entries", len(m))
	}
	for _, kv := range m {
		f := kv.Value.(msgpack.Map)
		if src, _ := f.Get("source"); string(src.([]byte)) != string(self[:]) {
			t.Errorf("source %x", src)
		}
	}

	// The same list as if fetched from other, plus a misnamed file.
	b := filepath.Join(dir, "blackhole")
	if err := os.WriteFile(filepath.Join(b, hex.EncodeToString(other[:])), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(b, "not-a-source"), raw, 0o600)

	lists, err := storage.LoadBlackholes(dir, self, func(h wire.Hash) bool { return h == other })
	if err == nil {
		t.Error("a misnamed list was not reported")
	}
	if len(lists) != 2 {
		t.Fatalf("%d lists loaded", len(lists))
	}
	for _, l := range lists {
		if l.Source != self && l.Source != other {
			t.Errorf("source %x", l.Source)
		}
		e := l.Entries[wire.Hash{10}]
		if e.Source != l.Source || e.Reason != "spam" || !e.Until.Equal(until) {
			t.Errorf("entry %+v", e)
		}
		if e := l.Entries[wire.Hash{11}]; !e.Until.IsZero() || e.Reason != "" {
			t.Errorf("permanent entry %+v", e)
		}
	}
	lists, _ = storage.LoadBlackholes(dir, self, func(wire.Hash) bool { return false })
	if len(lists) != 1 || lists[0].Source != self {
		t.Errorf("untrusted source loaded: %+v", lists)
	}
	os.WriteFile(filepath.Join(b, "local"), []byte{0xc1}, 0o600)
	if lists, err := storage.LoadBlackholes(dir, self, nil); err == nil || len(lists) != 0 {
		t.Errorf("a corrupt list: %v, %d lists", err, len(lists))
	}
	if lists, err := storage.LoadBlackholes(t.TempDir(), self, nil); err != nil || len(lists) != 0 {
		t.Errorf("no directory: %v %v", lists, err)
	}
}
