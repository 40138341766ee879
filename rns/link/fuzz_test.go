package link_test

import (
	"bytes"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

// fuzzSeeds is what the fuzz targets need from link.json: the handshake's
// link, its destination, and every packet of the session.
type fuzzSeeds struct {
	id      wire.Hash
	dest    *identity.Identity
	key     []byte
	packets [][]byte
	request [][]byte // link request payloads
	proofs  [][]byte // link proof payloads
}

func loadSeeds(f *testing.F) *fuzzSeeds {
	f.Helper()
	s := vectors.Open(f, "link.json")
	var hs struct {
		Inputs struct {
			DestinationPublicKey vectors.Hex `json:"destination_public_key"`
		} `json:"inputs"`
		Expected struct {
			LinkID     vectors.Hex `json:"link_id"`
			DerivedKey vectors.Hex `json:"derived_key"`
			Request    struct {
				Data vectors.Hex `json:"data"`
			} `json:"link_request"`
			Proof struct {
				Data vectors.Hex `json:"data"`
			} `json:"lrproof"`
		} `json:"expected"`
	}
	s.Section(f, "handshake", &hs)
	var legacy struct {
		Expected struct {
			Request struct {
				Data vectors.Hex `json:"data"`
			} `json:"link_request"`
			Proof struct {
				Data vectors.Hex `json:"data"`
			} `json:"lrproof"`
		} `json:"expected"`
	}
	s.Section(f, "legacy_request", &legacy)
	var tr []struct {
		Packet struct {
			Raw vectors.Hex `json:"raw"`
		} `json:"packet"`
	}
	s.Section(f, "transcript", &tr)
	dest, err := identity.FromPublicKey(hs.Inputs.DestinationPublicKey)
	if err != nil {
		f.Fatal(err)
	}
	sd := &fuzzSeeds{
		id:      wire.Hash(hs.Expected.LinkID),
		dest:    dest,
		key:     hs.Expected.DerivedKey,
		request: [][]byte{hs.Expected.Request.Data, legacy.Expected.Request.Data},
		proofs:  [][]byte{hs.Expected.Proof.Data, legacy.Expected.Proof.Data},
	}
	for _, e := range tr {
		sd.packets = append(sd.packets, e.Packet.Raw)
	}
	return sd
}

// FuzzParseRequest checks that link request parsing never panics and that
// every accepted payload with signalling re-encodes to itself.
func FuzzParseRequest(f *testing.F) {
	sd := loadSeeds(f)
	for _, r := range sd.request {
		f.Add(r)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := link.ParseRequest(data)
		if err != nil {
			return
		}
		if !r.Mode.Enabled() || r.MTU <= 0 {
			t.Fatalf("accepted %+v", r)
		}
		if !r.Signalling {
			if len(data) != wire.LinkKeysLen {
				t.Fatalf("legacy request of %d bytes", len(data))
			}
			return
		}
		out, err := link.AppendRequest(nil, r.X25519, r.Ed25519, r.MTU, r.Mode)
		if err != nil {
			t.Fatal(err)
		}
		if mtu, _, _ := link.DecodeSignalling(data[wire.LinkKeysLen:]); mtu != 0 && !bytes.Equal(out, data) {
			t.Fatalf("roundtrip\n %x\n %x", out, data)
		}
	})
}

// FuzzValidateProof checks that link proof validation never panics and
// accepts only the reference's proofs or their signalling-free forms.
func FuzzValidateProof(f *testing.F) {
	sd := loadSeeds(f)
	for _, p := range sd.proofs {
		f.Add(p)
	}
	f.Add(sd.proofs[0][:wire.LinkProofLen])
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := link.ValidateProof(data, sd.id, sd.dest, link.ModeDefault)
		if err != nil {
			return
		}
		if !bytes.Equal(data, sd.proofs[0]) || p.MTU != wire.MTU {
			t.Fatalf("accepted forged proof %x (%+v)", data, p)
		}
	})
}

// FuzzOpen checks that opening link packets never panics and that every
// decrypted packet re-encrypts, with its IV, to the same bytes.
func FuzzOpen(f *testing.F) {
	sd := loadSeeds(f)
	sess, err := link.NewSession(sd.id, sd.key)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range sd.packets {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p wire.Packet
		if p.Decode(raw) != nil || p.HeaderType != wire.Header1 {
			return
		}
		pt, err := sess.Open(nil, &p)
		if err != nil {
			return
		}
		var iv [identity.TokenIVLen]byte
		if link.Encrypted(p.PacketType, p.Context) {
			iv = [identity.TokenIVLen]byte(p.Data)
		}
		out := sess.AppendPacket(nil, p.PacketType, p.Context, iv, pt)
		out[0], out[1] = raw[0], raw[1] // flags bits (IFAC, context, propagation) and hops are not ours
		if !bytes.Equal(out, raw) {
			t.Fatalf("roundtrip\n %x\n %x", out, raw)
		}
	})
}
