package wiretcp

// Link-protocol commands: request and proof layout, crafted and damaged
// link packets fed to a live link's receive path, and read-backs of link
// state (keys, keepalives, phy stats, teardown emission). Every packet is
// built by rns/link itself (Prepare, BuildPacket, AppendProof, ...) and
// only then damaged; the verdicts are whatever the link does with it.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// linkHookCommands returns the commands of this file; handlers that need
// no node ignore their instance.
func linkHookCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_link_request_payload":         cmdLinkRequestPayload,
		"wire_link_signalling_bytes":        cmdLinkSignallingBytes,
		"wire_inject_crafted_link_request":  cmdInjectCraftedLinkRequest,
		"wire_link_accept_gate":             cmdLinkAcceptGate,
		"wire_link_key_material":            cmdLinkKeyMaterial,
		"wire_inject_closed_link_data":      cmdInjectClosedLinkData,
		"wire_inject_tampered_link_data":    cmdInjectTamperedLinkData,
		"wire_inject_crafted_link_identify": cmdInjectCraftedLinkIdentify,
		"wire_inject_crafted_lrproof":       cmdInjectCraftedLRProof,
		"wire_send_keepalive_probe":         cmdSendKeepaliveProbe,
		"wire_last_keepalive":               cmdLastKeepalive,
		"wire_send_forged_link_close":       cmdSendForgedLinkClose,
		"wire_link_identify_pending":        cmdLinkIdentifyPending,
		"wire_link_type_gate":               cmdLinkTypeGate,
		"wire_link_phy_stats_gate":          cmdLinkPhyStatsGate,
		"wire_link_teardown_emission":       cmdLinkTeardownEmission,
	}
}

// sendLog counts what a link transmitted (Config.OnSend).
type sendLog struct {
	mu            sync.Mutex
	keepalives    int
	lastKeepalive []byte
	closes        int
	identifies    int
}

func (s *sendLog) record(raw []byte) {
	var p wire.Packet
	if p.Decode(raw) != nil || p.DestType != wire.Link {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p.Context {
	case wire.ContextKeepalive:
		s.keepalives++
		s.lastKeepalive = append([]byte(nil), p.Data...)
	case wire.ContextLinkClose:
		s.closes++
	case wire.ContextLinkIdentify:
		s.identifies++
	}
}

func (s *sendLog) snapshot() (keepalives, closes, identifies int, last []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepalives, s.closes, s.identifies, s.lastKeepalive
}

// anyLink finds a link by ID among the outbound links and the listeners'
// inbound links. An initiator's link_open can return a moment before the
// responder recorded its side, so it waits up to 3 s for it to appear.
func (in *instance) anyLink(p bridge.Params) (*link.Link, *sendLog, *listener, error) {
	s := p.StringOr("link_id", "")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(wire.Hash{}) {
		return nil, nil, nil, fmt.Errorf("%w: bad link_id %q", bridge.ErrParam, s)
	}
	id := wire.Hash(b)
	var (
		l   *link.Link
		log *sendLog
		ln  *listener
	)
	pollUntil(3*time.Second, func() bool {
		in.mu.Lock()
		ls := in.links[id]
		in.mu.Unlock()
		if ls != nil {
			l, log = ls.l, &ls.sent
			return true
		}
		var il *inLink
		if ln, il = in.inboundLink(id); il != nil {
			l, log = il.l, &il.sent
			return true
		}
		return false
	})
	if l == nil {
		return nil, nil, nil, fmt.Errorf("Unknown link_id: %s", s)
	}
	return l, log, ln, nil
}

// rxPacket decodes raw as a packet received on ifc.
func rxPacket(raw []byte, ifc *transport.Iface) (*transport.Packet, error) {
	p := &transport.Packet{Interface: ifc}
	if err := p.Packet.Decode(raw); err != nil {
		return nil, err
	}
	p.Hash, _ = wire.PacketHash(raw)
	return p, nil
}

// freshRemote makes a SINGLE destination of a new identity (with its
// private key) that no node hosts.
func freshRemote(p bridge.Params, defAspect string) (*identity.Identity, wire.Hash, error) {
	app := p.StringOr("app_name", "conformance")
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, wire.Hash{}, err
	}
	if len(aspects) == 0 {
		aspects = []string{defAspect}
	}
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, wire.Hash{}, err
	}
	ih := wire.Hash(id.Hash())
	h, err := dest.Hash(&ih, app, aspects...)
	return id, h, err
}

