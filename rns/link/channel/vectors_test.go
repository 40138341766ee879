package channel_test

import (
	"bytes"
	"compress/bzip2"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rns/wire/wiretest"
	"github.com/mehr-net/mehr/vectors"
)

type hx = vectors.Hex

// entry is a transcript entry (vectors/reticulum/README.md, "Transcript
// entry").
type entry = wiretest.Entry

type envelopeVector struct {
	Description string
	Inputs      struct {
		MsgType  uint16
		Sequence uint16
		Data     hx
	}
	Expected struct {
		Envelope hx
	}
}

type streamVector struct {
	Description string
	Inputs      struct {
		StreamID   uint16 `json:"stream_id"`
		Data       hx
		EOF        bool
		Compressed bool
	}
	Expected struct {
		Packed             hx
		Header             hx
		UnpackedStreamID   uint16  `json:"unpacked_stream_id"`
		UnpackedEOF        bool    `json:"unpacked_eof"`
		UnpackedCompressed bool    `json:"unpacked_compressed"`
		UnpackedData       hx      `json:"unpacked_data"`
		UnpackError        *string `json:"unpack_error"`
	}
}

type observation struct {
	Kind  string
	Value string
}

type requestVector struct {
	Description string
	Inputs      struct {
		Path      string
		Data      hx
		Timestamp float64
	}
	Expected struct {
		PathHash             hx              `json:"path_hash"`
		PackedRequest        hx              `json:"packed_request"`
		PackedRequestLength  int             `json:"packed_request_length"`
		LinkMDU              int             `json:"link_mdu"`
		RequestID            hx              `json:"request_id"`
		ReceiptRequestID     hx              `json:"receipt_request_id"`
		ServerSawRequestID   hx              `json:"server_saw_request_id"`
		RequestPacket        *entry          `json:"request_packet"`
		PackedResponse       hx              `json:"packed_response"`
		ResponsePacket       *entry          `json:"response_packet"`
		ResponseReceived     hx              `json:"response_received_by_initiator"`
		AdvertisementDecoded json.RawMessage `json:"advertisement_decoded"`
		Transcript           []entry
	}
}

type msgpackVector struct {
	Description string
	Inputs      struct {
		ValueRepr string `json:"value_repr"`
	}
	Expected struct {
		Packed hx
	}
}

// linkKeys is what the channel transcript needs from link.json: the link
// the conversation ran over.
type linkKeys struct {
	linkID wire.Hash
	token  *identity.Token
	prover *identity.Identity // the responder's identity, which proves packets
	mdu    int
}

