// Package behavioral implements the conformance suite's behavioral_*
// commands: white-box transport behaviour on a fake interface, driving
// mehr's real rns/transport through its test seams.
//
// Each behavioral_start builds a real rns.Node with its own
// transport.Transport (the job routine running on the real clock, as the
// reference's). Mock interfaces (ifacetest.Mock) record what transport
// sends; injected frames go through Transport.InboundFrame synchronously,
// as the reference harness calls Transport.inbound. Table reads and seeds
// use the transport's exported table views (PendingAnnounce, LinkTable,
// SeedReverse, SetPathTimes, ...); nothing is answered from the bridge.
//
// Reference behaviours mehr does not implement (stored and remote
// blackhole lists, ingress control) answer with an error that says so.
package behavioral

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// mock is one attached mock interface.
type mock struct {
	id   string
	m    *ifacetest.Mock
	ti   *transport.Iface
	hash [identity.FullHashLen]byte
	desc string
}

// handler records the calls of one registered announce handler.
type handler struct {
	mu         sync.Mutex
	calls      []bridge.Result
	withHash   bool
	panicking  bool
	registered bool
}

// instance is one behavioral_start.
type instance struct {
	node *rns.Node
	t    *transport.Transport
	dir  string // storage directory

	mu         sync.Mutex
	ifaces     map[string]*mock
	defaults   bridge.Params
	deliveries map[wire.Hash]*[][]byte
	handlers   map[string]*handler
}

type state struct {
	mu        sync.Mutex
	instances map[string]*instance
}

// Commands returns the behavioral_* commands.
func Commands() bridge.Registry {
	s := &state{instances: map[string]*instance{}}
	r := bridge.Registry{
		"behavioral_start":                       s.start,
		"behavioral_stop":                        s.stop,
		"behavioral_attach_mock_interface":       s.with(attach),
		"behavioral_inject":                      s.with(inject),
		"behavioral_drain_tx":                    s.with(drainTx),
		"behavioral_read_path_table":             s.with(readPathTable),
		"behavioral_packet_filter":               s.with(packetFilter),
		"behavioral_read_reverse_table":          s.with(readReverseTable),
		"behavioral_read_announce_table":         s.with(readAnnounceTable),
		"behavioral_set_path_timestamp":          s.with(setPathTimestamp),
		"behavioral_set_path_expires":            s.with(setPathExpires),
		"behavioral_set_announce_timestamp":      s.with(setAnnounceTimestamp),
		"behavioral_force_cull":                  s.with(forceCull),
		"behavioral_detach_interface":            s.with(detachInterface),
		"behavioral_ifac_mask":                   s.with(ifacMask),
		"behavioral_inbound_remembered":          s.with(inboundRemembered),
		"behavioral_seed_link_table":             s.with(seedLinkTable),
		"behavioral_seed_reverse_table":          s.with(seedReverseTable),
		"behavioral_read_link_table":             s.with(readLinkTable),
		"behavioral_register_destination":        s.with(registerDestination),
		"behavioral_read_destination_deliveries": s.with(readDeliveries),
		"behavioral_mark_path_unresponsive":      s.with(markUnresponsive),
		"behavioral_request_path":                s.with(requestPath),
		"behavioral_register_announce_handler":   s.with(registerAnnounceHandler),
		"behavioral_read_tunnels":                s.with(readTunnels),
		"behavioral_read_announce_rate":          s.with(readAnnounceRate),
		"behavioral_blackhole_identity":          s.with(blackholeIdentity),
		"behavioral_unblackhole_identity":        s.with(unblackholeIdentity),
		"behavioral_read_blackhole_table":        s.with(readBlackholeTable),
		"behavioral_blackhole_list_handler":      s.with(blackholeList),
		"behavioral_synthesize_tunnel":           s.with(synthesizeTunnel),
		"behavioral_read_announce_handler_calls": s.with(readAnnounceHandlerCalls),
		"behavioral_hold_and_release_announce":   s.with(holdAndRelease),
	}
	for name, h := range s.blackholeCommands() {
		r[name] = h
	}
	return r
}

