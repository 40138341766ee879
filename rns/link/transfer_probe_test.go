package link_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestResourceReceiverProbe drives a receiver part by part through the
// link's resource API: requests go out as windows complete, the last part
// proves the resource once, and the next receiver starts at the window the
// first ended with.
func TestResourceReceiverProbe(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{})
	defer closeLinks(ini, resp)
	const mtu = 150 + resource.SDUOverhead
	r, _, err := ini.BuildResource(random(1500), link.ResourceOptions{NoCompress: true}, mtu)
	if err != nil {
		t.Fatal(err)
	}
	rcv, err := ini.NewResourceReceiver(r.Advertisement(), mtu)
	if err != nil {
		t.Fatal(err)
	}
	if ini.LastResourceWindow() != 0 || rcv.Window().Size != resource.Window {
		t.Fatalf("fresh link: last window %d, window %+v", ini.LastResourceWindow(), rcv.Window())
	}
	if req, err := ini.RequestResourceParts(rcv); err != nil || req == nil {
		t.Fatalf("first request: %x %v", req, err)
	}
	proofs := 0
	for i := range rcv.TotalParts() {
		ok, proved, err := ini.FeedResourcePart(rcv, r.Part(i))
		if !ok || err != nil {
			t.Fatalf("part %d: %v %v", i, ok, err)
		}
		if proved {
			proofs++
		}
	}
	w := rcv.Window().Size
	if proofs != 1 || rcv.Status() != resource.StatusComplete || w <= resource.Window {
		t.Fatalf("%d proofs, status %v, window %d", proofs, rcv.Status(), w)
	}
	if err := r.VerifyProof(rcv.Proof()); err != nil {
		t.Fatal(err)
	}
	if ini.LastResourceWindow() != w {
		t.Fatalf("last window %d, want %d", ini.LastResourceWindow(), w)
	}
	rcv2, err := ini.NewResourceReceiver(r.Advertisement(), mtu)
	if err != nil || rcv2.Window().Size != w {
		t.Fatalf("second receiver: %v, window %+v", err, rcv2.Window())
	}
}

// TestAcceptAdvertisement: an advertisement is accepted whatever the
// strategy, once; malformed ones are refused.
func TestAcceptAdvertisement(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{})
	defer closeLinks(ini, resp)
	r, _, err := ini.BuildResource(random(800), link.ResourceOptions{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := r.Advertisement().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ini.AcceptAdvertisement(pt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ini.AcceptAdvertisement(pt); !errors.Is(err, link.ErrResourceDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if n := len(ini.IncomingResources()); n != 1 {
		t.Fatalf("%d incoming", n)
	}
	if _, err := ini.AcceptAdvertisement([]byte{0xc1, 1, 2}); !errors.Is(err, resource.ErrAdvertisement) {
		t.Fatalf("garbage: %v", err)
	}
	tr.Cancel()
	<-tr.Done()
}

// TestResourceQueue: a link sends one resource at a time; a resource sent
// while another holds the link is queued until it is gone.
func TestResourceQueue(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	got, onConcluded := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onConcluded})
	defer closeLinks(ini, resp)
	if !ini.ReadyForNewResource() {
		t.Fatal("a fresh link is not ready")
	}
	first, _, err := ini.BuildResource(random(800), link.ResourceOptions{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := ini.RegisterOutgoingResource(first)
	if err != nil {
		t.Fatal(err)
	}
	if ini.ReadyForNewResource() {
		t.Fatal("ready with a registered resource")
	}
	data := random(3000)
	tr, err := ini.SendResource(context.Background(), data, link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-tr.Done():
		t.Fatalf("sent while the link was busy: %v", tr.Err())
	case <-time.After(600 * time.Millisecond):
	}
	if tr.Status() != resource.StatusQueued {
		t.Fatalf("status %v, want queued", tr.Status())
	}
	ini.CancelOutgoingResource(first)
	<-reg.Done()
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, "concluded", got); r.err != nil || !bytes.Equal(r.data, data) {
		t.Fatalf("received %d bytes, %v", len(r.data), r.err)
	}
}

// TestResourceHashmapUpdates: a resource of more parts than an
// advertisement's hashmap holds is received through hashmap updates, and
// the receiving transfer counts them.
func TestResourceHashmapUpdates(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	var in *link.Transfer
	started := make(chan struct{})
	got, onConcluded := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onConcluded,
		OnStarted: func(tr *link.Transfer) { in = tr; close(started) }})
	defer closeLinks(ini, resp)
	data := random(48 << 10)
	tr, err := ini.SendResource(context.Background(), data, link.ResourceOptions{NoCompress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, "concluded", got); r.err != nil || !bytes.Equal(r.data, data) {
		t.Fatalf("received %d bytes, %v", len(r.data), r.err)
	}
	<-started
	if asked, updates := in.HashmapUpdates(); asked < 1 || updates < 1 {
		t.Fatalf("hashmap updates: %d asked, %d received", asked, updates)
	}
}

// TestBuildResourceRemap: a map hash collision makes the link build again
// with a fresh random hash.
func TestBuildResourceRemap(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{})
	defer closeLinks(ini, resp)
	var mu sync.Mutex
	var hashes [][]byte
	hasher := func(part, randomHash []byte) [resource.MapHashLen]byte {
		mu.Lock()
		defer mu.Unlock()
		if len(hashes) == 0 || !bytes.Equal(hashes[len(hashes)-1], randomHash) {
			hashes = append(hashes, bytes.Clone(randomHash))
		}
		if len(hashes) == 1 {
			return [4]byte{9, 9, 9, 9} // every part of the first build collides
		}
		return resource.MapHash(part, randomHash)
	}
	r, _, err := ini.BuildResource(random(4000), link.ResourceOptions{MapHasher: hasher}, 200+resource.SDUOverhead)
	if err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 2 || !bytes.Equal(r.RandomHash[:], hashes[1]) {
		t.Fatalf("random hashes %x, resource's %x", hashes, r.RandomHash)
	}
}