func statusResult(st link.Status) (int, string) { return int(st), statusNames[st] }

// cmdLinkRequestPayload prepares an initiator link to a fresh destination
// without sending its request and reports the request payload's layout.
func cmdLinkRequestPayload(in *instance, p bridge.Params) (bridge.Result, error) {
	id, h, err := freshRemote(p, "link-payload")
	if err != nil {
		return nil, err
	}
	l, err := link.Prepare(in.node.Transport(), link.Remote{Identity: id, Hash: h, Type: wire.Single}, link.Config{})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var pk wire.Packet
	if err := pk.Decode(l.Request()); err != nil {
		return nil, err
	}
	x, ed, _ := l.LocalKeys()
	data := pk.Data
	sig := []byte{}
	if len(data) > wire.LinkKeysLen {
		sig = data[wire.LinkKeysLen:]
	}
	return bridge.Result{
		"request_data_hex": hex.EncodeToString(data),
		"pub_bytes":        hex.EncodeToString(x[:]),
		"sig_pub_bytes":    hex.EncodeToString(ed[:]),
		"signalling_bytes": hex.EncodeToString(sig),
		"mtu":              l.MTU(),
		"mode":             int(l.Mode()),
		"len":              len(data),
		"ecpubsize":        wire.LinkKeysLen,
		"link_mtu_size":    wire.SignallingLen,
		"reticulum_mtu":    wire.MTU,
	}, nil
}

func enabledModes() []int {
	var out []int
	for m := link.Mode(0); m < 8; m++ {
		if m.Enabled() {
			out = append(out, int(m))
		}
	}
	return out
}

func cmdLinkSignallingBytes(_ *instance, p bridge.Params) (bridge.Result, error) {
	mtu, err := p.Int("mtu")
	if err != nil {
		return nil, err
	}
	mode, err := p.Int("mode")
	if err != nil || mode < 0 || mode > 7 {
		return nil, fmt.Errorf("%w: mode", bridge.ErrParam)
	}
	var sb any
	b, serr := link.AppendSignalling(nil, mtu, link.Mode(mode))
	if serr == nil {
		sb = hex.EncodeToString(b)
	}
	return bridge.Result{
		"mtu": mtu, "mode": mode, "signalling_bytes": sb, "raised": serr != nil,
		"mtu_bytemask": link.MTUByteMask, "mode_bytemask": link.ModeByteMask,
		"enabled_modes": enabledModes(), "mode_default": int(link.ModeDefault),
		"link_mtu_size": wire.SignallingLen,
	}, nil
}

// anyInterface returns one of the node's interfaces, for a plausible
// receiving interface of a crafted packet.
func (in *instance) anyInterface() *transport.Iface {
	for _, i := range in.node.Transport().Interfaces() {
		return i
	}
	return nil
}

