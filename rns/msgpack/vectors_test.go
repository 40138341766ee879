package msgpack_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/vectors"
)

// channel.json and resource.json are consumed in full by the link and
// resource tests, so this package reads them with vectors.Read and checks
// only the sections that concern msgpack, without vectors.Load.

type hx = vectors.Hex

type transcriptEntry struct {
	Step      string
	Direction string
	Packet    struct {
		ContextName string `json:"context_name"`
	}
	Encrypted bool
	Plaintext hx
}

type channelVectors struct {
	Msgpack []struct {
		Description string
		Inputs      struct {
			ValueRepr string `json:"value_repr"`
		}
		Expected struct {
			Packed hx
		}
	}
	Requests []struct {
		Description string
		Inputs      struct {
			Path      string
			Data      hx
			Timestamp float64
		}
		Expected struct {
			PathHash             hx               `json:"path_hash"`
			PackedRequest        hx               `json:"packed_request"`
			PackedRequestLength  int              `json:"packed_request_length"`
			RequestID            hx               `json:"request_id"`
			RequestPacket        *transcriptEntry `json:"request_packet"`
			PackedResponse       hx               `json:"packed_response"`
			ResponsePacket       *transcriptEntry `json:"response_packet"`
			ResponseReceived     hx               `json:"response_received_by_initiator"`
			AdvertisementDecoded json.RawMessage  `json:"advertisement_decoded"`
			Transcript           []transcriptEntry
		}
	}
}

type resourceVectors struct {
	Resources []struct {
		Description string
		Inputs      struct {
			Metadata json.RawMessage
		}
		Expected struct {
			MetadataBlock          hx              `json:"metadata_block"`
			AdvertisementPlaintext hx              `json:"advertisement_plaintext"`
			AdvertisementDecoded   json.RawMessage `json:"advertisement_decoded"`
			AdvertisementKeyOrder  []string        `json:"advertisement_key_order"`
			ReceivedMetadata       json.RawMessage `json:"received_metadata"`
			Transcript             []transcriptEntry
		}
	}
}

