package rpc

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
)

// The handshake of multiprocessing.connection (Lib/multiprocessing/
// connection.py, deliver_challenge and answer_challenge). Each side proves
// it knows the key by returning an HMAC of a random challenge. Python 3.11
// and earlier send a 20-byte challenge and answer with a bare HMAC-MD5;
// Python 3.12 and later prefix the challenge with the digest they want
// ("{sha256}") and their answers with the digest they used, and still
// accept and answer the old form. This side speaks both.
const (
	challengeTag = "#CHALLENGE#"
	welcome      = "#WELCOME#"
	failure      = "#FAILURE#"

	// challengeLen is the number of random bytes in a challenge this side
	// sends, after its "{sha256}" prefix (Python 3.12's MESSAGE_LENGTH).
	challengeLen = 40
	// legacyChallengeLen is the length of an unprefixed Python <= 3.11
	// challenge; legacyResponseLen that of a bare HMAC-MD5 answer.
	legacyChallengeLen = 20
	legacyResponseLen  = md5.Size
	// authMessageMax is the longest handshake message either side reads
	// (Python reads them with recv_bytes(256)).
	authMessageMax = 256
	// maxDigestName is the longest name in digests.
	maxDigestName = 8
)

// ErrAuth reports a failed handshake: the peer's answer did not match the
// key, it rejected ours, or it did not follow the protocol. Python raises
// multiprocessing.AuthenticationError in the same cases.
var ErrAuth = errors.New("rpc: authentication failed")

// digests are the HMAC digests Python 3.12 accepts (_ALLOWED_DIGESTS).
var digests = map[string]func() hash.Hash{
	"md5":      md5.New,
	"sha256":   sha256.New,
	"sha384":   sha512.New384,
	"sha3_256": func() hash.Hash { return sha3.New256() },
	"sha3_384": func() hash.Hash { return sha3.New384() },
}

func mac(digest string, key, msg []byte) []byte {
	h := hmac.New(digests[digest], key)
	h.Write(msg)
	return h.Sum(nil)
}

// splitDigest parses a challenge or an answer: a legacy one (20 or 16
// bytes) has no digest name, which means MD5; any other must start with
// "{name}" naming an allowed digest.
func splitDigest(msg []byte) (digest string, payload []byte, err error) {
	if len(msg) == legacyChallengeLen || len(msg) == legacyResponseLen {
		return "", msg, nil
	}
	if len(msg) > 0 && msg[0] == '{' {
		end := min(len(msg), maxDigestName+2)
		if i := bytes.IndexByte(msg[1:end], '}'); i > 0 {
			name := string(msg[1 : 1+i])
			if _, ok := digests[name]; ok {
				return name, msg[2+i:], nil
			}
		}
	}
	return "", nil, fmt.Errorf("%w: unsupported message length, missing digest prefix or unsupported digest", ErrAuth)
}

// answerFor computes the answer to a challenge message (the part after
// #CHALLENGE#): a bare HMAC-MD5 for a legacy challenge, else "{name}" and
// the HMAC with the named digest. The HMAC covers the whole message,
// prefix included.
func answerFor(key, msg []byte) ([]byte, error) {
	digest, _, err := splitDigest(msg)
	if err != nil {
		return nil, err
	}
	if digest == "" {
		return mac("md5", key, msg), nil
	}
	return append([]byte("{"+digest+"}"), mac(digest, key, msg)...), nil
}

// verifyAnswer checks an answer to the challenge message msg. A bare
// 16-byte answer is HMAC-MD5; a prefixed one may use any allowed digest
// (the prefix of msg is covered by the HMAC, so it cannot be stripped).
func verifyAnswer(key, msg, answer []byte) error {
	digest, got, err := splitDigest(answer)
	if err != nil {
		return err
	}
	if digest == "" {
		digest = "md5"
	}
	if !hmac.Equal(mac(digest, key, msg), got) {
		return fmt.Errorf("%w: digest received was wrong", ErrAuth)
	}
	return nil
}

// deliverChallenge sends a challenge and checks the peer's answer, then
// tells the peer the outcome.
func deliverChallenge(c *Conn, key []byte) error {
	msg := make([]byte, 0, 8+challengeLen)
	msg = append(msg, "{sha256}"...)
	msg = append(msg, make([]byte, challengeLen)...)
	rand.Read(msg[8:])
	if err := c.SendBytes(append([]byte(challengeTag), msg...)); err != nil {
		return err
	}
	answer, err := c.RecvBytes(authMessageMax)
	if err != nil {
		return err
	}
	if err := verifyAnswer(key, msg, answer); err != nil {
		c.SendBytes([]byte(failure))
		return err
	}
	return c.SendBytes([]byte(welcome))
}

// answerChallenge answers the peer's challenge and reads the outcome.
func answerChallenge(c *Conn, key []byte) error {
	msg, err := c.RecvBytes(authMessageMax)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(msg, []byte(challengeTag)) {
		return fmt.Errorf("%w: protocol error, expected a challenge", ErrAuth)
	}
	msg = msg[len(challengeTag):]
	if len(msg) < legacyChallengeLen {
		return fmt.Errorf("%w: challenge too short: %d bytes", ErrAuth, len(msg))
	}
	answer, err := answerFor(key, msg)
	if err != nil {
		return err
	}
	if err := c.SendBytes(answer); err != nil {
		return err
	}
	reply, err := c.RecvBytes(authMessageMax)
	if err != nil {
		return err
	}
	if string(reply) != welcome {
		return fmt.Errorf("%w: digest sent was rejected", ErrAuth)
	}
	return nil
}

// serverHandshake is what Python's Listener.accept does: challenge the
// client, then answer its challenge.
func serverHandshake(c *Conn, key []byte) error {
	if err := deliverChallenge(c, key); err != nil {
		return err
	}
	return answerChallenge(c, key)
}

// clientHandshake is what Python's Client does: answer the server's
// challenge, then challenge it.
func clientHandshake(c *Conn, key []byte) error {
	if err := answerChallenge(c, key); err != nil {
		return err
	}
	return deliverChallenge(c, key)
}
