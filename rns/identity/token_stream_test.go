package identity_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/internal/sha256x"
)

// TestStreamDecrypter feeds tokens in uneven steps and checks that the
// result equals Decrypt's, and that a changed byte anywhere fails the HMAC.
func TestStreamDecrypter(t *testing.T) {
	tok, err := identity.NewToken(testKey("stream", 64))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 65536, 100003} {
		pt := make([]byte, n)
		rand.Read(pt)
		token, err := tok.Encrypt(nil, pt)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []int{1, 7, 16, 500, 8111, len(token)} {
			buf := bytes.Clone(token)
			d, err := tok.NewStreamDecrypter(len(buf))
			if err != nil {
				t.Fatal(err)
			}
			// Odd calls hash, alongside, what the call before decrypted.
			last, hashed := 0, 0
			h := sha256x.New()
			for i, avail := 0, 0; avail < len(buf); i, avail = i+1, avail+step {
				var got int
				if i%2 == 1 {
					got = d.AdvanceAlong(buf, avail, h, buf[identity.TokenIVLen+hashed:identity.TokenIVLen+last])
					hashed = last
				} else {
					got = d.Advance(buf, avail)
				}
				if got < last || got > avail {
					t.Fatalf("n=%d step=%d: Advance(%d) = %d after %d", n, step, avail, got, last)
				}
				last = got
			}
			h.Write(buf[identity.TokenIVLen+hashed : identity.TokenIVLen+last])
			out, err := d.Finish(buf)
			if err != nil || !bytes.Equal(out, pt) {
				t.Fatalf("n=%d step=%d: %v, equal=%v", n, step, err, bytes.Equal(out, pt))
			}
			if h.Sum256() != sha256.Sum256(buf[identity.TokenIVLen:identity.TokenIVLen+last]) {
				t.Fatalf("n=%d step=%d: the plaintext hashed alongside differs", n, step)
			}
		}
		for _, at := range []int{0, 16, len(token) / 2, len(token) - 33, len(token) - 1} {
			buf := bytes.Clone(token)
			buf[at] ^= 1
			d, _ := tok.NewStreamDecrypter(len(buf))
			d.Advance(buf, len(buf)/2)
			if _, err := d.Finish(buf); !errors.Is(err, identity.ErrTokenHMAC) {
				t.Fatalf("n=%d flipped byte %d: %v, want ErrTokenHMAC", n, at, err)
			}
		}
	}
	if _, err := tok.NewStreamDecrypter(47); !errors.Is(err, identity.ErrTokenTooShort) {
		t.Errorf("short: %v", err)
	}
	if _, err := tok.NewStreamDecrypter(70); !errors.Is(err, identity.ErrTokenMisaligned) {
		t.Errorf("misaligned: %v", err)
	}
	d, _ := tok.NewStreamDecrypter(64)
	if _, err := d.Finish(make([]byte, 80)); !errors.Is(err, identity.ErrTokenIncomplete) {
		t.Errorf("wrong buffer: %v", err)
	}
}

// TestStreamEncrypter encrypts in uneven steps, laying the plaintext out
// just ahead of each step and authenticating every third, and checks the
// token against AppendEncrypt's.
func TestStreamEncrypter(t *testing.T) {
	tok, err := identity.NewToken(testKey("stream", 64))
	if err != nil {
		t.Fatal(err)
	}
	iv := [identity.TokenIVLen]byte{1, 2, 3}
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 65536, 100003} {
		pt := make([]byte, n)
		rand.Read(pt)
		want := tok.AppendEncrypt(nil, iv, pt)
		for _, step := range []int{1, 7, 16, 500, 8111, len(want)} {
			buf := bytes.Repeat([]byte{0xee}, identity.TokenLen(n))
			e, err := tok.NewStreamEncrypter(buf, iv, n)
			if err != nil {
				t.Fatal(err)
			}
			last, laid := 0, 0            // laid: plaintext bytes in place
			h, hashed := sha256x.New(), 0 // pt hashed alongside the HMAC
			for upto := 0; upto < len(buf); upto += step {
				if to := min(upto-identity.TokenIVLen, n); to > laid {
					copy(buf[identity.TokenIVLen+laid:], pt[laid:to])
					laid = to
				}
				got := e.Encrypt(upto)
				if got < last || got > max(upto, identity.TokenIVLen) {
					t.Fatalf("n=%d step=%d: Encrypt(%d) = %d after %d", n, step, upto, got, last)
				}
				switch upto % (3 * step) {
				case 0:
					e.Authenticate(got)
				case step:
					k := min(hashed+step, n)
					e.AuthenticateAlong(got, h, pt[hashed:k])
					hashed = k
				}
				last = got
			}
			copy(buf[identity.TokenIVLen+laid:], pt[laid:])
			if got := e.Finish(); !bytes.Equal(got, want) {
				t.Fatalf("n=%d step=%d: token differs from AppendEncrypt's", n, step)
			}
			h.Write(pt[hashed:])
			if h.Sum256() != sha256.Sum256(pt) {
				t.Fatalf("n=%d step=%d: the plaintext hashed alongside differs", n, step)
			}
		}
	}
	if _, err := tok.NewStreamEncrypter(make([]byte, 63), iv, 0); !errors.Is(err, identity.ErrTokenMisaligned) {
		t.Errorf("wrong length: %v", err)
	}
}
