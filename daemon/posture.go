package daemon

import (
	"encoding/hex"
	"fmt"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/rns/identity"
)

// Posture is the instance-wide behaviour a configuration's [reticulum]
// section resolves to: what the reference's Reticulum accessors
// (transport_enabled, probe_destination_enabled, remote_management_enabled,
// should_use_implicit_proof, ...) report once the configuration is read.
type Posture struct {
	TransportEnabled bool
	// RespondToProbes is the respond_to_probes knob; the probe responder
	// itself is registered on transport nodes only, as in the reference.
	RespondToProbes  bool
	RemoteManagement bool
	// RemoteManagementAllowed, BlackholeSources and
	// InterfaceDiscoverySources are identity hashes, in the order
	// configured, each once.
	RemoteManagementAllowed [][identity.HashLen]byte
	UseImplicitProof        bool
	LinkMTUDiscovery        bool
	// PanicOnInterfaceError makes an interface that fails for good end
	// the process instead of leaving the node running without it.
	PanicOnInterfaceError     bool
	BlackholeSources          [][identity.HashLen]byte
	InterfaceDiscoverySources [][identity.HashLen]byte
}

// ResolvePosture reads the posture from r. An identity hash list with an
// entry that is not 32 hexadecimal characters is an error, as it stops
// the reference at start-up; a hash listed twice is kept once.
func ResolvePosture(r config.Reticulum) (Posture, error) {
	p := Posture{
		TransportEnabled:      r.EnableTransport,
		RespondToProbes:       r.RespondToProbes,
		RemoteManagement:      r.EnableRemoteManagement,
		UseImplicitProof:      r.UseImplicitProof,
		LinkMTUDiscovery:      r.LinkMTUDiscovery,
		PanicOnInterfaceError: r.PanicOnInterfaceError,
	}
	var err error
	if p.RemoteManagementAllowed, err = hashList("remote_management_allowed", r.RemoteManagementAllowed); err != nil {
		return p, err
	}
	if p.BlackholeSources, err = hashList("blackhole_sources", r.BlackholeSources); err != nil {
		return p, err
	}
	if p.InterfaceDiscoverySources, err = hashList("interface_discovery_sources", r.InterfaceDiscoverySources); err != nil {
		return p, err
	}
	return p, nil
}

// hashList parses identity hashes, dropping repeats. The result is never
// nil.
func hashList(key string, l []string) ([][identity.HashLen]byte, error) {
	out := [][identity.HashLen]byte{}
	seen := map[[identity.HashLen]byte]bool{}
	for _, s := range l {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != identity.HashLen {
			return nil, fmt.Errorf("%w: %s: %q is not an identity hash of %d hexadecimal characters",
				config.ErrValue, key, s, 2*identity.HashLen)
		}
		h := [identity.HashLen]byte(b)
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out, nil
}
