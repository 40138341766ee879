package serial

// A Line is one serial device that reopens itself:
//
//	OpenLine                  opens the port, waits the settle time, runs
//	                          Configure (the KISS driver writes its TNC
//	                          parameters there) and publishes the port as
//	                          generation 1. A failure is returned, as the
//	                          reference fails an interface whose port does
//	                          not open at startup, or with WaitForDevice
//	                          handed to routineReconnect.
//	readers (Receive)         read the published port directly; a read
//	                          error is reported with Lost.
//	Write (any goroutine)     writes the whole buffer to the published port
//	                          under wmu; a write error takes the line down.
//	Lost                      closes the port of the generation that failed
//	                          (under wmu, so no write is using it) and
//	                          wakes routineReconnect.
//	routineReconnect          waits Retry, reopens the device (settle and
//	                          Configure again), publishes it as the next
//	                          generation; repeats until it succeeds or the
//	                          line is closed.
//
// The published port, its generation and the closed flag live under mu;
// every change closes and replaces the changed channel, so that waiters
// wake up. Lock ordering: wmu, then mu.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Line timing, as the reference has it.
const (
	// DefaultRetry is the delay between attempts to reopen a port that
	// went away (the reference's reconnect_port sleeps 5 s).
	DefaultRetry = 5 * time.Second
	// DefaultReadTimeout is the inter-byte timeout: a partial frame after
	// which nothing arrives for this long is discarded (the reference's
	// timeout of 100 ms).
	DefaultReadTimeout = 100 * time.Millisecond
)

// LineConfig configures a Line.
type LineConfig struct {
	// Name labels log lines.
	Name string
	// Port is the device and its settings.
	Port PortConfig
	// Settle is how long to wait after opening the port before using it,
	// for devices that reset when the port opens. 0 means no wait.
	Settle time.Duration
	// Retry is the delay before each attempt to reopen the port; 0 means
	// DefaultRetry.
	Retry time.Duration
	// ReadTimeout bounds every Read on the port; 0 means
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// Configure, if set, runs after every (re)open and the settle time,
	// before the port is published; it writes device setup commands to w.
	// An error closes the port: OpenLine fails, a reconnect retries.
	Configure func(w io.Writer) error
	// WaitForDevice makes OpenLine succeed even if the first open fails:
	// the line starts down and keeps trying every Retry, for devices that
	// are plugged in later. Without it, OpenLine fails as the reference
	// fails an interface whose port does not open at startup.
	WaitForDevice bool
	// Open opens the port; nil means OpenPort.
	Open func(PortConfig) (Port, error)
	// Logf, if set, receives line events (never per-packet ones).
	Logf func(format string, args ...any)
}

// Line is a serial port that is reopened, Retry apart, after its device
// goes away. The drivers in this package and in interfaces/kiss build on
// it. All methods are safe for concurrent use.
type Line struct {
	cfg    LineConfig
	ctx    context.Context // cancelled by Close; bounds settle waits
	cancel context.CancelFunc
	kick   chan struct{} // wakes routineReconnect; buffered, never closed
	wg     sync.WaitGroup
	once   sync.Once
	opens  atomic.Uint64

	// wmu serialises writes to the port and its closing: a port is
	// never closed while a write uses its file descriptor, which could
	// otherwise be reused by the next open.
	wmu sync.Mutex

	// mu guards the following fields.
	mu      sync.Mutex
	port    Port // nil while down
	gen     uint64
	closed  bool
	changed chan struct{} // closed and replaced whenever port or closed changes
}

// ErrDown is returned by Line.Write, and the drivers' Send, while the
// device is away and the line is reopening it.
var ErrDown = errors.New("serial: port is down")

