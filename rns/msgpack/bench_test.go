package msgpack_test

import (
	"bytes"
	"testing"

	"github.com/mehr-net/mehr/rns/msgpack"
)

// benchAdvertisement is shaped like a resource advertisement of a
// multi-segment transfer: the reference's eleven keys in its order.
func benchAdvertisement() msgpack.Map {
	h := bytes.Repeat([]byte{0xab}, 32)
	return msgpack.Map{
		{Key: "t", Value: int64(1568)},
		{Key: "d", Value: int64(1500)},
		{Key: "n", Value: int64(4)},
		{Key: "h", Value: h},
		{Key: "r", Value: []byte{1, 2, 3, 4}},
		{Key: "o", Value: h},
		{Key: "i", Value: int64(1)},
		{Key: "l", Value: int64(1)},
		{Key: "q", Value: nil},
		{Key: "f", Value: int64(1)},
		{Key: "m", Value: bytes.Repeat([]byte{0xcd}, 16)},
	}
}

func BenchmarkMarshalAdvertisement(b *testing.B) {
	m := benchAdvertisement()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msgpack.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAdvertisement(b *testing.B) {
	enc, err := msgpack.Marshal(benchAdvertisement())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msgpack.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalAdvertisementStruct(b *testing.B) {
	enc, err := msgpack.Marshal(benchAdvertisement())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		var adv advertisement
		if err := msgpack.Unmarshal(enc, &adv); err != nil {
			b.Fatal(err)
		}
	}
}
