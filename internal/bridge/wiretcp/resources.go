package wiretcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
)

// The resource probes: white-box commands that build a sender (as
// wire_resource_create does) and, from its advertisement, the receiver the
// link would start, and drive both packet by packet through rns/link's
// resource API (NewResourceReceiver, FeedResourcePart, RequestResourceParts,
// ConcludeResource) and the rns/link/resource codec, reading back the state
// the reference keeps on its Resource objects. Requests and proofs the
// probes produce really go out on the link; the peer drops them, as it
// knows no such resource.

func resourceCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_resource_constants":                cmdResourceConstants,
		"wire_resource_decompress_limit":         cmdResourceDecompressLimit,
		"wire_inject_crafted_resource_part":      cmdInjectResourcePart,
		"wire_inject_crafted_resource_proof":     cmdInjectResourceProof,
		"wire_inject_crafted_resource_request":   cmdInjectResourceRequest,
		"wire_inject_corrupt_assembled_resource": cmdInjectCorruptAssembled,
		"wire_inject_duplicate_resource_adv":     cmdInjectDuplicateAdv,
		"wire_inject_malformed_resource_adv":     cmdInjectMalformedAdv,
		"wire_resource_receiver_request_state":   cmdResourceReceiverRequestState,
		"wire_inject_hashmap_update":             cmdInjectHashmapUpdate,
		"wire_resource_receiver_proof_count":     cmdResourceReceiverProofCount,
		"wire_resource_request_next_content":     cmdResourceRequestNextContent,
		"wire_resource_late_after_cancel":        cmdResourceLateAfterCancel,
		"wire_resource_part_count_derivation":    cmdResourcePartCountDerivation,
		"wire_resource_window_inheritance":       cmdResourceWindowInheritance,
		"wire_resource_progress":                 cmdResourceProgress,
		"wire_resource_force_collision":          cmdResourceForceCollision,
		"wire_resource_outgoing_queue_state":     cmdResourceOutgoingQueueState,
		"wire_resource_send_bomb":                cmdResourceSendBomb,
	}
}

// statusName is the reference's name of a resource status.
func statusName(s resource.Status) string { return resourceStatusNames[refStatus(s)] }

// sduMTU is the link MTU that gives parts of sdu bytes (0: the link's own).
func sduMTU(sdu int) int {
	if sdu <= 0 {
		return 0
	}
	return sdu + wire.HeaderMaxSize + ifac.MinSize
}

// probeSender builds, without sending anything, a resource of n random
// bytes on l with parts of sdu bytes (0: the link's SDU).
func probeSender(l *link.Link, n, sdu int) (*resource.Resource, error) {
	data := make([]byte, n)
	_, _ = rand.Read(data)
	r, _, err := l.BuildResource(data, link.ResourceOptions{}, sduMTU(sdu))
	return r, err
}

// probePair builds a sender as probeSender does and the receiver its
// advertisement starts on l, which sends its first request as an accepted
// transfer does.
func probePair(l *link.Link, n, sdu int) (*resource.Resource, *resource.Receiver, error) {
	r, err := probeSender(l, n, sdu)
	if err != nil {
		return nil, nil, err
	}
	rcv, err := probeReceiver(l, r.Advertisement(), sdu)
	if err != nil {
		return nil, nil, err
	}
	if _, err := l.RequestResourceParts(rcv); err != nil {
		return nil, nil, err
	}
	return r, rcv, nil
}

// probeReceiver starts a receiver from adv after a trip through its wire
// form.
func probeReceiver(l *link.Link, adv *resource.Advertisement, sdu int) (*resource.Receiver, error) {
	pt, err := adv.Marshal()
	if err != nil {
		return nil, err
	}
	dec, err := resource.DecodeAdvertisement(pt)
	if err != nil {
		return nil, err
	}
	return l.NewResourceReceiver(dec, sduMTU(sdu))
}

