package kiss

import (
	"errors"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/rns/iface"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrBadConfig reports a configuration value that cannot be used. It
	// is serial.ErrBadConfig, since port settings are checked there.
	ErrBadConfig = serial.ErrBadConfig
	// ErrDown is returned by Send while the port is down and being
	// reopened. It is serial.ErrDown.
	ErrDown = serial.ErrDown
	// ErrTooLarge is returned by Send for a packet longer than HWMTU.
	ErrTooLarge = errors.New("kiss: packet too large")
	// ErrQueueFull is returned by Send when Config.QueueLen packets are
	// already waiting for the TNC.
	ErrQueueFull = errors.New("kiss: send queue full")
)

// Reference values of the KISSInterface.
const (
	// HWMTU is the largest packet, in bytes, the reference's KISS reader
	// takes (HW_MTU): Reticulum's 500-byte MTU plus the largest IFAC.
	HWMTU = 564
	// DefaultIFACSize is the IFAC size, in bytes, the reference gives KISS
	// interfaces (DEFAULT_IFAC_SIZE).
	DefaultIFACSize = 8
	// DefaultBitrate is the reference's bitrate guess for a KISS TNC
	// (BITRATE_GUESS); a typical AFSK packet radio runs at 1200 baud.
	DefaultBitrate = 1200
	// DefaultSettle is how long the reference waits after opening the
	// port before configuring the TNC ("allow time for interface to
	// initialise": 2 s).
	DefaultSettle = 2 * time.Second
	// DefaultFlowControlTimeout is how long, with flow control, the
	// driver waits for the TNC's ready report before sending the next
	// frame anyway (flow_control_timeout).
	DefaultFlowControlTimeout = 5 * time.Second
	// DefaultQueueLen bounds the packets waiting for the TNC. The
	// reference's queue is unbounded.
	DefaultQueueLen = 64
	// IDMinLen is the length the station ID frame is padded to with zero
	// bytes, as the reference pads its beacon.
	IDMinLen = 15
	// MinBitrate is the smallest configurable bitrate
	// (RNS.Reticulum.MINIMUM_BITRATE).
	MinBitrate = 5
)

// TNC holds the channel access parameters sent to the TNC after the port
// opens. Times are sent in the TNC's 10 ms units, truncated and clamped
// to 0..2550 ms; Persistence is clamped to 0..255.
type TNC struct {
	// Preamble is the transmit delay, keying the transmitter before the
	// data (preamble, KISS TXDELAY).
	Preamble time.Duration
	// TXTail keeps the transmitter keyed after the data (txtail).
	TXTail time.Duration
	// Persistence is the CSMA p-persistence, 0..255 (persistence).
	Persistence int
	// SlotTime is the CSMA slot time (slottime).
	SlotTime time.Duration
}

// DefaultTNC returns the reference's TNC parameters: a 350 ms preamble,
// a 20 ms tail, persistence 64 and a 20 ms slot time.
func DefaultTNC() TNC {
	return TNC{Preamble: 350 * time.Millisecond, TXTail: 20 * time.Millisecond, Persistence: 64, SlotTime: 20 * time.Millisecond}
}

// AppendCommands appends the command frames the reference writes to a TNC
// after opening its port, in its order: TXDELAY, TXTAIL, persistence,
// SLOTTIME, and the flow control command, which it writes whether flow
// control is configured or not.
func (t TNC) AppendCommands(dst []byte) []byte {
	dst = framing.AppendKISSTXDelay(dst, int(t.Preamble/time.Millisecond))
	dst = framing.AppendKISSTXTail(dst, int(t.TXTail/time.Millisecond))
	dst = framing.AppendKISSPersistence(dst, t.Persistence)
	dst = framing.AppendKISSSlotTime(dst, int(t.SlotTime/time.Millisecond))
	return framing.AppendKISSFlowControl(dst)
}

