package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/mehr-net/mehr/rns/identity/internal/aescbc"
)

// A Token encrypts and authenticates messages under one symmetric key, in
// the reference's modified Fernet format (RNS.Cryptography.Token):
//
//	IV (16) || AES-CBC ciphertext of the PKCS#7-padded plaintext || HMAC-SHA256 (32)
//
// The HMAC covers IV and ciphertext. There is no version byte and no
// timestamp. Make Tokens with [NewToken]; the zero Token is not usable. A
// Token is safe for concurrent use.
type Token struct {
	block  cipher.Block      // AES-128 or AES-256, key schedule expanded once
	dec    *aescbc.Decrypter // the same key, decrypting eight blocks at a time
	macKey []byte

	// scratch pools per-operation state so that encrypting and decrypting
	// allocate nothing: hmac.New costs several allocations, and a [32]byte
	// or [16]byte on the stack would escape through the hash.Hash and
	// cipher.Block interface calls.
	scratch sync.Pool // of *tokenScratch
}

// tokenScratch is the mutable state of one token operation.
type tokenScratch struct {
	mac  hash.Hash // HMAC-SHA256 keyed with the token's signing key
	sum  [sha256.Size]byte
	prev [aes.BlockSize]byte
}

// NewToken returns a Token for key. A 64-byte key selects AES-256-CBC, with
// the HMAC key in the first 32 bytes and the AES key in the last 32. A
// 32-byte key selects AES-128-CBC, split 16 and 16. Any other length is
// [ErrKeySize]. NewToken copies what it needs from key.
func NewToken(key []byte) (*Token, error) {
	var macLen int
	switch len(key) {
	case 64:
		macLen = 32
	case 32:
		macLen = 16
	default:
		return nil, fmt.Errorf("%w: token key is %d bytes, want 32 or 64", ErrKeySize, len(key))
	}
	block, err := aes.NewCipher(key[macLen:])
	if err != nil { // unreachable: the AES key is 16 or 32 bytes
		return nil, fmt.Errorf("identity: token cipher: %w", err)
	}
	dec, err := aescbc.NewDecrypter(key[macLen:])
	if err != nil { // unreachable, as above
		return nil, fmt.Errorf("identity: token cipher: %w", err)
	}
	t := &Token{block: block, dec: dec, macKey: append([]byte(nil), key[:macLen]...)}
	t.scratch.New = func() any {
		return &tokenScratch{mac: hmac.New(sha256.New, t.macKey)}
	}
	return t, nil
}

// GenerateTokenKey returns a new random 64-byte (AES-256) token key, the
// kind of key a GROUP destination holds (Token.generate_key). A nil rand
// means crypto/rand.
func GenerateTokenKey(rand io.Reader) ([64]byte, error) {
	var k [64]byte
	if err := readRandom(rand, k[:]); err != nil {
		return [64]byte{}, err
	}
	return k, nil
}

// TokenLen returns the length of the token that encrypts a plaintext of n
// bytes: IV, padded ciphertext and HMAC.
func TokenLen(n int) int {
	return TokenOverhead + n&^(aes.BlockSize-1) + aes.BlockSize
}

// AESKeyLen returns the length of the token's AES key: 32 for AES-256-CBC
// (64-byte token keys) and 16 for AES-128-CBC (32-byte token keys).
func (t *Token) AESKeyLen() int { return len(t.macKey) }

func (t *Token) get() *tokenScratch { return t.scratch.Get().(*tokenScratch) }

func (t *Token) put(s *tokenScratch) { t.scratch.Put(s) }

