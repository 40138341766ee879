package resource_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/msgpack"
)

var testKey = bytes.Repeat([]byte{0x42}, 64)

func testParams(data []byte, compress bool) *resource.Params {
	p := &resource.Params{Data: data, Key: testKey, MTU: 500, Compress: compress}
	p.Prefix = [4]byte{1, 2, 3, 4}
	p.IV = [16]byte{5}
	p.RandomHash = [4]byte{9, 8, 7, 6}
	return p
}

func randomData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sentAdvertisement returns r's advertisement as a receiver decodes it
// off the wire.
func sentAdvertisement(tb testing.TB, r *resource.Resource) *resource.Advertisement {
	tb.Helper()
	plain, err := r.Advertisement().Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	adv, err := resource.DecodeAdvertisement(plain)
	if err != nil {
		tb.Fatal(err)
	}
	return adv
}

// transfer runs a whole exchange between r and a receiver and returns what
// the receiver assembled.
func transfer(tb testing.TB, r *resource.Resource, window int) (data, meta []byte, recv *resource.Receiver) {
	tb.Helper()
	adv := sentAdvertisement(tb, r)
	recv, err := resource.NewReceiver(adv, testKey, 500)
	if err != nil {
		tb.Fatal(err)
	}
	if window > 0 {
		recv.SetWindow(window)
	}
	var req []byte
	for rounds := 0; !recv.Done(); rounds++ {
		if rounds > 10*r.NumParts()+10 {
			tb.Fatal("transfer does not progress")
		}
		req = recv.AppendRequest(req[:0])
		parts, hmu, err := r.HandleRequest(req)
		if err != nil {
			tb.Fatalf("HandleRequest: %v", err)
		}
		// Parts in pairs are hashed together, as a transfer does with
		// parts that arrive together; the last of an odd count alone.
		for k := 0; k < len(parts); k += 2 {
			if k+1 == len(parts) {
				if _, err := recv.AcceptPart(r.Part(parts[k])); err != nil {
					tb.Fatalf("AcceptPart %d: %v", parts[k], err)
				}
				continue
			}
			a, b := r.Part(parts[k]), r.Part(parts[k+1])
			ma, mb := recv.MapHashes(a, b)
			if ma != resource.MapHash(a, r.RandomHash[:]) || mb != resource.MapHash(b, r.RandomHash[:]) {
				tb.Fatalf("MapHashes of parts %d and %d differ from MapHash", parts[k], parts[k+1])
			}
			for j, p := range [][]byte{a, b} {
				m := [2][resource.MapHashLen]byte{ma, mb}[j]
				if _, err := recv.AcceptPartHashed(p, m); err != nil {
					tb.Fatalf("AcceptPartHashed %d: %v", parts[k+j], err)
				}
			}
		}
		if hmu != nil {
			if err := recv.UpdateHashmap(hmu); err != nil {
				tb.Fatalf("UpdateHashmap: %v", err)
			}
		}
	}
	data, meta, err = recv.Assemble()
	if err != nil {
		tb.Fatalf("Assemble: %v", err)
	}
	if err := r.VerifyProof(recv.Proof()); err != nil {
		tb.Fatalf("VerifyProof: %v", err)
	}
	return data, meta, recv
}

func TestRoundTrip(t *testing.T) {
	meta, _ := msgpack.Marshal(msgpack.Map{{Key: "name", Value: "x.bin"}})
	for _, tc := range []struct {
		name     string
		data     []byte
		meta     []byte
		compress bool
		window   int
	}{
		{"small", []byte("hello"), nil, true, 0},
		{"empty", []byte{}, nil, false, 0},
		{"metadata", []byte("payload"), meta, true, 0},
		{"random 100k", randomData(3, 100_000), nil, false, 10}, // seal's follower starts after encryption
		{"random 200k window 10", randomData(1, 200_000), nil, true, 10},
		{"text 300k", bytes.Repeat([]byte("abcdefgh"), 300_000/8), meta, true, 75},
		{"random 1M window 75", randomData(2, resource.MaxEfficientSize), nil, false, 75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams(tc.data, tc.compress)
			p.Metadata = tc.meta
			r, err := resource.Build(p)
			if err != nil {
				t.Fatal(err)
			}
			data, gotMeta, recv := transfer(t, r, tc.window)
			if !bytes.Equal(data, tc.data) || !bytes.Equal(gotMeta, tc.meta) {
				t.Errorf("round trip: %d bytes, metadata %x", len(data), gotMeta)
			}
			if recv.Status() != resource.StatusComplete {
				t.Errorf("status %d", recv.Status())
			}
		})
	}
}

func TestCompressedMismatch(t *testing.T) {
	p := testParams([]byte("some data"), true)
	p.Compressed, _ = resource.Compress([]byte("other data"))
	if _, err := resource.Build(p); !errors.Is(err, resource.ErrCompressed) {
		t.Fatalf("got %v, want ErrCompressed", err)
	}
}

