package kiss

// Data flow of one Interface:
//
//	Send (any goroutine)      copies the packet into a recycled buffer and
//	                          puts it on the bounded queue, or fails at
//	                          once (port down, queue full); it never waits
//	                          for the radio.
//	routineWrite              takes packets off the queue while the TNC is
//	                          ready, frames and writes them; with flow
//	                          control it then waits for the TNC's ready
//	                          report (or the timeout) before the next one.
//	                          It also sends the station ID when it is due.
//	                          When the port goes down it drops what is
//	                          queued and waits for the port to come back.
//	Receive (one goroutine)   reads the port, hands data frames to the
//	                          caller and ready reports to routineWrite.
//
// The TNC parameters are written by the line itself (serial.Line's
// Configure) after every (re)open, before the port is published, so they
// always precede data frames.

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/rns/iface"
)

var (
	_ iface.Interface     = (*Interface)(nil)
	_ iface.Stats         = (*Interface)(nil)
	_ iface.IngressExempt = (*Interface)(nil)
)

// readBufSize is how much Receive asks the port for at a time.
const readBufSize = 4096

// packet is a queued packet.
type packet struct {
	n int
	b [HWMTU]byte
}

// Interface is a KISS interface: a packet radio TNC on a serial port.
type Interface struct {
	s      settings
	line   *serial.Line
	closed atomic.Bool
	done   chan struct{} // closed by Close; stops routineWrite
	wg     sync.WaitGroup
	once   sync.Once

	queue chan *packet
	ready chan struct{} // ready reports from Receive to routineWrite; buffered
	// free recycles packets between routineWrite and Send, so that Send
	// does not allocate. It is a channel rather than a sync.Pool because
	// a pool hands a packet put on the writer's P back to the writer's P
	// first, and Send runs elsewhere. With room for every packet that
	// can be in flight, at most that many are ever allocated.
	free chan *packet

	// Receive state, owned by the one goroutine that calls Receive.
	reader   *serial.LineReader
	pending  []byte // unconsumed bytes of the last read, aliasing the reader's buffer
	dec      framing.KISSDecoder
	partial  bool   // bytes arrived since the last complete frame
	lastDisc uint64 // decoder's Discarded count already added to stats

	st stats
}

// stats are the counters behind Counters and Stats, kept in atomics so
// that readers never contend with the data path.
type stats struct {
	rxPackets, rxBytes, txPackets, txBytes atomic.Uint64
	tooLarge, oversize, ignored, empty     atomic.Uint64
	queueFull, txFailed, flushed           atomic.Uint64
	readyReports, flowTimeouts, ids        atomic.Uint64
	discarded, timeouts                    atomic.Uint64
}

// Stats are a KISS interface's counters in detail.
type Stats struct {
	// Counters are the totals of iface.Stats. Byte counts are packet
	// bytes, without framing, and do not include station IDs. Dropped
	// counts received frames dropped (TooLarge, Oversize) and packets
	// not sent (QueueFull, TxFailed, Flushed).
	iface.Counters
	// TooLarge counts received data frames longer than HWMTU.
	TooLarge uint64
	// Oversize counts data frames longer than the buffer Receive was
	// given.
	Oversize uint64
	// Ignored counts frames with commands the driver does not handle.
	Ignored uint64
	// Empty counts data frames without a payload.
	Empty uint64
	// QueueFull counts packets refused because the queue was full.
	QueueFull uint64
	// TxFailed counts packets refused or lost because the port was down,
	// too large, or failed while writing them.
	TxFailed uint64
	// Flushed counts queued packets dropped because the port went down.
	Flushed uint64
	// ReadyReports counts the TNC's ready reports.
	ReadyReports uint64
	// FlowTimeouts counts the times flow control gave up waiting for a
	// ready report.
	FlowTimeouts uint64
	// IDs counts station identifications sent.
	IDs uint64
	// Discarded counts bytes received outside any frame.
	Discarded uint64
	// ReadTimeouts counts the times the inter-byte timeout discarded a
	// partial frame.
	ReadTimeouts uint64
	// Opens counts successful opens of the port, the first one included.
	Opens uint64
}

