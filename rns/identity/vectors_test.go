package identity_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/identity/identitytest"
	"github.com/mehr-net/mehr/vectors"
)

// checkBytes fails t unless got equals want.
func checkBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}

type identityVector struct {
	Description string `json:"description"`
	Name        string `json:"name"`
	Inputs      struct {
		PrivateKey     vectors.Hex `json:"private_key"`
		X25519Private  vectors.Hex `json:"x25519_private"`
		Ed25519Private vectors.Hex `json:"ed25519_private"`
	} `json:"inputs"`
	Expected struct {
		X25519Public        vectors.Hex `json:"x25519_public"`
		Ed25519Public       vectors.Hex `json:"ed25519_public"`
		PublicKey           vectors.Hex `json:"public_key"`
		IdentityHash        vectors.Hex `json:"identity_hash"`
		IdentityHexhash     string      `json:"identity_hexhash"`
		PrivateKeyRoundtrip vectors.Hex `json:"private_key_roundtrip"`
	} `json:"expected"`
}

type signatureVector struct {
	Description string `json:"description"`
	Inputs      struct {
		Signer            string      `json:"signer"`
		Ed25519Private    vectors.Hex `json:"ed25519_private"`
		PublicKey         vectors.Hex `json:"public_key"`
		Message           vectors.Hex `json:"message"`
		VerifierPublicKey vectors.Hex `json:"verifier_public_key"`
	} `json:"inputs"`
	Expected struct {
		Signature                     vectors.Hex `json:"signature"`
		Validates                     bool        `json:"validates"`
		TamperedSignature             vectors.Hex `json:"tampered_signature"`
		TamperedSignatureValidates    *bool       `json:"tampered_signature_validates"`
		MessageWithExtraByteValidates *bool       `json:"message_with_extra_byte_validates"`
	} `json:"expected"`
}

type ecdhVector struct {
	Description string `json:"description"`
	Inputs      struct {
		X25519Private     vectors.Hex `json:"x25519_private"`
		PeerX25519Public  vectors.Hex `json:"peer_x25519_public"`
		PeerX25519Private vectors.Hex `json:"peer_x25519_private"`
		X25519Public      vectors.Hex `json:"x25519_public"`
	} `json:"inputs"`
	Expected struct {
		SharedSecret vectors.Hex `json:"shared_secret"`
		Symmetric    *bool       `json:"symmetric"`
		Result       string      `json:"result"`
	} `json:"expected"`
}

// x25519Identity returns an identity whose X25519 private key is x (the
// Ed25519 seed is irrelevant to key agreement and left zero).
func x25519Identity(t *testing.T, x []byte) *identity.Identity {
	t.Helper()
	id, err := identity.FromPrivateKey(append(append([]byte(nil), x...), make([]byte, 32)...))
	if err != nil {
		t.Fatalf("FromPrivateKey: %v", err)
	}
	return id
}

