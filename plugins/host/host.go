package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/status"

	pb "github.com/mehr-net/mehr/plugins/proto"
	"github.com/mehr-net/mehr/plugins/shared"
	"github.com/mehr-net/mehr/rns/iface"
)

var (
	_ iface.Interface         = (*Interface)(nil)
	_ iface.Stats             = (*Interface)(nil)
	_ iface.MTUAutoconfigurer = (*Interface)(nil)
	_ iface.IngressExempt     = (*Interface)(nil)
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrDown is returned by Send while the plugin is being restarted.
	ErrDown = errors.New("plugin: interface down")
	// ErrQueueFull is returned by Send when the send queue is full; the
	// packet is dropped and counted.
	ErrQueueFull = errors.New("plugin: send queue full")
	// ErrTooLarge is returned by Send for an empty packet or one longer
	// than MTU plus the largest IFAC.
	ErrTooLarge = errors.New("plugin: packet too large")
	// ErrBadPlugin reports a plugin that reported impossible properties.
	ErrBadPlugin = errors.New("plugin: bad interface properties")
)

// Defaults of Config.
const (
	DefaultCallTimeout    = 5 * time.Second
	DefaultHealthInterval = 5 * time.Second
	DefaultStartTimeout   = 15 * time.Second
	DefaultMinBackoff     = 250 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultStableAfter    = 60 * time.Second
	DefaultMaxGarbage     = 64
	DefaultQueuePackets   = shared.MaxBatchPackets
)