// craftedRequest builds the LINKREQUEST payload variant of a genuine
// initiator's request to hash.
func craftedRequest(t *transport.Transport, owner *identity.Identity, hash wire.Hash, variant string) ([]byte, error) {
	base, err := link.Prepare(t, link.Remote{Identity: owner, Hash: hash, Type: wire.Single}, link.Config{})
	if err != nil {
		return nil, err
	}
	defer base.Close()
	var pk wire.Packet
	if err := pk.Decode(base.Request()); err != nil {
		return nil, err
	}
	data := append([]byte(nil), pk.Data...)
	switch variant {
	case "valid64":
		return data[:wire.LinkKeysLen], nil
	case "valid67":
		return data, nil
	case "size_63":
		return data[:63], nil
	case "size_66":
		return data[:66], nil
	case "size_0":
		return []byte{}, nil
	case "bad_mode":
		// Damage: reserved mode 3 in the top bits of the first signalling
		// byte.
		data[wire.LinkKeysLen] = data[wire.LinkKeysLen]&^link.ModeByteMask | 3<<5
		return data, nil
	}
	return nil, fmt.Errorf("unknown link-request variant: %q", variant)
}

// cmdInjectCraftedLinkRequest feeds a crafted LINKREQUEST to a fresh,
// unregistered listener and reports whether a link was made.
func cmdInjectCraftedLinkRequest(in *instance, p bridge.Params) (bridge.Result, error) {
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	hops, err := p.IntOr("hops", 0)
	if err != nil || hops < 0 || hops > 255 {
		return nil, fmt.Errorf("%w: hops", bridge.ErrParam)
	}
	owner, h, err := freshRemote(p, "lr-validate")
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	data, err := craftedRequest(t, owner, h, variant)
	if err != nil {
		return nil, err
	}
	rx, err := rxPacket(link.AppendRequestPacket(nil, h, data), in.anyInterface())
	if err != nil {
		return nil, err
	}
	rx.Hops = uint8(hops)
	ln := link.NewListener(t, owner, h, link.Config{})
	defer ln.Close()
	l, _ := ln.HandleRequest(rx)
	res := bridge.Result{
		"variant": variant, "data_len": len(data), "accepted": l != nil, "inbound_link_created": l != nil,
		"establishment_timeout": nil, "mode": nil, "mtu": nil,
		"establishment_timeout_per_hop": link.EstablishmentTimeoutPerHop.Seconds(),
		"keepalive":                     link.KeepaliveMax.Seconds(),
	}
	if l != nil {
		res["establishment_timeout"] = l.EstablishmentTimeout().Seconds()
		res["mode"], res["mtu"] = int(l.Mode()), l.MTU()
		l.Close()
		l.Wait()
	}
	return res, nil
}

// cmdLinkAcceptGate sets a fresh listener's accept gate, hands it a
// genuine LINKREQUEST and counts its links.
func cmdLinkAcceptGate(in *instance, p bridge.Params) (bridge.Result, error) {
	accepts, err := p.Bool("accepts", false)
	if err != nil {
		return nil, err
	}
	owner, h, err := freshRemote(p, "accept-gate")
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	data, err := craftedRequest(t, owner, h, "valid67")
	if err != nil {
		return nil, err
	}
	rx, err := rxPacket(link.AppendRequestPacket(nil, h, data), in.anyInterface())
	if err != nil {
		return nil, err
	}
	ln := link.NewListener(t, owner, h, link.Config{})
	defer ln.Close()
	ln.SetAccepting(accepts)
	before := len(ln.Links())
	ln.Receive(rx)
	links := ln.Links()
	for _, l := range links {
		l.Close()
		l.Wait()
	}
	return bridge.Result{"accepts": accepts, "links_before": before, "links_after": len(links), "link_created": len(links) > before}, nil
}

func cmdLinkKeyMaterial(in *instance, p bridge.Params) (bridge.Result, error) {
	l, _, _, err := in.anyLink(p)
	if err != nil {
		return nil, err
	}
	k := l.Keys()
	st, name := statusResult(l.Status())
	return bridge.Result{
		"status": st, "status_name": name,
		"derived_key_present": k.Derived, "shared_key_present": k.Shared,
		"prv_present": k.Private, "pub_present": k.Public,
	}, nil
}

func (ln *listener) delivered() int {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	return ln.recvN
}

