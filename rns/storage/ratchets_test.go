package storage

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// refReceivedRatchet is what the reference's Identity._remember_ratchet
// writes for the ratchet 0x11×32 received at 1700000000.5.
const refReceivedRatchet = "82a772617463686574c4201111111111111111111111111111111111111111111111111111111111111111a87265636569766564cb41d954fc40200000"

func TestReceivedRatchetFormat(t *testing.T) {
	r := bytes.Repeat([]byte{0x11}, 32)
	at := time.Unix(1_700_000_000, 500_000_000)
	b, err := EncodeRatchet(r, at)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(b); got != refReceivedRatchet {
		t.Fatalf("got  %s\nwant %s", got, refReceivedRatchet)
	}
	ref, _ := hex.DecodeString(refReceivedRatchet)
	got, received, err := DecodeRatchet(ref)
	if err != nil || !bytes.Equal(got, r) || !received.Equal(at) {
		t.Fatalf("decode: %x %v %v", got, received, err)
	}
	for _, bad := range []string{"", "90", "81a772617463686574c401ff", "82a772617463686574c401ffa87265636569766564a178"} {
		b, _ := hex.DecodeString(bad)
		if _, _, err := DecodeRatchet(b); err == nil {
			t.Fatalf("decoded %q", bad)
		}
	}
}

func TestRatchetStore(t *testing.T) {
	dir := t.TempDir()
	s := NewRatchets(dir)
	var known, unknown, old wire.Hash
	known[0], unknown[0], old[0] = 1, 2, 3
	now := time.Unix(1_800_000_000, 0)
	r := bytes.Repeat([]byte{0x42}, identity.RatchetSize)
	for _, h := range []wire.Hash{known, unknown} {
		if err := s.SaveRatchet(h, r, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveRatchet(old, r, now.Add(-identity.RatchetExpiry-time.Second)); err != nil {
		t.Fatal(err)
	}
	path := s.Path(known)
	if filepath.Dir(path) != filepath.Join(dir, RatchetsDir) || filepath.Base(path) != hex.EncodeToString(known[:]) {
		t.Fatalf("path %s", path)
	}
	if _, err := os.Stat(path + ".out"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	got, at, ok := s.LoadRatchet(known)
	if !ok || !bytes.Equal(got, r) || !at.Equal(now) {
		t.Fatal("load after save")
	}
	var corrupt wire.Hash
	corrupt[0] = 4
	os.WriteFile(s.Path(corrupt), []byte{0xc1}, 0o600)
	os.WriteFile(filepath.Join(dir, RatchetsDir, "not-a-hash"), []byte{1}, 0o600)

	removed, err := s.Clean(now, func(h wire.Hash) bool { return h != unknown })
	if err != nil || removed != 3 {
		t.Fatalf("clean removed %d: %v", removed, err)
	}
	for h, want := range map[wire.Hash]bool{known: true, unknown: false, old: false, corrupt: false} {
		if _, err := os.Stat(s.Path(h)); (err == nil) != want {
			t.Fatalf("%x present = %v, want %v", h[:1], err == nil, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, RatchetsDir, "not-a-hash")); err != nil {
		t.Fatal("a file not named by a hash was removed")
	}
	if n, err := NewRatchets(t.TempDir()).Clean(now, nil); n != 0 || err != nil {
		t.Fatalf("clean of a missing directory: %d %v", n, err)
	}
}

func TestKnownRecordLen(t *testing.T) {
	dir := t.TempDir()
	var h, other wire.Hash
	h[0], other[0] = 1, 2
	if _, _, err := KnownRecordLen(dir, h); err == nil {
		t.Fatal("no error without a file")
	}
	var k transport.Known
	k.Seen = time.Unix(1_700_000_000, 0)
	k.AppData = []byte("app")
	if err := SaveKnown(dir, map[wire.Hash]transport.Known{h: k}); err != nil {
		t.Fatal(err)
	}
	if n, ok, err := KnownRecordLen(dir, h); n != 5 || !ok || err != nil {
		t.Fatalf("record of h: %d %v %v", n, ok, err)
	}
	if _, ok, err := KnownRecordLen(dir, other); ok || err != nil {
		t.Fatalf("record of an absent hash: %v %v", ok, err)
	}
}