func readVectors(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := vectors.Read(name)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

// advertisementKeys is the order in which the reference packs the keys of
// a resource advertisement (RNS/Resource.py, ResourceAdvertisement.pack).
var advertisementKeys = []string{"t", "d", "n", "h", "r", "o", "i", "l", "q", "f", "m"}

// reprValues holds, for the value_repr of every channel.json msgpack
// vector, the Go value that Marshal must encode to the vector's bytes and
// that Decode must return for them.
var reprValues = []struct {
	repr  string
	value any
}{
	{`[1700001002.0, b'` + strings.Repeat(`\x00`, 16) + `', b'ping']`,
		[]any{1700001002.0, make([]byte, 16), []byte("ping")}},
	{`0.25`, 0.25},
	{`None`, nil},
	{`True`, true},
	{`5`, int64(5)},
	{`300`, int64(300)},
	{`-40`, int64(-40)},
	{`'hello'`, "hello"},
	{`b'\x01\x02'`, []byte{1, 2}},
	{`{'t': 1, 'h': b'\xaa'}`, msgpack.Map{{Key: "t", Value: int64(1)}, {Key: "h", Value: []byte{0xaa}}}},
	{`[b'a', [1, 2], {'k': None}]`,
		[]any{[]byte("a"), []any{int64(1), int64(2)}, msgpack.Map{{Key: "k", Value: nil}}}},
}

func TestVectorsMsgpack(t *testing.T) {
	var f channelVectors
	readVectors(t, "channel.json", &f)
	if len(f.Msgpack) == 0 {
		t.Fatal("channel.json has no msgpack vectors")
	}

	table := map[string]any{}
	for _, rv := range reprValues {
		if _, dup := table[rv.repr]; dup {
			t.Fatalf("reprValues lists %s twice", rv.repr)
		}
		table[rv.repr] = rv.value
	}
	used := map[string]bool{}

	for _, v := range f.Msgpack {
		repr, packed := v.Inputs.ValueRepr, []byte(v.Expected.Packed)
		value, ok := table[repr]
		if !ok {
			t.Errorf("no Go value for msgpack vector %s (%q)", repr, v.Description)
			continue
		}
		used[repr] = true
		t.Run(repr, func(t *testing.T) {
			got, err := msgpack.Marshal(value)
			if err != nil || !bytes.Equal(got, packed) {
				t.Errorf("Marshal(%#v) = %x, %v; want %x", value, got, err, packed)
			}
			dec, err := msgpack.Decode(packed)
			if err != nil || !same(dec, value) {
				t.Errorf("Decode(%x) = %#v, %v; want %#v", packed, dec, err, value)
			}
			var x any
			if err := msgpack.Unmarshal(packed, &x); err != nil || !same(x, value) {
				t.Errorf("Unmarshal(%x, *any) = %#v, %v; want %#v", packed, x, err, value)
			}
			// Scalars and maps also decode into a target of their own type.
			switch value.(type) {
			case nil, []any:
			default:
				p := reflect.New(reflect.TypeOf(value))
				if err := msgpack.Unmarshal(packed, p.Interface()); err != nil || !same(p.Elem().Interface(), value) {
					t.Errorf("Unmarshal(%x, %T) = %#v, %v; want %#v", packed, p.Interface(), p.Elem().Interface(), err, value)
				}
			}
		})
	}
	for _, rv := range reprValues {
		if !used[rv.repr] {
			t.Errorf("reprValues entry %s matches no msgpack vector", rv.repr)
		}
	}
}

// hexBytes is the orderedJSON string decoder for hex byte strings.
func hexBytes(s string) (any, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// text is the orderedJSON string decoder for text strings.
func text(s string) (any, error) { return s, nil }

// checkRoundTrip decodes packed, compares the result with want (unless nil)
// and checks that it encodes back to packed byte for byte.
func checkRoundTrip(t *testing.T, what string, packed []byte, want any) any {
	t.Helper()
	got, err := msgpack.Decode(packed)
	if err != nil {
		t.Errorf("%s: Decode(%x): %v", what, packed, err)
		return nil
	}
	if want != nil && !same(got, want) {
		t.Errorf("%s: Decode(%x) = %#v, want %#v", what, packed, got, want)
	}
	re, err := msgpack.Marshal(got)
	if err != nil || !bytes.Equal(re, packed) {
		t.Errorf("%s: Marshal(Decode(x)) = %x, %v; want %x", what, re, err, packed)
	}
	return got
}

// checkAdvertisement checks a resource advertisement plaintext: an ordered
// map with the reference's key order that re-encodes byte for byte.
func checkAdvertisement(t *testing.T, what string, plaintext []byte, want any) msgpack.Map {
	t.Helper()
	got := checkRoundTrip(t, what, plaintext, want)
	m, ok := got.(msgpack.Map)
	if !ok {
		t.Errorf("%s: advertisement decodes to %T, want msgpack.Map", what, got)
		return nil
	}
	var keys []string
	for _, kv := range m {
		k, _ := kv.Key.(string)
		keys = append(keys, k)
	}
	if !slices.Equal(keys, advertisementKeys) {
		t.Errorf("%s: advertisement keys %q, want %q", what, keys, advertisementKeys)
	}

	// The same bytes through a typed struct: fields in the reference's key
	// order, a nil []byte for a None value.
	var adv advertisement
	if err := msgpack.Unmarshal(plaintext, &adv); err != nil {
		t.Errorf("%s: Unmarshal into struct: %v", what, err)
	} else if re, err := msgpack.Marshal(&adv); err != nil || !bytes.Equal(re, plaintext) {
		t.Errorf("%s: Marshal(struct) = %x, %v; want %x", what, re, err, plaintext)
	}
	return m
}

// advertisement mirrors the fields of the reference's
// ResourceAdvertisement, in the order it packs them.
type advertisement struct {
	TransferSize int    `msgpack:"t"`
	DataSize     int    `msgpack:"d"`
	Parts        int    `msgpack:"n"`
	Hash         []byte `msgpack:"h"`
	RandomHash   []byte `msgpack:"r"`
	OriginalHash []byte `msgpack:"o"`
	SegmentIndex int    `msgpack:"i"`
	Segments     int    `msgpack:"l"`
	RequestID    []byte `msgpack:"q"`
	Flags        uint8  `msgpack:"f"`
	Hashmap      []byte `msgpack:"m"`
}

func TestVectorsRequests(t *testing.T) {
	var f channelVectors
	readVectors(t, "channel.json", &f)
	if len(f.Requests) == 0 {
		t.Fatal("channel.json has no requests")
	}
	for i, v := range f.Requests {
		in, exp := v.Inputs, v.Expected
		pathHash := sha256.Sum256([]byte(in.Path))
		if exp.PathHash != nil && !bytes.Equal(pathHash[:16], exp.PathHash) {
			t.Fatalf("request %d: path hash of %q is %x, vector says %x", i, in.Path, pathHash[:16], exp.PathHash)
		}

		// The reference packs [timestamp, path_hash, data].
		req := []any{in.Timestamp, pathHash[:16], []byte(in.Data)}
		got, err := msgpack.Marshal(req)
		if err != nil || !bytes.Equal(got, exp.PackedRequest) {
			t.Errorf("request %d: Marshal = %x, %v; want %x", i, got, err, exp.PackedRequest)
		}
		if exp.PackedRequestLength != 0 && len(got) != exp.PackedRequestLength {
			t.Errorf("request %d: packed length %d, want %d", i, len(got), exp.PackedRequestLength)
		}
		checkRoundTrip(t, "packed_request", exp.PackedRequest, req)
		if p := exp.RequestPacket; p != nil && !bytes.Equal(p.Plaintext, exp.PackedRequest) {
			t.Errorf("request %d: request packet plaintext %x, want packed_request", i, p.Plaintext)
		}

		// The response is packed as [request_id, response].
		if exp.PackedResponse != nil {
			resp := []any{[]byte(exp.RequestID), []byte(exp.ResponseReceived)}
			got, err := msgpack.Marshal(resp)
			if err != nil || !bytes.Equal(got, exp.PackedResponse) {
				t.Errorf("request %d: Marshal response = %x, %v; want %x", i, got, err, exp.PackedResponse)
			}
			checkRoundTrip(t, "packed_response", exp.PackedResponse, resp)
			if p := exp.ResponsePacket; p == nil || !bytes.Equal(p.Plaintext, exp.PackedResponse) {
				t.Errorf("request %d: response packet does not carry packed_response", i)
			}
		}

		// A request too large for one packet travels as a resource whose
		// advertisement the vector also gives decoded.
		var advs [][]byte
		for _, e := range exp.Transcript {
			if e.Packet.ContextName == "RESOURCE_ADV" {
				advs = append(advs, e.Plaintext)
			}
		}
		if exp.AdvertisementDecoded != nil {
			want, err := orderedJSON(exp.AdvertisementDecoded, hexBytes)
			if err != nil {
				t.Fatalf("request %d: advertisement_decoded: %v", i, err)
			}
			enc, err := msgpack.Marshal(want)
			if err != nil {
				t.Fatalf("request %d: Marshal advertisement: %v", i, err)
			}
			if len(advs) == 0 || !bytes.Equal(enc, advs[0]) {
				t.Errorf("request %d: Marshal(advertisement_decoded) = %x, want the first RESOURCE_ADV plaintext", i, enc)
			}
			if q, _ := want.(msgpack.Map).Get("q"); !same(q, []byte(exp.RequestID)) {
				t.Errorf("request %d: advertisement q = %x, want request_id %x", i, q, exp.RequestID)
			}
		}
		for j, adv := range advs {
			var want any
			if j == 0 && exp.AdvertisementDecoded != nil {
				want, _ = orderedJSON(exp.AdvertisementDecoded, hexBytes)
			}
			checkAdvertisement(t, "request advertisement", adv, want)
		}
	}
}

func TestVectorsResourceAdvertisements(t *testing.T) {
	var f resourceVectors
	readVectors(t, "resource.json", &f)
	if len(f.Resources) == 0 {
		t.Fatal("resource.json has no resources")
	}
	for _, v := range f.Resources {
		exp := v.Expected
		t.Run(v.Description, func(t *testing.T) {
			if !slices.Equal(exp.AdvertisementKeyOrder, advertisementKeys) {
				t.Errorf("advertisement_key_order %q, want %q", exp.AdvertisementKeyOrder, advertisementKeys)
			}
			want, err := orderedJSON(exp.AdvertisementDecoded, hexBytes)
			if err != nil {
				t.Fatalf("advertisement_decoded: %v", err)
			}
			// Build the map in advertisement_key_order and encode it.
			wm := want.(msgpack.Map)
			var m msgpack.Map
			for _, k := range exp.AdvertisementKeyOrder {
				val, ok := wm.Get(k)
				if !ok {
					t.Fatalf("advertisement_decoded has no key %q", k)
				}
				m = append(m, msgpack.KV{Key: k, Value: val})
			}
			got, err := msgpack.Marshal(m)
			if err != nil || !bytes.Equal(got, exp.AdvertisementPlaintext) {
				t.Errorf("Marshal = %x, %v; want %x", got, err, exp.AdvertisementPlaintext)
			}
			checkAdvertisement(t, "advertisement_plaintext", exp.AdvertisementPlaintext, m)
			for _, e := range exp.Transcript {
				if e.Packet.ContextName == "RESOURCE_ADV" && !bytes.Equal(e.Plaintext, exp.AdvertisementPlaintext) {
					t.Errorf("transcript advertisement %x differs from advertisement_plaintext", e.Plaintext)
				}
			}

			// Metadata travels as a 3-byte big-endian length and msgpack.
			if string(v.Inputs.Metadata) == "null" || v.Inputs.Metadata == nil {
				if len(exp.MetadataBlock) != 0 {
					t.Errorf("metadata_block %x without metadata", exp.MetadataBlock)
				}
				return
			}
			meta, err := orderedJSON(v.Inputs.Metadata, text)
			if err != nil {
				t.Fatalf("metadata: %v", err)
			}
			packed, err := msgpack.Marshal(meta)
			if err != nil {
				t.Fatalf("Marshal metadata: %v", err)
			}
			n := len(packed)
			block := append([]byte{byte(n >> 16), byte(n >> 8), byte(n)}, packed...)
			if !bytes.Equal(block, exp.MetadataBlock) {
				t.Errorf("metadata block %x, want %x", block, exp.MetadataBlock)
			}
			received, err := orderedJSON(exp.ReceivedMetadata, text)
			if err != nil {
				t.Fatalf("received_metadata: %v", err)
			}
			checkRoundTrip(t, "metadata", exp.MetadataBlock[3:], received)
		})
	}
}

// vectorSeeds returns every msgpack encoding in the vectors this package
// checks, to seed the fuzz target.
func vectorSeeds(tb testing.TB) [][]byte {
	var ch channelVectors
	readVectors(tb, "channel.json", &ch)
	var res resourceVectors
	readVectors(tb, "resource.json", &res)
	var seeds [][]byte
	for _, v := range ch.Msgpack {
		seeds = append(seeds, v.Expected.Packed)
	}
	for _, v := range ch.Requests {
		seeds = append(seeds, v.Expected.PackedRequest)
		if v.Expected.PackedResponse != nil {
			seeds = append(seeds, v.Expected.PackedResponse)
		}
		for _, e := range v.Expected.Transcript {
			if e.Packet.ContextName == "RESOURCE_ADV" {
				seeds = append(seeds, e.Plaintext)
			}
		}
	}
	for _, v := range res.Resources {
		seeds = append(seeds, v.Expected.AdvertisementPlaintext)
		if len(v.Expected.MetadataBlock) > 3 {
			seeds = append(seeds, v.Expected.MetadataBlock[3:])
		}
	}
	return seeds
}
