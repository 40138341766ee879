package auto

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// Peer is one discovered peer: a link-local address on one of our NICs.
// It implements iface.Interface and iface.Stats. Its traffic runs over the
// Listener's sockets.
type Peer struct {
	l       *Listener
	name    string
	addr    netip.Addr // without zone
	index   int        // NIC index
	nicName string
	dst     netip.AddrPort // addr%nic on the data port
	rx      chan rxPacket

	closeOnce sync.Once
	done      chan struct{}
	err       error // why the peer ended; set before done is closed

	rxPackets, txPackets atomic.Uint64
	rxBytes, txBytes     atomic.Uint64
	dropped              atomic.Uint64

	// Guarded by Listener.mu.
	lastHeard time.Time // last discovery token or data packet
	lastOut   time.Time // last reverse-peering token sent
}

// rxPacket is a received datagram; the peer owns b until Receive copies
// it out and returns it to the pool.
type rxPacket struct {
	b *[maxDatagram]byte
	n int
}

var (
	_ iface.Interface = (*Peer)(nil)
	_ iface.Stats     = (*Peer)(nil)
)

func (l *Listener) newPeer(addr netip.Addr, n *nic, now time.Time) *Peer {
	return &Peer{
		l:         l,
		name:      fmt.Sprintf("%s/%s/%v", l.name, n.name, addr),
		addr:      addr,
		index:     n.index,
		nicName:   n.name,
		dst:       netip.AddrPortFrom(addr.WithZone(n.name), l.dataPort),
		rx:        make(chan rxPacket, peerQueue),
		done:      make(chan struct{}),
		lastHeard: now,
		lastOut:   now,
	}
}

// Name implements iface.Interface: "<listener>/<device>/<address>".
func (p *Peer) Name() string { return p.name }

// Addr returns the peer's link-local address, zoned with its NIC's name.
func (p *Peer) Addr() netip.Addr { return p.dst.Addr() }

// MTU implements iface.Interface; it is HWMTU. Receive and Send also
// take datagrams up to MaxIFACSize bytes longer, for packets that carry an
// interface access code.
func (p *Peer) MTU() int { return HWMTU }

// Bitrate implements iface.Interface.
func (p *Peer) Bitrate() int64 { return p.l.bitrate }

// Mode implements iface.Interface.
func (p *Peer) Mode() iface.Mode { return p.l.mode }

// Counters implements iface.Stats.
func (p *Peer) Counters() iface.Counters {
	return iface.Counters{
		RxPackets: p.rxPackets.Load(), TxPackets: p.txPackets.Load(),
		RxBytes: p.rxBytes.Load(), TxBytes: p.txBytes.Load(),
		Dropped: p.dropped.Load(),
	}
}

// deliver queues a received datagram, dropping it if Receive is behind.
func (p *Peer) deliver(b *[maxDatagram]byte, n int) {
	select {
	case <-p.done:
		putBuf(b)
		return
	default:
	}
	select {
	case p.rx <- rxPacket{b, n}:
	default:
		p.dropped.Add(1)
		putBuf(b)
	}
}

// Receive implements iface.Interface. It must be called from one goroutine
// at a time. A datagram longer than buf is dropped and counted. After the
// peer times out it returns an error matching ErrPeerLost and
// net.ErrClosed; after Close, or after the Listener is closed, it returns
// net.ErrClosed.
func (p *Peer) Receive(buf []byte) (int, error) {
	for {
		select {
		case <-p.done:
			return 0, p.err
		default:
		}
		select {
		case <-p.done:
			return 0, p.err
		case pk := <-p.rx:
			if pk.n > len(buf) {
				p.dropped.Add(1)
				putBuf(pk.b)
				continue
			}
			n := copy(buf, pk.b[:pk.n])
			putBuf(pk.b)
			p.rxPackets.Add(1)
			p.rxBytes.Add(uint64(n))
			return n, nil
		}
	}
}

// Send implements iface.Interface: it sends pkt as one datagram to the
// peer's data port. It may be called concurrently.
func (p *Peer) Send(pkt []byte) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	if len(pkt) > maxDatagram {
		p.dropped.Add(1)
		return ErrTooLarge
	}
	c := p.l.dataConn(p.index)
	if c == nil {
		p.dropped.Add(1)
		return ErrNoDevice
	}
	if _, err := c.WriteToUDPAddrPort(pkt, p.dst); err != nil {
		p.dropped.Add(1)
		return fmt.Errorf("auto: %s: %w", p.name, err)
	}
	p.txPackets.Add(1)
	p.txBytes.Add(uint64(len(pkt)))
	return nil
}

// Close implements iface.Interface. The Listener forgets the peer; if it
// is heard from again, Accept returns it anew. It is idempotent.
func (p *Peer) Close() error {
	p.l.removePeer(p)
	p.shutdown(net.ErrClosed)
	return nil
}

// shutdown ends the peer with err unless it has already ended.
func (p *Peer) shutdown(err error) {
	p.closeOnce.Do(func() {
		p.err = err
		close(p.done)
		for {
			select {
			case pk := <-p.rx:
				putBuf(pk.b)
			default:
				return
			}
		}
	})
}
