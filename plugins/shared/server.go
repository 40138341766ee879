package shared

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/mehr-net/mehr/plugins/proto"
	"github.com/mehr-net/mehr/rns/iface"
)

// OpenArgs is what a plugin gets to open its interface.
type OpenArgs struct {
	// Name is the interface's configured name.
	Name string
	// Config is the interface's TOML table.
	Config []byte
	// Logf writes a line to the host's log, which prefixes it with the
	// plugin's name.
	Logf func(format string, args ...any)
}

// OpenFunc opens a plugin's interface. ctx carries the host's deadline
// for the Open call.
type OpenFunc func(ctx context.Context, args OpenArgs) (iface.Interface, error)

// IFACSizer is implemented by drivers whose interface type has a default
// IFAC size, in bytes (the reference's DEFAULT_IFAC_SIZE).
type IFACSizer interface {
	DefaultIFACSize() int
}

// Receive backs off between failed driver reads from errMinDelay,
// doubling up to errMaxDelay, so that a broken driver cannot spin a CPU.
const (
	errMinDelay = time.Millisecond
	errMaxDelay = time.Second
)

// ServerOptions adjust a Server.
type ServerOptions struct {
	// Logf writes the server's own log lines; nil discards them.
	Logf func(format string, args ...any)
	// Orphaned is called when the host's packet stream has been gone for
	// OrphanAfter without a new one: the host went away. The SDK exits
	// the process. Nil ignores it.
	Orphaned    func()
	OrphanAfter time.Duration
	// Data is the plugin's end of the packet channel (DataConn). With
	// it, Open starts moving packets over it; without it, the caller
	// runs ServeStream itself.
	Data net.Conn
	// DataErr, if set, is why there is no packet channel; Open fails
	// with it.
	DataErr error
}

// Server is the plugin side of the Driver service: it opens one
// interface with an OpenFunc and moves packets between it and the host.
type Server struct {
	pb.UnimplementedDriverServer
	open OpenFunc
	o    ServerOptions

	done       chan struct{} // closed by Close
	closeOnce  sync.Once
	wg         sync.WaitGroup // routineReceive
	sendErrors atomic.Uint64

	// mu guards the following fields.
	mu        sync.Mutex
	drv       iface.Interface
	props     *pb.Properties
	rxq       *Queue
	maxPkts   int
	maxBytes  int
	streaming bool
	orphan    *time.Timer
}

// NewServer returns a server that opens its interface with open.
func NewServer(open OpenFunc, o ServerOptions) *Server {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return &Server{open: open, o: o, done: make(chan struct{})}
}

// Open implements pb.DriverServer.
func (s *Server) Open(ctx context.Context, req *pb.OpenRequest) (*pb.OpenResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drv != nil {
		return nil, status.Error(codes.FailedPrecondition, "interface already open")
	}
	if s.o.DataErr != nil {
		return nil, status.Error(codes.FailedPrecondition, s.o.DataErr.Error())
	}
	maxBytes, maxPkts := int(req.MaxBatchBytes), int(req.MaxBatchPackets)
	if maxBytes <= 0 || maxBytes > MaxBatchBytes {
		maxBytes = MaxBatchBytes
	}
	if maxPkts <= 0 || maxPkts > MaxBatchPackets {
		maxPkts = MaxBatchPackets
	}
	drv, err := s.open(ctx, OpenArgs{Name: req.Name, Config: req.Config, Logf: s.o.Logf})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if drv == nil {
		return nil, status.Error(codes.Internal, "open returned no interface")
	}
	mtu := drv.MTU()
	if mtu <= 0 || mtu > MaxMTU || mtu+MaxIFACSize > maxBytes {
		drv.Close()
		return nil, status.Errorf(codes.Internal, "interface MTU %d outside 1..%d", mtu, min(MaxMTU, maxBytes-MaxIFACSize))
	}
	mode := drv.Mode()
	if mode == 0 {
		mode = iface.ModeFull
	}
	p := &pb.Properties{Name: drv.Name(), HwMtu: uint32(mtu), Bitrate: drv.Bitrate(), Mode: uint32(mode)}
	if a, ok := drv.(iface.MTUAutoconfigurer); ok {
		p.AutoconfigureMtu = a.AutoconfigureMTU()
	}
	if e, ok := drv.(iface.IngressExempt); ok {
		p.IngressExempt = e.IngressExempt()
	}
	if z, ok := drv.(IFACSizer); ok && z.DefaultIFACSize() > 0 && z.DefaultIFACSize() <= MaxIFACSize {
		p.DefaultIfacSize = uint32(z.DefaultIFACSize())
	}
	_, p.HasCounters = drv.(iface.Stats)
	s.drv, s.props, s.maxPkts = drv, p, maxPkts
	s.rxq = NewQueue(maxBytes, maxPkts)
	s.maxBytes = maxBytes
	s.wg.Add(1)
	go s.routineReceive(drv, s.rxq, mtu)
	s.armOrphanLocked()
	if s.o.Data != nil {
		go s.ServeStream(NewBatchConn(s.o.Data, maxBytes, maxPkts))
	}
	return &pb.OpenResponse{Properties: p}, nil
}

