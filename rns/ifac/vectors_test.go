package ifac_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/vectors"
)

type hx = vectors.Hex

type ifacVector struct {
	Description string
	Inputs      struct {
		NetworkName *string `json:"network_name"`
		Passphrase  *string `json:"passphrase"`
		IFACSize    int     `json:"ifac_size"`
		PacketRaw   hx      `json:"packet_raw"`
	}
	Expected struct {
		IFACOrigin                  hx   `json:"ifac_origin"`
		IFACOriginHash              hx   `json:"ifac_origin_hash"`
		IFACKey                     hx   `json:"ifac_key"`
		IFACIdentityPublicKey       hx   `json:"ifac_identity_public_key"`
		IFACIdentityHash            hx   `json:"ifac_identity_hash"`
		IFACSignature               hx   `json:"ifac_signature"`
		PacketSignature             hx   `json:"packet_signature"`
		IFAC                        hx   `json:"ifac"`
		UnmaskedWithIFAC            hx   `json:"unmasked_with_ifac"`
		Mask                        hx   `json:"mask"`
		Masked                      hx   `json:"masked"`
		MaskedLength                int  `json:"masked_length"`
		AcceptedInbound             bool `json:"accepted_by_reference_inbound"`
		AcceptedCorrupted           bool `json:"accepted_with_corrupted_ifac"`
		AcceptedWithoutIFAC         bool `json:"accepted_without_ifac_on_ifac_interface"`
		AcceptedWithIFACOnOpenIface bool `json:"accepted_with_ifac_on_open_interface"`
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func loadIFAC(t testing.TB, track bool) (*vectors.Set, []ifacVector) {
	s := vectors.Open(t, "ifac.json")
	if track {
		s = vectors.Load(t, "ifac.json")
	}
	var salt hx
	s.Section(t, "IFAC_SALT", &salt)
	if !bytes.Equal(salt, ifac.Salt[:]) {
		t.Errorf("IFAC_SALT %x, ours %x", []byte(salt), ifac.Salt)
	}
	s.Use("IFAC_SALT")
	var vs []ifacVector
	s.Section(t, "ifac", &vs)
	return s, vs
}

func TestIFACVectors(t *testing.T) {
	s, vs := loadIFAC(t, true)
	for _, v := range vs {
		in, ex := &v.Inputs, &v.Expected
		name := v.Description
		eq := func(what string, got, want []byte) {
			t.Helper()
			if !bytes.Equal(got, want) {
				t.Errorf("%s: %s\n got %x\nwant %x", name, what, got, want)
			}
		}
		origin := ifac.Origin(str(in.NetworkName), str(in.Passphrase))
		eq("origin", origin, ex.IFACOrigin)
		oh := identity.FullHash(origin)
		eq("origin hash", oh[:], ex.IFACOriginHash)
		f, err := ifac.New(str(in.NetworkName), str(in.Passphrase), in.IFACSize)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		key := f.Key()
		eq("key", key[:], ex.IFACKey)
		pub, ih := f.Identity().PublicKey(), f.Identity().Hash()
		eq("identity public key", pub[:], ex.IFACIdentityPublicKey)
		eq("identity hash", ih[:], ex.IFACIdentityHash)
		sig := f.Signature()
		eq("ifac signature", sig[:], ex.IFACSignature)
		psig, _ := f.Identity().Sign(in.PacketRaw)
		eq("packet signature", psig[:], ex.PacketSignature)
		code := f.Code(in.PacketRaw)
		eq("ifac", code, ex.IFAC)
		unmasked := append([]byte{in.PacketRaw[0] | 0x80, in.PacketRaw[1]}, code...)
		unmasked = append(unmasked, in.PacketRaw[2:]...)
		eq("unmasked with ifac", unmasked, ex.UnmaskedWithIFAC)
		mask, err := f.Mask(code, len(in.PacketRaw)+in.IFACSize)
		if err != nil {
			t.Fatal(err)
		}
		eq("mask", mask, ex.Mask)
		masked, err := f.Apply(nil, in.PacketRaw)
		if err != nil {
			t.Fatal(err)
		}
		eq("masked", masked, ex.Masked)
		if len(masked) != ex.MaskedLength {
			t.Errorf("%s: masked length %d", name, len(masked))
		}

		got, err := f.Unmask(nil, ex.Masked)
		if (err == nil) != ex.AcceptedInbound {
			t.Errorf("%s: Unmask = %v", name, err)
		}
		eq("unmasked", got, in.PacketRaw)

		corrupt := append([]byte(nil), ex.Masked...)
		corrupt[2] ^= 0x01
		if _, err := f.Unmask(nil, corrupt); (err == nil) != ex.AcceptedCorrupted || !errors.Is(err, ifac.ErrMismatch) {
			t.Errorf("%s: corrupted code: %v", name, err)
		}
		if _, err := f.Unmask(nil, in.PacketRaw); (err == nil) != ex.AcceptedWithoutIFAC || !errors.Is(err, ifac.ErrNoFlag) {
			t.Errorf("%s: packet without code: %v", name, err)
		}
		if err := ifac.CheckOpen(ex.Masked); (err == nil) != ex.AcceptedWithIFACOnOpenIface || !errors.Is(err, ifac.ErrUnexpected) {
			t.Errorf("%s: code on open interface: %v", name, err)
		}
		s.Use("ifac")
	}
}

func TestErrors(t *testing.T) {
	if _, err := ifac.New("", "", 8); !errors.Is(err, ifac.ErrNoSecret) {
		t.Errorf("no secret: %v", err)
	}
	for _, n := range []int{-1, 0, 65} {
		if _, err := ifac.New("net", "", n); !errors.Is(err, ifac.ErrSize) {
			t.Errorf("size %d: %v", n, err)
		}
	}
	f, err := ifac.New("net", "pw", 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ifac.ErrShort},
		{"two bytes", []byte{0x80, 0}, ifac.ErrShort},
		{"no room for code", make([]byte, 10), ifac.ErrNoFlag},
		{"flag but short", append([]byte{0x80}, make([]byte, 9)...), ifac.ErrShort},
		{"garbage", append([]byte{0x80}, make([]byte, 40)...), ifac.ErrMismatch},
	} {
		if _, err := f.Unmask(nil, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := f.Apply(nil, make([]byte, 20)); err != nil {
		t.Errorf("apply: %v", err)
	}
	if _, err := f.Apply(nil, append([]byte{0x80}, make([]byte, 20)...)); !errors.Is(err, ifac.ErrFlagSet) {
		t.Errorf("apply with flag: %v", err)
	}
	if _, err := f.Apply(nil, []byte{1}); !errors.Is(err, ifac.ErrShort) {
		t.Errorf("apply short: %v", err)
	}
	if err := ifac.CheckOpen([]byte{0, 0}); !errors.Is(err, ifac.ErrShort) {
		t.Errorf("open short: %v", err)
	}
}

func FuzzUnmask(f *testing.F) {
	_, vs := loadIFAC(f, false)
	for _, v := range vs {
		f.Add([]byte(v.Expected.Masked), []byte(v.Inputs.PacketRaw))
	}
	g, err := ifac.New("testnet", "correct horse battery staple", 8)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in, raw []byte) {
		if out, err := g.Unmask(nil, in); err == nil && len(out) != len(in)-g.Size() {
			t.Fatalf("unmasked %d bytes from %d", len(out), len(in))
		}
		_ = ifac.CheckOpen(in)
		// Roundtrip: whatever we apply, we unmask back unchanged.
		if len(raw) <= 2 {
			return
		}
		w, err := g.Apply(nil, raw)
		if raw[0]&0x80 != 0 {
			if !errors.Is(err, ifac.ErrFlagSet) {
				t.Fatalf("apply with flag set: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		back, err := g.Unmask(nil, w)
		if err != nil {
			t.Fatalf("unmask of applied: %v", err)
		}
		if !bytes.Equal(back, raw) {
			t.Fatalf("roundtrip\n got %x\nwant %x", back, raw)
		}
	})
}
