package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
)

// ErrTokenIncomplete reports a StreamDecrypter finished before the whole
// token was given to it.
var ErrTokenIncomplete = errors.New("identity: token incomplete")

// A StreamDecrypter verifies and decrypts a token whose bytes become
// available in order, such as a resource stream filling up part by part,
// so that the work is done while the rest is still on its way instead of
// all at once at the end. It decrypts in place, in the token's own buffer.
//
// Bytes decrypted by Advance are not authenticated until Finish succeeds:
// callers may hash them, but must not act on them before that.
type StreamDecrypter struct {
	block cipher.Block
	mac   hash.Hash
	cbc   cipher.BlockMode // nil until the IV is available
	size  int              // token length
	pos   int              // token bytes authenticated and decrypted so far
}

// NewStreamDecrypter starts decrypting a token of size bytes. The errors
// are [ErrTokenTooShort] and [ErrTokenMisaligned], as for AppendDecrypt.
func (t *Token) NewStreamDecrypter(size int) (*StreamDecrypter, error) {
	if size < TokenOverhead+aes.BlockSize {
		return nil, ErrTokenTooShort
	}
	if (size-TokenOverhead)%aes.BlockSize != 0 {
		return nil, ErrTokenMisaligned
	}
	return &StreamDecrypter{block: t.block, mac: hmac.New(sha256.New, t.macKey), size: size}, nil
}

// Advance authenticates and decrypts, in place, the whole AES blocks of
// token[:avail] not processed yet. token is the token's full buffer, the
// same on every call, whose first avail bytes are final. It returns how
// many plaintext bytes (still padded, not yet authenticated) are now at
// token[TokenIVLen:]. A token of the wrong length is left alone.
func (d *StreamDecrypter) Advance(token []byte, avail int) int {
	if len(token) != d.size {
		return 0
	}
	if d.cbc == nil {
		if avail < TokenIVLen {
			return 0
		}
		d.mac.Write(token[:TokenIVLen])
		d.cbc = cipher.NewCBCDecrypter(d.block, token[:TokenIVLen])
		d.pos = TokenIVLen
	}
	end := min(avail, d.size-sha256.Size)
	end = d.pos + (end-d.pos)&^(aes.BlockSize-1)
	if end > d.pos {
		// Authenticate the ciphertext before it is overwritten; the CBC
		// mode keeps the last ciphertext block for the next call.
		d.mac.Write(token[d.pos:end])
		d.cbc.CryptBlocks(token[d.pos:end], token[d.pos:end])
		d.pos = end
	}
	return d.pos - TokenIVLen
}

// Finish processes the rest of token, checks its HMAC and returns the
// unpadded plaintext as a subslice of token. The errors are
// [ErrTokenIncomplete] (wrong buffer), [ErrTokenHMAC] and [ErrPadding].
func (d *StreamDecrypter) Finish(token []byte) ([]byte, error) {
	d.Advance(token, len(token))
	if len(token) != d.size || d.pos != d.size-sha256.Size {
		return nil, ErrTokenIncomplete
	}
	var sum [sha256.Size]byte
	if !hmac.Equal(d.mac.Sum(sum[:0]), token[d.pos:]) {
		return nil, ErrTokenHMAC
	}
	return UnpadPKCS7(token[TokenIVLen:d.pos])
}
