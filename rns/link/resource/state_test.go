package resource_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/link/resource"
)

// pair builds a resource of n random bytes with parts of sdu bytes and the
// receiver its advertisement starts.
func pair(t *testing.T, n, sdu int) (*resource.Resource, *resource.Receiver) {
	t.Helper()
	p := testParams(randomData(uint64(n), n), false)
	p.MTU = sdu + resource.SDUOverhead
	r, err := resource.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	adv := sentAdvertisement(t, r)
	recv, err := resource.NewReceiver(adv, testKey, p.MTU)
	if err != nil {
		t.Fatal(err)
	}
	return r, recv
}

// requested splits a request into its flag and map hashes.
func requested(t *testing.T, req []byte) (exhausted bool, hashes [][]byte) {
	t.Helper()
	q, err := resource.DecodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(q.MapHashes); i += resource.MapHashLen {
		hashes = append(hashes, q.MapHashes[i:i+resource.MapHashLen])
	}
	return q.Exhausted, hashes
}

// TestReceiverWindow follows the reference's inbound request state: the
// initial window, the consecutive pointer, the window grown by a request
// answered in full, parts beyond the window and duplicates refused.
func TestReceiverWindow(t *testing.T) {
	r, recv := pair(t, 1500, 200)
	if w := recv.Window(); w != (resource.WindowState{Size: resource.Window, Min: resource.WindowMin, Max: resource.WindowMaxSlow}) {
		t.Fatalf("initial window %+v", w)
	}
	if recv.ConsecutiveHeight() != -1 || recv.HashmapHeight() != recv.TotalParts() || recv.WaitingForHMU() || recv.Progress() != 0 {
		t.Fatalf("initial state: cch %d height %d of %d", recv.ConsecutiveHeight(), recv.HashmapHeight(), recv.TotalParts())
	}
	ex, hashes := requested(t, recv.AppendRequest(nil))
	if ex || len(hashes) != resource.Window || !bytes.Equal(hashes[0], r.MapHash(0)) || recv.Outstanding() != resource.Window {
		t.Fatalf("first request: exhausted %v, %d hashes, %d outstanding", ex, len(hashes), recv.Outstanding())
	}
	// Part Window is genuine but beyond the window scanned from part 0.
	if ok, err := recv.AcceptPart(r.Part(resource.Window)); ok || !errors.Is(err, resource.ErrPart) {
		t.Fatalf("part beyond the window: %v %v", ok, err)
	}
	if ok, err := recv.AcceptPart(r.Part(0)); !ok || err != nil {
		t.Fatalf("part 0: %v %v", ok, err)
	}
	if ok, err := recv.AcceptPart(r.Part(0)); ok || err != nil {
		t.Fatalf("duplicate part 0: %v %v", ok, err)
	}
	if got, _ := recv.Received(); got != 1 || recv.ConsecutiveHeight() != 0 {
		t.Fatalf("after part 0: %d received, cch %d", got, recv.ConsecutiveHeight())
	}
	for i := 1; i < resource.Window; i++ {
		if ok, err := recv.AcceptPart(r.Part(i)); !ok || err != nil {
			t.Fatalf("part %d: %v %v", i, ok, err)
		}
	}
	if w := recv.Window(); w.Size != resource.Window+1 || recv.Outstanding() != 0 {
		t.Fatalf("window after a full request: %+v, %d outstanding", w, recv.Outstanding())
	}
	if p := recv.Progress(); p != float64(resource.Window)/float64(recv.TotalParts()) {
		t.Fatalf("progress %v", p)
	}
	_, hashes = requested(t, recv.AppendRequest(nil))
	if len(hashes) != min(resource.Window+1, recv.TotalParts()-resource.Window) || !bytes.Equal(hashes[0], r.MapHash(resource.Window)) {
		t.Fatalf("second request: %d hashes", len(hashes))
	}
	recv.Retry()
	if w := recv.Window(); w.Size != resource.Window || w.Max != resource.WindowMaxSlow-2 {
		t.Fatalf("window after a retry: %+v", w)
	}
	recv.SetWindow(7)
	if recv.Window().Size != 7 {
		t.Fatalf("SetWindow: %+v", recv.Window())
	}
}