// OpenLine opens the port, waits cfg.Settle, runs cfg.Configure and
// returns the line, which from then on reopens the port whenever it is
// lost. It fails if the first open fails (unless cfg.WaitForDevice is
// set), or when ctx ends first.
func OpenLine(ctx context.Context, cfg LineConfig) (*Line, error) {
	pc, err := cfg.Port.Normalized()
	if err != nil {
		return nil, err
	}
	cfg.Port = pc
	if cfg.Retry == 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.Retry < 0 || cfg.ReadTimeout < 0 || cfg.Settle < 0 {
		return nil, fmt.Errorf("%w: negative retry, read timeout or settle time", ErrBadConfig)
	}
	if cfg.Open == nil {
		cfg.Open = OpenPort
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	l := &Line{cfg: cfg, kick: make(chan struct{}, 1), changed: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, l.cancel)
	p, err := l.open()
	if !stop() {
		// ctx ended, so l.ctx is (being) cancelled too and the line
		// could not reconnect: give up even if the port opened.
		if err == nil {
			p.Close()
		}
		err = ctx.Err()
	}
	if err != nil && (!cfg.WaitForDevice || ctx.Err() != nil) {
		l.cancel()
		return nil, fmt.Errorf("serial %s: %w", cfg.Name, err)
	}
	if err != nil {
		cfg.Logf("serial %s: %s not there yet, trying every %v: %v", cfg.Name, cfg.Port.Path, cfg.Retry, err)
		l.kick <- struct{}{}
	} else {
		l.publish(p)
	}
	l.wg.Add(1)
	go l.routineReconnect()
	return l, nil
}

// open opens the port, sets its read timeout, waits the settle time and
// configures the device.
func (l *Line) open() (Port, error) {
	p, err := l.cfg.Open(l.cfg.Port)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (Port, error) {
		p.Close()
		return nil, err
	}
	if err := p.SetReadTimeout(l.cfg.ReadTimeout); err != nil {
		return fail(fmt.Errorf("set read timeout: %w", err))
	}
	if l.cfg.Settle > 0 {
		t := time.NewTimer(l.cfg.Settle)
		select {
		case <-t.C:
		case <-l.ctx.Done():
			t.Stop()
			return fail(net.ErrClosed)
		}
	}
	if l.cfg.Configure != nil {
		if err := l.cfg.Configure(p); err != nil {
			return fail(fmt.Errorf("configure device: %w", err))
		}
	}
	l.opens.Add(1)
	return p, nil
}

// publish makes p the line's port. It reports false, and leaves p to the
// caller to close, if the line was closed meanwhile.
func (l *Line) publish(p Port) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.port = p
	l.gen++
	l.changedLocked()
	return true
}

func (l *Line) changedLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// routineReconnect reopens the port after Lost, until it succeeds or the
// line is closed.
func (l *Line) routineReconnect() {
	defer l.wg.Done()
	l.cfg.Logf("serial %s: routineReconnect started", l.cfg.Name)
	defer l.cfg.Logf("serial %s: routineReconnect stopped", l.cfg.Name)
	t := time.NewTimer(0)
	t.Stop()
	for {
		select {
		case <-l.kick:
		case <-l.ctx.Done():
			return
		}
		for attempt := 1; ; attempt++ {
			t.Reset(l.cfg.Retry)
			select {
			case <-t.C:
			case <-l.ctx.Done():
				t.Stop()
				return
			}
			p, err := l.open()
			if err != nil {
				if l.ctx.Err() != nil {
					return
				}
				l.cfg.Logf("serial %s: reopening %s (attempt %d) failed: %v", l.cfg.Name, l.cfg.Port.Path, attempt, err)
				continue
			}
			if !l.publish(p) {
				p.Close()
				return
			}
			l.cfg.Logf("serial %s: %s reopened", l.cfg.Name, l.cfg.Port.Path)
			break
		}
	}
}

// State returns the current port and its generation, or a nil port while
// the line is down or closed, with a channel that is closed at the next
// change.
func (l *Line) State() (p Port, gen uint64, changed <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.port, l.gen, l.changed
}

// Up reports whether the port is open.
func (l *Line) Up() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.port != nil
}

// Wait blocks until the port is open and returns it with its generation,
// or returns net.ErrClosed once the line is closed.
func (l *Line) Wait() (Port, uint64, error) {
	for {
		l.mu.Lock()
		p, gen, closed, changed := l.port, l.gen, l.closed, l.changed
		l.mu.Unlock()
		switch {
		case closed:
			return nil, 0, net.ErrClosed
		case p != nil:
			return p, gen, nil
		}
		<-changed
	}
}