func TestIdentityVectors(t *testing.T) {
	s := vectors.Load(t, "identity.json")

	var ids []identityVector
	s.Section(t, "identities", &ids)
	byName := map[string]*identity.Identity{}
	for _, v := range ids {
		t.Run("identities/"+v.Name, func(t *testing.T) {
			in, exp := v.Inputs, v.Expected
			checkBytes(t, "private_key split", in.PrivateKey, append(append([]byte(nil), in.X25519Private...), in.Ed25519Private...))

			id, err := identity.FromPrivateKey(in.PrivateKey)
			if err != nil {
				t.Fatalf("FromPrivateKey: %v", err)
			}
			byName[v.Name] = id
			x, ed, pub, h := id.X25519Public(), id.Ed25519Public(), id.PublicKey(), id.Hash()
			checkBytes(t, "x25519_public", x[:], exp.X25519Public)
			checkBytes(t, "ed25519_public", ed[:], exp.Ed25519Public)
			checkBytes(t, "public_key", pub[:], exp.PublicKey)
			checkBytes(t, "identity_hash", h[:], exp.IdentityHash)
			if got := id.HexHash(); got != exp.IdentityHexhash {
				t.Errorf("identity_hexhash = %s, want %s", got, exp.IdentityHexhash)
			}
			prv, ok := id.PrivateKey()
			if !ok {
				t.Fatal("PrivateKey: no private key")
			}
			checkBytes(t, "private_key_roundtrip", prv[:], exp.PrivateKeyRoundtrip)

			// The public key alone gives the same identity hash.
			pubID, err := identity.FromPublicKey(exp.PublicKey)
			if err != nil {
				t.Fatalf("FromPublicKey: %v", err)
			}
			if pubID.Hash() != h || pubID.HasPrivateKey() {
				t.Errorf("FromPublicKey: hash %x private %v", pubID.Hash(), pubID.HasPrivateKey())
			}

			// The private key is the rnid identity file format: a file
			// holding it loads unchanged, and Save writes it back.
			dir := t.TempDir()
			file := filepath.Join(dir, "identity")
			if err := os.WriteFile(file, in.PrivateKey, 0o600); err != nil {
				t.Fatal(err)
			}
			loaded, err := identity.Load(file)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if loaded.PublicKey() != pub {
				t.Errorf("Load: public key %x", loaded.PublicKey())
			}
			saved := filepath.Join(dir, "saved")
			if err := loaded.Save(saved); err != nil {
				t.Fatalf("Save: %v", err)
			}
			b, err := os.ReadFile(saved)
			if err != nil {
				t.Fatal(err)
			}
			checkBytes(t, "saved file", b, exp.PrivateKeyRoundtrip)
			s.Use("identities")
		})
	}

	var sigs []signatureVector
	s.Section(t, "signatures", &sigs)
	for _, v := range sigs {
		t.Run("signatures/"+v.Description, func(t *testing.T) {
			in, exp := v.Inputs, v.Expected
			signer := byName[in.Signer]
			if signer == nil {
				t.Fatalf("signer %q not among the identities", in.Signer)
			}
			prv, _ := signer.PrivateKey()
			checkBytes(t, "signer ed25519_private", prv[32:], in.Ed25519Private)
			sig, err := signer.Sign(in.Message)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			checkBytes(t, "signature", sig[:], exp.Signature)

			verifierKey := in.PublicKey
			if in.VerifierPublicKey != nil {
				verifierKey = in.VerifierPublicKey
			}
			verifier, err := identity.FromPublicKey(verifierKey)
			if err != nil {
				t.Fatalf("FromPublicKey: %v", err)
			}
			if got := verifier.Verify(in.Message, exp.Signature); got != exp.Validates {
				t.Errorf("validates = %v, want %v", got, exp.Validates)
			}
			if exp.TamperedSignatureValidates != nil {
				if len(exp.TamperedSignature) != identity.SigLen || bytes.Equal(exp.TamperedSignature, exp.Signature) {
					t.Fatalf("tampered_signature %x is not a tampered signature", exp.TamperedSignature)
				}
				if got := verifier.Verify(in.Message, exp.TamperedSignature); got != *exp.TamperedSignatureValidates {
					t.Errorf("tampered_signature_validates = %v, want %v", got, *exp.TamperedSignatureValidates)
				}
			}
			if exp.MessageWithExtraByteValidates != nil {
				for _, extra := range []byte{0x00, 0x01, 0xff} {
					longer := append(append([]byte(nil), in.Message...), extra)
					if got := verifier.Verify(longer, exp.Signature); got != *exp.MessageWithExtraByteValidates {
						t.Errorf("message_with_extra_byte %#x validates = %v, want %v", extra, got, *exp.MessageWithExtraByteValidates)
					}
				}
			}
			// The signer's public-only identity must never sign.
			if _, err := verifier.Sign(in.Message); !errors.Is(err, identity.ErrNoPrivateKey) {
				t.Errorf("public-only Sign: err = %v, want ErrNoPrivateKey", err)
			}
			s.Use("signatures")
		})
	}

	var ecdh []ecdhVector
	s.Section(t, "ecdh", &ecdh)
	for _, v := range ecdh {
		t.Run("ecdh/"+v.Description, func(t *testing.T) {
			in, exp := v.Inputs, v.Expected
			id := x25519Identity(t, in.X25519Private)
			shared, err := id.ECDH(in.PeerX25519Public)
			if exp.Result == "rejected" {
				if !errors.Is(err, identity.ErrLowOrder) {
					t.Fatalf("ECDH: err = %v, want ErrLowOrder", err)
				}
				s.Use("ecdh")
				return
			}
			if exp.Result != "" {
				t.Fatalf("unknown result %q", exp.Result)
			}
			if err != nil {
				t.Fatalf("ECDH: %v", err)
			}
			checkBytes(t, "shared_secret", shared[:], exp.SharedSecret)
			if exp.Symmetric == nil {
				t.Fatal("missing expected.symmetric")
			}
			x := id.X25519Public()
			checkBytes(t, "x25519_public", x[:], in.X25519Public)
			peer := x25519Identity(t, in.PeerX25519Private)
			px := peer.X25519Public()
			checkBytes(t, "peer_x25519_public", px[:], in.PeerX25519Public)
			back, err := peer.ECDH(in.X25519Public)
			if err != nil {
				t.Fatalf("reverse ECDH: %v", err)
			}
			if got := back == shared; got != *exp.Symmetric {
				t.Errorf("symmetric = %v, want %v", got, *exp.Symmetric)
			}
			s.Use("ecdh")
		})
	}
}