// with looks up the instance named by the "handle" parameter.
func (s *state) with(fn func(in *instance, p bridge.Params) (bridge.Result, error)) bridge.Handler {
	return func(p bridge.Params) (bridge.Result, error) {
		h, err := p.String("handle")
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		in := s.instances[h]
		s.mu.Unlock()
		if in == nil {
			return nil, fmt.Errorf("behavioral: unknown handle %q", h)
		}
		return fn(in, p)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *state) start(p bridge.Params) (bridge.Result, error) {
	enabled, err := p.Bool("enable_transport", true)
	if err != nil {
		return nil, err
	}
	shared, err := p.Bool("connected_to_shared_instance", false)
	if err != nil {
		return nil, err
	}
	var id *identity.Identity
	if seed, err := p.OptHex("identity_seed"); err != nil {
		return nil, err
	} else if seed != nil {
		if len(seed) != 64 {
			return nil, fmt.Errorf("%w: identity_seed must be 64 bytes", bridge.ErrParam)
		}
		if id, err = identity.FromPrivateKey(seed); err != nil {
			return nil, err
		}
	}
	// Each node stores its state (the blackhole lists) in a directory of
	// its own, removed when it stops.
	dir, err := os.MkdirTemp("", "mehr-behavioral-")
	if err != nil {
		return nil, err
	}
	node, err := rns.NewNode(rns.Options{Identity: id, TransportEnabled: enabled, StorageDir: dir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defaults := bridge.Params{}
	for _, k := range []string{"announce_rate_target", "announce_rate_grace", "announce_rate_penalty", "announce_cap", "bitrate"} {
		if p.Has(k) {
			defaults[k] = p[k]
		}
	}
	in := &instance{
		node: node, t: node.Transport(), dir: dir, ifaces: map[string]*mock{}, defaults: defaults,
		deliveries: map[wire.Hash]*[][]byte{}, handlers: map[string]*handler{},
	}
	if shared {
		// mehr knows it is attached to a shared instance by its
		// connection to it: attach one, as a program's node would have.
		// It is not among the test's interfaces.
		m := ifacetest.NewMock(ifacetest.MockConfig{Name: "shared-instance", SharedInstance: true})
		if _, err := node.AddInterface(m, transport.InterfaceOptions{}); err != nil {
			node.Close()
			os.RemoveAll(dir)
			return nil, err
		}
	}
	h := randomHex(8)
	s.mu.Lock()
	s.instances[h] = in
	s.mu.Unlock()
	ih := node.Identity().Hash()
	return bridge.Result{"handle": h, "identity_hash": bridge.Hex(ih[:])}, nil
}

func (s *state) stop(p bridge.Params) (bridge.Result, error) {
	h, err := p.String("handle")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	in := s.instances[h]
	delete(s.instances, h)
	s.mu.Unlock()
	if in == nil {
		return bridge.Result{"stopped": false}, nil
	}
	// Detached mocks are no longer the transport's to close.
	in.mu.Lock()
	for _, m := range in.ifaces {
		m.m.Close()
	}
	in.mu.Unlock()
	in.node.Close()
	os.RemoveAll(in.dir)
	return bridge.Result{"stopped": true}, nil
}

var modes = map[string]iface.Mode{
	"FULL": iface.ModeFull, "POINT_TO_POINT": iface.ModePointToPoint,
	"ACCESS_POINT": iface.ModeAccessPoint, "ROAMING": iface.ModeRoaming,
	"BOUNDARY": iface.ModeBoundary, "GATEWAY": iface.ModeGateway,
}

func attach(in *instance, p bridge.Params) (bridge.Result, error) {
	name, err := p.String("name")
	if err != nil {
		return nil, err
	}
	mode, ok := modes[p.StringOr("mode", "FULL")]
	if !ok {
		mode = iface.ModeFull // as the reference's mode_map.get
	}
	mtu, err := p.IntOr("mtu", 500)
	if err != nil {
		return nil, err
	}
	local, err := p.Bool("local_client", false)
	if err != nil {
		return nil, err
	}
	knob := func(k string) (float64, bool, error) {
		src := p
		if !p.Has(k) {
			src = in.defaults
		}
		if !src.Has(k) {
			return 0, false, nil
		}
		f, err := src.Float(k)
		return f, err == nil, err
	}
	cfg := ifacetest.MockConfig{Name: name, MTU: mtu, Mode: mode, LocalClient: local}
	if f, ok, err := knob("bitrate"); err != nil {
		return nil, err
	} else if ok {
		if f <= 0 || f > math.MaxInt64/2 {
			return nil, fmt.Errorf("%w: bitrate %v", bridge.ErrParam, f)
		}
		cfg.Bitrate = int64(f)
	}
	var opts transport.InterfaceOptions
	if f, ok, err := knob("announce_cap"); err != nil {
		return nil, err
	} else if ok {
		opts.AnnounceCap = f
	}
	seconds := func(f float64) (time.Duration, error) {
		if math.IsNaN(f) || f < 0 || f > 1e9 {
			return 0, fmt.Errorf("%w: %v seconds", bridge.ErrParam, f)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	if f, ok, err := knob("announce_rate_target"); err != nil {
		return nil, err
	} else if ok {
		if opts.AnnounceRateTarget, err = seconds(f); err != nil {
			return nil, err
		}
		if opts.AnnounceRateTarget == 0 {
			opts.AnnounceRateTarget = time.Nanosecond // 0 is "off" in mehr, a target in the reference
		}
		g, _, err := knob("announce_rate_grace")
		if err != nil {
			return nil, err
		}
		opts.AnnounceRateGrace = int(max(0, min(g, 1<<30)))
		pen, _, err := knob("announce_rate_penalty")
		if err != nil {
			return nil, err
		}
		if opts.AnnounceRatePenalty, err = seconds(pen); err != nil {
			return nil, err
		}
	}
	ifacSize := 0
	if p.Has("ifac_netname") || p.Has("ifac_netkey") {
		ifacSize, err = p.IntOr("ifac_size", 16)
		if err != nil {
			return nil, err
		}
		if opts.IFAC, err = ifac.New(p.StringOr("ifac_netname", ""), p.StringOr("ifac_netkey", ""), ifacSize); err != nil {
			return nil, err
		}
	}
	// The reference's interface hash is the full hash of its string form;
	// the mock's string form is MockInterface[name].
	opts.Descriptor = "MockInterface[" + name + "]"
	m := ifacetest.NewMock(cfg)
	ti, err := in.node.AddInterface(m, opts)
	if err != nil {
		return nil, err
	}
	mk := &mock{id: randomHex(6), m: m, ti: ti, hash: ti.Hash(), desc: opts.Descriptor}
	in.mu.Lock()
	in.ifaces[mk.id] = mk
	in.mu.Unlock()
	return bridge.Result{"iface_id": mk.id, "interface_hash": bridge.Hex(mk.hash[:]), "ifac_size": ifacSize}, nil
}

// iface returns the mock named by parameter k.
func (in *instance) iface(p bridge.Params, k string) (*mock, error) {
	id, err := p.String(k)
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	m := in.ifaces[id]
	if m == nil {
		return nil, fmt.Errorf("behavioral: unknown iface_id %q", id)
	}
	return m, nil
}

// byIface finds the mock attached as ti, or nil.
func (in *instance) byIface(ti *transport.Iface) *mock {
	if ti == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range in.ifaces {
		if m.ti == ti {
			return m
		}
	}
	return nil
}

func inject(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	in.t.InboundFrame(raw, m.ti)
	return bridge.Result{}, nil
}

// holdAndRelease holds announces on an interface's ingress-control queue
// and runs one release pass, reporting the held destinations before and
// after and the one released.
func holdAndRelease(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	l, err := p.List("announces")
	if err != nil {
		return nil, err
	}
	hops := bridge.Result{}
	for _, v := range l {
		s, _ := v.(string)
		raw, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: announce %v is not hexadecimal", bridge.ErrParam, v)
		}
		var pk wire.Packet
		if err := pk.Decode(raw); err != nil {
			return nil, fmt.Errorf("could not unpack supplied announce packet: %w", err)
		}
		if err := m.ti.HoldAnnounce(raw); err != nil {
			return nil, err
		}
		hops[bridge.Hex(pk.Destination[:])] = int(pk.Hops)
	}
	keys := func() []string {
		out := []string{}
		for h := range m.ti.HeldAnnounces() {
			out = append(out, bridge.Hex(h[:]))
		}
		sort.Strings(out)
		return out
	}
	before := keys()
	released := []string{}
	if h, ok := m.ti.ReleaseHeldAnnounce(); ok {
		released = append(released, bridge.Hex(h[:]))
	}
	return bridge.Result{"held_before": before, "held_after": keys(), "released": released, "hops": hops}, nil
}

func drainTx(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, b := range m.m.Drain() {
		out = append(out, bridge.Hex(b))
	}
	return bridge.Result{"packets": out}, nil
}

// epoch converts a time to the reference's float seconds.
func epoch(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	// Not UnixNano: the suite uses far-future times that overflow it.
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// fromEpoch converts float seconds to a time.
func fromEpoch(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, fmt.Errorf("%w: timestamp %v", bridge.ErrParam, f)
	}
	if f == 0 {
		// Zero means "unset" to the table seams; the reference's 0 is
		// the epoch, long past.
		return time.Unix(0, 1), nil
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))), nil
}

func hashParam(p bridge.Params, k string) (wire.Hash, error) {
	b, err := p.Hex(k)
	if err != nil {
		return wire.Hash{}, err
	}
	if len(b) != wire.HashLen {
		return wire.Hash{}, fmt.Errorf("%w: %q must be %d bytes", bridge.ErrParam, k, wire.HashLen)
	}
	return wire.Hash(b), nil
}

// hexOrNil renders a hash, or null for the zero hash (the reference's None).
func hexOrNil(h wire.Hash) any {
	if h == (wire.Hash{}) {
		return nil
	}
	return bridge.Hex(h[:])
}

func readPathTable(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	pe, ok := in.t.Path(h)
	if !ok {
		return bridge.Result{"found": false}, nil
	}
	blobs := []string{}
	for _, b := range pe.RandomBlobs {
		blobs = append(blobs, bridge.Hex(b[:]))
	}
	r := bridge.Result{
		"found": true, "hops": int(pe.Hops), "next_hop": bridge.Hex(pe.NextHop[:]),
		"timestamp": epoch(pe.Timestamp), "expires": epoch(pe.Expires),
		"random_blobs": blobs, "packet_hash": bridge.Hex(pe.PacketHash[:]),
		"receiving_interface": "None", "receiving_interface_hash": nil,
	}
	if m := in.byIface(pe.Interface); m != nil {
		r["receiving_interface"] = m.desc
		r["receiving_interface_hash"] = bridge.Hex(m.hash[:])
	} else if pe.Interface != nil {
		r["receiving_interface"] = pe.Interface.Name()
	}
	return r, nil
}

func packetFilter(in *instance, p bridge.Params) (bridge.Result, error) {
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	remember, err := p.Bool("remember", true)
	if err != nil {
		return nil, err
	}
	ok, h, err := in.t.FilterPacket(raw, remember)
	if err != nil {
		return nil, fmt.Errorf("packet failed to unpack: %w", err)
	}
	return bridge.Result{"accepted": ok, "packet_hash": bridge.Hex(h[:]), "remembered": ok && remember}, nil
}

// tableReadout answers a table read: the entry under the hash parameter
// key (with "found"), or every entry when the parameter is absent.
func tableReadout[E any](tab map[wire.Hash]E, p bridge.Params, key string, entry func(wire.Hash, E) bridge.Result) (bridge.Result, error) {
	if !p.Has(key) {
		out := []bridge.Result{}
		for k, e := range tab {
			out = append(out, entry(k, e))
		}
		return bridge.Result{"entries": out}, nil
	}
	k, err := hashParam(p, key)
	if err != nil {
		return nil, err
	}
	e, ok := tab[k]
	if !ok {
		return bridge.Result{"found": false}, nil
	}
	r := entry(k, e)
	r["found"] = true
	return r, nil
}

// ifaceFields describes an interface of a table entry under prefix.
func (in *instance) ifaceFields(r bridge.Result, prefix string, ti *transport.Iface) {
	m := in.byIface(ti)
	if m == nil {
		r[prefix] = nil
		r[prefix+"_hash"] = nil
		r[prefix+"_name"] = nil
		if ti != nil {
			r[prefix+"_name"] = ti.Name()
		}
		return
	}
	r[prefix] = m.id
	r[prefix+"_hash"] = bridge.Hex(m.hash[:])
	r[prefix+"_name"] = m.m.Name()
}

func readReverseTable(in *instance, p bridge.Params) (bridge.Result, error) {
	tab := in.t.ReverseTable()
	entry := func(k wire.Hash, e transport.ReverseEntry) bridge.Result {
		r := bridge.Result{"key": bridge.Hex(k[:]), "timestamp": epoch(e.Timestamp)}
		in.ifaceFields(r, "received_if", e.Received)
		in.ifaceFields(r, "outbound_if", e.Outbound)
		return r
	}
	return tableReadout(tab, p, "dest", entry)
}

func readAnnounceTable(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	ae, ok := in.t.PendingAnnounce(h)
	if !ok {
		return bridge.Result{"found": false}, nil
	}
	var attached any
	if m := in.byIface(ae.Attached); m != nil {
		attached = m.id
	}
	return bridge.Result{
		"found": true, "retries": ae.Retries, "hops": int(ae.Hops),
		"timestamp": epoch(ae.Timestamp), "retransmit_timeout": epoch(ae.RetransmitAt),
		"local_rebroadcasts": ae.LocalRebroadcasts, "block_rebroadcasts": ae.BlockRebroadcasts,
		"received_from": bridge.Hex(ae.ReceivedFrom[:]), "attached_interface": attached,
		"packet_hash": bridge.Hex(ae.PacketHash[:]),
	}, nil
}

func setPathTimestamp(in *instance, p bridge.Params) (bridge.Result, error) {
	return setPathTime(in, p, "timestamp")
}

func setPathExpires(in *instance, p bridge.Params) (bridge.Result, error) {
	return setPathTime(in, p, "expires")
}

func setPathTime(in *instance, p bridge.Params, k string) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	f, err := p.Float(k)
	if err != nil {
		return nil, err
	}
	at, err := fromEpoch(f)
	if err != nil {
		return nil, err
	}
	var ok bool
	if k == "timestamp" {
		ok = in.t.SetPathTimes(h, at, time.Time{})
	} else {
		ok = in.t.SetPathTimes(h, time.Time{}, at)
	}
	return bridge.Result{"set": ok}, nil
}

func setAnnounceTimestamp(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	var ts, rt time.Time
	for k, dst := range map[string]*time.Time{"timestamp": &ts, "retransmit_timeout": &rt} {
		if !p.Has(k) {
			continue
		}
		f, err := p.Float(k)
		if err != nil {
			return nil, err
		}
		if *dst, err = fromEpoch(f); err != nil {
			return nil, err
		}
	}
	return bridge.Result{"set": in.t.SetAnnounceTimes(h, ts, rt)}, nil
}

func forceCull(in *instance, p bridge.Params) (bridge.Result, error) {
	in.t.ForceJobs()
	return bridge.Result{"culled": true}, nil
}

func detachInterface(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	in.t.Detach(m.ti)
	return bridge.Result{"detached": true}, nil
}

func ifacMask(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	if !m.ti.HasIFAC() {
		return nil, errors.New("interface has no IFAC identity configured")
	}
	m.m.Drain()
	in.t.Transmit(m.ti, raw)
	out := m.m.Drain()
	if len(out) != 1 {
		return nil, fmt.Errorf("expected exactly one masked frame, got %d", len(out))
	}
	return bridge.Result{"masked": bridge.Hex(out[0])}, nil
}

func inboundRemembered(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	raw, err := p.Hex("raw")
	if err != nil {
		return nil, err
	}
	var pk wire.Packet
	var hash *[wire.FullHashLen]byte
	if pk.Decode(raw) == nil {
		if h, err := wire.PacketHash(raw); err == nil {
			hash = &h
		}
	}
	before := in.t.RememberedCount()
	in.t.InboundFrame(append([]byte(nil), raw...), m.ti)
	after := in.t.RememberedCount()
	r := bridge.Result{
		"hashlist_before": before, "hashlist_after": after, "hashlist_grew": after > before,
		"unpackable": hash != nil, "packet_hash": nil, "in_hashlist": false,
	}
	if hash != nil {
		r["packet_hash"] = bridge.Hex(hash[:])
		r["in_hashlist"] = in.t.Remembered(*hash)
	}
	return r, nil
}

func seedLinkTable(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	nh, err := in.iface(p, "nh_iface_id")
	if err != nil {
		return nil, err
	}
	rc, err := in.iface(p, "rcvd_iface_id")
	if err != nil {
		return nil, err
	}
	rem, err := p.IntOr("rem_hops", 99)
	if err != nil {
		return nil, err
	}
	hops, err := p.IntOr("hops", 99)
	if err != nil {
		return nil, err
	}
	age, err := p.FloatOr("timestamp_age_s", 0)
	if err != nil {
		return nil, err
	}
	validated, err := p.Bool("validated", true)
	if err != nil {
		return nil, err
	}
	pto, err := p.FloatOr("proof_timeout_in_s", 60)
	if err != nil {
		return nil, err
	}
	if rem < 0 || rem > 255 || hops < 0 || hops > 255 {
		return nil, fmt.Errorf("%w: hop counts must be 0..255", bridge.ErrParam)
	}
	now := time.Now()
	ts, err := fromEpoch(epoch(now) - age)
	if err != nil {
		return nil, err
	}
	pt, err := fromEpoch(epoch(now) + pto)
	if err != nil {
		return nil, err
	}
	in.t.SeedLink(h, transport.LinkEntry{
		Timestamp: ts, NextIface: nh.ti, RemainingHops: uint8(rem), Received: rc.ti,
		TakenHops: uint8(hops), Destination: h, Validated: validated, ProofTimeout: pt,
	})
	return bridge.Result{"seeded": true, "dest": bridge.Hex(h[:])}, nil
}

func seedReverseTable(in *instance, p bridge.Params) (bridge.Result, error) {
	k, err := hashParam(p, "key")
	if err != nil {
		return nil, err
	}
	rc, err := in.iface(p, "rcvd_iface_id")
	if err != nil {
		return nil, err
	}
	ob, err := in.iface(p, "outb_iface_id")
	if err != nil {
		return nil, err
	}
	age, err := p.FloatOr("timestamp_age_s", 0)
	if err != nil {
		return nil, err
	}
	ts, err := fromEpoch(epoch(time.Now()) - age)
	if err != nil {
		return nil, err
	}
	in.t.SeedReverse(k, transport.ReverseEntry{Received: rc.ti, Outbound: ob.ti, Timestamp: ts})
	return bridge.Result{"seeded": true, "key": bridge.Hex(k[:])}, nil
}

func readLinkTable(in *instance, p bridge.Params) (bridge.Result, error) {
	tab := in.t.LinkTable()
	entry := func(id wire.Hash, e transport.LinkEntry) bridge.Result {
		r := bridge.Result{
			"link_id": bridge.Hex(id[:]), "timestamp": epoch(e.Timestamp),
			"next_hop_transport_id": hexOrNil(e.NextHop), "remaining_hops": int(e.RemainingHops),
			"hops": int(e.TakenHops), "destination_hash": bridge.Hex(e.Destination[:]),
			"validated": e.Validated, "proof_timeout": epoch(e.ProofTimeout),
		}
		in.ifaceFields(r, "next_hop_if", e.NextIface)
		in.ifaceFields(r, "received_if", e.Received)
		return r
	}
	return tableReadout(tab, p, "link_id", entry)
}

func registerDestination(in *instance, p bridge.Params) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	var aspects []string
	if p.Has("aspects") {
		l, err := p.List("aspects")
		if err != nil {
			return nil, err
		}
		for _, a := range l {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("%w: aspects must be strings", bridge.ErrParam)
			}
			aspects = append(aspects, s)
		}
	}
	var typ wire.DestType
	switch p.StringOr("type", "single") {
	case "single", "SINGLE":
		typ = wire.Single
	case "plain", "PLAIN":
		typ = wire.Plain
	case "group", "GROUP":
		typ = wire.Group
	default:
		return nil, fmt.Errorf("%w: unknown destination type %q", bridge.ErrParam, p.StringOr("type", ""))
	}
	var id *identity.Identity
	if typ != wire.Plain {
		seed, err := p.Hex("identity_seed")
		if err != nil {
			return nil, err
		}
		if len(seed) != 64 {
			return nil, fmt.Errorf("%w: identity_seed must be 64 bytes", bridge.ErrParam)
		}
		if id, err = identity.FromPrivateKey(seed); err != nil {
			return nil, err
		}
	}
	d, err := in.node.NewDestination(id, rns.In, typ, app, aspects...)
	if err != nil {
		return nil, err
	}
	got := &[][]byte{}
	var mu sync.Mutex
	d.SetPacketCallback(func(data []byte, _ *transport.Packet) {
		mu.Lock()
		*got = append(*got, append([]byte(nil), data...))
		mu.Unlock()
	})
	if p.Has("proof_strategy") {
		switch p.StringOr("proof_strategy", "") {
		case "all", "ALL":
			d.SetProofStrategy(rns.ProveAll)
		case "none", "NONE":
			d.SetProofStrategy(rns.ProveNone)
		case "app", "APP":
			d.SetProofStrategy(rns.ProveApp)
		default:
			return nil, fmt.Errorf("%w: unknown proof strategy", bridge.ErrParam)
		}
	}
	in.mu.Lock()
	in.deliveries[d.Hash()] = got
	in.mu.Unlock()
	return bridge.Result{"destination_hash": bridge.Hex(d.Destination.Hash[:])}, nil
}

