package wiretcp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// identityCommands are the commands on a node's identity-side stores: the
// ratchets it received, its known destinations on disk, and announce
// validation against a known key.
func identityCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_identity_ratchet_persist":     cmdIdentityRatchetPersist,
		"wire_known_destinations_roundtrip": cmdKnownDestinationsRoundtrip,
		"wire_known_key_validate":           cmdKnownKeyValidate,
	}
}

// newStorageDir makes the storage directory of a bridge node, where its
// identity, known destinations and ratchets are kept as rnsd keeps them.
func newStorageDir() (string, error) {
	return os.MkdirTemp("", "mehr-wire-storage-")
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// cmdIdentityRatchetPersist remembers a ratchet for a random destination
// in the node's received-ratchet table (which writes it to
// storage/ratchets), reads it back from the file after dropping the
// in-memory copy, then cleans the store: the destination is not known, so
// its file goes.
func cmdIdentityRatchetPersist(in *instance, _ bridge.Params) (bridge.Result, error) {
	dir := in.node.StorageDir()
	if dir == "" {
		return nil, rns.ErrNoStorage
	}
	var h wire.Hash
	if _, err := rand.Read(h[:]); err != nil {
		return nil, err
	}
	ratchet, err := identity.GenerateRatchet(nil)
	if err != nil {
		return nil, err
	}
	kr := in.node.Transport().Ratchets()
	if _, err := kr.Remember(h, ratchet[:]); err != nil {
		return nil, err
	}
	final := storage.NewRatchets(dir).Path(h)
	written, leftover := fileExists(final), fileExists(final+".out")

	kr.Uncache(h)
	reloaded, ok := kr.Get(h)
	var reloadedLen any
	if ok {
		reloadedLen = len(reloaded)
	}
	if _, err := in.node.CleanRatchets(); err != nil {
		return nil, err
	}
	removed := !fileExists(final)
	kr.Uncache(h)
	return bridge.Result{
		"dest_hash":       hexHash(h),
		"ratchet_len":     len(ratchet),
		"file_written":    written,
		"tmp_leftover":    leftover,
		"reload_match":    ok && string(reloaded) == string(ratchet[:]),
		"reloaded_len":    reloadedLen,
		"accepted_size":   identity.RatchetSize,
		"cleaned_removed": removed,
	}, nil
}

// cmdKnownDestinationsRoundtrip saves the known destinations, empties the
// table, recalls, loads them back and recalls again.
func cmdKnownDestinationsRoundtrip(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	_, present := t.KnownDestinations()[h]
	if err := in.node.SaveKnownDestinations(); err != nil {
		return nil, err
	}
	t.ReplaceKnown(nil)
	_, _, afterClear := in.node.Recall(h)
	if err := in.node.LoadKnownDestinations(); err != nil {
		return nil, err
	}
	_, app, afterLoad := in.node.Recall(h)
	var entryLen any
	if n, ok, err := storage.KnownRecordLen(in.node.StorageDir(), h); err == nil && ok {
		entryLen = n
	}
	var ad any
	if afterLoad && app != nil {
		ad = hex.EncodeToString(app)
	}
	return bridge.Result{
		"present_before_save":      present,
		"recall_after_clear_found": afterClear,
		"recall_after_load_found":  afterLoad,
		"app_data_after_load":      ad,
		"entry_len_after_load":     entryLen,
		"table_size_after_load":    len(t.KnownDestinations()),
	}, nil
}

// cmdKnownKeyValidate builds a signed announce of a new destination and
// validates it with the node's transport after planting a known public key
// for the destination: a different key (mismatch), its own key (match) or
// none.
func cmdKnownKeyValidate(in *instance, p bridge.Params) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	plant := p.StringOr("plant", "mismatch")
	if plant != "mismatch" && plant != "match" && plant != "none" {
		return nil, fmt.Errorf("plant must be 'mismatch', 'match' or 'none' (got %q)", plant)
	}
	appData, err := p.OptHex("app_data")
	if err != nil {
		return nil, err
	}
	if len(appData) == 0 {
		appData = nil
	}
	id, err := identity.Generate(nil)
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
	raw, err := d.AnnouncePacket(appData)
	if err != nil {
		return nil, err
	}
	pub := id.PublicKey()
	var planted []byte
	switch plant {
	case "match":
		planted = pub[:]
	case "mismatch":
		other, err := identity.Generate(nil)
		if err != nil {
			return nil, err
		}
		k := other.PublicKey()
		planted = k[:]
	}
	t := in.node.Transport()
	if planted != nil {
		t.Remember(d.Hash(), transport.Known{PublicKey: [identity.KeySize]byte(planted), AppData: appData})
	}
	validated := t.ValidateAnnounce(raw)
	return bridge.Result{
		"validated":          validated,
		"destination_hash":   hexHash(d.Hash()),
		"public_key":         hex.EncodeToString(pub[:]),
		"planted_public_key": hexOrNil(planted),
		"plant":              plant,
	}, nil
}