// Config configures a plugin interface. Zero durations and counts take
// the defaults above.
type Config struct {
	// Name is the interface's configured name.
	Name string
	// Path is the plugin executable.
	Path string
	// Args are extra arguments for the plugin executable.
	Args []string
	// Config is the interface's TOML table, passed to the plugin.
	Config []byte
	// Logf receives the host's log lines and the plugin's standard error,
	// prefixed "plugin NAME:". Nil discards them.
	Logf func(format string, args ...any)

	// QueuePackets bounds the send and receive queues, in packets (at
	// most shared.MaxBatchPackets).
	QueuePackets int
	// CallTimeout bounds each control call; a plugin that does not
	// answer in time is restarted.
	CallTimeout time.Duration
	// HealthInterval is the time between health checks (a Counters call,
	// which also refreshes the counters).
	HealthInterval time.Duration
	// StartTimeout bounds the start of the process and the go-plugin
	// handshake.
	StartTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a restart.
	MinBackoff, MaxBackoff time.Duration
	// StableAfter is how long a run must last for the backoff to start
	// over from MinBackoff.
	StableAfter time.Duration
	// MaxGarbage is how many malformed batches and oversized frames a run
	// may send before the plugin is killed and restarted.
	MaxGarbage int
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CallTimeout, DefaultCallTimeout)
	def(&c.HealthInterval, DefaultHealthInterval)
	def(&c.StartTimeout, DefaultStartTimeout)
	def(&c.MinBackoff, DefaultMinBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.StableAfter, DefaultStableAfter)
	if c.MaxGarbage <= 0 {
		c.MaxGarbage = DefaultMaxGarbage
	}
	if c.QueuePackets <= 0 || c.QueuePackets > shared.MaxBatchPackets {
		c.QueuePackets = DefaultQueuePackets
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Status is the supervision state of a plugin interface.
type Status struct {
	// Up reports whether a plugin process is running and carrying traffic.
	Up bool
	// PID is the plugin's process ID while up.
	PID int
	// Restarts counts the restarts since Start.
	Restarts int
	// Since is when the interface last went up or down.
	Since time.Time
	// LastError says why the plugin was last restarted.
	LastError string
	// Garbage counts the malformed batches and oversized frames the
	// plugin sent, over all runs.
	Garbage uint64
}

// Interface is an iface.Interface whose driver runs in a plugin process.
// Name, MTU, Bitrate, Mode and the capabilities are those the plugin
// reported when it was first opened.
type Interface struct {
	cfg   Config
	props *pb.Properties // from the first run; immutable

	txq, rxq *shared.Queue
	up       atomic.Bool
	closed   atomic.Bool
	done     chan struct{} // closed by Close
	close    sync.Once
	wg       sync.WaitGroup // routineSupervise

	// cur is the batch Receive is reading from; owned by the goroutine
	// calling Receive.
	cur      pb.Batch
	idx, off int

	rxPackets, rxBytes, txPackets, txBytes atomic.Uint64
	rxDropped, garbage                     atomic.Uint64 // longer than Receive's buffer; malformed

	// mu guards the following fields.
	mu       sync.Mutex
	sess     *session
	restarts int
	since    time.Time
	lastErr  string
	remote   *pb.CountersResponse // the plugin's counters at the last health check
	base     iface.Counters       // the plugin counters of earlier runs
}

// Start launches the plugin, opens its interface and starts supervising
// it. The first launch must succeed; later ones are retried with backoff.
func Start(ctx context.Context, cfg Config) (*Interface, error) {
	cfg.setDefaults()
	i := &Interface{
		cfg:  cfg,
		txq:  shared.NewQueue(shared.MaxBatchBytes, cfg.QueuePackets),
		rxq:  shared.NewQueue(shared.MaxBatchBytes, cfg.QueuePackets),
		done: make(chan struct{}),
	}
	s, props, err := i.launch(ctx)
	if err != nil {
		return nil, fmt.Errorf("plugin %s (%s): %w", cfg.Name, cfg.Path, err)
	}
	i.props = props
	i.setUp(s, false)
	i.wg.Add(1)
	go i.routineSupervise(s)
	return i, nil
}

// session is one run of the plugin process.
type session struct {
	client  *plugin.Client
	cmd     *exec.Cmd
	drv     pb.DriverClient
	stream  *shared.BatchConn  // the packet channel
	cancel  context.CancelFunc // ends the routines
	ctx     context.Context
	pid     int
	started time.Time
	mtu     int

	failed   chan struct{}
	failOnce sync.Once
	reason   string // set before failed is closed
	garbage  atomic.Int64
	wg       sync.WaitGroup // routineRead, routineWrite, routineHealth
}

func (s *session) fail(format string, args ...any) {
	s.failOnce.Do(func() {
		s.reason = fmt.Sprintf(format, args...)
		close(s.failed)
	})
}

// launch starts a plugin process and opens the interface in it.
func (i *Interface) launch(ctx context.Context) (*session, *pb.Properties, error) {
	logw := &lineLog{logf: i.cfg.Logf, prefix: "plugin " + i.cfg.Name + ": "}
	cmd := exec.Command(i.cfg.Path, i.cfg.Args...)
	setParentDeathSignal(cmd)
	data, child, err := packetChannel()
	if err != nil {
		return nil, nil, fmt.Errorf("packet channel: %w", err)
	}
	defer child.Close() // the process has its own copy once started
	cmd.ExtraFiles = []*os.File{child}
	// One thread runs the plugin's Go code: a packet's handoffs between
	// the plugin's goroutines then stay on that thread instead of waking
	// another CPU, which halves the latency a plugin adds (see
	// docs/PLUGINS.md; a plugin may raise it with runtime.GOMAXPROCS).
	cmd.Env = []string{fmt.Sprintf("%s=%d", shared.DataFDEnv, shared.DataFD), "GOMAXPROCS=1"}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		Plugins:          shared.PluginMap(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		// Not Managed: go-plugin keeps managed clients in a global list
		// until CleanupClients, which would grow by one per restart. The
		// supervisor kills every client it starts, and Close stops the
		// last one.
		Managed:         false,
		StartTimeout:    i.cfg.StartTimeout,
		Stderr:          logw,
		SyncStdout:      logw,
		SyncStderr:      logw,
		GRPCDialOptions: shared.DialOptions(),
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "go-plugin", Level: hclog.Error, Output: logw, DisableTime: true,
		}),
	})
	s := &session{client: client, cmd: cmd, started: time.Now(), failed: make(chan struct{}),
		stream: shared.NewBatchConn(data, shared.MaxBatchBytes, i.cfg.QueuePackets)}
	fail := func(err error) (*session, *pb.Properties, error) {
		if s.cancel != nil {
			s.cancel()
		}
		s.stream.Close()
		s.kill()
		return nil, nil, err
	}
	rpc, err := client.Client()
	if err != nil {
		return fail(err)
	}
	s.pid, _ = strconv.Atoi(client.ID())
	raw, err := rpc.Dispense(shared.PluginName)
	if err != nil {
		return fail(err)
	}
	drv, ok := raw.(pb.DriverClient)
	if !ok {
		return fail(fmt.Errorf("%w: dispensed %T", ErrBadPlugin, raw))
	}
	s.drv = drv
	octx, cancel := context.WithTimeout(ctx, i.cfg.CallTimeout)
	resp, err := drv.Open(octx, &pb.OpenRequest{Name: i.cfg.Name, Config: i.cfg.Config,
		MaxBatchBytes: shared.MaxBatchBytes, MaxBatchPackets: uint32(i.cfg.QueuePackets)})
	cancel()
	if err != nil {
		// The plugin's own message (a configuration error, say) without
		// gRPC's decoration.
		return fail(fmt.Errorf("open: %s", status.Convert(err).Message()))
	}
	p := resp.GetProperties()
	if err := checkProperties(p); err != nil {
		return fail(err)
	}
	s.mtu = int(p.HwMtu)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, p, nil
}