func readDeliveries(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	got := in.deliveries[h]
	var list []string
	if got != nil {
		for _, b := range *got {
			list = append(list, bridge.Hex(b))
		}
	}
	in.mu.Unlock()
	if list == nil {
		list = []string{}
	}
	return bridge.Result{"count": len(list), "deliveries": list}, nil
}

func markUnresponsive(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	if !in.t.HasPath(h) {
		return bridge.Result{"marked": false}, nil
	}
	in.t.MarkUnresponsive(h)
	return bridge.Result{"marked": true}, nil
}

func requestPath(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	tag, err := p.OptHex("tag")
	if err != nil {
		return nil, err
	}
	if tag == nil {
		tag = make([]byte, wire.HashLen)
		_, _ = rand.Read(tag)
	}
	if err := in.t.RequestPathTag(h, m.ti, tag); err != nil {
		return nil, err
	}
	return bridge.Result{"tag": bridge.Hex(tag)}, nil
}

func registerAnnounceHandler(in *instance, p bridge.Params) (bridge.Result, error) {
	omit, err := p.Bool("omit_aspect_filter", false)
	if err != nil {
		return nil, err
	}
	if omit {
		// The reference declines a duck-typed handler object that lacks
		// an aspect_filter attribute. Transport.RegisterAnnounceHandler
		// takes the filter as an argument, so such a handler cannot be
		// built, let alone registered: it is recorded here, unregistered,
		// and can never be called.
		id := randomHex(8)
		in.mu.Lock()
		in.handlers[id] = &handler{}
		in.mu.Unlock()
		return bridge.Result{"handler_id": id, "registered": false}, nil
	}
	filter := p.StringOr("aspect_filter", "")
	pathResponses, err := p.Bool("receive_path_responses", false)
	if err != nil {
		return nil, err
	}
	n, err := p.IntOr("num_params", 3)
	if err != nil {
		return nil, err
	}
	panicking, err := p.Bool("raise_on_call", false)
	if err != nil {
		return nil, err
	}
	h := &handler{withHash: n == 4, panicking: panicking, registered: true}
	in.t.RegisterAnnounceHandler(filter, pathResponses, func(a transport.AnnounceInfo) {
		ih := a.Identity.Hash()
		rec := bridge.Result{
			"destination_hash":        bridge.Hex(a.Destination[:]),
			"announced_identity_hash": bridge.Hex(ih[:]),
			"app_data":                bridge.Hex(a.AppData),
		}
		if a.AppData == nil {
			rec["app_data"] = nil
		}
		if h.withHash {
			rec["announce_packet_hash"] = bridge.Hex(a.PacketHash[:])
		}
		h.mu.Lock()
		h.calls = append(h.calls, rec)
		h.mu.Unlock()
		if h.panicking {
			panic("recording announce handler deliberately panicked")
		}
	})
	id := randomHex(8)
	in.mu.Lock()
	in.handlers[id] = h
	in.mu.Unlock()
	return bridge.Result{"handler_id": id, "registered": true}, nil
}