// inboundOnly finds an inbound link and its listener.
func (in *instance) inboundOnly(p bridge.Params) (*link.Link, *listener, error) {
	l, _, ln, err := in.anyLink(p)
	if err != nil {
		return nil, nil, err
	}
	if ln == nil {
		return nil, nil, fmt.Errorf("link_id %s is not an inbound link of any listener on this peer (run on the RECEIVER peer)", hexHash(l.ID()))
	}
	return l, ln, nil
}

// cmdInjectClosedLinkData builds a DATA packet on an active inbound link,
// closes the link and hands it the packet.
func cmdInjectClosedLinkData(in *instance, p bridge.Params) (bridge.Result, error) {
	l, ln, err := in.inboundOnly(p)
	if err != nil {
		return nil, err
	}
	payload, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		payload = make([]byte, 16)
		_, _ = rand.Read(payload)
	}
	raw, err := l.BuildPacket(wire.Data, wire.ContextNone, payload)
	if err != nil {
		return nil, err
	}
	attached := l.AttachedInterface()
	before := ln.delivered()
	l.Close()
	if rx, err := rxPacket(raw, attached); err == nil {
		l.Receive(rx)
	}
	st, name := statusResult(l.Status())
	return bridge.Result{"delivered_before": false, "delivered": ln.delivered() > before, "status_name": name, "link_closed": st == int(link.StatusClosed)}, nil
}