// New opens the port, waits Config.Settle, sends the TNC its parameters
// and returns the interface. Like the reference, it fails if the port
// cannot be opened (unless Config.WaitForDevice is set); once open, a
// port that goes away is reopened every Config.Retry, and the TNC
// configured again. The settle wait is bounded by ctx.
func New(ctx context.Context, cfg Config) (*Interface, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	cmds := s.setupCmds
	s.line.Configure = func(w io.Writer) error {
		_, err := w.Write(cmds)
		return err
	}
	k := &Interface{
		s:     s,
		done:  make(chan struct{}),
		queue: make(chan *packet, s.queueLen),
		free:  make(chan *packet, s.queueLen+2),
		ready: make(chan struct{}, 1),
		dec:   framing.KISSDecoder{MaxFrame: HWMTU, StripPort: true},
	}
	k.line, err = serial.OpenLine(ctx, k.s.line)
	if err != nil {
		return nil, err
	}
	k.reader = serial.NewLineReader(k.line, readBufSize)
	if k.line.Up() {
		s.logf("kiss %s: %s open at %d baud, TNC configured", s.name, s.line.Port.Path, s.line.Port.Speed)
	}
	k.wg.Add(1)
	go k.routineWrite()
	return k, nil
}

// Name implements iface.Interface.
func (k *Interface) Name() string { return k.s.name }

// MTU implements iface.Interface. It is HWMTU, the reference's HW_MTU,
// which includes room for the interface access code.
func (k *Interface) MTU() int { return HWMTU }

// Bitrate implements iface.Interface: DefaultBitrate or Config.Bitrate.
func (k *Interface) Bitrate() int64 { return k.s.bitrate }

// Mode implements iface.Interface.
func (k *Interface) Mode() iface.Mode { return k.s.mode }

// IngressExempt implements iface.IngressExempt: as in the reference, a
// KISS interface never holds announces for ingress control.
func (k *Interface) IngressExempt() bool { return true }

// IFACSize returns the IFAC size, in bytes, the reference uses for KISS
// interfaces when none is configured.
func (k *Interface) DefaultIFACSize() int { return DefaultIFACSize }

// Up reports whether the port is open.
func (k *Interface) Up() bool { return k.line.Up() }

// WaitUp blocks until the port is open, or ctx ends, or the interface is
// closed.
func (k *Interface) WaitUp(ctx context.Context) error { return k.line.WaitUp(ctx) }

// WaitDown blocks until the port is down or closed, or ctx ends.
func (k *Interface) WaitDown(ctx context.Context) error { return k.line.WaitDown(ctx) }

// Counters implements iface.Stats.
func (k *Interface) Counters() iface.Counters { return k.Stats().Counters }

// Stats returns the interface's counters in detail.
func (k *Interface) Stats() Stats {
	st := Stats{
		Counters: iface.Counters{
			RxPackets: k.st.rxPackets.Load(), RxBytes: k.st.rxBytes.Load(),
			TxPackets: k.st.txPackets.Load(), TxBytes: k.st.txBytes.Load(),
		},
		TooLarge: k.st.tooLarge.Load(), Oversize: k.st.oversize.Load(), Ignored: k.st.ignored.Load(),
		Empty: k.st.empty.Load(), QueueFull: k.st.queueFull.Load(), TxFailed: k.st.txFailed.Load(),
		Flushed: k.st.flushed.Load(), ReadyReports: k.st.readyReports.Load(),
		FlowTimeouts: k.st.flowTimeouts.Load(), IDs: k.st.ids.Load(),
		Discarded: k.st.discarded.Load(), ReadTimeouts: k.st.timeouts.Load(), Opens: k.line.Opens(),
	}
	st.Dropped = st.TooLarge + st.Oversize + st.QueueFull + st.TxFailed + st.Flushed
	return st
}

