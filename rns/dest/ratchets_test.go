package dest

import (
	"bytes"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// memStore is a RatchetStore in memory that signs and checks nothing
// but remembers which identity stored the list.
type memStore struct {
	keys  [][identity.RatchetSize]byte
	id    *identity.Identity
	saves int
	fail  error
}

func (m *memStore) LoadRatchets(id *identity.Identity) ([][identity.RatchetSize]byte, error) {
	if m.fail != nil {
		return nil, m.fail
	}
	if m.id == nil {
		return nil, fs.ErrNotExist
	}
	if m.id != id {
		return nil, errBadStore
	}
	return append([][identity.RatchetSize]byte(nil), m.keys...), nil
}

func (m *memStore) SaveRatchets(keys [][identity.RatchetSize]byte, id *identity.Identity) error {
	m.saves++
	m.keys, m.id = append([][identity.RatchetSize]byte(nil), keys...), id
	return nil
}

var errBadStore = errors.New("store signed by another identity")

func newRatchetDest(t *testing.T) (*Destination, *memStore) {
	t.Helper()
	id, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(id, In, wire.Single, nil, "conformance", "ratchets")
	if err != nil {
		t.Fatal(err)
	}
	st := &memStore{}
	if err := d.EnableRatchets(st); err != nil {
		t.Fatal(err)
	}
	return d, st
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
	if err := out.EnableRatchets(&memStore{}); !errors.Is(err, ErrRatchetsNeedSingle) {
		t.Fatalf("enable on OUT: %v", err)
	}
}

func TestRatchetRotationGate(t *testing.T) {
	d, st := newRatchetDest(t)
	if ids := d.RatchetIDs(); ids == nil || len(ids) != 0 {
		t.Fatalf("new ratchet list %v, want empty", ids)
	}
	if st.saves != 1 || st.id != d.Identity {
		t.Fatal("enable did not store the empty list")
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
	// The store holds what memory holds.
	if len(st.keys) != 2 {
		t.Fatalf("store: %d keys", len(st.keys))
	}
	if sp, _ := identity.RatchetPublic(st.keys[0][:]); identity.RatchetID(sp[:]) != ids[0] {
		t.Fatal("stored newest key is not the current ratchet")
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
	d, st := newRatchetDest(t)
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
	// Another destination with the same identity picks the list up.
	d2, _ := New(d.Identity, In, wire.Single, nil, "conformance", "ratchets")
	if err := d2.EnableRatchets(st); err != nil || len(d2.RatchetIDs()) != 3 {
		t.Fatalf("reload in a second destination: %v", err)
	}
	// A store that fails to verify is refused and ratchets are off again.
	st.fail = errBadStore
	if err := d.ReloadRatchets(); !errors.Is(err, errBadStore) {
		t.Fatalf("bad store: %v", err)
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
	if err := d.EnableRatchets(&memStore{}); !errors.Is(err, ErrRatchetsNeedSingle) {
		t.Fatalf("enable on zero destination: %v", err)
	}
}