// tokenBreakdown is the decomposition of a token that token.json lists
// next to every token.
type tokenBreakdown struct {
	SigningKey       vectors.Hex `json:"signing_key"`
	EncryptionKey    vectors.Hex `json:"encryption_key"`
	IV               vectors.Hex `json:"iv"`
	AESCBCCiphertext vectors.Hex `json:"aes_cbc_ciphertext"`
	HMAC             vectors.Hex `json:"hmac"`
	HMACInput        vectors.Hex `json:"hmac_input"`
}

// check verifies the breakdown of token, made with key from plaintext,
// against the standard library's primitives directly, so that the key split
// and the layout are confirmed independently of the package under test.
func (b tokenBreakdown) check(t *testing.T, key, plaintext, token []byte) {
	t.Helper()
	half := len(key) / 2
	checkBytes(t, "signing_key", key[:half], b.SigningKey)
	checkBytes(t, "encryption_key", key[half:], b.EncryptionKey)
	if len(token) < identity.TokenOverhead {
		t.Fatalf("token of %d bytes", len(token))
	}
	checkBytes(t, "iv", token[:16], b.IV)
	checkBytes(t, "aes_cbc_ciphertext", token[16:len(token)-32], b.AESCBCCiphertext)
	checkBytes(t, "hmac", token[len(token)-32:], b.HMAC)
	checkBytes(t, "hmac_input", token[:len(token)-32], b.HMACInput)

	mac := hmac.New(sha256.New, b.SigningKey)
	mac.Write(b.HMACInput)
	checkBytes(t, "stdlib HMAC(signing_key, hmac_input)", mac.Sum(nil), b.HMAC)
	block, err := aes.NewCipher(b.EncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	padded := identity.PadPKCS7(nil, plaintext)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, b.IV).CryptBlocks(ct, padded)
	checkBytes(t, "stdlib AES-CBC(encryption_key, iv, padded plaintext)", ct, b.AESCBCCiphertext)
}

type tokenVectors struct {
	HKDF []struct {
		Description string `json:"description"`
		Inputs      struct {
			Length     int         `json:"length"`
			DeriveFrom vectors.Hex `json:"derive_from"`
			Salt       vectors.Hex `json:"salt"`
			Context    vectors.Hex `json:"context"`
		} `json:"inputs"`
		Expected struct {
			Derived vectors.Hex `json:"derived"`
		} `json:"expected"`
	}
	PKCS7 []struct {
		Description string `json:"description"`
		Inputs      struct {
			Data vectors.Hex `json:"data"`
		} `json:"inputs"`
		Expected struct {
			Padded vectors.Hex `json:"padded"`
		} `json:"expected"`
	}
	Token []struct {
		Description string `json:"description"`
		Inputs      struct {
			Key       vectors.Hex `json:"key"`
			IV        vectors.Hex `json:"iv"`
			Plaintext vectors.Hex `json:"plaintext"`
		} `json:"inputs"`
		Expected struct {
			tokenBreakdown
			Mode            string      `json:"mode"`
			PaddedPlaintext vectors.Hex `json:"padded_plaintext"`
			Token           vectors.Hex `json:"token"`
			TokenLength     int         `json:"token_length"`
			Decrypted       vectors.Hex `json:"decrypted"`
		} `json:"expected"`
	}
	TokenFailures []struct {
		Description string `json:"description"`
		Inputs      struct {
			Key   vectors.Hex `json:"key"`
			Token vectors.Hex `json:"token"`
		} `json:"inputs"`
		Expected struct {
			Result string `json:"result"`
		} `json:"expected"`
	}
	IdentityEncryption []identityEncryptionVector
	RatchetEncryption  []identityEncryptionVector
	GroupEncryption    []struct {
		Description string `json:"description"`
		Inputs      struct {
			GroupKey        vectors.Hex `json:"group_key"`
			IV              vectors.Hex `json:"iv"`
			Plaintext       vectors.Hex `json:"plaintext"`
			DestinationHash vectors.Hex `json:"destination_hash"`
		} `json:"inputs"`
		Expected struct {
			tokenBreakdown
			Ciphertext vectors.Hex `json:"ciphertext"`
			Decrypted  vectors.Hex `json:"decrypted"`
		} `json:"expected"`
	}
}

