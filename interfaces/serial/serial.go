package serial

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/rns/iface"
)

var (
	_ iface.Interface     = (*Interface)(nil)
	_ iface.Stats         = (*Interface)(nil)
	_ iface.IngressExempt = (*Interface)(nil)
)

// readBufSize is how much Receive asks the port for at a time.
const readBufSize = 4096

// Interface is a serial interface: HDLC-framed packets over a serial port
// that is reopened when its device goes away.
type Interface struct {
	s      settings
	line   *Line
	closed atomic.Bool

	// smu guards sbuf, the frame being written.
	smu  sync.Mutex
	sbuf []byte

	// Receive state, owned by the one goroutine that calls Receive.
	reader   *LineReader
	pending  []byte // unconsumed bytes of the last read, aliasing the reader's buffer
	dec      framing.HDLCDecoder
	partial  bool   // bytes arrived since the last complete frame
	lastDisc uint64 // decoder's Discarded count already added to stats

	st stats
}

// stats are the counters behind Counters and Stats, kept in atomics so
// that readers never contend with the data path.
type stats struct {
	rxPackets, rxBytes, txPackets, txBytes atomic.Uint64
	tooLarge, oversize, txFailed           atomic.Uint64
	discarded, timeouts                    atomic.Uint64
}

// Stats are a serial interface's counters in detail.
type Stats struct {
	// Counters are the totals of iface.Stats. Byte counts are packet
	// bytes, without framing. Dropped counts received frames dropped
	// (TooLarge plus Oversize) and packets Send failed to write.
	iface.Counters
	// TooLarge counts received frames longer than HWMTU.
	TooLarge uint64
	// Oversize counts frames longer than the buffer Receive was given.
	Oversize uint64
	// TxFailed counts packets Send could not write (port down or write
	// error).
	TxFailed uint64
	// Discarded counts bytes received outside any frame.
	Discarded uint64
	// ReadTimeouts counts the times the inter-byte timeout reset the
	// decoder.
	ReadTimeouts uint64
	// Opens counts successful opens of the port, the first one included.
	Opens uint64
}

// New opens the serial interface. Like the reference, it fails if the port
// cannot be opened (unless Config.WaitForDevice is set); once open, a port
// that goes away is reopened every Config.Retry. New waits Config.Settle
// before returning, bounded by ctx.
func New(ctx context.Context, cfg Config) (*Interface, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	line, err := OpenLine(ctx, s.line)
	if err != nil {
		return nil, err
	}
	if line.Up() {
		s.logf("serial %s: %s open at %d baud", s.name, s.line.Port.Path, s.line.Port.Speed)
	}
	return &Interface{
		s:      s,
		line:   line,
		reader: NewLineReader(line, readBufSize),
		sbuf:   make([]byte, 0, 2*HWMTU+2),
		dec:    framing.HDLCDecoder{MaxFrame: HWMTU},
	}, nil
}

// Name implements iface.Interface.
func (i *Interface) Name() string { return i.s.name }

// MTU implements iface.Interface. It is HWMTU, the reference's HW_MTU,
// which includes room for the interface access code.
func (i *Interface) MTU() int { return HWMTU }

// Bitrate implements iface.Interface: the port speed, or Config.Bitrate.
func (i *Interface) Bitrate() int64 { return i.s.bitrate }

// Mode implements iface.Interface.
func (i *Interface) Mode() iface.Mode { return i.s.mode }

// IngressExempt implements iface.IngressExempt: as in the reference, a
// serial line never holds announces for ingress control.
func (i *Interface) IngressExempt() bool { return true }

// IFACSize returns the IFAC size, in bytes, the reference uses for serial
// interfaces when none is configured.
func (i *Interface) DefaultIFACSize() int { return DefaultIFACSize }

// Up reports whether the port is open.
func (i *Interface) Up() bool { return i.line.Up() }

// WaitUp blocks until the port is open, or ctx ends, or the interface is
// closed.
func (i *Interface) WaitUp(ctx context.Context) error { return i.line.WaitUp(ctx) }

