package identity_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
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
			last := 0
			for avail := 0; avail < len(buf); avail += step {
				got := d.Advance(buf, avail)
				if got < last || got > avail {
					t.Fatalf("n=%d step=%d: Advance(%d) = %d after %d", n, step, avail, got, last)
				}
				last = got
			}
			out, err := d.Finish(buf)
			if err != nil || !bytes.Equal(out, pt) {
				t.Fatalf("n=%d step=%d: %v, equal=%v", n, step, err, bytes.Equal(out, pt))
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
