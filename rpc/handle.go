package rpc

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rpc/pickle"
)

// errRequest reports a request the reference's rpc_loop fails on (a
// missing key, an argument of the wrong type): it logs the exception and
// drops the connection without an answer, so the server does the same.
var errRequest = errors.New("rpc: bad request")

// answer returns the replies to one decoded request, in the order the
// reference's rpc_loop sends them. The reference tests the keys "get",
// "drop", "blackhole_identity", "unblackhole_identity", "destination_data"
// and "identity_data" one after the other and answers each one present,
// so a request normally gets exactly one reply, a request with none of
// those keys (or an unknown "get" path) none, and a malformed one the
// replies before the failing part followed by an error.
func answer(n Node, req any) ([]any, error) {
	call, ok := req.(msgpack.Map)
	if !ok {
		return nil, fmt.Errorf("%w: request is not a dict", errRequest)
	}
	var replies []any
	reply := func(v any) { replies = append(replies, v) }

	if path, ok := call.Get("get"); ok {
		switch path {
		case "path_table":
			mh, err := need(call, "max_hops")
			if err != nil {
				return replies, err
			}
			v, err := pathTable(n.PathTable(), mh)
			if err != nil {
				return replies, err
			}
			reply(v)
		case "interface_stats":
			reply(interfaceStats(n.InterfaceStats()))
		case "rate_table":
			reply(rateTable(n.RateTable()))
		case "next_hop_if_name":
			h, ok, err := hashArg(call, "destination_hash")
			if err != nil {
				return replies, err
			}
			name := "None" // str(None), as the reference sends with no path
			if ok {
				if s, found := n.NextHopInterface(h); found {
					name = s
				}
			}
			reply(name)
		case "next_hop":
			h, ok, err := hashArg(call, "destination_hash")
			if err != nil {
				return replies, err
			}
			var v any
			if ok {
				if hop, found := n.NextHop(h); found {
					v = hop[:]
				}
			}
			reply(v)
		case "first_hop_timeout":
			h, ok, err := hashArg(call, "destination_hash")
			if err != nil {
				return replies, err
			}
			t := DefaultPerHopTimeout
			if ok {
				t = n.FirstHopTimeout(h)
			}
			reply(t.Seconds())
		case "link_count":
			reply(n.LinkCount())
		case "packet_rssi", "packet_snr", "packet_q":
			v, err := need(call, "packet_hash")
			if err != nil {
				return replies, err
			}
			reply(packetSignal(n, path.(string), v))
		case "blackholed_identities":
			reply(blackholed(n))
		case "is_blackholed":
			v, err := need(call, "identity_hash")
			if err != nil {
				return replies, err
			}
			b, ok := v.([]byte)
			if !ok || len(b) != wire.HashLen {
				// The reference raises TypeError or ValueError.
				return replies, fmt.Errorf("%w: invalid identity hash", errRequest)
			}
			bh, _ := n.(Blackholes)
			reply(bh != nil && bh.IsBlackholed(wire.Hash(b)))
		}
	}

	if path, ok := call.Get("drop"); ok {
		switch path {
		case "path":
			h, ok, err := hashArg(call, "destination_hash")
			if err != nil {
				return replies, err
			}
			reply(ok && n.DropPath(h))
		case "all_via":
			h, ok, err := hashArg(call, "destination_hash")
			if err != nil {
				return replies, err
			}
			count := 0
			if ok {
				count = n.DropAllVia(h)
			}
			reply(count)
		case "announce_queues":
			n.DropAnnounceQueues()
			reply(nil)
		}
	}

	if id, ok := call.Get("blackhole_identity"); ok {
		until, err := need(call, "until")
		if err != nil {
			return replies, err
		}
		reason, err := need(call, "reason")
		if err != nil {
			return replies, err
		}
		reply(blackhole(n, id, until, reason))
	}

	if id, ok := call.Get("unblackhole_identity"); ok {
		result := BlackholeFailed
		if b, ok := id.([]byte); ok && len(b) == wire.HashLen {
			if bh, ok := n.(Blackholes); ok {
				result = bh.UnblackholeIdentity(wire.Hash(b))
			}
		}
		reply(result.value())
	}

	if op, ok := call.Get("destination_data"); ok {
		v, err := need(call, "destination_hash")
		if err != nil {
			return replies, err
		}
		if op == "used" || op == "retain" || op == "unretain" {
			h, ok, err := hashValue("destination_hash", v)
			if err != nil {
				return replies, err
			}
			kd, _ := n.(KnownDestinations)
			ok = ok && kd != nil
			switch op {
			case "used":
				reply(ok && kd.UsedDestinationData(h))
			case "retain":
				reply(ok && kd.RetainDestinationData(h))
			default:
				reply(ok && kd.UnretainDestinationData(h))
			}
		}
	}

	if op, ok := call.Get("identity_data"); ok {
		v, err := need(call, "identity_hash")
		if err != nil {
			return replies, err
		}
		if op == "retain" {
			b, ok := v.([]byte)
			if !ok || len(b) != wire.HashLen {
				return replies, fmt.Errorf("%w: invalid identity hash", errRequest)
			}
			kd, ok := n.(KnownDestinations)
			reply(ok && kd.RetainIdentity(wire.Hash(b)))
		}
	}
	return replies, nil
}