func readAnnounceHandlerCalls(in *instance, p bridge.Params) (bridge.Result, error) {
	id, err := p.String("handler_id")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	h := in.handlers[id]
	in.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("behavioral: unknown announce handler_id %q", id)
	}
	h.mu.Lock()
	calls := append([]bridge.Result{}, h.calls...)
	h.mu.Unlock()
	return bridge.Result{"calls": calls, "registered": h.registered}, nil
}

func synthesizeTunnel(in *instance, p bridge.Params) (bridge.Result, error) {
	m, err := in.iface(p, "iface_id")
	if err != nil {
		return nil, err
	}
	id, err := in.t.SynthesizeTunnel(m.ti)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"iface_id": m.id, "tunnel_id": bridge.Hex(id[:])}, nil
}

func readTunnels(in *instance, p bridge.Params) (bridge.Result, error) {
	out := []bridge.Result{}
	for _, tn := range in.t.Tunnels() {
		r := bridge.Result{
			"tunnel_id": bridge.Hex(tn.ID[:]), "interface_hash": nil, "interface_id": nil,
			"expires": epoch(tn.Expires), "num_paths": tn.Paths,
		}
		if m := in.byIface(tn.Interface); m != nil {
			r["interface_hash"], r["interface_id"] = bridge.Hex(m.hash[:]), m.id
		}
		out = append(out, r)
	}
	return bridge.Result{"tunnels": out}, nil
}