func cmdResourceConstants(_ *instance, _ bridge.Params) (bridge.Result, error) {
	return bridge.Result{
		"WINDOW":                        resource.Window,
		"WINDOW_MIN":                    resource.WindowMin,
		"WINDOW_MAX":                    resource.WindowMax,
		"MAPHASH_LEN":                   resource.MapHashLen,
		"RANDOM_HASH_SIZE":              resource.RandomHashLen,
		"HASHMAP_MAX_LEN":               resource.HashmapMaxLen,
		"COLLISION_GUARD_SIZE":          resource.CollisionGuardSize,
		"MAX_EFFICIENT_SIZE":            resource.MaxEfficientSize,
		"METADATA_MAX_SIZE":             resource.MetadataMaxSize,
		"MAX_RETRIES":                   resource.MaxRetries,
		"MAX_ADV_RETRIES":               resource.MaxAdvRetries,
		"HASHMAP_IS_EXHAUSTED":          resource.HashmapExhausted,
		"HASHMAP_IS_NOT_EXHAUSTED":      resource.HashmapNotExhausted,
		"WINDOW_MAX_SLOW":               resource.WindowMaxSlow,
		"WINDOW_MAX_VERY_SLOW":          resource.WindowMaxVerySlow,
		"WINDOW_MAX_FAST":               resource.WindowMaxFast,
		"WINDOW_FLEXIBILITY":            resource.WindowFlexibility,
		"FAST_RATE_THRESHOLD":           resource.FastRateThreshold,
		"VERY_SLOW_RATE_THRESHOLD":      resource.VerySlowRateThreshold,
		"RATE_FAST":                     resource.RateFast,
		"RATE_VERY_SLOW":                resource.RateVerySlow,
		"PART_TIMEOUT_FACTOR":           resource.PartTimeoutFactor,
		"PART_TIMEOUT_FACTOR_AFTER_RTT": resource.PartTimeoutFactorAfterRTT,
		"PROOF_TIMEOUT_FACTOR":          resource.ProofTimeoutFactor,
		"AUTO_COMPRESS_MAX_SIZE":        resource.AutoCompressMaxSize,
	}, nil
}

func cmdResourceDecompressLimit(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	_, rcv, err := probePair(ls.l, 500, 0)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	return bridge.Result{
		"max_decompressed_size": rcv.DecompressLimit(),
		"auto_compress_limit":   resource.AutoCompressMaxSize,
		"constant":              resource.AutoCompressMaxSize,
	}, nil
}

func cmdInjectResourcePart(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	switch variant {
	case "beyond_window", "duplicate_filled":
		r, rcv, err := probePair(ls.l, 1500, 200)
		if err != nil {
			return nil, err
		}
		defer rcv.Cancel()
		w := rcv.Window().Size
		if rcv.TotalParts() <= w+1 {
			return nil, fmt.Errorf("need more than %d parts, got %d", w+1, rcv.TotalParts())
		}
		before, _ := rcv.Received()
		if variant == "beyond_window" {
			// Part index w: a genuine map hash, but past the window the
			// receiver scans.
			_, _, _ = ls.l.FeedResourcePart(rcv, r.Part(w))
		} else {
			_, _, _ = ls.l.FeedResourcePart(rcv, r.Part(0))
			before, _ = rcv.Received()
			_, _, _ = ls.l.FeedResourcePart(rcv, r.Part(0))
		}
		after, total := rcv.Received()
		return bridge.Result{
			"variant": variant, "accepted": after > before,
			"parts_before": before, "parts_after": after, "total_parts": total,
			"window": w, "received_count_after": after,
		}, nil
	case "valid", "forged_map_hash":
	default:
		return nil, fmt.Errorf("%w: unknown resource-part variant %q", bridge.ErrParam, variant)
	}
	r, rcv, err := probePair(ls.l, 2000, 0)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	part := r.Part(0)
	if variant == "forged_map_hash" {
		part = make([]byte, len(part))
		_, _ = rand.Read(part)
	}
	before, _ := rcv.Received()
	_, _, _ = ls.l.FeedResourcePart(rcv, part)
	after, total := rcv.Received()
	return bridge.Result{
		"variant": variant, "accepted": after > before,
		"parts_before": before, "parts_after": after, "total_parts": total,
	}, nil
}