// identityEncryptionVector covers both identity_encryption and
// ratchet_encryption; the ratchet fields are nil in the former.
type identityEncryptionVector struct {
	Description string `json:"description"`
	Inputs      struct {
		TargetPublicKey               vectors.Hex `json:"target_public_key"`
		EphemeralX25519Private        vectors.Hex `json:"ephemeral_x25519_private"`
		IV                            vectors.Hex `json:"iv"`
		Plaintext                     vectors.Hex `json:"plaintext"`
		TargetPrivateKeyForDecryption vectors.Hex `json:"target_private_key_for_decryption"`
		RatchetPrivate                vectors.Hex `json:"ratchet_private"`
		RatchetPublic                 vectors.Hex `json:"ratchet_public"`
	} `json:"inputs"`
	Expected struct {
		tokenBreakdown
		EphemeralX25519Public      vectors.Hex `json:"ephemeral_x25519_public"`
		SharedSecret               vectors.Hex `json:"shared_secret"`
		HKDFSalt                   vectors.Hex `json:"hkdf_salt"`
		HKDFContext                *string     `json:"hkdf_context"`
		DerivedKey                 vectors.Hex `json:"derived_key"`
		Token                      vectors.Hex `json:"token"`
		Ciphertext                 vectors.Hex `json:"ciphertext"`
		CiphertextLength           *int        `json:"ciphertext_length"`
		Decrypted                  vectors.Hex `json:"decrypted"`
		RatchetID                  vectors.Hex `json:"ratchet_id"`
		DecryptedWithRatchetList   vectors.Hex `json:"decrypted_with_ratchet_list"`
		RatchetIDReportedByDecrypt vectors.Hex `json:"ratchet_id_reported_by_decrypt"`
		// These two are null in the file: the reference failed to decrypt.
		DecryptedWithLongTermKeyOnly       *string `json:"decrypted_with_long_term_key_only"`
		DecryptedWithEnforcedWrongRatchets *string `json:"decrypted_with_enforced_wrong_ratchets"`
	} `json:"expected"`
}

