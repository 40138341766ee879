package identity_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/vectors"
)

// tokenSeeds returns the token.json sections the fuzz targets seed from,
// opened without consumption accounting (TestTokenVectors owns that).
func tokenSeeds(f *testing.F) tokenVectors {
	f.Helper()
	s := vectors.Open(f, "token.json")
	var v tokenVectors
	s.Section(f, "token", &v.Token)
	s.Section(f, "token_failures", &v.TokenFailures)
	s.Section(f, "identity_encryption", &v.IdentityEncryption)
	s.Section(f, "ratchet_encryption", &v.RatchetEncryption)
	s.Section(f, "group_encryption", &v.GroupEncryption)
	if len(v.Token) == 0 || len(v.IdentityEncryption) == 0 {
		f.Fatal("token.json: no seeds")
	}
	return v
}

// isTokenError reports whether err is one of the errors a token decryption
// may return.
func isTokenError(err error) bool {
	return errors.Is(err, identity.ErrTokenTooShort) || errors.Is(err, identity.ErrTokenMisaligned) ||
		errors.Is(err, identity.ErrTokenHMAC) || errors.Is(err, identity.ErrPadding)
}

func FuzzTokenDecrypt(f *testing.F) {
	v := tokenSeeds(f)
	for _, c := range v.Token {
		f.Add([]byte(c.Inputs.Key), []byte(c.Expected.Token))
	}
	for _, c := range v.TokenFailures {
		f.Add([]byte(c.Inputs.Key), []byte(c.Inputs.Token))
	}
	for _, c := range v.GroupEncryption {
		f.Add([]byte(c.Inputs.GroupKey), []byte(c.Expected.Ciphertext))
	}
	for _, c := range v.IdentityEncryption {
		f.Add([]byte(c.Expected.DerivedKey), []byte(c.Expected.Token))
	}
	fallback, err := identity.NewToken(testKey("fuzz fallback", 64))
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, key, data []byte) {
		tok, err := identity.NewToken(key)
		if err != nil {
			if !errors.Is(err, identity.ErrKeySize) {
				t.Fatalf("NewToken(%d bytes): %v", len(key), err)
			}
			tok = fallback
		}

		// Decrypting arbitrary bytes fails cleanly or yields a plaintext
		// whose canonical encryption is exactly the input.
		pt, err := tok.Decrypt(data)
		if err != nil {
			if !isTokenError(err) || pt != nil {
				t.Fatalf("Decrypt: %x, %v", pt, err)
			}
		} else if again := tok.AppendEncrypt(nil, [16]byte(data[:16]), pt); !bytes.Equal(again, data) {
			t.Fatalf("accepted token %x re-encrypts to %x", data, again)
		}
		inPlace := append([]byte(nil), data...)
		pt2, err2 := tok.AppendDecrypt(inPlace[:0], inPlace)
		if (err == nil) != (err2 == nil) || (err == nil && !bytes.Equal(pt, pt2)) {
			t.Fatalf("in-place decryption differs: %x %v, %x %v", pt, err, pt2, err2)
		}
		// The streaming decrypter, fed in uneven steps, accepts exactly
		// what Decrypt accepts and yields the same plaintext.
		if d, derr := tok.NewStreamDecrypter(len(data)); derr == nil {
			buf := append([]byte(nil), data...)
			step := 1 + len(key)%23
			for avail := 0; avail < len(buf); avail += step {
				d.Advance(buf, avail)
			}
			pt3, err3 := d.Finish(buf)
			if (err == nil) != (err3 == nil) || (err == nil && !bytes.Equal(pt, pt3)) {
				t.Fatalf("streaming decryption differs: %x %v, %x %v", pt, err, pt3, err3)
			}
		} else if err == nil {
			t.Fatalf("Decrypt accepted a token NewStreamDecrypter refuses: %v", derr)
		}

		// Round trip: data as plaintext, IV from the key.
		var iv [16]byte
		copy(iv[:], key)
		token := tok.AppendEncrypt(nil, iv, data)
		if len(token) != identity.TokenLen(len(data)) {
			t.Fatalf("token of %d bytes for %d plaintext bytes", len(token), len(data))
		}
		got, err := tok.Decrypt(token)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %x, %v", got, err)
		}
		// Any single-bit change is caught by the HMAC.
		token[len(data)%len(token)] ^= 0x80
		if got, err := tok.Decrypt(token); !errors.Is(err, identity.ErrTokenHMAC) {
			t.Fatalf("tampered token: %x, %v", got, err)
		}
	})
}

func FuzzIdentityDecrypt(f *testing.F) {
	v := tokenSeeds(f)
	target, err := identity.FromPrivateKey(v.IdentityEncryption[0].Inputs.TargetPrivateKeyForDecryption)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range v.IdentityEncryption {
		if !bytes.Equal(c.Inputs.TargetPrivateKeyForDecryption, v.IdentityEncryption[0].Inputs.TargetPrivateKeyForDecryption) {
			f.Fatal("identity_encryption vectors have different targets")
		}
		f.Add([]byte(c.Expected.Ciphertext), []byte(nil), false)
		f.Add([]byte(c.Expected.Ciphertext), []byte(nil), true)
	}
	for _, c := range v.RatchetEncryption {
		f.Add([]byte(c.Expected.Ciphertext), []byte(c.Inputs.RatchetPrivate), true)
		f.Add([]byte(c.Expected.Ciphertext), []byte(c.Inputs.RatchetPrivate), false)
		f.Add([]byte(c.Expected.Ciphertext), []byte(nil), false)
	}
	pub := publicOnly(f, target)

	f.Fuzz(func(t *testing.T, ciphertext, ratchet []byte, enforce bool) {
		var ratchets [][]byte
		if ratchet != nil {
			ratchets = [][]byte{ratchet}
		}
		pt, rid, err := target.Decrypt(ciphertext, ratchets, enforce)
		switch {
		case err == nil:
			if rid == nil && enforce {
				t.Fatal("enforced decryption succeeded without a ratchet")
			}
		case pt != nil || rid != nil:
			t.Fatalf("Decrypt returned %x, %x with error %v", pt, rid, err)
		case !isTokenError(err) && !errors.Is(err, identity.ErrCiphertextTooShort) &&
			!errors.Is(err, identity.ErrLowOrder) && !errors.Is(err, identity.ErrRatchetRequired):
			t.Fatalf("Decrypt: unexpected error %v", err)
		}

		// Round trip with the long-term key, and with the ratchet if it
		// is a valid ratchet key.
		eph := identity.FullHash(ciphertext)
		iv := identity.TruncatedHash(ratchet)
		ct, err := pub.EncryptWith(eph, iv, ciphertext, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, rid, err := target.Decrypt(ct, ratchets, false)
		if err != nil || !bytes.Equal(got, ciphertext) || rid != nil {
			t.Fatalf("round trip: %x, %x, %v", got, rid, err)
		}
		rpub, err := identity.RatchetPublic(ratchet)
		if err != nil {
			return
		}
		ct, err = pub.EncryptWith(eph, iv, ciphertext, rpub[:])
		if err != nil {
			t.Fatal(err)
		}
		want := identity.RatchetID(rpub[:])
		got, rid, err = target.Decrypt(ct, ratchets, true)
		if err != nil || !bytes.Equal(got, ciphertext) || !bytes.Equal(rid, want[:]) {
			t.Fatalf("ratchet round trip: %x, %x, %v", got, rid, err)
		}
	})
}