func cmdInjectResourceProof(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	r, err := probeSender(ls.l, 200, 0)
	if err != nil {
		return nil, err
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	var proof []byte
	switch variant {
	case "valid":
		proof = append(random(resource.HashLen), r.ExpectedProof[:]...)
	case "wrong_proof":
		proof = random(2 * resource.HashLen)
	case "wrong_length_short":
		proof = random(resource.HashLen)
	case "wrong_length_long":
		proof = random(3 * resource.HashLen)
	default:
		return nil, fmt.Errorf("%w: unknown resource-proof variant %q", bridge.ErrParam, variant)
	}
	_ = r.VerifyProof(proof)
	st := r.Status()
	r.Cancel()
	return bridge.Result{
		"variant": variant, "concluded": st == resource.StatusComplete,
		"status": refStatus(st), "status_name": statusName(st), "proof_len": len(proof),
	}, nil
}

// requestPlain builds a part request plaintext from the sender's own
// bytes: the flag, the last map hash if exhausted, the hash, the wanted
// map hashes.
func requestPlain(r *resource.Resource, exhaustedAfter int, hashes []byte) []byte {
	var b []byte
	if exhaustedAfter >= 0 {
		b = append(b, resource.HashmapExhausted)
		b = append(b, r.MapHash(exhaustedAfter)...)
	} else {
		b = append(b, resource.HashmapNotExhausted)
	}
	b = append(b, r.Hash[:]...)
	return append(b, hashes...)
}

func cmdInjectResourceRequest(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	switch variant {
	case "misaligned_hmu", "aligned":
		r, err := probeSender(ls.l, 6000, 50)
		if err != nil {
			return nil, err
		}
		if r.NumParts() < resource.HashmapMaxLen {
			return nil, fmt.Errorf("need %d parts, got %d", resource.HashmapMaxLen, r.NumParts())
		}
		last := 0
		if variant == "aligned" {
			last = resource.HashmapMaxLen - 1
		}
		_, _, _ = r.HandleRequest(requestPlain(r, last, nil))
		st := r.Status()
		r.Cancel()
		return bridge.Result{
			"variant": variant, "cancelled": st == resource.StatusFailed,
			"status": refStatus(st), "status_name": statusName(st),
		}, nil
	case "aligned_scope":
		r, err := probeSender(ls.l, 9000, 50)
		if err != nil {
			return nil, err
		}
		if r.NumParts() < 2*resource.HashmapMaxLen {
			return nil, fmt.Errorf("need %d parts, got %d", 2*resource.HashmapMaxLen, r.NumParts())
		}
		before := r.Scope()
		_, _, _ = r.HandleRequest(requestPlain(r, 2*resource.HashmapMaxLen-1, nil))
		st := r.Status()
		out := bridge.Result{
			"variant": variant, "part_index": 2 * resource.HashmapMaxLen, "window_max": resource.WindowMax,
			"scope_before": before, "scope_after": r.Scope(),
			"cancelled": st == resource.StatusFailed, "status_name": statusName(st),
		}
		r.Cancel()
		return out, nil
	case "serve_all":
		r, err := probeSender(ls.l, 1500, 200)
		if err != nil {
			return nil, err
		}
		req := requestPlain(r, -1, r.Hashmap)
		served, _, err := r.HandleRequest(req)
		if err != nil {
			return nil, err
		}
		st := r.Status()
		packets := func(parts []int) []string {
			out := make([]string, len(parts))
			for i, n := range parts {
				out[i] = hex.EncodeToString(r.AppendPartPacket(nil, ls.l.ID(), n))
			}
			return out
		}
		first := packets(served)
		again, _, err := r.HandleRequest(req)
		if err != nil {
			return nil, err
		}
		second := packets(again)
		identical := len(first) == len(second)
		for i := 0; identical && i < len(first); i++ {
			identical = first[i] == second[i]
		}
		out := bridge.Result{
			"variant": variant, "served_indices": served, "sent_parts": r.SentParts(),
			"total_parts": r.NumParts(), "identical_on_resend": identical, "status_name": statusName(st),
		}
		r.Cancel()
		return out, nil
	case "duplicate":
		return duplicateRequest(ls.l)
	}
	return nil, fmt.Errorf("%w: unknown resource-request variant %q", bridge.ErrParam, variant)
}

// duplicateRequest registers a sender on the link and delivers the same
// genuine RESOURCE_REQ packet to the link twice: the second copy must be
// ignored.
func duplicateRequest(l *link.Link) (bridge.Result, error) {
	r, err := probeSender(l, 1500, 200)
	if err != nil {
		return nil, err
	}
	t, err := l.RegisterOutgoingResource(r)
	if err != nil {
		return nil, err
	}
	defer l.CancelOutgoingResource(r)
	// The link encrypts with the key both ends share, so a request it
	// sends is, byte for byte, one the peer could send it. (The copy that
	// goes out reaches a peer that knows no such resource.)
	var raw []byte
	if _, err := l.SendPacketWith(wire.Data, wire.ContextResourceReq, requestPlain(r, -1, r.Hashmap),
		func(b []byte) { raw = bytes.Clone(b) }); err != nil {
		return nil, err
	}
	deliver := func() error {
		p, err := rxPacket(bytes.Clone(raw), l.AttachedInterface())
		if err != nil {
			return err
		}
		l.Receive(p)
		return nil
	}
	total := r.NumParts()
	if err := deliver(); err != nil {
		return nil, err
	}
	pollUntil(3*time.Second, func() bool { done, _ := t.Parts(); return done == total })
	first, _ := t.Parts()
	firstSeen := t.Requests() == 1
	if err := deliver(); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond) // the copy would be served by now
	second, _ := t.Parts()
	seen := t.Requests()
	return bridge.Result{
		"variant": "duplicate", "total_parts": total,
		"first_served": first, "second_served": second,
		"first_in_hashlist": firstSeen, "req_hashlist_len": seen,
		"deduped": second == first && seen == 1,
	}, nil
}

