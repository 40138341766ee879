//go:build linux

package serialtest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/ptypair"
)

// PTY is a pseudo-terminal for a driver to open, with a device-side file
// descriptor held open by the test: without it, reading the controlling
// side fails (EIO) whenever the driver has the device closed.
type PTY struct {
	*ptypair.Pair
	hold *os.File
}

// OpenPTY opens a pty that is closed when the test ends, or skips the
// test where there are none.
func OpenPTY(t testing.TB) *PTY {
	t.Helper()
	p, err := ptypair.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	// ptypair's controlling side is in blocking mode, in which Close does
	// not end a Read in progress; use a non-blocking duplicate, which
	// Go's poller serves.
	fd, err := syscall.Dup(int(p.Master.Fd()))
	if err == nil {
		err = syscall.SetNonblock(fd, true)
	}
	p.Close()
	if err != nil {
		t.Fatal(err)
	}
	p.Master = os.NewFile(uintptr(fd), "ptmx")
	h, err := p.OpenSlave()
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	q := &PTY{Pair: p, hold: h}
	t.Cleanup(q.Unplug)
	return q
}

// Unplug simulates unplugging the device: the driver's reads and writes
// fail from then on.
func (p *PTY) Unplug() {
	p.Master.Close()
	p.hold.Close()
}

// Link points a symlink in dir at the pty's device and returns its path.
func (p *PTY) Link(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ttyTEST")
	tmp := path + ".new"
	os.Remove(tmp)
	if err := os.Symlink(p.Path, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Reader collects what the driver writes to a pty, in a goroutine the
// test's cleanup stops.
type Reader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
	done chan struct{}
}

func ReadPTY(t testing.TB, p *PTY) *Reader {
	r := &Reader{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		b := make([]byte, 4096)
		for {
			n, err := p.Master.Read(b)
			if n > 0 {
				r.mu.Lock()
				r.buf.Write(b[:n])
				r.mu.Unlock()
				select {
				case r.more <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		p.Unplug()
		<-r.done
	})
	return r
}

// DrainPTY reads and discards what the driver writes to a pty, in a
// goroutine the test's cleanup stops.
func DrainPTY(t testing.TB, p *PTY) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 4096)
		for {
			if _, err := p.Master.Read(b); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		p.Unplug()
		<-done
	})
}

// WaitFor waits until at least n bytes have arrived and returns them all.
func (r *Reader) WaitFor(t testing.TB, n int) []byte {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		if r.buf.Len() >= n {
			b := bytes.Clone(r.buf.Bytes())
			r.mu.Unlock()
			return b
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("got %d bytes (%x), want %d", r.buf.Len(), r.buf.Bytes(), n)
		}
	}
}

// Take removes and returns the bytes collected so far.
func (r *Reader) Take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := bytes.Clone(r.buf.Bytes())
	r.buf.Reset()
	return b
}

// NullModem cross-connects two ptys' controlling sides, as a null-modem
// cable joins two serial ports. Cleanup unplugs both and waits for the
// copying goroutines.
func NullModem(t *testing.T, a, b *PTY) {
	var wg sync.WaitGroup
	for _, d := range [][2]*PTY{{a, b}, {b, a}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(d[1].Master, d[0].Master)
		}()
	}
	t.Cleanup(func() {
		a.Unplug()
		b.Unplug()
		wg.Wait()
	})
}
