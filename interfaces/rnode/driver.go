package rnode

// Data flow of one Interface:
//
//	connect (New, then routineConnect)
//	                      opens the port, waits BootDelay, starts a
//	                      session's routineRead, detects the device, checks
//	                      its firmware, configures the radio and compares
//	                      the echoes; only then is the session current.
//	routineRead           one per open port: reads, feeds the Parser,
//	(session)             keeps the session's State, hands data frames to
//	                      Receive through the rx ring (dropping them when
//	                      it is full), acts on ready, error and reset
//	                      reports. A read error or a fatal device error
//	                      ends the session; if it was current the
//	                      interface goes down and routineConnect reopens
//	                      the port after ReconnectWait.
//	Receive               takes filled slots from the rx ring and copies
//	                      them into the caller's buffer; it blocks while
//	                      the interface is down.
//	Send (any goroutine)  frames the packet into a reused buffer and writes
//	                      it under wmu; with flow control, packets wait in
//	                      a bounded queue until the device is ready.
//
// Lock ordering: wmu, then mu, then session.mu. No lock is held across a
// blocking read; writes happen under wmu only.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrNotDetected reports a device that did not answer the detect
	// request as an RNode does.
	ErrNotDetected = errors.New("rnode: no RNode answered the detect request")
	// ErrFirmwareTooOld reports firmware older than
	// RequiredFirmwareMajor.RequiredFirmwareMinor.
	ErrFirmwareTooOld = errors.New("rnode: device firmware too old")
	// ErrConfigMismatch reports a device that, after configuration,
	// reported radio parameters other than those configured.
	ErrConfigMismatch = errors.New("rnode: device reports radio parameters that differ from the configuration")
	// ErrNotConnected is returned by Send while the interface is down.
	ErrNotConnected = errors.New("rnode: device not connected")
	// ErrTooLarge is returned by Send for a packet longer than DataMTU.
	ErrTooLarge = errors.New("rnode: packet too large")
	// ErrFlowQueueFull is returned by Send when flow control holds back more
	// than flowQueueLen packets.
	ErrFlowQueueFull = errors.New("rnode: flow control queue full")
)

// Queue sizes.
const (
	// rxQueueLen is how many received packets wait for Receive; more are
	// dropped and counted. At LoRa rates this is seconds of traffic.
	rxQueueLen = 32
	// flowQueueLen is how many packets flow control holds back.
	flowQueueLen = 32
	// readBufSize is how much routineRead asks the port for at a time.
	readBufSize = 4096
)

// Signal is what the device reported about a received packet's signal.
type Signal struct {
	// RSSI is the received signal strength in dBm.
	RSSI int
	// SNR is the signal-to-noise ratio in dB.
	SNR float64
	// LinkQuality is the SNR placed on the spreading factor's usable
	// range, 0..100 (see LinkQuality).
	LinkQuality float64
	// Known is a subset of FieldRSSI, FieldSNR and FieldLinkQuality.
	Known Field
}

// rxSlot is one received packet in the rx ring.
type rxSlot struct {
	buf [DataMTU]byte
	n   int
	sig Signal
}

// Interface is an RNode LoRa radio attached over a serial port (the
// reference's RNodeInterface). See the package documentation.
type Interface struct {
	cfg      Config
	callsign []byte
	logf     func(format string, args ...any)

	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	redial    chan struct{} // wakes routineConnect; buffered, never closed
	wg        sync.WaitGroup
	closeOnce sync.Once
	closed    chan struct{} // closed by Close; unblocks Receive

	// The rx ring: routineRead takes empty slots from free, fills them and
	// puts them on full; Receive empties them and gives them back. Both
	// channels hold every slot, so neither operation allocates.
	free, full chan *rxSlot

	// mu guards the following fields. Lock ordering: wmu, then mu, then
	// a session's mu.
	mu      sync.Mutex
	sess    *session      // current session; nil while down
	last    State         // the latest device state, kept while down
	changed chan struct{} // closed and replaced whenever sess changes

	// wmu guards writes to the port and the flow control and beacon
	// state.
	wmu     sync.Mutex
	wbuf    []byte
	ready   bool // flow control: the device can take the next packet
	fq      [flowQueueLen][]byte
	fqHead  int
	fqLen   int
	readyT  *time.Timer // flow control's ready timeout
	firstTX time.Time   // first transmission since the last ID; zero if none
	idT     *time.Timer // fires IDInterval after firstTX

	st stats
}