func checkProperties(p *pb.Properties) error {
	switch {
	case p == nil:
		return fmt.Errorf("%w: none", ErrBadPlugin)
	case p.HwMtu == 0 || p.HwMtu > shared.MaxMTU:
		return fmt.Errorf("%w: MTU %d outside 1..%d", ErrBadPlugin, p.HwMtu, shared.MaxMTU)
	case p.Bitrate <= 0:
		return fmt.Errorf("%w: bitrate %d", ErrBadPlugin, p.Bitrate)
	case p.Mode > 0xff:
		return fmt.Errorf("%w: mode %d", ErrBadPlugin, p.Mode)
	case p.DefaultIfacSize > shared.MaxIFACSize:
		return fmt.Errorf("%w: IFAC size %d", ErrBadPlugin, p.DefaultIfacSize)
	}
	if _, ok := iface.ParseMode(iface.Mode(p.Mode).String()); !ok {
		return fmt.Errorf("%w: mode %d", ErrBadPlugin, p.Mode)
	}
	return nil
}

// kill ends the process at once and releases go-plugin's resources.
func (s *session) kill() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
	}
	s.client.Kill()
}

// setUp makes s the running session and starts its routines.
func (i *Interface) setUp(s *session, restarted bool) {
	i.mu.Lock()
	i.sess = s
	i.since = time.Now()
	if restarted {
		i.restarts++
	}
	n := i.restarts
	i.mu.Unlock()
	s.wg.Add(3)
	go i.routineWrite(s)
	go i.routineRead(s)
	go i.routineHealth(s)
	i.up.Store(true)
	if restarted {
		i.cfg.Logf("plugin %s: up again (pid %d, restart %d)", i.cfg.Name, s.pid, n)
	}
}

// routineSupervise waits for the running session to fail, then restarts
// the plugin with backoff, until Close.
func (i *Interface) routineSupervise(s *session) {
	defer i.wg.Done()
	backoff := i.cfg.MinBackoff
	for {
		select {
		case <-s.failed:
		case <-i.done:
			i.stop(s)
			return
		}
		ran := time.Since(s.started)
		i.up.Store(false)
		i.stop(s)
		i.txq.Reset()
		if ran >= i.cfg.StableAfter {
			backoff = i.cfg.MinBackoff
		}
		i.mu.Lock()
		i.lastErr = s.reason
		i.since = time.Now()
		i.mu.Unlock()
		i.cfg.Logf("plugin %s (pid %d): %s; down, restarting in %v", i.cfg.Name, s.pid, s.reason, backoff)
		for {
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-i.done:
				t.Stop()
				return
			}
			backoff = min(2*backoff, i.cfg.MaxBackoff)
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-i.done:
				case <-ctx.Done():
				}
				cancel()
			}()
			ns, p, err := i.launch(ctx)
			cancel()
			if err == nil && (p.HwMtu != i.props.HwMtu || p.Mode != i.props.Mode) {
				i.cfg.Logf("plugin %s: restarted with MTU %d, mode %d; keeping MTU %d, mode %d of the first run",
					i.cfg.Name, p.HwMtu, p.Mode, i.props.HwMtu, i.props.Mode)
			}
			if err == nil {
				s = ns
				break
			}
			i.cfg.Logf("plugin %s: restart failed: %v; next try in %v", i.cfg.Name, err, backoff)
		}
		i.setUp(s, true)
	}
}

