package sim

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/rnode"
)

// Defaults of Options.
const (
	// DefaultFirmwareMajor and DefaultFirmwareMinor are the firmware
	// version a Radio reports unless told otherwise: 1.82.
	DefaultFirmwareMajor = 1
	DefaultFirmwareMinor = 82
	// DefaultPlatform and DefaultMCU are an ESP32 board.
	DefaultPlatform = rnode.PlatformESP32
	DefaultMCU      = 0x81
	// DefaultMaxTXPower is the highest TX power the simulated modem
	// accepts, in dBm (an SX1262); higher settings are clamped, as the
	// firmware clamps them, and so echoed back lower.
	DefaultMaxTXPower = 22
	// DefaultRSSI and DefaultSNR are the signal values reported with every
	// received packet.
	DefaultRSSI = -60
	DefaultSNR  = 9.5
	// DefaultNoiseFloor is the noise floor reported in channel statistics.
	DefaultNoiseFloor = -110
	// DefaultPreamble is the preamble length in symbols.
	DefaultPreamble = 18
	// DefaultStatsInterval is how often a switched-on radio reports channel
	// statistics and modulation timing.
	DefaultStatsInterval = time.Second
)

// Queue sizes.
const (
	txQueueLen  = 16  // packets waiting for the air; more are dropped
	outQueueLen = 128 // frames waiting for the host; more are dropped
	maxSpans    = 4096
)

// Options configure a Radio. Zero values mean the defaults above.
type Options struct {
	// Name identifies the radio in logs.
	Name string
	// FirmwareMajor and FirmwareMinor are the reported firmware version;
	// both zero means DefaultFirmwareMajor.DefaultFirmwareMinor.
	FirmwareMajor, FirmwareMinor uint8
	// Platform and MCU are the reported platform and MCU codes.
	Platform, MCU uint8
	// MaxTXPower clamps the configured TX power, in dBm.
	MaxTXPower uint8
	// RSSI (dBm) and SNR (dB) are reported with every received packet.
	// Zero means the defaults; use a tiny non-zero SNR for 0 dB.
	RSSI int
	SNR  float64
	// NoiseFloor is the noise floor in dBm.
	NoiseFloor int
	// Preamble is the preamble length in symbols.
	Preamble int
	// StatsInterval is the period of the statistics reports; negative
	// disables them.
	StatsInterval time.Duration
	// Silent makes the radio ignore detect requests, as a device that is
	// not an RNode would.
	Silent bool
	// NoReady suppresses the ready report after transmissions, as
	// firmware that only answers ready queries does.
	NoReady bool
	// FailRadioInit makes every attempt to switch the radio on fail with
	// a radio initialisation error report.
	FailRadioInit bool
	// Logf, if set, receives events (never per-packet ones).
	Logf func(format string, args ...any)
}

// Radio is one simulated RNode: the device side of the RNode host protocol
// on a byte stream (Serve), attached to a Channel for its radio.
//
// It answers like RNode firmware: a detect request with the detect
// response, firmware version, platform and MCU queries with their values,
// every setting with an echo of the value it now uses (clamped as the
// firmware clamps it), radio state changes with the new state. Each
// received packet goes to the host preceded by its RSSI and SNR. While
// switched on, the radio reports channel statistics (its own airtime, the
// channel load, noise floor) and modulation timing every StatsInterval.
// After each transmission that empties its queue it sends CMD_READY, for
// hosts that use flow control.
type Radio struct {
	ch   *Channel
	opts Options
	txq  chan []byte
	out  chan []byte
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	// mu guards the following fields.
	mu             sync.Mutex
	freq, bw       uint32
	txp, sf, cr    uint8
	on             bool
	stLock, ltLock uint16
	rxPackets      uint32
	txPackets      uint32
	own, heard     []span // own transmissions, transmissions heard
	host           bool   // a host has the port open

	st struct {
		rx, tx, collisions, dropped, txDropped, hostFrames atomic.Uint64
	}
}

type span struct{ start, end time.Time }

// Stats are a Radio's counters.
type Stats struct {
	// RX and TX count packets received from and sent to the channel.
	RX, TX uint64
	// Collisions counts packets lost to overlapping transmissions.
	Collisions uint64
	// Dropped counts frames for the host lost to a full output queue or
	// an absent host; TXDropped counts packets lost to a full transmit
	// queue.
	Dropped, TXDropped uint64
	// HostFrames counts frames received from the host.
	HostFrames uint64
}

