package serial

import (
	"errors"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrBadConfig reports a configuration value that cannot be used.
	ErrBadConfig = errors.New("serial: bad configuration")
	// ErrTooLarge is returned by Send for a packet longer than HWMTU.
	ErrTooLarge = errors.New("serial: packet too large")
)

// Reference values of the SerialInterface.
const (
	// HWMTU is the largest frame, in bytes, the reference's serial reader
	// takes (HW_MTU): Reticulum's 500-byte MTU plus the largest IFAC.
	HWMTU = 564
	// DefaultIFACSize is the IFAC size, in bytes, the reference gives
	// serial interfaces (DEFAULT_IFAC_SIZE).
	DefaultIFACSize = 8
	// DefaultSettle is how long the reference waits after opening the
	// port before using it (configure_device sleeps 0.5 s).
	DefaultSettle = 500 * time.Millisecond
	// MinBitrate is the smallest configurable bitrate
	// (RNS.Reticulum.MINIMUM_BITRATE).
	MinBitrate = 5
)

// Config configures an Interface. The zero value of every field but Port.Path
// means the reference's default.
type Config struct {
	// Name is the interface's name.
	Name string
	// Mode is the interface mode; 0 means iface.ModeFull.
	Mode iface.Mode
	// Port is the serial device and its settings (port, speed, databits,
	// parity, stopbits).
	Port PortConfig
	// Bitrate overrides the bitrate, which is otherwise the port speed
	// (bitrate).
	Bitrate int64
	// Settle is the wait after opening the port before using it; 0 means
	// DefaultSettle and a negative value means none.
	Settle time.Duration
	// Retry is the delay between attempts to reopen a port that went
	// away; 0 means DefaultRetry.
	Retry time.Duration
	// WaitForDevice makes New succeed even if the device is missing: the
	// interface starts down (Receive blocks, Send returns ErrDown) and
	// opens the port when it appears, polling every Retry. Without it,
	// New fails, as the reference does.
	WaitForDevice bool
	// Open opens the port; nil means OpenPort. Tests and device
	// simulators supply their own.
	Open func(PortConfig) (Port, error)
	// Logf, if set, receives interface events (never per-packet ones).
	Logf func(format string, args ...any)
}

// settings are a Config with defaults applied and values checked.
type settings struct {
	name    string
	mode    iface.Mode
	bitrate int64
	line    LineConfig
	logf    func(format string, args ...any)
}

func (c *Config) settings() (settings, error) {
	s := settings{name: c.Name, mode: c.Mode, bitrate: c.Bitrate, logf: c.Logf}
	if s.mode == 0 {
		s.mode = iface.ModeFull
	}
	if _, ok := iface.ParseMode(s.mode.String()); !ok {
		return s, fmt.Errorf("%w: mode %v", ErrBadConfig, s.mode)
	}
	pc, err := c.Port.Normalized()
	if err != nil {
		return s, err
	}
	if s.bitrate == 0 {
		s.bitrate = int64(pc.Speed)
	}
	if s.bitrate < MinBitrate {
		return s, fmt.Errorf("%w: bitrate %d below %d", ErrBadConfig, s.bitrate, MinBitrate)
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
	if c.Retry < 0 {
		return s, fmt.Errorf("%w: negative retry delay", ErrBadConfig)
	}
	s.line = LineConfig{Name: c.Name, Port: pc, Settle: settle, Retry: c.Retry, WaitForDevice: c.WaitForDevice, Open: c.Open, Logf: s.logf}
	return s, nil
}
