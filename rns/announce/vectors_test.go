package announce_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rns/wire/wiretest"
	"github.com/mehr-net/mehr/vectors"
)

type hx = vectors.Hex

type layout struct {
	PublicKey  hx `json:"public_key"`
	NameHash   hx `json:"name_hash"`
	RandomHash hx `json:"random_hash"`
	Ratchet    hx `json:"ratchet"`
	Signature  hx `json:"signature"`
	AppData    hx `json:"app_data"`
	Offsets    struct {
		PublicKey  int  `json:"public_key"`
		NameHash   int  `json:"name_hash"`
		RandomHash int  `json:"random_hash"`
		Ratchet    *int `json:"ratchet"`
		Signature  int  `json:"signature"`
		AppData    int  `json:"app_data"`
	} `json:"offsets"`
}

func TestAnnounceVectors(t *testing.T) {
	s := vectors.Load(t, "announces.json")

	var as []struct {
		Description string
		Inputs      struct {
			PrivateKey     hx       `json:"private_key"`
			AppName        string   `json:"app_name"`
			Aspects        []string `json:"aspects"`
			AppData        hx       `json:"app_data"`
			RandomBytes    hx       `json:"random_bytes"`
			Timestamp      int64    `json:"timestamp"`
			PathResponse   bool     `json:"path_response"`
			RatchetPrivate hx       `json:"ratchet_private"`
			Raw            hx       `json:"raw"`
		}
		Expected struct {
			Packet                   *wiretest.Record
			Layout                   *layout
			RandomHash               hx    `json:"random_hash"`
			RatchetPublic            hx    `json:"ratchet_public"`
			RatchetID                hx    `json:"ratchet_id"`
			SignedData               hx    `json:"signed_data"`
			SignatureCheck           *bool `json:"signature_check"`
			ValidateAnnounce         bool  `json:"validate_announce"`
			TamperedLastByteRaw      hx    `json:"tampered_last_byte_raw"`
			ValidateAnnounceTampered *bool `json:"validate_announce_tampered"`
		}
	}
	s.Section(t, "announces", &as)
	for _, v := range as {
		in, ex := &v.Inputs, &v.Expected
		if in.Raw != nil { // deliberately broken announces
			var p wire.Packet
			if err := p.Decode(in.Raw); err != nil {
				t.Fatalf("%s: %v", v.Description, err)
			}
			_, err := announce.Validate(&p)
			if (err == nil) != ex.ValidateAnnounce {
				t.Errorf("%s: Validate = %v, reference says valid=%v", v.Description, err, ex.ValidateAnnounce)
			}
			s.Use("announces")
			continue
		}
		id, err := identity.FromPrivateKey(in.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dest.New(id, dest.In, wire.Single, nil, in.AppName, in.Aspects...)
		if err != nil {
			t.Fatal(err)
		}
		rh := announce.RandomHash(in.RandomBytes, time.Unix(in.Timestamp, 0))
		var ratchet []byte
		if in.RatchetPrivate != nil {
			pub, err := identity.RatchetPublic(in.RatchetPrivate)
			if err != nil {
				t.Fatal(err)
			}
			ratchet = pub[:]
			rid := identity.RatchetID(ratchet)
			if !bytes.Equal(ratchet, ex.RatchetPublic) || !bytes.Equal(rid[:], ex.RatchetID) {
				t.Errorf("%s: ratchet %x id %x", v.Description, ratchet, rid)
			}
			// The ratchet vector's random hash is in the layout only.
			rh = [announce.RandomHashLen]byte(ex.Layout.RandomHash)
			if announce.EmittedSeconds(rh[:]) != in.Timestamp {
				t.Errorf("%s: emitted %d", v.Description, announce.EmittedSeconds(rh[:]))
			}
		} else if !bytes.Equal(rh[:], ex.RandomHash) {
			t.Errorf("%s: random hash %x", v.Description, rh)
		}
		built, err := announce.Append(nil, &announce.Params{
			Destination:  d,
			AppData:      in.AppData,
			Ratchet:      ratchet,
			RandomHash:   rh,
			PathResponse: in.PathResponse,
		})
		if err != nil {
			t.Fatal(err)
		}
		p := wiretest.Check(t, v.Description, ex.Packet, built)
		a, err := announce.Validate(&p)
		if (err == nil) != ex.ValidateAnnounce || (err == nil) != *ex.SignatureCheck {
			t.Errorf("%s: Validate = %v", v.Description, err)
		}
		checkLayout(t, v.Description, &a, ex.Layout, p.Data)
		if got := a.AppendSignedData(nil); !bytes.Equal(got, ex.SignedData) {
			t.Errorf("%s: signed data %x", v.Description, got)
		}
		if a.PathResponse != in.PathResponse || a.Emitted().Unix() != in.Timestamp {
			t.Errorf("%s: path response %v emitted %v", v.Description, a.PathResponse, a.Emitted())
		}
		if ex.TamperedLastByteRaw != nil {
			var tp wire.Packet
			if err := tp.Decode(ex.TamperedLastByteRaw); err != nil {
				t.Fatal(err)
			}
			_, err := announce.Validate(&tp)
			if (err == nil) != *ex.ValidateAnnounceTampered {
				t.Errorf("%s: tampered Validate = %v", v.Description, err)
			}
		}
		s.Use("announces")
	}

	var rps []struct {
		Description string
		Inputs      struct {
			DestinationHash        hx `json:"destination_hash"`
			RatchetPublic          hx `json:"ratchet_public"`
			EphemeralX25519Private hx `json:"ephemeral_x25519_private"`
			IV                     hx `json:"iv"`
			Plaintext              hx `json:"plaintext"`
		}
		Expected struct {
			wiretest.Record
			SharedSecret               hx `json:"shared_secret"`
			DerivedKey                 hx `json:"derived_key"`
			RatchetIDUsed              hx `json:"ratchet_id_used"`
			DecryptedByRecipient       hx `json:"decrypted_by_recipient"`
			RecipientReportedRatchetID hx `json:"recipient_reported_ratchet_id"`
		}
	}
	s.Section(t, "ratchet_packets", &rps)
	for _, v := range rps {
		in, ex := &v.Inputs, &v.Expected
		// The recipient announced the ratchet in the ratchet vector above:
		// find its identity and ratchet private key there.
		var ratchetVec = as[0].Inputs
		for _, a := range as {
			if a.Inputs.RatchetPrivate != nil {
				ratchetVec = a.Inputs
			}
		}
		recipient, err := identity.FromPrivateKey(ratchetVec.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		ratchetPriv := []byte(ratchetVec.RatchetPrivate)
		eph := [32]byte(in.EphemeralX25519Private)
		ct, err := recipient.EncryptWith(eph, [16]byte(in.IV), in.Plaintext, in.RatchetPublic)
		if err != nil {
			t.Fatal(err)
		}
		h := wire.Header{Destination: wire.Hash(in.DestinationHash)}
		p := wiretest.Check(t, v.Description, &ex.Record, append(h.Append(nil), ct...))
		ephID, err := identity.FromPrivateKey(append(eph[:], make([]byte, 32)...))
		if err != nil {
			t.Fatal(err)
		}
		shared, err := ephID.ECDH(in.RatchetPublic)
		if err != nil || !bytes.Equal(shared[:], ex.SharedSecret) {
			t.Errorf("%s: shared secret %x, %v", v.Description, shared, err)
		}
		ih := recipient.Hash()
		key, err := identity.HKDF(64, shared[:], ih[:], nil)
		if err != nil || !bytes.Equal(key, ex.DerivedKey) {
			t.Errorf("%s: derived key %x, %v", v.Description, key, err)
		}
		if rid := identity.RatchetID(in.RatchetPublic); !bytes.Equal(rid[:], ex.RatchetIDUsed) {
			t.Errorf("%s: ratchet id %x", v.Description, rid)
		}
		pt, rid, err := recipient.Decrypt(p.Data, [][]byte{ratchetPriv}, false)
		if err != nil || !bytes.Equal(pt, ex.DecryptedByRecipient) || !bytes.Equal(rid, ex.RecipientReportedRatchetID) {
			t.Errorf("%s: decrypted %x ratchet %x, %v", v.Description, pt, rid, err)
		}
		s.Use("ratchet_packets")
	}

	var fws []struct {
		Description string
		Inputs      struct {
			ReceivedRaw         hx    `json:"received_raw"`
			AnnouncerPrivateKey hx    `json:"announcer_private_key"`
			AppData             hx    `json:"app_data"`
			RandomBytes         hx    `json:"random_bytes"`
			Timestamp           int64 `json:"timestamp"`
			TransportNodeID     hx    `json:"transport_node_id"`
		}
		Expected struct {
			Received                     wiretest.Record
			ValidateAnnounce             bool `json:"validate_announce"`
			StoredAppData                hx   `json:"stored_app_data"`
			StoredAppDataIdentical       bool `json:"stored_app_data_identical"`
			RebroadcastSeen              bool `json:"rebroadcast_seen"`
			Rebroadcast                  wiretest.Record
			RebroadcastDataIdentical     bool `json:"rebroadcast_data_identical"`
			RebroadcastHashIdentical     bool `json:"rebroadcast_hash_identical"`
			RebroadcastValidates         bool `json:"rebroadcast_validates"`
			RebroadcastAlsoOnReceivingIf bool `json:"rebroadcast_also_sent_on_receiving_interface"`
		}
	}
	s.Section(t, "forwarding", &fws)
	for _, v := range fws {
		in, ex := &v.Inputs, &v.Expected
		id, err := identity.FromPrivateKey(in.AnnouncerPrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dest.New(id, dest.In, wire.Single, nil, "example_utilities", "announcesample", "fruits")
		if err != nil {
			t.Fatal(err)
		}
		built, err := announce.Append(nil, &announce.Params{
			Destination: d,
			AppData:     in.AppData,
			RandomHash:  announce.RandomHash(in.RandomBytes, time.Unix(in.Timestamp, 0)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, in.ReceivedRaw) {
			t.Errorf("%s: built announce differs from received_raw", v.Description)
		}
		rx := wiretest.Check(t, v.Description+" received", &ex.Received, in.ReceivedRaw)
		a, err := announce.Validate(&rx)
		if (err == nil) != ex.ValidateAnnounce {
			t.Errorf("%s: Validate = %v", v.Description, err)
		}
		if !bytes.Equal(a.AppData, ex.StoredAppData) || bytes.Equal(a.AppData, in.AppData) != ex.StoredAppDataIdentical {
			t.Errorf("%s: stored app data %x", v.Description, a.AppData)
		}
		if !ex.RebroadcastSeen || !ex.RebroadcastAlsoOnReceivingIf {
			t.Errorf("%s: the reference did not rebroadcast as expected", v.Description)
		}
		rb := announce.AppendRebroadcast(nil, &rx, wire.Hash(in.TransportNodeID), rx.Hops+1, rx.Context)
		p := wiretest.Check(t, v.Description+" rebroadcast", &ex.Rebroadcast, rb)
		if bytes.Equal(p.Data, rx.Data) != ex.RebroadcastDataIdentical || (p.Hash() == rx.Hash()) != ex.RebroadcastHashIdentical {
			t.Errorf("%s: rebroadcast changed data or hash", v.Description)
		}
		if _, err := announce.Validate(&p); (err == nil) != ex.RebroadcastValidates {
			t.Errorf("%s: rebroadcast Validate = %v", v.Description, err)
		}
		s.Use("forwarding")
	}
}

func checkLayout(t *testing.T, name string, a *announce.Announce, want *layout, data []byte) {
	t.Helper()
	eq := func(field string, got []byte, w hx, off int) {
		t.Helper()
		if !bytes.Equal(got, w) {
			t.Errorf("%s: %s %x, want %x", name, field, got, []byte(w))
		}
		if len(w) > 0 && !bytes.Equal(data[off:off+len(w)], w) {
			t.Errorf("%s: %s not at offset %d", name, field, off)
		}
	}
	o := want.Offsets
	eq("public key", a.PublicKey, want.PublicKey, o.PublicKey)
	eq("name hash", a.NameHash, want.NameHash, o.NameHash)
	eq("random hash", a.RandomHash, want.RandomHash, o.RandomHash)
	if o.Ratchet != nil {
		eq("ratchet", a.Ratchet, want.Ratchet, *o.Ratchet)
	} else if len(a.Ratchet) != 0 || len(want.Ratchet) != 0 {
		t.Errorf("%s: unexpected ratchet", name)
	}
	eq("signature", a.Signature, want.Signature, o.Signature)
	eq("app data", a.AppData, want.AppData, o.AppData)
	if o.AppData != len(data)-len(want.AppData) {
		t.Errorf("%s: app data offset %d", name, o.AppData)
	}
}
