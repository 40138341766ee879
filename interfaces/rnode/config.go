package rnode

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// ErrInvalidConfig is wrapped by Config.Validate for every parameter out of
// the range the reference accepts.
var ErrInvalidConfig = errors.New("rnode: invalid radio configuration")

// Driver defaults and reference values.
const (
	// DefaultIFACSize is the IFAC size, in bytes, the reference gives RNode
	// interfaces (DEFAULT_IFAC_SIZE).
	DefaultIFACSize = 8
	// CallsignMaxLen is the longest station identification, in bytes
	// (CALLSIGN_MAX_LEN).
	CallsignMaxLen = 32
	// MinBitrate is the smallest configurable bitrate
	// (RNS.Reticulum.MINIMUM_BITRATE).
	MinBitrate = 5
	// BaudRate is the serial speed of every RNode.
	BaudRate = 115200
	// DefaultReconnectWait is the pause before each attempt to reopen a
	// lost or failed port (RECONNECT_WAIT).
	DefaultReconnectWait = 5 * time.Second
	// DefaultBootDelay is how long the driver waits after opening the port
	// before talking to the device: boards that reset when the port opens
	// need it to boot. The reference waits 2 s.
	DefaultBootDelay = 2 * time.Second
	// DefaultDetectTimeout bounds the wait for the answers to the detect
	// request. The reference sleeps 200 ms and looks once; the driver goes
	// on as soon as the answers are in.
	DefaultDetectTimeout = 2 * time.Second
	// DefaultValidateTimeout bounds the wait for the device's echoes of
	// the radio configuration. The reference sleeps 250 ms and compares
	// once; the driver compares as soon as every echo is in.
	DefaultValidateTimeout = 2 * time.Second
	// DefaultReadyTimeout is how long flow control waits for the device's
	// ready report before sending the next packet anyway. The reference
	// waits forever; a lost report would stall it until reconnected.
	DefaultReadyTimeout = 10 * time.Second
	// StallTimeout is the silence after which a frame cut short is
	// discarded (the reference's 100 ms serial read timeout).
	StallTimeout = 100 * time.Millisecond
)

// Port is an open connection to a device: a serial port, or a test's end
// of a pipe. Close must unblock a pending Read.
type Port = io.ReadWriteCloser

// Config configures an RNode interface: the port, the radio, and the
// driver's behaviour. AppendInitRadio reads only the radio fields.
type Config struct {
	// Name is the interface's name.
	Name string
	// Port is the serial device of the RNode (port), such as
	// /dev/ttyUSB0.
	Port string
	// Mode is the interface mode; 0 means iface.ModeFull.
	Mode iface.Mode

	// Frequency is the carrier frequency in Hz, FrequencyMin..FrequencyMax.
	Frequency uint32
	// Bandwidth is the channel bandwidth in Hz, BandwidthMin..BandwidthMax.
	Bandwidth uint32
	// TXPower is the transmit power in dBm, 0..TXPowerMax.
	TXPower uint8
	// SpreadingFactor is the LoRa spreading factor, SFMin..SFMax.
	SpreadingFactor uint8
	// CodingRate is the LoRa coding rate denominator, CRMin..CRMax.
	CodingRate uint8
	// STALock is the short-term airtime limit in percent (0..100), or nil
	// to leave the device's setting alone (airtime_limit_short).
	STALock *float64
	// LTALock is the long-term airtime limit in percent (0..100), or nil
	// to leave the device's setting alone (airtime_limit_long).
	LTALock *float64

	// Bitrate overrides the on-air bitrate derived from the LoRa
	// parameters, in bits per second (bitrate); 0 means derived.
	Bitrate int64
	// FlowControl sends one packet at a time, each after the device
	// reported it ready for the next (flow_control).
	FlowControl bool
	// IDCallsign is the station identification transmitted IDInterval
	// after the first transmission since the last identification
	// (id_callsign, at most CallsignMaxLen bytes). Both must be set.
	IDCallsign string
	// IDInterval is the identification interval (id_interval).
	IDInterval time.Duration

	// ReconnectWait is the pause before each attempt to reopen the port;
	// 0 means DefaultReconnectWait.
	ReconnectWait time.Duration
	// BootDelay is the wait after opening the port before detecting; 0
	// means DefaultBootDelay, negative means none.
	BootDelay time.Duration
	// DetectTimeout and ValidateTimeout bound the waits for the detect
	// answers and the configuration echoes; 0 means the defaults.
	DetectTimeout, ValidateTimeout time.Duration
	// ReadyTimeout bounds flow control's wait for a ready report; 0 means
	// DefaultReadyTimeout, negative means forever, as the reference.
	ReadyTimeout time.Duration
	// Open opens the port; nil opens Port as a serial port at BaudRate,
	// 8N1, no flow control.
	Open func(port string) (Port, error)
	// Logf, if set, receives connection events and device reports, never
	// per-packet ones.
	Logf func(format string, args ...any)
}