// Receive implements iface.Interface. It blocks until a data frame
// arrives and copies its packet into buf; frames longer than HWMTU or than
// buf are dropped and counted. The TNC's ready reports are passed to the
// sender. While the port is down, Receive keeps blocking. A partial frame
// followed by 100 ms of silence is discarded, as the reference does.
// Receive returns net.ErrClosed after Close and must not be called
// concurrently with itself.
func (k *Interface) Receive(buf []byte) (int, error) {
	for {
		if k.closed.Load() {
			return 0, net.ErrClosed
		}
		for len(k.pending) > 0 {
			n, cmd, p, err := k.dec.Decode(k.pending)
			k.pending = k.pending[n:]
			if err != nil {
				k.st.tooLarge.Add(1)
				k.partial = false
				continue
			}
			if p == nil {
				k.partial = n > 0
				continue
			}
			k.partial = false
			switch cmd {
			case framing.KISSCmdData:
				switch {
				case len(p) == 0:
					k.st.empty.Add(1)
				case len(p) > len(buf):
					k.st.oversize.Add(1)
				default:
					n = copy(buf, p)
					k.st.rxPackets.Add(1)
					k.st.rxBytes.Add(uint64(n))
					k.countDiscarded()
					return n, nil
				}
			case framing.KISSCmdReady:
				// The reference acts on a ready report once its
				// parameter byte arrives.
				if len(p) == 0 {
					k.st.ignored.Add(1)
					continue
				}
				k.st.readyReports.Add(1)
				select {
				case k.ready <- struct{}{}:
				default:
				}
			default:
				k.st.ignored.Add(1)
			}
		}
		k.countDiscarded()
		b, reopened, err := k.reader.Read(k.closed.Load)
		if err != nil {
			return 0, net.ErrClosed
		}
		if reopened {
			k.dec.Reset()
		}
		if b == nil {
			// The inter-byte timeout: drop any partial frame.
			if k.partial {
				k.st.timeouts.Add(1)
				k.partial = false
			}
			k.dec.Reset()
			continue
		}
		k.pending = b
	}
}

func (k *Interface) countDiscarded() {
	if d := k.dec.Stats().Discarded; d != k.lastDisc {
		k.st.discarded.Add(d - k.lastDisc)
		k.lastDisc = d
	}
}

// Send implements iface.Interface. It queues pkt for the TNC, copying it;
// pkt is not kept. Send returns ErrTooLarge for a packet longer than
// HWMTU, ErrDown while the port is down, ErrQueueFull when Config.QueueLen
// packets are waiting, and net.ErrClosed after Close. It never blocks on
// the radio. Send is safe for concurrent use.
func (k *Interface) Send(pkt []byte) error {
	if len(pkt) > HWMTU {
		k.st.txFailed.Add(1)
		return ErrTooLarge
	}
	if k.closed.Load() {
		return net.ErrClosed
	}
	if !k.line.Up() {
		k.st.txFailed.Add(1)
		return ErrDown
	}
	var p *packet
	select {
	case p = <-k.free:
	default:
		p = new(packet)
	}
	p.n = copy(p.b[:], pkt)
	select {
	case k.queue <- p:
		return nil
	default:
		k.recycle(p)
		k.st.queueFull.Add(1)
		return ErrQueueFull
	}
}

// Close implements iface.Interface: it closes the port, stops the sender
// and unblocks Receive. Packets still queued are dropped. It is
// idempotent.
func (k *Interface) Close() error {
	k.once.Do(func() {
		k.closed.Store(true)
		close(k.done)
		k.line.Close()
		k.wg.Wait()
		k.flush()
	})
	return nil
}

// recycle returns a packet to the free list.
func (k *Interface) recycle(p *packet) {
	select {
	case k.free <- p:
	default:
	}
}

