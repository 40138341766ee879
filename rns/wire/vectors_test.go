package wire_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/identity/identitytest"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rns/wire/wiretest"
	"github.com/mehr-net/mehr/vectors"
)

type hx = vectors.Hex

func TestPacketVectors(t *testing.T) {
	s := vectors.Load(t, "packets.json")
	checkConstants(t, s)
	checkPackets(t, s)
	checkHeader2Forms(t, s)
	checkPathRequests(t, s)
	checkRewrites(t, s)
}

func checkConstants(t *testing.T, s *vectors.Set) {
	var c struct {
		PacketTypes      map[string]int `json:"packet_types"`
		DestinationTypes map[string]int `json:"destination_types"`
		HeaderTypes      map[string]int `json:"header_types"`
		PropagationTypes map[string]int `json:"propagation_types"`
		Contexts         map[string]int `json:"contexts"`
		MTU              int
		HeaderMinSize    int `json:"HEADER_MINSIZE"`
		HeaderMaxSize    int `json:"HEADER_MAXSIZE"`
		IFACMinSize      int `json:"IFAC_MIN_SIZE"`
		MDU              int
		PlainMDU         int `json:"PLAIN_MDU"`
		EncryptedMDU     int `json:"ENCRYPTED_MDU"`
		LinkMDU          int `json:"LINK_MDU"`
		TokenOverhead    int `json:"TOKEN_OVERHEAD"`
		MaxHops          int `json:"PATHFINDER_M_max_hops"`
	}
	s.Section(t, "constants", &c)
	use := func(name string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("constant %s = %d, want %d", name, got, want)
		}
		s.Use("constants")
	}
	for name, v := range c.PacketTypes {
		found := false
		for pt := wire.PacketType(0); pt < 4; pt++ {
			if pt.String() == name {
				use("packet type "+name, int(pt), v)
				found = true
			}
		}
		if !found {
			t.Errorf("packet type %s has no Go constant", name)
		}
	}
	for name, v := range c.DestinationTypes {
		found := false
		for dt := wire.DestType(0); dt < 4; dt++ {
			if dt.String() == name {
				use("destination type "+name, int(dt), v)
				found = true
			}
		}
		if !found {
			t.Errorf("destination type %s has no Go constant", name)
		}
	}
	for name, v := range c.HeaderTypes {
		for _, ht := range []wire.HeaderType{wire.Header1, wire.Header2} {
			if ht.String() == name {
				use("header type "+name, int(ht), v)
			}
		}
	}
	for name, v := range c.PropagationTypes {
		for _, pt := range []wire.Propagation{wire.Broadcast, wire.Transport} {
			if pt.String() == name {
				use("propagation type "+name, int(pt), v)
			}
		}
	}
	byName := map[string]wire.Context{}
	for _, ctx := range wire.Contexts() {
		byName[ctx.String()] = ctx
	}
	if len(byName) != len(c.Contexts) {
		t.Errorf("%d Go contexts, the reference names %d", len(byName), len(c.Contexts))
	}
	for name, v := range c.Contexts {
		ctx, ok := byName[name]
		if !ok {
			t.Errorf("context %s has no Go constant", name)
			continue
		}
		use("context "+name, int(ctx), v)
	}
	use("MTU", wire.MTU, c.MTU)
	use("HEADER_MINSIZE", wire.HeaderMinSize, c.HeaderMinSize)
	use("HEADER_MAXSIZE", wire.HeaderMaxSize, c.HeaderMaxSize)
	use("IFAC_MIN_SIZE", wire.IFACMinSize, c.IFACMinSize)
	use("MDU", wire.MDU, c.MDU)
	use("PLAIN_MDU", wire.PlainMDU, c.PlainMDU)
	use("ENCRYPTED_MDU", wire.EncryptedMDU, c.EncryptedMDU)
	use("LINK_MDU", wire.LinkMDU, c.LinkMDU)
	use("TOKEN_OVERHEAD", wire.TokenOverhead, c.TokenOverhead)
	use("PATHFINDER_M", wire.MaxHops, c.MaxHops)
}

type packetVector struct {
	Description string
	Inputs      struct {
		DestinationHash        hx       `json:"destination_hash"`
		RecipientPublicKey     hx       `json:"recipient_public_key"`
		Plaintext              hx       `json:"plaintext"`
		EphemeralX25519Private hx       `json:"ephemeral_x25519_private"`
		IV                     hx       `json:"iv"`
		ContextFlag            int      `json:"context_flag"`
		GroupKey               hx       `json:"group_key"`
		Data                   hx       `json:"data"`
		Context                *int     `json:"context"`
		PacketType             *int     `json:"packet_type"`
		InitiatorX25519Private hx       `json:"initiator_x25519_private"`
		InitiatorEd25519Priv   hx       `json:"initiator_ed25519_private"`
		AppData                hx       `json:"app_data"`
		PrivateKey             hx       `json:"private_key"`
		AppName                string   `json:"app_name"`
		Aspects                []string `json:"aspects"`
		RandomBytes            hx       `json:"random_bytes"`
		Timestamp              int64    `json:"timestamp"`
		ProvedPacketRaw        hx       `json:"proved_packet_raw"`
	}
	Expected struct {
		wiretest.Record
		DecryptedByRecipient   hx    `json:"decrypted_by_recipient"`
		Decrypted              hx    `json:"decrypted"`
		DeliveredToApplication hx    `json:"delivered_to_application"`
		DeliveredUnchanged     *bool `json:"delivered_unchanged"`
	}
}

