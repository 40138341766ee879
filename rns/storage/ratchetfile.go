package storage

import (
	"errors"
	"fmt"
	"os"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
)

// ErrRatchetFile is wrapped by errors about a destination's ratchet file
// that is not a ratchet list signed by the destination's identity.
var ErrRatchetFile = errors.New("storage: invalid ratchet file")

// RatchetFile is a destination's ratchet file, in the reference's format
// (Destination._persist_ratchets): a msgpack map {"signature": sig,
// "ratchets": packed}, where packed is the msgpack list of the ratchet
// private keys, newest first, and sig the identity's signature over
// packed. It implements dest.RatchetStore.
type RatchetFile string

var _ dest.RatchetStore = RatchetFile("")

// LoadRatchets reads and verifies the file.
func (f RatchetFile) LoadRatchets(id *identity.Identity) ([][identity.RatchetSize]byte, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return DecodeRatchetFile(b, id)
}

// SaveRatchets writes the file under a temporary name and renames it over
// the old one.
func (f RatchetFile) SaveRatchets(keys [][identity.RatchetSize]byte, id *identity.Identity) error {
	b, err := EncodeRatchetFile(keys, id)
	if err != nil {
		return err
	}
	tmp := string(f) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := os.Rename(tmp, string(f)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// EncodeRatchetFile returns the ratchet file for a list of ratchet private
// keys, signed by id.
func EncodeRatchetFile(keys [][identity.RatchetSize]byte, id *identity.Identity) ([]byte, error) {
	list := make([]any, len(keys))
	for i := range keys {
		list[i] = keys[i][:]
	}
	packed, err := msgpack.Marshal(list)
	if err != nil {
		return nil, err
	}
	sig, err := id.Sign(packed)
	if err != nil {
		return nil, err
	}
	return msgpack.Marshal(msgpack.Map{
		{Key: "signature", Value: sig[:]},
		{Key: "ratchets", Value: packed},
	})
}

// DecodeRatchetFile checks a ratchet file's signature under id and returns
// its ratchet private keys, newest first. Errors wrap ErrRatchetFile.
func DecodeRatchetFile(b []byte, id *identity.Identity) ([][identity.RatchetSize]byte, error) {
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRatchetFile, err)
	}
	m, ok := v.(msgpack.Map)
	if !ok {
		return nil, fmt.Errorf("%w: not a map", ErrRatchetFile)
	}
	sv, _ := m.Get("signature")
	pv, _ := m.Get("ratchets")
	sig, ok1 := sv.([]byte)
	packed, ok2 := pv.([]byte)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: no signature or ratchets", ErrRatchetFile)
	}
	if !id.Verify(packed, sig) {
		return nil, fmt.Errorf("%w: invalid signature", ErrRatchetFile)
	}
	lv, err := msgpack.Decode(packed)
	if err != nil {
		return nil, fmt.Errorf("%w: ratchets: %v", ErrRatchetFile, err)
	}
	list, ok := lv.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: ratchets are not a list", ErrRatchetFile)
	}
	keys := make([][identity.RatchetSize]byte, 0, len(list))
	for _, e := range list {
		k, ok := e.([]byte)
		if !ok || len(k) != identity.RatchetSize {
			return nil, fmt.Errorf("%w: ratchet is not %d bytes", ErrRatchetFile, identity.RatchetSize)
		}
		keys = append(keys, [identity.RatchetSize]byte(k))
	}
	return keys, nil
}