// stats are the counters behind Counters and Stats.
type stats struct {
	rxPackets, rxBytes, txPackets, txBytes atomic.Uint64
	rxDropped, oversize, txDropped         atomic.Uint64
	deviceErrors, connects, ids            atomic.Uint64
	readyTimeouts                          atomic.Uint64
}

// InterfaceStats are an RNode interface's counters in detail.
type InterfaceStats struct {
	// Counters are the totals of iface.Stats. Byte counts are packet
	// bytes, without framing. Dropped is RXDropped + Oversize + TXDropped.
	iface.Counters
	// RXDropped counts received packets dropped because Receive fell
	// behind by more than the receive queue.
	RXDropped uint64
	// Oversize counts packets longer than the buffer Receive was given.
	Oversize uint64
	// TXDropped counts packets Send could not hand to the device.
	TXDropped uint64
	// DeviceErrors counts error reports from the device.
	DeviceErrors uint64
	// Connects counts sessions that came up.
	Connects uint64
	// IDs counts station identifications sent.
	IDs uint64
	// ReadyTimeouts counts flow control waits that ran out.
	ReadyTimeouts uint64
	// Parser holds the parser counters of the current session; zero
	// while the device is down.
	Parser Stats
}

var (
	_ iface.Interface     = (*Interface)(nil)
	_ iface.Stats         = (*Interface)(nil)
	_ iface.IngressExempt = (*Interface)(nil)
)

// session is one open port, from opening to the read error that ends it.
type session struct {
	port Port
	done chan struct{} // closed when routineRead has returned
	kick chan struct{} // signals a state change to the one waiter; cap 1

	// mu guards the following fields.
	mu     sync.Mutex
	state  State
	pstats Stats
	err    error // why the session ended or is ending; nil while it runs
	online bool  // the session became the interface's current one
}

func newSession(p Port) *session {
	return &session{port: p, done: make(chan struct{}), kick: make(chan struct{}, 1)}
}

func (s *session) notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// fail ends the session for cause: it closes the port, which ends
// routineRead.
func (s *session) fail(cause error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = cause
	}
	s.mu.Unlock()
	s.notify()
	s.port.Close()
}

// wait blocks until cond holds for the session's state, returning the
// state and true, or until timeout (false), ctx ends or the session ends
// (the error).
func (s *session) wait(ctx context.Context, timeout time.Duration, cond func(*State) bool) (State, bool, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		s.mu.Lock()
		st, err := s.state, s.err
		s.mu.Unlock()
		if err != nil {
			return st, false, err
		}
		if cond(&st) {
			return st, true, nil
		}
		select {
		case <-s.kick:
		case <-t.C:
			return st, false, nil
		case <-ctx.Done():
			return st, false, ctx.Err()
		}
	}
}