// TestRegisteredResourceRequests: a registered resource answers part
// requests, re-delivered copies of a request are ignored, and its proof
// completes it and frees the link.
func TestRegisteredResourceRequests(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{})
	defer closeLinks(ini, resp)
	const mtu = 200 + resource.SDUOverhead
	r, _, err := ini.BuildResource(random(1500), link.ResourceOptions{}, mtu)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := ini.RegisterOutgoingResource(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ini.RegisterOutgoingResource(r); !errors.Is(err, link.ErrResourceDuplicate) {
		t.Fatalf("registered twice: %v", err)
	}
	req := append([]byte{resource.HashmapNotExhausted}, r.Hash[:]...)
	req = append(req, r.Hashmap...)
	// Packets the link sends are, byte for byte, packets its peer could
	// send it: capture them and hand them to the link.
	capture := func(typ wire.PacketType, ctx wire.Context, payload []byte) []byte {
		var raw []byte
		if _, err := ini.SendPacketWith(typ, ctx, payload, func(b []byte) { raw = bytes.Clone(b) }); err != nil {
			t.Fatal(err)
		}
		return raw
	}
	deliver := func(raw []byte) { ini.Receive(rx(t, bytes.Clone(raw), ini.AttachedInterface())) }
	reqRaw := capture(wire.Data, wire.ContextResourceReq, req)
	deliver(reqRaw)
	waitFor(t, "parts served", func() bool { done, _ := reg.Parts(); return done == r.NumParts() })
	if reg.Status() != resource.StatusAwaitingProof {
		t.Fatalf("status %v", reg.Status())
	}
	deliver(reqRaw)
	deliver(reqRaw)
	// Events are handled in order: once the proof concluded the transfer,
	// the copies before it were handled.
	deliver(capture(wire.Proof, wire.ContextResourcePRF, append(r.Hash[:len(r.Hash):len(r.Hash)], r.ExpectedProof[:]...)))
	<-reg.Done()
	if err := reg.Err(); err != nil {
		t.Fatal(err)
	}
	if n := reg.Requests(); n != 1 {
		t.Fatalf("%d requests served, want 1", n)
	}
	if !ini.ReadyForNewResource() {
		t.Fatal("the canceled resource still holds the link")
	}
}

// TestResourceDecompressionBomb: a segment that decompresses past the
// receiver's ceiling is rejected as corrupt and the link torn down.
func TestResourceDecompressionBomb(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	got, onConcluded := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, MaxDecompressed: 256 << 10, OnConcluded: onConcluded})
	defer closeLinks(ini, resp)
	small := compressible(100 << 10)
	tr, err := ini.SendResource(context.Background(), small, link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("under the ceiling: %v", err)
	}
	if r := wait(t, "concluded", got); r.err != nil || !bytes.Equal(r.data, small) {
		t.Fatalf("received %d bytes, %v", len(r.data), r.err)
	}
	bomb, err := ini.SendResource(context.Background(), make([]byte, 512<<10), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bomb.Wait(context.Background()); !errors.Is(err, link.ErrResourceRejected) {
		t.Fatalf("bomb sender: %v", err)
	}
	if r := wait(t, "concluded", got); !errors.Is(r.err, link.ErrResourceCorrupt) || !errors.Is(r.err, resource.ErrTooLarge) {
		t.Fatalf("bomb receiver: %v", r.err)
	}
	waitFor(t, "link closed", func() bool { return resp.Status() == link.StatusClosed })
}
