package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"runtime"
	"sync"
)

// concurrentMin is the token size from which DecryptConcurrent splits
// the work; below it the goroutines cost more than they save.
const concurrentMin = 64 << 10

// DecryptConcurrent decrypts a large token, such as a resource stream,
// into a new slice: the HMAC is checked on one goroutine while CBC
// decryption, whose blocks are independent given the ciphertext, is split
// over the others. It accepts and rejects exactly what Decrypt does.
func (t *Token) DecryptConcurrent(token []byte) ([]byte, error) {
	if len(token) < concurrentMin {
		return t.AppendDecrypt(nil, token)
	}
	const macLen = sha256.Size
	if (len(token)-TokenIVLen-macLen)%aes.BlockSize != 0 {
		return nil, ErrTokenMisaligned
	}
	n := len(token) - TokenIVLen - macLen
	signed, mac := token[:TokenIVLen+n], token[TokenIVLen+n:]
	ct := signed[TokenIVLen:]
	out := make([]byte, n)

	var macOK bool
	var wg sync.WaitGroup
	wg.Go(func() {
		m := hmac.New(sha256.New, t.macKey)
		m.Write(signed)
		var sum [macLen]byte
		macOK = subtle.ConstantTimeCompare(m.Sum(sum[:0]), mac) == 1
	})
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (n/aes.BlockSize + workers - 1) / workers * aes.BlockSize
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		// Each chunk's IV is the ciphertext block before it; decryption
		// writes to out, so the ciphertext stays intact.
		iv := signed[lo : lo+aes.BlockSize]
		run := func() { cipher.NewCBCDecrypter(t.block, iv).CryptBlocks(out[lo:hi], ct[lo:hi]) }
		if hi == n {
			run()
		} else {
			wg.Go(run)
		}
	}
	wg.Wait()
	if !macOK {
		return nil, ErrTokenHMAC
	}
	return UnpadPKCS7(out)
}