// WaitDown blocks until the port is down or closed, or ctx ends.
func (i *Interface) WaitDown(ctx context.Context) error { return i.line.WaitDown(ctx) }

// Counters implements iface.Stats.
func (i *Interface) Counters() iface.Counters { return i.Stats().Counters }

// Stats returns the interface's counters in detail.
func (i *Interface) Stats() Stats {
	st := Stats{
		Counters: iface.Counters{
			RxPackets: i.st.rxPackets.Load(), RxBytes: i.st.rxBytes.Load(),
			TxPackets: i.st.txPackets.Load(), TxBytes: i.st.txBytes.Load(),
		},
		TooLarge: i.st.tooLarge.Load(), Oversize: i.st.oversize.Load(), TxFailed: i.st.txFailed.Load(),
		Discarded: i.st.discarded.Load(), ReadTimeouts: i.st.timeouts.Load(), Opens: i.line.Opens(),
	}
	st.Dropped = st.TooLarge + st.Oversize + st.TxFailed
	return st
}

// Receive implements iface.Interface. It blocks until a frame arrives and
// copies its packet into buf; frames longer than HWMTU or than buf are
// dropped and counted. While the port is down, Receive keeps blocking. A
// partial frame followed by 100 ms of silence is discarded, as the
// reference does. Receive returns net.ErrClosed after Close and must not
// be called concurrently with itself.
func (i *Interface) Receive(buf []byte) (int, error) {
	for {
		if i.closed.Load() {
			return 0, net.ErrClosed
		}
		for len(i.pending) > 0 {
			n, frame, err := i.dec.Decode(i.pending)
			i.pending = i.pending[n:]
			if err != nil {
				i.st.tooLarge.Add(1)
				i.partial = false
				continue
			}
			if frame == nil {
				i.partial = n > 0
				continue
			}
			i.partial = false
			if len(frame) > len(buf) {
				i.st.oversize.Add(1)
				continue
			}
			n = copy(buf, frame)
			i.st.rxPackets.Add(1)
			i.st.rxBytes.Add(uint64(n))
			i.countDiscarded()
			return n, nil
		}
		i.countDiscarded()
		b, reopened, err := i.reader.Read(i.closed.Load)
		if err != nil {
			return 0, net.ErrClosed
		}
		if reopened {
			i.dec.Reset()
		}
		if b == nil {
			// The inter-byte timeout: drop any partial frame.
			if i.partial {
				i.st.timeouts.Add(1)
				i.partial = false
			}
			i.dec.Reset()
			continue
		}
		i.pending = b
	}
}

func (i *Interface) countDiscarded() {
	if d := i.dec.Stats().Discarded; d != i.lastDisc {
		i.st.discarded.Add(d - i.lastDisc)
		i.lastDisc = d
	}
}

// Send implements iface.Interface. It frames pkt and writes the frame to
// the port; pkt is not kept. Send returns ErrTooLarge for a packet longer
// than HWMTU, ErrDown while the port is down, and net.ErrClosed after
// Close. A failed write takes the port down. Send is safe for concurrent
// use; writes are serialised.
func (i *Interface) Send(pkt []byte) error {
	if len(pkt) > HWMTU {
		i.st.txFailed.Add(1)
		return ErrTooLarge
	}
	if i.closed.Load() {
		return net.ErrClosed
	}
	i.smu.Lock()
	i.sbuf = framing.AppendHDLC(i.sbuf[:0], pkt)
	err := i.line.Write(i.sbuf)
	i.smu.Unlock()
	if err != nil {
		i.st.txFailed.Add(1)
		return err
	}
	i.st.txPackets.Add(1)
	i.st.txBytes.Add(uint64(len(pkt)))
	return nil
}

// Close implements iface.Interface: it closes the port, stops reopening
// it and unblocks Receive. It is idempotent.
func (i *Interface) Close() error {
	if i.closed.Swap(true) {
		return nil
	}
	return i.line.Close()
}