func TestTokenVectors(t *testing.T) {
	s := vectors.Load(t, "token.json")
	var v tokenVectors
	s.Section(t, "hkdf", &v.HKDF)
	s.Section(t, "pkcs7", &v.PKCS7)
	s.Section(t, "token", &v.Token)
	s.Section(t, "token_failures", &v.TokenFailures)
	s.Section(t, "identity_encryption", &v.IdentityEncryption)
	s.Section(t, "ratchet_encryption", &v.RatchetEncryption)
	s.Section(t, "group_encryption", &v.GroupEncryption)

	for _, c := range v.HKDF {
		t.Run("hkdf/"+c.Description, func(t *testing.T) {
			in := c.Inputs
			got, err := identity.HKDF(in.Length, in.DeriveFrom, in.Salt, in.Context)
			if err != nil {
				t.Fatalf("HKDF: %v", err)
			}
			checkBytes(t, "derived", got, c.Expected.Derived)
			s.Use("hkdf")
		})
	}

	for _, c := range v.PKCS7 {
		t.Run("pkcs7/"+c.Description, func(t *testing.T) {
			padded := identity.PadPKCS7(nil, c.Inputs.Data)
			checkBytes(t, "padded", padded, c.Expected.Padded)
			// Appending keeps the prefix.
			withPrefix := identity.PadPKCS7([]byte{0xaa}, c.Inputs.Data)
			checkBytes(t, "padded after prefix", withPrefix[1:], c.Expected.Padded)
			unpadded, err := identity.UnpadPKCS7(c.Expected.Padded)
			if err != nil {
				t.Fatalf("UnpadPKCS7: %v", err)
			}
			checkBytes(t, "unpadded", unpadded, c.Inputs.Data)
			s.Use("pkcs7")
		})
	}

	modes := map[string]int{"AES_256_CBC": 32, "AES_128_CBC": 16}
	for _, c := range v.Token {
		t.Run("token/"+c.Description, func(t *testing.T) {
			in, exp := c.Inputs, c.Expected
			tok, err := identity.NewToken(in.Key)
			if err != nil {
				t.Fatalf("NewToken: %v", err)
			}
			if want, ok := modes[exp.Mode]; !ok || tok.AESKeyLen() != want {
				t.Errorf("mode %s: AES key is %d bytes", exp.Mode, tok.AESKeyLen())
			}
			checkBytes(t, "padded_plaintext", identity.PadPKCS7(nil, in.Plaintext), exp.PaddedPlaintext)
			got := tok.AppendEncrypt(nil, [16]byte(in.IV), in.Plaintext)
			checkBytes(t, "token", got, exp.Token)
			if len(got) != exp.TokenLength || identity.TokenLen(len(in.Plaintext)) != exp.TokenLength {
				t.Errorf("token_length: got %d, TokenLen %d, want %d", len(got), identity.TokenLen(len(in.Plaintext)), exp.TokenLength)
			}
			pt, err := tok.Decrypt(exp.Token)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			checkBytes(t, "decrypted", pt, exp.Decrypted)
			checkBytes(t, "iv input", in.IV, exp.IV)
			exp.tokenBreakdown.check(t, in.Key, in.Plaintext, exp.Token)
			s.Use("token")
		})
	}

	for _, c := range v.TokenFailures {
		t.Run("token_failures/"+c.Description, func(t *testing.T) {
			if c.Expected.Result != "rejected" {
				t.Fatalf("unknown result %q", c.Expected.Result)
			}
			tok, err := identity.NewToken(c.Inputs.Key)
			if err != nil {
				t.Fatalf("NewToken: %v", err)
			}
			pt, err := tok.Decrypt(c.Inputs.Token)
			if err == nil {
				t.Fatalf("Decrypt accepted the token: %x", pt)
			}
			if !errors.Is(err, identity.ErrTokenHMAC) && !errors.Is(err, identity.ErrTokenTooShort) && !errors.Is(err, identity.ErrTokenMisaligned) {
				t.Errorf("Decrypt: err = %v, want a token format or HMAC error", err)
			}
			s.Use("token_failures")
		})
	}

	for _, c := range v.IdentityEncryption {
		t.Run("identity_encryption/"+c.Description, func(t *testing.T) {
			target := checkIdentityEncryption(t, c, c.Inputs.TargetPrivateKeyForDecryption, nil)
			exp := c.Expected
			if exp.HKDFContext == nil || *exp.HKDFContext != "" {
				t.Errorf("hkdf_context = %v, want empty", exp.HKDFContext)
			}
			checkBytes(t, "token", exp.Ciphertext[32:], exp.Token)
			if exp.CiphertextLength == nil || *exp.CiphertextLength != len(exp.Ciphertext) {
				t.Errorf("ciphertext_length = %v, want %d", exp.CiphertextLength, len(exp.Ciphertext))
			}
			pt, rid, err := target.Decrypt(exp.Ciphertext, nil, false)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			checkBytes(t, "decrypted", pt, exp.Decrypted)
			if rid != nil {
				t.Errorf("ratchet ID %x reported for a long-term key decryption", rid)
			}
			s.Use("identity_encryption")
		})
	}

	for _, c := range v.RatchetEncryption {
		t.Run("ratchet_encryption/"+c.Description, func(t *testing.T) {
			in, exp := c.Inputs, c.Expected
			// The vector names only the target's public key; its private
			// key is among the identities of identity.json.
			priv, _ := identitytest.ByPublicKey(t, in.TargetPublicKey).PrivateKey()
			rpub, err := identity.RatchetPublic(in.RatchetPrivate)
			if err != nil {
				t.Fatalf("RatchetPublic: %v", err)
			}
			checkBytes(t, "ratchet_public", rpub[:], in.RatchetPublic)
			rid := identity.RatchetID(in.RatchetPublic)
			checkBytes(t, "ratchet_id", rid[:], exp.RatchetID)

			target := checkIdentityEncryption(t, c, priv[:], in.RatchetPublic)
			// The ratchet's side of the exchange yields the same secret.
			back, err := x25519Identity(t, in.RatchetPrivate).ECDH(exp.EphemeralX25519Public)
			if err != nil {
				t.Fatalf("ratchet ECDH: %v", err)
			}
			checkBytes(t, "shared_secret from the ratchet's side", back[:], exp.SharedSecret)

			wrong1 := identity.FullHash([]byte("wrong ratchet 1"))
			wrong2 := identity.FullHash([]byte("wrong ratchet 2"))
			malformed := []byte{1, 2, 3}
			list := [][]byte{wrong1[:], malformed, in.RatchetPrivate, wrong2[:]}
			pt, gotID, err := target.Decrypt(exp.Ciphertext, list, false)
			if err != nil {
				t.Fatalf("Decrypt with ratchet list: %v", err)
			}
			checkBytes(t, "decrypted_with_ratchet_list", pt, exp.DecryptedWithRatchetList)
			checkBytes(t, "ratchet_id_reported_by_decrypt", gotID, exp.RatchetIDReportedByDecrypt)
			// Enforcing does not change a successful ratchet decryption.
			if pt, _, err := target.Decrypt(exp.Ciphertext, list, true); err != nil || !bytes.Equal(pt, exp.DecryptedWithRatchetList) {
				t.Errorf("enforced Decrypt with the right ratchet: %x, %v", pt, err)
			}

			if exp.DecryptedWithLongTermKeyOnly != nil {
				t.Fatalf("decrypted_with_long_term_key_only = %q, this test expects null", *exp.DecryptedWithLongTermKeyOnly)
			}
			if pt, _, err := target.Decrypt(exp.Ciphertext, nil, false); !errors.Is(err, identity.ErrTokenHMAC) {
				t.Errorf("long-term key only: got %x, err %v; want ErrTokenHMAC", pt, err)
			}
			if exp.DecryptedWithEnforcedWrongRatchets != nil {
				t.Fatalf("decrypted_with_enforced_wrong_ratchets = %q, this test expects null", *exp.DecryptedWithEnforcedWrongRatchets)
			}
			wrong := [][]byte{wrong1[:], malformed, wrong2[:]}
			if pt, _, err := target.Decrypt(exp.Ciphertext, wrong, true); !errors.Is(err, identity.ErrRatchetRequired) {
				t.Errorf("enforced wrong ratchets: got %x, err %v; want ErrRatchetRequired", pt, err)
			}
			// Without enforcement the wrong ratchets fall back to the
			// long-term key, which fails here too.
			if pt, _, err := target.Decrypt(exp.Ciphertext, wrong, false); err == nil {
				t.Errorf("wrong ratchets, not enforced: decrypted %x", pt)
			}
			s.Use("ratchet_encryption")
		})
	}

	for _, c := range v.GroupEncryption {
		t.Run("group_encryption/"+c.Description, func(t *testing.T) {
			in, exp := c.Inputs, c.Expected
			if len(in.DestinationHash) != identity.HashLen {
				t.Errorf("destination_hash is %d bytes", len(in.DestinationHash))
			}
			// The destination hash plays no part in GROUP encryption: the
			// ciphertext is a bare token under the group key.
			tok, err := identity.NewToken(in.GroupKey)
			if err != nil {
				t.Fatalf("NewToken: %v", err)
			}
			got := tok.AppendEncrypt(nil, [16]byte(in.IV), in.Plaintext)
			checkBytes(t, "ciphertext", got, exp.Ciphertext)
			pt, err := tok.Decrypt(exp.Ciphertext)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			checkBytes(t, "decrypted", pt, exp.Decrypted)
			checkBytes(t, "iv input", in.IV, exp.IV)
			exp.tokenBreakdown.check(t, in.GroupKey, in.Plaintext, exp.Ciphertext)
			s.Use("group_encryption")
		})
	}
}

