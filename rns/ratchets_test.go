package rns_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestRatchetedDestination: a destination with ratchets announces its
// newest ratchet, the peer adopts it and encrypts to it, the destination
// decrypts with it (and refuses the identity key once ratchets are
// enforced), and a packet encrypted to the identity key is still received
// until then.
func TestRatchetedDestination(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, err := rns.NewNode(rns.Options{StorageDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := rns.NewNode(rns.Options{StorageDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pair(t, a, b)

	id, _ := identity.Generate(nil)
	in, err := a.NewDestination(id, rns.In, wire.Single, "mehrtest", "ratchets")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 4)
	in.SetPacketCallback(func(data []byte, _ *transport.Packet) { got <- bytes.Clone(data) })
	in.SetProofStrategy(rns.ProveAll)
	if err := in.EnableRatchets(filepath.Join(a.StorageDir(), "ratchets-in")); err != nil {
		t.Fatal(err)
	}
	raw, err := in.AnnouncePacket(nil)
	if err != nil {
		t.Fatal(err)
	}
	var p wire.Packet
	if err := p.Decode(raw); err != nil || !p.ContextFlag {
		t.Fatalf("announce without the ratchet flag: %v", err)
	}
	ann, err := announce.Validate(&p)
	if err != nil {
		t.Fatal(err)
	}
	ids := in.RatchetIDs()
	if len(ids) != 1 || identity.RatchetID(ann.Ratchet) != ids[0] {
		t.Fatal("announce does not carry the newest ratchet")
	}
	// The node remembers its own destination's ratchet, so encrypting to
	// it locally picks the ratchet too.
	if r, ok := a.Transport().Ratchets().Get(in.Hash()); !ok || !bytes.Equal(r, ann.Ratchet) {
		t.Fatal("own ratchet not remembered")
	}
	if err := in.Announce(nil); err != nil {
		t.Fatal(err)
	}
	if len(in.RatchetIDs()) != 1 {
		t.Fatal("a second announce inside the interval rotated")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.AwaitPath(ctx, in.Hash()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { _, ok := b.Transport().Ratchets().Get(in.Hash()); return ok }) {
		t.Fatal("peer did not adopt the ratchet")
	}
	rid, _, ok := b.Recall(in.Hash())
	if !ok {
		t.Fatal("recall")
	}
	out, err := b.NewDestination(rid, rns.Out, wire.Single, "mehrtest", "ratchets")
	if err != nil {
		t.Fatal(err)
	}
	r, err := out.Send([]byte("to the ratchet"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.LatestRatchetID(), ids[0][:]) {
		t.Fatal("sender did not encrypt to the adopted ratchet")
	}
	select {
	case m := <-got:
		if string(m) != "to the ratchet" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ratchet packet not received")
	}
	if !bytes.Equal(in.LatestRatchetID(), ids[0][:]) {
		t.Fatal("receiver did not record the ratchet")
	}
	select {
	case <-r.Done():
		if !r.Proved() {
			t.Fatal("not proved")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no proof")
	}

	// To the identity key: received now, refused (and not proved) once
	// ratchets are enforced.
	static, err := out.EncryptRatcheted(nil, []byte("static"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := in.DecryptPayload(static); err != nil || string(pt) != "static" || in.LatestRatchetID() != nil {
		t.Fatalf("static before enforcement: %q %v", pt, err)
	}
	if !in.EnforceRatchets() {
		t.Fatal("enforce")
	}
	if _, err := in.DecryptPayload(static); err == nil {
		t.Fatal("identity key accepted with ratchets enforced")
	}
}

func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// TestRecallAndKnownDestinations: recall falls back to the node's own
// destinations; known destinations survive a save, clear and load; the
// ratchet store is cleaned of destinations no longer known.
func TestRecallAndKnownDestinations(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	n, err := rns.NewNode(rns.Options{StorageDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id, _ := identity.Generate(nil)
	d, err := n.NewDestination(id, rns.In, wire.Single, "mehrtest", "recall")
	if err != nil {
		t.Fatal(err)
	}
	got, app, ok := n.Recall(d.Hash())
	if !ok || got.PublicKey() != id.PublicKey() || got.HasPrivateKey() || app != nil {
		t.Fatal("local destination not recalled as a public identity")
	}
	if _, _, ok := n.Recall(wire.Hash{1}); ok {
		t.Fatal("unknown hash recalled")
	}

	other, _ := identity.Generate(nil)
	var h wire.Hash
	h[0] = 7
	tr := n.Transport()
	tr.Remember(h, transport.Known{Seen: time.Now(), PublicKey: other.PublicKey(), AppData: []byte("label")})
	if err := n.SaveKnownDestinations(); err != nil {
		t.Fatal(err)
	}
	tr.ReplaceKnown(nil)
	if _, _, ok := n.Recall(h); ok {
		t.Fatal("recalled after clearing")
	}
	if err := n.LoadKnownDestinations(); err != nil {
		t.Fatal(err)
	}
	if _, app, ok := n.Recall(h); !ok || string(app) != "label" {
		t.Fatal("not recalled after loading")
	}

	var gone wire.Hash
	gone[0] = 8
	kr := tr.Ratchets()
	for _, dh := range []wire.Hash{h, gone} {
		if _, err := kr.Remember(dh, bytes.Repeat([]byte{dh[0]}, identity.RatchetSize)); err != nil {
			t.Fatal(err)
		}
	}
	s := storage.NewRatchets(dir)
	if removed, err := n.CleanRatchets(); err != nil || removed != 1 {
		t.Fatalf("clean removed %d: %v", removed, err)
	}
	if _, err := os.Stat(s.Path(h)); err != nil {
		t.Fatal("ratchet of a known destination removed")
	}
	if _, err := os.Stat(s.Path(gone)); !os.IsNotExist(err) {
		t.Fatal("ratchet of an unknown destination kept")
	}

	mem, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.SaveKnownDestinations(); err != rns.ErrNoStorage {
		t.Fatalf("save without storage: %v", err)
	}
}