func cmdInjectCorruptAssembled(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	if variant != "valid" && variant != "corrupt" {
		return nil, fmt.Errorf("%w: unknown corrupt-assemble variant %q", bridge.ErrParam, variant)
	}
	r, rcv, err := probePair(ls.l, 900, 200)
	if err != nil {
		return nil, err
	}
	n := rcv.TotalParts()
	for i := range n {
		part := r.Part(i)
		if variant == "corrupt" && i == n/2 {
			part = make([]byte, len(part))
			_, _ = rand.Read(part)
		}
		if err := rcv.PutPart(i, part); err != nil {
			return nil, err
		}
	}
	proofs := 0
	if _, _, proved, _ := ls.l.ConcludeResource(rcv); proved {
		proofs++
	}
	st := rcv.Status()
	return bridge.Result{
		"variant": variant, "status": refStatus(st), "status_name": statusName(st),
		"complete": st == resource.StatusComplete, "corrupt": st == resource.StatusCorrupt,
		"proof_calls": proofs, "proof_sent": proofs > 0, "total_parts": n,
	}, nil
}

// countIncoming counts the link's incoming transfers of the resource h.
func countIncoming(l *link.Link, h [resource.HashLen]byte) int {
	n := 0
	for _, t := range l.IncomingResources() {
		if t.Hash() == h {
			n++
		}
	}
	return n
}

