package link_test

import (
	"errors"
	"testing"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/resource"
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
