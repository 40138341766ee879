package wiretcp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// proofCommands are the packet proof and receipt commands.
func proofCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_inject_crafted_proof":       cmdInjectCraftedProof,
		"wire_inject_single_proof_format": cmdInjectSingleProofFormat,
		"wire_inject_crafted_link_proof":  cmdInjectCraftedLinkProof,
		"wire_capture_lrproof_frame":      cmdCaptureLRProofFrame,
		"wire_packet_receipt_generation":  cmdPacketReceiptGeneration,
		"wire_packet_receipt_timeout":     cmdPacketReceiptTimeout,
	}
}

// receiptStatusNames names transport.ReceiptStatus as the reference does.
var receiptStatusNames = map[transport.ReceiptStatus]string{
	transport.ReceiptFailed: "FAILED", transport.ReceiptSent: "SENT",
	transport.ReceiptDelivered: "DELIVERED", transport.ReceiptCulled: "CULLED",
}

// signedBy returns a fresh identity's signature of msg, as a slice.
func signedBy(id *identity.Identity, msg []byte) ([]byte, error) {
	sig, err := id.Sign(msg)
	return sig[:], err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// cmdInjectCraftedProof runs a malformed or forged proof for a receipt the
// node holds through the node's proof check. Every variant is one the
// receipt must refuse: lengths other than 64 and 96, signatures by
// another key, an explicit proof naming another packet.
func cmdInjectCraftedProof(in *instance, p bridge.Params) (bridge.Result, error) {
	id, err := p.String("receipt_id")
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	rc := in.receipts[id]
	in.mu.Unlock()
	tr, ok := rc.(transportReceipt)
	if !ok {
		return nil, fmt.Errorf("Unknown receipt_id: %s", id)
	}
	r := tr.Receipt
	other, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	sig, err := signedBy(other, r.Hash[:])
	if err != nil {
		return nil, err
	}
	var payload []byte
	switch variant {
	case "forged_implicit":
		payload = sig
	case "forged_explicit":
		payload = append(r.Hash[:], sig...)
	case "wrong_hash_explicit":
		payload = append(randomBytes(wire.FullHashLen), sig...)
	case "wrong_length_short":
		payload = randomBytes(wire.FullHashLen)
	case "wrong_length_mid":
		payload = randomBytes(identity.SigLen + 1)
	case "wrong_length_long":
		payload = randomBytes(wire.FullHashLen + identity.SigLen + 1)
	default:
		return nil, fmt.Errorf("unknown proof variant: %q", variant)
	}
	verr := in.node.Transport().ValidateProof(r, payload)
	st := r.Status()
	return bridge.Result{
		"variant":     variant,
		"validated":   verr == nil,
		"status":      int(st),
		"status_name": receiptStatusNames[st],
		"proved":      r.Proved(),
		"proof_len":   len(payload),
	}, nil
}

// freshPacket builds (without sending) a DATA packet to a new outbound
// SINGLE destination of a new identity, as the node would send it.
func freshPacket(in *instance, aspect string, n int) (*rns.Destination, *identity.Identity, []byte, error) {
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := in.node.NewDestination(id, rns.Out, wire.Single, "conformance", aspect)
	if err != nil {
		return nil, nil, nil, err
	}
	ct, err := d.Encrypt(nil, randomBytes(n), nil)
	if err != nil {
		return nil, nil, nil, err
	}
	h := wire.Header{DestType: wire.Single, Destination: d.Destination.Hash}
	return d, id, append(h.Append(nil), ct...), nil
}

// dropReceipt takes a receipt the command made out of the node's table.
func dropReceipt(t *transport.Transport, r *transport.Receipt) {
	r.SetTimeout(transport.CullTimeout)
	t.CheckReceipt(r, time.Now())
}

// cmdInjectSingleProofFormat checks well-formed and forged proofs,
// signed here with a destination identity the command creates, against a
// receipt for a packet to that destination.
func cmdInjectSingleProofFormat(in *instance, p bridge.Params) (bridge.Result, error) {
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	_, id, raw, err := freshPacket(in, "proof-format", 20)
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	r, err := t.ExpectProof(raw, id, 0, nil)
	if err != nil {
		return nil, err
	}
	defer dropReceipt(t, r)
	var payload []byte
	switch variant {
	case "valid_explicit":
		payload, err = proof.AppendPayload(nil, r.Hash, id, false)
	case "valid_implicit":
		payload, err = proof.AppendPayload(nil, r.Hash, id, true)
	case "forged_explicit":
		var other *identity.Identity
		if other, err = identity.Generate(rand.Reader); err == nil {
			payload, err = proof.AppendPayload(nil, r.Hash, other, false)
		}
	case "wrong_hash_explicit":
		var sig []byte
		if sig, err = signedBy(id, r.Hash[:]); err == nil {
			payload = append(randomBytes(wire.FullHashLen), sig...)
		}
	default:
		return nil, fmt.Errorf("unknown single-proof-format variant: %q", variant)
	}
	if err != nil {
		return nil, err
	}
	verr := t.ValidateProof(r, payload)
	st := r.Status()
	return bridge.Result{
		"variant":     variant,
		"validated":   verr == nil,
		"status":      int(st),
		"status_name": receiptStatusNames[st],
		"proof_len":   len(payload),
		"expl_length": proof.ExplicitLen,
		"impl_length": proof.ImplicitLen,
	}, nil
}

// cmdInjectCraftedLinkProof checks packet proofs of the forms a link
// might receive against the link's packet proof check, which takes only
// explicit proofs. A new identity stands in for the link peer's signing
// key; the proved packet is one the node builds.
func cmdInjectCraftedLinkProof(in *instance, p bridge.Params) (bridge.Result, error) {
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	_, _, raw, err := freshPacket(in, "link-proof", 20)
	if err != nil {
		return nil, err
	}
	h, err := wire.PacketHash(raw)
	if err != nil {
		return nil, err
	}
	signer, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	var payload []byte
	switch variant {
	case "valid_explicit":
		payload, err = link.AppendPacketProof(nil, h, signer)
	case "implicit_valid_sig":
		payload, err = signedBy(signer, h[:])
	case "implicit_random":
		payload = randomBytes(identity.SigLen)
	case "wrong_length_short":
		payload = randomBytes(identity.SigLen / 2)
	default:
		return nil, fmt.Errorf("unknown link-proof variant: %q", variant)
	}
	if err != nil {
		return nil, err
	}
	validated := link.ValidatePacketProof(payload, h, signer) == nil
	// A link receipt is SENT until a proof passes this check.
	st := transport.ReceiptSent
	if validated {
		st = transport.ReceiptDelivered
	}
	return bridge.Result{
		"variant":     variant,
		"validated":   validated,
		"status":      int(st),
		"status_name": receiptStatusNames[st],
		"proof_len":   len(payload),
		"expl_length": proof.ExplicitLen,
		"impl_length": proof.ImplicitLen,
	}, nil
}

// cmdCaptureLRProofFrame builds the LRPROOF a destination would answer a
// fresh link request with, with mehr's link code, and returns its frame.
func cmdCaptureLRProofFrame(in *instance, _ bridge.Params) (bridge.Result, error) {
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	d, err := in.node.NewDestination(id, rns.Out, wire.Single, "conformance", "lrproof-shape")
	if err != nil {
		return nil, err
	}
	initiator, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	payload, err := link.AppendRequest(nil, initiator.X25519Public(), initiator.Ed25519Public(), wire.MTU, link.ModeDefault)
	if err != nil {
		return nil, err
	}
	lid, err := link.ID(link.AppendRequestPacket(nil, d.Destination.Hash, payload))
	if err != nil {
		return nil, err
	}
	responder, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	body, err := link.AppendProof(nil, lid, responder.X25519Public(), id, wire.MTU, link.ModeDefault)
	if err != nil {
		return nil, err
	}
	raw := link.AppendProofPacket(nil, lid, body)
	return bridge.Result{
		"raw":                     hex.EncodeToString(raw),
		"flags":                   int(raw[0]),
		"link_id":                 hexHash(lid),
		"packet_type":             int(wire.Proof),
		"context":                 int(wire.ContextLRProof),
		"expected_link_dest_type": int(wire.Link),
		"truncated_hashlength":    wire.HashLen,
	}, nil
}

// cmdPacketReceiptGeneration sends a packet of the given destination type,
// context and packet type, and reports whether the node tracks a receipt
// for it.
func cmdPacketReceiptGeneration(in *instance, p bridge.Params) (bridge.Result, error) {
	dt := p.StringOr("dest_type", "single")
	ctx, err := p.IntOr("context", int(wire.ContextNone))
	if err != nil {
		return nil, err
	}
	pt, err := p.IntOr("packet_type", int(wire.Data))
	if err != nil {
		return nil, err
	}
	if ctx < 0 || ctx > 0xFF || pt < 0 || pt > 3 {
		return nil, fmt.Errorf("%w: context %d, packet_type %d", bridge.ErrParam, ctx, pt)
	}
	var (
		d  *rns.Destination
		id *identity.Identity
	)
	switch dt {
	case "single":
		if id, err = identity.Generate(rand.Reader); err != nil {
			return nil, err
		}
		d, err = in.node.NewDestination(id, rns.Out, wire.Single, "conformance", "receipt-gen")
	case "plain":
		d, err = in.node.NewDestination(nil, rns.Out, wire.Plain, "conformance", "receipt-gen")
	default:
		return nil, fmt.Errorf("dest_type must be 'single' or 'plain' (got %q)", dt)
	}
	if err != nil {
		return nil, err
	}
	data := randomBytes(12)
	if pt == int(wire.Data) {
		if data, err = d.Encrypt(nil, data, nil); err != nil {
			return nil, err
		}
	}
	h := wire.Header{DestType: d.Destination.Type, PacketType: wire.PacketType(pt), Context: wire.Context(ctx), Destination: d.Destination.Hash}
	raw := append(h.Append(nil), data...)
	t := in.node.Transport()
	_, serr := t.Send(raw, nil)
	hasReceipt := false
	if serr == nil {
		// As Transport.outbound, the receipt is made once the packet went out.
		if r, err := t.ExpectProof(raw, id, 0, nil); err == nil {
			hasReceipt = true
			dropReceipt(t, r)
		}
	}
	return bridge.Result{
		"dest_type":           dt,
		"context":             ctx,
		"packet_type":         pt,
		"sent":                serr == nil,
		"has_receipt":         hasReceipt,
		"create_receipt_flag": true,
	}, nil
}

// cmdPacketReceiptTimeout makes a receipt for a packet to a new
// destination and reports its timeout and what it is made of; with
// force_timeout it sets that timeout and checks the receipt long after,
// as the jobs would.
func cmdPacketReceiptTimeout(in *instance, p bridge.Params) (bridge.Result, error) {
	d, id, raw, err := freshPacket(in, "receipt-timeout", 12)
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	r, err := t.ExpectProof(raw, id, 0, nil)
	if err != nil {
		return nil, err
	}
	defer dropReceipt(t, r)
	h := d.Destination.Hash
	res := bridge.Result{
		"timeout":                 r.Timeout().Seconds(),
		"status":                  int(r.Status()),
		"is_link":                 d.Destination.Type == wire.Link,
		"default_per_hop_timeout": int(transport.DefaultPerHopTimeout / time.Second),
		"timeout_per_hop":         int(transport.TimeoutPerHop / time.Second),
		"pathfinder_m":            wire.MaxHops,
		"hops_to":                 t.HopsTo(h),
		"first_hop_timeout":       t.FirstHopTimeout(h).Seconds(),
		"is_connected_to_shared":  t.SharedInstanceClient(),
		"status_sent":             int(transport.ReceiptSent),
	}
	if p.Has("force_timeout") {
		f, err := p.Float("force_timeout")
		if err != nil {
			return nil, err
		}
		timeout := time.Duration(f * float64(time.Second))
		if f == -1 {
			timeout = transport.CullTimeout
		}
		r.SetTimeout(timeout)
		t.CheckReceipt(r, r.SentAt().Add(100000*time.Second))
		res["forced_timeout"] = f
		res["forced_status"] = int(r.Status())
		res["status_culled"] = int(transport.ReceiptCulled)
		res["status_failed"] = int(transport.ReceiptFailed)
	}
	return res, nil
}