// NewRadio attaches a new radio to ch. It starts switched off and
// unconfigured, as firmware in host mode does; Close detaches it.
func NewRadio(ch *Channel, opts Options) *Radio {
	if opts.FirmwareMajor == 0 && opts.FirmwareMinor == 0 {
		opts.FirmwareMajor, opts.FirmwareMinor = DefaultFirmwareMajor, DefaultFirmwareMinor
	}
	if opts.Platform == 0 {
		opts.Platform = DefaultPlatform
	}
	if opts.MCU == 0 {
		opts.MCU = DefaultMCU
	}
	if opts.MaxTXPower == 0 {
		opts.MaxTXPower = DefaultMaxTXPower
	}
	if opts.RSSI == 0 {
		opts.RSSI = DefaultRSSI
	}
	if opts.SNR == 0 {
		opts.SNR = DefaultSNR
	}
	if opts.NoiseFloor == 0 {
		opts.NoiseFloor = DefaultNoiseFloor
	}
	if opts.Preamble == 0 {
		opts.Preamble = DefaultPreamble
	}
	if opts.StatsInterval == 0 {
		opts.StatsInterval = DefaultStatsInterval
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	r := &Radio{ch: ch, opts: opts, txp: 0xFF,
		txq: make(chan []byte, txQueueLen), out: make(chan []byte, outQueueLen), done: make(chan struct{})}
	ch.attach(r)
	r.wg.Add(1)
	go r.routineTransmit()
	if opts.StatsInterval > 0 {
		r.wg.Add(1)
		go r.routineStats()
	}
	return r
}

// Close detaches the radio from its channel and stops its goroutines. It
// does not close streams given to Serve; close those to end Serve. It is
// idempotent.
func (r *Radio) Close() error {
	r.once.Do(func() {
		r.ch.detach(r)
		close(r.done)
	})
	r.wg.Wait()
	return nil
}

// Stats returns the radio's counters.
func (r *Radio) Stats() Stats {
	return Stats{RX: r.st.rx.Load(), TX: r.st.tx.Load(), Collisions: r.st.collisions.Load(),
		Dropped: r.st.dropped.Load(), TXDropped: r.st.txDropped.Load(), HostFrames: r.st.hostFrames.Load()}
}

// Tuning returns the radio's current tuning and whether it is switched on.
func (r *Radio) Tuning() (Tuning, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tuningLocked(), r.on
}

func (r *Radio) tuningLocked() Tuning {
	return Tuning{Frequency: r.freq, Bandwidth: r.bw, SpreadingFactor: r.sf}
}

func (r *Radio) modulationLocked() Modulation {
	return Modulation{Bandwidth: r.bw, SpreadingFactor: r.sf, CodingRate: r.cr, Preamble: r.opts.Preamble}
}

// InjectError sends the host an error report with code, as firmware does
// when something fails.
func (r *Radio) InjectError(code rnode.DeviceError) {
	r.send(frame(rnode.CmdError, byte(code)))
}

// InjectReset sends the host the reset report firmware sends when it
// boots.
func (r *Radio) InjectReset() {
	r.send(frame(rnode.CmdReset, rnode.ResetMagic))
}

// Serve runs the device side of the protocol on rw until reading from it
// fails, and returns that error. A host is present while Serve runs; close
// rw to stop it.
func (r *Radio) Serve(rw io.ReadWriter) error { return r.serve(rw, false) }

// errPoll is how long ServeTerminal waits before reading again while no host
// has the pseudo-terminal open.
const errPoll = 20 * time.Millisecond

// ServeTerminal is Serve for the controlling side of a pseudo-terminal:
// a read failing with EIO means that no host has the device side open, and
// ServeTerminal keeps waiting for one, until another error (the
// controlling side closed) or Close.
func (r *Radio) ServeTerminal(master io.ReadWriter) error { return r.serve(master, true) }

func (r *Radio) serve(rw io.ReadWriter, pty bool) error {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.routineWrite(rw, stop)
	}()
	defer func() {
		r.setHost(false)
		close(stop)
		wg.Wait()
	}()
	if !pty {
		r.setHost(true)
	}
	var dec framing.KISSDecoder
	dec.MaxFrame = rnode.MaxFrame
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			r.setHost(true)
			for b := buf[:n]; len(b) > 0; {
				m, cmd, payload, derr := dec.Decode(b)
				b = b[m:]
				if derr == nil && payload != nil {
					r.st.hostFrames.Add(1)
					r.handle(cmd, payload)
				}
			}
			continue
		}
		if err == nil {
			continue
		}
		if pty && errors.Is(err, syscall.EIO) {
			if r.setHost(false) {
				dec.Reset()
				r.opts.Logf("rnode sim %s: host closed the port", r.opts.Name)
			}
			select {
			case <-r.done:
				return net.ErrClosed
			case <-time.After(errPoll):
			}
			continue
		}
		return err
	}
}