// checkIdentityEncryption checks the fields that identity_encryption and
// ratchet_encryption share, and returns the target identity loaded from
// targetPrivate.
func checkIdentityEncryption(t *testing.T, c identityEncryptionVector, targetPrivate, ratchetPublic []byte) *identity.Identity {
	t.Helper()
	in, exp := c.Inputs, c.Expected
	target, err := identity.FromPrivateKey(targetPrivate)
	if err != nil {
		t.Fatalf("FromPrivateKey: %v", err)
	}
	pub := target.PublicKey()
	checkBytes(t, "target private key matches target_public_key", pub[:], in.TargetPublicKey)
	sender, err := identity.FromPublicKey(in.TargetPublicKey)
	if err != nil {
		t.Fatalf("FromPublicKey: %v", err)
	}

	eph := x25519Identity(t, in.EphemeralX25519Private)
	ephPub := eph.X25519Public()
	checkBytes(t, "ephemeral_x25519_public", ephPub[:], exp.EphemeralX25519Public)
	peerKey := in.TargetPublicKey[:32]
	if ratchetPublic != nil {
		peerKey = ratchetPublic
	}
	shared, err := eph.ECDH(peerKey)
	if err != nil {
		t.Fatalf("ECDH: %v", err)
	}
	checkBytes(t, "shared_secret", shared[:], exp.SharedSecret)
	h := sender.Hash()
	checkBytes(t, "hkdf_salt", h[:], exp.HKDFSalt)
	derived, err := identity.HKDF(identity.DerivedKeyLen, shared[:], exp.HKDFSalt, nil)
	if err != nil {
		t.Fatalf("HKDF: %v", err)
	}
	checkBytes(t, "derived_key", derived, exp.DerivedKey)

	got, err := sender.EncryptWith([32]byte(in.EphemeralX25519Private), [16]byte(in.IV), in.Plaintext, ratchetPublic)
	if err != nil {
		t.Fatalf("EncryptWith: %v", err)
	}
	checkBytes(t, "ciphertext", got, exp.Ciphertext)
	checkBytes(t, "ciphertext starts with ephemeral public key", got[:32], exp.EphemeralX25519Public)
	checkBytes(t, "iv input", in.IV, exp.IV)
	exp.tokenBreakdown.check(t, exp.DerivedKey, in.Plaintext, exp.Ciphertext[32:])
	return target
}

