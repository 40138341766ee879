package prim

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/identity"
)

// The primitives below are the ones rns/identity is built on: X25519 from
// crypto/ecdh, Ed25519 from crypto/ed25519 (the reference's keys are 32-byte
// seeds, as mehr's identity private keys are), SHA-2 and HMAC from the
// standard library. Everything with a Reticulum-specific shape (HKDF,
// PKCS#7, tokens, CBC without padding) goes through rns/identity.

func cryptoCommands(r bridge.Registry) {
	r["x25519_generate"] = x25519Generate
	r["x25519_public_from_private"] = x25519PublicFromPrivate
	r["x25519_exchange"] = x25519Exchange
	r["ed25519_generate"] = ed25519Generate
	r["ed25519_sign"] = ed25519Sign
	r["ed25519_verify"] = ed25519Verify
	r["sha256"] = hashCmd(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] })
	r["sha512"] = hashCmd(func(b []byte) []byte { s := sha512.Sum512(b); return s[:] })
	r["hmac_sha256"] = hmacSHA256
	r["hkdf"] = hkdf
	r["pkcs7_pad"] = pkcs7Pad
	r["pkcs7_unpad"] = pkcs7Unpad
	r["aes_encrypt"] = aesEncrypt
	r["aes_decrypt"] = aesDecrypt
	r["aes_256_cbc_encrypt"] = aesRaw(true)
	r["aes_256_cbc_decrypt"] = aesRaw(false)
	r["token_encrypt"] = tokenEncrypt
	r["token_decrypt"] = tokenDecrypt
	r["token_verify_hmac"] = tokenVerifyHMAC
	r["token_generate_key"] = tokenGenerateKey
	r["crypto_provider_op"] = cryptoProviderOp
}

func x25519Key(b []byte) (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 private key: %v", identity.ErrKeySize, err)
	}
	return k, nil
}

func x25519Generate(p bridge.Params) (bridge.Result, error) {
	seed, err := p.Hex("seed")
	if err != nil {
		return nil, err
	}
	k, err := x25519Key(seed)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"private_key": bridge.Hex(k.Bytes()), "public_key": bridge.Hex(k.PublicKey().Bytes())}, nil
}

func x25519PublicFromPrivate(p bridge.Params) (bridge.Result, error) {
	priv, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	pub, err := identity.RatchetPublic(priv) // a ratchet is a bare X25519 key
	if err != nil {
		return nil, err
	}
	return bridge.Result{"public_key": bridge.Hex(pub[:])}, nil
}

func x25519Exchange(p bridge.Params) (bridge.Result, error) {
	priv, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	peer, err := p.Hex("peer_public_key")
	if err != nil {
		return nil, err
	}
	s, err := exchange(priv, peer)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"shared_secret": bridge.Hex(s)}, nil
}

func exchange(priv, peer []byte) ([]byte, error) {
	k, err := x25519Key(priv)
	if err != nil {
		return nil, err
	}
	pk, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 public key: %v", identity.ErrKeySize, err)
	}
	return k.ECDH(pk)
}

func edKey(seed []byte) (ed25519.PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: Ed25519 seed is %d bytes, want %d", identity.ErrKeySize, len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func ed25519Generate(p bridge.Params) (bridge.Result, error) {
	seed, err := p.Hex("seed")
	if err != nil {
		return nil, err
	}
	k, err := edKey(seed)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"private_key": bridge.Hex(seed), "public_key": bridge.Hex(k.Public().(ed25519.PublicKey))}, nil
}

func edSign(p bridge.Params) ([]byte, error) {
	seed, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	msg, err := p.Hex("message")
	if err != nil {
		return nil, err
	}
	// The reference's signing key is a 32-byte seed or the 64-byte
	// seed || public key form; the seed decides the signature.
	if len(seed) == ed25519.PrivateKeySize {
		seed = seed[:ed25519.SeedSize]
	}
	k, err := edKey(seed)
	if err != nil {
		return nil, err
	}
	return ed25519.Sign(k, msg), nil
}

func ed25519Sign(p bridge.Params) (bridge.Result, error) {
	sig, err := edSign(p)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"signature": bridge.Hex(sig)}, nil
}

func edVerify(p bridge.Params) (bool, error) {
	pub, err := p.Hex("public_key")
	if err != nil {
		return false, err
	}
	msg, err := p.Hex("message")
	if err != nil {
		return false, err
	}
	sig, err := p.Hex("signature")
	if err != nil {
		return false, err
	}
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false, nil
	}
	return ed25519.Verify(pub, msg, sig), nil
}

func ed25519Verify(p bridge.Params) (bridge.Result, error) {
	ok, err := edVerify(p)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"valid": ok}, nil
}

func hashCmd(f func([]byte) []byte) bridge.Handler {
	return func(p bridge.Params) (bridge.Result, error) {
		b, err := p.Hex("data")
		if err != nil {
			return nil, err
		}
		return bridge.Result{"hash": bridge.Hex(f(b))}, nil
	}
}

func hmacSHA256(p bridge.Params) (bridge.Result, error) {
	key, err := p.Hex("key")
	if err != nil {
		return nil, err
	}
	msg, err := p.Hex("message")
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return bridge.Result{"hmac": bridge.Hex(m.Sum(nil))}, nil
}

func hkdf(p bridge.Params) (bridge.Result, error) {
	n, err := p.Int("length")
	if err != nil {
		return nil, err
	}
	ikm, err := p.Hex("ikm")
	if err != nil {
		return nil, err
	}
	salt, err := p.OptHex("salt")
	if err != nil {
		return nil, err
	}
	info, err := p.OptHex("info")
	if err != nil {
		return nil, err
	}
	k, err := identity.HKDF(n, ikm, salt, info)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"derived_key": bridge.Hex(k)}, nil
}