// routineReceive reads the driver and queues what it reads for the host.
func (s *Server) routineReceive(drv iface.Interface, q *Queue, mtu int) {
	defer s.wg.Done()
	buf := make([]byte, mtu+MaxIFACSize)
	delay := errMinDelay
	for {
		n, err := drv.Receive(buf)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				s.o.Logf("driver closed its interface: %v", err)
				return
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
			delay = min(2*delay, errMaxDelay)
			continue
		}
		delay = errMinDelay
		if n <= 0 || n > len(buf) {
			continue
		}
		q.Put(buf[:n])
	}
}

// BatchStream is one end of the packet channel: BatchConn, or a fake in
// tests.
type BatchStream interface {
	Send(*pb.Batch) error
	Recv() (*pb.Batch, error)
}

// Limits returns the batch limits the host asked for in Open.
func (s *Server) Limits() (maxBytes, maxPackets int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxBytes, s.maxPkts
}

// ServeStream sends the driver's packets to the host and hands the host's
// packets to the driver, until the stream ends: the host closed its end
// or went away.
func (s *Server) ServeStream(stream BatchStream) error {
	s.mu.Lock()
	drv, q, maxPkts, mtu := s.drv, s.rxq, s.maxPkts, 0
	if drv == nil {
		s.mu.Unlock()
		return status.Error(codes.FailedPrecondition, "interface not open")
	}
	if s.streaming {
		s.mu.Unlock()
		return status.Error(codes.AlreadyExists, "a packet stream is already open")
	}
	mtu = int(s.props.HwMtu)
	s.streaming = true
	if s.orphan != nil {
		s.orphan.Stop()
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.streaming = false
		s.armOrphanLocked()
		s.mu.Unlock()
	}()

	stop := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		var b pb.Batch
		for q.Take(stop, &b) {
			if err := stream.Send(&b); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()
	var err error
	for {
		var b *pb.Batch
		b, err = stream.Recv()
		if err != nil {
			break
		}
		if Check(b, maxPkts) != nil {
			s.sendErrors.Add(uint64(len(b.Sizes)))
			continue
		}
		off := 0
		for _, sz := range b.Sizes {
			pkt := b.Data[off : off+int(sz)]
			off += int(sz)
			if Oversized(len(pkt), mtu) || drv.Send(pkt) != nil {
				s.sendErrors.Add(1)
			}
		}
	}
	close(stop)
	if c, ok := stream.(io.Closer); ok {
		c.Close() // ends a Send blocked on a host that went away
	}
	if werr := <-writeErr; werr != nil && !errors.Is(werr, net.ErrClosed) {
		return werr
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// armOrphanLocked starts the orphan timer unless a stream is open.
func (s *Server) armOrphanLocked() {
	if s.o.Orphaned == nil || s.o.OrphanAfter <= 0 || s.streaming {
		return
	}
	if s.orphan != nil {
		s.orphan.Stop()
	}
	s.orphan = time.AfterFunc(s.o.OrphanAfter, func() {
		s.mu.Lock()
		gone := !s.streaming
		s.mu.Unlock()
		if gone {
			s.o.Orphaned()
		}
	})
}

// Counters implements pb.DriverServer.
func (s *Server) Counters(context.Context, *pb.CountersRequest) (*pb.CountersResponse, error) {
	s.mu.Lock()
	drv, q := s.drv, s.rxq
	s.mu.Unlock()
	if drv == nil {
		return nil, status.Error(codes.FailedPrecondition, "interface not open")
	}
	r := &pb.CountersResponse{QueueDropped: q.Dropped(), SendErrors: s.sendErrors.Load()}
	if st, ok := drv.(iface.Stats); ok {
		c := st.Counters()
		r.RxPackets, r.TxPackets, r.RxBytes, r.TxBytes, r.Dropped = c.RxPackets, c.TxPackets, c.RxBytes, c.TxBytes, c.Dropped
	}
	return r, nil
}

// Close implements pb.DriverServer: it closes the driver and waits for
// the receive loop to stop.
func (s *Server) Close(context.Context, *pb.CloseRequest) (*pb.CloseResponse, error) {
	return &pb.CloseResponse{}, s.Shutdown()
}

// Shutdown closes the driver, if one is open, and stops the receive loop.
// It is idempotent.
func (s *Server) Shutdown() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		drv, q := s.drv, s.rxq
		if s.orphan != nil {
			s.orphan.Stop()
		}
		s.mu.Unlock()
		if drv != nil {
			if cerr := drv.Close(); cerr != nil {
				err = fmt.Errorf("close interface: %w", cerr)
			}
			q.Close()
		}
		s.wg.Wait()
	})
	return err
}
