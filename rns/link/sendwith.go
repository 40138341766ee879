package link

import "github.com/mehr-net/mehr/rns/wire"

// SendPacketWith is SendPacket with a hook that sees the built packet
// before it is sent, so a caller can register state keyed by the packet
// (a request ID derived from the encrypted bytes, a receipt) without racing
// the answer.
func (l *Link) SendPacketWith(typ wire.PacketType, ctx wire.Context, payload []byte, beforeSend func(raw []byte)) ([]byte, error) {
	raw, attached, err := l.buildPacket(typ, ctx, payload)
	if err != nil {
		return nil, err
	}
	if beforeSend != nil {
		beforeSend(raw)
	}
	return raw, l.send(raw, attached)
}
