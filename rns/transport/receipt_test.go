package transport_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

func receiptPacket(h wire.Header, data string) []byte {
	return append(h.Append(nil), data...)
}

func TestReceiptEligible(t *testing.T) {
	dst := wire.Hash{1, 2, 3}
	for _, c := range []struct {
		name string
		h    wire.Header
		want bool
	}{
		{"single data", wire.Header{DestType: wire.Single, PacketType: wire.Data}, true},
		{"group data", wire.Header{DestType: wire.Group, PacketType: wire.Data}, true},
		{"request context", wire.Header{DestType: wire.Single, PacketType: wire.Data, Context: wire.ContextRequest}, true},
		{"channel context", wire.Header{DestType: wire.Single, PacketType: wire.Data, Context: wire.ContextChannel}, true},
		{"plain", wire.Header{DestType: wire.Plain, PacketType: wire.Data}, false},
		{"announce", wire.Header{DestType: wire.Single, PacketType: wire.Announce}, false},
		{"link request", wire.Header{DestType: wire.Single, PacketType: wire.LinkRequest}, false},
		{"proof", wire.Header{DestType: wire.Single, PacketType: wire.Proof}, false},
		{"keepalive", wire.Header{DestType: wire.Single, PacketType: wire.Data, Context: wire.ContextKeepalive}, false},
		{"lrrtt", wire.Header{DestType: wire.Single, PacketType: wire.Data, Context: wire.ContextLRRTT}, false},
		{"resource", wire.Header{DestType: wire.Single, PacketType: wire.Data, Context: wire.ContextResource}, false},
		{"resource rcl", wire.Header{DestType: wire.Single, PacketType: wire.Data, Context: wire.ContextResourceRCL}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.h.Destination = dst
			if got := transport.ReceiptEligible(&c.h); got != c.want {
				t.Errorf("ReceiptEligible = %v, want %v", got, c.want)
			}
			n := newSeamNode(t, false)
			id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
			_, err := n.t.ExpectProof(receiptPacket(c.h, "payload"), id, time.Minute, nil)
			if c.want != (err == nil) || (!c.want && !errors.Is(err, transport.ErrNoReceipt)) {
				t.Errorf("ExpectProof: %v", err)
			}
		})
	}
}

func TestReceiptProofs(t *testing.T) {
	n := newSeamNode(t, false)
	prover, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
	other, _ := identity.FromPrivateKey(bytes.Repeat([]byte{10}, 64))
	raw := receiptPacket(wire.Header{DestType: wire.Single, Destination: wire.Hash{4}}, "prove me")
	r, err := n.t.ExpectProof(raw, prover, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without a path: DEFAULT_PER_HOP_TIMEOUT + TIMEOUT_PER_HOP * PATHFINDER_M.
	if want := 774 * time.Second; r.Timeout() != want || n.t.ReceiptTimeout(wire.Hash{4}) != want {
		t.Errorf("default timeout %v, want %v", r.Timeout(), want)
	}
	if r.Status() != transport.ReceiptSent {
		t.Fatalf("fresh receipt %#x", r.Status())
	}
	forged, _ := proof.AppendPayload(nil, r.Hash, other, false)
	wrongHash := append(bytes.Repeat([]byte{0xEE}, wire.FullHashLen), forged[wire.FullHashLen:]...)
	for name, c := range map[string]struct {
		payload []byte
		err     error
	}{
		"short":           {bytes.Repeat([]byte{1}, 32), proof.ErrLength},
		"65 bytes":        {bytes.Repeat([]byte{1}, 65), proof.ErrLength},
		"97 bytes":        {bytes.Repeat([]byte{1}, 97), proof.ErrLength},
		"forged implicit": {forged[wire.FullHashLen:], proof.ErrSignature},
		"forged explicit": {forged, proof.ErrSignature},
		"wrong hash":      {wrongHash, proof.ErrHash},
	} {
		if err := n.t.ValidateProof(r, c.payload); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
		if r.Status() != transport.ReceiptSent {
			t.Fatalf("%s: status %#x after a rejected proof", name, r.Status())
		}
	}
	for _, implicit := range []bool{false, true} {
		r, err := n.t.ExpectProof(receiptPacket(wire.Header{DestType: wire.Single, Destination: wire.Hash{5}}, "again"), prover, time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		good, _ := proof.AppendPayload(nil, r.Hash, prover, implicit)
		if err := n.t.ValidateProof(r, good); err != nil || !r.Proved() || r.Status() != transport.ReceiptDelivered {
			t.Errorf("implicit %v: %v, status %#x", implicit, err, r.Status())
		}
		select {
		case <-r.Done():
		default:
			t.Error("delivered receipt not done")
		}
	}
}

func TestReceiptTimeouts(t *testing.T) {
	n := newSeamNode(t, false)
	prover, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
	for _, c := range []struct {
		timeout time.Duration
		want    transport.ReceiptStatus
	}{
		{transport.CullTimeout, transport.ReceiptCulled},
		{0, transport.ReceiptFailed},
		{time.Second, transport.ReceiptFailed},
	} {
		r, err := n.t.ExpectProof(receiptPacket(wire.Header{DestType: wire.Single, Destination: wire.Hash{6}}, "t"), prover, time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.SetTimeout(c.timeout)
		if c.timeout > 0 && n.t.CheckReceipt(r, n.clock.Now()) {
			t.Fatalf("timeout %v: timed out before it passed", c.timeout)
		}
		if !n.t.CheckReceipt(r, n.clock.Now().Add(100000*time.Second)) || r.Status() != c.want {
			t.Errorf("timeout %v: status %#x, want %#x", c.timeout, r.Status(), c.want)
		}
		if n.t.CheckReceipt(r, n.clock.Now().Add(200000*time.Second)) {
			t.Errorf("timeout %v: concluded twice", c.timeout)
		}
	}
	// The jobs expire receipts the same way.
	r, _ := n.t.ExpectProof(receiptPacket(wire.Header{DestType: wire.Single, Destination: wire.Hash{7}}, "j"), prover, time.Second, nil)
	n.clock.Advance(2 * time.Second)
	n.t.RunJobs()
	if r.Status() != transport.ReceiptFailed {
		t.Errorf("after the jobs: %#x", r.Status())
	}
}

func TestProveForm(t *testing.T) {
	n := newSeamNode(t, false)
	m, ti := n.mock(t, ifacetest.MockConfig{Name: "m"}, transport.InterfaceOptions{})
	signer, _ := identity.FromPrivateKey(bytes.Repeat([]byte{9}, 64))
	p := &transport.Packet{Hash: [wire.FullHashLen]byte{1, 2, 3}, Interface: ti}
	if !n.t.ImplicitProofs() {
		t.Fatal("explicit proofs by default")
	}
	for _, c := range []struct {
		implicit bool
		n        int
	}{{true, proof.ImplicitLen}, {false, proof.ExplicitLen}} {
		n.t.SetImplicitProofs(c.implicit)
		m.Drain()
		if err := n.t.Prove(p, signer); err != nil {
			t.Fatal(err)
		}
		out := m.Drain()
		var pk wire.Packet
		if len(out) != 1 || pk.Decode(out[0]) != nil || len(pk.Data) != c.n || proof.Validate(pk.Data, p.Hash, signer) != nil {
			t.Errorf("implicit %v: sent %d frames, payload %d bytes", c.implicit, len(out), len(pk.Data))
		}
	}
}