// New returns an RNode interface on cfg.Port.
//
// Like the reference, it opens and configures the device before returning,
// bounded by ctx. It returns an error for an invalid configuration, for
// firmware older than the required version (ErrFirmwareTooOld), and for a
// device that does not take the configuration (ErrConfigMismatch, or a
// DeviceError such as ErrInitRadio): those the reference refuses to bring
// up. If the port cannot be opened or the device does not answer, the
// interface is returned down and keeps trying every ReconnectWait in the
// background; WaitOnline waits for it.
func New(ctx context.Context, cfg Config) (*Interface, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("rnode %s: %w", cfg.Name, err)
	}
	if cfg.Port == "" {
		return nil, fmt.Errorf("rnode %s: no port configured: %w", cfg.Name, ErrInvalidConfig)
	}
	if cfg.Mode == 0 {
		cfg.Mode = iface.ModeFull
	}
	if cfg.ReconnectWait <= 0 {
		cfg.ReconnectWait = DefaultReconnectWait
	}
	if cfg.BootDelay == 0 {
		cfg.BootDelay = DefaultBootDelay
	}
	if cfg.DetectTimeout <= 0 {
		cfg.DetectTimeout = DefaultDetectTimeout
	}
	if cfg.ValidateTimeout <= 0 {
		cfg.ValidateTimeout = DefaultValidateTimeout
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.Open == nil {
		cfg.Open = openSerial
	}
	i := &Interface{cfg: cfg, logf: cfg.Logf, redial: make(chan struct{}, 1), closed: make(chan struct{}),
		free: make(chan *rxSlot, rxQueueLen), full: make(chan *rxSlot, rxQueueLen),
		changed: make(chan struct{}), ready: true}
	if i.logf == nil {
		i.logf = func(string, ...any) {}
	}
	if cfg.IDCallsign != "" && cfg.IDInterval > 0 {
		i.callsign = []byte(cfg.IDCallsign)
	}
	for range rxQueueLen {
		i.free <- new(rxSlot)
	}
	i.ctx, i.cancel = context.WithCancel(context.Background())

	first, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-i.ctx.Done():
			stop()
		case <-first.Done():
		}
	}()
	err := i.connect(first)
	switch {
	case ctx.Err() != nil:
		i.Close()
		return nil, fmt.Errorf("rnode %s: %w", cfg.Name, ctx.Err())
	case errors.Is(err, ErrFirmwareTooOld) || errors.Is(err, ErrConfigMismatch) || isDeviceError(err):
		i.Close()
		return nil, fmt.Errorf("rnode %s: %w", cfg.Name, err)
	case err != nil:
		i.logf("rnode %s: could not bring up the device, retrying every %v: %v", cfg.Name, cfg.ReconnectWait, err)
		i.redial <- struct{}{}
	}
	i.wg.Add(1)
	go i.routineConnect()
	return i, nil
}

func isDeviceError(err error) bool {
	var de DeviceError
	return errors.As(err, &de)
}

// Name implements iface.Interface.
func (i *Interface) Name() string { return i.cfg.Name }

// MTU implements iface.Interface: the reference's HW_MTU, DataMTU.
func (i *Interface) MTU() int { return DataMTU }

// Mode implements iface.Interface.
func (i *Interface) Mode() iface.Mode { return i.cfg.Mode }

// IngressExempt implements iface.IngressExempt: the reference never holds
// announces arriving over an RNode.
func (i *Interface) IngressExempt() bool { return true }

// IFACSize returns the IFAC size, in bytes, the reference uses for RNode
// interfaces when none is configured (DefaultIFACSize).
func (i *Interface) DefaultIFACSize() int { return DefaultIFACSize }

// Bitrate implements iface.Interface: Config.Bitrate if set, else the
// on-air bitrate of the LoRa parameters the device reported, computed as
// the reference does, or of the configured ones until the device has
// reported.
func (i *Interface) Bitrate() int64 {
	if i.cfg.Bitrate > 0 {
		return i.cfg.Bitrate
	}
	st := i.DeviceState()
	if bps, ok := st.Bitrate(); ok && bps >= 1 {
		return int64(bps)
	}
	return int64(LoRaBitrate(i.cfg.Bandwidth, i.cfg.SpreadingFactor, i.cfg.CodingRate))
}

// Counters implements iface.Stats.
func (i *Interface) Counters() iface.Counters { return i.Stats().Counters }

// Stats returns the interface's counters in detail.
func (i *Interface) Stats() InterfaceStats {
	st := InterfaceStats{
		Counters: iface.Counters{
			RxPackets: i.st.rxPackets.Load(), RxBytes: i.st.rxBytes.Load(),
			TxPackets: i.st.txPackets.Load(), TxBytes: i.st.txBytes.Load(),
		},
		RXDropped: i.st.rxDropped.Load(), Oversize: i.st.oversize.Load(), TXDropped: i.st.txDropped.Load(),
		DeviceErrors: i.st.deviceErrors.Load(), Connects: i.st.connects.Load(), IDs: i.st.ids.Load(),
		ReadyTimeouts: i.st.readyTimeouts.Load(),
	}
	st.Dropped = st.RXDropped + st.Oversize + st.TXDropped
	i.mu.Lock()
	s := i.sess
	i.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		st.Parser = s.pstats
		s.mu.Unlock()
	}
	return st
}

