package wiretcp

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/mgmt"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
)

// configCommands are the read-backs of what a node's configuration
// resolved to.
func configCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_instance_posture":             cmdInstancePosture,
		"wire_mgmt_destinations":            cmdMgmtDestinations,
		"wire_interface_transport_defaults": cmdInterfaceTransportDefaults,
		"wire_set_proof_implicit":           cmdSetProofImplicit,
	}
}

// withAnnounceRate gives o the announce rate limits mehrd gives an
// interface configured without any: on a transport node, the defaults.
func withAnnounceRate(o transport.InterfaceOptions, transportEnabled bool) transport.InterfaceOptions {
	r := config.Default().Reticulum
	r.EnableTransport = transportEnabled
	o.AnnounceRateTarget, o.AnnounceRateGrace, o.AnnounceRatePenalty = daemon.AnnounceRate(r, config.Interface{})
	return o
}

// cmdInterfaceTransportDefaults reports the shared instance's data port
// (the configured default unless this node shares itself over TCP) and
// the announce rate limits a transport node applies to interfaces that
// set none.
func cmdInterfaceTransportDefaults(in *instance, _ bridge.Params) (bridge.Result, error) {
	def := config.Default().Reticulum
	port := def.SharedInstancePort
	if in.sharedPort != 0 {
		port = in.sharedPort
	}
	def.EnableTransport = true
	target, grace, penalty := daemon.AnnounceRate(def, config.Interface{})
	return bridge.Result{
		"local_interface_port": port,
		"ar_target":            int(target / time.Second),
		"ar_penalty":           int(penalty / time.Second),
		"ar_grace":             grace,
	}, nil
}

// nodePosture resolves the instance-wide knobs of a wire_start_* command
// through the daemon's own configuration path: the knobs are set on a
// default [reticulum] section, which daemon.ResolvePosture reads exactly
// as it reads mehrd's configuration (so a malformed identity hash refuses
// the start, as it stops the reference).
func nodePosture(p bridge.Params, transportEnabled bool) (daemon.Posture, error) {
	r := config.Default().Reticulum
	r.EnableTransport = transportEnabled
	var err error
	if r.RespondToProbes, err = p.Bool("respond_to_probes", false); err != nil {
		return daemon.Posture{}, err
	}
	if p.Has("use_implicit_proof") {
		if r.UseImplicitProof, err = p.Bool("use_implicit_proof", true); err != nil {
			return daemon.Posture{}, err
		}
	}
	if r.EnableRemoteManagement, err = p.Bool("enable_remote_management", false); err != nil {
		return daemon.Posture{}, err
	}
	if p.Has("panic_on_interface_error") {
		if r.PanicOnInterfaceError, err = p.Bool("panic_on_interface_error", false); err != nil {
			return daemon.Posture{}, err
		}
	}
	for key, dst := range map[string]*[]string{
		"remote_management_allowed":   &r.RemoteManagementAllowed,
		"blackhole_sources":           &r.BlackholeSources,
		"interface_discovery_sources": &r.InterfaceDiscoverySources,
	} {
		if !p.Has(key) {
			continue
		}
		l, err := p.List(key)
		if err != nil {
			return daemon.Posture{}, err
		}
		for _, v := range l {
			s, ok := v.(string)
			if !ok {
				return daemon.Posture{}, fmt.Errorf("%w: %s entry %v is not a string", bridge.ErrParam, key, v)
			}
			*dst = append(*dst, s)
		}
	}
	return daemon.ResolvePosture(r)
}

func hexHashes(l [][identity.HashLen]byte) []string {
	out := make([]string, len(l))
	for i, h := range l {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// cmdInstancePosture reports the instance-wide flags the node runs with.
// A client attached to a shared instance runs with transport, probes and
// remote management off, whatever it was asked for, as in the reference.
func cmdInstancePosture(in *instance, _ bridge.Params) (bridge.Result, error) {
	t := in.node.Transport()
	pst := in.posture
	attached := t.SharedInstanceClient()
	return bridge.Result{
		"transport_enabled":               t.Enabled(),
		"respond_to_probes":               pst.RespondToProbes && !attached,
		"remote_management_enabled":       in.remote != nil,
		"remote_management_allowed":       hexHashes(pst.RemoteManagementAllowed),
		"should_use_implicit_proof":       t.ImplicitProofs(),
		"link_mtu_discovery":              pst.LinkMTUDiscovery,
		"panic_on_interface_error":        pst.PanicOnInterfaceError,
		"blackhole_sources":               hexHashes(pst.BlackholeSources),
		"interface_discovery_sources":     hexHashes(pst.InterfaceDiscoverySources),
		"is_shared_instance":              in.rpc != nil,
		"is_connected_to_shared_instance": attached,
	}, nil
}

// cmdMgmtDestinations reads the node's management destinations: the probe
// responder and the remote management destination with its handlers.
func cmdMgmtDestinations(in *instance, _ bridge.Params) (bridge.Result, error) {
	tid := in.node.Identity().Hash()
	mgmtDests := in.node.ManagementDestinations()
	isMgmt := func(h [16]byte) bool {
		for _, d := range mgmtDests {
			if d.Hash() == h {
				return true
			}
		}
		return false
	}
	out := bridge.Result{
		"transport_identity_hash": hex.EncodeToString(tid[:]),
		"app_name":                mgmt.AppName,
	}
	if pd := in.node.ProbeDestination(); pd != nil {
		h := pd.Hash()
		out["probe"] = bridge.Result{
			"present":              true,
			"hash":                 hex.EncodeToString(h[:]),
			"name":                 pd.Name,
			"proof_strategy":       int(pd.ProofStrategy()),
			"accepts_links":        pd.AcceptsLinks(),
			"in_mgmt_destinations": isMgmt(h),
		}
	} else {
		out["probe"] = bridge.Result{"present": false}
	}
	if r := in.remote; r != nil {
		d := r.Destination()
		h := d.Hash()
		var handlers []bridge.Result
		for _, rt := range r.Routes() {
			handlers = append(handlers, bridge.Result{
				"path":                rt.Path,
				"path_hash":           hex.EncodeToString(rt.PathHash[:]),
				"allow":               int(rt.Policy),
				"allowed_hashes":      hexHashes(rt.Allowed),
				"allowed_list_is_acl": true, // every route checks the configured list
			})
		}
		out["remote_management"] = bridge.Result{
			"present":              true,
			"hash":                 hex.EncodeToString(h[:]),
			"name":                 d.Name,
			"in_mgmt_destinations": isMgmt(h),
			"in_mgmt_hashes":       isMgmt(h),
			"request_handlers":     handlers,
		}
	} else {
		out["remote_management"] = bridge.Result{"present": false}
	}
	return out, nil
}

// cmdSetProofImplicit switches the node between implicit and explicit
// proofs (use_implicit_proof) at run time.
func cmdSetProofImplicit(in *instance, p bridge.Params) (bridge.Result, error) {
	on, err := p.Bool("enabled", true)
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	t.SetImplicitProofs(on)
	return bridge.Result{"implicit_proof": t.ImplicitProofs()}, nil
}
