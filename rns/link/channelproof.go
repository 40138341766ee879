package link

import (
	"time"

	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// SendWithReceipt is Send for a DATA packet of any context: it builds a
// link packet of context ctx carrying payload, registers a receipt under
// the packet's full hash and sends it. The receipt is proved when the peer
// sends an explicit packet proof for it, as a channel receiver does for
// every CHANNEL packet.
func (l *Link) SendWithReceipt(ctx wire.Context, payload []byte) (*Receipt, error) {
	return l.SendWithReceiptWith(ctx, payload, nil)
}

// SendWithReceiptWith is SendWithReceipt with a hook that sees the built
// packet just before it is sent, as SendPacketWith has.
func (l *Link) SendWithReceiptWith(ctx wire.Context, payload []byte, beforeSend func(raw []byte)) (*Receipt, error) {
	raw, attached, err := l.buildPacket(wire.Data, ctx, payload)
	if err != nil {
		return nil, err
	}
	h, _ := wire.PacketHash(raw)
	r := &Receipt{Hash: h, done: make(chan struct{})}
	l.mu.Lock()
	if l.status == StatusClosed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	r.deadline = l.now().Add(max(6*l.rtt, 5*time.Second))
	l.receipts[h] = r
	l.mu.Unlock()
	if beforeSend != nil {
		beforeSend(raw)
	}
	if err := l.send(raw, attached); err != nil {
		l.mu.Lock()
		if l.receipts != nil {
			delete(l.receipts, h)
		}
		l.mu.Unlock()
		return nil, err
	}
	return r, nil
}

// ProvePacket sends the explicit packet proof of p, a packet received on
// this link, signed with the link's signing key. The link proves packets of
// context NONE itself when Config.ProveAll is set; packages layered on
// links call ProvePacket for the contexts they handle (a channel proves
// every CHANNEL packet).
func (l *Link) ProvePacket(p *transport.Packet) { l.prove(p) }
