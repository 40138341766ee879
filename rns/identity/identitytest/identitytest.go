// Package identitytest gives tests the named identities of the reference
// vectors (vectors/reticulum/identity.json). Only _test.go files import it.
package identitytest

import (
	"encoding/json"
	"testing"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

// Known returns the identities of identity.json with their private keys,
// keyed by the vector's name ("alice", "bob", "transport", ...).
func Known(tb testing.TB) map[string]*identity.Identity {
	tb.Helper()
	b, err := vectors.Read("identity.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Identities []struct {
			Name   string `json:"name"`
			Inputs struct {
				PrivateKey vectors.Hex `json:"private_key"`
			} `json:"inputs"`
		} `json:"identities"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatal(err)
	}
	out := make(map[string]*identity.Identity, len(f.Identities))
	for _, v := range f.Identities {
		id, err := identity.FromPrivateKey(v.Inputs.PrivateKey)
		if err != nil {
			tb.Fatalf("identity %s: %v", v.Name, err)
		}
		out[v.Name] = id
	}
	return out
}

// ByPublicKey returns the known identity, with its private key, whose
// public key is pub, or fails the test.
func ByPublicKey(tb testing.TB, pub []byte) *identity.Identity {
	tb.Helper()
	for _, id := range Known(tb) {
		if k := id.PublicKey(); string(k[:]) == string(pub) {
			return id
		}
	}
	tb.Fatalf("no known identity has public key %x", pub)
	return nil
}

// vectorNames are the destination names the vectors address.
var vectorNames = [][]string{
	{"example_utilities", "announcesample", "fruits"},
	{"example_utilities", "linkexample"},
}

// Owner returns the known identity one of whose vector destinations
// (example_utilities.announcesample.fruits, example_utilities.linkexample)
// hashes to h, or fails the test.
func Owner(tb testing.TB, h wire.Hash) *identity.Identity {
	tb.Helper()
	for _, id := range Known(tb) {
		ih := wire.Hash(id.Hash())
		for _, n := range vectorNames {
			if d, _ := dest.Hash(&ih, n[0], n[1:]...); d == h {
				return id
			}
		}
	}
	tb.Fatalf("no known identity owns destination %s", h)
	return nil
}