// DeviceState returns what the device has reported: firmware, platform,
// radio parameters, the last packet's signal, channel statistics, battery
// and temperature. While the interface is down it is the last session's.
func (i *Interface) DeviceState() State {
	i.mu.Lock()
	s, last := i.sess, i.last
	i.mu.Unlock()
	if s == nil {
		return last
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Online reports whether the device is configured and up.
func (i *Interface) Online() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.sess != nil
}

// WaitOnline blocks until the device is up, returning nil, or until ctx
// ends or the interface is closed, returning why.
func (i *Interface) WaitOnline(ctx context.Context) error { return i.waitFor(ctx, true) }

// WaitOffline blocks until the device is down, returning nil, or until ctx
// ends, returning its error. A closed interface is offline.
func (i *Interface) WaitOffline(ctx context.Context) error { return i.waitFor(ctx, false) }

func (i *Interface) waitFor(ctx context.Context, online bool) error {
	for {
		i.mu.Lock()
		up, changed := i.sess != nil, i.changed
		i.mu.Unlock()
		if up == online {
			return nil
		}
		if online {
			select {
			case <-i.closed:
				return net.ErrClosed
			default:
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-i.closed:
			if online {
				return net.ErrClosed
			}
		}
	}
}

// notifyLocked wakes every waiter on changed. i.mu must be held.
func (i *Interface) notifyLocked() {
	close(i.changed)
	i.changed = make(chan struct{})
}

// Receive implements iface.Interface. It blocks until the device delivers
// a packet and copies it into buf; packets longer than buf are dropped and
// counted. While the device is down Receive keeps blocking. After Close it
// returns net.ErrClosed. Receive must not be called concurrently with
// itself or ReceiveSignal.
func (i *Interface) Receive(buf []byte) (int, error) {
	n, _, err := i.ReceiveSignal(buf)
	return n, err
}

// ReceiveSignal is Receive that also returns the signal values the device
// reported for the packet.
func (i *Interface) ReceiveSignal(buf []byte) (int, Signal, error) {
	for {
		select {
		case <-i.closed:
			return 0, Signal{}, net.ErrClosed
		default:
		}
		select {
		case sl := <-i.full:
			if sl.n > len(buf) {
				i.st.oversize.Add(1)
				i.free <- sl
				continue
			}
			n, sig := copy(buf, sl.buf[:sl.n]), sl.sig
			i.free <- sl
			i.st.rxPackets.Add(1)
			i.st.rxBytes.Add(uint64(n))
			return n, sig, nil
		case <-i.closed:
			return 0, Signal{}, net.ErrClosed
		}
	}
}

// Send implements iface.Interface. It writes pkt to the device as one data
// frame; pkt is not kept. With flow control, a packet sent before the
// device reported ready for it is copied into a queue and written when it
// is. Send returns ErrTooLarge for a packet longer than DataMTU,
// ErrNotConnected while the device is down, ErrFlowQueueFull when flow control
// holds back too many packets, and net.ErrClosed after Close. A failed
// write takes the device down. Send is safe for concurrent use.
func (i *Interface) Send(pkt []byte) error {
	select {
	case <-i.closed:
		return net.ErrClosed
	default:
	}
	if len(pkt) > DataMTU {
		i.st.txDropped.Add(1)
		return ErrTooLarge
	}
	if len(pkt) == 0 {
		return nil
	}
	i.wmu.Lock()
	defer i.wmu.Unlock()
	return i.sendLocked(pkt)
}

// sendLocked sends or queues pkt. i.wmu must be held.
func (i *Interface) sendLocked(pkt []byte) error {
	i.mu.Lock()
	s := i.sess
	i.mu.Unlock()
	if s == nil {
		i.st.txDropped.Add(1)
		return ErrNotConnected
	}
	i.noteTXLocked(pkt)
	if i.cfg.FlowControl && !i.ready {
		if i.fqLen == flowQueueLen {
			i.st.txDropped.Add(1)
			return ErrFlowQueueFull
		}
		slot := &i.fq[(i.fqHead+i.fqLen)%flowQueueLen]
		*slot = append((*slot)[:0], pkt...)
		i.fqLen++
		return nil
	}
	return i.writePacketLocked(s, pkt)
}

// writePacketLocked writes one data frame. i.wmu must be held.
func (i *Interface) writePacketLocked(s *session, pkt []byte) error {
	i.wbuf = AppendData(i.wbuf[:0], pkt)
	if _, err := s.port.Write(i.wbuf); err != nil {
		i.st.txDropped.Add(1)
		s.fail(fmt.Errorf("write: %w", err))
		return fmt.Errorf("rnode %s: write: %w", i.cfg.Name, err)
	}
	i.st.txPackets.Add(1)
	i.st.txBytes.Add(uint64(len(pkt)))
	if i.cfg.FlowControl {
		i.ready = false
		if i.cfg.ReadyTimeout > 0 {
			if i.readyT == nil {
				i.readyT = time.AfterFunc(i.cfg.ReadyTimeout, i.readyTimedOut)
			} else {
				i.readyT.Reset(i.cfg.ReadyTimeout)
			}
		}
	}
	return nil
}

// onReady handles the device's ready report: the next queued packet goes
// out, or the next Send may write at once.
func (i *Interface) onReady() {
	i.wmu.Lock()
	defer i.wmu.Unlock()
	i.onReadyLocked()
}

func (i *Interface) onReadyLocked() {
	if i.readyT != nil {
		i.readyT.Stop()
	}
	i.ready = true
	if i.fqLen == 0 {
		return
	}
	i.mu.Lock()
	s := i.sess
	i.mu.Unlock()
	if s == nil {
		return // sent when the device is back
	}
	slot := &i.fq[i.fqHead]
	i.fqHead = (i.fqHead + 1) % flowQueueLen
	i.fqLen--
	i.writePacketLocked(s, *slot)
}

// readyTimedOut lets flow control go on when the device's ready report
// does not come.
func (i *Interface) readyTimedOut() {
	i.wmu.Lock()
	defer i.wmu.Unlock()
	select {
	case <-i.closed:
		return
	default:
	}
	if i.ready {
		return
	}
	i.st.readyTimeouts.Add(1)
	i.onReadyLocked()
}

// noteTXLocked keeps the station identification schedule, as the
// reference does: the first transmission after an identification starts
// the interval, and sending the callsign ends it. i.wmu must be held.
func (i *Interface) noteTXLocked(pkt []byte) {
	if i.callsign == nil {
		return
	}
	if bytes.Equal(pkt, i.callsign) {
		i.firstTX = time.Time{}
		if i.idT != nil {
			i.idT.Stop()
		}
		return
	}
	if !i.firstTX.IsZero() {
		return
	}
	i.firstTX = time.Now()
	if i.idT == nil {
		i.idT = time.AfterFunc(i.cfg.IDInterval, i.sendID)
	} else {
		i.idT.Reset(i.cfg.IDInterval)
	}
}

// idRetry is how soon an identification that found the device down is
// tried again.
const idRetry = time.Second

// sendID transmits the station identification.
func (i *Interface) sendID() {
	i.wmu.Lock()
	defer i.wmu.Unlock()
	select {
	case <-i.closed:
		return
	default:
	}
	if i.firstTX.IsZero() {
		return // the callsign went out meanwhile
	}
	if err := i.sendLocked(i.callsign); err != nil {
		i.idT.Reset(idRetry)
		return
	}
	i.st.ids.Add(1)
	i.logf("rnode %s: transmitted station identification %q", i.cfg.Name, i.callsign)
}

// Close implements iface.Interface. It switches the radio off, tells the
// device the host is leaving (as the reference's detach does), closes the
// port, stops reconnecting and unblocks Receive. It is idempotent.
func (i *Interface) Close() error {
	i.closeOnce.Do(func() {
		i.cancel()
		i.wmu.Lock()
		close(i.closed)
		if i.readyT != nil {
			i.readyT.Stop()
		}
		if i.idT != nil {
			i.idT.Stop()
		}
		i.mu.Lock()
		s := i.sess
		i.sess = nil
		if s != nil {
			s.mu.Lock()
			i.last = s.state
			s.mu.Unlock()
		}
		i.notifyLocked()
		i.mu.Unlock()
		if s != nil {
			b := AppendRadioState(i.wbuf[:0], RadioStateOff)
			b = AppendLeave(b)
			s.port.Write(b)
			s.fail(net.ErrClosed)
		}
		i.wmu.Unlock()
	})
	i.wg.Wait()
	return nil
}
