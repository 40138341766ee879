package prim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/wire"
)

func destinationCommands(r bridge.Registry) {
	r["destination_construct"] = destinationConstruct
	r["destination_announce_attempt"] = destinationAnnounceAttempt
	r["app_and_aspects_from_name"] = appAndAspectsFromName
	r["hash_from_name_and_identity"] = hashFromNameAndIdentity
	r["destination_expand_name"] = destinationExpandName
	r["destination_group_encrypt"] = destinationGroupEncrypt
	r["destination_set_proof_strategy_raw"] = destinationSetProofStrategy
	r["destination_default_app_data"] = destinationDefaultAppData
	r["destination_path_response_cache"] = destinationPathResponseCache
	r["destination_register_request_handler_validate"] = destinationRegisterRequestHandler
	r["destination_rotate_ratchets"] = destinationRotateRatchets
}

// destinationRotateRatchets builds a destination and rotates its ratchets:
// without enable, ratchets are off and the rotation is refused; with it,
// they are enabled in a temporary file and the interval gate is opened
// (the reference's bridge sets ratchet_interval to 0).
func destinationRotateRatchets(p bridge.Params) (bridge.Result, error) {
	d, err := makeDestination(p, "single")
	if err != nil {
		return nil, err
	}
	enable, err := p.Bool("enable", false)
	if err != nil {
		return nil, err
	}
	if enable {
		dir, err := os.MkdirTemp("", "mehr-dest-ratchets-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := d.EnableRatchets(storage.RatchetFile(filepath.Join(dir, "ratchets.bin"))); err != nil {
			return nil, err
		}
	}
	rotated, err := d.RotateRatchets(nil, time.Now())
	if err != nil {
		return nil, fmt.Errorf("SystemError: %w", err)
	}
	return bridge.Result{"rotated": rotated, "has_ratchets": d.RatchetsEnabled()}, nil
}

// destinationRegisterRequestHandler registers a request handler with the
// given validity on a fresh request.Mux (mehr's request handlers live on
// the link's request layer, not on the destination).
func destinationRegisterRequestHandler(p bridge.Params) (bridge.Result, error) {
	if _, err := makeDestination(p, "single"); err != nil {
		return nil, err
	}
	path := p.StringOr("path", "/test/echo")
	valid, err := p.Bool("generator_valid", true)
	if err != nil {
		return nil, err
	}
	policy, err := p.IntOr("allow", int(request.AllowAll))
	if err != nil {
		return nil, err
	}
	var fn request.Handler
	if valid {
		fn = func(_ *link.Link, _ string, data any, _ wire.Hash, _ *identity.Identity, _ time.Time) any {
			return data
		}
	}
	if policy < 0 || policy > 0xFF {
		return nil, fmt.Errorf("ValueError: %w", request.ErrInvalidPolicy)
	}
	var m request.Mux
	if err := m.Register(path, fn, request.Policy(policy), nil); err != nil {
		return nil, fmt.Errorf("ValueError: %w", err)
	}
	return bridge.Result{"registered": true, "handler_count": m.Handlers()}, nil
}

// destinationPathResponseCache answers one path request tag twice,
// advance_seconds apart on the node's clock, and reports whether the
// second answer reused the first.
func destinationPathResponseCache(p bridge.Params) (bridge.Result, error) {
	tag, err := p.Hex("tag")
	if err != nil {
		return nil, err
	}
	advance, err := p.FloatOr("advance_seconds", 0)
	if err != nil {
		return nil, err
	}
	now := time.Unix(1_000_000, 0)
	return withNodeDestinationClock(p, func() time.Time { return now }, func(d *rns.Destination) (bridge.Result, error) {
		var data [2][]byte
		var ctx wire.Context
		for i := range data {
			if i == 1 {
				now = now.Add(time.Duration(advance * float64(time.Second)))
			}
			raw, err := d.PathResponse(tag)
			if err != nil {
				return nil, err
			}
			var pkt wire.Packet
			if err := pkt.Decode(raw); err != nil {
				return nil, err
			}
			data[i] = bytes.Clone(pkt.Data)
			if i == 0 {
				ctx = pkt.Context
			}
		}
		return bridge.Result{
			"first_announce_data":    bridge.Hex(data[0]),
			"second_announce_data":   bridge.Hex(data[1]),
			"reused":                 bytes.Equal(data[0], data[1]),
			"cache_size":             d.CachedPathResponses(),
			"pr_tag_window":          int(rns.PathResponseTagWindow / time.Second),
			"first_is_path_response": ctx == wire.ContextPathResponse,
		}, nil
	})
}

