//go:build linux

// Package ptypair opens pseudo-terminal pairs for tests and simulators:
// the controlling side is an *os.File the test (or a device simulator)
// reads and writes, the other side is a path that a serial driver opens as
// if it were a real serial port (/dev/pts/N). It uses only the standard
// library's syscall package.
package ptypair

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// Pair is an open pseudo-terminal: Master is the controlling side, Path
// names the device a driver opens.
type Pair struct {
	Master *os.File
	Path   string
}

// Open allocates a new pseudo-terminal, unlocks it and puts its device
// side into raw mode, so that bytes pass unchanged in both directions.
func Open() (*Pair, error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ptypair: open /dev/ptmx: %w", err)
	}
	fd := m.Fd()
	var unlock int32
	if err := ioctl(fd, syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); err != nil {
		m.Close()
		return nil, fmt.Errorf("ptypair: unlock: %w", err)
	}
	var n uint32
	if err := ioctl(fd, syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); err != nil {
		m.Close()
		return nil, fmt.Errorf("ptypair: pts number: %w", err)
	}
	p := &Pair{Master: m, Path: "/dev/pts/" + strconv.FormatUint(uint64(n), 10)}
	if err := p.rawSlave(); err != nil {
		m.Close()
		return nil, err
	}
	return p, nil
}

// rawSlave clears echo, line editing and output processing on the device
// side, which a terminal has on by default and which would corrupt binary
// framing until the driver sets its own attributes.
func (p *Pair) rawSlave() error {
	s, err := os.OpenFile(p.Path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("ptypair: open %s: %w", p.Path, err)
	}
	defer s.Close()
	var t syscall.Termios
	if err := ioctl(s.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t))); err != nil {
		return fmt.Errorf("ptypair: get attributes: %w", err)
	}
	t.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP | syscall.INLCR | syscall.IGNCR | syscall.ICRNL | syscall.IXON
	t.Oflag &^= syscall.OPOST
	t.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
	t.Cflag &^= syscall.CSIZE | syscall.PARENB
	t.Cflag |= syscall.CS8
	t.Cc[syscall.VMIN] = 1
	t.Cc[syscall.VTIME] = 0
	if err := ioctl(s.Fd(), syscall.TCSETS, uintptr(unsafe.Pointer(&t))); err != nil {
		return fmt.Errorf("ptypair: set attributes: %w", err)
	}
	return nil
}

// OpenSlave opens the device side, as a driver would.
func (p *Pair) OpenSlave() (*os.File, error) {
	return os.OpenFile(p.Path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
}

// Close closes the controlling side; a driver holding the device side
// then reads EOF or an error.
func (p *Pair) Close() error { return p.Master.Close() }

func ioctl(fd, req, arg uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, arg); e != 0 {
		return e
	}
	return nil
}
