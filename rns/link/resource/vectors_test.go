package resource_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rns/wire/wiretest"
	"github.com/mehr-net/mehr/vectors"
)

type transcriptEntry = wiretest.Entry

type resourceVector struct {
	Description string `json:"description"`
	Inputs      struct {
		Data                     vectors.Hex     `json:"data"`
		Metadata                 json.RawMessage `json:"metadata"`
		LinkID                   vectors.Hex     `json:"link_id"`
		LinkDerivedKey           vectors.Hex     `json:"link_derived_key"`
		RandomBytesForPrefix     vectors.Hex     `json:"random_bytes_for_prefix"`
		IV                       vectors.Hex     `json:"iv"`
		RandomBytesForRandomHash vectors.Hex     `json:"random_bytes_for_random_hash"`
		AdvertisementIV          vectors.Hex     `json:"advertisement_iv"`
		LinkMTU                  int             `json:"link_mtu"`
	} `json:"inputs"`
	Expected struct {
		RandomPrefix           vectors.Hex       `json:"random_prefix"`
		MetadataBlock          vectors.Hex       `json:"metadata_block"`
		DataWithMetadata       vectors.Hex       `json:"data_with_metadata"`
		Compressed             bool              `json:"compressed"`
		BZ2Compressed          vectors.Hex       `json:"bz2_compressed"`
		StreamPlaintext        vectors.Hex       `json:"stream_plaintext"`
		StreamEncrypted        vectors.Hex       `json:"stream_encrypted"`
		TransferSize           int               `json:"transfer_size"`
		DataSize               int               `json:"data_size"`
		SDU                    int               `json:"sdu"`
		Parts                  []vectors.Hex     `json:"parts"`
		PartPackets            []vectors.Hex     `json:"part_packets"`
		RandomHash             vectors.Hex       `json:"random_hash"`
		ResourceHash           vectors.Hex       `json:"resource_hash"`
		OriginalHash           vectors.Hex       `json:"original_hash"`
		TruncatedHash          vectors.Hex       `json:"truncated_hash"`
		ExpectedProof          vectors.Hex       `json:"expected_proof"`
		MapHashes              []vectors.Hex     `json:"map_hashes"`
		Hashmap                vectors.Hex       `json:"hashmap"`
		AdvertisementPlaintext vectors.Hex       `json:"advertisement_plaintext"`
		AdvertisementDecoded   json.RawMessage   `json:"advertisement_decoded"`
		AdvertisementKeyOrder  []string          `json:"advertisement_key_order"`
		Flags                  int               `json:"flags"`
		Transcript             []transcriptEntry `json:"transcript"`
		ReceivedDataMatches    bool              `json:"received_data_matches"`
		ReceivedMetadata       json.RawMessage   `json:"received_metadata"`
		ReceiverStatus         int               `json:"receiver_status"`
		SenderStatus           int               `json:"sender_status"`
	} `json:"expected"`
}

// orderedJSON converts a JSON value to the msgpack value the reference
// packs for it: objects become a msgpack.Map in document order, integers
// int64, null nil.
func orderedJSON(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readJSON(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing JSON")
	}
	return v, nil
}

func readJSON(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := msgpack.Map{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readJSON(dec)
				if err != nil {
					return nil, err
				}
				m = append(m, msgpack.KV{Key: k.(string), Value: v})
			}
			_, err := dec.Token()
			return m, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := readJSON(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		return t.Float64()
	default:
		return t, nil
	}
}

func packJSON(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	v, err := orderedJSON(raw)
	if err != nil {
		t.Fatalf("metadata JSON: %v", err)
	}
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatalf("pack metadata: %v", err)
	}
	return b
}

func eq(t *testing.T, name string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", name, got, want)
	}
}

func eqInt(t *testing.T, name string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %d, want %d", name, got, want)
	}
}

func TestResourceVectors(t *testing.T) {
	set := vectors.Load(t, "resource.json")
	var vs []resourceVector
	set.Section(t, "resources", &vs)
	for i, v := range vs {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			checkResource(t, &v)
			set.Use("resources")
		})
	}
}