// TestReceiverRates: fast requests raise the window's maximum, very slow
// ones lower it.
func TestReceiverRates(t *testing.T) {
	_, fast := pair(t, 1500, 200)
	for range resource.FastRateThreshold {
		fast.ObserveRate(2*resource.RateFast, false)
	}
	if w := fast.Window(); w.Max != resource.WindowMaxFast {
		t.Fatalf("fast: %+v", w)
	}
	_, slow := pair(t, 1500, 200)
	for range resource.VerySlowRateThreshold {
		slow.ObserveRate(resource.RateVerySlow/2, false)
	}
	if slow.Window().Max != resource.WindowMaxSlow {
		t.Fatalf("a first answer lowered the maximum: %+v", slow.Window())
	}
	for range resource.VerySlowRateThreshold {
		slow.ObserveRate(resource.RateVerySlow/2, true)
	}
	if w := slow.Window(); w.Max != resource.WindowMaxVerySlow {
		t.Fatalf("very slow: %+v", w)
	}
}

// TestReceiverHashmapExhausted: a request reaching a part whose map hash
// is unknown asks for a hashmap update and no request follows until it is
// applied; applying a segment twice counts it once.
func TestReceiverHashmapExhausted(t *testing.T) {
	r, recv := pair(t, 14000, 150)
	if recv.TotalParts() <= resource.HashmapMaxLen || recv.HashmapHeight() != resource.HashmapMaxLen {
		t.Fatalf("%d parts, height %d", recv.TotalParts(), recv.HashmapHeight())
	}
	for i := range resource.HashmapMaxLen - 1 {
		if ok, err := recv.AcceptPart(r.Part(i)); !ok || err != nil {
			t.Fatalf("part %d: %v %v", i, ok, err)
		}
	}
	req := recv.AppendRequest(nil)
	ex, hashes := requested(t, req)
	if !ex || len(hashes) != 1 || !bytes.Equal(hashes[0], r.MapHash(resource.HashmapMaxLen-1)) || !recv.WaitingForHMU() {
		t.Fatalf("exhausted request: %v, %d hashes", ex, len(hashes))
	}
	if q, _ := resource.DecodeRequest(req); !bytes.Equal(q.LastMapHash[:], r.MapHash(resource.HashmapMaxLen-1)) {
		t.Fatalf("last map hash %x", q.LastMapHash)
	}
	if again := recv.AppendRequest(nil); len(again) != 0 {
		t.Fatalf("requested while waiting for a hashmap update: %x", again)
	}
	parts, hmu, err := r.HandleRequest(req)
	if err != nil || len(parts) != 1 || hmu == nil {
		t.Fatalf("HandleRequest: %v %v %x", parts, err, hmu)
	}
	if err := recv.UpdateHashmap(hmu); err != nil || recv.WaitingForHMU() {
		t.Fatalf("UpdateHashmap: %v", err)
	}
	h := recv.HashmapHeight()
	seg := r.Hashmap[resource.HashmapMaxLen*resource.MapHashLen:]
	if err := recv.ApplyHashmap(1, seg); err != nil || recv.HashmapHeight() != h {
		t.Fatalf("duplicate segment: %v, height %d, want %d", err, recv.HashmapHeight(), h)
	}
	if h != recv.TotalParts() {
		t.Fatalf("height %d of %d", h, recv.TotalParts())
	}
}

// TestReceiverCancel: a failed receiver ignores late parts, hashmap
// updates and requests.
func TestReceiverCancel(t *testing.T) {
	r, recv := pair(t, 12000, 150)
	recv.Cancel()
	if recv.Status() != resource.StatusFailed {
		t.Fatalf("status %v", recv.Status())
	}
	h := recv.HashmapHeight()
	if _, err := recv.AcceptPart(r.Part(0)); !errors.Is(err, resource.ErrFailed) {
		t.Fatalf("late part: %v", err)
	}
	if err := recv.ApplyHashmap(1, r.Hashmap[resource.HashmapMaxLen*resource.MapHashLen:]); !errors.Is(err, resource.ErrFailed) || recv.HashmapHeight() != h {
		t.Fatalf("late hashmap: %v", err)
	}
	if got, _ := recv.Received(); got != 0 || len(recv.AppendRequest(nil)) != 0 {
		t.Fatal("a failed receiver took a part or requested")
	}
}