func pkcs7Pad(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"padded": bridge.Hex(identity.PadPKCS7(nil, b))}, nil
}

func pkcs7Unpad(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	u, err := identity.UnpadPKCS7(b)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"unpadded": bridge.Hex(u)}, nil
}

func cbcParams(p bridge.Params, data string) (key, iv, b []byte, err error) {
	if b, err = p.Hex(data); err != nil {
		return
	}
	if key, err = p.Hex("key"); err != nil {
		return
	}
	iv, err = p.Hex("iv")
	return
}

// aesMode checks the key length against the requested mode, as the
// reference's AES_128_CBC and AES_256_CBC classes do.
func aesMode(p bridge.Params, key []byte) error {
	want := 32
	if p.StringOr("mode", "AES_256_CBC") == "AES_128_CBC" {
		want = 16
	}
	if len(key) != want {
		return fmt.Errorf("%w: AES key is %d bytes, want %d", identity.ErrKeySize, len(key), want)
	}
	return nil
}

func aesEncrypt(p bridge.Params) (bridge.Result, error) {
	key, iv, pt, err := cbcParams(p, "plaintext")
	if err != nil {
		return nil, err
	}
	if err := aesMode(p, key); err != nil {
		return nil, err
	}
	ct, err := identity.EncryptCBC(key, iv, identity.PadPKCS7(nil, pt))
	if err != nil {
		return nil, err
	}
	return bridge.Result{"ciphertext": bridge.Hex(ct)}, nil
}

func aesDecrypt(p bridge.Params) (bridge.Result, error) {
	key, iv, ct, err := cbcParams(p, "ciphertext")
	if err != nil {
		return nil, err
	}
	if err := aesMode(p, key); err != nil {
		return nil, err
	}
	pt, err := identity.DecryptCBC(key, iv, ct)
	if err != nil {
		return nil, err
	}
	if pt, err = identity.UnpadPKCS7(pt); err != nil {
		return nil, err
	}
	return bridge.Result{"plaintext": bridge.Hex(pt)}, nil
}

func aesRaw(enc bool) bridge.Handler {
	return func(p bridge.Params) (bridge.Result, error) {
		in, out := "ciphertext", "plaintext"
		f := identity.DecryptCBC
		if enc {
			in, out, f = out, in, identity.EncryptCBC
		}
		key, iv, b, err := cbcParams(p, in)
		if err != nil {
			return nil, err
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("%w: AES-256 key is %d bytes, want 32", identity.ErrKeySize, len(key))
		}
		r, err := f(key, iv, b)
		if err != nil {
			return nil, err
		}
		return bridge.Result{out: bridge.Hex(r)}, nil
	}
}

func token(p bridge.Params) (*identity.Token, error) {
	key, err := p.Hex("key")
	if err != nil {
		return nil, err
	}
	return identity.NewToken(key)
}

func tokenEncrypt(p bridge.Params) (bridge.Result, error) {
	t, err := token(p)
	if err != nil {
		return nil, err
	}
	pt, err := p.Hex("plaintext")
	if err != nil {
		return nil, err
	}
	tok, err := t.Encrypt(nil, pt)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"token": bridge.Hex(tok)}, nil
}

func tokenDecrypt(p bridge.Params) (bridge.Result, error) {
	t, err := token(p)
	if err != nil {
		return nil, err
	}
	tok, err := p.Hex("token")
	if err != nil {
		return nil, err
	}
	pt, err := t.Decrypt(tok)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"plaintext": bridge.Hex(pt)}, nil
}

func tokenVerifyHMAC(p bridge.Params) (bridge.Result, error) {
	t, err := token(p)
	if err != nil {
		return nil, err
	}
	tok, err := p.Hex("token")
	if err != nil {
		return nil, err
	}
	ok, err := t.VerifyHMAC(tok)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"valid": ok}, nil
}

func tokenGenerateKey(p bridge.Params) (bridge.Result, error) {
	var n int
	switch m := p.StringOr("mode", "AES_256_CBC"); m {
	case "AES_256_CBC":
		n = 64
	case "AES_128_CBC":
		n = 32
	default:
		return nil, fmt.Errorf("TypeError: Invalid token mode: %s", m)
	}
	k, err := identity.GenerateTokenKeySize(nil, n)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"key": bridge.Hex(k)}, nil
}

// cryptoProviderOp runs an operation "through a provider". mehr has one
// implementation of each primitive, so both provider names select it; the
// suite then checks the two agree.
func cryptoProviderOp(p bridge.Params) (bridge.Result, error) {
	op, err := p.String("op")
	if err != nil {
		return nil, err
	}
	prov, err := p.String("provider")
	if err != nil {
		return nil, err
	}
	if prov != "internal" && prov != "pyca" {
		return nil, fmt.Errorf("ValueError: Unknown provider: %s", prov)
	}
	switch op {
	case "x25519_exchange":
		r, err := x25519Exchange(p)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"result": r["shared_secret"]}, nil
	case "ed25519_sign":
		sig, err := edSign(p)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"result": bridge.Hex(sig)}, nil
	case "ed25519_verify":
		return ed25519Verify(p)
	case "aes_256_cbc_encrypt":
		r, err := aesRaw(true)(p)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"result": r["ciphertext"]}, nil
	}
	return nil, fmt.Errorf("ValueError: Unknown op: %s", op)
}