func checkResource(t *testing.T, v *resourceVector) {
	in, want := &v.Inputs, &v.Expected
	var linkID wire.Hash
	copy(linkID[:], in.LinkID)
	tok, err := identity.NewToken(in.LinkDerivedKey)
	if err != nil {
		t.Fatal(err)
	}

	// The reference takes each random value from get_random_hash: the
	// truncated hash of fresh random bytes.
	prefixHash := identity.TruncatedHash(in.RandomBytesForPrefix)
	randomHash := identity.TruncatedHash(in.RandomBytesForRandomHash)
	eq(t, "random_prefix", prefixHash[:resource.PrefixLen], want.RandomPrefix)
	eq(t, "random_hash", randomHash[:resource.RandomHashLen], want.RandomHash)

	var meta []byte
	if string(in.Metadata) != "null" {
		meta = packJSON(t, in.Metadata)
		block, err := resource.MetadataBlock(meta)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "metadata_block", block, want.MetadataBlock)
	} else if len(want.MetadataBlock) != 0 {
		t.Errorf("metadata_block %x without metadata", []byte(want.MetadataBlock))
	}
	eq(t, "data_with_metadata", append(slices.Clone([]byte(want.MetadataBlock)), in.Data...), want.DataWithMetadata)

	// libbz2's output: it must decompress to the data, and so must ours,
	// which decides compression the same way here.
	if want.BZ2Compressed != nil {
		got, err := resource.Decompress(want.BZ2Compressed, len(want.DataWithMetadata))
		if err != nil || !bytes.Equal(got, want.DataWithMetadata) {
			t.Errorf("bz2_compressed does not decompress to the data: %v", err)
		}
		if _, err := resource.Decompress(want.BZ2Compressed, len(want.DataWithMetadata)-1); !errors.Is(err, resource.ErrTooLarge) {
			t.Errorf("decompress below the data size: %v, want ErrTooLarge", err)
		}
	}
	own, err := resource.Compress(want.DataWithMetadata)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := resource.Decompress(own, len(want.DataWithMetadata)); err != nil || !bytes.Equal(got, want.DataWithMetadata) {
		t.Errorf("own bzip2 output does not round-trip: %v", err)
	}
	if (len(own) < len(want.DataWithMetadata)) != want.Compressed {
		t.Errorf("own compressor decides compressed=%v, reference %v", !want.Compressed, want.Compressed)
	}

	p := resource.Params{
		Data:       in.Data,
		Metadata:   meta,
		Key:        in.LinkDerivedKey,
		MTU:        in.LinkMTU,
		Compress:   true,
		Compressed: want.BZ2Compressed,
	}
	copy(p.Prefix[:], prefixHash[:])
	copy(p.IV[:], in.IV)
	copy(p.RandomHash[:], randomHash[:])
	if want.BZ2Compressed == nil {
		// Compression did not pay; the reference's bytes are not recorded.
		p.Compressed = nil
	}
	r, err := resource.Build(&p)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	eq(t, "stream_encrypted", r.Stream, want.StreamEncrypted)
	plain, err := tok.Decrypt(r.Stream)
	if err != nil {
		t.Fatalf("decrypt stream: %v", err)
	}
	eq(t, "stream_plaintext", plain, want.StreamPlaintext)
	if want.Compressed {
		eq(t, "compressed payload", plain[resource.PrefixLen:], want.BZ2Compressed)
	}
	if got := r.Flags&resource.FlagCompressed != 0; got != want.Compressed {
		t.Errorf("compressed %v, want %v", got, want.Compressed)
	}
	eqInt(t, "transfer_size", r.TransferSize(), want.TransferSize)
	eqInt(t, "data_size", r.DataSize, want.DataSize)
	eqInt(t, "sdu", r.SDU, want.SDU)
	if sdu, err := resource.SDU(in.LinkMTU); err != nil || sdu != want.SDU {
		t.Errorf("SDU(%d) = %d, %v", in.LinkMTU, sdu, err)
	}
	eqInt(t, "parts", r.NumParts(), len(want.Parts))
	for i := range min(r.NumParts(), len(want.Parts)) {
		eq(t, fmt.Sprintf("part %d", i), r.Part(i), want.Parts[i])
		eq(t, fmt.Sprintf("map hash %d", i), r.MapHash(i), want.MapHashes[i])
		eq(t, fmt.Sprintf("part packet %d", i), r.AppendPartPacket(nil, linkID, i), want.PartPackets[i])
	}
	eqInt(t, "map_hashes", len(want.MapHashes), len(want.Parts))
	eqInt(t, "part_packets", len(want.PartPackets), len(want.Parts))
	eq(t, "hashmap", r.Hashmap, want.Hashmap)
	eq(t, "resource_hash", r.Hash[:], want.ResourceHash)
	eq(t, "original_hash", r.OriginalHash[:], want.OriginalHash)
	eq(t, "truncated_hash", r.Hash[:identity.HashLen], want.TruncatedHash)
	th := identity.TruncatedHash(append(slices.Clone([]byte(want.DataWithMetadata)), randomHash[:resource.RandomHashLen]...))
	eq(t, "truncated_hash (recomputed)", th[:], want.TruncatedHash)
	eq(t, "expected_proof", r.ExpectedProof[:], want.ExpectedProof)
	eqInt(t, "flags", int(r.Flags), want.Flags)

	adv := r.Advertisement()
	advPlain, err := adv.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "advertisement_plaintext", advPlain, want.AdvertisementPlaintext)
	eq(t, "advertisement_decoded", advPlain, packJSONHex(t, want.AdvertisementDecoded))
	if !slices.Equal(resource.Keys[:], want.AdvertisementKeyOrder) {
		t.Errorf("key order %v, want %v", resource.Keys, want.AdvertisementKeyOrder)
	}
	dv, err := msgpack.Decode(want.AdvertisementPlaintext)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, kv := range dv.(msgpack.Map) {
		order = append(order, kv.Key.(string))
	}
	if !slices.Equal(order, want.AdvertisementKeyOrder) {
		t.Errorf("packed key order %v, want %v", order, want.AdvertisementKeyOrder)
	}

	// Receiver side, driven by the transcript.
	var recv *resource.Receiver
	var sentParts []int
	var data, gotMeta []byte
	partNo := 0
	for k, e := range want.Transcript {
		name := fmt.Sprintf("transcript %d (%s)", k, e.Packet.ContextName)
		var built []byte
		switch wire.Context(e.Packet.Context) {
		case wire.ContextResourceAdv:
			if e.Direction != "initiator->responder" || !e.Encrypted {
				t.Errorf("%s: direction %s encrypted %v", name, e.Direction, e.Encrypted)
			}
			eq(t, name+" plaintext", e.Plaintext, advPlain)
			var iv [identity.TokenIVLen]byte
			copy(iv[:], in.AdvertisementIV)
			eq(t, name+" iv", e.IV, iv[:])
			built = resource.AppendPacket(nil, linkID, wire.Data, wire.ContextResourceAdv, tok.AppendEncrypt(nil, iv, advPlain))
			pkt := wiretest.Check(t, name, &e.Packet, built)
			pt, err := tok.Decrypt(pkt.Data)
			if err != nil {
				t.Fatalf("%s: decrypt: %v", name, err)
			}
			got, err := resource.DecodeAdvertisement(pt)
			if err != nil {
				t.Fatalf("%s: decode: %v", name, err)
			}
			if !advEqual(got, adv) {
				t.Errorf("%s: decoded %+v, want %+v", name, got, adv)
			}
			if recv, err = resource.NewReceiver(got, in.LinkDerivedKey, in.LinkMTU); err != nil {
				t.Fatalf("%s: NewReceiver: %v", name, err)
			}
		case wire.ContextResourceReq:
			if recv == nil || !e.Encrypted || e.Direction != "responder->initiator" {
				t.Fatalf("%s: out of order", name)
			}
			req := recv.AppendRequest(nil)
			eq(t, name+" plaintext", req, e.Plaintext)
			built = resource.AppendPacket(nil, linkID, wire.Data, wire.ContextResourceReq, tok.AppendEncrypt(nil, [16]byte(e.IV), req))
			wiretest.Check(t, name, &e.Packet, built)
			var hmu []byte
			sentParts, hmu, err = r.HandleRequest(req)
			if err != nil || hmu != nil {
				t.Fatalf("%s: HandleRequest: %v, hmu %x", name, err, hmu)
			}
		case wire.ContextResource:
			if partNo >= len(sentParts) || e.Encrypted || e.Direction != "initiator->responder" {
				t.Fatalf("%s: unexpected part", name)
			}
			built = r.AppendPartPacket(nil, linkID, sentParts[partNo])
			partNo++
			pkt := wiretest.Check(t, name, &e.Packet, built)
			if ok, err := recv.AcceptPart(pkt.Data); !ok || err != nil {
				t.Fatalf("%s: AcceptPart: %v %v", name, ok, err)
			}
			if ok, err := recv.AcceptPart(pkt.Data); ok || err != nil {
				t.Errorf("%s: duplicate AcceptPart: %v %v", name, ok, err)
			}
		case wire.ContextResourcePRF:
			if recv == nil || e.Encrypted || e.Direction != "responder->initiator" {
				t.Fatalf("%s: out of order", name)
			}
			if data, gotMeta, err = recv.Assemble(); err != nil {
				t.Fatalf("%s: Assemble: %v", name, err)
			}
			built = resource.AppendPacket(nil, linkID, wire.Proof, wire.ContextResourcePRF, recv.Proof())
			pkt := wiretest.Check(t, name, &e.Packet, built)
			senderStatus := resource.StatusAwaitingProof
			if err := r.VerifyProof(pkt.Data); err != nil {
				t.Errorf("%s: VerifyProof: %v", name, err)
			} else {
				senderStatus = resource.StatusComplete
			}
			eqInt(t, "sender_status", int(senderStatus), want.SenderStatus)
		default:
			t.Errorf("%s: unexpected context", name)
		}
		if e.Step == "" || !strings.HasPrefix(e.Step, "resource_") {
			t.Errorf("%s: step %q", name, e.Step)
		}
	}
	if recv == nil {
		t.Fatal("no advertisement in transcript")
	}
	eqInt(t, "parts sent", partNo, len(want.Parts))
	eqInt(t, "receiver_status", int(recv.Status()), want.ReceiverStatus)
	if bytes.Equal(data, in.Data) != want.ReceivedDataMatches {
		t.Errorf("received data matches = %v, want %v", !want.ReceivedDataMatches, want.ReceivedDataMatches)
	}
	if string(want.ReceivedMetadata) == "null" {
		if gotMeta != nil {
			t.Errorf("received metadata %x, want none", gotMeta)
		}
	} else {
		eq(t, "received_metadata", gotMeta, packJSON(t, want.ReceivedMetadata))
	}
}

// packJSONHex packs the JSON form of an advertisement, whose byte strings
// are hex.
func packJSONHex(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	v, err := orderedJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(msgpack.Map)
	for i, kv := range m {
		switch kv.Key {
		case "h", "r", "o", "m", "q":
			if s, ok := kv.Value.(string); ok {
				var h vectors.Hex
				if err := h.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
					t.Fatal(err)
				}
				m[i].Value = []byte(h)
			}
		}
	}
	b, err := msgpack.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func advEqual(a, b *resource.Advertisement) bool {
	return a.TransferSize == b.TransferSize && a.DataSize == b.DataSize && a.Parts == b.Parts &&
		a.Hash == b.Hash && a.RandomHash == b.RandomHash && a.OriginalHash == b.OriginalHash &&
		a.SegmentIndex == b.SegmentIndex && a.TotalSegments == b.TotalSegments &&
		bytes.Equal(a.RequestID, b.RequestID) && a.Flags == b.Flags && bytes.Equal(a.Hashmap, b.Hashmap)
}
