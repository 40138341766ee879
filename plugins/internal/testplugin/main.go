// Command testplugin is an interface plugin for the tests of
// plugins/host: its interface's behaviour key picks what it does.
//
//   - "loop" (default): a loopback interface; every packet sent comes back.
//   - "garbage": opens normally, then sends malformed batches and frames
//     above its MTU as fast as it can.
//   - "hang": a loopback interface whose control calls never answer after
//     the first.
//   - "refuse": Open fails with a configuration error.
//   - "die": a loopback interface whose process exits 100 ms after Open.
//
// It serves the Driver service itself rather than through plugins/sdk,
// so that it can break the protocol.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	pb "github.com/mehr-net/mehr/plugins/proto"
	"github.com/mehr-net/mehr/plugins/shared"
	"github.com/mehr-net/mehr/rns/iface"
)

type options struct {
	Behaviour string `toml:"behaviour"`
	MTU       int    `toml:"mtu"`
}

type server struct {
	*shared.Server
	data net.Conn // the packet channel
	mu   sync.Mutex
	opt  options
}

func (s *server) Open(ctx context.Context, req *pb.OpenRequest) (*pb.OpenResponse, error) {
	var o options
	toml.NewDecoder(bytes.NewReader(req.Config)).Decode(&o)
	s.mu.Lock()
	s.opt = o
	s.mu.Unlock()
	resp, err := s.Server.Open(ctx, req)
	if err == nil {
		go s.stream(s.data)
	}
	return resp, err
}

func (s *server) behaviour() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opt.Behaviour
}

// stream runs the packet channel once Open has succeeded: the server's
// own loop, or garbage.
func (s *server) stream(conn net.Conn) {
	maxBytes, maxPkts := s.Server.Limits()
	stream := shared.NewBatchConn(conn, maxBytes, maxPkts)
	if s.behaviour() != "garbage" {
		s.Server.ServeStream(stream)
		return
	}
	mtu := s.opt.MTU
	if mtu == 0 {
		mtu = 500
	}
	bad := []*pb.Batch{
		{Data: make([]byte, mtu+shared.MaxIFACSize+1), Sizes: []uint32{uint32(mtu + shared.MaxIFACSize + 1)}},
		{Data: make([]byte, 10), Sizes: []uint32{5, 50}},
		{Data: make([]byte, 10)},
	}
	for i := 0; ; i++ {
		if err := stream.Send(bad[i%len(bad)]); err != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *server) Counters(ctx context.Context, req *pb.CountersRequest) (*pb.CountersResponse, error) {
	if s.behaviour() == "hang" {
		<-ctx.Done()
		select {} // never answer
	}
	return s.Server.Counters(ctx, req)
}

// loop is a loopback interface.
type loop struct {
	mtu  int
	q    chan []byte
	done chan struct{}
	once sync.Once
}

func (l *loop) Name() string         { return "loop" }
func (l *loop) MTU() int             { return l.mtu }
func (l *loop) Bitrate() int64       { return 1e9 }
func (l *loop) Mode() iface.Mode     { return iface.ModeFull }
func (l *loop) DefaultIFACSize() int { return 16 }
func (l *loop) Send(p []byte) error {
	select {
	case l.q <- append([]byte(nil), p...):
	default:
	}
	return nil
}
func (l *loop) Receive(buf []byte) (int, error) {
	select {
	case p := <-l.q:
		return copy(buf, p), nil
	case <-l.done:
		return 0, net.ErrClosed
	}
}
func (l *loop) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func main() {
	if os.Getenv(shared.Handshake.MagicCookieKey) != shared.Handshake.MagicCookieValue {
		os.Stderr.WriteString("testplugin is a test plugin for plugins/host\n")
		os.Exit(1)
	}
	stderr := os.Stderr
	data, err := shared.DataConn()
	if err != nil {
		fmt.Fprintln(stderr, "testplugin:", err)
		os.Exit(1)
	}
	s := &server{data: data}
	s.Server = shared.NewServer(func(ctx context.Context, a shared.OpenArgs) (iface.Interface, error) {
		mtu := s.opt.MTU
		if mtu == 0 {
			mtu = 500
		}
		a.Logf("opening %s as %q", a.Name, s.behaviour())
		switch s.behaviour() {
		case "refuse":
			return nil, errors.New("testplugin refuses to open")
		case "die":
			time.AfterFunc(100*time.Millisecond, func() { os.Exit(3) })
		}
		return &loop{mtu: mtu, q: make(chan []byte, 1024), done: make(chan struct{})}, nil
	}, shared.ServerOptions{Logf: func(f string, args ...any) { fmt.Fprintf(stderr, "testplugin: "+f+"\n", args...) }})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		Plugins:         shared.PluginMap(s),
		GRPCServer:      shared.NewGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: stderr}),
	})
	s.Shutdown()
}
