package shared

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/mehr-net/mehr/plugins/proto"
)

// ProtocolVersion is the version of the plugin protocol (driver.proto and
// the rules in this package). A host and a plugin with different versions
// refuse each other during the go-plugin handshake. Bump it on every
// incompatible change.
const ProtocolVersion = 2

// Handshake is the go-plugin handshake shared by mehrd and its plugins.
// The magic cookie is not a security measure: it only lets a plugin
// binary started by hand tell its user that mehrd is meant to start it.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "MEHR_INTERFACE_PLUGIN",
	MagicCookieValue: "3f0c1b9e6a2d4c58b7e1f0a9d2c6e4b8",
}

// PluginName is the name under which a plugin serves its Driver.
const PluginName = "interface"

// Limits of the protocol.
const (
	// MaxMTU is the largest hardware MTU a plugin may report.
	MaxMTU = 512 << 10
	// MaxIFACSize is the most bytes an interface access code adds to a
	// packet (a full Ed25519 signature); frames up to MTU plus this are
	// accepted, as the in-process drivers accept them.
	MaxIFACSize = 64
	// MaxBatchBytes is the largest Batch.data either side sends.
	MaxBatchBytes = 1 << 20
	// MaxBatchPackets is the most packets in one Batch, and the capacity
	// of a Queue.
	MaxBatchPackets = 1024
	// MaxMessageSize is the gRPC message size limit both sides set: a
	// full batch plus the sizes array and framing.
	MaxMessageSize = MaxBatchBytes + 8*MaxBatchPackets + 4096
)

// gRPC flow-control windows. The defaults (64 KiB, growing with the
// measured bandwidth-delay product) stall a stream of full batches on
// every window update; a local socket can take much more in flight.
const (
	streamWindow = 4 << 20
	connWindow   = 8 << 20
)

// DialOptions are the gRPC options the host uses for its connection to a
// plugin.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}
}

// NewGRPCServer builds a plugin's gRPC server with the limits of the
// protocol; it is go-plugin's ServeConfig.GRPCServer.
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.InitialWindowSize(streamWindow), grpc.InitialConnWindowSize(connWindow))
	return grpc.NewServer(opts...)
}

// Plugin is the go-plugin plugin of an interface driver. On the plugin
// side Driver is set and served; on the host side GRPCClient returns a
// pb.DriverClient. Only gRPC is supported.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Driver pb.DriverServer
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

// GRPCServer implements plugin.GRPCPlugin.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterDriverServer(s, p.Driver)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewDriverClient(c), nil
}

// PluginMap returns the plugin map of an interface plugin; server is nil
// on the host.
func PluginMap(server pb.DriverServer) map[string]plugin.Plugin {
	return map[string]plugin.Plugin{PluginName: &Plugin{Driver: server}}
}