// need returns a key the reference reads with call[key], which fails when
// the key is missing.
func need(call msgpack.Map, key string) (any, error) {
	v, ok := call.Get(key)
	if !ok {
		return nil, fmt.Errorf("%w: no %q", errRequest, key)
	}
	return v, nil
}

// hashArg returns a destination hash argument. The reference looks such a
// value up in its tables, so a value that is not a 16-byte bytes finds
// nothing (ok false), and only unhashable values (list, dict) and a
// missing key fail the request.
func hashArg(call msgpack.Map, key string) (h wire.Hash, ok bool, err error) {
	v, err := need(call, key)
	if err != nil {
		return h, false, err
	}
	return hashValue(key, v)
}

func hashValue(key string, v any) (h wire.Hash, ok bool, err error) {
	switch v := v.(type) {
	case []byte:
		if len(v) == wire.HashLen {
			return wire.Hash(v), true, nil
		}
	case []any, msgpack.Map:
		return h, false, fmt.Errorf("%w: unhashable %q", errRequest, key)
	}
	return h, false, nil
}

// unix converts a time to the reference's float timestamps; the zero time
// is 0.
func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func hashOf(h [32]byte, name string) []byte {
	if h == ([32]byte{}) {
		h = sha256.Sum256([]byte(name))
	}
	return h[:]
}

func optInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func optString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func optHash(h *wire.Hash) any {
	if h == nil {
		return nil
	}
	return h[:]
}

