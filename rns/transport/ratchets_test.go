package transport_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// ratchetAnnounce builds an announce of d carrying ratchet, emitted at the
// network clock's time.
func ratchetAnnounce(tb testing.TB, nw *network, d *dest.Destination, ratchet []byte, n int) []byte {
	tb.Helper()
	rh := announce.RandomHash([]byte(fmt.Sprint(d.Hash, n)), nw.clock.Now())
	raw, err := announce.Append(nil, &announce.Params{Destination: d, RandomHash: rh, Ratchet: ratchet})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// TestAnnouncedRatchetAdopted checks that a node remembers the ratchet a
// valid announce carries, and a newer one replaces it even when the path
// table keeps the older announce (same emission second), as the
// reference's validate_announce remembers before the path rules.
func TestAnnouncedRatchetAdopted(t *testing.T) {
	nw := newNetwork(t, 2, line(2))
	a := newApp(t, nw.nodes[0], "ratchet")
	r1 := bytes.Repeat([]byte{0x11}, announce.RatchetLen)
	r2 := bytes.Repeat([]byte{0x22}, announce.RatchetLen)
	far := nw.nodes[1].t

	if _, err := nw.nodes[0].t.Send(ratchetAnnounce(t, nw, a.d, r1, 1), nil); err != nil {
		t.Fatal(err)
	}
	if !nw.settle(time.Second, 10, func() bool { _, ok := far.Ratchets().Get(a.d.Hash); return ok }) {
		t.Fatal("ratchet not adopted")
	}
	if r, _ := far.Ratchets().Get(a.d.Hash); !bytes.Equal(r, r1) {
		t.Fatalf("adopted %x", r)
	}
	if _, err := nw.nodes[0].t.Send(ratchetAnnounce(t, nw, a.d, r2, 2), nil); err != nil {
		t.Fatal(err)
	}
	if !nw.settle(0, 10, func() bool { r, _ := far.Ratchets().Get(a.d.Hash); return bytes.Equal(r, r2) }) {
		t.Fatal("newer ratchet not adopted")
	}
	// The announcing node never adopts its own destination's ratchet from
	// the network.
	if _, ok := nw.nodes[0].t.Ratchets().Get(a.d.Hash); ok {
		t.Fatal("local destination adopted from an echo")
	}
}

func TestValidateAnnounce(t *testing.T) {
	nw := newNetwork(t, 1, nil)
	tr := nw.nodes[0].t
	id, _ := identity.Generate(nil)
	d, err := dest.New(id, dest.In, wire.Single, nil, "mehrtest", "validate")
	if err != nil {
		t.Fatal(err)
	}
	ratchet := bytes.Repeat([]byte{0x33}, announce.RatchetLen)
	raw := ratchetAnnounce(t, nw, d, ratchet, 1)
	other, _ := identity.Generate(nil)

	pub := id.PublicKey()
	for _, tc := range []struct {
		name  string
		plant []byte
		want  bool
	}{
		{"mismatch", func() []byte { k := other.PublicKey(); return k[:] }(), false},
		{"match", pub[:], true},
		{"none", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr.ReplaceKnown(nil)
			if tc.plant != nil {
				tr.Remember(d.Hash, transport.Known{PublicKey: [identity.KeySize]byte(tc.plant)})
			}
			if got := tr.ValidateAnnounce(raw); got != tc.want {
				t.Fatalf("ValidateAnnounce = %v, want %v", got, tc.want)
			}
			rec, _, ok := tr.Recall(d.Hash)
			if !ok || tc.want && rec.PublicKey() != pub {
				t.Fatalf("recall after validation: %v", ok)
			}
		})
	}
	if r, ok := tr.Ratchets().Get(d.Hash); !ok || !bytes.Equal(r, ratchet) {
		t.Fatal("validated announce's ratchet not remembered")
	}
	bad := bytes.Clone(raw)
	bad[len(bad)-1] ^= 1
	for _, b := range [][]byte{nil, {0}, bad, raw[:30]} {
		if tr.ValidateAnnounce(b) {
			t.Fatalf("validated %x", b)
		}
	}
	tr.ReplaceKnown(nil)
	if len(tr.KnownDestinations()) != 0 {
		t.Fatal("ReplaceKnown(nil) left entries")
	}
	if _, ok := tr.Registered(d.Hash); ok {
		t.Fatal("unregistered destination found")
	}
}

// TestRecallAppDataNoneVsEmpty: without app data, a ratchetless announce
// is recalled with none (nil) and a ratcheted one with empty app data,
// as the reference's validate_announce decides by the payload length.
func TestRecallAppDataNoneVsEmpty(t *testing.T) {
	nw := newNetwork(t, 1, nil)
	tr := nw.nodes[0].t
	for _, tc := range []struct {
		name    string
		ratchet []byte
		want    []byte
	}{
		{"ratchetless", nil, nil},
		{"ratcheted", bytes.Repeat([]byte{0x44}, announce.RatchetLen), []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := identity.Generate(nil)
			d, _ := dest.New(id, dest.In, wire.Single, nil, "mehrtest", tc.name)
			if !tr.ValidateAnnounce(ratchetAnnounce(t, nw, d, tc.ratchet, 1)) {
				t.Fatal("not valid")
			}
			_, app, ok := tr.Recall(d.Hash)
			if !ok || (app == nil) != (tc.want == nil) || len(app) != 0 {
				t.Fatalf("app data %#v, want %#v", app, tc.want)
			}
			if got := tr.KnownDestinations()[d.Hash].AppData; (got == nil) != (tc.want == nil) {
				t.Fatalf("table copy %#v", got)
			}
		})
	}
}
