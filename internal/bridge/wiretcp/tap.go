package wiretcp

import (
	"encoding/hex"
	"sync"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// tapCap bounds the recorded inbound frames.
const tapCap = 1024

// pathRequestHash is the PLAIN destination path requests go to.
var pathRequestHash, _ = dest.Hash(nil, "rnstransport", "path", "request")

// tap watches the frames a node's interfaces carry, without changing
// them: the inbound frames (wire_get_received_packets) and the path
// requests the node emits (wire_has_discovery_path_request).
type tap struct {
	ifac *ifac.IFAC

	mu      sync.Mutex
	seq     int
	rx      []bridge.Result
	own     map[wire.Hash]bool // path requests this node was asked to send
	emitted map[wire.Hash]bool // path requests it sent on some interface
}

func newTap(f *ifac.IFAC) *tap {
	return &tap{ifac: f, own: map[wire.Hash]bool{}, emitted: map[wire.Hash]bool{}}
}

// plain returns the frame without its access code, or nil.
func (t *tap) plain(frame []byte) []byte {
	if t.ifac == nil {
		return frame
	}
	p, err := t.ifac.Unmask(nil, frame)
	if err != nil {
		return nil
	}
	return p
}

func (t *tap) sent(frame []byte) {
	raw := t.plain(frame)
	var p wire.Packet
	if raw == nil || p.Decode(raw) != nil || p.PacketType != wire.Data || p.Destination != pathRequestHash || len(p.Data) < 16 {
		return
	}
	t.mu.Lock()
	t.emitted[wire.Hash(p.Data[:16])] = true
	t.mu.Unlock()
}

func (t *tap) received(frame []byte, name string) {
	rec := bridge.Result{
		"timestamp_ms":         time.Now().UnixMilli(),
		"raw_hex":              hex.EncodeToString(frame),
		"packet_type":          nil,
		"destination_hash_hex": nil,
		"context":              nil,
		"interface_name":       name,
	}
	if len(frame) >= 2 {
		rec["packet_type"] = int(frame[0] & 0x03)
	}
	if len(frame) >= 18 {
		rec["destination_hash_hex"] = hex.EncodeToString(frame[2:18])
	}
	if len(frame) >= 19 {
		rec["context"] = int(frame[18])
	}
	t.mu.Lock()
	t.seq++
	rec["seq"] = t.seq
	t.rx = append(t.rx, rec)
	if len(t.rx) > tapCap {
		t.rx = t.rx[len(t.rx)-tapCap:]
	}
	t.mu.Unlock()
}

// forwarded reports whether the node emitted a path request for h that it
// was not asked to send itself: one it forwarded for a peer.
func (t *tap) forwarded(h wire.Hash) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emitted[h] && !t.own[h]
}

// tapIface is an interface whose traffic a tap watches. It passes the
// optional capabilities transport looks for through.
type tapIface struct {
	iface.Interface
	t *tap
}

func (i tapIface) Send(pkt []byte) error {
	i.t.sent(pkt)
	return i.Interface.Send(pkt)
}

func (i tapIface) Receive(buf []byte) (int, error) {
	n, err := i.Interface.Receive(buf)
	if err == nil {
		i.t.received(buf[:n], i.Name())
	}
	return n, err
}

// AutoconfigureMTU implements iface.MTUAutoconfigurer.
func (i tapIface) AutoconfigureMTU() bool {
	a, ok := i.Interface.(iface.MTUAutoconfigurer)
	return ok && a.AutoconfigureMTU()
}

// Counters implements iface.Stats.
func (i tapIface) Counters() iface.Counters {
	if s, ok := i.Interface.(iface.Stats); ok {
		return s.Counters()
	}
	return iface.Counters{}
}

// tapListener wraps the interfaces a listener accepts.
type tapListener struct {
	iface.Listener
	t *tap
}

func (l tapListener) Accept() (iface.Interface, error) {
	i, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return tapIface{Interface: i, t: l.t}, nil
}

func cmdHasDiscoveryPathRequest(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"found": in.tap.forwarded(h)}, nil
}

func cmdGetReceivedPackets(in *instance, p bridge.Params) (bridge.Result, error) {
	since, err := p.IntOr("since_seq", 0)
	if err != nil {
		return nil, err
	}
	in.tap.mu.Lock()
	defer in.tap.mu.Unlock()
	out := []bridge.Result{}
	for _, r := range in.tap.rx {
		if r["seq"].(int) > since {
			out = append(out, r)
		}
	}
	return bridge.Result{"packets": out, "highest_seq": in.tap.seq}, nil
}

// proofFor returns the last received PROOF frame (without IFAC) addressed
// to the truncated packet hash h, or nil.
func (t *tap) proofFor(h wire.Hash) []byte {
	t.mu.Lock()
	recs := append([]bridge.Result(nil), t.rx...)
	t.mu.Unlock()
	for i := len(recs) - 1; i >= 0; i-- {
		frame, err := hex.DecodeString(recs[i]["raw_hex"].(string))
		if err != nil {
			continue
		}
		raw := t.plain(frame)
		var p wire.Packet
		if raw != nil && p.Decode(raw) == nil && p.PacketType == wire.Proof && p.Destination == h {
			return raw
		}
	}
	return nil
}