// interfaceStats builds the reference's stats dict, keys in the order
// Reticulum.get_interface_stats inserts them.
func interfaceStats(s Stats) msgpack.Map {
	ifs := make([]any, 0, len(s.Interfaces))
	for _, i := range s.Interfaces {
		m := make(msgpack.Map, 0, 40+len(i.Extra))
		add := func(k string, v any) { m = append(m, msgpack.KV{Key: k, Value: v}) }
		add("clients", optInt(i.Clients))
		if i.ParentName != "" {
			add("parent_interface_name", i.ParentName)
			add("parent_interface_hash", hashOf(i.ParentHash, i.ParentName))
		}
		for _, f := range i.Extra {
			add(f.Key, f.Value)
		}
		var bitrate any
		if i.Bitrate != 0 {
			bitrate = i.Bitrate
		}
		add("bitrate", bitrate)
		add("rxs", i.RXS)
		add("txs", i.TXS)
		if i.Peers != nil {
			add("peers", *i.Peers)
		}
		if i.IFACSignature != nil {
			add("ifac_signature", i.IFACSignature)
			add("ifac_size", i.IFACSize)
			add("ifac_netname", optString(i.IFACNetname))
		} else {
			add("ifac_signature", nil)
			add("ifac_size", nil)
			add("ifac_netname", nil)
		}
		add("autoconnect_source", optString(i.AutoconnectSource))
		if i.AnnounceQueue != nil {
			add("announce_queue", *i.AnnounceQueue)
		}
		if i.BlockedIPs != nil {
			add("blocked_ips", *i.BlockedIPs)
		}
		add("name", i.Name)
		add("short_name", i.ShortName)
		add("hash", hashOf(i.Hash, i.Name))
		add("type", i.Type)
		add("rxb", i.RXB)
		add("txb", i.TXB)
		add("incoming_announce_frequency", i.IncomingAnnounceFrequency)
		add("outgoing_announce_frequency", i.OutgoingAnnounceFrequency)
		add("incoming_pr_frequency", i.IncomingPRFrequency)
		add("outgoing_pr_frequency", i.OutgoingPRFrequency)
		add("announce_rate_target", optInt(i.AnnounceRateTarget))
		add("announce_rate_penalty", optInt(i.AnnounceRatePenalty))
		add("announce_rate_grace", optInt(i.AnnounceRateGrace))
		add("held_announces", i.HeldAnnounces)
		add("burst_active", i.BurstActive)
		add("burst_activated", unix(i.BurstActivated))
		add("pr_burst_active", i.PRBurstActive)
		add("pr_burst_activated", unix(i.PRBurstActivated))
		add("status", i.Status)
		mode := i.Mode
		if mode == 0 {
			mode = iface.ModeFull
		}
		add("mode", int(mode))
		add("gravity", i.Gravity)
		var ati any
		if i.AnnouncesToInternal != nil {
			ati = *i.AnnouncesToInternal
		}
		add("announces_to_internal", ati)
		ifs = append(ifs, m)
	}

	m := msgpack.Map{
		{Key: "interfaces", Value: ifs},
		{Key: "rxb", Value: s.RXB},
		{Key: "txb", Value: s.TXB},
		{Key: "rxs", Value: s.RXS},
		{Key: "txs", Value: s.TXS},
	}
	if s.Transport {
		m = append(m,
			msgpack.KV{Key: "transport_id", Value: s.TransportID[:]},
			msgpack.KV{Key: "network_id", Value: optHash(s.NetworkID)},
			msgpack.KV{Key: "transport_uptime", Value: s.Uptime.Seconds()},
			msgpack.KV{Key: "probe_responder", Value: optHash(s.ProbeResponder)},
		)
	}
	var rss any
	if s.RSS != 0 {
		rss = s.RSS
	}
	return append(m, msgpack.KV{Key: "rss", Value: rss})
}

// pathTable builds the path_table answer, keeping the entries with at most
// max_hops hops (all of them when it is None).
func pathTable(entries []PathEntry, maxHops any) ([]any, error) {
	limit := math.Inf(1)
	switch v := maxHops.(type) {
	case nil:
	case bool: // Python compares a bool as 0 or 1
		limit = 0
		if v {
			limit = 1
		}
	case int64:
		limit = float64(v)
	case uint64:
		limit = float64(v)
	case float64:
		limit = v
	default:
		if len(entries) > 0 { // hops <= "x" raises TypeError
			return nil, fmt.Errorf("%w: max_hops is %T", errRequest, maxHops)
		}
	}
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		if !(float64(e.Hops) <= limit) {
			continue
		}
		out = append(out, msgpack.Map{
			{Key: "hash", Value: e.Destination[:]},
			{Key: "timestamp", Value: unix(e.Timestamp)},
			{Key: "via", Value: e.NextHop[:]},
			{Key: "hops", Value: e.Hops},
			{Key: "expires", Value: unix(e.Expires)},
			{Key: "interface", Value: e.Interface},
		})
	}
	return out, nil
}

