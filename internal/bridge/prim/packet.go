package prim

import (
	"crypto/rand"
	"fmt"
	"math"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

func packetCommands(r bridge.Registry) {
	r["packet_build"] = packetBuild
	r["packet_unpack"] = packetUnpack
	r["packet_hash"] = packetHash
	r["packet_constants"] = packetConstants
	r["packet_context_constants"] = packetContextConstants
	r["announce_queue_constants"] = announceQueueConstants
	r["packet_build_raw_header2"] = packetBuildRawHeader2
	r["packet_resend_observe"] = packetResendObserve
	r["announce_build"] = announceBuild
	r["announce_validate"] = announceValidate
}

// packetDest builds the outbound "conformance.packet" destination the
// reference's packet commands address.
func packetDest(kind string) (*dest.Destination, error) {
	switch kind {
	case "plain":
		return dest.New(nil, dest.Out, wire.Plain, nil, "conformance", "packet")
	case "single", "group":
		id, err := identity.Generate(nil)
		if err != nil {
			return nil, err
		}
		if kind == "single" {
			return dest.New(id, dest.Out, wire.Single, nil, "conformance", "packet")
		}
		d, err := dest.New(id, dest.Out, wire.Group, nil, "conformance", "packet")
		if err != nil {
			return nil, err
		}
		return d, d.CreateGroupKey(nil)
	}
	return nil, fmt.Errorf("%w: unsupported dest_type %q (use 'plain', 'single' or 'group')", bridge.ErrParam, kind)
}

func byteParam(p bridge.Params, k string, def int) (int, error) {
	v, err := p.IntOr(k, def)
	if err != nil {
		return 0, err
	}
	if v < 0 || v > 0xFF {
		return 0, fmt.Errorf("%w: %q = %d does not fit a byte", bridge.ErrParam, k, v)
	}
	return v, nil
}

func headerType(p bridge.Params) (wire.HeaderType, error) {
	switch v := p["header_type"].(type) {
	case nil:
		return wire.Header1, nil
	case float64:
		switch v {
		case 1:
			return wire.Header1, nil
		case 2:
			return wire.Header2, nil
		}
	case string:
		switch v {
		case "1", "HEADER_1":
			return wire.Header1, nil
		case "2", "HEADER_2":
			return wire.Header2, nil
		}
	}
	return 0, fmt.Errorf("%w: unsupported header_type %v (use 1 / 2 or 'HEADER_1' / 'HEADER_2')", bridge.ErrParam, p["header_type"])
}

func packetBuild(p bridge.Params) (bridge.Result, error) {
	var h wire.Header
	fields := []struct {
		k   string
		def int
		set func(int)
	}{
		{"packet_type", 0, func(v int) { h.PacketType = wire.PacketType(v) }},
		{"context", 0, func(v int) { h.Context = wire.Context(v) }},
		{"context_flag", 0, func(v int) { h.ContextFlag = v != 0 }},
		{"transport_type", 0, func(v int) { h.Propagation = wire.Propagation(v) }},
		{"hops", 0, func(v int) { h.Hops = uint8(v) }},
	}
	for _, f := range fields {
		v, err := byteParam(p, f.k, f.def)
		if err != nil {
			return nil, err
		}
		f.set(v)
	}
	if h.PacketType > 3 || h.Propagation > 1 {
		return nil, fmt.Errorf("%w: packet_type or transport_type out of range", bridge.ErrParam)
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	ht, err := headerType(p)
	if err != nil {
		return nil, err
	}
	h.HeaderType = ht
	hasTID := false
	if ht == wire.Header2 {
		if h.PacketType != wire.Announce {
			return nil, fmt.Errorf("%w: HEADER_2 packets are only buildable for ANNOUNCE packet_type", bridge.ErrParam)
		}
		tid, err := p.OptHex("transport_id")
		if err != nil {
			return nil, err
		}
		if tid == nil {
			return nil, fmt.Errorf("%w: HEADER_2 packets require a 16-byte transport_id", bridge.ErrParam)
		}
		if len(tid) != wire.HashLen {
			return nil, fmt.Errorf("%w: transport_id must be %d bytes, got %d", bridge.ErrParam, wire.HashLen, len(tid))
		}
		h.TransportID, hasTID = wire.Hash(tid), true
	}
	d, err := packetDest(p.StringOr("dest_type", "plain"))
	if err != nil {
		return nil, err
	}
	raw, err := d.AppendPacket(nil, h, hasTID, data, nil)
	if err != nil {
		return nil, err
	}
	r := unpack(raw)
	if r["unpacked"] != true {
		return nil, fmt.Errorf("bridge: built packet %x does not decode", raw)
	}
	delete(r, "unpacked")
	r["raw"] = bridge.Hex(raw)
	return r, nil
}

// unpack decodes raw as a receiver does.
func unpack(raw []byte) bridge.Result {
	var pk wire.Packet
	if err := pk.Decode(raw); err != nil {
		return bridge.Result{"unpacked": false}
	}
	var tid any
	if pk.HeaderType == wire.Header2 {
		tid = bridge.Hex(pk.TransportID[:])
	}
	ctxFlag := 0
	if pk.ContextFlag {
		ctxFlag = 1
	}
	h := pk.Hash()
	return bridge.Result{
		"unpacked":         true,
		"flags":            int(raw[0]),
		"hops":             int(pk.Hops),
		"header_type":      int(pk.HeaderType),
		"context_flag":     ctxFlag,
		"transport_type":   int(pk.Propagation),
		"destination_type": int(pk.DestType),
		"packet_type":      int(pk.PacketType),
		"destination_hash": bridge.Hex(pk.Destination[:]),
		"transport_id":     tid,
		"context":          int(pk.Context),
		"data":             bridge.Hex(pk.Data),
		"hash":             bridge.Hex(h[:]),
	}
}

func packetUnpack(p bridge.Params) (bridge.Result, error) {
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	return unpack(raw), nil
}

func packetHash(p bridge.Params) (bridge.Result, error) {
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	var pk wire.Packet
	if err := pk.Decode(raw); err != nil {
		return nil, fmt.Errorf("malformed packet: %w", err)
	}
	h := pk.Hash()
	return bridge.Result{"hash": bridge.Hex(h[:])}, nil
}

func packetConstants(bridge.Params) (bridge.Result, error) {
	return bridge.Result{
		"mtu":                  wire.MTU,
		"header_minsize":       wire.HeaderMinSize,
		"header_maxsize":       wire.HeaderMaxSize,
		"mdu":                  wire.MDU,
		"ifac_min_size":        wire.IFACMinSize,
		"packet_mdu":           wire.MDU,
		"packet_plain_mdu":     wire.PlainMDU,
		"packet_encrypted_mdu": wire.EncryptedMDU,
		"link_mdu":             wire.LinkMDU,
		// The reference states these in bits.
		"hashlength":           identity.FullHashLen * 8,
		"siglength":            identity.SigLen * 8,
		"truncated_hashlength": identity.HashLen * 8,
		"keysize":              identity.KeySize * 8,
		"name_hash_length":     identity.NameHashLen * 8,
		"token_overhead":       identity.TokenOverhead,
		"aes128_blocksize":     identity.TokenIVLen, // one AES block
	}, nil
}

func packetContextConstants(bridge.Params) (bridge.Result, error) {
	r := bridge.Result{}
	for _, c := range wire.Contexts() {
		r[c.String()] = int(c)
	}
	return r, nil
}

func announceQueueConstants(bridge.Params) (bridge.Result, error) {
	return bridge.Result{
		"announce_cap":         int(math.Round(transport.AnnounceCap * 100)), // a percentage in the reference
		"max_queued_announces": transport.MaxQueuedAnnounces,
		"queued_announce_life": int(transport.QueuedAnnounceLife / time.Second),
	}, nil
}

func packetBuildRawHeader2(p bridge.Params) (bridge.Result, error) {
	pt, err := byteParam(p, "packet_type", int(wire.Announce))
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		data = []byte{0}
	}
	h := wire.Header{HeaderType: wire.Header2, PacketType: wire.PacketType(pt & 3)}
	tid, err := p.OptHex("transport_id")
	if err != nil {
		return nil, err
	}
	if tid != nil {
		if len(tid) != wire.HashLen {
			return bridge.Result{"error": fmt.Sprintf("transport_id is %d bytes", len(tid)), "error_type": "ValueError"}, nil
		}
		h.TransportID = wire.Hash(tid)
	}
	d, err := packetDest("single")
	if err != nil {
		return nil, err
	}
	raw, err := d.AppendPacket(nil, h, tid != nil, data, nil)
	if err != nil {
		return bridge.Result{"error": err.Error(), "error_type": fmt.Sprintf("%T", err)}, nil
	}
	return bridge.Result{"raw": bridge.Hex(raw), "raw_len": len(raw)}, nil
}

// packetResendObserve packs a DATA packet twice, as a resend re-packs it:
// encrypted destinations get fresh key material each time.
func packetResendObserve(p bridge.Params) (bridge.Result, error) {
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		data = []byte("conformance-resend")
	}
	kind := p.StringOr("dest_type", "single")
	if kind != "plain" && kind != "group" {
		kind = "single"
	}
	d, err := packetDest(kind)
	if err != nil {
		return nil, err
	}
	r := bridge.Result{}
	for i := 1; i <= 2; i++ {
		raw, err := d.AppendPacket(nil, wire.Header{}, false, data, nil)
		if err != nil {
			return nil, err
		}
		h, err := wire.PacketHash(raw)
		if err != nil {
			return nil, err
		}
		r[fmt.Sprint("raw_", i)] = bridge.Hex(raw)
		r[fmt.Sprint("hash_", i)] = bridge.Hex(h[:])
	}
	return r, nil
}

