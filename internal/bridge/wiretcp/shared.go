package wiretcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"strconv"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/mgmt"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rpc"
)

// shareInstance publishes in's node as a shared instance on loopback TCP
// (or an abstract Unix socket): the data socket programs attach to and the
// RPC socket they query. It fills the shared-instance fields of res.
func (in *instance) shareInstance(ctx context.Context, typ string, res bridge.Result) error {
	t := local.TypeTCP
	if typ == "unix" {
		t = local.TypeUnix
	}
	name := "wire_" + in.handle
	cfg := local.Config{Name: "Shared Instance", Type: t, InstanceName: name}
	if t == local.TypeTCP {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := local.Listen(ctx, cfg)
	if err != nil {
		return err
	}
	in.node.AddListener(srv, transport.InterfaceOptions{})
	key := in.rpcKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		in.rpcKey = key
	}
	rcfg := rpc.Config{Type: t, InstanceName: name, Key: key}
	if t == local.TypeTCP {
		rcfg.Addr = "127.0.0.1:0"
	}
	rs, err := rpc.Listen(ctx, rcfg, mgmt.NewView(in.node))
	if err != nil {
		return err
	}
	in.rpc = rs
	res["instance_name"] = name
	res["share_instance_type"] = typ
	res["rpc_key"] = hex.EncodeToString(key)
	if t == local.TypeTCP {
		in.sharedPort = portOf(srv.Addr())
		res["shared_instance_port"] = in.sharedPort
		res["instance_control_port"] = portOf(rs.Addr())
	}
	return nil
}

func portOf(a net.Addr) int {
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}

// startLocalClient attaches a new node to a shared instance on loopback.
func (w *wireState) startLocalClient(p bridge.Params) (bridge.Result, error) {
	port, err := p.Int("shared_instance_port")
	if err != nil {
		return nil, err
	}
	node, err := rns.NewNode(rns.Options{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := local.Dial(ctx, local.Config{Type: local.TypeTCP, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))})
	if err != nil {
		node.Close()
		return nil, err
	}
	tp := newTap(nil)
	if _, err := node.AddInterface(sharedTap{tapIface{Interface: cl, t: tp}}, transport.InterfaceOptions{}); err != nil {
		cl.Close()
		node.Close()
		return nil, err
	}
	time.Sleep(connectSettle)
	in := &instance{role: "local_client", node: node, tap: tp}
	w.add(in)
	tid := node.Identity().Hash()
	return bridge.Result{"handle": in.handle, "identity_hash": hex.EncodeToString(tid[:])}, nil
}

// sharedTap is a tapped shared-instance client interface.
type sharedTap struct{ tapIface }

// IsSharedInstance implements iface.SharedInstance.
func (sharedTap) IsSharedInstance() bool { return true }

// cmdRPCAuthkey reports the RPC key: the configured or shared-instance
// one, else the default derived from the transport identity.
func cmdRPCAuthkey(in *instance, _ bridge.Params) (bridge.Result, error) {
	id := in.node.Identity()
	key := in.rpcKey
	if key == nil {
		var err error
		if key, err = rpc.DefaultKey(id); err != nil {
			return nil, err
		}
	}
	priv, _ := id.PrivateKey()
	return bridge.Result{"rpc_key": hex.EncodeToString(key), "transport_private_key": hex.EncodeToString(priv[:])}, nil
}

// cmdFirstHopTimeout reports how long a packet to a destination may take
// over its first hop, as the node computes it for its RPC clients.
func cmdFirstHopTimeout(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	return bridge.Result{
		"timeout":                 mgmt.NewView(in.node).FirstHopTimeout(h).Seconds(),
		"default_per_hop_timeout": rpc.DefaultPerHopTimeout.Seconds(),
	}, nil
}