// setHost records whether a host is present and reports whether that
// changed.
func (r *Radio) setHost(present bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := r.host != present
	r.host = present
	if changed && present {
		r.opts.Logf("rnode sim %s: host attached", r.opts.Name)
	}
	return changed
}

func (r *Radio) hostPresent() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.host
}

// routineWrite writes frames for the host to rw until stop is closed.
func (r *Radio) routineWrite(w io.Writer, stop chan struct{}) {
	for {
		select {
		case f := <-r.out:
			if !r.hostPresent() {
				r.st.dropped.Add(1)
				continue
			}
			if _, err := w.Write(f); err != nil {
				r.st.dropped.Add(1)
			}
		case <-stop:
			return
		}
	}
}

// send queues frames for the host, dropping them if the queue is full.
func (r *Radio) send(f []byte) {
	select {
	case r.out <- f:
	default:
		r.st.dropped.Add(1)
	}
}

func frame(cmd byte, payload ...byte) []byte {
	return framing.AppendKISS(nil, cmd, payload)
}

func be32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }
func rd32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// handle acts on one frame from the host, as the firmware's serial
// callback does.
func (r *Radio) handle(cmd byte, v []byte) {
	arg := byte(0)
	if len(v) > 0 {
		arg = v[0]
	}
	r.mu.Lock()
	var reply []byte
	switch cmd {
	case rnode.CmdData:
		r.mu.Unlock()
		if len(v) == 0 || len(v) > rnode.DataMTU {
			r.st.txDropped.Add(1)
			return
		}
		select {
		case r.txq <- append([]byte(nil), v...):
		default:
			r.st.txDropped.Add(1)
		}
		return
	case rnode.CmdDetect:
		if arg == rnode.DetectReq && !r.opts.Silent {
			reply = frame(rnode.CmdDetect, rnode.DetectResp)
		}
	case rnode.CmdFWVersion:
		if !r.opts.Silent {
			reply = frame(rnode.CmdFWVersion, r.opts.FirmwareMajor, r.opts.FirmwareMinor)
		}
	case rnode.CmdPlatform:
		if !r.opts.Silent {
			reply = frame(rnode.CmdPlatform, r.opts.Platform)
		}
	case rnode.CmdMCU:
		if !r.opts.Silent {
			reply = frame(rnode.CmdMCU, r.opts.MCU)
		}
	case rnode.CmdFrequency:
		if len(v) >= 4 {
			if f := rd32(v); f != 0 {
				r.freq = f
			}
			reply = frame(rnode.CmdFrequency, be32(r.freq)...)
		}
	case rnode.CmdBandwidth:
		if len(v) >= 4 {
			if bw := rd32(v); bw != 0 {
				r.bw = bw
			}
			reply = frame(rnode.CmdBandwidth, be32(r.bw)...)
		}
	case rnode.CmdTXPower:
		if arg != 0xFF {
			r.txp = min(arg, r.opts.MaxTXPower)
		}
		reply = frame(rnode.CmdTXPower, r.txp)
	case rnode.CmdSF:
		if arg != 0xFF {
			r.sf = min(max(arg, rnode.SFMin), rnode.SFMax)
		}
		reply = frame(rnode.CmdSF, r.sf)
	case rnode.CmdCR:
		if arg != 0xFF {
			r.cr = min(max(arg, rnode.CRMin), rnode.CRMax)
		}
		reply = frame(rnode.CmdCR, r.cr)
	case rnode.CmdRadioState:
		switch arg {
		case rnode.RadioStateOff:
			r.on = false
		case rnode.RadioStateOn:
			reply = r.startLocked()
		}
		state := byte(rnode.RadioStateOff)
		if r.on {
			state = rnode.RadioStateOn
		}
		reply = append(reply, frame(rnode.CmdRadioState, state)...)
	case rnode.CmdRadioLock:
		lock := byte(0)
		if r.lockedLocked() {
			lock = 1
		}
		reply = frame(rnode.CmdRadioLock, lock)
	case rnode.CmdSTALock, rnode.CmdLTALock:
		if len(v) >= 2 {
			at := uint16(v[0])<<8 | uint16(v[1])
			if at >= 10000 {
				at = 0 // 100 % or more means no limit
			}
			if cmd == rnode.CmdSTALock {
				r.stLock = at
			} else {
				r.ltLock = at
			}
			reply = frame(cmd, be16(at)...)
		}
	case rnode.CmdStatRX:
		reply = frame(rnode.CmdStatRX, be32(r.rxPackets)...)
	case rnode.CmdStatTX:
		reply = frame(rnode.CmdStatTX, be32(r.txPackets)...)
	case rnode.CmdStatRSSI:
		reply = frame(rnode.CmdStatRSSI, rssiByte(r.opts.NoiseFloor))
	case rnode.CmdRandom:
		reply = frame(rnode.CmdRandom, byte(rand.UintN(256)))
	case rnode.CmdReady:
		state := byte(1)
		if len(r.txq) >= cap(r.txq) {
			state = 0
		}
		reply = frame(rnode.CmdReady, state)
	case rnode.CmdLeave:
		r.opts.Logf("rnode sim %s: host left", r.opts.Name)
	case rnode.CmdReset:
		if arg == rnode.ResetMagic {
			r.on = false
			r.freq, r.bw, r.txp, r.sf, r.cr = 0, 0, 0xFF, 0, 0
			reply = frame(rnode.CmdReset, rnode.ResetMagic)
		}
	case rnode.CmdFBRead:
		if arg != 0 {
			reply = frame(rnode.CmdFBRead, make([]byte, 512)...)
		}
	case rnode.CmdDispRead:
		if arg != 0 {
			reply = frame(rnode.CmdDispRead, make([]byte, 1024)...)
		}
	}
	r.mu.Unlock()
	if reply != nil {
		r.send(reply)
	}
}

