package proof_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/identity/identitytest"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rns/wire/wiretest"
	"github.com/mehr-net/mehr/vectors"
)

type hx = vectors.Hex

func TestProofVectors(t *testing.T) {
	s := vectors.Load(t, "proofs.json")
	var vs []struct {
		Description string
		Inputs      struct {
			ProvedPacketRaw        hx    `json:"proved_packet_raw"`
			ProverPrivateKey       hx    `json:"prover_private_key"`
			UseImplicitProof       *bool `json:"use_implicit_proof"`
			Plaintext              hx    `json:"plaintext"`
			EphemeralX25519Private hx    `json:"ephemeral_x25519_private"`
			IV                     hx    `json:"iv"`
			ProofData              hx    `json:"proof_data"`
			Signer                 string
		}
		Expected struct {
			ProvedPacket         *wiretest.Record `json:"proved_packet"`
			ProofPacket          *wiretest.Record `json:"proof_packet"`
			Signature            hx               `json:"signature"`
			ProofDestinationHash hx               `json:"proof_destination_hash"`
			ReceiptValidates     bool             `json:"receipt_validates"`
			ReceiptStatus        *int             `json:"receipt_status"`
		}
	}
	s.Section(t, "packet_proofs", &vs)
	for _, v := range vs {
		in, ex := &v.Inputs, &v.Expected
		var proved wire.Packet
		if err := proved.Decode(in.ProvedPacketRaw); err != nil {
			t.Fatal(err)
		}
		ph := proved.Hash()
		// The receipt checks proofs against the identity of the
		// destination the proved packet was sent to.
		prover := identitytest.Owner(t, proved.Destination)
		if in.ProverPrivateKey != nil {
			k, _ := prover.PrivateKey()
			if !bytes.Equal(k[:], in.ProverPrivateKey) {
				t.Fatalf("%s: prover is not the owner of the proved packet's destination", v.Description)
			}
		}
		if prover == nil {
			t.Fatalf("%s: no prover", v.Description)
		}
		payload := []byte(in.ProofData)
		if in.ProofData == nil {
			// Rebuild the proved packet from its encryption inputs.
			ct, err := prover.EncryptWith([32]byte(in.EphemeralX25519Private), [16]byte(in.IV), in.Plaintext, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := wire.Header{Destination: proved.Destination}
			wiretest.Check(t, v.Description+" proved", ex.ProvedPacket, append(h.Append(nil), ct...))
			pt, _, err := prover.Decrypt(proved.Data, nil, false)
			if err != nil || !bytes.Equal(pt, in.Plaintext) {
				t.Errorf("%s: proved packet does not decrypt: %v", v.Description, err)
			}

			built, err := proof.Append(nil, ph, prover, *in.UseImplicitProof)
			if err != nil {
				t.Fatal(err)
			}
			p := wiretest.Check(t, v.Description+" proof", ex.ProofPacket, built)
			if !bytes.Equal(p.Destination[:], ex.ProofDestinationHash) {
				t.Errorf("%s: proof destination %s", v.Description, p.Destination)
			}
			sig := p.Data[len(p.Data)-identity.SigLen:]
			if !bytes.Equal(sig, ex.Signature) {
				t.Errorf("%s: signature %x", v.Description, sig)
			}
			payload = p.Data
			// Status 2 is DELIVERED: the receipt accepted the proof.
			if (*ex.ReceiptStatus == 2) != ex.ReceiptValidates {
				t.Errorf("%s: receipt status %d", v.Description, *ex.ReceiptStatus)
			}
		}
		err := proof.Validate(payload, ph, prover)
		if (err == nil) != ex.ReceiptValidates {
			t.Errorf("%s: Validate = %v, reference accepted=%v", v.Description, err, ex.ReceiptValidates)
		}
		s.Use("packet_proofs")
	}
}

func TestValidateErrors(t *testing.T) {
	known := identitytest.Known(t)
	alice, bob := known["alice"], known["bob"]
	ph := identity.FullHash([]byte("some packet"))
	implicit, err := proof.AppendPayload(nil, ph, alice, true)
	if err != nil {
		t.Fatal(err)
	}
	explicit, _ := proof.AppendPayload(nil, ph, alice, false)
	other := identity.FullHash([]byte("another packet"))
	wrongHash := append(append([]byte(nil), other[:]...), explicit[32:]...)
	for _, c := range []struct {
		name    string
		payload []byte
		prover  *identity.Identity
		want    error
	}{
		{"implicit ok", implicit, alice, nil},
		{"explicit ok", explicit, alice, nil},
		{"empty", nil, alice, proof.ErrLength},
		{"short", implicit[:63], alice, proof.ErrLength},
		{"between", append(implicit, 1), alice, proof.ErrLength},
		{"wrong key", implicit, bob, proof.ErrSignature},
		{"wrong hash", wrongHash, alice, proof.ErrHash},
		{"no prover", implicit, nil, proof.ErrNoProver},
	} {
		if err := proof.Validate(c.payload, ph, c.prover); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
