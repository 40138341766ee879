package storage_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type sink struct {
	d   *dest.Destination
	got chan []byte
}

func (s *sink) Hash() wire.Hash     { return s.d.Hash }
func (s *sink) Type() wire.DestType { return wire.Single }
func (s *sink) Receive(p *transport.Packet) {
	if pt, err := s.d.Decrypt(p.Data, nil, false); err == nil {
		s.got <- pt
	}
}

// TestPathsAndKnownSurviveRestart: node B learns A's destination, saves
// its state and restarts from the storage directory; the restarted B still
// knows the path and the identity and reaches A without a new announce.
func TestPathsAndKnownSurviveRestart(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	idA, _ := identity.FromPrivateKey(bytes.Repeat([]byte{1}, 64))
	a, err := transport.New(transport.Config{Identity: idA, Enabled: true, NoJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d, err := dest.New(idA, dest.In, wire.Single, nil, "mehrtest", "restart")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{d: d, got: make(chan []byte, 1)}
	if err := a.Register(s); err != nil {
		t.Fatal(err)
	}

	startB := func() (*transport.Transport, *transport.Iface) {
		idB, err := storage.TransportIdentity(dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := transport.New(transport.Config{Identity: idB, Enabled: true, NoJobs: true})
		if err != nil {
			t.Fatal(err)
		}
		pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "to-b"}, ifacetest.Config{Name: "to-a"})
		for _, i := range a.Interfaces() {
			a.RemoveInterface(i)
		}
		if _, err := a.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
			t.Fatal(err)
		}
		ib, err := b.AddInterface(pb, transport.InterfaceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return b, ib
	}

	b, _ := startB()
	firstID := b.ID()
	raw, err := announce.Append(nil, &announce.Params{Destination: d, AppData: []byte("hello"),
		RandomHash: announce.RandomHash([]byte("r"), time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(raw, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "path on B", func() bool { return b.HasPath(d.Hash) })
	if err := storage.SaveKnown(dir, b.KnownDestinations()); err != nil {
		t.Fatal(err)
	}
	if err := storage.SavePaths(dir, b.Paths()); err != nil {
		t.Fatal(err)
	}
	before, _ := b.Path(d.Hash)
	b.Close()

	b2, _ := startB()
	defer b2.Close()
	if b2.ID() != firstID {
		t.Fatal("transport identity changed across restart")
	}
	known, err := storage.LoadKnown(dir)
	if err != nil {
		t.Fatal(err)
	}
	for h, k := range known {
		b2.Remember(h, k)
	}
	paths, err := storage.LoadPaths(dir, b2.Interfaces())
	if err != nil {
		t.Fatal(err)
	}
	for h, pe := range paths {
		b2.SetPath(h, pe)
	}
	after, ok := b2.Path(d.Hash)
	if !ok || after.Hops != before.Hops || after.NextHop != before.NextHop || !bytes.Equal(after.Announce, before.Announce) ||
		after.Timestamp.Unix() != before.Timestamp.Unix() || len(after.RandomBlobs) != 1 {
		t.Fatalf("path after restart %+v, before %+v", after, before)
	}
	id, app, ok := b2.Recall(d.Hash)
	if !ok || id.Hash() != idA.Hash() || string(app) != "hello" {
		t.Fatalf("known identity lost: %v %q", ok, app)
	}

	// B reaches A with no new announce.
	ct, err := id.Encrypt(nil, []byte("after restart"), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := wire.Header{Destination: d.Hash}
	if _, err := b2.Send(append(h.Append(nil), ct...), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-s.got:
		if string(got) != "after restart" {
			t.Fatalf("got %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("packet after restart not delivered")
	}
	b2.Close()
	a.Close()
}

func TestLoadMalformed(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file string
		data []byte
	}{
		{storage.KnownDestinationsFile, []byte{0xc1}},
		{storage.KnownDestinationsFile, []byte{0x91, 0x01}}, // a list, not a map
		{storage.DestinationTableFile, []byte{0x81, 0x01, 0x02}},
	} {
		if err := os.WriteFile(filepath.Join(dir, c.file), c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if c.file == storage.KnownDestinationsFile {
			_, err = storage.LoadKnown(dir)
		} else {
			_, err = storage.LoadPaths(dir, nil)
		}
		if err == nil {
			t.Errorf("%s %x loaded without error", c.file, c.data)
		}
	}
	// Entries of the wrong shape are skipped, not fatal.
	os.WriteFile(filepath.Join(dir, storage.KnownDestinationsFile), []byte{0x81, 0xc4, 0x01, 0x00, 0x90}, 0o600)
	if k, err := storage.LoadKnown(dir); err != nil || len(k) != 0 {
		t.Errorf("bad entry: %v %v", k, err)
	}
}
