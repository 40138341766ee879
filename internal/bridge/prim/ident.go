package prim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

func identityCommands(r bridge.Registry) {
	r["identity_from_private_key"] = identityFromPrivateKey
	r["identity_encrypt"] = identityEncrypt
	r["identity_decrypt"] = identityDecrypt
	r["identity_sign"] = identitySign
	r["identity_keyless_op"] = identityKeylessOp
	r["identity_verify"] = identityVerify
	r["identity_hash"] = identityHash
	r["identity_to_file"] = identityToFile
	r["identity_from_file"] = identityFromFile
	r["identity_random_hash"] = identityRandomHash
	r["identity_remember"] = identityRemember
	r["destination_hash"] = destinationHash
	r["truncated_hash"] = truncatedHash
	r["name_hash"] = nameHash
	r["ratchet_id"] = ratchetID
	r["ratchet_public_from_private"] = ratchetPublicFromPrivate
	r["ratchet_encrypt"] = ratchetEncrypt
	r["ratchet_decrypt"] = ratchetDecrypt
}

func privateIdentity(p bridge.Params) (*identity.Identity, error) {
	k, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	return identity.FromPrivateKey(k)
}

func publicIdentity(p bridge.Params) (*identity.Identity, error) {
	k, err := p.Hex("public_key")
	if err != nil {
		return nil, err
	}
	return identity.FromPublicKey(k)
}

func describe(id *identity.Identity) bridge.Result {
	pub, h := id.PublicKey(), id.Hash()
	return bridge.Result{"public_key": bridge.Hex(pub[:]), "hash": bridge.Hex(h[:]), "hexhash": id.HexHash()}
}

func identityFromPrivateKey(p bridge.Params) (bridge.Result, error) {
	id, err := privateIdentity(p)
	if err != nil {
		return nil, err
	}
	return describe(id), nil
}

func encryptTo(p bridge.Params, ratchet []byte) (bridge.Result, error) {
	id, err := publicIdentity(p)
	if err != nil {
		return nil, err
	}
	pt, err := p.Hex("plaintext")
	if err != nil {
		return nil, err
	}
	ct, err := id.Encrypt(nil, pt, ratchet)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"ciphertext": bridge.Hex(ct)}, nil
}

func identityEncrypt(p bridge.Params) (bridge.Result, error) { return encryptTo(p, nil) }

func identityDecrypt(p bridge.Params) (bridge.Result, error) {
	id, err := privateIdentity(p)
	if err != nil {
		return nil, err
	}
	ct, err := p.Hex("ciphertext")
	if err != nil {
		return nil, err
	}
	pt, _, err := id.Decrypt(ct, nil, false)
	if err != nil {
		// The reference returns None for anything that does not decrypt.
		return bridge.Result{"plaintext": nil}, nil
	}
	return bridge.Result{"plaintext": bridge.Hex(pt)}, nil
}

func identitySign(p bridge.Params) (bridge.Result, error) {
	id, err := privateIdentity(p)
	if err != nil {
		return nil, err
	}
	msg, err := p.Hex("message")
	if err != nil {
		return nil, err
	}
	sig, err := id.Sign(msg)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"signature": bridge.Hex(sig[:])}, nil
}

func identityVerify(p bridge.Params) (bridge.Result, error) {
	id, err := publicIdentity(p)
	if err != nil {
		return nil, err
	}
	msg, err := p.Hex("message")
	if err != nil {
		return nil, err
	}
	sig, err := p.Hex("signature")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"valid": id.Verify(msg, sig)}, nil
}

func identityHash(p bridge.Params) (bridge.Result, error) {
	id, err := publicIdentity(p)
	if err != nil {
		return nil, err
	}
	h := id.Hash()
	return bridge.Result{"hash": bridge.Hex(h[:])}, nil
}

func identityToFile(p bridge.Params) (bridge.Result, error) {
	id, err := privateIdentity(p)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "conformance_identity_*.bin")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	f.Close()
	if err := id.Save(path); err != nil {
		return nil, err
	}
	return bridge.Result{"path": path}, nil
}

func identityFromFile(p bridge.Params) (bridge.Result, error) {
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	id, err := identity.Load(path)
	if err != nil {
		return bridge.Result{"found": false}, nil
	}
	r := describe(id)
	r["found"] = true
	return r, nil
}

