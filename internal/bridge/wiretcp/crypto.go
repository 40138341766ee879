package wiretcp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// cmdGroupCreate makes a GROUP destination with a new or given key.
func cmdGroupCreate(in *instance, p bridge.Params) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	key, err := p.OptHex("key")
	if err != nil {
		return nil, err
	}
	d, err := dest.New(nil, dest.In, wire.Group, rand.Reader, app, aspects...)
	if err != nil {
		return nil, err
	}
	if len(key) > 0 {
		err = d.SetGroupKey(key)
	} else {
		err = d.CreateGroupKey(rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	if in.groups == nil {
		in.groups = map[wire.Hash]*dest.Destination{}
	}
	in.groups[d.Hash] = d
	in.mu.Unlock()
	return bridge.Result{"destination_hash": hexHash(d.Hash), "key": hex.EncodeToString(d.GroupKey())}, nil
}

func (in *instance) group(p bridge.Params) (*dest.Destination, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	d := in.groups[h]
	in.mu.Unlock()
	if d == nil {
		return nil, fmt.Errorf("No GROUP destination %s", hexHash(h))
	}
	return d, nil
}

func cmdGroupEncrypt(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.group(p)
	if err != nil {
		return nil, err
	}
	pt, err := p.OptHex("plaintext")
	if err != nil {
		return nil, err
	}
	ct, err := d.Encrypt(rand.Reader, pt, nil)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"ciphertext": hex.EncodeToString(ct)}, nil
}

func cmdGroupDecrypt(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.group(p)
	if err != nil {
		return nil, err
	}
	ct, err := p.OptHex("ciphertext")
	if err != nil {
		return nil, err
	}
	pt, err := d.Decrypt(ct, nil, false)
	if err != nil {
		return bridge.Result{"plaintext": nil, "decrypted": false}, nil
	}
	return bridge.Result{"plaintext": hex.EncodeToString(pt), "decrypted": true}, nil
}

func cmdIdentityKeypair(_ *instance, _ bridge.Params) (bridge.Result, error) {
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	priv, _ := id.PrivateKey()
	pub, h := id.PublicKey(), id.Hash()
	return bridge.Result{
		"private_key": hex.EncodeToString(priv[:]),
		"public_key":  hex.EncodeToString(pub[:]),
		"hash":        hex.EncodeToString(h[:]),
	}, nil
}

func cmdRatchetKeypair(_ *instance, _ bridge.Params) (bridge.Result, error) {
	priv, err := identity.GenerateRatchet(rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := identity.RatchetPublic(priv[:])
	if err != nil {
		return nil, err
	}
	return bridge.Result{"private_key": hex.EncodeToString(priv[:]), "public_key": hex.EncodeToString(pub[:])}, nil
}

func cmdIdentityEncrypt(_ *instance, p bridge.Params) (bridge.Result, error) {
	pub, err := p.Hex("public_key")
	if err != nil {
		return nil, err
	}
	pt, err := p.OptHex("plaintext")
	if err != nil {
		return nil, err
	}
	ratchet, err := p.OptHex("ratchet_pub")
	if err != nil {
		return nil, err
	}
	if len(ratchet) == 0 {
		ratchet = nil
	}
	id, err := identity.FromPublicKey(pub)
	if err != nil {
		return nil, err
	}
	ct, err := id.Encrypt(rand.Reader, pt, ratchet)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"ciphertext": hex.EncodeToString(ct)}, nil
}

func cmdIdentityDecrypt(_ *instance, p bridge.Params) (bridge.Result, error) {
	priv, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	ct, err := p.Hex("ciphertext")
	if err != nil {
		return nil, err
	}
	var ratchets [][]byte
	if p.Has("ratchets") {
		l, err := p.List("ratchets")
		if err != nil {
			return nil, err
		}
		for _, v := range l {
			s, _ := v.(string)
			b, err := hex.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("%w: ratchet %v", bridge.ErrParam, v)
			}
			ratchets = append(ratchets, b)
		}
	}
	enforce, _ := p.Bool("enforce_ratchets", false)
	id, err := identity.FromPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pt, _, err := id.Decrypt(ct, ratchets, enforce)
	if err != nil {
		return bridge.Result{"plaintext": nil, "decrypted": false}, nil
	}
	return bridge.Result{"plaintext": hex.EncodeToString(pt), "decrypted": true}, nil
}

// plainCrypt runs a PLAIN destination's encrypt or decrypt, which pass the
// bytes through.
func plainCrypt(p bridge.Params, encrypt bool) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	d, err := dest.New(nil, dest.In, wire.Plain, rand.Reader, app, aspects...)
	if err != nil {
		return nil, err
	}
	if encrypt {
		pt, err := p.OptHex("plaintext")
		if err != nil {
			return nil, err
		}
		ct, err := d.Encrypt(rand.Reader, pt, nil)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"ciphertext": hex.EncodeToString(ct), "passthrough": string(ct) == string(pt)}, nil
	}
	ct, err := p.OptHex("ciphertext")
	if err != nil {
		return nil, err
	}
	pt, err := d.Decrypt(ct, nil, false)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"plaintext": hex.EncodeToString(pt), "passthrough": string(ct) == string(pt)}, nil
}

func cmdPlainEncrypt(_ *instance, p bridge.Params) (bridge.Result, error) { return plainCrypt(p, true) }
func cmdPlainDecrypt(_ *instance, p bridge.Params) (bridge.Result, error) {
	return plainCrypt(p, false)
}
