package serial

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	bugst "go.bug.st/serial"
)

// Port settings the reference uses when a key is absent.
const (
	// DefaultSpeed is the reference's serial speed in baud (speed).
	DefaultSpeed = 9600
	// DefaultDataBits is the reference's character size (databits).
	DefaultDataBits = 8
	// DefaultStopBits is the reference's number of stop bits (stopbits).
	DefaultStopBits = 1
)

// Parity is a serial port's parity setting.
type Parity uint8

// Parity settings. The reference knows these three (parity = N, E or O).
const (
	ParityNone Parity = iota
	ParityEven
	ParityOdd
)

// String returns the parity's configuration name.
func (p Parity) String() string {
	switch p {
	case ParityNone:
		return "none"
	case ParityEven:
		return "even"
	case ParityOdd:
		return "odd"
	}
	return "Parity(" + strconv.Itoa(int(p)) + ")"
}

// ParseParity returns the parity for a configuration value: "", "n" or
// "none"; "e" or "even"; "o" or "odd", in any case, as the reference reads
// its parity key.
func ParseParity(s string) (Parity, bool) {
	switch strings.ToLower(s) {
	case "", "n", "none":
		return ParityNone, true
	case "e", "even":
		return ParityEven, true
	case "o", "odd":
		return ParityOdd, true
	}
	return 0, false
}

// PortConfig names a serial device and its line settings. The zero value
// of every field but Path means the reference's default.
type PortConfig struct {
	// Path is the device, such as /dev/ttyUSB0 (port). It is opened anew
	// on every reconnect, so a symlink (a udev by-id name) follows the
	// device when it comes back under another name.
	Path string
	// Speed is the speed in baud (speed); 0 means DefaultSpeed.
	Speed int
	// DataBits is the character size, 5 to 8 (databits); 0 means
	// DefaultDataBits.
	DataBits int
	// Parity is the parity (parity).
	Parity Parity
	// StopBits is 1 or 2 (stopbits); 0 means DefaultStopBits.
	StopBits int
}

// Normalized returns c with defaults applied, or an error wrapping
// ErrBadConfig for a value out of range.
func (c PortConfig) Normalized() (PortConfig, error) {
	if c.Path == "" {
		return c, fmt.Errorf("%w: no port (serial device) given", ErrBadConfig)
	}
	if c.Speed == 0 {
		c.Speed = DefaultSpeed
	}
	if c.DataBits == 0 {
		c.DataBits = DefaultDataBits
	}
	if c.StopBits == 0 {
		c.StopBits = DefaultStopBits
	}
	switch {
	case c.Speed < 0:
		return c, fmt.Errorf("%w: speed %d is negative", ErrBadConfig, c.Speed)
	case c.DataBits < 5 || c.DataBits > 8:
		return c, fmt.Errorf("%w: databits %d outside 5..8", ErrBadConfig, c.DataBits)
	case c.StopBits != 1 && c.StopBits != 2:
		return c, fmt.Errorf("%w: stopbits %d is not 1 or 2", ErrBadConfig, c.StopBits)
	case c.Parity > ParityOdd:
		return c, fmt.Errorf("%w: parity %v", ErrBadConfig, c.Parity)
	}
	return c, nil
}

// Port is the part of an open serial port the drivers use. The ports
// OpenPort returns (go.bug.st/serial) satisfy it; tests may supply others
// through LineConfig.Open.
//
// Close must unblock a Read in progress, and Read must return an error
// once the device has gone away. A Read that times out returns 0, nil.
type Port interface {
	io.ReadWriteCloser
	// SetReadTimeout bounds every later Read.
	SetReadTimeout(time.Duration) error
}

// OpenPort opens the device c names with c's line settings, in raw mode,
// without hardware or software flow control, as the reference opens its
// ports (pyserial with xonxoff, rtscts and dsrdtr off).
func OpenPort(c PortConfig) (Port, error) {
	c, err := c.Normalized()
	if err != nil {
		return nil, err
	}
	m := &bugst.Mode{BaudRate: c.Speed, DataBits: c.DataBits, Parity: bugst.NoParity, StopBits: bugst.OneStopBit}
	switch c.Parity {
	case ParityEven:
		m.Parity = bugst.EvenParity
	case ParityOdd:
		m.Parity = bugst.OddParity
	}
	if c.StopBits == 2 {
		m.StopBits = bugst.TwoStopBits
	}
	p, err := bugst.Open(c.Path, m)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c.Path, err)
	}
	return p, nil
}