// AppendEncrypt appends the token that encrypts plaintext with the given IV
// to dst and returns the extended slice. It allocates only when dst lacks
// capacity for the [TokenLen] bytes it appends. plaintext may overlap the
// spare capacity of dst, so a caller can encrypt in place by placing the
// plaintext anywhere in dst's spare capacity.
//
// The IV must be unpredictable for every message; use [Token.Encrypt] unless
// the IV comes from a random source already.
func (t *Token) AppendEncrypt(dst []byte, iv [TokenIVLen]byte, plaintext []byte) []byte {
	padded := len(plaintext)&^(aes.BlockSize-1) + aes.BlockSize
	ret, out := sliceForAppend(dst, TokenOverhead+padded)

	// Move the plaintext first: it may live anywhere in out.
	copy(out[TokenIVLen:], plaintext)
	copy(out, iv[:])
	pad := byte(padded - len(plaintext))
	body := out[TokenIVLen : TokenIVLen+padded]
	for i := len(plaintext); i < padded; i++ {
		body[i] = pad
	}

	// CBC, one block at a time: the standard library's CBC mode would copy
	// the key schedule into a new heap object on every call.
	prev := out[:TokenIVLen]
	for off := 0; off < padded; off += aes.BlockSize {
		b := body[off : off+aes.BlockSize]
		subtle.XORBytes(b, b, prev)
		t.block.Encrypt(b, b)
		prev = b
	}

	s := t.get()
	s.mac.Reset()
	signed := out[:TokenIVLen+padded]
	s.mac.Write(signed)
	s.mac.Sum(signed) // appends in place: out has room for the HMAC
	t.put(s)
	return ret
}

// Encrypt returns a new token that encrypts plaintext under a random IV read
// from rand. A nil rand means crypto/rand.
func (t *Token) Encrypt(rand io.Reader, plaintext []byte) ([]byte, error) {
	var iv [TokenIVLen]byte
	if err := readRandom(rand, iv[:]); err != nil {
		return nil, err
	}
	return t.AppendEncrypt(make([]byte, 0, TokenLen(len(plaintext))), iv, plaintext), nil
}

// AppendDecrypt verifies token, decrypts it, appends the plaintext to dst
// and returns the extended slice. The HMAC is checked, in constant time,
// before anything is decrypted. It allocates only when dst lacks capacity
// for len(token)-TokenOverhead bytes.
//
// To decrypt in place, pass token[:0] as dst; any other overlap between dst's
// spare capacity and token gives a wrong plaintext. On error, dst[:len(dst)]
// is returned and its spare capacity may have been written.
//
// The errors are [ErrTokenTooShort], [ErrTokenMisaligned], [ErrTokenHMAC]
// and [ErrPadding].
func (t *Token) AppendDecrypt(dst, token []byte) ([]byte, error) {
	if len(token) < TokenOverhead+aes.BlockSize {
		return dst, ErrTokenTooShort
	}
	n := len(token) - TokenOverhead
	if n%aes.BlockSize != 0 {
		return dst, ErrTokenMisaligned
	}
	signed, mac := token[:TokenIVLen+n], token[TokenIVLen+n:]
	ciphertext := signed[TokenIVLen:]

	s := t.get()
	defer t.put(s)
	s.mac.Reset()
	s.mac.Write(signed)
	if !hmac.Equal(s.mac.Sum(s.sum[:0]), mac) {
		return dst, ErrTokenHMAC
	}

	ret, out := sliceForAppend(dst, n)
	// aescbc reads each ciphertext block before its plaintext is written,
	// so out may start at or before the ciphertext (in-place decryption).
	s.prev = [aes.BlockSize]byte(token[:TokenIVLen])
	t.dec.CryptBlocks(&s.prev, out[:n], ciphertext)
	m, err := unpaddedLen(out)
	if err != nil {
		return dst, err
	}
	return ret[:len(dst)+m], nil
}

// Decrypt verifies and decrypts token into a new slice. See
// [Token.AppendDecrypt] for the errors.
func (t *Token) Decrypt(token []byte) ([]byte, error) {
	if len(token) < TokenOverhead {
		return nil, ErrTokenTooShort
	}
	pt, err := t.AppendDecrypt(make([]byte, 0, len(token)-TokenOverhead), token)
	if err != nil {
		return nil, err
	}
	return pt, nil
}

// sliceForAppend extends in by n bytes, reallocating if needed, and returns
// the whole slice and the n-byte tail (as in crypto/cipher's GCM).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return head, tail
}

// readRandom fills b from r, or from crypto/rand if r is nil.
func readRandom(r io.Reader, b []byte) error {
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("identity: read random bytes: %w", err)
	}
	return nil
}
