package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

var _ iface.Listener = (*Server)(nil)

// Accept backs off between failed accepts (out of file descriptors, say)
// from acceptMinDelay, doubling up to acceptMaxDelay.
const (
	acceptMinDelay = 5 * time.Millisecond
	acceptMaxDelay = time.Second
)

// Server is a TCP server interface. Every accepted connection becomes an
// interface of its own, returned by Accept, which carries packets with the
// server's framing, MTU, bitrate and mode and does not reconnect.
type Server struct {
	s    settings
	ln   *net.TCPListener
	done chan struct{} // closed by Close

	closeOnce sync.Once
	accepted  atomic.Uint64
}

// Listen starts a server interface listening as cfg describes (Addr, or
// Device with Addr's port). It returns an error wrapping ErrBadAddress
// when the address cannot be used; ctx bounds name resolution and binding.
func Listen(ctx context.Context, cfg Config) (*Server, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	network, addr, err := listenAddr(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("tcp %s: listen on %s: %w", s.name, addr, err)
	}
	s.logf("tcp %s: listening on %s", s.name, ln.Addr())
	return &Server{s: s, ln: ln.(*net.TCPListener), done: make(chan struct{})}, nil
}

// listenAddr works out the network and address to listen on.
func listenAddr(ctx context.Context, cfg *Config) (network, addr string, err error) {
	host, port, err := splitAddr(cfg.Addr, true)
	if err != nil {
		return "", "", err
	}
	var ip netip.Addr
	switch {
	case cfg.Device != "":
		if ip, err = deviceAddr(cfg.Device, cfg.PreferIPv6); err != nil {
			return "", "", err
		}
	case host == "":
		return "tcp", net.JoinHostPort("", strconv.Itoa(int(port))), nil
	default:
		if ip, err = netip.ParseAddr(host); err != nil {
			ips, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if lerr != nil {
				return "", "", fmt.Errorf("%w %q: %w", ErrBadAddress, host, lerr)
			}
			var ok bool
			if ip, ok = pickAddr(ips, cfg.PreferIPv6); !ok {
				return "", "", fmt.Errorf("%w %q: no addresses", ErrBadAddress, host)
			}
		}
	}
	ip = ip.Unmap()
	network = "tcp6"
	if ip.Is4() {
		network = "tcp4"
	}
	return network, netip.AddrPortFrom(ip, port).String(), nil
}

// deviceAddr returns the address a server bound to a network interface
// listens on: its first IPv4 address, or its first IPv6 address if
// preferIPv6 is set or it has no IPv4 one, zoned when link-local.
func deviceAddr(name string, preferIPv6 bool) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: device %q: %w", ErrBadAddress, name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: device %q: %w", ErrBadAddress, name, err)
	}
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		if ip = ip.Unmap(); ip.Is4() {
			v4 = append(v4, ip)
		} else {
			v6 = append(v6, ip)
		}
	}
	switch {
	case len(v6) > 0 && (preferIPv6 || len(v4) == 0):
		ip := v6[0]
		if ip.IsLinkLocalUnicast() {
			ip = ip.WithZone(name)
		}
		return ip, nil
	case len(v4) > 0:
		return v4[0], nil
	}
	return netip.Addr{}, fmt.Errorf("%w: device %q has no addresses", ErrBadAddress, name)
}

// Name implements iface.Listener.
func (s *Server) Name() string { return s.s.name }

// Addr returns the address the server listens on, with the port the
// kernel chose if the configured port was 0.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// MTU is the MTU of the interfaces the server spawns.
func (s *Server) MTU() int { return s.s.mtu }

// FixedMTU reports whether the MTU was pinned by Config.FixedMTU rather
// than derived from the bitrate (the reference's FIXED_MTU).
func (s *Server) FixedMTU() bool { return s.s.fixedMTU }

// Bitrate is the bitrate of the interfaces the server spawns.
func (s *Server) Bitrate() int64 { return s.s.bitrate }

// Mode is the mode of the interfaces the server spawns.
func (s *Server) Mode() iface.Mode { return s.s.mode }

// Accepted returns the number of connections accepted so far.
func (s *Server) Accepted() uint64 { return s.accepted.Load() }

// Accept implements iface.Listener. It blocks until a client connects and
// returns its interface, a *Client named "Client on <server>/<address>".
// Failed accepts (such as running out of file descriptors) are retried
// with backoff. After Close it returns net.ErrClosed.
func (s *Server) Accept() (iface.Interface, error) {
	delay := acceptMinDelay
	for {
		conn, err := s.ln.AcceptTCP()
		if err == nil {
			s.accepted.Add(1)
			name := "Client on " + s.s.name + "/" + conn.RemoteAddr().String()
			return spawn(s.s, name, conn), nil
		}
		select {
		case <-s.done:
			return nil, net.ErrClosed
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, net.ErrClosed
		}
		s.s.logf("tcp %s: accept: %v; retrying in %v", s.s.name, err, delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return nil, net.ErrClosed
		}
		delay = min(2*delay, acceptMaxDelay)
	}
}

// Close implements iface.Listener. It stops listening and unblocks Accept;
// interfaces already accepted stay open. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.ln.Close()
		s.s.logf("tcp %s: stopped listening", s.s.name)
	})
	return err
}
