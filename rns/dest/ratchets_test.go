package dest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// refRatchetFile is the ratchet file the reference (RNS 1.4.2,
// Destination._persist_ratchets) writes for the identity with private key
// bytes 0..63 and the ratchets 0x11×32 and 0x22×32, newest first.
const refRatchetFile = "82a97369676e6174757265c44061634abc06a403aa0b91981cf7bcd921486256aefc796320906e2f45de1d64b6eaea0f9368448f6b2853471b9ff422d8ef4ef1a7082ab4ad37d1c6ef6fd84e0fa87261746368657473c44592c4201111111111111111111111111111111111111111111111111111111111111111c4202222222222222222222222222222222222222222222222222222222222222222"

// refEmptyRatchetFile is the same for an empty list, as enabling ratchets
// on a new destination writes it.
const refEmptyRatchetFile = "82a97369676e6174757265c440d0011c754e494dc43a44d1ae8764d3cfe68f5ba3af7845e89402050741562e807f9401489216872c6d8e1aa67925cbf75b7bb28706971c4c4ff65cd65e6fbc0ca87261746368657473c40190"

func fixedIdentity(t *testing.T) *identity.Identity {
	t.Helper()
	var k [64]byte
	for i := range k {
		k[i] = byte(i)
	}
	id, err := identity.FromPrivateKey(k[:])
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRatchetFileMatchesReference(t *testing.T) {
	id := fixedIdentity(t)
	var r1, r2 [identity.RatchetSize]byte
	for i := range r1 {
		r1[i], r2[i] = 0x11, 0x22
	}
	for _, tc := range []struct {
		name string
		keys [][identity.RatchetSize]byte
		want string
	}{
		{"two", [][identity.RatchetSize]byte{r1, r2}, refRatchetFile},
		{"empty", nil, refEmptyRatchetFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeRatchetFile(tc.keys, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.want {
				t.Fatalf("file\n got %s\nwant %s", got, tc.want)
			}
			ref, _ := hex.DecodeString(tc.want)
			keys, err := DecodeRatchetFile(ref, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(tc.keys) {
				t.Fatalf("decoded %d keys, want %d", len(keys), len(tc.keys))
			}
			for i := range keys {
				if keys[i] != tc.keys[i] {
					t.Fatalf("key %d differs", i)
				}
			}
		})
	}
}

func TestDecodeRatchetFileMalformed(t *testing.T) {
	id := fixedIdentity(t)
	other, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := hex.DecodeString(refRatchetFile)
	flipped := bytes.Clone(ref)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name string
		b    []byte
		id   *identity.Identity
	}{
		{"empty", nil, id},
		{"not a map", []byte{0x90}, id},
		{"no signature", []byte{0x81, 0xa8, 'r', 'a', 't', 'c', 'h', 'e', 't', 's', 0xc4, 0x01, 0x90}, id},
		{"tampered ratchet", flipped, id},
		{"wrong identity", ref, other},
		{"truncated", ref[:len(ref)/2], id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeRatchetFile(tc.b, tc.id); !errors.Is(err, ErrRatchetFile) {
				t.Fatalf("err = %v, want ErrRatchetFile", err)
			}
		})
	}
}

func newRatchetDest(t *testing.T) (*Destination, string) {
	t.Helper()
	id, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(id, In, wire.Single, nil, "conformance", "ratchets")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ratchets")
	if err := d.EnableRatchets(path); err != nil {
		t.Fatal(err)
	}
	return d, path
}

func TestRotateRatchetsRequiresEnabled(t *testing.T) {
	id, _ := identity.Generate(nil)
	d, err := New(id, In, wire.Single, nil, "conformance", "ratchets")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RotateRatchets(nil, time.Now()); !errors.Is(err, ErrRatchetsDisabled) {
		t.Fatalf("rotate without ratchets: %v", err)
	}
	if d.EnforceRatchets() {
		t.Fatal("enforce took effect without ratchets")
	}
	out, _ := New(id, Out, wire.Single, nil, "conformance", "ratchets")
	if err := out.EnableRatchets(filepath.Join(t.TempDir(), "r")); !errors.Is(err, ErrRatchetsNeedSingle) {
		t.Fatalf("enable on OUT: %v", err)
	}
}

func TestRatchetRotationGate(t *testing.T) {
	d, path := newRatchetDest(t)
	if ids := d.RatchetIDs(); ids == nil || len(ids) != 0 {
		t.Fatalf("new ratchet list %v, want empty", ids)
	}
	if b, err := os.ReadFile(path); err != nil || len(b) == 0 {
		t.Fatalf("enable wrote no file: %v", err)
	}
	now := time.Unix(2_000_000_000, 0)
	// Enabling resets the last rotation, so the first rotation is due.
	if rotated, err := d.RotateRatchets(nil, now); err != nil || !rotated {
		t.Fatalf("first rotation: %v %v", rotated, err)
	}
	first := d.RatchetIDs()[0]
	if !d.SetRatchetInterval(100*time.Second) || d.SetRatchetInterval(0) || d.RatchetInterval() != 100*time.Second {
		t.Fatal("interval not set as expected")
	}
	if rotated, _ := d.RotateRatchets(nil, now.Add(50*time.Second)); rotated {
		t.Fatal("rotated inside the interval")
	}
	if rotated, _ := d.RotateRatchets(nil, now.Add(100*time.Second)); rotated {
		t.Fatal("rotated at exactly the interval (the reference wants strictly later)")
	}
	if rotated, _ := d.RotateRatchets(nil, now.Add(101*time.Second)); !rotated {
		t.Fatal("did not rotate after the interval")
	}
	ids := d.RatchetIDs()
	if len(ids) != 2 || ids[1] != first || ids[0] == first {
		t.Fatalf("ids after rotation %x", ids)
	}
	pub, ok := d.CurrentRatchet()
	if !ok || identity.RatchetID(pub[:]) != ids[0] {
		t.Fatal("current ratchet is not the newest")
	}
	// The file holds what memory holds.
	b, _ := os.ReadFile(path)
	keys, err := DecodeRatchetFile(b, d.Identity)
	if err != nil || len(keys) != 2 {
		t.Fatalf("file: %d keys, %v", len(keys), err)
	}
}

