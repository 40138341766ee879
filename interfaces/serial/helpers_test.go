//go:build linux

package serial_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/ptypair"
	"github.com/mehr-net/mehr/internal/testutil"
)

// leakCheck fails the test if goroutines it started outlive it and its
// cleanups.
func leakCheck(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
}

// pty is a pseudo-terminal for a driver to open, with a device-side file
// descriptor held open by the test: without it, reading the controlling
// side fails (EIO) whenever the driver has the device closed.
type pty struct {
	*ptypair.Pair
	hold *os.File
}

// openPTY opens a pty that is closed when the test ends, or skips the
// test where there are none.
func openPTY(t testing.TB) *pty {
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
	q := &pty{Pair: p, hold: h}
	t.Cleanup(q.close)
	return q
}

// close simulates unplugging the device: the driver's reads and writes
// fail from then on.
func (p *pty) close() {
	p.Master.Close()
	p.hold.Close()
}

// link points a symlink in dir at the pty's device and returns its path.
func (p *pty) link(t *testing.T, dir string) string {
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

// reader collects what the driver writes to a pty, in a goroutine the
// test's cleanup stops.
type reader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
	done chan struct{}
}

func readPTY(t testing.TB, p *pty) *reader {
	r := &reader{more: make(chan struct{}, 1), done: make(chan struct{})}
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
		p.close()
		<-r.done
	})
	return r
}

// drainPTY reads and discards what the driver writes to a pty, in a
// goroutine the test's cleanup stops.
func drainPTY(t testing.TB, p *pty) {
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
		p.close()
		<-done
	})
}

// waitFor waits until at least n bytes have arrived and returns them all.
func (r *reader) waitFor(t testing.TB, n int) []byte {
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

// take removes and returns the bytes collected so far.
func (r *reader) take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := bytes.Clone(r.buf.Bytes())
	r.buf.Reset()
	return b
}

// nullModem cross-connects two ptys' controlling sides, as a null-modem
// cable joins two serial ports. Cleanup unplugs both and waits for the
// copying goroutines.
func nullModem(t *testing.T, a, b *pty) {
	var wg sync.WaitGroup
	for _, d := range [][2]*pty{{a, b}, {b, a}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(d[1].Master, d[0].Master)
		}()
	}
	t.Cleanup(func() {
		a.close()
		b.close()
		wg.Wait()
	})
}

// received is one Receive result.
type received struct {
	b   []byte
	err error
}

// receiver runs Receive in a goroutine until it fails, handing every
// packet to a channel.
func receiver(recv func([]byte) (int, error)) (<-chan received, <-chan struct{}) {
	ch := make(chan received, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1024)
		for {
			n, err := recv(buf)
			ch <- received{bytes.Clone(buf[:n]), err}
			if err != nil {
				return
			}
		}
	}()
	return ch, done
}

func next(t *testing.T, ch <-chan received) received {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received")
		return received{}
	}
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | byte(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | byte(c-'a'+10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b = append(b, v)
	}
	return b
}