func identityRandomHash(bridge.Params) (bridge.Result, error) {
	// The reference's get_random_hash: the truncated hash of fresh random
	// bytes.
	var b [wire.HashLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	h := identity.TruncatedHash(b[:])
	return bridge.Result{"random_hash": bridge.Hex(h[:])}, nil
}

// known is the transport whose known-destination table identity_remember
// plants into; it runs no jobs and has no interfaces.
var known struct {
	once sync.Once
	t    *transport.Transport
	err  error
}

func knownTable() (*transport.Transport, error) {
	known.once.Do(func() {
		var id *identity.Identity
		if id, known.err = identity.Generate(nil); known.err == nil {
			known.t, known.err = transport.New(transport.Config{Identity: id, NoJobs: true})
		}
	})
	return known.t, known.err
}

func identityRemember(p bridge.Params) (bridge.Result, error) {
	ph, err := p.Hex("packet_hash")
	if err != nil {
		return nil, err
	}
	dh, err := p.Hex("destination_hash")
	if err != nil {
		return nil, err
	}
	pub, err := p.Hex("public_key")
	if err != nil {
		return nil, err
	}
	app, err := p.OptHex("app_data")
	if err != nil {
		return nil, err
	}
	if len(dh) != wire.HashLen {
		return nil, fmt.Errorf("%w: destination hash is %d bytes", bridge.ErrParam, len(dh))
	}
	if _, err := identity.FromPublicKey(pub); err != nil {
		if errors.Is(err, identity.ErrKeySize) {
			// The reference raises TypeError for a key of the wrong size.
			return bridge.Result{"ok": false, "error": "TypeError", "public_key_len": len(pub)}, nil
		}
		return nil, err
	}
	t, err := knownTable()
	if err != nil {
		return nil, err
	}
	k := transport.Known{AppData: app}
	copy(k.PacketHash[:], ph)
	copy(k.PublicKey[:], pub)
	t.Remember(wire.Hash(dh), k)
	_, _, ok := t.Recall(wire.Hash(dh))
	return bridge.Result{"ok": true, "public_key_len": len(pub), "recalled": ok}, nil
}

// aspects reads the aspects parameter: a list, or a comma-separated string.
func aspects(p bridge.Params) ([]string, error) {
	v, ok := p["aspects"]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil, nil
		}
		return strings.Split(x, ","), nil
	case []any:
		out := make([]string, len(x))
		for i, a := range x {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("%w: aspect %d is %T", bridge.ErrParam, i, a)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: aspects is %T", bridge.ErrParam, v)
}

func destinationHash(p bridge.Params) (bridge.Result, error) {
	ih, err := p.Hex("identity_hash")
	if err != nil {
		return nil, err
	}
	if len(ih) != wire.HashLen {
		return nil, fmt.Errorf("%w: identity hash is %d bytes, want %d", bridge.ErrParam, len(ih), wire.HashLen)
	}
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	as, err := aspects(p)
	if err != nil {
		return nil, err
	}
	h := wire.Hash(ih)
	d, err := dest.Hash(&h, app, as...)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"destination_hash": bridge.Hex(d[:])}, nil
}

func truncatedHash(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	t, f := identity.TruncatedHash(b), identity.FullHash(b)
	return bridge.Result{"hash": bridge.Hex(t[:]), "full_hash": bridge.Hex(f[:])}, nil
}

func nameHash(p bridge.Params) (bridge.Result, error) {
	name, err := p.String("name")
	if err != nil {
		return nil, err
	}
	h := dest.HashName(name)
	return bridge.Result{"hash": bridge.Hex(h[:])}, nil
}

func ratchetID(p bridge.Params) (bridge.Result, error) {
	pub, err := p.Hex("ratchet_public")
	if err != nil {
		return nil, err
	}
	id := identity.RatchetID(pub)
	return bridge.Result{"ratchet_id": bridge.Hex(id[:])}, nil
}

func ratchetPublicFromPrivate(p bridge.Params) (bridge.Result, error) {
	priv, err := p.Hex("ratchet_private")
	if err != nil {
		return nil, err
	}
	pub, err := identity.RatchetPublic(priv)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"ratchet_public": bridge.Hex(pub[:])}, nil
}

func ratchetEncrypt(p bridge.Params) (bridge.Result, error) {
	r, err := p.Hex("ratchet_public")
	if err != nil {
		return nil, err
	}
	if len(r) == 0 {
		return nil, fmt.Errorf("%w: empty ratchet_public", bridge.ErrParam)
	}
	return encryptTo(p, r)
}

func ratchetDecrypt(p bridge.Params) (bridge.Result, error) {
	id, err := privateIdentity(p)
	if err != nil {
		return nil, err
	}
	ct, err := p.Hex("ciphertext")
	if err != nil {
		return nil, err
	}
	enforce, err := p.Bool("enforce_ratchets", false)
	if err != nil {
		return nil, err
	}
	var ratchets [][]byte
	switch {
	case p.Has("ratchet_privates"):
		l, err := p.List("ratchet_privates")
		if err != nil {
			return nil, err
		}
		for i := range l {
			b, err := bridge.Params{"r": l[i]}.Hex("r")
			if err != nil {
				return nil, err
			}
			ratchets = append(ratchets, b)
		}
	case p.Has("ratchet_private"):
		b, err := p.Hex("ratchet_private")
		if err != nil {
			return nil, err
		}
		ratchets = [][]byte{b}
	}
	pt, rid, err := id.Decrypt(ct, ratchets, enforce)
	if err != nil {
		return bridge.Result{"plaintext": nil, "latest_ratchet_id": nil}, nil
	}
	res := bridge.Result{"plaintext": bridge.Hex(pt), "latest_ratchet_id": nil}
	if rid != nil {
		res["latest_ratchet_id"] = bridge.Hex(rid)
	}
	return res, nil
}

// identityKeylessOp runs an operation on the zero Identity, which holds
// no key; the library's ErrNoKeys is the reference's KeyError.
func identityKeylessOp(p bridge.Params) (bridge.Result, error) {
	op, err := p.String("op")
	if err != nil {
		return nil, err
	}
	data, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	var id identity.Identity
	var out []byte
	switch op {
	case "decrypt":
		out, _, err = id.Decrypt(data, nil, false)
	case "sign":
		var sig [identity.SigLen]byte
		sig, err = id.Sign(data)
		out = sig[:]
	case "encrypt":
		out, err = id.Encrypt(nil, data, nil)
	default:
		return nil, fmt.Errorf("%w: unknown op %q", bridge.ErrParam, op)
	}
	switch {
	case errors.Is(err, identity.ErrNoKeys):
		return bridge.Result{"raised": "KeyError", "message": err.Error()}, nil
	case err != nil:
		return nil, err
	}
	return bridge.Result{"raised": nil, "result": bridge.Hex(out)}, nil
}