// Config configures an Interface. The zero value of every field but
// Port.Path means the reference's default.
type Config struct {
	// Name is the interface's name.
	Name string
	// Mode is the interface mode; 0 means iface.ModeFull.
	Mode iface.Mode
	// Port is the serial device and its settings (port, speed, databits,
	// parity, stopbits).
	Port serial.PortConfig
	// Bitrate is the radio channel's rate in bits per second (bitrate);
	// 0 means DefaultBitrate. The serial speed says nothing about it.
	Bitrate int64
	// TNC holds the parameters sent to the TNC; nil means DefaultTNC.
	TNC *TNC
	// FlowControl waits for the TNC's ready report after each frame before
	// sending the next (flow_control).
	FlowControl bool
	// FlowControlTimeout is how long to wait for the ready report before
	// sending anyway; 0 means DefaultFlowControlTimeout.
	FlowControlTimeout time.Duration
	// IDCallsign is the station identification sent every IDInterval if
	// the station transmitted since the last one (id_callsign), padded
	// with zero bytes to IDMinLen.
	IDCallsign string
	// IDInterval is the station identification interval (id_interval); 0
	// turns identification off.
	IDInterval time.Duration
	// QueueLen bounds the packets waiting to be sent; 0 means
	// DefaultQueueLen.
	QueueLen int
	// Settle is the wait after opening the port before configuring the
	// TNC; 0 means DefaultSettle and a negative value means none.
	Settle time.Duration
	// Retry is the delay between attempts to reopen a port that went
	// away; 0 means serial.DefaultRetry.
	Retry time.Duration
	// WaitForDevice makes New succeed even if the device is missing: the
	// interface starts down (Receive blocks, Send returns ErrDown) and
	// opens the port when it appears, polling every Retry. Without it,
	// New fails, as the reference does.
	WaitForDevice bool
	// Open opens the port; nil means serial.OpenPort. Tests and device
	// simulators supply their own.
	Open func(serial.PortConfig) (serial.Port, error)
	// Logf, if set, receives interface events (never per-packet ones).
	Logf func(format string, args ...any)
}

// settings are a Config with defaults applied and values checked.
type settings struct {
	name      string
	mode      iface.Mode
	bitrate   int64
	tnc       TNC
	flow      bool
	flowTO    time.Duration
	id        []byte // the padded station ID frame payload; nil when off
	idEvery   time.Duration
	queueLen  int
	line      serial.LineConfig
	logf      func(format string, args ...any)
	setupCmds []byte
}

func (c *Config) settings() (settings, error) {
	s := settings{name: c.Name, mode: c.Mode, bitrate: c.Bitrate, flow: c.FlowControl, flowTO: c.FlowControlTimeout,
		idEvery: c.IDInterval, queueLen: c.QueueLen, logf: c.Logf}
	if s.mode == 0 {
		s.mode = iface.ModeFull
	}
	if _, ok := iface.ParseMode(s.mode.String()); !ok {
		return s, fmt.Errorf("%w: mode %v", ErrBadConfig, s.mode)
	}
	if s.bitrate == 0 {
		s.bitrate = DefaultBitrate
	}
	if s.bitrate < MinBitrate {
		return s, fmt.Errorf("%w: bitrate %d below %d", ErrBadConfig, s.bitrate, MinBitrate)
	}
	s.tnc = DefaultTNC()
	if c.TNC != nil {
		s.tnc = *c.TNC
	}
	s.setupCmds = s.tnc.AppendCommands(nil)
	if s.flowTO == 0 {
		s.flowTO = DefaultFlowControlTimeout
	}
	if s.queueLen == 0 {
		s.queueLen = DefaultQueueLen
	}
	if s.flowTO < 0 || s.queueLen < 0 || s.idEvery < 0 || c.Retry < 0 {
		return s, fmt.Errorf("%w: negative flow control timeout, queue length, ID interval or retry delay", ErrBadConfig)
	}
	if len(c.IDCallsign) > HWMTU {
		return s, fmt.Errorf("%w: ID callsign longer than %d bytes", ErrBadConfig, HWMTU)
	}
	if s.idEvery > 0 {
		s.id = make([]byte, max(IDMinLen, len(c.IDCallsign)))
		copy(s.id, c.IDCallsign)
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	settle := c.Settle
	switch {
	case settle == 0:
		settle = DefaultSettle
	case settle < 0:
		settle = 0
	}
	s.line = serial.LineConfig{Name: c.Name, Port: c.Port, Settle: settle, Retry: c.Retry, WaitForDevice: c.WaitForDevice,
		Open: c.Open, Logf: s.logf}
	return s, nil
}