func destinationDefaultAppData(p bridge.Params) (bridge.Result, error) {
	kind := p.StringOr("default_kind", "bytes")
	value, err := p.OptHex("default_value")
	if err != nil {
		return nil, err
	}
	override, err := p.OptHex("override_app_data")
	if err != nil {
		return nil, err
	}
	return withNodeDestination(p, func(d *rns.Destination) (bridge.Result, error) {
		switch kind {
		case "bytes":
			d.SetDefaultAppData(value)
		case "callable":
			d.SetDefaultAppDataFunc(func() []byte { return value })
		case "none":
		default:
			return nil, fmt.Errorf("%w: default_kind %q", bridge.ErrParam, kind)
		}
		raw, err := d.AnnouncePacket(override)
		if err != nil {
			return nil, err
		}
		var pkt wire.Packet
		if err := pkt.Decode(raw); err != nil {
			return nil, err
		}
		a, err := announce.Parse(&pkt)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"default_app_data_set": d.HasDefaultAppData(), "app_data": bridge.Hex(a.AppData)}, nil
	})
}

// withNodeDestination builds the destination p describes on a throwaway
// node (proof strategies belong to a node's destinations) and runs fn.
func withNodeDestination(p bridge.Params, fn func(d *rns.Destination) (bridge.Result, error)) (bridge.Result, error) {
	return withNodeDestinationClock(p, nil, fn)
}

// withNodeDestinationClock is withNodeDestination on a node whose clock is
// now (nil: the wall clock).
func withNodeDestinationClock(p bridge.Params, now func() time.Time, fn func(d *rns.Destination) (bridge.Result, error)) (bridge.Result, error) {
	d, err := makeDestination(p, "single")
	if err != nil {
		return nil, err
	}
	n, err := rns.NewNode(rns.Options{NoJobs: true, Now: now})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	nd, err := n.NewDestination(d.Identity, d.Direction, d.Type, d.App, d.Aspects...)
	if err != nil {
		return nil, err
	}
	return fn(nd)
}

func destinationSetProofStrategy(p bridge.Params) (bridge.Result, error) {
	v, err := p.Int("strategy_value")
	if err != nil {
		return nil, err
	}
	return withNodeDestination(p, func(d *rns.Destination) (bridge.Result, error) {
		if v < 0 || v > 0xFF {
			return nil, fmt.Errorf("TypeError: %w: %d", rns.ErrProofStrategy, v)
		}
		if err := d.SetProofStrategy(rns.ProofStrategy(v)); err != nil {
			return nil, fmt.Errorf("TypeError: %w", err)
		}
		return bridge.Result{"set": true, "proof_strategy": int(d.ProofStrategy())}, nil
	})
}