func rateTable(entries []RateEntry) []any {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		ts := make([]any, len(e.Timestamps))
		for i, t := range e.Timestamps {
			ts[i] = unix(t)
		}
		out = append(out, msgpack.Map{
			{Key: "hash", Value: e.Destination[:]},
			{Key: "last", Value: unix(e.Last)},
			{Key: "rate_violations", Value: e.RateViolations},
			{Key: "blocked_until", Value: unix(e.BlockedUntil)},
			{Key: "timestamps", Value: ts},
		})
	}
	return out
}

func packetSignal(n Node, which string, v any) any {
	ps, ok := n.(PacketSignals)
	b, isBytes := v.([]byte)
	if !ok || !isBytes || len(b) != wire.FullHashLen {
		return nil
	}
	h := [wire.FullHashLen]byte(b)
	var x float64
	var found bool
	switch which {
	case "packet_rssi":
		x, found = ps.PacketRSSI(h)
	case "packet_snr":
		x, found = ps.PacketSNR(h)
	default:
		x, found = ps.PacketQ(h)
	}
	if !found {
		return nil
	}
	return x
}

func blackholed(n Node) msgpack.Map {
	bh, ok := n.(Blackholes)
	if !ok {
		return msgpack.Map{}
	}
	entries := bh.BlackholedIdentities()
	m := make(msgpack.Map, 0, len(entries))
	for _, e := range entries {
		var until any
		if !e.Until.IsZero() {
			until = unix(e.Until)
		}
		m = append(m, msgpack.KV{Key: e.Identity[:], Value: msgpack.Map{
			{Key: "source", Value: e.Source[:]},
			{Key: "until", Value: until},
			{Key: "reason", Value: optString(e.Reason)},
		}})
	}
	return m
}

func blackhole(n Node, id, until, reason any) any {
	b, ok := id.([]byte)
	bh, isBH := n.(Blackholes)
	if !ok || len(b) != wire.HashLen || !isBH {
		return BlackholeFailed.value()
	}
	var t time.Time
	switch u := until.(type) {
	case int64:
		t = time.Unix(u, 0)
	case uint64:
		if u <= math.MaxInt64 {
			t = time.Unix(int64(u), 0)
		}
	case float64:
		if u > 0 && u < 1e15 {
			sec, frac := math.Modf(u)
			t = time.Unix(int64(sec), int64(frac*1e9))
		}
	}
	r, _ := reason.(string)
	return bh.BlackholeIdentity(wire.Hash(b), t, r).value()
}

// value is the reference's True, None or False.
func (r BlackholeResult) value() any {
	switch r {
	case BlackholeDone:
		return true
	case BlackholeUnchanged:
		return nil
	}
	return false
}

// codec is how a request arrived, and so how its replies are encoded.
type codec uint8

const (
	codecMsgpack codec = iota // RNS 1.x: send_bytes(umsgpack.packb(...))
	codecPickle               // older RNS: Connection.send(...), a pickle
)

// decodeRequest decodes a request. The reference reads msgpack; a
// message that starts with a pickle PROTO opcode (0x80 and a protocol
// number) cannot be msgpack, since 0x80 alone is a complete msgpack value
// (an empty map), and is read as a pickle from an older client.
func decodeRequest(b []byte) (any, codec, error) {
	if len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= pickle.HighestProtocol {
		v, err := pickle.Decode(b)
		if err != nil {
			return nil, codecPickle, err
		}
		return plain(v), codecPickle, nil
	}
	v, err := msgpack.Decode(b)
	return v, codecMsgpack, err
}

// plain turns pickle tuples into lists, so that requests look the same
// whichever way they arrived.
func plain(v any) any {
	switch v := v.(type) {
	case pickle.Tuple:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = plain(e)
		}
	case msgpack.Map:
		for i := range v {
			v[i].Key, v[i].Value = plain(v[i].Key), plain(v[i].Value)
		}
	}
	return v
}

func encodeReply(c codec, v any) ([]byte, error) {
	if c == codecPickle {
		return pickle.Encode(v)
	}
	return msgpack.Marshal(v)
}
