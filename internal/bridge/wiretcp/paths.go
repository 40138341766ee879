package wiretcp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"github.com/mehr-net/mehr/rns/link"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// cmdAnnounce creates a fresh inbound SINGLE destination with its own
// identity and announces it.
func cmdAnnounce(in *instance, p bridge.Params) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	appData, err := p.OptHex("app_data")
	if err != nil {
		return nil, err
	}
	empty, _ := p.Bool("app_data_empty", false)
	if len(appData) == 0 {
		appData = nil
		if empty {
			appData = []byte{}
		}
	}
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	d, err := in.node.NewDestination(id, rns.In, wire.Single, app, aspects...)
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	in.dests[d.Hash()] = d
	in.mu.Unlock()
	ratchets, err := enableRatchetsParam(in, d, p)
	if err != nil {
		return nil, err
	}
	if err := announceDest(d, appData); err != nil {
		return nil, err
	}
	idh := id.Hash()
	res := bridge.Result{
		"destination_hash": hexHash(d.Hash()),
		"identity_hash":    hex.EncodeToString(idh[:]),
	}
	if ratchets {
		ratchetAnnounceFields(d, res)
	}
	return res, nil
}

func stringList(p bridge.Params, k string) ([]string, error) {
	if !p.Has(k) {
		return nil, nil
	}
	l, err := p.List(k)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l))
	for _, v := range l {
		s, ok := v.(string)
		if !ok {
			return nil, bridge.ErrParam
		}
		out = append(out, s)
	}
	return out, nil
}

func cmdPollPath(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	if pollUntil(timeoutParam(p, 5000), func() bool { return t.HasPath(h) }) {
		return bridge.Result{"found": true, "hops": t.HopsTo(h)}, nil
	}
	return bridge.Result{"found": false, "hops": nil}, nil
}

func cmdRequestPath(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	in.tap.mu.Lock()
	in.tap.own[h] = true
	in.tap.mu.Unlock()
	if err := in.node.RequestPath(h); err != nil {
		return nil, err
	}
	return bridge.Result{"sent": true}, nil
}

func cmdReadPathEntry(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	pe, ok := in.node.Transport().Path(h)
	if !ok {
		return bridge.Result{"found": false}, nil
	}
	var ifName any
	if pe.Interface != nil {
		ifName = pe.Interface.Name()
	}
	return bridge.Result{
		"found":                    true,
		"timestamp":                pe.Timestamp.UnixMilli(),
		"expires":                  pe.Expires.UnixMilli(),
		"hops":                     int(pe.Hops),
		"next_hop":                 hexHash(pe.NextHop),
		"receiving_interface_name": ifName,
	}, nil
}

// cmdReadPathRandomHash returns the random hash of the announce cached with
// the path entry (announce data: public key 64, name hash 10, random hash 10).
func cmdReadPathRandomHash(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	pe, ok := in.node.Transport().Path(h)
	if !ok || len(pe.Announce) == 0 {
		return bridge.Result{"found": false}, nil
	}
	var pkt wire.Packet
	if err := pkt.Decode(pe.Announce); err != nil || len(pkt.Data) < 84 {
		return bridge.Result{"found": false}, nil
	}
	return bridge.Result{"found": true, "random_hash": hex.EncodeToString(pkt.Data[74:84])}, nil
}

func cmdTxBytes(in *instance, _ bridge.Params) (bridge.Result, error) {
	var total uint64
	for _, i := range in.node.Transport().Interfaces() {
		total += i.Stats().TxBytes
	}
	return bridge.Result{"tx_bytes": total}, nil
}

func cmdTransportEnabled(in *instance, _ bridge.Params) (bridge.Result, error) {
	t := in.node.Transport()
	return bridge.Result{
		"transport_enabled":               t.Enabled(),
		"is_shared_instance":              in.rpc != nil,
		"is_connected_to_shared_instance": t.SharedInstanceClient(),
	}, nil
}

func cmdInterfaceHWMTU(in *instance, _ bridge.Params) (bridge.Result, error) {
	mtu, fixed := 0, false
	switch {
	case in.srv != nil:
		mtu, fixed = in.srv.MTU(), in.srv.FixedMTU()
	case in.client != nil:
		mtu, fixed = in.client.MTU(), in.client.FixedMTU()
	}
	// The reference's TCP interfaces autoconfigure their MTU unless it is
	// fixed; links signal the next hop's MTU either way (link.MTUDiscovery).
	return bridge.Result{
		"hw_mtu": mtu, "fixed_mtu": fixed, "autoconfigure_mtu": !fixed,
		"link_mtu_discovery": link.MTUDiscovery, "reticulum_mtu": wire.MTU,
	}, nil
}

// cmdIdentityRecall recalls the identity announced for a destination hash
// or, with from_identity_hash, for an identity hash.
func cmdIdentityRecall(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	byIdentity, _ := p.Bool("from_identity_hash", false)
	t := in.node.Transport()
	var (
		id      *identity.Identity
		appData []byte
	)
	pollUntil(timeoutParam(p, 0), func() bool {
		if !byIdentity {
			var ok bool
			id, appData, ok = in.node.Recall(h)
			return ok
		}
		for _, k := range t.KnownDestinations() {
			if identity.TruncatedHash(k.PublicKey[:]) == [identity.HashLen]byte(h) {
				if c, err := identity.FromPublicKey(k.PublicKey[:]); err == nil {
					id, appData = c, k.AppData
					return true
				}
			}
		}
		return false
	})
	if id == nil {
		return bridge.Result{"found": false, "app_data": nil}, nil
	}
	pub, idh := id.PublicKey(), id.Hash()
	var ad any
	if appData != nil {
		ad = hex.EncodeToString(appData)
	}
	return bridge.Result{
		"found":      true,
		"public_key": hex.EncodeToString(pub[:]),
		"hash":       hex.EncodeToString(idh[:]),
		"app_data":   ad,
	}, nil
}

var _ = time.Second

// announceDest announces d. With no interface up (a server no peer has
// connected to yet) the announce goes nowhere, which is no error: the
// reference does not report it either.
func announceDest(d *rns.Destination, appData []byte) error {
	err := d.Announce(appData)
	if errors.Is(err, transport.ErrNoRoute) {
		return nil
	}
	return err
}