func cmdInjectDuplicateAdv(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	r, err := probeSender(ls.l, 800, 0)
	if err != nil {
		return nil, err
	}
	pt, err := r.Advertisement().Marshal()
	if err != nil {
		return nil, err
	}
	t1, err1 := ls.l.AcceptAdvertisement(pt)
	afterFirst := countIncoming(ls.l, r.Hash)
	t2, err2 := ls.l.AcceptAdvertisement(pt)
	count := countIncoming(ls.l, r.Hash)
	for _, t := range []*link.Transfer{t1, t2} {
		if t != nil {
			t.Cancel()
		}
	}
	return bridge.Result{
		"first_accepted": err1 == nil, "second_created": err2 == nil,
		"incoming_count": count, "incoming_count_after_first": afterFirst,
	}, nil
}

func cmdInjectMalformedAdv(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	var pt []byte
	switch variant {
	case "garbage":
		// 0xC1 is never used by msgpack.
		pt = make([]byte, 41)
		_, _ = rand.Read(pt)
		pt[0] = 0xc1
	case "missing_key":
		r, err := probeSender(ls.l, 400, 0)
		if err != nil {
			return nil, err
		}
		full, err := r.Advertisement().Marshal()
		if err != nil {
			return nil, err
		}
		v, err := msgpack.Decode(full)
		if err != nil {
			return nil, err
		}
		m, _ := v.(msgpack.Map)
		var kept msgpack.Map
		for _, kv := range m {
			if kv.Key != "h" {
				kept = append(kept, kv)
			}
		}
		if pt, err = msgpack.Marshal(kept); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown malformed-adv variant %q", bridge.ErrParam, variant)
	}
	before := len(ls.l.IncomingResources())
	t, err := ls.l.AcceptAdvertisement(pt)
	after := len(ls.l.IncomingResources())
	if t != nil {
		t.Cancel()
	}
	return bridge.Result{
		"variant": variant, "inbound_started": err == nil || after > before, "crashed": false,
	}, nil
}

func cmdResourceReceiverRequestState(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	n, err := p.IntOr("n", 2)
	if err != nil {
		return nil, err
	}
	r, rcv, err := probePair(ls.l, 1500, 200)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	w := rcv.Window()
	out := bridge.Result{
		"window": w.Size, "window_min": w.Min, "window_max": w.Max,
		"total_parts":                rcv.TotalParts(),
		"consecutive_height_initial": rcv.ConsecutiveHeight(),
		"hashmap_height_initial":     rcv.HashmapHeight(),
		"waiting_for_hmu_initial":    rcv.WaitingForHMU(),
	}
	fed := min(n, rcv.TotalParts())
	for i := range fed {
		_, _, _ = ls.l.FeedResourcePart(rcv, r.Part(i))
	}
	got, _ := rcv.Received()
	out["fed"] = fed
	out["received_count"] = got
	out["consecutive_height_after"] = rcv.ConsecutiveHeight()
	out["hashmap_height_after"] = rcv.HashmapHeight()
	return out, nil
}

// segmentHashes returns the map hashes of hashmap segment seg of r.
func segmentHashes(r *resource.Resource, seg int) []byte {
	lo := seg * resource.HashmapMaxLen
	hi := min((seg+1)*resource.HashmapMaxLen, r.NumParts())
	return r.Hashmap[lo*resource.MapHashLen : hi*resource.MapHashLen]
}

func cmdInjectHashmapUpdate(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	r, rcv, err := probePair(ls.l, 12000, 150)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	if r.NumParts() <= resource.HashmapMaxLen {
		return nil, fmt.Errorf("need more than %d parts, got %d", resource.HashmapMaxLen, r.NumParts())
	}
	h0 := rcv.HashmapHeight()
	_ = rcv.ApplyHashmap(1, segmentHashes(r, 1))
	h1 := rcv.HashmapHeight()
	_ = rcv.ApplyHashmap(1, segmentHashes(r, 1))
	h2 := rcv.HashmapHeight()
	return bridge.Result{
		"total_parts": r.NumParts(), "height_after_advert": h0,
		"height_after_first": h1, "height_after_duplicate": h2,
		"grew_on_first": h1 > h0, "grew_on_duplicate": h2 > h1,
	}, nil
}