func checkPackets(t *testing.T, s *vectors.Set) {
	var vs []packetVector
	s.Section(t, "packets", &vs)
	for _, v := range vs {
		in, ex := &v.Inputs, &v.Expected
		var h wire.Header
		copy(h.Destination[:], in.DestinationHash)
		var payload []byte
		switch {
		case in.ProvedPacketRaw != nil: // implicit proof
			ph, err := wire.PacketHash(in.ProvedPacketRaw)
			if err != nil {
				t.Fatal(err)
			}
			var proved wire.Packet
			if err := proved.Decode(in.ProvedPacketRaw); err != nil {
				t.Fatal(err)
			}
			prover := identitytest.Owner(t, proved.Destination)
			built, err := proof.Append(nil, ph, prover, true)
			if err != nil {
				t.Fatal(err)
			}
			wiretest.Check(t, v.Description, &ex.Record, built)
			s.Use("packets")
			continue
		case in.PrivateKey != nil: // announce
			id, err := identity.FromPrivateKey(in.PrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			d, err := dest.New(id, dest.In, wire.Single, nil, in.AppName, in.Aspects...)
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
			p := wiretest.Check(t, v.Description, &ex.Record, built)
			if _, err := announce.Validate(&p); err != nil {
				t.Errorf("%s: %v", v.Description, err)
			}
			s.Use("packets")
			continue
		case in.RecipientPublicKey != nil: // SINGLE, encrypted
			recipient, err := identity.FromPublicKey(in.RecipientPublicKey)
			if err != nil {
				t.Fatal(err)
			}
			payload, err = recipient.EncryptWith([32]byte(in.EphemeralX25519Private), [16]byte(in.IV), in.Plaintext, nil)
			if err != nil {
				t.Fatal(err)
			}
		case in.GroupKey != nil:
			h.DestType = wire.Group
			tok, err := identity.NewToken(in.GroupKey)
			if err != nil {
				t.Fatal(err)
			}
			payload = tok.AppendEncrypt(nil, [16]byte(in.IV), in.Plaintext)
		case in.InitiatorX25519Private != nil: // link request
			h.PacketType = wire.PacketType(*in.PacketType)
			payload = in.Data
			init, err := identity.FromPrivateKey(append(append([]byte(nil), in.InitiatorX25519Private...), in.InitiatorEd25519Priv...))
			if err != nil {
				t.Fatal(err)
			}
			pub := init.PublicKey()
			if !bytes.HasPrefix(in.Data, pub[:]) || len(in.Data) != 64+3 {
				t.Errorf("%s: link request data is not the initiator's keys and 3 signalling bytes", v.Description)
			}
		case in.Context != nil: // cleartext context such as CACHE_REQUEST
			h.Context = wire.Context(*in.Context)
			payload = in.Data
		default: // PLAIN
			h.DestType = wire.Plain
			h.ContextFlag = in.ContextFlag == 1
			payload = in.Plaintext
		}
		built := h.Append(nil)
		built = append(built, payload...)
		p := wiretest.Check(t, v.Description, &ex.Record, built)

		switch {
		case ex.DecryptedByRecipient != nil:
			recipient := identitytest.ByPublicKey(t, in.RecipientPublicKey)
			pt, _, err := recipient.Decrypt(p.Data, nil, false)
			if err != nil || !bytes.Equal(pt, ex.DecryptedByRecipient) {
				t.Errorf("%s: decrypted %x, %v", v.Description, pt, err)
			}
			if ex.DeliveredToApplication != nil {
				if !bytes.Equal(pt, ex.DeliveredToApplication) || !*ex.DeliveredUnchanged || !bytes.Equal(pt, in.Plaintext) {
					t.Errorf("%s: 0x4E payload not delivered unchanged", v.Description)
				}
			}
		case ex.Decrypted != nil:
			tok, _ := identity.NewToken(in.GroupKey)
			pt, err := tok.AppendDecrypt(nil, p.Data)
			if err != nil || !bytes.Equal(pt, ex.Decrypted) {
				t.Errorf("%s: decrypted %x, %v", v.Description, pt, err)
			}
		}
		s.Use("packets")
	}
}

func checkHeader2Forms(t *testing.T, s *vectors.Set) {
	var vs []struct {
		Description string
		Inputs      struct {
			Header1Raw  hx `json:"header_1_raw"`
			TransportID hx `json:"transport_id"`
		}
		Expected struct {
			Packet             wiretest.Record
			HashEqual          bool   `json:"packet_hash_equal_to_header_1_form"`
			EmittedByReference string `json:"emitted_by_reference"`
		}
	}
	s.Section(t, "header_2_forms", &vs)
	for _, v := range vs {
		built, err := wire.AppendInsertTransport(nil, v.Inputs.Header1Raw, wire.Hash(v.Inputs.TransportID))
		if err != nil {
			t.Fatalf("%s: %v", v.Description, err)
		}
		p := wiretest.Check(t, v.Description, &v.Expected.Packet, built)
		h1, _ := wire.PacketHash(v.Inputs.Header1Raw)
		if (p.Hash() == h1) != v.Expected.HashEqual {
			t.Errorf("%s: hash equality %v", v.Description, p.Hash() == h1)
		}
		// The reference emits every HEADER_2 form except for proofs, which
		// always travel with one address.
		emitted := strings.HasPrefix(v.Expected.EmittedByReference, "yes")
		if emitted != (p.PacketType != wire.Proof) {
			t.Errorf("%s: emitted_by_reference %q disagrees with our model", v.Description, v.Expected.EmittedByReference)
		}
		s.Use("header_2_forms")
	}
}

func checkPathRequests(t *testing.T, s *vectors.Set) {
	var vs []struct {
		Description string
		Inputs      struct {
			Requested        hx    `json:"requested_destination_hash"`
			TransportID      hx    `json:"transport_id"`
			Tag              hx    `json:"tag"`
			RandomBytes      hx    `json:"random_bytes_for_tag"`
			TransportEnabled *bool `json:"transport_enabled"`
		}
		Expected struct {
			wiretest.Record
			Tag hx `json:"tag"`
		}
	}
	s.Section(t, "path_requests", &vs)
	for _, v := range vs {
		in := v.Inputs
		req := wire.PathRequest{Target: wire.Hash(in.Requested), Tag: in.Tag}
		if in.RandomBytes != nil {
			tag := identity.TruncatedHash(in.RandomBytes)
			req.Tag = tag[:]
			if !bytes.Equal(req.Tag, v.Expected.Tag) {
				t.Errorf("%s: tag %x, want %x", v.Description, req.Tag, []byte(v.Expected.Tag))
			}
		}
		// A node sends its transport ID only when transport is enabled;
		// the generated-tag vector comes from a transport node.
		if in.TransportID != nil && (in.TransportEnabled == nil || *in.TransportEnabled) {
			req.TransportID, req.HasTransportID = wire.Hash(in.TransportID), true
		}
		h := wire.Header{DestType: wire.Plain, Destination: wire.PathRequestDestination}
		built := req.Append(h.Append(nil))
		p := wiretest.Check(t, v.Description, &v.Expected.Record, built)
		var got wire.PathRequest
		if err := got.Decode(p.Data); err != nil || got.Target != req.Target ||
			got.HasTransportID != req.HasTransportID || got.TransportID != req.TransportID || !bytes.Equal(got.Tag, req.Tag) {
			t.Errorf("%s: decoded %+v, %v", v.Description, got, err)
		}
		s.Use("path_requests")
	}
}

func checkRewrites(t *testing.T, s *vectors.Set) {
	var vs []struct {
		Description string
		Inputs      struct {
			DestinationHash        hx  `json:"destination_hash"`
			PathHops               int `json:"path_hops"`
			NextHopTransportID     hx  `json:"next_hop_transport_id"`
			Plaintext              hx  `json:"plaintext"`
			EphemeralX25519Private hx  `json:"ephemeral_x25519_private"`
			IV                     hx  `json:"iv"`
			ContextFlag            int `json:"context_flag"`
			PackedHeader1Raw       hx  `json:"packed_header_1_raw"`
			InitiatorX25519Private hx  `json:"initiator_x25519_private"`
			InitiatorEd25519Priv   hx  `json:"initiator_ed25519_private"`
			ReceivedRaw            hx  `json:"received_raw"`
			ThisTransportID        hx  `json:"this_transport_id"`
			PathRemainingHops      int `json:"path_remaining_hops"`
			PathNextHop            hx  `json:"path_next_hop"`
			OriginalPacketHash     hx  `json:"original_packet_hash"`
		}
		Expected struct {
			OnWire              *wiretest.Record `json:"on_wire"`
			PacketHashOfHeader1 hx               `json:"packet_hash_of_header_1_form"`
			HashEqual           *bool            `json:"hash_equal"`
			PackedFlags         *wiretest.Flags  `json:"packed_flags"`
			LinkID              hx               `json:"link_id"`
			LinkIDFromWire      hx               `json:"link_id_from_wire"`
			Received            *wiretest.Record `json:"received"`
			Forwarded           *wiretest.Record `json:"forwarded"`
			PayloadUnchanged    *bool            `json:"payload_unchanged"`
		}
	}
	s.Section(t, "transport_rewrites", &vs)
	for _, v := range vs {
		in, ex := &v.Inputs, &v.Expected
		switch {
		case in.PackedHeader1Raw != nil: // sender side
			var h1 wire.Packet
			if err := h1.Decode(in.PackedHeader1Raw); err != nil {
				t.Fatal(err)
			}
			if ex.PackedFlags != nil {
				wiretest.CheckFlags(t, v.Description, *ex.PackedFlags, in.PackedHeader1Raw[0])
				if h1.ContextFlag != (in.ContextFlag == 1) {
					t.Errorf("%s: packed context flag %v", v.Description, h1.ContextFlag)
				}
			}
			if in.Plaintext != nil {
				// Rebuild the HEADER_1 form from the encryption inputs
				// (the recipient is whoever owns the destination).
				recipient := identitytest.Owner(t, wire.Hash(in.DestinationHash))
				ct, err := recipient.EncryptWith([32]byte(in.EphemeralX25519Private), [16]byte(in.IV), in.Plaintext, nil)
				if err != nil {
					t.Fatal(err)
				}
				hdr := wire.Header{Destination: wire.Hash(in.DestinationHash), ContextFlag: in.ContextFlag == 1}
				if got := append(hdr.Append(nil), ct...); !bytes.Equal(got, in.PackedHeader1Raw) {
					t.Errorf("%s: HEADER_1 form differs", v.Description)
				}
			}
			// Transport inserts the next hop only for paths of more than one hop.
			var wireForm []byte
			if in.PathHops > 1 {
				var err error
				wireForm, err = wire.AppendInsertTransport(nil, in.PackedHeader1Raw, wire.Hash(in.NextHopTransportID))
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wireForm = in.PackedHeader1Raw
			}
			p := wiretest.Check(t, v.Description, ex.OnWire, wireForm)
			h1hash, _ := wire.PacketHash(in.PackedHeader1Raw)
			if ex.PacketHashOfHeader1 != nil && !bytes.Equal(h1hash[:], ex.PacketHashOfHeader1) {
				t.Errorf("%s: HEADER_1 hash %x", v.Description, h1hash)
			}
			if (p.Hash() == h1hash) != *ex.HashEqual {
				t.Errorf("%s: hash equality", v.Description)
			}
			if ex.LinkID != nil {
				// The link ID is the truncated hash of the hashable part
				// without the 3 signalling bytes; it must be the same
				// computed from either form.
				for _, raw := range [][]byte{in.PackedHeader1Raw, p.Raw} {
					hp, _ := wire.AppendHashablePart(nil, raw)
					id := identity.TruncatedHash(hp[:len(hp)-3])
					if !bytes.Equal(id[:], ex.LinkID) || !bytes.Equal(id[:], ex.LinkIDFromWire) {
						t.Errorf("%s: link id %x", v.Description, id)
					}
				}
			}
		case in.OriginalPacketHash != nil: // a proof travelling back
			var rx wire.Packet
			if err := rx.Decode(in.ReceivedRaw); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rx.Destination[:], in.OriginalPacketHash[:wire.HashLen]) {
				t.Errorf("%s: proof not addressed to the packet hash", v.Description)
			}
			fwd := append([]byte(nil), in.ReceivedRaw...)
			if err := wire.SetHops(fwd, rx.Hops+1); err != nil {
				t.Fatal(err)
			}
			wiretest.Check(t, v.Description, ex.Forwarded, fwd)
		default: // forwarding by a transport node
			rx := wiretest.Check(t, v.Description, ex.Received, in.ReceivedRaw)
			if rx.TransportID != wire.Hash(in.ThisTransportID) {
				t.Errorf("%s: not addressed to this transport node", v.Description)
			}
			hops := rx.Hops + 1
			var fwd []byte
			var err error
			if in.PathRemainingHops > 1 {
				fwd, err = wire.AppendForward(nil, in.ReceivedRaw, wire.Hash(in.PathNextHop), hops)
			} else {
				fwd, err = wire.AppendStripTransport(nil, in.ReceivedRaw, hops)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := wiretest.Check(t, v.Description, ex.Forwarded, fwd)
			if bytes.Equal(p.Data, rx.Data) != *ex.PayloadUnchanged || (p.Hash() == rx.Hash()) != *ex.HashEqual {
				t.Errorf("%s: payload or hash changed", v.Description)
			}
		}
		s.Use("transport_rewrites")
	}
}