func announceBuild(p bridge.Params) (bridge.Result, error) {
	id, err := privateIdentity(p)
	if err != nil {
		return nil, err
	}
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	as, err := aspects(p)
	if err != nil {
		return nil, err
	}
	appData, err := p.OptHex("app_data")
	if err != nil {
		return nil, err
	}
	ratchets, err := p.Bool("enable_ratchets", false)
	if err != nil {
		return nil, err
	}
	when := time.Now()
	if p.Has("emission_ts") {
		ts, err := p.Float("emission_ts")
		if err != nil {
			return nil, err
		}
		when = time.Unix(int64(ts), 0)
	}
	d, err := dest.New(id, dest.In, wire.Single, nil, app, as...)
	if err != nil {
		return nil, err
	}
	pr := &announce.Params{Destination: d, AppData: appData}
	if ratchets {
		// A fresh ratchet, as enabling ratchets on a new ratchet file and
		// announcing does in the reference.
		priv, err := identity.GenerateRatchet(nil)
		if err != nil {
			return nil, err
		}
		pub, err := identity.RatchetPublic(priv[:])
		if err != nil {
			return nil, err
		}
		pr.Ratchet = pub[:]
	}
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	pr.RandomHash = announce.RandomHash(random[:], when)
	raw, err := announce.Append(nil, pr)
	if err != nil {
		return nil, err
	}
	var pk wire.Packet
	if err := pk.Decode(raw); err != nil {
		return nil, err
	}
	a, err := announce.Parse(&pk)
	if err != nil {
		return nil, err
	}
	return bridge.Result{
		"raw":              bridge.Hex(raw),
		"destination_hash": bridge.Hex(d.Hash[:]),
		"announce_data":    bridge.Hex(pk.Data),
		"public_key":       bridge.Hex(a.PublicKey),
		"name_hash":        bridge.Hex(a.NameHash),
		"random_hash":      bridge.Hex(a.RandomHash),
		"ratchet":          bridge.Hex(a.Ratchet),
		"signature":        bridge.Hex(a.Signature),
		"app_data":         bridge.Hex(a.AppData),
		"has_ratchet":      a.Ratchet != nil,
	}, nil
}

func announceValidate(p bridge.Params) (bridge.Result, error) {
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	var pk wire.Packet
	if err := pk.Decode(raw); err != nil {
		return bridge.Result{"valid": false, "error": "unpack_failed"}, nil
	}
	if pk.PacketType != wire.Announce {
		return bridge.Result{"valid": false, "error": "not_an_announce"}, nil
	}
	r := bridge.Result{
		"destination_hash": bridge.Hex(pk.Destination[:]),
		"has_ratchet":      pk.ContextFlag,
	}
	a, err := announce.Validate(&pk)
	r["valid"] = err == nil
	if pk.ContextFlag {
		if err != nil {
			a, _ = announce.Parse(&pk)
		}
		r["ratchet"] = bridge.Hex(a.Ratchet)
	}
	return r, nil
}