// stop shuts a session down: a Close call if it is healthy, then the
// process is killed and the routines are waited for.
func (i *Interface) stop(s *session) {
	graceful := false
	select {
	case <-s.failed:
	default:
		ctx, cancel := context.WithTimeout(context.Background(), i.cfg.CallTimeout)
		_, err := s.drv.Close(ctx, &pb.CloseRequest{})
		cancel()
		graceful = err == nil
	}
	s.fail("stopped")
	s.cancel()
	s.stream.Close() // ends routineRead and a blocked routineWrite
	if graceful {
		// go-plugin asks the process to exit and kills it after 2 s.
		s.client.Kill()
	} else {
		s.kill()
	}
	s.wg.Wait()
	i.mu.Lock()
	if r := i.remote; r != nil {
		i.base.RxPackets += r.RxPackets
		i.base.TxPackets += r.TxPackets
		i.base.RxBytes += r.RxBytes
		i.base.TxBytes += r.TxBytes
		i.base.Dropped += r.Dropped + r.QueueDropped + r.SendErrors
		i.remote = nil
	}
	i.mu.Unlock()
}

// routineWrite sends the send queue to the plugin, one batch per
// write: everything queued while the previous write was in flight goes
// out together.
func (i *Interface) routineWrite(s *session) {
	defer s.wg.Done()
	var b pb.Batch
	for i.txq.Take(s.ctx.Done(), &b) {
		if err := s.stream.Send(&b); err != nil {
			s.fail("packet stream: %v", err)
			return
		}
	}
}

// routineRead moves the plugin's packets into the receive queue, counting
// and dropping malformed batches and oversized frames.
func (i *Interface) routineRead(s *session) {
	defer s.wg.Done()
	for {
		b, err := s.stream.Recv()
		if err != nil {
			select {
			case <-s.failed:
			default:
				s.fail("packet stream: %v", err)
			}
			return
		}
		if shared.Check(b, i.cfg.QueuePackets) != nil {
			i.junk(s, "a malformed batch (%d sizes, %d bytes of data)", len(b.Sizes), len(b.Data))
			continue
		}
		bad := false
		for _, sz := range b.Sizes {
			if shared.Oversized(int(sz), s.mtu) {
				bad = true
				break
			}
		}
		if !bad {
			i.rxq.PutBatch(b.Data, b.Sizes) // the queue counts its drops
			continue
		}
		off := 0
		for _, sz := range b.Sizes {
			n := int(sz)
			if shared.Oversized(n, s.mtu) {
				i.junk(s, "a frame of %d bytes (MTU %d)", n, s.mtu)
			} else {
				i.rxq.Put(b.Data[off : off+n])
			}
			off += n
		}
	}
}

// junk counts one piece of garbage from the plugin, logs the first of a
// run, and has the plugin restarted once a run passes MaxGarbage.
func (i *Interface) junk(s *session, format string, args ...any) {
	i.garbage.Add(1)
	n := s.garbage.Add(1)
	what := fmt.Sprintf(format, args...)
	if n == 1 {
		i.cfg.Logf("plugin %s (pid %d) sent %s; dropped", i.cfg.Name, s.pid, what)
	}
	if n > int64(i.cfg.MaxGarbage) {
		s.fail("sent %d malformed batches or oversized frames (last: %s); cut off", n, what)
	}
}

// routineHealth calls Counters every HealthInterval; a plugin that does
// not answer within CallTimeout is restarted.
func (i *Interface) routineHealth(s *session) {
	defer s.wg.Done()
	t := time.NewTicker(i.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.failed:
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, i.cfg.CallTimeout)
		r, err := s.drv.Counters(ctx, &pb.CountersRequest{})
		cancel()
		if err != nil {
			select {
			case <-s.failed:
			default:
				s.fail("health check: %v", err)
			}
			return
		}
		i.mu.Lock()
		i.remote = r
		i.mu.Unlock()
	}
}

// Name implements iface.Interface.
func (i *Interface) Name() string { return i.cfg.Name }

// MTU implements iface.Interface: the plugin's hardware MTU.
func (i *Interface) MTU() int { return int(i.props.HwMtu) }

// Bitrate implements iface.Interface.
func (i *Interface) Bitrate() int64 { return i.props.Bitrate }

// Mode implements iface.Interface.
func (i *Interface) Mode() iface.Mode { return iface.Mode(i.props.Mode) }

// AutoconfigureMTU implements iface.MTUAutoconfigurer.
func (i *Interface) AutoconfigureMTU() bool { return i.props.AutoconfigureMtu }

// IngressExempt implements iface.IngressExempt.
func (i *Interface) IngressExempt() bool { return i.props.IngressExempt }

