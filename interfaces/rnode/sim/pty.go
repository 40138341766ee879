//go:build linux

package sim

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/mehr-net/mehr/internal/ptypair"
)

// Terminal is a Radio served on a pseudo-terminal: a host driver opens
// Path as if it were the serial port of an RNode.
type Terminal struct {
	*Radio
	// Path is the device side of the pseudo-terminal (/dev/pts/N).
	Path string

	master *os.File
	wg     sync.WaitGroup
	once   sync.Once
}

// OpenTerminal attaches a new radio to ch and serves it on a new
// pseudo-terminal. Hosts may open and close Path any number of times.
func OpenTerminal(ch *Channel, opts Options) (*Terminal, error) {
	p, err := ptypair.Open()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	m, err := pollable(p.Master)
	p.Close()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	t := &Terminal{Radio: NewRadio(ch, opts), Path: p.Path, master: m}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.Radio.ServeTerminal(m)
	}()
	return t, nil
}

// pollable returns a non-blocking duplicate of f that the runtime's poller
// manages, so that closing it unblocks a pending Read.
func pollable(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var (
		fd   int
		derr error
	)
	if err := rc.Control(func(s uintptr) { fd, derr = syscall.Dup(int(s)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("dup: %w", derr)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("set non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// Close closes the pseudo-terminal, so that a host holding Path open
// reads an error, as when a USB radio is unplugged, and closes the radio.
// It is idempotent.
func (t *Terminal) Close() error {
	var err error
	t.once.Do(func() {
		err = t.master.Close()
		t.wg.Wait()
		t.Radio.Close()
	})
	return err
}
