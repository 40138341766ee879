package resource_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/vectors"
)

func seedVectors(f *testing.F) []resourceVector {
	set := vectors.Open(f, "resource.json")
	var vs []resourceVector
	set.Section(f, "resources", &vs)
	return vs
}

func FuzzAdvertisement(f *testing.F) {
	for _, v := range seedVectors(f) {
		f.Add([]byte(v.Expected.AdvertisementPlaintext))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := resource.DecodeAdvertisement(b)
		if err != nil {
			if !errors.Is(err, resource.ErrAdvertisement) {
				t.Fatalf("error %v does not wrap ErrAdvertisement", err)
			}
			return
		}
		out, err := a.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		a2, err := resource.DecodeAdvertisement(out)
		if err != nil || !advEqual(a, a2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, a, a2)
		}
		if recv, err := resource.NewReceiver(a, testKey, 500); err == nil {
			_ = recv.AppendRequest(nil)
		}
	})
}

func FuzzAssemble(f *testing.F) {
	for _, v := range seedVectors(f) {
		f.Add([]byte(v.Inputs.Data), []byte(v.Expected.StreamPlaintext), uint8(1))
		f.Add([]byte(v.Inputs.Data), []byte(v.Expected.BZ2Compressed), uint8(14))
	}
	tok, err := identity.NewToken(testKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data, junk []byte, mode uint8) {
		assembleCase(t, tok, data, junk, mode)
	})
}

func assembleCase(t *testing.T, tok *identity.Token, data, junk []byte, mode uint8) {
	{
		if len(data) > 64<<10 || len(junk) > 64<<10 {
			return
		}
		p := testParams(data, mode&1 != 0)
		r, err := resource.Build(p)
		if err != nil {
			if errors.Is(err, resource.ErrCollision) {
				return
			}
			t.Fatal(err)
		}
		recv, err := resource.NewReceiver(r.Advertisement(), testKey, 500)
		if err != nil {
			t.Fatal(err)
		}
		if mode&2 != 0 {
			for i := 0; i < len(junk); i += r.SDU {
				if ok, _ := recv.AcceptPart(junk[i:min(i+r.SDU, len(junk))]); ok {
					t.Fatal("junk accepted as a part")
				}
			}
		}
		if mode&4 != 0 {
			for i := r.NumParts() - 1; i >= 0; i-- {
				recv.PutPart(i, r.Part(i))
			}
		} else {
			transfer(t, r, int(mode>>4))
			goto junkStream
		}
		if got, _, err := recv.Assemble(); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Assemble: %v", err)
		}

	junkStream:
		// A well-encrypted stream of arbitrary content, advertised as
		// compressed: Assemble must fail cleanly (or, by chance, succeed).
		if mode&8 == 0 {
			return
		}
		stream := tok.AppendEncrypt(nil, [16]byte{}, junk)
		adv := r.Advertisement()
		adv.Flags |= resource.FlagCompressed
		if mode&16 != 0 {
			adv.Flags |= resource.FlagMetadata
		}
		adv.TransferSize = len(stream)
		adv.DataSize = len(data)
		sdu := r.SDU
		adv.Parts = (len(stream) + sdu - 1) / sdu
		var hm []byte
		for i := 0; i < adv.Parts && i < resource.HashmapMaxLen; i++ {
			s := sha256.Sum256(append(bytes.Clone(stream[i*sdu:min((i+1)*sdu, len(stream))]), adv.RandomHash[:]...))
			hm = append(hm, s[:4]...)
		}
		adv.Hashmap = hm
		recv, err = resource.NewReceiver(adv, testKey, 500)
		if err != nil {
			t.Fatalf("NewReceiver: %v", err)
		}
		for i := 0; i < adv.Parts && i < resource.HashmapMaxLen; i++ {
			recv.AcceptPart(stream[i*sdu : min((i+1)*sdu, len(stream))])
		}
		if _, _, err := recv.Assemble(); err == nil && recv.Proof() == nil {
			t.Fatal("assembled without a proof")
		}
	}
}
