package daemon

import (
	"context"
	"fmt"
	"sync"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/rns/discovery"
)

// AutoconnectBitrate is the bitrate given to an auto-connected interface,
// as the reference configures it.
const AutoconnectBitrate = 5_000_000

// Record is what auto-connect needs of a discovered interface.
type Record struct {
	Type        string // the announcing interface's type, e.g. "BackboneInterface"
	Name        string // sanitized name from the announce
	ReachableOn string
	Port        int
	HasPort     bool
	NetworkID   []byte // identity hash of the announcing network or node
	IFACNetname string // published IFAC network name, or ""
	IFACNetkey  string // published IFAC passphrase, or ""
}

func (r Record) endpoint() discovery.Endpoint {
	return discovery.Endpoint{ReachableOn: r.ReachableOn, Port: r.Port, HasPort: r.HasPort}
}

// Autoconnector connects discovered interfaces as the reference's
// interface discovery does: up to Max of them, each endpoint once, and
// only the kinds the discovery gate allows (Backbone endpoints outside
// Yggdrasil's address range).
type Autoconnector struct {
	// Reticulum is the node's configuration; its transport switch picks
	// the mode of auto-connected interfaces.
	Reticulum config.Reticulum
	// Max is how many interfaces may be auto-connected; 0 turns
	// auto-connect off.
	Max int
	// Open brings up an interface configured from a discovered record.
	Open func(ctx context.Context, ic config.Interface) error

	mu        sync.Mutex
	connected map[[32]byte]string // endpoint hash -> interface name
}

// Connected returns how many interfaces this autoconnector brought up.
func (a *Autoconnector) Connected() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.connected)
}

// Interface returns the configuration auto-connect gives the interface
// for r: a Backbone client to the record's endpoint in gateway mode on a
// transport node, with the published IFAC credentials.
func (a *Autoconnector) Interface(r Record) config.Interface {
	ic := config.NewInterface(r.Name, config.TypeBackboneClient)
	ic.Enabled = true
	ic.TargetHost, ic.TargetPort = r.ReachableOn, r.Port
	ic.NetworkName, ic.Passphrase = r.IFACNetname, r.IFACNetkey
	ic.Bitrate = AutoconnectBitrate
	if a.Reticulum.EnableTransport {
		ic.Mode = config.ModeGateway
	}
	return ic
}

// Autoconnect decides on one record and, if the gate allows it, opens
// the interface. It returns the gate's verdict; an error means the gate
// allowed the record but the interface did not come up.
func (a *Autoconnector) Autoconnect(ctx context.Context, r Record) (discovery.AutoconnectVerdict, error) {
	h := discovery.EndpointHash(r.endpoint())
	a.mu.Lock()
	_, exists := a.connected[h]
	v := discovery.Autoconnect(r.Type, r.endpoint(), a.Max, len(a.connected), exists)
	if v != discovery.Connect {
		a.mu.Unlock()
		return v, nil
	}
	if a.connected == nil {
		a.connected = map[[32]byte]string{}
	}
	a.connected[h] = r.Name // reserve the slot while dialling
	a.mu.Unlock()
	if a.Open == nil {
		return v, a.fail(h, fmt.Errorf("daemon: auto-connect of %s has no way to open interfaces", r.Name))
	}
	if err := a.Open(ctx, a.Interface(r)); err != nil {
		return v, a.fail(h, fmt.Errorf("daemon: auto-connect %s at %s: %w", r.Name, r.ReachableOn, err))
	}
	return v, nil
}

func (a *Autoconnector) fail(h [32]byte, err error) error {
	a.mu.Lock()
	delete(a.connected, h)
	a.mu.Unlock()
	return err
}