func readAnnounceRate(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "dest")
	if err != nil {
		return nil, err
	}
	ar, ok := in.t.AnnounceRateOf(h)
	if !ok {
		return bridge.Result{"found": false}, nil
	}
	ts := []float64{}
	for _, t := range ar.Timestamps {
		ts = append(ts, epoch(t))
	}
	return bridge.Result{
		"found": true, "last": epoch(ar.Last), "rate_violations": ar.Violations,
		"blocked_until": epoch(ar.BlockedUntil), "timestamps": ts,
	}, nil
}

func blackholeIdentity(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "identity_hash")
	if err != nil {
		return nil, err
	}
	var until time.Time
	if p.Has("until") {
		f, err := p.Float("until")
		if err != nil {
			return nil, err
		}
		if until, err = fromEpoch(f); err != nil {
			return nil, err
		}
	}
	return bridge.Result{"blackholed": in.t.Blackhole(h, until, p.StringOr("reason", ""))}, nil
}

func unblackholeIdentity(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := hashParam(p, "identity_hash")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"lifted": in.t.Unblackhole(h)}, nil
}

func blackholeEntries(tab map[wire.Hash]transport.BlackholeEntry) []bridge.Result {
	out := []bridge.Result{}
	for h, e := range tab {
		r := bridge.Result{
			"identity_hash": bridge.Hex(h[:]), "source": bridge.Hex(e.Source[:]),
			"until": nil, "reason": nil,
		}
		if !e.Until.IsZero() {
			r["until"] = epoch(e.Until)
		}
		if e.Reason != "" {
			r["reason"] = e.Reason
		}
		out = append(out, r)
	}
	return out
}

func readBlackholeTable(in *instance, p bridge.Params) (bridge.Result, error) {
	e := blackholeEntries(in.t.Blackholed())
	return bridge.Result{"count": len(e), "entries": e}, nil
}

// blackholeList answers what the reference's /list request handler
// publishes: mehr has no blackhole list destination yet, but its list is
// the transport's table, read here a second time and compared with it.
func blackholeList(in *instance, p bridge.Params) (bridge.Result, error) {
	list := in.t.Blackholed()
	same := reflect.DeepEqual(list, in.t.Blackholed())
	e := blackholeEntries(list)
	return bridge.Result{"is_blackhole_table": same, "count": len(e), "entries": e}, nil
}