// foreignInterface returns an interface of the node other than not,
// attaching the inject interface when there is none.
func (in *instance) foreignInterface(not *transport.Iface) (*transport.Iface, error) {
	for range 2 {
		for _, i := range in.node.Transport().Interfaces() {
			if i != not {
				return i, nil
			}
		}
		if _, err := in.injector(false); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no interface other than the link's")
}

// headerLen is the HEADER_1 link packet header: flags, hops, link ID,
// context.
const headerLen = 2 + wire.HashLen + 1

// cmdInjectTamperedLinkData builds a DATA packet on an inbound link,
// damages it as asked and hands it to the link.
func cmdInjectTamperedLinkData(in *instance, p bridge.Params) (bridge.Result, error) {
	l, ln, err := in.inboundOnly(p)
	if err != nil {
		return nil, err
	}
	payload, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	corruption := p.StringOr("corruption", "none")
	raw, err := l.BuildPacket(wire.Data, wire.ContextNone, payload)
	if err != nil {
		return nil, err
	}
	ifc := l.AttachedInterface()
	switch corruption {
	case "none":
	case "ciphertext":
		raw[headerLen+4]++
	case "hmac":
		raw[len(raw)-1]++
	case "truncate":
		raw = raw[:len(raw)-1]
	case "foreign_interface":
		if ifc, err = in.foreignInterface(ifc); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown corruption: %q", corruption)
	}
	before := ln.delivered()
	rx, derr := rxPacket(raw, ifc)
	if derr == nil {
		l.Receive(rx)
	}
	st, name := statusResult(l.Status())
	return bridge.Result{
		"corruption": corruption, "unpacked": derr == nil, "delivered": ln.delivered() > before,
		"link_active": st == int(link.StatusActive), "status_name": name,
	}, nil
}

// cmdInjectCraftedLinkIdentify hands a link a LINKIDENTIFY of a fresh
// claimed identity, genuine or forged.
func cmdInjectCraftedLinkIdentify(in *instance, p bridge.Params) (bridge.Result, error) {
	l, _, _, err := in.anyLink(p)
	if err != nil {
		return nil, err
	}
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	claimed, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	id := l.ID()
	pub := claimed.PublicKey()
	payload, err := link.AppendIdentify(nil, id, claimed)
	if err != nil {
		return nil, err
	}
	switch variant {
	case "valid":
	case "forged_signature":
		other, err := identity.Generate(rand.Reader)
		if err != nil {
			return nil, err
		}
		sig, err := other.Sign(link.AppendIdentifySignedData(nil, id, pub))
		if err != nil {
			return nil, err
		}
		copy(payload[identity.KeySize:], sig[:])
	case "wrong_signed_data":
		junk := make([]byte, 96)
		_, _ = rand.Read(junk)
		sig, err := claimed.Sign(junk)
		if err != nil {
			return nil, err
		}
		copy(payload[identity.KeySize:], sig[:])
	case "wrong_length":
		payload = payload[:identity.KeySize+identity.SigLen/2]
	default:
		return nil, fmt.Errorf("unknown link-identify variant: %q", variant)
	}
	raw, err := l.BuildPacket(wire.Data, wire.ContextLinkIdentify, payload)
	if err != nil {
		return nil, err
	}
	if rx, err := rxPacket(raw, l.AttachedInterface()); err == nil {
		l.Receive(rx)
	}
	ch := claimed.Hash()
	var after any
	adopted := false
	if r := l.RemoteIdentity(); r != nil {
		rh := r.Hash()
		after, adopted = hex.EncodeToString(rh[:]), rh == ch
	}
	return bridge.Result{
		"variant": variant, "claimed_identity_hash": hex.EncodeToString(ch[:]),
		"remote_identity_after": after, "adopted": adopted, "initiator": l.Initiator(),
	}, nil
}

// cmdInjectCraftedLRProof prepares an initiator link to a fresh
// destination this command controls and hands it a crafted LRPROOF.
func cmdInjectCraftedLRProof(in *instance, p bridge.Params) (bridge.Result, error) {
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	destID, h, err := freshRemote(bridge.Params{"aspects": []any{"lrproof"}}, "lrproof")
	if err != nil {
		return nil, err
	}
	l, err := link.Prepare(in.node.Transport(), link.Remote{Identity: destID, Hash: h, Type: wire.Single}, link.Config{})
	if err != nil {
		return nil, err
	}
	defer l.Wait()
	defer l.Close()
	eph, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	ephPub := eph.X25519Public()
	id := l.ID()
	legacy := func(signer *identity.Identity, signed []byte) ([]byte, error) {
		sig, err := signer.Sign(signed)
		if err != nil {
			return nil, err
		}
		return append(sig[:], ephPub[:]...), nil
	}
	signed := link.AppendProofSignedData(nil, id, ephPub, destID.Ed25519Public(), nil)
	var data []byte
	switch variant {
	case "valid", "non_pending":
		data, err = legacy(destID, signed)
		if variant == "non_pending" {
			l.Close()
		}
	case "forged_signature":
		var other *identity.Identity
		if other, err = identity.Generate(rand.Reader); err == nil {
			data, err = legacy(other, signed)
		}
	case "wrong_signed_data":
		junk := make([]byte, 96)
		_, _ = rand.Read(junk)
		data, err = legacy(destID, junk)
	case "wrong_size":
		if data, err = legacy(destID, signed); err == nil {
			data = data[:len(data)-1]
		}
	case "mode_mismatch":
		// A genuine proof with signalling bytes, then damage: the mode
		// bits say AES-256-GCM.
		if data, err = link.AppendProof(nil, id, ephPub, destID, wire.MTU, l.Mode()); err == nil {
			data[wire.LinkProofLen] = data[wire.LinkProofLen]&^link.ModeByteMask | byte(link.ModeAES256GCM)<<5
		}
	default:
		return nil, fmt.Errorf("unknown lrproof variant: %q", variant)
	}
	if err != nil {
		return nil, err
	}
	if rx, err := rxPacket(link.AppendProofPacket(nil, id, data), nil); err == nil {
		l.Receive(rx)
	}
	st := l.Status()
	var mtu any
	if st == link.StatusActive {
		mtu = l.MTU()
	}
	n, name := statusResult(st)
	return bridge.Result{"variant": variant, "activated": st == link.StatusActive, "status": n, "status_name": name, "mtu": mtu, "mode": int(l.Mode())}, nil
}

// cmdSendKeepaliveProbe hands a link a keepalive packet (0xFF unless
// value says otherwise) and reports its answer.
func cmdSendKeepaliveProbe(in *instance, p bridge.Params) (bridge.Result, error) {
	l, log, _, err := in.anyLink(p)
	if err != nil {
		return nil, err
	}
	value := []byte{link.KeepaliveRequest}
	if p.Has("value") {
		if value, err = p.Hex("value"); err != nil {
			return nil, err
		}
	}
	stBefore := l.Status()
	raw, err := l.BuildPacket(wire.Data, wire.ContextKeepalive, value)
	if err != nil {
		return nil, err
	}
	inBefore, _, _ := l.Activity()
	dataBefore := l.LastData()
	kaBefore, _, _, _ := log.snapshot()
	if rx, err := rxPacket(raw, l.AttachedInterface()); err == nil {
		l.Receive(rx)
	}
	kaAfter, _, _, last := log.snapshot()
	inAfter, _, _ := l.Activity()
	var resp any
	if kaAfter > kaBefore {
		resp = hex.EncodeToString(last)
	}
	return bridge.Result{
		"response": resp, "answered": kaAfter > kaBefore, "initiator": l.Initiator(),
		"last_inbound_advanced": inAfter.After(inBefore), "last_data_advanced": l.LastData().After(dataBefore),
		"status_before": int(stBefore), "status_after": int(l.Status()),
	}, nil
}

func cmdLastKeepalive(in *instance, p bridge.Params) (bridge.Result, error) {
	_, log, _, err := in.anyLink(p)
	if err != nil {
		return nil, err
	}
	var payload any
	if _, _, _, last := log.snapshot(); last != nil {
		payload = hex.EncodeToString(last)
	}
	return bridge.Result{"payload": payload}, nil
}

// cmdSendForgedLinkClose hands a link a LINKCLOSE carrying forged_id.
func cmdSendForgedLinkClose(in *instance, p bridge.Params) (bridge.Result, error) {
	l, _, _, err := in.anyLink(p)
	if err != nil {
		return nil, err
	}
	forged, err := p.Hex("forged_id")
	if err != nil {
		return nil, err
	}
	before := l.Status()
	raw, err := l.BuildPacket(wire.Data, wire.ContextLinkClose, forged)
	if err != nil {
		return nil, err
	}
	if rx, err := rxPacket(raw, l.AttachedInterface()); err == nil {
		l.Receive(rx)
	}
	after := l.Status()
	id := l.ID()
	return bridge.Result{
		"torn_down": after == link.StatusClosed, "status_before": int(before), "status_after": int(after),
		"status_name_after": statusNames[after], "forged_id": hex.EncodeToString(forged), "real_link_id": hex.EncodeToString(id[:]),
	}, nil
}

// cmdLinkIdentifyPending calls Identify on a pending initiator link to a
// known destination and reports that nothing was sent.
func cmdLinkIdentifyPending(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	key, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	who, err := identity.FromPrivateKey(key)
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	remote, _, ok := t.Recall(h)
	if !ok {
		return nil, fmt.Errorf("No identity known for %s; ensure an announce for this destination was received first.", hexHash(h))
	}
	var log sendLog
	l, err := link.Prepare(t, link.Remote{Identity: remote, Hash: h, Type: wire.Single}, link.Config{
		OnSend: func(_ *link.Link, raw []byte) { log.record(raw) },
	})
	if err != nil {
		return nil, err
	}
	defer l.Wait()
	defer l.Close()
	crashed := false
	var ierr error
	func() {
		defer func() {
			if recover() != nil {
				crashed = true
			}
		}()
		ierr = l.Identify(who)
	}()
	_, _, identifies, _ := log.snapshot()
	st, name := statusResult(l.Status())
	var errText any
	if ierr != nil {
		errText = ierr.Error()
	}
	return bridge.Result{"crashed": crashed, "error": errText, "identify_packet_sent": identifies > 0, "status": st, "status_name": name, "initiator": l.Initiator()}, nil
}

// cmdLinkTypeGate tries to prepare links to SINGLE, PLAIN and GROUP
// destinations.
func cmdLinkTypeGate(in *instance, p bridge.Params) (bridge.Result, error) {
	app := p.StringOr("app_name", "conformance")
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	if len(aspects) == 0 {
		aspects = []string{"link-type-gate"}
	}
	attempt := func(typ wire.DestType, withIdentity bool) (bridge.Result, error) {
		r := link.Remote{Type: typ}
		var ih *wire.Hash
		if withIdentity {
			id, err := identity.Generate(rand.Reader)
			if err != nil {
				return nil, err
			}
			h := wire.Hash(id.Hash())
			r.Identity, ih = id, &h
		}
		var err error
		if r.Hash, err = dest.Hash(ih, app, aspects...); err != nil {
			return nil, err
		}
		l, lerr := link.Prepare(in.node.Transport(), r, link.Config{})
		if l != nil {
			l.Close()
			l.Wait()
		}
		var msg any
		if lerr != nil {
			msg = lerr.Error()
		}
		return bridge.Result{"raised": lerr != nil, "error": msg, "link_created": l != nil}, nil
	}
	out := bridge.Result{}
	for name, c := range map[string]struct {
		typ wire.DestType
		id  bool
	}{"single": {wire.Single, true}, "plain": {wire.Plain, false}, "group": {wire.Group, true}} {
		r, err := attempt(c.typ, c.id)
		if err != nil {
			return nil, err
		}
		out[name] = r
	}
	return out, nil
}

func phyResult(l *link.Link) bridge.Result {
	s, ok := l.PhyStats()
	if !ok {
		return bridge.Result{"rssi": nil, "snr": nil, "q": nil}
	}
	return bridge.Result{"rssi": s.RSSI, "snr": s.SNR, "q": s.Q}
}

// cmdLinkPhyStatsGate stores phy stats on a link and reads them with
// tracking off, on and off again.
func cmdLinkPhyStatsGate(in *instance, p bridge.Params) (bridge.Result, error) {
	l, _, _, err := in.anyLink(p)
	if err != nil {
		return nil, err
	}
	stored := link.PhyStats{RSSI: -42, SNR: 7, Q: 83, Valid: true}
	l.RecordPhyStats(stored)
	off := phyResult(l)
	l.TrackPhyStats(true)
	l.RecordPhyStats(stored)
	on := phyResult(l)
	l.TrackPhyStats(false)
	l.RecordPhyStats(stored)
	offAgain := phyResult(l)
	return bridge.Result{
		"stored": bridge.Result{"rssi": stored.RSSI, "snr": stored.SNR, "q": stored.Q},
		"off":    off, "on": on, "off_again": offAgain,
	}, nil
}

// cmdLinkTeardownEmission counts the LINKCLOSE packets sent when a pending
// link and then the given established outbound link are torn down.
func cmdLinkTeardownEmission(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	id, h, err := freshRemote(p, "teardown-emit")
	if err != nil {
		return nil, err
	}
	var pendingLog sendLog
	pending, err := link.Prepare(in.node.Transport(), link.Remote{Identity: id, Hash: h, Type: wire.Single}, link.Config{
		OnSend: func(_ *link.Link, raw []byte) { pendingLog.record(raw) },
	})
	if err != nil {
		return nil, err
	}
	pending.Close()
	pending.Wait()
	_, pendingCloses, _, _ := pendingLog.snapshot()
	before := statusNames[ls.l.Status()]
	_, c0, _, _ := ls.sent.snapshot()
	ls.l.Close()
	_, c1, _, _ := ls.sent.snapshot()
	return bridge.Result{"pending_linkclose_emitted": pendingCloses, "active_linkclose_emitted": c1 - c0, "active_status_before": before}, nil
}
