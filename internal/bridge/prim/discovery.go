package prim

import (
	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/discovery"
)

func discoveryCommands(r bridge.Registry) {
	r["discovery_sanitize_name"] = discoverySanitizeName
	r["discovery_validate_address"] = discoveryValidateAddress
	r["discovery_announce_identity"] = discoveryAnnounceIdentity
	r["discovery_feature_defaults"] = discoveryFeatureDefaults
}

// discoverySanitizeName runs both sanitizers; a missing name is the
// reference's None and stays None.
func discoverySanitizeName(p bridge.Params) (bridge.Result, error) {
	if !p.Has("name") {
		return bridge.Result{"sanitize_name": nil, "sanitize": nil}, nil
	}
	name, err := p.String("name")
	if err != nil {
		return nil, err
	}
	var sn any = discovery.SanitizeName(name)
	if name == "" {
		sn = nil // the reference returns None for an empty name
	}
	return bridge.Result{"sanitize_name": sn, "sanitize": discovery.Sanitize(name)}, nil
}

func discoveryValidateAddress(p bridge.Params) (bridge.Result, error) {
	a, err := p.String("address")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"is_ip_address": discovery.IsIPAddress(a), "is_hostname": discovery.IsHostname(a),
		"is_ygg_ipv6": discovery.IsYggdrasil(a)}, nil
}

// discoveryAnnounceIdentity reports which identity the discovery
// destination is built under.
func discoveryAnnounceIdentity(p bridge.Params) (bridge.Result, error) {
	hasNet, err := p.Bool("has_network_identity", false)
	if err != nil {
		return nil, err
	}
	net, err := optIdentity(p, "network_identity_priv")
	if err != nil {
		return nil, err
	}
	tx, err := optIdentity(p, "identity_priv")
	if err != nil {
		return nil, err
	}
	if tx == nil {
		return nil, bridge.ErrParam
	}
	offered := net
	if !hasNet {
		offered = nil
	}
	chosen := discovery.AnnounceIdentity(tx, offered)
	txh, ch, dh := tx.Hash(), chosen.Hash(), discovery.DestinationHash(chosen)
	res := bridge.Result{"identity_hash": bridge.Hex(txh[:]), "chosen_identity_hash": bridge.Hex(ch[:]),
		"discovery_destination_hash": bridge.Hex(dh[:]), "app_name": discovery.AppName,
		"aspects": discovery.Aspects}
	if net != nil {
		nh := net.Hash()
		res["network_identity_hash"] = bridge.Hex(nh[:])
	}
	return res, nil
}

// discoveryFeatureDefaults reports the opt-in switches of a fresh node and
// a fresh interface.
func discoveryFeatureDefaults(bridge.Params) (bridge.Result, error) {
	var f discovery.Features
	it := config.NewInterface("fresh", "") // a fresh interface of no particular type
	return bridge.Result{"interface_discoverable": it.Discoverable, "interface_supports_discovery": discovery.Discoverable(it.Type),
		"discover_interfaces": f.DiscoverInterfaces, "should_autoconnect_discovered_interfaces": f.Autoconnects(),
		"max_autoconnected_interfaces": f.MaxAutoconnected}, nil
}