// TestHashVectors checks the hash_functions and ratchet_ids sections of
// hashes.json. That file belongs to another package's vector test, so it
// is read here without consumption accounting.
func TestHashVectors(t *testing.T) {
	raw, err := vectors.Read("hashes.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		HashFunctions []struct {
			Description string `json:"description"`
			Inputs      struct {
				Data          vectors.Hex `json:"data"`
				DataGenerator *string     `json:"data_generator"`
			} `json:"inputs"`
			Expected struct {
				FullHash      vectors.Hex `json:"full_hash"`
				TruncatedHash vectors.Hex `json:"truncated_hash"`
			} `json:"expected"`
		} `json:"hash_functions"`
		RatchetIDs []struct {
			Description string `json:"description"`
			Inputs      struct {
				RatchetPrivate vectors.Hex `json:"ratchet_private"`
			} `json:"inputs"`
			Expected struct {
				RatchetPublic vectors.Hex `json:"ratchet_public"`
				RatchetID     vectors.Hex `json:"ratchet_id"`
			} `json:"expected"`
		} `json:"ratchet_ids"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.HashFunctions) == 0 || len(f.RatchetIDs) == 0 {
		t.Fatal("hashes.json: missing sections")
	}
	for _, c := range f.HashFunctions {
		data := []byte(c.Inputs.Data)
		if c.Inputs.DataGenerator != nil {
			// "byte i = i mod 251 for i in 0..1048575"
			data = make([]byte, 1<<20)
			for i := range data {
				data[i] = byte(i % 251)
			}
		}
		full, trunc := identity.FullHash(data), identity.TruncatedHash(data)
		checkBytes(t, c.Description+": full_hash", full[:], c.Expected.FullHash)
		checkBytes(t, c.Description+": truncated_hash", trunc[:], c.Expected.TruncatedHash)
	}
	for _, c := range f.RatchetIDs {
		pub, err := identity.RatchetPublic(c.Inputs.RatchetPrivate)
		if err != nil {
			t.Fatalf("%s: RatchetPublic: %v", c.Description, err)
		}
		checkBytes(t, c.Description+": ratchet_public", pub[:], c.Expected.RatchetPublic)
		id := identity.RatchetID(pub[:])
		checkBytes(t, c.Description+": ratchet_id", id[:], c.Expected.RatchetID)
	}
}