func cmdResourceReceiverProofCount(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	r, rcv, err := probePair(ls.l, 1200, 200)
	if err != nil {
		return nil, err
	}
	total := rcv.TotalParts()
	if total < 2 {
		return nil, fmt.Errorf("need a multi-part transfer, got %d", total)
	}
	proofs := 0
	for i := range total - 1 {
		if _, proved, _ := ls.l.FeedResourcePart(rcv, r.Part(i)); proved {
			proofs++
		}
	}
	before := proofs
	if _, proved, _ := ls.l.FeedResourcePart(rcv, r.Part(total-1)); proved {
		proofs++
	}
	st := rcv.Status()
	return bridge.Result{
		"total_parts": total, "proofs_before_final": before, "proofs_after_assembly": proofs,
		"status_name": statusName(st), "complete": st == resource.StatusComplete,
	}, nil
}

func cmdResourceRequestNextContent(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	size, sdu, feed := 1500, 200, 0
	switch variant {
	case "initial":
	case "after_parts":
		feed = 2
	case "exhausted":
		size, sdu, feed = 14000, 150, resource.HashmapMaxLen-1
	default:
		return nil, fmt.Errorf("%w: unknown request-next variant %q", bridge.ErrParam, variant)
	}
	r, rcv, err := probePair(ls.l, size, sdu)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	if variant == "exhausted" && rcv.TotalParts() <= resource.HashmapMaxLen {
		return nil, fmt.Errorf("need more than %d parts, got %d", resource.HashmapMaxLen, rcv.TotalParts())
	}
	// Position the consecutive pointer without requesting more (the
	// reference suppresses its internal request here too).
	for i := range feed {
		_, _ = rcv.AcceptPart(r.Part(i))
	}
	w := rcv.Window().Size
	cch := rcv.ConsecutiveHeight()
	expected := []string{}
	for i := cch + 1; i < rcv.TotalParts() && len(expected) < w && i < rcv.HashmapHeight(); i++ {
		expected = append(expected, hex.EncodeToString(r.MapHash(i)))
	}
	req, err := ls.l.RequestResourceParts(rcv)
	if err != nil {
		return nil, err
	}
	if req == nil {
		return nil, errors.New("no part request was sent")
	}
	waiting := rcv.WaitingForHMU()
	again, err := ls.l.RequestResourceParts(rcv)
	if err != nil {
		return nil, err
	}
	q, err := resource.DecodeRequest(req)
	if err != nil {
		return nil, err
	}
	requested := []string{}
	for i := 0; i+resource.MapHashLen <= len(q.MapHashes); i += resource.MapHashLen {
		requested = append(requested, hex.EncodeToString(q.MapHashes[i:i+resource.MapHashLen]))
	}
	return bridge.Result{
		"variant": variant, "window": w, "total_parts": rcv.TotalParts(),
		"hashmap_height": rcv.HashmapHeight(), "consecutive_height": cch,
		"requested": requested, "expected": expected, "exhausted": q.Exhausted,
		"waiting_for_hmu": waiting, "second_request_emitted": again != nil,
	}, nil
}

func cmdResourceLateAfterCancel(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	rs, rcv, err := probePair(ls.l, 12000, 150)
	if err != nil {
		return nil, err
	}
	if rcv.TotalParts() <= resource.HashmapMaxLen {
		return nil, fmt.Errorf("need more than %d parts, got %d", resource.HashmapMaxLen, rcv.TotalParts())
	}
	rcv.Cancel()
	out := bridge.Result{"receiver_status": statusName(rcv.Status())}
	got, _ := rcv.Received()
	out["receiver_received_before"] = got
	out["receiver_height_before"] = rcv.HashmapHeight()
	_, _, _ = ls.l.FeedResourcePart(rcv, rs.Part(0))
	got, _ = rcv.Received()
	out["receiver_received_after_late_part"] = got
	_ = rcv.ApplyHashmap(1, segmentHashes(rs, 1))
	out["receiver_height_after_late_hmu"] = rcv.HashmapHeight()

	s, err := probeSender(ls.l, 1500, 200)
	if err != nil {
		return nil, err
	}
	s.Cancel()
	out["sender_status"] = statusName(s.Status())
	out["sender_sent_before"] = s.SentParts()
	_, _, _ = s.HandleRequest(requestPlain(s, -1, s.Hashmap))
	out["sender_sent_after_late_request"] = s.SentParts()
	proof := make([]byte, resource.HashLen, 2*resource.HashLen)
	_, _ = rand.Read(proof)
	_ = s.VerifyProof(append(proof, s.ExpectedProof[:]...))
	out["sender_status_after_late_proof"] = statusName(s.Status())

	ctl, err := probeSender(ls.l, 1500, 200)
	if err != nil {
		return nil, err
	}
	_ = ctl.VerifyProof(append(proof[:resource.HashLen:resource.HashLen], ctl.ExpectedProof[:]...))
	out["control_status_after_proof"] = statusName(ctl.Status())
	return out, nil
}

