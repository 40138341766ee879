package wiretcp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// ratchetCommands are the destination-level ratchet commands: the state of
// a ratchet-enabled destination, rotation, retention, its ratchet file,
// the ratchets a node adopted from announces, and encryption and
// decryption through them. Everything is read off rns.Destination and the
// node's ratchet table.
func ratchetCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_read_ratchets":                 cmdReadRatchets,
		"wire_set_ratchet_interval":          cmdSetRatchetInterval,
		"wire_rotate_ratchet":                cmdRotateRatchet,
		"wire_set_retained_ratchets":         cmdSetRetainedRatchets,
		"wire_ratchet_file_roundtrip":        cmdRatchetFileRoundtrip,
		"wire_destination_latest_ratchet_id": cmdDestinationLatestRatchetID,
		"wire_get_adopted_ratchet":           cmdGetAdoptedRatchet,
		"wire_encrypt_to_remote":             cmdEncryptToRemote,
		"wire_destination_decrypt":           cmdDestinationDecrypt,
		"wire_reannounce":                    cmdReannounce,
		"wire_send_undecryptable":            cmdSendUndecryptable,
	}
}

// enableRatchetsParam enables ratchets on d when the command asked for
// them (enable_ratchets), with a ratchet file of its own in the node's
// storage directory, and adds the ratchet fields to res.
func enableRatchetsParam(in *instance, d *rns.Destination, p bridge.Params) (bool, error) {
	on, err := p.Bool("enable_ratchets", false)
	if err != nil || !on {
		return false, err
	}
	dir := in.node.StorageDir()
	if dir == "" {
		dir = os.TempDir()
	}
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	h := d.Hash()
	path := filepath.Join(dir, "ratchets_"+hex.EncodeToString(h[:])+"_"+hex.EncodeToString(tag[:]))
	if err := d.EnableRatchets(path); err != nil {
		return false, err
	}
	return true, nil
}

// ratchetAnnounceFields are what wire_announce adds for a destination
// with ratchets.
func ratchetAnnounceFields(d *rns.Destination, res bridge.Result) {
	ids := d.RatchetIDs()
	res["ratchets_enabled"] = d.RatchetsEnabled()
	res["current_ratchet_id"] = ratchetIDAt(ids, 0)
	res["ratchet_count"] = len(ids)
}

func ratchetIDAt(ids [][identity.RatchetIDLen]byte, i int) any {
	if i >= len(ids) {
		return nil
	}
	return hex.EncodeToString(ids[i][:])
}

func hexOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return hex.EncodeToString(b)
}

// findDest returns a destination this node announced or listens on.
func (in *instance) findDest(p bridge.Params) (*rns.Destination, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	d := in.dests[h]
	in.mu.Unlock()
	if d == nil {
		return nil, fmt.Errorf("No registered destination with hash %x on handle %s", h[:], in.handle)
	}
	return d, nil
}

// ratchetDest is findDest for a destination with ratchets enabled.
func (in *instance) ratchetDest(p bridge.Params) (*rns.Destination, error) {
	d, err := in.findDest(p)
	if err != nil {
		return nil, err
	}
	if !d.RatchetsEnabled() {
		return nil, fmt.Errorf("Destination %s does not have ratchets enabled", d.Destination)
	}
	return d, nil
}

// unixSeconds is a time as the reference's float timestamps; zero is 0.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func ratchetSnapshot(d *rns.Destination) bridge.Result {
	ids := d.RatchetIDs()
	return bridge.Result{
		"ratchet_count":       len(ids),
		"current_ratchet_id":  ratchetIDAt(ids, 0),
		"previous_ratchet_id": ratchetIDAt(ids, 1),
		"ratchet_interval":    int(d.RatchetInterval() / time.Second),
		"retained_ratchets":   d.RetainedRatchets(),
		"latest_ratchet_id":   hexOrNil(d.LatestRatchetID()),
		"latest_ratchet_time": unixSeconds(d.LastRatchetRotation()),
	}
}

func cmdReadRatchets(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.ratchetDest(p)
	if err != nil {
		return nil, err
	}
	return ratchetSnapshot(d), nil
}