// Validate checks every parameter against the ranges the reference
// accepts, and returns an error wrapping ErrInvalidConfig for the first one
// out of range.
func (c *Config) Validate() error {
	switch {
	case c.Frequency < FrequencyMin || c.Frequency > FrequencyMax:
		return fmt.Errorf("frequency %d Hz outside %d..%d: %w", c.Frequency, uint32(FrequencyMin), uint32(FrequencyMax), ErrInvalidConfig)
	case c.Bandwidth < BandwidthMin || c.Bandwidth > BandwidthMax:
		return fmt.Errorf("bandwidth %d Hz outside %d..%d: %w", c.Bandwidth, BandwidthMin, BandwidthMax, ErrInvalidConfig)
	case c.TXPower > TXPowerMax:
		return fmt.Errorf("TX power %d dBm above %d: %w", c.TXPower, TXPowerMax, ErrInvalidConfig)
	case c.SpreadingFactor < SFMin || c.SpreadingFactor > SFMax:
		return fmt.Errorf("spreading factor %d outside %d..%d: %w", c.SpreadingFactor, SFMin, SFMax, ErrInvalidConfig)
	case c.CodingRate < CRMin || c.CodingRate > CRMax:
		return fmt.Errorf("coding rate %d outside %d..%d: %w", c.CodingRate, CRMin, CRMax, ErrInvalidConfig)
	case !validPercent(c.STALock):
		return fmt.Errorf("short-term airtime limit %v%% outside 0..100: %w", *c.STALock, ErrInvalidConfig)
	case !validPercent(c.LTALock):
		return fmt.Errorf("long-term airtime limit %v%% outside 0..100: %w", *c.LTALock, ErrInvalidConfig)
	case len(c.IDCallsign) > CallsignMaxLen:
		return fmt.Errorf("ID callsign of %d bytes longer than %d: %w", len(c.IDCallsign), CallsignMaxLen, ErrInvalidConfig)
	case c.IDInterval < 0:
		return fmt.Errorf("negative ID interval %v: %w", c.IDInterval, ErrInvalidConfig)
	case c.Bitrate != 0 && c.Bitrate < MinBitrate:
		return fmt.Errorf("bitrate %d below %d: %w", c.Bitrate, MinBitrate, ErrInvalidConfig)
	}
	if c.Mode != 0 {
		if _, ok := iface.ParseMode(c.Mode.String()); !ok {
			return fmt.Errorf("mode %v: %w", c.Mode, ErrInvalidConfig)
		}
	}
	return nil
}

func validPercent(p *float64) bool {
	return p == nil || (*p >= 0 && *p <= 100 && !math.IsNaN(*p))
}

// LoRaBitrate returns the on-air bitrate, in bits per second, of a LoRa
// channel, by the reference's formula (updateBitrate):
// sf * ((4/cr) / (2^sf / (bw/1000))) * 1000. It returns 0 for parameters
// that give no rate.
func LoRaBitrate(bandwidth uint32, sf, cr uint8) float64 {
	if cr == 0 || bandwidth == 0 || sf > 63 {
		return 0
	}
	symbols := float64(uint64(1) << sf)
	return float64(sf) * ((4.0 / float64(cr)) / (symbols / (float64(bandwidth) / 1000))) * 1000
}
