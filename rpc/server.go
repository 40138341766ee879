package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
)

// Defaults.
const (
	// DefaultPort is the reference's instance_control_port, the TCP port
	// of the RPC socket when the shared instance type is tcp.
	DefaultPort = 37429
	// DefaultTimeout bounds one connection: handshake, request and
	// replies. Python clients finish in milliseconds. The reference has no
	// limit; a client that stalls there blocks its whole RPC loop.
	DefaultTimeout = 10 * time.Second
	// MaxRequestSize is the longest request the server reads. The
	// reference's requests are well under 100 bytes.
	MaxRequestSize = 64 << 10
	// MaxConcurrent is how many connections the server handles at once;
	// more wait in the listen queue. (The reference handles one at a time.)
	MaxConcurrent = 16
)

// ErrInUse is returned by Listen when the address is taken, normally by
// another shared instance's RPC socket. It also matches
// syscall.EADDRINUSE.
var ErrInUse = errors.New("rpc: address in use")

// Config says where the RPC socket is and how clients authenticate. The
// address follows the reference: the abstract Unix socket
// "\x00rns/<instance name>/rpc" when the shared instance type is unix (the
// default on Linux and Android), else TCP on 127.0.0.1:<port>.
type Config struct {
	// Type is the shared instance type (shared_instance_type); the zero
	// value picks the platform default, as interfaces/local does.
	Type local.Type
	// InstanceName is instance_name; empty means "default".
	InstanceName string
	// Port is instance_control_port for TCP; 0 means DefaultPort.
	Port int
	// Addr, if set, replaces the address derived from the fields above:
	// "host:port" for TCP, a socket name for Unix (a leading '@' is the
	// abstract namespace). Tests use it for kernel-chosen ports.
	Addr string
	// Key is the authentication key (the reference's rpc_key: the
	// configured one, decoded from hex, or DefaultKey). It must not be
	// empty.
	Key []byte
	// Timeout bounds each connection; 0 means DefaultTimeout.
	Timeout time.Duration
	// Logf, if set, receives diagnostics. nil discards them.
	Logf func(format string, args ...any)
}

// Endpoint returns the network ("unix" or "tcp") and address of the RPC
// socket as net.Listen spells them: an abstract Unix socket is written
// with a leading '@' ("@rns/default/rpc").
func (c Config) Endpoint() (network, address string, err error) {
	port := c.Port
	if port == 0 {
		port = DefaultPort
	}
	lc := local.Config{Type: c.Type, InstanceName: c.InstanceName, Port: port, Addr: c.Addr}
	network, address, err = lc.Endpoint()
	if err != nil {
		return "", "", fmt.Errorf("rpc: %w", err)
	}
	if network == "unix" && c.Addr == "" {
		address += "/rpc"
	}
	return network, address, nil
}

func (c *Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c *Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// Server answers the reference's shared-instance RPC calls for a Node.
type Server struct {
	cfg  Config
	node Node
	ln   net.Listener
	sem  chan struct{}
	wg   sync.WaitGroup

	closeOnce sync.Once
	done      chan struct{}
	mu        sync.Mutex
	conns     map[net.Conn]struct{}
}

// Listen opens the RPC socket and starts answering requests for node.
// ctx bounds only the listen call; Close stops the server. If the
// address is taken the error matches ErrInUse.
func Listen(ctx context.Context, cfg Config, node Node) (*Server, error) {
	if len(cfg.Key) == 0 {
		return nil, errors.New("rpc: empty key")
	}
	if node == nil {
		return nil, errors.New("rpc: nil node")
	}
	network, address, err := cfg.Endpoint()
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, network, address)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%w: %w", ErrInUse, err)
		}
		return nil, fmt.Errorf("rpc: listen: %w", err)
	}
	cfg.Key = append([]byte(nil), cfg.Key...)
	s := &Server{
		cfg:   cfg,
		node:  node,
		ln:    ln,
		sem:   make(chan struct{}, MaxConcurrent),
		done:  make(chan struct{}),
		conns: map[net.Conn]struct{}{},
	}
	cfg.logf("rpc: listening on %s %s", network, strconv.Quote(ln.Addr().String()))
	s.wg.Add(1)
	go s.routineAccept()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, drops the connections being served and waits
// for their goroutines. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	s.wg.Wait()
	return err
}

func (s *Server) routineAccept() {
	defer s.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		select {
		case s.sem <- struct{}{}:
		case <-s.done:
			return
		}
		c, err := s.ln.Accept()
		if err != nil {
			<-s.sem
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.cfg.logf("rpc: accept: %v; retrying in %v", err, backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if !s.track(c, true) {
			c.Close()
			<-s.sem
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			defer s.track(c, false)
			defer c.Close()
			s.serve(c)
		}()
	}
}

// track adds or removes a connection from the set Close drops; it
// refuses new ones once the server is closed.
func (s *Server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	select {
	case <-s.done:
		return false
	default:
	}
	s.conns[c] = struct{}{}
	return true
}

// serve runs one connection the way the reference's rpc_loop does:
// handshake, one request, its replies, close.
func (s *Server) serve(nc net.Conn) {
	nc.SetDeadline(time.Now().Add(s.cfg.timeout()))
	c := NewConn(nc)
	if err := serverHandshake(c, s.cfg.Key); err != nil {
		s.cfg.logf("rpc: handshake with local client failed: %v", err)
		return
	}
	b, err := c.RecvBytes(MaxRequestSize)
	if err != nil {
		s.cfg.logf("rpc: reading request: %v", err)
		return
	}
	req, codec, err := decodeRequest(b)
	if err != nil {
		s.cfg.logf("rpc: undecodable request: %v", err)
		return
	}
	replies, err := s.answer(req)
	for _, r := range replies {
		enc, eerr := encodeReply(codec, r)
		if eerr != nil {
			s.cfg.logf("rpc: encoding reply: %v", eerr)
			return
		}
		if eerr := c.SendBytes(enc); eerr != nil {
			s.cfg.logf("rpc: sending reply: %v", eerr)
			return
		}
	}
	if err != nil {
		s.cfg.logf("rpc: error while handling call from local client: %v", err)
	}
}

// answer calls answer, turning a panic in the Node into an error, as the
// reference survives exceptions in its handlers.
func (s *Server) answer(req any) (replies []any, err error) {
	defer func() {
		if p := recover(); p != nil {
			replies, err = nil, fmt.Errorf("rpc: node panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return answer(s.node, req)
}