func cmdResourcePartCountDerivation(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	r, err := probeSender(ls.l, 1500, 200)
	if err != nil {
		return nil, err
	}
	adv := r.Advertisement()
	genuine := adv.Parts
	adv.Parts = genuine + 5 // tamper with n only
	rcv, err := probeReceiver(ls.l, adv, 200)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	return bridge.Result{
		"sender_parts": r.NumParts(), "adv_n_genuine": genuine, "adv_n_tampered": genuine + 5,
		"transfer_size": adv.TransferSize, "receiver_sdu": rcv.SDU(),
		"receiver_total_parts": rcv.TotalParts(),
		"derived_expected":     (adv.TransferSize + rcv.SDU() - 1) / rcv.SDU(),
	}, nil
}

func cmdResourceWindowInheritance(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	r1, rcv1, err := probePair(ls.l, 1500, 150)
	if err != nil {
		return nil, err
	}
	total := rcv1.TotalParts()
	if total <= resource.Window+1 {
		return nil, fmt.Errorf("need more than %d parts, got %d", resource.Window+1, total)
	}
	for i := range total {
		_, _, _ = ls.l.FeedResourcePart(rcv1, r1.Part(i))
	}
	_, rcv2, err := probePair(ls.l, 1500, 150)
	if err != nil {
		return nil, err
	}
	defer rcv2.Cancel()
	var last any
	if w := ls.l.LastResourceWindow(); w > 0 {
		last = w
	}
	return bridge.Result{
		"default_window": resource.Window, "total_parts_1": total,
		"completed_1":           rcv1.Status() == resource.StatusComplete,
		"window_after_complete": rcv1.Window().Size,
		"link_last_window":      last,
		"window2_initial":       rcv2.Window().Size,
	}, nil
}

func cmdResourceProgress(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	r, rcv, err := probePair(ls.l, 1500, 200)
	if err != nil {
		return nil, err
	}
	defer rcv.Cancel()
	total := rcv.TotalParts()
	if total < 4 {
		return nil, fmt.Errorf("need a multi-part transfer, got %d", total)
	}
	initial := rcv.Progress()
	feed := total / 2
	// A transfer reports progress (ResourceConfig.OnProgress) once per
	// part AcceptPart files.
	calls := 0
	for i := range feed {
		if ok, _ := rcv.AcceptPart(r.Part(i)); ok {
			calls++
		}
	}
	got, _ := rcv.Received()
	return bridge.Result{
		"total_parts": total, "fed": feed, "received_count": got,
		"progress_initial": initial, "progress_mid": rcv.Progress(),
		"progress_callback_calls": calls,
	}, nil
}

