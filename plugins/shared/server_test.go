package shared_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/mehr-net/mehr/plugins/proto"
	"github.com/mehr-net/mehr/plugins/shared"
	"github.com/mehr-net/mehr/rns/iface"
)

// loop is an in-memory loopback driver.
type loop struct {
	q    chan []byte
	done chan struct{}
	once sync.Once
}

func (l *loop) Name() string         { return "loop" }
func (l *loop) MTU() int             { return 500 }
func (l *loop) Bitrate() int64       { return 9600 }
func (l *loop) Mode() iface.Mode     { return iface.ModeAccessPoint }
func (l *loop) IngressExempt() bool  { return true }
func (l *loop) DefaultIFACSize() int { return 8 }
func (l *loop) Send(p []byte) error {
	l.q <- append([]byte(nil), p...)
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
func (l *loop) Close() error { l.once.Do(func() { close(l.done) }); return nil }

// TestServerInProcess runs the plugin-side server over go-plugin's
// in-process gRPC connection: Open reports the driver's properties, the
// packet stream carries packets both ways, and Close closes the driver.
func TestServerInProcess(t *testing.T) {
	var gotName string
	var gotConfig string
	drv := &loop{q: make(chan []byte, 16), done: make(chan struct{})}
	hostEnd, pluginEnd := net.Pipe() // the packet channel
	defer hostEnd.Close()
	srv := shared.NewServer(func(_ context.Context, a shared.OpenArgs) (iface.Interface, error) {
		gotName, gotConfig = a.Name, string(a.Config)
		return drv, nil
	}, shared.ServerOptions{Data: pluginEnd})
	// Closing the client stops the server through go-plugin's controller.
	client, _ := plugin.TestPluginGRPCConn(t, false, shared.PluginMap(srv))
	defer client.Close()
	raw, err := client.Dispense(shared.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	c := raw.(pb.DriverClient)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := c.Open(ctx, &pb.OpenRequest{Name: "radio", Config: []byte("x = 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Properties
	if gotName != "radio" || gotConfig != "x = 1\n" || p.HwMtu != 500 || p.Bitrate != 9600 ||
		p.Mode != uint32(iface.ModeAccessPoint) || !p.IngressExempt || p.DefaultIfacSize != 8 || p.HasCounters {
		t.Fatalf("open: name %q, config %q, properties %v", gotName, gotConfig, p)
	}
	if _, err := c.Open(ctx, &pb.OpenRequest{Name: "again"}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("second Open: %v", err)
	}
	stream := shared.NewBatchConn(hostEnd, shared.MaxBatchBytes, shared.MaxBatchPackets)
	if err := stream.Send(&pb.Batch{Data: []byte("onetwo"), Sizes: []uint32{3, 3}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		b, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if shared.Check(b, shared.MaxBatchPackets) != nil {
			t.Fatalf("server sent a malformed batch %v", b)
		}
		off := 0
		for _, s := range b.Sizes {
			got = append(got, string(b.Data[off:off+int(s)]))
			off += int(s)
		}
	}
	if got[0] != "one" || got[1] != "two" {
		t.Fatalf("looped back %q", got)
	}
	// A malformed batch from the host is dropped and counted, not fatal.
	if err := stream.Send(&pb.Batch{Data: []byte("x"), Sizes: []uint32{5}}); err != nil {
		t.Fatal(err)
	}
	for {
		r, err := c.Counters(ctx, &pb.CountersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if r.SendErrors == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("counters %v", r)
		case <-time.After(10 * time.Millisecond):
		}
	}
	stream.Close()
	if _, err := c.Close(ctx, &pb.CloseRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-drv.done:
	default:
		t.Fatal("Close did not close the driver")
	}
}
