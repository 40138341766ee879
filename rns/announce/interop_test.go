package announce_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestInteropPython runs only under scripts/interop/identity.sh, which sets
// MEHR_INTEROP_DIR to a directory holding an identity file written by the
// Python reference's rnid and the values Python computed from it. It leaves
// an identity file and an announce of ours there for Python to check.
func TestInteropPython(t *testing.T) {
	dir := os.Getenv("MEHR_INTEROP_DIR")
	if dir == "" {
		t.Skip("set by scripts/interop/identity.sh")
	}
	b, err := os.ReadFile(filepath.Join(dir, "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		IdentityHash    string `json:"identity_hash"`
		PublicKey       string `json:"public_key"`
		DestinationHash string `json:"destination_hash"`
		Message         string `json:"message"`
		Signature       string `json:"signature"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	id, err := identity.Load(filepath.Join(dir, "id"))
	if err != nil {
		t.Fatalf("load rnid file: %v", err)
	}
	pub := id.PublicKey()
	if id.HexHash() != want.IdentityHash || hex.EncodeToString(pub[:]) != want.PublicKey {
		t.Fatalf("identity %s, Python says %s", id.HexHash(), want.IdentityHash)
	}
	ih := wire.Hash(id.Hash())
	dh, err := dest.Hash(&ih, "mehr", "interop")
	if err != nil || dh.String() != want.DestinationHash {
		t.Fatalf("destination hash %s, Python says %s", dh, want.DestinationHash)
	}
	msg, _ := hex.DecodeString(want.Message)
	sig, err := id.Sign(msg)
	if err != nil || hex.EncodeToString(sig[:]) != want.Signature {
		t.Fatalf("signature differs from Python's")
	}
	t.Logf("loaded rnid identity %s; hash, destination hash and signature match Python", id.HexHash())

	mine, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := mine.Save(filepath.Join(dir, "go_id")); err != nil {
		t.Fatal(err)
	}
	d, err := dest.New(mine, dest.In, wire.Single, nil, "mehr", "interop")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := announce.Append(nil, &announce.Params{
		Destination: d,
		AppData:     []byte("from go"),
		RandomHash:  announce.RandomHash(bytes.Repeat([]byte{1}, 16), time.Now()),
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"go_id.hash": mine.HexHash(), "go_announce.hex": hex.EncodeToString(raw)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
