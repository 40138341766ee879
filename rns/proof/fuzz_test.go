package proof_test

import (
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/identity/identitytest"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/vectors"
)

func FuzzValidate(f *testing.F) {
	s := vectors.Open(f, "proofs.json")
	var vs []struct {
		Inputs struct {
			ProofData vectors.Hex `json:"proof_data"`
		}
		Expected struct {
			ProofPacket *struct{ Data vectors.Hex } `json:"proof_packet"`
		}
	}
	s.Section(f, "packet_proofs", &vs)
	for _, v := range vs {
		if v.Inputs.ProofData != nil {
			f.Add([]byte(v.Inputs.ProofData))
		}
		if v.Expected.ProofPacket != nil {
			f.Add([]byte(v.Expected.ProofPacket.Data))
		}
	}
	alice := identitytest.Known(f)["alice"]
	ph := identity.FullHash([]byte("proved"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if proof.Validate(payload, ph, alice) == nil {
			t.Fatalf("forged proof accepted: %x", payload)
		}
	})
}