// cmdResourceForceCollision builds a resource whose first build sees parts
// 0 and 1 share a map hash (through the MapHasher seam; every value is a
// genuine map hash), so that the link retries with a fresh random hash.
func cmdResourceForceCollision(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	var (
		mu            sync.Mutex
		calls         int
		collided      bool
		collide       [resource.MapHashLen]byte
		first, latest []byte
	)
	hasher := func(part, randomHash []byte) [resource.MapHashLen]byte {
		mu.Lock()
		defer mu.Unlock()
		if !collided {
			first = bytes.Clone(randomHash)
			calls++
			if calls == 1 {
				collide = resource.MapHash(part, randomHash)
				return collide
			}
			collided = true
			return collide
		}
		latest = bytes.Clone(randomHash)
		return resource.MapHash(part, randomHash)
	}
	data := make([]byte, 4000)
	_, _ = rand.Read(data)
	r, _, err := ls.l.BuildResource(data, link.ResourceOptions{MapHasher: hasher}, sduMTU(200))
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	remapped := first != nil && latest != nil && !bytes.Equal(first, latest)
	hexOrNil := func(b []byte) any {
		if b == nil {
			return nil
		}
		return hex.EncodeToString(b)
	}
	return bridge.Result{
		"remapped": remapped, "random_hash_before": hexOrNil(first), "random_hash_after": hexOrNil(latest),
		"hashmap_changed": remapped && bytes.Equal(r.RandomHash[:], latest),
		"num_parts":       r.NumParts(),
	}, nil
}

// cmdResourceOutgoingQueueState holds the link's outgoing slot with a
// registered resource and sends a second one, which must queue.
func cmdResourceOutgoingQueueState(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	timeout := timeoutParam(p, 5000)
	readyEmpty := ls.l.ReadyForNewResource()
	first, err := probeSender(ls.l, 800, 0)
	if err != nil {
		return nil, err
	}
	if _, err := ls.l.RegisterOutgoingResource(first); err != nil {
		return nil, err
	}
	defer ls.l.CancelOutgoingResource(first)
	readyWithOne := ls.l.ReadyForNewResource()
	data := make([]byte, 800)
	_, _ = rand.Read(data)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second, err := ls.l.SendResource(ctx, data, link.ResourceOptions{})
	if err != nil {
		return nil, err
	}
	pollUntil(timeout, func() bool { return second.Status() == resource.StatusQueued })
	// It stays queued while the slot is held.
	time.Sleep(300 * time.Millisecond)
	st2 := second.Status()
	st1 := first.Status()
	second.Cancel()
	select {
	case <-second.Done():
	case <-time.After(2 * time.Second):
	}
	return bridge.Result{
		"ready_empty": readyEmpty, "ready_with_one": readyWithOne,
		"first_status": refStatus(st1), "first_status_name": statusName(st1),
		"second_status": refStatus(st2), "second_status_name": statusName(st2),
		"queued": st2 == resource.StatusQueued,
	}, nil
}

// rxMaxDecompressed is the decompression ceiling of listeners' incoming
// resources: low, as the reference bridge sets it, so that a bomb trips it
// cheaply.
const rxMaxDecompressed = 256 << 10

// cmdResourceSendBomb sends zeros that compress to almost nothing but
// decompress past the listeners' ceiling (rxMaxDecompressed): the receiver
// must reject the resource as corrupt and tear the link down.
func cmdResourceSendBomb(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	requested, err := p.IntOr("decompressed_size", rxMaxDecompressed+1<<20)
	if err != nil {
		return nil, err
	}
	size := max(rxMaxDecompressed+1, min(requested, min(2*rxMaxDecompressed, resource.MaxEfficientSize-1)))
	ctx, cancel := context.WithTimeout(context.Background(), timeoutParam(p, 30000))
	defer cancel()
	t, err := ls.l.SendResource(ctx, make([]byte, size), link.ResourceOptions{})
	if err != nil {
		return nil, err
	}
	rid := newHandle()
	in.mu.Lock()
	in.resources[rid] = &outResource{t: t, cancel: cancel}
	in.mu.Unlock()
	werr := t.Wait(ctx)
	if werr != nil && ctx.Err() != nil {
		t.Cancel()
		<-t.Done()
	}
	st := t.Status()
	return bridge.Result{
		"success": st == resource.StatusComplete, "status": refStatus(st),
		"size": size, "resource_id": rid,
	}, nil
}
