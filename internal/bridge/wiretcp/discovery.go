package wiretcp

import (
	"context"
	"net"
	"strconv"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/discovery"
)

func discoveryCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_discovery_autoconnect_gate": cmdDiscoveryAutoconnectGate,
	}
}

// cmdDiscoveryAutoconnectGate runs the daemon's auto-connect on records
// the reference refuses to dial and reports how many interfaces each
// added to the node, with the endpoint dedup key of a plain record.
func cmdDiscoveryAutoconnectGate(in *instance, _ bridge.Params) (bridge.Result, error) {
	r := config.Default().Reticulum
	r.EnableTransport = true
	a := &daemon.Autoconnector{Reticulum: r, Max: 4, Open: func(ctx context.Context, ic config.Interface) error {
		t, _ := daemon.BuiltinType(ic.Type)
		o, err := daemon.InterfaceOptions(r, ic, t)
		if err != nil {
			return err
		}
		c, err := tcp.NewClient(ctx, tcp.Config{Name: ic.Name, Addr: net.JoinHostPort(ic.TargetHost, strconv.Itoa(ic.TargetPort)),
			Bitrate: ic.Bitrate})
		if err != nil {
			return err
		}
		_, err = in.node.AddInterface(c, o)
		return err
	}}
	rec := func(typ, host string, port int) daemon.Record {
		return daemon.Record{Type: typ, Name: "discovered-test", ReachableOn: host, Port: port, HasPort: true,
			NetworkID: make([]byte, 16)}
	}
	cases := map[string]daemon.Record{
		"wrong_type": rec("UDPInterface", "10.0.0.5", 4242),
		"tcp_client": rec("TCPClientInterface", "10.0.0.6", 4242),
		"i2p":        rec("I2PInterface", "abcdefgh.b32.i2p", 0),
		"yggdrasil":  rec("BackboneInterface", "200::1", 4242),
	}
	res := bridge.Result{}
	for name, c := range cases {
		before := len(in.node.Transport().Interfaces())
		v, err := a.Autoconnect(context.Background(), c)
		out := bridge.Result{"interfaces_added": len(in.node.Transport().Interfaces()) - before, "verdict": v.String()}
		if err != nil {
			out["error"] = err.Error()
		}
		res[name] = out
	}
	probe := discovery.Endpoint{ReachableOn: "10.9.9.9", Port: 4242, HasPort: true}
	h := discovery.EndpointHash(probe)
	res["endpoint_spec"] = "10.9.9.9:4242"
	res["endpoint_hash"] = bridge.Hex(h[:])
	return res, nil
}
