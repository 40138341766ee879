package identity

import (
	"bytes"
	"errors"
	"testing"
)

func TestCBC(t *testing.T) {
	key, iv := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16)
	pt := bytes.Repeat([]byte("0123456789abcdef"), 3)
	ct, err := EncryptCBC(key, iv, pt)
	if err != nil || len(ct) != len(pt) {
		t.Fatalf("EncryptCBC: %d bytes, %v", len(ct), err)
	}
	back, err := DecryptCBC(key, iv, ct)
	if err != nil || !bytes.Equal(back, pt) {
		t.Fatalf("DecryptCBC: %x, %v", back, err)
	}
	// A token's body is the same CBC over the padded plaintext.
	tok, err := NewToken(append(bytes.Repeat([]byte{9}, 32), key...))
	if err != nil {
		t.Fatal(err)
	}
	token := tok.AppendEncrypt(nil, [16]byte(iv), pt)
	want, _ := EncryptCBC(key, iv, PadPKCS7(nil, pt))
	if !bytes.Equal(token[16:len(token)-32], want) {
		t.Fatal("EncryptCBC disagrees with the token cipher")
	}
	if ok, err := tok.VerifyHMAC(token); !ok || err != nil {
		t.Fatalf("VerifyHMAC(valid) = %v, %v", ok, err)
	}
	token[20] ^= 1
	if ok, err := tok.VerifyHMAC(token); ok || err != nil {
		t.Fatalf("VerifyHMAC(tampered) = %v, %v", ok, err)
	}
	if _, err := tok.VerifyHMAC(make([]byte, 32)); !errors.Is(err, ErrTokenTooShort) {
		t.Fatalf("VerifyHMAC(short): %v", err)
	}
	if _, err := EncryptCBC(key, iv, pt[:5]); !errors.Is(err, ErrTokenMisaligned) {
		t.Fatalf("misaligned: %v", err)
	}
	if _, err := EncryptCBC(key[:20], iv, pt); !errors.Is(err, ErrKeySize) {
		t.Fatalf("bad key: %v", err)
	}
	for _, n := range []int{32, 64} {
		if k, err := GenerateTokenKeySize(nil, n); err != nil || len(k) != n {
			t.Fatalf("GenerateTokenKeySize(%d): %d, %v", n, len(k), err)
		}
	}
	if _, err := GenerateTokenKeySize(nil, 48); !errors.Is(err, ErrKeySize) {
		t.Fatalf("GenerateTokenKeySize(48): %v", err)
	}
}
