package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/mehr-net/mehr/rns/identity/internal/aescbc"
	"github.com/mehr-net/mehr/rns/internal/sha256x"
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
	dec  *aescbc.Decrypter
	mac  *sha256x.HMAC
	prev [aes.BlockSize]byte // the ciphertext block before token[pos:]
	size int                 // token length
	pos  int                 // token bytes authenticated and decrypted so far; 0 until the IV is read
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
	return &StreamDecrypter{dec: t.dec, mac: sha256x.NewHMAC(t.macKey), size: size}, nil
}

// Advance authenticates and decrypts, in place, the whole AES blocks of
// token[:avail] not processed yet. token is the token's full buffer, the
// same on every call, whose first avail bytes are final. It returns how
// many plaintext bytes (still padded, not yet authenticated) are now at
// token[TokenIVLen:]. A token of the wrong length is left alone.
func (d *StreamDecrypter) Advance(token []byte, avail int) int {
	return d.AdvanceAlong(token, avail, nil, nil)
}

// AdvanceAlong is Advance that also writes p into h (unless h is nil),
// hashing it side by side with the ciphertext it authenticates: the two
// hashes cost about as much as one (see sha256x). p may be the plaintext
// an earlier call decrypted. It is written whatever Advance does.
func (d *StreamDecrypter) AdvanceAlong(token []byte, avail int, h *sha256x.Digest, p []byte) int {
	if len(token) != d.size {
		if h != nil {
			h.Write(p)
		}
		return 0
	}
	if d.pos == 0 && avail >= TokenIVLen {
		d.mac.Write(token[:TokenIVLen])
		d.prev = [aes.BlockSize]byte(token[:TokenIVLen])
		d.pos = TokenIVLen
	}
	end := d.pos
	if d.pos > 0 {
		end = min(avail, d.size-sha256.Size)
		end = d.pos + max(end-d.pos, 0)&^(aes.BlockSize-1)
	}
	// Authenticate the ciphertext before it is overwritten; prev keeps
	// the last ciphertext block for the next call.
	switch {
	case h != nil:
		sha256x.Write2(d.mac.Inner(), token[d.pos:end], h, p)
	case end > d.pos:
		d.mac.Write(token[d.pos:end])
	}
	if end > d.pos {
		d.dec.CryptBlocks(&d.prev, token[d.pos:end], token[d.pos:end])
		d.pos = end
	}
	return max(d.pos-TokenIVLen, 0)
}

// Finish processes the rest of token, checks its HMAC and returns the
// unpadded plaintext as a subslice of token. The errors are
// [ErrTokenIncomplete] (wrong buffer), [ErrTokenHMAC] and [ErrPadding].
func (d *StreamDecrypter) Finish(token []byte) ([]byte, error) {
	d.Advance(token, len(token))
	if len(token) != d.size || d.pos != d.size-sha256.Size {
		return nil, ErrTokenIncomplete
	}
	if d.mac.Verify(token[d.pos:]) != nil {
		return nil, ErrTokenHMAC
	}
	return UnpadPKCS7(token[TokenIVLen:d.pos])
}

// A StreamEncrypter encrypts a token in place a piece at a time, so that
// a large message (a resource stream) can be laid out, encrypted and
// authenticated in steps that stay in cache, and its HMAC computed on
// another routine while the encryption goes on. The token is the one
// AppendEncrypt makes, byte for byte.
type StreamEncrypter struct {
	token []byte // IV, plaintext and padding, then room for the HMAC

	cbc cipher.BlockMode
	pos int // token bytes final (IV and ciphertext)

	mac    *sha256x.HMAC
	macPos int // token bytes authenticated
}

// NewStreamEncrypter starts encrypting the n-byte plaintext at
// token[TokenIVLen:TokenIVLen+n] under iv, in place. token must be
// TokenLen(n) bytes long, or the error is [ErrTokenMisaligned];
// NewStreamEncrypter writes the IV and the padding, and the plaintext may
// be laid out later, as long as each byte is there before Encrypt reaches
// it. The IV must be unpredictable, as for AppendEncrypt.
func (t *Token) NewStreamEncrypter(token []byte, iv [TokenIVLen]byte, n int) (*StreamEncrypter, error) {
	if n < 0 || len(token) != TokenLen(n) {
		return nil, fmt.Errorf("%w: %d-byte token for %d bytes", ErrTokenMisaligned, len(token), n)
	}
	copy(token, iv[:])
	padded := n&^(aes.BlockSize-1) + aes.BlockSize
	body := token[TokenIVLen : TokenIVLen+padded]
	for i := n; i < padded; i++ {
		body[i] = byte(padded - n)
	}
	return &StreamEncrypter{
		token: token,
		cbc:   cipher.NewCBCEncrypter(t.block, iv[:]),
		pos:   TokenIVLen,
		mac:   sha256x.NewHMAC(t.macKey),
	}, nil
}

// Encrypt encrypts the whole blocks of token[:upto] not encrypted yet and
// returns how many bytes of the token are final: IV and ciphertext, never
// the HMAC, which Finish adds.
func (e *StreamEncrypter) Encrypt(upto int) int {
	end := min(upto, len(e.token)-sha256.Size)
	if end > e.pos {
		end = e.pos + (end-e.pos)&^(aes.BlockSize-1)
		e.cbc.CryptBlocks(e.token[e.pos:end], e.token[e.pos:end])
		e.pos = end
	}
	return e.pos
}

// Authenticate feeds token[:final] into the HMAC, where final is a value
// Encrypt returned. It may run on another routine than Encrypt, at the
// same time, if the caller passes final from one to the other through a
// synchronizing operation (a channel, say).
func (e *StreamEncrypter) Authenticate(final int) {
	e.AuthenticateAlong(final, nil, nil)
}

// AuthenticateAlong is Authenticate that also writes p into h (unless h
// is nil), hashing it side by side with the token bytes it authenticates:
// the two hashes cost about as much as one (see sha256x). p is written
// whatever Authenticate does.
func (e *StreamEncrypter) AuthenticateAlong(final int, h *sha256x.Digest, p []byte) {
	end := max(final, e.macPos)
	if h != nil {
		sha256x.Write2(e.mac.Inner(), e.token[e.macPos:end], h, p)
	} else {
		e.mac.Write(e.token[e.macPos:end])
	}
	e.macPos = end
}

// Finish encrypts and authenticates what is left, writes the HMAC and
// returns the token. Encrypt and Authenticate must have returned.
func (e *StreamEncrypter) Finish() []byte {
	e.Authenticate(e.Encrypt(len(e.token)))
	e.mac.Sum(e.token[:e.pos])
	return e.token
}