// flush drops the queued packets, recycling them, and reports how many
// there were.
func (k *Interface) flush() int {
	n := 0
	for {
		select {
		case p := <-k.queue:
			k.recycle(p)
			n++
		default:
			return n
		}
	}
}

// writer is routineWrite's state, kept across reconnects.
type writer struct {
	k       *Interface
	buf     []byte      // the frame being written
	idTimer *time.Timer // fires IDInterval after the first transmission since the last ID
	idArmed bool        // idTimer is running
	idDue   bool        // the station ID is to be sent when the TNC is ready
	fcTimer *time.Timer // flow control timeout
}

// routineWrite sends queued packets and station IDs while the port is up.
func (k *Interface) routineWrite() {
	defer k.wg.Done()
	k.s.logf("kiss %s: routineWrite started", k.s.name)
	defer k.s.logf("kiss %s: routineWrite stopped", k.s.name)
	w := &writer{k: k, buf: make([]byte, 0, 2*HWMTU+3), idTimer: time.NewTimer(time.Hour), fcTimer: time.NewTimer(time.Hour)}
	w.idTimer.Stop()
	w.fcTimer.Stop()
	defer w.idTimer.Stop()
	defer w.fcTimer.Stop()
	for {
		_, gen, err := k.line.Wait()
		if err != nil {
			return
		}
		w.serve(gen)
		if n := k.flush(); n > 0 {
			k.st.flushed.Add(uint64(n))
		}
		select {
		case <-k.done:
			return
		default:
		}
	}
}

// serve writes to the line's port of generation gen until it goes down
// or the interface is closed.
func (w *writer) serve(gen uint64) {
	k := w.k
	_, cur, changed := k.line.State()
	if cur != gen {
		return
	}
	// Ready reports from before this port are stale.
	select {
	case <-k.ready:
	default:
	}
	ready := true
	w.fcTimer.Stop()
	for {
		if ready && w.idDue {
			w.idDue = false
			if !w.write(framing.AppendKISS(w.buf[:0], framing.KISSCmdData, k.s.id)) {
				return
			}
			k.st.ids.Add(1)
			ready = w.sent()
			continue
		}
		var queue chan *packet
		if ready {
			queue = k.queue
		}
		select {
		case p := <-queue:
			w.buf = framing.AppendKISS(w.buf[:0], framing.KISSCmdData, p.b[:p.n])
			n := p.n
			k.recycle(p)
			if !w.write(w.buf) {
				k.st.txFailed.Add(1)
				return
			}
			k.st.txPackets.Add(1)
			k.st.txBytes.Add(uint64(n))
			if k.s.id != nil && !w.idArmed {
				w.idArmed = true
				w.idTimer.Reset(k.s.idEvery)
			}
			ready = w.sent()
		case <-k.ready:
			if !ready {
				ready = true
				w.fcTimer.Stop()
			}
		case <-w.fcTimer.C:
			if !ready {
				k.st.flowTimeouts.Add(1)
				k.s.logf("kiss %s: no ready report from the TNC within %v; sending anyway (does it support flow control?)", k.s.name, k.s.flowTO)
				ready = true
			}
		case <-w.idTimer.C:
			w.idArmed = false
			w.idDue = true
		case <-changed:
			return
		case <-k.done:
			return
		}
	}
}

// write writes one frame, after discarding ready reports that came before
// it. It reports false if the port failed.
func (w *writer) write(frame []byte) bool {
	select {
	case <-w.k.ready:
	default:
	}
	return w.k.line.Write(frame) == nil
}

// sent returns whether the TNC takes the next frame right away: without
// flow control it does; with it, the writer waits for a ready report or
// the timeout.
func (w *writer) sent() bool {
	if !w.k.s.flow {
		return true
	}
	w.fcTimer.Reset(w.k.s.flowTO)
	return false
}