// lockedLocked reports whether the radio lacks a setting it needs to
// start, as the firmware's radio lock does.
func (r *Radio) lockedLocked() bool {
	return r.freq == 0 || r.bw == 0 || r.txp == 0xFF || r.sf == 0
}

// startLocked switches the radio on, returning the frames to report
// beyond the radio state.
func (r *Radio) startLocked() []byte {
	if r.on || r.lockedLocked() {
		return nil
	}
	if r.opts.FailRadioInit {
		return frame(rnode.CmdError, byte(rnode.ErrInitRadio))
	}
	if r.cr == 0 {
		r.cr = rnode.CRMin
	}
	r.on = true
	r.opts.Logf("rnode sim %s: radio on at %d Hz, %d Hz, SF%d, CR4/%d, %d dBm",
		r.opts.Name, r.freq, r.bw, r.sf, r.cr, r.txp)
	return r.phyFrameLocked()
}

// phyFrameLocked builds the modulation timing report.
func (r *Radio) phyFrameLocked() []byte {
	m := r.modulationLocked()
	symMs := m.symbolSeconds() * 1000
	slot := max(math.Ceil(symMs*2), 1)
	p := make([]byte, 0, 12)
	p = append(p, be16(clamp16(symMs*1000))...)
	p = append(p, be16(clamp16(1000/symMs))...)
	p = append(p, be16(uint16(r.opts.Preamble))...)
	p = append(p, be16(clamp16((float64(r.opts.Preamble)+4.25)*symMs))...)
	p = append(p, be16(clamp16(slot))...)
	p = append(p, be16(clamp16(2*slot))...)
	return frame(rnode.CmdStatPHY, p...)
}

func clamp16(v float64) uint16 {
	switch {
	case !(v >= 0):
		return 0
	case v > math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(v)
}

func rssiByte(dbm int) byte {
	return byte(min(max(dbm+rnode.RSSIOffset, 0), 255))
}

// hear is called by the channel for every transmission that ended while r
// was attached.
func (r *Radio) hear(tx *transmission, payload []byte, collided bool) {
	r.mu.Lock()
	if !r.on || r.tuningLocked() != tx.tuning {
		r.mu.Unlock()
		return
	}
	r.heard = addSpan(r.heard, span{tx.start, tx.end})
	if collided {
		r.mu.Unlock()
		r.st.collisions.Add(1)
		return
	}
	r.rxPackets++
	r.mu.Unlock()
	r.st.rx.Add(1)
	f := frame(rnode.CmdStatRSSI, rssiByte(r.opts.RSSI))
	f = framing.AppendKISS(f, rnode.CmdStatSNR, []byte{byte(int8(max(min(r.opts.SNR*4, 127), -128)))})
	f = rnode.AppendData(f, payload)
	r.send(f)
}

func addSpan(s []span, x span) []span {
	if len(s) >= maxSpans {
		s = append(s[:0], s[len(s)/2:]...)
	}
	return append(s, x)
}

// routineTransmit puts queued packets on the air, one at a time.
func (r *Radio) routineTransmit() {
	defer r.wg.Done()
	for {
		select {
		case p := <-r.txq:
			r.transmit(p)
		case <-r.done:
			return
		}
	}
}

// sleep waits d or until Close, reporting whether it waited the whole d.
func (r *Radio) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.done:
		return false
	}
}

