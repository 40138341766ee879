//go:build linux

package sim

import (
	"fmt"
	"os"
	"sync"

	"github.com/mehr-net/mehr/internal/ptypair"
)

// Terminal is a Radio served on a pseudo-terminal: a host driver opens
// Path as if it were the serial port of an RNode.
type Terminal struct {
	*Radio
	// Path is the device side of the pseudo-terminal (/dev/pts/N).
	Path string

	pair *ptypair.Pair
	wg   sync.WaitGroup
	once sync.Once
}

// OpenTerminal attaches a new radio to ch and serves it on a new
// pseudo-terminal. Hosts may open and close Path any number of times.
func OpenTerminal(ch *Channel, opts Options) (*Terminal, error) {
	p, err := ptypair.Open()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	t := &Terminal{Radio: NewRadio(ch, opts), Path: p.Path, pair: p}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.Radio.ServeTerminal(p.Master)
	}()
	return t, nil
}

// Master is the controlling side of the pseudo-terminal.
func (t *Terminal) Master() *os.File { return t.pair.Master }

// Close closes the pseudo-terminal, so that a host holding Path open
// reads an error, as when a USB radio is unplugged, and closes the radio.
// It is idempotent.
func (t *Terminal) Close() error {
	var err error
	t.once.Do(func() {
		err = t.pair.Close()
		t.wg.Wait()
		t.Radio.Close()
	})
	return err
}
