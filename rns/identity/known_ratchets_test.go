package identity

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

type memBackend struct {
	saved    map[[HashLen]byte][]byte
	received map[[HashLen]byte]time.Time
	saves    int
	err      error
}

func (m *memBackend) SaveRatchet(dest [HashLen]byte, r []byte, at time.Time) error {
	m.saves++
	if m.err != nil {
		return m.err
	}
	m.saved[dest], m.received[dest] = bytes.Clone(r), at
	return nil
}

func (m *memBackend) LoadRatchet(dest [HashLen]byte) ([]byte, time.Time, bool) {
	r, ok := m.saved[dest]
	return r, m.received[dest], ok
}

func TestKnownRatchets(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	be := &memBackend{saved: map[[HashLen]byte][]byte{}, received: map[[HashLen]byte]time.Time{}}
	k := NewKnownRatchets(be, func() time.Time { return now })
	var d1, d2 [HashLen]byte
	d1[0], d2[0] = 1, 2
	r1 := bytes.Repeat([]byte{0x11}, RatchetSize)
	r2 := bytes.Repeat([]byte{0x22}, RatchetSize)

	if _, ok := k.Get(d1); ok {
		t.Fatal("unknown destination has a ratchet")
	}
	if n, err := k.Remember(d1, r1); !n || err != nil {
		t.Fatalf("first remember: %v %v", n, err)
	}
	if n, _ := k.Remember(d1, r1); n || be.saves != 1 {
		t.Fatalf("same ratchet again: new %v, %d saves", n, be.saves)
	}
	if n, _ := k.Remember(d1, r2); !n || be.saves != 2 {
		t.Fatal("newer ratchet not taken")
	}
	if r, ok := k.Get(d1); !ok || !bytes.Equal(r, r2) {
		t.Fatal("Get does not return the newest ratchet")
	}
	if id, ok := k.CurrentID(d1); !ok || id != RatchetID(r2) {
		t.Fatal("CurrentID")
	}

	// From the backend after the memory copy is dropped, within expiry.
	k.Uncache(d1)
	if r, ok := k.Get(d1); !ok || !bytes.Equal(r, r2) {
		t.Fatal("not reloaded from the backend")
	}
	k.Uncache(d1)
	now = now.Add(RatchetExpiry)
	if _, ok := k.Get(d1); ok {
		t.Fatal("expired ratchet loaded")
	}
	// A stored ratchet of the wrong size is ignored.
	be.saved[d2], be.received[d2] = []byte{1, 2, 3}, now
	if _, ok := k.Get(d2); ok {
		t.Fatal("short ratchet loaded")
	}
	// Backend errors are reported, the memory copy is kept.
	be.err = errors.New("disk full")
	if n, err := k.Remember(d2, r1); !n || err == nil {
		t.Fatalf("backend error: %v %v", n, err)
	}
	if r, ok := k.Get(d2); !ok || !bytes.Equal(r, r1) {
		t.Fatal("memory copy lost on backend error")
	}
}

func TestKnownRatchetsNoBackend(t *testing.T) {
	k := NewKnownRatchets(nil, nil)
	var d [HashLen]byte
	r := bytes.Repeat([]byte{3}, RatchetSize)
	if n, err := k.Remember(d, r); !n || err != nil {
		t.Fatal(err)
	}
	r[0] = 9 // the table keeps its own copy
	if got, ok := k.Get(d); !ok || got[0] != 3 {
		t.Fatal("table aliases the caller's slice")
	}
	k.Uncache(d)
	if _, ok := k.Get(d); ok {
		t.Fatal("memory-only table still has an uncached ratchet")
	}
}
