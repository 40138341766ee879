package link

import "errors"

// Sentinel errors. Functions may wrap them; test with errors.Is.
var (
	// ErrMode reports a link mode that is not enabled (only
	// ModeAES256CBC is, as in the reference's ENABLED_MODES).
	ErrMode = errors.New("link: link mode not enabled")
	// ErrRequestLen reports a link request payload that is neither 64
	// nor 67 bytes.
	ErrRequestLen = errors.New("link: link request payload has the wrong length")
	// ErrProofLen reports a link proof payload that is neither 96 nor 99
	// bytes.
	ErrProofLen = errors.New("link: link proof payload has the wrong length")
	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("link: invalid signature")
	// ErrPacketProof reports an explicit packet proof that is malformed
	// or names another packet.
	ErrPacketProof = errors.New("link: packet proof does not match the packet")
	// ErrIdentifyLen reports a LINKIDENTIFY plaintext that is not 128
	// bytes.
	ErrIdentifyLen = errors.New("link: identify payload has the wrong length")
	// ErrRTT reports an RTT payload that is not a msgpack number.
	ErrRTT = errors.New("link: malformed RTT payload")
	// ErrNotLink reports a packet that is not addressed to this link.
	ErrNotLink = errors.New("link: packet is not for this link")
	// ErrClosed reports an operation on a closed link.
	ErrClosed = errors.New("link: link closed")
	// ErrNotActive reports an operation that needs an active link.
	ErrNotActive = errors.New("link: link not active")
	// ErrDestType reports a link to a destination that is not SINGLE.
	ErrDestType = errors.New("link: links can only be established to the single destination type")
	// ErrNotAccepting reports a link request to a listener whose accept
	// gate is off (Listener.SetAccepting).
	ErrNotAccepting = errors.New("link: destination does not accept links")
	// ErrTooLarge reports a payload larger than the link MDU.
	ErrTooLarge = errors.New("link: payload exceeds link MDU")
)