func loadLink(t *testing.T) linkKeys {
	t.Helper()
	b, err := vectors.Read("link.json")
	if err != nil {
		t.Fatal(err)
	}
	// link.json is consumed in full by the link tests; only the handshake
	// keys are read here.
	var f struct {
		Handshake struct {
			Inputs struct {
				DestinationPublicKey hx `json:"destination_public_key"`
			}
			Expected struct {
				LinkID     hx  `json:"link_id"`
				DerivedKey hx  `json:"derived_key"`
				LinkMDU    int `json:"link_mdu"`
			}
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("link.json: %v", err)
	}
	h := f.Handshake
	var k linkKeys
	if len(h.Expected.LinkID) != wire.HashLen {
		t.Fatalf("link.json: link id %x", []byte(h.Expected.LinkID))
	}
	k.linkID = wire.Hash(h.Expected.LinkID)
	if k.token, err = identity.NewToken(h.Expected.DerivedKey); err != nil {
		t.Fatalf("link token: %v", err)
	}
	if k.prover, err = identity.FromPublicKey(h.Inputs.DestinationPublicKey); err != nil {
		t.Fatalf("responder identity: %v", err)
	}
	k.mdu = h.Expected.LinkMDU
	return k
}

// check checks one transcript entry: the packet record, the rebuilt packet
// for encrypted entries and the decrypted plaintext. For a packet proof it
// checks that the proof is valid for prev, the packet before it. It returns
// the decoded packet and, for encrypted entries, the plaintext.
func (k *linkKeys) check(t *testing.T, name string, e *entry, prev *wire.Packet) (wire.Packet, []byte) {
	t.Helper()
	name = fmt.Sprintf("%s (%s %s %s)", name, e.Step, e.Direction, e.Packet.ContextName)
	var built []byte
	if e.Encrypted {
		if len(e.IV) != identity.TokenIVLen {
			t.Fatalf("%s: iv %x", name, []byte(e.IV))
		}
		h := wire.Header{
			DestType:    wire.Link,
			PacketType:  wire.PacketType(e.Packet.Flags.PacketType),
			Destination: k.linkID,
			Context:     wire.Context(e.Packet.Context),
		}
		built = k.token.AppendEncrypt(h.Append(nil), [identity.TokenIVLen]byte(e.IV), e.Plaintext)
	}
	p := wiretest.Check(t, name, &e.Packet, built)
	if p.Destination != k.linkID || p.DestType != wire.Link {
		t.Errorf("%s: not addressed to link %x", name, k.linkID)
	}
	if e.Encrypted {
		pt, err := k.token.AppendDecrypt(nil, p.Data)
		if err != nil || !bytes.Equal(pt, e.Plaintext) {
			t.Errorf("%s: decrypt = %x, %v; want %x", name, pt, err, []byte(e.Plaintext))
		}
		return p, pt
	}
	if e.ProofValidatedByReceiver != nil {
		// An explicit link packet proof: the full hash of the proved
		// packet followed by the prover's signature over it.
		ok := prev != nil && p.PacketType == wire.Proof && p.Context == wire.ContextNone &&
			len(p.Data) == identity.FullHashLen+identity.SigLen
		if ok {
			ph := prev.Hash()
			ok = bytes.Equal(p.Data[:identity.FullHashLen], ph[:]) &&
				k.prover.Verify(ph[:], p.Data[identity.FullHashLen:])
		}
		if ok != *e.ProofValidatedByReceiver {
			t.Errorf("%s: proof valid = %v, reference receiver says %v", name, ok, *e.ProofValidatedByReceiver)
		}
	}
	return p, nil
}

func TestChannelVectors(t *testing.T) {
	set := vectors.Load(t, "channel.json")
	link := loadLink(t)

	t.Run("envelopes", func(t *testing.T) {
		var vs []envelopeVector
		set.Section(t, "envelopes", &vs)
		for _, v := range vs {
			e := channel.Envelope{MsgType: v.Inputs.MsgType, Sequence: v.Inputs.Sequence, Data: v.Inputs.Data}
			got, err := e.Append(nil)
			if err != nil || !bytes.Equal(got, v.Expected.Envelope) {
				t.Errorf("%s: Append = %x, %v; want %x", v.Description, got, err, []byte(v.Expected.Envelope))
			}
			var d channel.Envelope
			if err := d.Decode(v.Expected.Envelope); err != nil ||
				d.MsgType != e.MsgType || d.Sequence != e.Sequence || !bytes.Equal(d.Data, e.Data) {
				t.Errorf("%s: Decode = %+v, %v; want %+v", v.Description, d, err, e)
			}
			set.Use("envelopes")
		}
	})

	t.Run("stream_messages", func(t *testing.T) {
		var vs []streamVector
		set.Section(t, "stream_messages", &vs)
		for _, v := range vs {
			in, exp := v.Inputs, v.Expected
			m := channel.StreamMessage{StreamID: in.StreamID, EOF: in.EOF, Compressed: in.Compressed, Data: in.Data}
			got, err := m.Append(nil)
			if err != nil || !bytes.Equal(got, exp.Packed) {
				t.Errorf("%s: Append = %x, %v; want %x", v.Description, got, err, []byte(exp.Packed))
			}
			if len(got) < channel.StreamHeaderLen || !bytes.Equal(got[:channel.StreamHeaderLen], exp.Header) {
				t.Errorf("%s: header of %x, want %x", v.Description, got, []byte(exp.Header))
			}
			var d channel.StreamMessage
			err = d.Decode(exp.Packed)
			switch {
			case exp.UnpackError != nil:
				if *exp.UnpackError != "rejected" {
					t.Fatalf("%s: unknown unpack_error %q", v.Description, *exp.UnpackError)
				}
				if !errors.Is(err, channel.ErrStreamCompressed) || exp.UnpackedData != nil {
					t.Errorf("%s: Decode error %v, want ErrStreamCompressed", v.Description, err)
				}
			case err != nil:
				t.Errorf("%s: Decode: %v", v.Description, err)
			case d.StreamID != exp.UnpackedStreamID || d.EOF != exp.UnpackedEOF ||
				d.Compressed != exp.UnpackedCompressed || !bytes.Equal(d.Data, exp.UnpackedData):
				t.Errorf("%s: Decode = {%d %v %v %x}, want {%d %v %v %x}", v.Description,
					d.StreamID, d.EOF, d.Compressed, d.Data,
					exp.UnpackedStreamID, exp.UnpackedEOF, exp.UnpackedCompressed, []byte(exp.UnpackedData))
			}
			set.Use("stream_messages")
		}
	})

	t.Run("link_channel_transcript", func(t *testing.T) {
		var es []entry
		set.Section(t, "link_channel_transcript", &es)
		var obs []observation
		set.Section(t, "receiver_observations", &obs)

		// What the receiver delivers, rebuilt from the transcript:
		// each channel message, and the bytes of the stream once it
		// ends.
		var got []observation
		var stream []byte
		var prev *wire.Packet
		var next uint16 // the receiver's next expected sequence
		for i := range es {
			e := &es[i]
			p, pt := link.check(t, fmt.Sprintf("link_channel_transcript[%d]", i), e, prev)
			set.Use("link_channel_transcript")
			prev = &p
			if p.Context != wire.ContextChannel {
				continue
			}
			var env channel.Envelope
			if err := env.Decode(pt); err != nil {
				t.Errorf("entry %d: envelope: %v", i, err)
				continue
			}
			if re, err := env.Append(nil); err != nil || !bytes.Equal(re, pt) {
				t.Errorf("entry %d: envelope re-encodes as %x, %v; want %x", i, re, err, pt)
			}
			if env.Sequence != next || !channel.InRxWindow(next, env.Sequence) {
				t.Errorf("entry %d: sequence %d, want %d", i, env.Sequence, next)
			}
			next++
			if len(pt) > channel.MDU(link.mdu)+channel.EnvelopeHeaderLen {
				t.Errorf("entry %d: envelope of %d bytes exceeds the channel MDU %d", i, len(pt), channel.MDU(link.mdu))
			}
			if env.MsgType != channel.MsgTypeStream {
				if env.MsgType >= channel.MsgTypeReserved {
					t.Errorf("entry %d: application message type %#x is reserved", i, env.MsgType)
				}
				got = append(got, observation{"msg", string(env.Data)})
				continue
			}
			var m channel.StreamMessage
			if err := m.Decode(env.Data); err != nil {
				t.Errorf("entry %d: stream message: %v", i, err)
				continue
			}
			wire := m
			wire.Data = env.Data[channel.StreamHeaderLen:]
			if re, err := wire.Append(nil); err != nil || !bytes.Equal(re, env.Data) {
				t.Errorf("entry %d: stream message re-encodes as %x, %v; want %x", i, re, err, env.Data)
			}
			stream = append(stream, m.Data...)
			if m.EOF {
				got = append(got, observation{"stream", hex.EncodeToString(stream)})
				stream = nil
			}
		}
		if stream != nil {
			got = append(got, observation{"stream", hex.EncodeToString(stream)})
		}
		for i := range max(len(got), len(obs)) {
			switch {
			case i >= len(obs):
				t.Errorf("decoded observation %d %+v not seen by the reference", i, got[i])
			case i >= len(got):
				t.Errorf("reference observation %d %+v not decoded", i, obs[i])
			case got[i] != obs[i]:
				t.Errorf("observation %d: decoded %+v, reference saw %+v", i, got[i], obs[i])
			}
		}
		for range obs {
			set.Use("receiver_observations")
		}
	})

	t.Run("requests", func(t *testing.T) {
		var vs []requestVector
		set.Section(t, "requests", &vs)
		for i := range vs {
			checkRequest(t, &link, &vs[i])
			set.Use("requests")
		}
	})

	t.Run("msgpack", func(t *testing.T) {
		var vs []msgpackVector
		set.Section(t, "msgpack", &vs)
		for _, v := range vs {
			checkMsgpack(t, v)
			set.Use("msgpack")
		}
	})
}

func checkRequest(t *testing.T, link *linkKeys, v *requestVector) {
	in, exp := v.Inputs, v.Expected
	name := v.Description
	if i := strings.IndexByte(name, ';'); i > 0 {
		name = name[:i]
	}
	pathHash := dest.PathHash(in.Path)
	if exp.PathHash != nil && !bytes.Equal(pathHash[:], exp.PathHash) {
		t.Errorf("%s: path hash %x, want %x", name, pathHash, []byte(exp.PathHash))
	}
	req := channel.Request{Timestamp: in.Timestamp, PathHash: pathHash, Data: []byte(in.Data)}
	packed, err := req.Pack()
	if err != nil || !bytes.Equal(packed, exp.PackedRequest) {
		t.Errorf("%s: Pack = %x, %v; want %x", name, packed, err, []byte(exp.PackedRequest))
	}
	if got, err := channel.UnpackRequest(exp.PackedRequest); err != nil || !reflect.DeepEqual(got, req) {
		t.Errorf("%s: UnpackRequest = %+v, %v; want %+v", name, got, err, req)
	}
	if !bytes.Equal(exp.ReceiptRequestID, exp.RequestID) ||
		(exp.ServerSawRequestID != nil && !bytes.Equal(exp.ServerSawRequestID, exp.RequestID)) {
		t.Errorf("%s: request ids differ: %x, receipt %x, server %x", name,
			[]byte(exp.RequestID), []byte(exp.ReceiptRequestID), []byte(exp.ServerSawRequestID))
	}
	wantID := wire.Hash(exp.RequestID)

	if exp.RequestPacket != nil {
		// Sent in one REQUEST packet, answered in one RESPONSE packet.
		if channel.SentAsResource(len(packed), link.mdu) {
			t.Errorf("%s: %d bytes would be sent as a resource at MDU %d", name, len(packed), link.mdu)
		}
		p, pt := link.check(t, name+": request", exp.RequestPacket, nil)
		if p.Context != wire.ContextRequest || !bytes.Equal(pt, exp.PackedRequest) {
			t.Errorf("%s: request packet context %s, plaintext %x", name, p.Context, pt)
		}
		if id, err := channel.PacketRequestID(p.Raw); err != nil || id != wantID {
			t.Errorf("%s: PacketRequestID = %x, %v; want %x", name, id, err, wantID)
		}
		rp, rpt := link.check(t, name+": response", exp.ResponsePacket, nil)
		if rp.Context != wire.ContextResponse || !bytes.Equal(rpt, exp.PackedResponse) {
			t.Errorf("%s: response packet context %s, plaintext %x", name, rp.Context, rpt)
		}
		checkResponse(t, name, exp.PackedResponse, wantID, exp.ResponseReceived)
		return
	}

	// Too large for a packet: sent as a resource, whose advertisement
	// carries the request ID.
	if len(packed) != exp.PackedRequestLength || exp.LinkMDU != link.mdu ||
		!channel.SentAsResource(len(packed), exp.LinkMDU) {
		t.Errorf("%s: %d bytes (want %d) at link MDU %d (want %d) not sent as a resource",
			name, len(packed), exp.PackedRequestLength, link.mdu, exp.LinkMDU)
	}
	if id := channel.ResourceRequestID(packed); id != wantID {
		t.Errorf("%s: ResourceRequestID = %x, want %x", name, id, wantID)
	}
	if exp.PackedResponse != nil || exp.ResponsePacket != nil || exp.RequestPacket != nil {
		t.Errorf("%s: resource request has single-packet fields", name)
	}
	wantAdv, err := jsonAdvertisement(exp.AdvertisementDecoded)
	if err != nil {
		t.Fatalf("%s: advertisement_decoded: %v", name, err)
	}

	// Replay both resources (the request, then the response) from the
	// transcript: advertisement, parts, proof.
	var prev *wire.Packet
	var resources [][]byte // reassembled data of each resource, in order
	var adv msgpack.Map
	var parts []byte
	for i := range exp.Transcript {
		e := &exp.Transcript[i]
		p, pt := link.check(t, fmt.Sprintf("%s: transcript[%d]", name, i), e, prev)
		prev = &p
		switch p.Context {
		case wire.ContextResourceAdv:
			v, err := msgpack.Decode(pt)
			m, ok := v.(msgpack.Map)
			if err != nil || !ok {
				t.Fatalf("%s: advertisement %x: %v, %T", name, pt, err, v)
			}
			if len(resources) == 0 && !reflect.DeepEqual(m, wantAdv) {
				t.Errorf("%s: advertisement\n %#v\nwant\n %#v", name, m, wantAdv)
			}
			if q, _ := advField(m, "q").([]byte); !bytes.Equal(q, wantID[:]) {
				t.Errorf("%s: advertisement %d request id %x, want %x", name, len(resources), q, wantID)
			}
			adv, parts = m, nil
		case wire.ContextResource:
			parts = append(parts, p.Data...)
		case wire.ContextResourcePRF:
			data := assemble(t, name, link, adv, parts)
			resources = append(resources, data)
			h, _ := advField(adv, "h").([]byte)
			proof := identity.FullHash(append(append([]byte{}, data...), h...))
			if !bytes.Equal(p.Data, append(append([]byte{}, h...), proof[:]...)) {
				t.Errorf("%s: resource proof %x, want hash %x and proof %x", name, p.Data, h, proof)
			}
		}
	}
	if len(resources) != 2 {
		t.Fatalf("%s: transcript holds %d complete resources, want 2", name, len(resources))
	}
	if !bytes.Equal(resources[0], exp.PackedRequest) {
		t.Errorf("%s: request resource carries %x, want the packed request", name, resources[0])
	}
	if got, err := channel.UnpackRequest(resources[0]); err != nil || !reflect.DeepEqual(got, req) {
		t.Errorf("%s: UnpackRequest(resource) = %+v, %v; want %+v", name, got, err, req)
	}
	checkResponse(t, name, resources[1], wantID, exp.ResponseReceived)
}

// advField returns the value of key in an advertisement, or nil.
func advField(m msgpack.Map, key string) any {
	for _, kv := range m {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// Resource advertisement flags (RNS.Resource.ResourceAdvertisement).
const (
	advEncrypted  = 0x01
	advCompressed = 0x02
)

// randomHashLen is the random prefix of a resource stream
// (RNS.Resource.RANDOM_HASH_SIZE).
const randomHashLen = 4

// assemble rebuilds a resource's data from its parts as a receiver does
// (RNS.Resource.assemble) and checks it against the advertised hash.
func assemble(t *testing.T, name string, link *linkKeys, adv msgpack.Map, stream []byte) []byte {
	t.Helper()
	flags, _ := advField(adv, "f").(int64)
	data := stream
	if flags&advEncrypted != 0 {
		var err error
		if data, err = link.token.Decrypt(stream); err != nil {
			t.Fatalf("%s: resource stream: %v", name, err)
		}
	}
	if len(data) < randomHashLen {
		t.Fatalf("%s: resource stream of %d bytes", name, len(data))
	}
	data = data[randomHashLen:]
	if flags&advCompressed != 0 {
		var err error
		if data, err = io.ReadAll(bzip2.NewReader(bytes.NewReader(data))); err != nil {
			t.Fatalf("%s: resource bz2: %v", name, err)
		}
	}
	r, _ := advField(adv, "r").([]byte)
	h, _ := advField(adv, "h").([]byte)
	if sum := identity.FullHash(append(append([]byte{}, data...), r...)); !bytes.Equal(sum[:], h) {
		t.Errorf("%s: resource hash %x, advertised %x", name, sum, h)
	}
	if d, _ := advField(adv, "d").(int64); int(d) != len(data) {
		t.Errorf("%s: resource data size %d, advertised %d", name, len(data), d)
	}
	return data
}

// checkResponse unpacks a packed response, checks its request ID and data,
// and checks that packing it again gives the same bytes.
func checkResponse(t *testing.T, name string, packed []byte, id wire.Hash, data []byte) {
	t.Helper()
	resp, err := channel.UnpackResponse(packed)
	if err != nil {
		t.Errorf("%s: UnpackResponse(%x): %v", name, packed, err)
		return
	}
	got, ok := resp.Data.([]byte)
	if resp.RequestID != id || !ok || !bytes.Equal(got, data) {
		t.Errorf("%s: response for %x with %#v, want %x with %x", name, resp.RequestID, resp.Data, id, data)
	}
	if re, err := resp.Pack(); err != nil || !bytes.Equal(re, packed) {
		t.Errorf("%s: response packs as %x, %v; want %x", name, re, err, packed)
	}
}

// jsonAdvertisement turns advertisement_decoded (a JSON object with
// integers and hex byte strings) into the msgpack.Map Decode returns for
// the advertisement, in the JSON's key order.
func jsonAdvertisement(raw json.RawMessage) (msgpack.Map, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object: %v", err)
	}
	var m msgpack.Map
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		if tok, err = d.Token(); err != nil {
			return nil, err
		}
		var v any
		switch x := tok.(type) {
		case json.Number:
			n, err := x.Int64()
			if err != nil {
				return nil, err
			}
			v = n
		case string:
			b, err := hex.DecodeString(x)
			if err != nil {
				return nil, err
			}
			v = b
		case nil:
			v = nil
		default:
			return nil, fmt.Errorf("key %s: unexpected %T", key, tok)
		}
		m = append(m, msgpack.KV{Key: key, Value: v})
	}
	return m, nil
}

// reprValues maps the value_repr of each msgpack vector to the Go value
// that packs to it and that Decode returns for it.
var reprValues = map[string]any{
	`[1700001002.0, b'` + strings.Repeat(`\x00`, 16) + `', b'ping']`: []any{1700001002.0, make([]byte, 16), []byte("ping")},
	`0.25`:                        0.25,
	`None`:                        nil,
	`True`:                        true,
	`5`:                           int64(5),
	`300`:                         int64(300),
	`-40`:                         int64(-40),
	`'hello'`:                     "hello",
	`b'\x01\x02'`:                 []byte{1, 2},
	`{'t': 1, 'h': b'\xaa'}`:      msgpack.Map{{Key: "t", Value: int64(1)}, {Key: "h", Value: []byte{0xaa}}},
	`[b'a', [1, 2], {'k': None}]`: []any{[]byte("a"), []any{int64(1), int64(2)}, msgpack.Map{{Key: "k", Value: nil}}},
}

func checkMsgpack(t *testing.T, v msgpackVector) {
	t.Helper()
	value, ok := reprValues[v.Inputs.ValueRepr]
	if !ok {
		t.Errorf("no Go value for msgpack vector %s", v.Inputs.ValueRepr)
		return
	}
	got, err := msgpack.Marshal(value)
	if err != nil || !bytes.Equal(got, v.Expected.Packed) {
		t.Errorf("Marshal(%#v) = %x, %v; want %x", value, got, err, []byte(v.Expected.Packed))
	}
	dec, err := msgpack.Decode(v.Expected.Packed)
	if err != nil || !reflect.DeepEqual(dec, value) {
		t.Errorf("Decode(%x) = %#v, %v; want %#v", []byte(v.Expected.Packed), dec, err, value)
	}
	// The request vector is a packed request of the all-zero path hash.
	if strings.HasPrefix(v.Inputs.ValueRepr, "[1700001002.0") {
		r, err := channel.UnpackRequest(v.Expected.Packed)
		want := channel.Request{Timestamp: 1700001002.0, Data: []byte("ping")}
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Errorf("UnpackRequest(%x) = %+v, %v; want %+v", []byte(v.Expected.Packed), r, err, want)
		}
	}
}