// maxCSMAWaits bounds how often one packet defers to a busy channel.
const maxCSMAWaits = 64

func (r *Radio) transmit(p []byte) {
	r.mu.Lock()
	on, tuning, mod := r.on, r.tuningLocked(), r.modulationLocked()
	r.mu.Unlock()
	if !on {
		r.send(frame(rnode.CmdError, byte(rnode.ErrTXFailed)))
		return
	}
	// Airtime limits hold transmissions back, as the firmware's airtime
	// lock does.
	for r.airtimeLocked(time.Now()) {
		if !r.sleep(100 * time.Millisecond) {
			return
		}
	}
	// Carrier sense: wait for the channel to go idle, then a random
	// number of slots.
	slot := 2 * mod.SymbolTime()
	for range maxCSMAWaits {
		until := r.ch.busyUntil(r, tuning, time.Now())
		if until.IsZero() {
			break
		}
		if !r.sleep(time.Until(until) + time.Duration(rand.IntN(4))*slot) {
			return
		}
	}
	air := mod.PacketAirtime(len(p))
	tx := r.ch.begin(r, tuning, time.Now(), air)
	if !r.sleep(air) {
		return
	}
	r.ch.end(tx, p)
	r.st.tx.Add(1)
	r.mu.Lock()
	r.txPackets++
	r.own = addSpan(r.own, span{tx.start, tx.end})
	r.mu.Unlock()
	if len(r.txq) == 0 && !r.opts.NoReady {
		r.send(frame(rnode.CmdReady, 0x01))
	}
}

// Airtime windows, as the firmware's: short term about 15 s, long term an
// hour.
const (
	shortWindow = 15 * time.Second
	longWindow  = time.Hour
)

// share returns the part of window before now covered by spans, in
// hundredths of a percent.
func share(spans []span, now time.Time, window time.Duration) uint16 {
	from := now.Add(-window)
	var busy time.Duration
	for _, s := range spans {
		st, en := s.start, s.end
		if en.Before(from) {
			continue
		}
		if st.Before(from) {
			st = from
		}
		if en.After(now) {
			en = now
		}
		if en.After(st) {
			busy += en.Sub(st)
		}
	}
	return uint16(min(float64(busy)/float64(window)*10000, 10000))
}

func (r *Radio) airtimeLocked(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stLock != 0 && share(r.own, now, shortWindow) >= r.stLock {
		return true
	}
	return r.ltLock != 0 && share(r.own, now, longWindow) >= r.ltLock
}

// routineStats reports channel statistics and modulation timing while the
// radio is on.
func (r *Radio) routineStats() {
	defer r.wg.Done()
	t := time.NewTicker(r.opts.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.done:
			return
		}
		now := time.Now()
		r.mu.Lock()
		if !r.on || !r.host {
			r.mu.Unlock()
			continue
		}
		r.own = prune(r.own, now)
		r.heard = prune(r.heard, now)
		all := append(append([]span(nil), r.own...), r.heard...)
		p := make([]byte, 0, 11)
		p = append(p, be16(share(r.own, now, shortWindow))...)
		p = append(p, be16(share(r.own, now, longWindow))...)
		p = append(p, be16(share(all, now, shortWindow))...)
		p = append(p, be16(share(all, now, longWindow))...)
		p = append(p, rssiByte(r.opts.NoiseFloor), rssiByte(r.opts.NoiseFloor), 0xFF)
		f := frame(rnode.CmdStatChannel, p...)
		f = append(f, r.phyFrameLocked()...)
		f = framing.AppendKISS(f, rnode.CmdStatCSMA, []byte{0, 0, 8})
		r.mu.Unlock()
		r.send(f)
	}
}

// prune drops spans that ended before the long window.
func prune(s []span, now time.Time) []span {
	i := 0
	for i < len(s) && now.Sub(s[i].end) > longWindow {
		i++
	}
	return append(s[:0], s[i:]...)
}