// DefaultIFACSize returns the IFAC size in bytes the plugin's interface
// type defaults to, or 0 if it named none.
func (i *Interface) DefaultIFACSize() int { return int(i.props.DefaultIfacSize) }

// Status returns the supervision state.
func (i *Interface) Status() Status {
	i.mu.Lock()
	defer i.mu.Unlock()
	st := Status{Up: i.up.Load(), Restarts: i.restarts, Since: i.since, LastError: i.lastErr, Garbage: i.garbage.Load()}
	if st.Up && i.sess != nil {
		st.PID = i.sess.pid
	}
	return st
}

// Counters implements iface.Stats. Packets and bytes are counted by the
// host as they pass; Dropped adds the host's drops (full queues, packets
// longer than Receive's buffer, garbage) to the plugin's own (its
// driver's drops, its full queue and refused sends) as of the last health
// check.
func (i *Interface) Counters() iface.Counters {
	i.mu.Lock()
	dropped := i.base.Dropped
	if r := i.remote; r != nil {
		dropped += r.Dropped + r.QueueDropped + r.SendErrors
	}
	i.mu.Unlock()
	return iface.Counters{
		RxPackets: i.rxPackets.Load(), RxBytes: i.rxBytes.Load(),
		TxPackets: i.txPackets.Load(), TxBytes: i.txBytes.Load(),
		Dropped: dropped + i.txq.Dropped() + i.rxq.Dropped() + i.rxDropped.Load() + i.garbage.Load(),
	}
}

// Receive implements iface.Interface. It blocks until the plugin delivers
// a packet, including while the plugin is down and being restarted, and
// returns net.ErrClosed after Close. Packets longer than buf are dropped
// and counted. Receive must not be called concurrently with itself.
func (i *Interface) Receive(buf []byte) (int, error) {
	for {
		if i.closed.Load() {
			return 0, net.ErrClosed
		}
		if i.idx < len(i.cur.Sizes) {
			n := int(i.cur.Sizes[i.idx])
			pkt := i.cur.Data[i.off : i.off+n]
			i.idx++
			i.off += n
			if n > len(buf) {
				i.rxDropped.Add(1)
				continue
			}
			copy(buf, pkt)
			i.rxPackets.Add(1)
			i.rxBytes.Add(uint64(n))
			return n, nil
		}
		i.idx, i.off = 0, 0
		if !i.rxq.Take(i.done, &i.cur) {
			return 0, net.ErrClosed
		}
	}
}

// Send implements iface.Interface. It queues a copy of pkt for the plugin
// and returns at once: ErrDown while the plugin is restarting,
// ErrQueueFull if the queue is full (the packet is dropped and counted),
// ErrTooLarge for a packet the interface cannot carry, net.ErrClosed
// after Close. It is safe for concurrent use.
func (i *Interface) Send(pkt []byte) error {
	switch {
	case i.closed.Load():
		return net.ErrClosed
	case !i.up.Load():
		return ErrDown
	case shared.Oversized(len(pkt), int(i.props.HwMtu)):
		return ErrTooLarge
	case !i.txq.Put(pkt):
		return ErrQueueFull
	}
	i.txPackets.Add(1)
	i.txBytes.Add(uint64(len(pkt)))
	return nil
}

// Close implements iface.Interface: it asks the plugin to close its
// interface, stops the process and unblocks Receive. It is idempotent.
func (i *Interface) Close() error {
	i.close.Do(func() {
		i.closed.Store(true)
		i.up.Store(false)
		close(i.done)
		i.wg.Wait()
		i.txq.Close()
		i.rxq.Close()
	})
	return nil
}

// lineLog turns the plugin's output into one log call per line.
type lineLog struct {
	logf   func(string, ...any)
	prefix string

	mu  sync.Mutex
	buf []byte
}

// maxLine bounds a buffered line; longer output is logged in pieces.
const maxLine = 4096

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		k := bytes.IndexByte(l.buf, '\n')
		if k < 0 {
			if len(l.buf) > maxLine {
				l.logf("%s%s", l.prefix, l.buf)
				l.buf = l.buf[:0]
			}
			return len(p), nil
		}
		if line := bytes.TrimRight(l.buf[:k], "\r"); len(line) > 0 {
			l.logf("%s%s", l.prefix, line)
		}
		l.buf = append(l.buf[:0], l.buf[k+1:]...)
	}
}
