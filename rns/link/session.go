package link

import (
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Session is the packet layer of an established link: its ID and the Token
// made from the session key. It builds and opens link packets and is safe
// for concurrent use.
type Session struct {
	id    wire.Hash
	token *identity.Token
}

// NewSession returns the session of link id with the given derived key
// (DeriveKey).
func NewSession(id wire.Hash, derivedKey []byte) (*Session, error) {
	t, err := identity.NewToken(derivedKey)
	if err != nil {
		return nil, err
	}
	return &Session{id: id, token: t}, nil
}

// ID returns the link ID.
func (s *Session) ID() wire.Hash { return s.id }

// Encrypted reports whether a packet of type typ with context ctx carries a
// Token-encrypted payload on a link: every DATA packet except KEEPALIVE,
// RESOURCE (parts are encrypted by the resource) and CACHE_REQUEST; no
// PROOF packet.
func Encrypted(typ wire.PacketType, ctx wire.Context) bool {
	if typ != wire.Data {
		return false
	}
	switch ctx {
	case wire.ContextKeepalive, wire.ContextResource, wire.ContextCacheRequest:
		return false
	}
	return true
}

// Header returns the HEADER_1 header of a link packet of type typ with
// context ctx.
func (s *Session) Header(typ wire.PacketType, ctx wire.Context) wire.Header {
	return wire.Header{DestType: wire.Link, PacketType: typ, Destination: s.id, Context: ctx}
}

// AppendPacket appends a complete link packet of type typ with context ctx
// to dst. The payload is encrypted with the given IV when Encrypted(typ,
// ctx), and carried as is otherwise.
func (s *Session) AppendPacket(dst []byte, typ wire.PacketType, ctx wire.Context, iv [identity.TokenIVLen]byte, payload []byte) []byte {
	h := s.Header(typ, ctx)
	dst = h.Append(dst)
	if Encrypted(typ, ctx) {
		return s.token.AppendEncrypt(dst, iv, payload)
	}
	return append(dst, payload...)
}

// Encrypt appends the Token encrypting plaintext with iv to dst.
func (s *Session) Encrypt(dst []byte, iv [identity.TokenIVLen]byte, plaintext []byte) []byte {
	return s.token.AppendEncrypt(dst, iv, plaintext)
}

// Decrypt appends the plaintext of a link Token to dst.
func (s *Session) Decrypt(dst, token []byte) ([]byte, error) {
	return s.token.AppendDecrypt(dst, token)
}

// Open checks that p is addressed to this link and appends its payload to
// dst, decrypted when Encrypted(p.PacketType, p.Context).
func (s *Session) Open(dst []byte, p *wire.Packet) ([]byte, error) {
	if p.DestType != wire.Link || p.Destination != s.id {
		return dst, ErrNotLink
	}
	if Encrypted(p.PacketType, p.Context) {
		return s.token.AppendDecrypt(dst, p.Data)
	}
	return append(dst, p.Data...), nil
}
