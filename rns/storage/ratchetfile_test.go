package storage

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
)

// refRatchetFile is the ratchet file the reference (RNS 1.4.2,
// Destination._persist_ratchets) writes for the identity with private key
// bytes 0..63 and the ratchets 0x11×32 and 0x22×32, newest first.
const refRatchetFile = "82a97369676e6174757265c44061634abc06a403aa0b91981cf7bcd921486256aefc796320906e2f45de1d64b6eaea0f9368448f6b2853471b9ff422d8ef4ef1a7082ab4ad37d1c6ef6fd84e0fa87261746368657473c44592c4201111111111111111111111111111111111111111111111111111111111111111c4202222222222222222222222222222222222222222222222222222222222222222"

// refEmptyRatchetFile is the same for an empty list, as enabling ratchets
// on a new destination writes it.
const refEmptyRatchetFile = "82a97369676e6174757265c440d0011c754e494dc43a44d1ae8764d3cfe68f5ba3af7845e89402050741562e807f9401489216872c6d8e1aa67925cbf75b7bb28706971c4c4ff65cd65e6fbc0ca87261746368657473c40190"

func fixedIdentity(t *testing.T) *identity.Identity {
	t.Helper()
	var k [64]byte
	for i := range k {
		k[i] = byte(i)
	}
	id, err := identity.FromPrivateKey(k[:])
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRatchetFileMatchesReference(t *testing.T) {
	id := fixedIdentity(t)
	var r1, r2 [identity.RatchetSize]byte
	for i := range r1 {
		r1[i], r2[i] = 0x11, 0x22
	}
	for _, tc := range []struct {
		name string
		keys [][identity.RatchetSize]byte
		want string
	}{
		{"two", [][identity.RatchetSize]byte{r1, r2}, refRatchetFile},
		{"empty", nil, refEmptyRatchetFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeRatchetFile(tc.keys, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.want {
				t.Fatalf("file\n got %s\nwant %s", got, tc.want)
			}
			ref, _ := hex.DecodeString(tc.want)
			keys, err := DecodeRatchetFile(ref, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(tc.keys) {
				t.Fatalf("decoded %d keys, want %d", len(keys), len(tc.keys))
			}
			for i := range keys {
				if keys[i] != tc.keys[i] {
					t.Fatalf("key %d differs", i)
				}
			}
		})
	}
}

func TestDecodeRatchetFileMalformed(t *testing.T) {
	id := fixedIdentity(t)
	other, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := hex.DecodeString(refRatchetFile)
	flipped := bytes.Clone(ref)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name string
		b    []byte
		id   *identity.Identity
	}{
		{"empty", nil, id},
		{"not a map", []byte{0x90}, id},
		{"no signature", []byte{0x81, 0xa8, 'r', 'a', 't', 'c', 'h', 'e', 't', 's', 0xc4, 0x01, 0x90}, id},
		{"tampered ratchet", flipped, id},
		{"wrong identity", ref, other},
		{"truncated", ref[:len(ref)/2], id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeRatchetFile(tc.b, tc.id); !errors.Is(err, ErrRatchetFile) {
				t.Fatalf("err = %v, want ErrRatchetFile", err)
			}
		})
	}
}

func TestRatchetFileStore(t *testing.T) {
	id := fixedIdentity(t)
	f := RatchetFile(filepath.Join(t.TempDir(), "ratchets"))
	if _, err := f.LoadRatchets(id); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	k := [][identity.RatchetSize]byte{{1}, {2}}
	if err := f.SaveRatchets(k, id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(string(f) + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	got, err := f.LoadRatchets(id)
	if err != nil || len(got) != 2 || got[0] != k[0] || got[1] != k[1] {
		t.Fatalf("load: %v %v", got, err)
	}
	other, _ := identity.Generate(nil)
	if _, err := f.LoadRatchets(other); !errors.Is(err, ErrRatchetFile) {
		t.Fatalf("other identity: %v", err)
	}
}