func TestRetainedRatchetsCut(t *testing.T) {
	d, _ := newRatchetDest(t)
	if !d.SetRetainedRatchets(8) || d.SetRetainedRatchets(0) || d.RetainedRatchets() != 8 {
		t.Fatal("retained count not set as expected")
	}
	now := time.Unix(2_000_000_000, 0)
	for i := range RatchetCount + 3 {
		if _, err := d.RotateRatchets(nil, now.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Like the reference, a list longer than the retained count is cut to
	// RatchetCount, not to the retained count.
	if n := len(d.RatchetIDs()); n != RatchetCount {
		t.Fatalf("%d ratchets, want %d", n, RatchetCount)
	}
}

func TestRatchetPersistReload(t *testing.T) {
	d, path := newRatchetDest(t)
	now := time.Unix(2_000_000_000, 0)
	for i := range 3 {
		d.RotateRatchets(nil, now.Add(time.Duration(i)*time.Hour))
	}
	before := d.RatchetIDs()
	if err := d.PersistRatchets(); err != nil {
		t.Fatal(err)
	}
	if err := d.ReloadRatchets(); err != nil {
		t.Fatal(err)
	}
	after := d.RatchetIDs()
	if len(after) != 3 || len(before) != 3 {
		t.Fatalf("%d ratchets before, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatal("reloaded ratchets differ")
		}
	}
	// Another destination with the same identity picks the file up.
	d2, _ := New(d.Identity, In, wire.Single, nil, "conformance", "ratchets")
	if err := d2.EnableRatchets(path); err != nil || len(d2.RatchetIDs()) != 3 {
		t.Fatalf("reload in a second destination: %v", err)
	}
	// A tampered file is refused and ratchets are off again.
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o600)
	if err := d.ReloadRatchets(); !errors.Is(err, ErrRatchetFile) {
		t.Fatalf("tampered file: %v", err)
	}
	if d.RatchetsEnabled() {
		t.Fatal("ratchets still enabled after a bad file")
	}
}

func TestRatchetEncryptDecrypt(t *testing.T) {
	d, _ := newRatchetDest(t)
	now := time.Unix(2_000_000_000, 0)
	d.RotateRatchets(nil, now)
	if d.LatestRatchetID() != nil {
		t.Fatal("latest ratchet ID set before any encryption")
	}
	pub, _ := d.CurrentRatchet()
	msg := []byte("forward secret")

	ct, err := d.EncryptRatcheted(nil, msg, pub[:])
	if err != nil {
		t.Fatal(err)
	}
	want := identity.RatchetID(pub[:])
	if !bytes.Equal(d.LatestRatchetID(), want[:]) {
		t.Fatal("encrypt did not record the ratchet ID")
	}
	d.ClearLatestRatchetID()
	pt, err := d.DecryptRatcheted(ct)
	if err != nil || !bytes.Equal(pt, msg) || !bytes.Equal(d.LatestRatchetID(), want[:]) {
		t.Fatalf("ratchet decrypt: %q %v id %x", pt, err, d.LatestRatchetID())
	}

	// To the identity key: accepted with a nil ratchet ID, until
	// ratchets are enforced.
	static, err := d.EncryptRatcheted(nil, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err = d.DecryptRatcheted(static)
	if err != nil || !bytes.Equal(pt, msg) || d.LatestRatchetID() != nil {
		t.Fatalf("static decrypt: %q %v id %x", pt, err, d.LatestRatchetID())
	}
	if !d.EnforceRatchets() || !d.RatchetsEnforced() {
		t.Fatal("enforce did not take")
	}
	if _, err := d.DecryptRatcheted(static); !errors.Is(err, identity.ErrRatchetRequired) {
		t.Fatalf("enforced static decrypt: %v", err)
	}
	if pt, err := d.DecryptRatcheted(ct); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("enforced ratchet decrypt: %v", err)
	}
	// Garbage never decrypts, and never panics.
	for _, b := range [][]byte{nil, {1}, bytes.Repeat([]byte{7}, 100)} {
		if _, err := d.DecryptRatcheted(b); err == nil {
			t.Fatalf("decrypted %x", b)
		}
	}
}

func TestRatchetsZeroDestination(t *testing.T) {
	var d Destination
	if d.RatchetsEnabled() || d.RatchetIDs() != nil || d.RetainedRatchets() != RatchetCount || d.RatchetInterval() != RatchetInterval {
		t.Fatal("zero destination has unexpected ratchet state")
	}
	if err := d.EnableRatchets("x"); !errors.Is(err, ErrRatchetsNeedSingle) {
		t.Fatalf("enable on zero destination: %v", err)
	}
}