// secondsParam reads a duration given in (possibly fractional) seconds.
func secondsParam(p bridge.Params, k string) (time.Duration, error) {
	f, err := p.Float(k)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e9 {
		return 0, fmt.Errorf("%w: %q out of range", bridge.ErrParam, k)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func cmdSetRatchetInterval(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.ratchetDest(p)
	if err != nil {
		return nil, err
	}
	s, err := p.Int("seconds")
	if err != nil {
		return nil, err
	}
	ok := d.SetRatchetInterval(time.Duration(s) * time.Second)
	return bridge.Result{"ok": ok, "ratchet_interval": int(d.RatchetInterval() / time.Second)}, nil
}

// backdateRotation sets the last rotation ago seconds back, when the
// command gave the parameter.
func backdateRotation(d *rns.Destination, p bridge.Params, k string) error {
	if !p.Has(k) {
		return nil
	}
	ago, err := secondsParam(p, k)
	if err != nil {
		return err
	}
	d.SetLastRatchetRotation(time.Now().Add(-ago))
	return nil
}

func cmdRotateRatchet(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.ratchetDest(p)
	if err != nil {
		return nil, err
	}
	if err := backdateRotation(d, p, "last_rotation_ago_s"); err != nil {
		return nil, err
	}
	before := d.RatchetIDs()
	if _, err := d.RotateRatchets(nil, time.Now()); err != nil {
		return nil, err
	}
	after := d.RatchetIDs()
	return bridge.Result{
		"rotated":             len(after) > len(before),
		"before_count":        len(before),
		"after_count":         len(after),
		"before_current_id":   ratchetIDAt(before, 0),
		"current_ratchet_id":  ratchetIDAt(after, 0),
		"previous_ratchet_id": ratchetIDAt(after, 1),
		"ratchet_interval":    int(d.RatchetInterval() / time.Second),
		"latest_ratchet_time": unixSeconds(d.LastRatchetRotation()),
	}, nil
}

// cmdSetRetainedRatchets applies a retained count. pad_to first grows the
// list towards that many ratchets through real rotations, each with the
// rotation gate opened by backdating the last rotation. Rotation applies
// the same cut set_retained_ratchets does, so the list stops at
// dest.RatchetCount, the length the reference cuts an inflated list to.
func cmdSetRetainedRatchets(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.ratchetDest(p)
	if err != nil {
		return nil, err
	}
	n, err := p.Int("n")
	if err != nil {
		return nil, err
	}
	if p.Has("pad_to") {
		pad, err := p.Int("pad_to")
		if err != nil {
			return nil, err
		}
		if pad > 4*dest.RatchetCount {
			return nil, fmt.Errorf("%w: pad_to %d too large", bridge.ErrParam, pad)
		}
		for len(d.RatchetIDs()) < pad {
			d.SetLastRatchetRotation(time.Now().Add(-d.RatchetInterval() - time.Second))
			rotated, err := d.RotateRatchets(nil, time.Now())
			if err != nil {
				return nil, err
			}
			if !rotated || len(d.RatchetIDs()) >= dest.RatchetCount && len(d.RatchetIDs()) < pad {
				break // the list is cut at RatchetCount on every rotation
			}
		}
	}
	ok := d.SetRetainedRatchets(n)
	return bridge.Result{
		"ok":                ok,
		"retained_ratchets": d.RetainedRatchets(),
		"ratchet_count":     len(d.RatchetIDs()),
		"ratchet_count_cap": dest.RatchetCount,
	}, nil
}

func idsHex(ids [][identity.RatchetIDLen]byte) []any {
	out := make([]any, len(ids))
	for i := range ids {
		out[i] = hex.EncodeToString(ids[i][:])
	}
	return out
}

func cmdRatchetFileRoundtrip(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.ratchetDest(p)
	if err != nil {
		return nil, err
	}
	before := d.RatchetIDs()
	if err := d.PersistRatchets(); err != nil {
		return nil, err
	}
	reloadOK := d.ReloadRatchets() == nil
	after := d.RatchetIDs()
	match := len(before) == len(after)
	for i := 0; match && i < len(before); i++ {
		match = before[i] == after[i]
	}
	return bridge.Result{
		"ratchets_path_set":    true,
		"reload_ok":            reloadOK,
		"ratchet_count_before": len(before),
		"ratchet_count_after":  len(after),
		"roundtrip_match":      match,
		"ratchet_ids":          idsHex(after),
	}, nil
}

func cmdDestinationLatestRatchetID(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.ratchetDest(p)
	if err != nil {
		return nil, err
	}
	probe, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if len(probe) == 0 {
		probe = []byte("ratchet-probe")
	}
	ct, err := d.EncryptPayload(probe)
	if err != nil {
		return nil, err
	}
	encID := d.LatestRatchetID()
	pt, derr := d.DecryptPayload(ct)
	decID := d.LatestRatchetID()
	ids := d.RatchetIDs()
	var ptv any
	if derr == nil {
		ptv = hex.EncodeToString(pt)
	}
	return bridge.Result{
		"decrypted":          derr == nil && string(pt) == string(probe),
		"plaintext":          ptv,
		"latest_ratchet_id":  hexOrNil(decID),
		"encrypt_ratchet_id": hexOrNil(encID),
		"current_ratchet_id": ratchetIDAt(ids, 0),
		"match":              encID != nil && decID != nil && string(encID) == string(decID),
		"ratchet_count":      len(ids),
	}, nil
}

func cmdGetAdoptedRatchet(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	r, ok := in.node.Transport().Ratchets().Get(h)
	if !ok {
		return bridge.Result{"found": false, "ratchet_public": nil, "ratchet_id": nil}, nil
	}
	id := identity.RatchetID(r)
	return bridge.Result{"found": true, "ratchet_public": hex.EncodeToString(r), "ratchet_id": hex.EncodeToString(id[:])}, nil
}

// cmdEncryptToRemote encrypts to a destination this node heard announced:
// with use_ratchet (the default) to the newest ratchet the node adopted
// from its announces, the target Destination.encrypt picks, otherwise to
// its identity key.
func cmdEncryptToRemote(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	pt, err := p.OptHex("plaintext")
	if err != nil {
		return nil, err
	}
	useRatchet, err := p.Bool("use_ratchet", true)
	if err != nil {
		return nil, err
	}
	id, _, ok := in.node.Recall(h)
	if !ok {
		return nil, fmt.Errorf("No identity known for %x; ensure an announce for this destination was received first", h[:])
	}
	var ratchet, rid []byte
	if useRatchet {
		if r, ok := in.node.Transport().Ratchets().Get(h); ok {
			id := identity.RatchetID(r)
			ratchet, rid = r, id[:]
		}
	}
	ct, err := id.Encrypt(nil, pt, ratchet)
	if err != nil {
		return nil, err
	}
	return bridge.Result{
		"ciphertext":     hex.EncodeToString(ct),
		"used_ratchet":   ratchet != nil,
		"ratchet_id":     hexOrNil(rid),
		"ratchet_public": hexOrNil(ratchet),
	}, nil
}

func cmdDestinationDecrypt(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.findDest(p)
	if err != nil {
		return nil, err
	}
	ct, err := p.Hex("ciphertext")
	if err != nil {
		return nil, err
	}
	d.ClearLatestRatchetID()
	pt, err := d.DecryptPayload(ct)
	if err != nil {
		return bridge.Result{"decrypted": false, "plaintext": nil, "latest_ratchet_id": hexOrNil(d.LatestRatchetID())}, nil
	}
	return bridge.Result{"decrypted": true, "plaintext": hex.EncodeToString(pt), "latest_ratchet_id": hexOrNil(d.LatestRatchetID())}, nil
}

func cmdReannounce(in *instance, p bridge.Params) (bridge.Result, error) {
	d, err := in.findDest(p)
	if err != nil {
		return nil, err
	}
	appData, err := p.OptHex("app_data")
	if err != nil {
		return nil, err
	}
	if len(appData) == 0 {
		appData = nil
	}
	if d.RatchetsEnabled() {
		if err := backdateRotation(d, p, "rotate_ago_s"); err != nil {
			return nil, err
		}
	}
	if err := announceDest(d, appData); err != nil {
		return nil, err
	}
	return bridge.Result{"announced": true, "current_ratchet_id": ratchetIDAt(d.RatchetIDs(), 0)}, nil
}

// cmdSendUndecryptable sends a DATA packet with a receipt to a remote
// SINGLE destination, as wire_send_packet does, after damaging the last
// byte of the packet mehr built (it lies in the token's HMAC), so the
// receiver cannot decrypt it.
func cmdSendUndecryptable(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	id, _, ok := in.node.Recall(h)
	if !ok {
		return nil, fmt.Errorf("No identity known for %x", h[:])
	}
	out, err := in.node.NewDestination(id, rns.Out, wire.Single, app, aspects...)
	if err != nil {
		return nil, err
	}
	raw, err := out.DataPacket(data)
	if err != nil {
		return nil, err
	}
	switch c := p.StringOr("corruption", "ciphertext"); c {
	case "ciphertext":
		raw[len(raw)-1] ^= 0xff
	case "truncate":
		raw = raw[:wire.HeaderMinSize]
	default:
		return nil, fmt.Errorf("%w: corruption %q", bridge.ErrParam, c)
	}
	r, err := out.SendPacket(raw, 30*time.Second)
	if err != nil || r == nil {
		return bridge.Result{"sent": false, "receipt_id": nil, "delivered": false}, nil
	}
	return bridge.Result{"sent": true, "receipt_id": in.addReceipt(transportReceipt{r}), "delivered": false}, nil
}