// TestReceiverPutPart: parts filed by index assemble, and a corrupted one
// makes the resource corrupt without a proof.
func TestReceiverPutPart(t *testing.T) {
	for _, corrupt := range []bool{false, true} {
		r, recv := pair(t, 900, 200)
		for i := range recv.TotalParts() {
			part := r.Part(i)
			if corrupt && i == 1 {
				part = bytes.Repeat([]byte{7}, len(part))
			}
			if err := recv.PutPart(i, part); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := recv.Assemble()
		if corrupt != (err != nil) || corrupt != (recv.Status() == resource.StatusCorrupt) || corrupt != (recv.Proof() == nil) {
			t.Fatalf("corrupt %v: %v, status %v", corrupt, err, recv.Status())
		}
	}
}

// TestSenderState follows the reference's outgoing request handling: a
// hashmap request off a segment boundary fails the resource, an aligned
// one advances the search scope, serving every part awaits the proof, and
// a failed resource ignores requests and proofs.
func TestSenderState(t *testing.T) {
	req := func(r *resource.Resource, last int, hashes []byte) []byte {
		b := []byte{resource.HashmapNotExhausted}
		if last >= 0 {
			b = append([]byte{resource.HashmapExhausted}, r.MapHash(last)...)
		}
		return append(append(b, r.Hash[:]...), hashes...)
	}
	r, _ := pair(t, 6000, 50)
	if _, _, err := r.HandleRequest(req(r, 0, nil)); err == nil || r.Status() != resource.StatusFailed {
		t.Fatalf("misaligned: %v, status %v", err, r.Status())
	}
	r, _ = pair(t, 9000, 50)
	if _, hmu, err := r.HandleRequest(req(r, 2*resource.HashmapMaxLen-1, nil)); err != nil || hmu == nil || r.Status() != resource.StatusTransferring {
		t.Fatalf("aligned: %v, status %v", err, r.Status())
	}
	if want := 2*resource.HashmapMaxLen - 1 - resource.WindowMax; r.Scope() != want {
		t.Fatalf("scope %d, want %d", r.Scope(), want)
	}
	r, _ = pair(t, 1500, 200)
	parts, _, err := r.HandleRequest(req(r, -1, r.Hashmap))
	if err != nil || len(parts) != r.NumParts() || r.SentParts() != r.NumParts() || r.Status() != resource.StatusAwaitingProof {
		t.Fatalf("serve all: %v %v, sent %d, status %v", parts, err, r.SentParts(), r.Status())
	}
	if !r.NoteRequest([32]byte{1}) || r.NoteRequest([32]byte{1}) || r.Requests() != 1 {
		t.Fatal("NoteRequest")
	}
	// Only the proof half is checked; the hash half routes it.
	proof := append(make([]byte, resource.HashLen), r.ExpectedProof[:]...)
	if err := r.VerifyProof(proof[:resource.HashLen]); !errors.Is(err, resource.ErrProof) {
		t.Fatalf("short proof: %v", err)
	}
	if err := r.VerifyProof(proof); err != nil || r.Status() != resource.StatusComplete {
		t.Fatalf("proof: %v, status %v", err, r.Status())
	}
	r, _ = pair(t, 1500, 200)
	r.Cancel()
	if parts, _, err := r.HandleRequest(req(r, -1, r.Hashmap)); !errors.Is(err, resource.ErrFailed) || len(parts) != 0 || r.SentParts() != 0 {
		t.Fatalf("late request: %v %v", parts, err)
	}
	if err := r.VerifyProof(append(make([]byte, resource.HashLen), r.ExpectedProof[:]...)); !errors.Is(err, resource.ErrFailed) || r.Status() != resource.StatusFailed {
		t.Fatalf("late proof: %v, status %v", err, r.Status())
	}
}

// TestMapHasher: the MapHasher seam replaces the map hash, so a forced
// repeat makes Build refuse the hashmap.
func TestMapHasher(t *testing.T) {
	p := testParams(randomData(3, 2000), false)
	if r, err := resource.Build(p); err != nil || [4]byte(r.MapHash(1)) != resource.MapHash(r.Part(1), r.RandomHash[:]) {
		t.Fatalf("MapHash differs from the hashmap: %v", err)
	}
	p.MapHasher = func(part, randomHash []byte) [resource.MapHashLen]byte { return [4]byte{1, 2, 3, 4} }
	if _, err := resource.Build(p); !errors.Is(err, resource.ErrCollision) {
		t.Fatalf("forced collision: %v", err)
	}
}