func TestDecompressionBomb(t *testing.T) {
	// A sender that compresses 1 MB of zeroes but advertises 1000 bytes.
	zeros := make([]byte, 1<<20)
	p := testParams(zeros, true)
	r, err := resource.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	adv := r.Advertisement()
	adv.DataSize = 1000
	recv, err := resource.NewReceiver(adv, testKey, 500)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.NumParts() {
		if _, err := recv.AcceptPart(r.Part(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := recv.Assemble(); !errors.Is(err, resource.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if recv.Status() != resource.StatusCorrupt || recv.Proof() != nil {
		t.Errorf("status %d after a bomb", recv.Status())
	}
}

func TestCorruptPart(t *testing.T) {
	r, err := resource.Build(testParams(randomData(3, 2000), false))
	if err != nil {
		t.Fatal(err)
	}
	recv, err := resource.NewReceiver(r.Advertisement(), testKey, 500)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(r.Part(0))
	bad[0] ^= 1
	if _, err := recv.AcceptPart(bad); !errors.Is(err, resource.ErrPart) {
		t.Errorf("flipped part: %v, want ErrPart", err)
	}
	if _, _, err := recv.Assemble(); !errors.Is(err, resource.ErrIncomplete) {
		t.Errorf("early Assemble: %v, want ErrIncomplete", err)
	}
}

func TestMalformed(t *testing.T) {
	r, err := resource.Build(testParams(randomData(4, 2000), false))
	if err != nil {
		t.Fatal(err)
	}
	good := r.Advertisement()
	mut := func(f func(m msgpack.Map) msgpack.Map) []byte {
		b, _ := good.Marshal()
		v, _ := msgpack.Decode(b)
		out, err := msgpack.Marshal(f(v.(msgpack.Map)))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	set := func(key string, val any) []byte {
		return mut(func(m msgpack.Map) msgpack.Map {
			for i := range m {
				if m[i].Key == key {
					m[i].Value = val
				}
			}
			return m
		})
	}
	drop := func(key string) []byte {
		return mut(func(m msgpack.Map) msgpack.Map {
			var out msgpack.Map
			for _, kv := range m {
				if kv.Key != key {
					out = append(out, kv)
				}
			}
			return out
		})
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, resource.ErrAdvertisement},
		{"not a map", []byte{0x91, 0x01}, resource.ErrAdvertisement},
		{"truncated", []byte{0x8b, 0xa1, 0x74}, resource.ErrAdvertisement},
		{"missing t", drop("t"), resource.ErrAdvertisement},
		{"missing q", drop("q"), resource.ErrAdvertisement},
		{"t zero", set("t", 0), resource.ErrAdvertisement},
		{"t too big", set("t", resource.MaxTransferSize+1), resource.ErrAdvertisement},
		{"t string", set("t", "160"), resource.ErrAdvertisement},
		{"d negative", set("d", -1), resource.ErrAdvertisement},
		{"h short", set("h", []byte{1, 2}), resource.ErrAdvertisement},
		{"r str", set("r", "abcd"), resource.ErrAdvertisement},
		{"i zero", set("i", 0), resource.ErrAdvertisement},
		{"i over l", set("i", 2), resource.ErrAdvertisement},
		{"f too big", set("f", 256), resource.ErrAdvertisement},
		{"q int", set("q", 5), resource.ErrAdvertisement},
		{"q long", set("q", make([]byte, 33)), resource.ErrAdvertisement},
		{"m empty", set("m", []byte{}), resource.ErrAdvertisement},
		{"m ragged", set("m", []byte{1, 2, 3}), resource.ErrAdvertisement},
		{"m over n", set("m", make([]byte, 4*good.Parts+4)), resource.ErrAdvertisement},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := resource.DecodeAdvertisement(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The advertised part count is not trusted: the receiver derives it
	// from the transfer size, as the reference does.
	bad := *good
	bad.Parts += 5
	if recv, err := resource.NewReceiver(&bad, testKey, 500); err != nil || recv.TotalParts() != good.Parts {
		t.Errorf("wrong part count: %v", err)
	}
	if _, err := resource.NewReceiver(good, testKey, 30); !errors.Is(err, resource.ErrMTU) {
		t.Errorf("tiny MTU: %v", err)
	}
	for _, req := range [][]byte{nil, {0x01}, {0xff, 1, 2}, make([]byte, 20), append(append([]byte{0}, r.Hash[:]...), 1, 2)} {
		if _, _, err := r.HandleRequest(req); !errors.Is(err, resource.ErrRequest) {
			t.Errorf("request %x: %v, want ErrRequest", req, err)
		}
	}
	if err := r.VerifyProof(make([]byte, 64)); !errors.Is(err, resource.ErrProof) {
		t.Errorf("VerifyProof: %v", err)
	}
	recv, _ := resource.NewReceiver(good, testKey, 500)
	for _, hmu := range [][]byte{nil, r.Hash[:], append(r.Hash[:len(r.Hash):len(r.Hash)], 0x92, 0x05, 0xc4, 0x04, 1, 2, 3, 4)} {
		if err := recv.UpdateHashmap(hmu); !errors.Is(err, resource.ErrHashmapUpdate) {
			t.Errorf("hmu %x: %v, want ErrHashmapUpdate", hmu, err)
		}
	}
}

// TestPartOrder files the parts (all in the advertised hashmap) in
// shuffled and reversed order: the
// receiver decrypts and hashes the in-order prefix as it grows, so gaps
// must hold that work back until they are filled.
func TestPartOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		data     []byte
		compress bool
	}{
		{"random 30k", randomData(4, 30_000), false},
		{"text 200k compressed", bytes.Repeat([]byte("0123456789abcdef-"), 200_000/17), true},
		{"one part", []byte("x"), false},
	} {
		for _, order := range []string{"shuffled", "reversed"} {
			t.Run(tc.name+" "+order, func(t *testing.T) {
				r, err := resource.Build(testParams(tc.data, tc.compress))
				if err != nil {
					t.Fatal(err)
				}
				recv, err := resource.NewReceiver(r.Advertisement(), testKey, 500)
				if err != nil {
					t.Fatal(err)
				}
				// Parts are accepted within the window from the first
				// missing one: open it all the way.
				recv.SetWindow(resource.WindowMax)
				idx := make([]int, r.NumParts())
				for i := range idx {
					idx[i] = len(idx) - 1 - i
				}
				if order == "shuffled" {
					rand.New(rand.NewPCG(5, 5)).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
				}
				for _, i := range idx {
					if ok, err := recv.AcceptPart(r.Part(i)); !ok || err != nil {
						t.Fatalf("part %d: %v %v", i, ok, err)
					}
				}
				data, _, err := recv.Assemble()
				if err != nil || !bytes.Equal(data, tc.data) {
					t.Fatalf("Assemble: %v, %d bytes", err, len(data))
				}
				if err := r.VerifyProof(recv.Proof()); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestWrongKey: the map hashes do not depend on the key, so every part is
// filed, but the stream fails authentication when assembled.
func TestWrongKey(t *testing.T) {
	r, err := resource.Build(testParams(randomData(6, 30_000), false))
	if err != nil {
		t.Fatal(err)
	}
	recv, err := resource.NewReceiver(r.Advertisement(), bytes.Repeat([]byte{0x43}, 64), 500)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.NumParts() {
		if _, err := recv.AcceptPart(r.Part(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := recv.Assemble(); !errors.Is(err, resource.ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
	if recv.Proof() != nil {
		t.Error("proof after a failed assembly")
	}
}

// TestBuffers: Build writes the stream into a large enough StreamBuf and
// NewReceiverBuffer assembles in the buffer it is given, so that
// uncompressed data is decrypted where it lies; the bytes are those of the
// unbuffered calls.
func TestBuffers(t *testing.T) {
	data := randomData(7, 100<<10)
	want, err := resource.Build(testParams(data, false))
	if err != nil {
		t.Fatal(err)
	}
	p := testParams(data, false)
	p.StreamBuf = bytes.Repeat([]byte{0xee}, 200<<10)[:0]
	r, err := resource.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	if &r.Stream[0] != &p.StreamBuf[:1][0] || !bytes.Equal(r.Stream, want.Stream) {
		t.Fatal("stream not built in StreamBuf, or differs")
	}
	p = testParams(data, false)
	p.StreamBuf = make([]byte, 10)
	if r, err := resource.Build(p); err != nil || !bytes.Equal(r.Stream, want.Stream) {
		t.Fatalf("small StreamBuf: %v", err)
	}

	adv := sentAdvertisement(t, r)
	for _, n := range []int{adv.TransferSize, adv.TransferSize - 1, adv.TransferSize + 1} {
		buf := bytes.Repeat([]byte{0x55}, n)
		recv, err := resource.NewReceiverBuffer(adv, testKey, 500, buf)
		if err != nil {
			t.Fatal(err)
		}
		for i := range r.NumParts() {
			if err := recv.PutPart(i, r.Part(i)); err != nil {
				t.Fatal(err)
			}
		}
		got, _, err := recv.Assemble()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("buffer of %d: %v", n, err)
		}
		if inPlace := &got[0] == &buf[resource.PrefixLen+16]; inPlace != (n == adv.TransferSize) {
			t.Fatalf("buffer of %d: data in it %v", n, inPlace)
		}
		if err := r.VerifyProof(recv.Proof()); err != nil {
			t.Fatal(err)
		}
	}
}