// enumParam reads a keyword or an integer passed straight through.
func enumParam(p bridge.Params, k, def string, names map[string]int) (int, error) {
	switch v := p[k].(type) {
	case nil:
		return names[def], nil
	case string:
		n, ok := names[v]
		if !ok {
			return 0, fmt.Errorf("%w: %s %q", bridge.ErrParam, k, v)
		}
		return n, nil
	}
	n, err := p.Int(k)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// optIdentity reads identity_private_key, or nil when absent.
func optIdentity(p bridge.Params, key string) (*identity.Identity, error) {
	k, err := p.OptHex(key)
	if err != nil || k == nil {
		return nil, err
	}
	return identity.FromPrivateKey(k)
}

// makeDestination builds a destination from the suite's type, direction,
// app_name, aspects and identity_private_key parameters.
func makeDestination(p bridge.Params, defType string) (*dest.Destination, error) {
	typ, err := enumParam(p, "type", defType, map[string]int{
		"single": int(wire.Single), "group": int(wire.Group), "plain": int(wire.Plain), "link": int(wire.Link),
	})
	if err != nil {
		return nil, err
	}
	dir, err := enumParam(p, "direction", "in", map[string]int{"in": int(dest.In), "out": int(dest.Out)})
	if err != nil {
		return nil, err
	}
	if typ < 0 || typ > 0xFF || dir < 0 || dir > 0xFF {
		return nil, fmt.Errorf("ValueError: %w", dest.ErrType)
	}
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	as, err := aspects(p)
	if err != nil {
		return nil, err
	}
	id, err := optIdentity(p, "identity_private_key")
	if err != nil {
		return nil, err
	}
	return dest.New(id, dest.Direction(dir), wire.DestType(typ), nil, app, as...)
}

func destinationConstruct(p bridge.Params) (bridge.Result, error) {
	d, err := makeDestination(p, "single")
	if err != nil {
		return nil, err
	}
	r := bridge.Result{
		"destination_hash": bridge.Hex(d.Hash[:]),
		"name":             d.Name,
		"name_hash":        bridge.Hex(d.NameHash[:]),
		"type":             int(d.Type),
		"direction":        int(d.Direction),
		// What every new destination starts with (rns.Destination).
		"proof_strategy": int(rns.ProveNone),
	}
	if !p.Has("identity_private_key") && d.Identity != nil {
		r["auto_identity_hexhash"] = d.Identity.HexHash()
	}
	return r, nil
}

// errAnnounceKind mirrors the reference's refusals to announce.
var (
	errAnnounceType = errors.New("TypeError: Only SINGLE destination types can be announced")
	errAnnounceDir  = errors.New("TypeError: Only IN destination types can be announced")
)

func destinationAnnounceAttempt(p bridge.Params) (bridge.Result, error) {
	d, err := makeDestination(p, "single")
	if err != nil {
		return nil, err
	}
	switch {
	case d.Type != wire.Single:
		return nil, errAnnounceType
	case d.Direction != dest.In:
		return nil, errAnnounceDir
	}
	if _, err := announce.Append(nil, &announce.Params{Destination: d}); err != nil {
		return nil, err
	}
	return bridge.Result{"ok": true, "destination_hash": bridge.Hex(d.Hash[:])}, nil
}

func appAndAspectsFromName(p bridge.Params) (bridge.Result, error) {
	full, err := p.String("full_name")
	if err != nil {
		return nil, err
	}
	app, as := dest.SplitName(full)
	if as == nil {
		as = []string{}
	}
	return bridge.Result{"app_name": app, "aspects": as}, nil
}

func hashFromNameAndIdentity(p bridge.Params) (bridge.Result, error) {
	full, err := p.String("full_name")
	if err != nil {
		return nil, err
	}
	ih, err := p.Hex("identity_hash")
	if err != nil {
		return nil, err
	}
	if len(ih) != wire.HashLen {
		return nil, fmt.Errorf("%w: identity hash is %d bytes, want %d", bridge.ErrParam, len(ih), wire.HashLen)
	}
	app, as := dest.SplitName(full)
	h := wire.Hash(ih)
	d, err := dest.Hash(&h, app, as...)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"destination_hash": bridge.Hex(d[:])}, nil
}

func destinationExpandName(p bridge.Params) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	as, err := aspects(p)
	if err != nil {
		return nil, err
	}
	id, err := optIdentity(p, "identity_private_key")
	if err != nil {
		return nil, err
	}
	name, err := dest.ExpandName(id, app, as...)
	if err != nil {
		return nil, err
	}
	r := bridge.Result{"name": name}
	if id != nil {
		r["identity_hexhash"] = id.HexHash()
	}
	return r, nil
}

func destinationGroupEncrypt(p bridge.Params) (bridge.Result, error) {
	q := bridge.Params{}
	for k, v := range p {
		q[k] = v
	}
	q["type"] = "group"
	d, err := makeDestination(q, "group")
	if err != nil {
		return nil, err
	}
	create, err := p.Bool("create_keys", false)
	if err != nil {
		return nil, err
	}
	if create {
		if err := d.CreateGroupKey(nil); err != nil {
			return nil, err
		}
	}
	pt, err := p.Hex("plaintext")
	if err != nil {
		return nil, err
	}
	ct, err := d.Encrypt(nil, pt, nil)
	if err != nil {
		return nil, err
	}
	r := bridge.Result{"ciphertext": bridge.Hex(ct), "roundtrip": nil, "has_key": d.GroupKey() != nil}
	if rt, err := d.Decrypt(ct, nil, false); err == nil {
		r["roundtrip"] = bridge.Hex(rt)
	}
	return r, nil
}