// WaitUp blocks until the port is open, returning nil, or until ctx ends
// or the line is closed, returning why.
func (l *Line) WaitUp(ctx context.Context) error {
	for {
		l.mu.Lock()
		p, closed, changed := l.port, l.closed, l.changed
		l.mu.Unlock()
		switch {
		case closed:
			return net.ErrClosed
		case p != nil:
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitDown blocks until the port is down or the line closed, returning
// nil, or until ctx ends, returning its error.
func (l *Line) WaitDown(ctx context.Context) error {
	for {
		l.mu.Lock()
		p, changed := l.port, l.changed
		l.mu.Unlock()
		if p == nil {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Opens counts successful opens of the port, the first one included.
func (l *Line) Opens() uint64 { return l.opens.Load() }

// Write writes all of b to the port. It returns ErrDown while the port is
// down and net.ErrClosed after Close. A failed write takes the line down
// and starts reopening it. Writes are serialised; b is not kept.
func (l *Line) Write(b []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	p, gen, closed := l.port, l.gen, l.closed
	l.mu.Unlock()
	switch {
	case closed:
		return net.ErrClosed
	case p == nil:
		return ErrDown
	}
	for len(b) > 0 {
		n, err := p.Write(b)
		b = b[n:]
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			l.lostLocked(gen, err)
			return fmt.Errorf("serial %s: write: %w", l.cfg.Name, err)
		}
	}
	return nil
}

// Lost reports that the port of generation gen failed with err: if it is
// still the current one, the line closes it and starts reopening the
// device. Reports about earlier generations are ignored.
func (l *Line) Lost(gen uint64, err error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.lostLocked(gen, err)
}

// lostLocked is Lost with wmu held.
func (l *Line) lostLocked(gen uint64, err error) {
	l.mu.Lock()
	p := l.port
	if p == nil || gen != l.gen || l.closed {
		l.mu.Unlock()
		return
	}
	l.port = nil
	l.changedLocked()
	l.mu.Unlock()
	p.Close()
	l.cfg.Logf("serial %s: %s lost, reopening every %v: %v", l.cfg.Name, l.cfg.Port.Path, l.cfg.Retry, err)
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Close closes the port and stops reopening it; blocked Wait calls return
// net.ErrClosed. It waits for a write in progress to finish. It is
// idempotent.
func (l *Line) Close() error {
	l.once.Do(func() {
		l.cancel()
		l.wmu.Lock()
		l.mu.Lock()
		p := l.port
		l.port = nil
		l.closed = true
		l.changedLocked()
		l.mu.Unlock()
		if p != nil {
			p.Close()
		}
		l.wmu.Unlock()
		l.wg.Wait()
	})
	return nil
}

// LineReader is the read side of a framed driver's Receive on a Line: it
// waits while the port is down, reads into its own buffer, reports a lost
// port to the Line, and says when the driver must resynchronise its
// deframer. It is not safe for concurrent use.
type LineReader struct {
	line *Line
	gen  uint64
	buf  []byte
}

// NewLineReader returns a reader of l that asks the port for up to size
// bytes at a time.
func NewLineReader(l *Line, size int) *LineReader {
	return &LineReader{line: l, buf: make([]byte, size)}
}

// Read blocks until the port delivers bytes or its inter-byte timeout
// passes without any. It returns the bytes (valid until the next Read;
// nil after a timeout, when a partial frame is to be dropped) and
// whether the port was reopened since the last Read, in which case the
// deframer must start over. A failed read takes the port down, unless
// closing reports that the driver is closing, and Read waits for it to
// come back. Read returns net.ErrClosed once the Line is closed.
func (r *LineReader) Read(closing func() bool) (b []byte, reopened bool, err error) {
	for {
		port, gen, err := r.line.Wait()
		if err != nil {
			return nil, reopened, net.ErrClosed
		}
		if gen != r.gen {
			r.gen, reopened = gen, true
		}
		n, err := port.Read(r.buf)
		switch {
		case n > 0:
			// A read error that came with data shows again on the next
			// read, after the data is used.
			return r.buf[:n], reopened, nil
		case err != nil:
			if !closing() {
				r.line.Lost(gen, err)
			}
		default:
			return nil, reopened, nil
		}
	}
}
