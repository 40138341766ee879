// Package storage reads and writes a node's persistent state in the
// reference's storage formats, so mehrd can use a storage directory an
// rnsd used and the other way round:
//
//	storage/transport_identity        64-byte raw private key
//	storage/known_destinations        msgpack map: destination hash ->
//	                                  [seen, packet hash, public key, app data, last used]
//	storage/destination_table         msgpack list of path entries:
//	                                  [destination, timestamp, next hop, hops, expires,
//	                                   random blobs, interface hash, announce packet hash]
//	storage/cache/announces/<hash>    msgpack [announce raw, interface name]
//	storage/ratchets/<hash>           msgpack {"ratchet": key, "received": seconds}:
//	                                  the newest ratchet a destination announced
//
// Timestamps are float seconds since the epoch, as Python writes them.
// Path entries whose interface is no longer attached, or whose cached
// announce is missing, are skipped on load, as the reference does.
package storage

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// File names inside the storage directory.
const (
	TransportIdentityFile = "transport_identity"
	KnownDestinationsFile = "known_destinations"
	DestinationTableFile  = "destination_table"
	announceCacheDir      = "cache/announces"
)

// ErrFormat is wrapped by errors about files that do not have the
// reference's layout.
var ErrFormat = errors.New("storage: unexpected file format")

// TransportIdentity loads dir/transport_identity, or creates and saves a
// new identity when the file does not exist.
func TransportIdentity(dir string) (*identity.Identity, error) {
	path := filepath.Join(dir, TransportIdentityFile)
	id, err := identity.Load(path)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	id, err = identity.Generate(nil)
	if err != nil {
		return nil, err
	}
	return id, id.Save(path)
}

func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func fromSeconds(f float64) time.Time {
	if f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// writeAtomic writes b to path through a temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// SaveKnown writes the known-destination table.
func SaveKnown(dir string, known map[wire.Hash]transport.Known) error {
	m := make(msgpack.Map, 0, len(known))
	for h, k := range known {
		m = append(m, msgpack.KV{Key: append([]byte(nil), h[:]...), Value: []any{
			seconds(k.Seen), append([]byte(nil), k.PacketHash[:]...), append([]byte(nil), k.PublicKey[:]...),
			binOrNil(k.AppData), seconds(k.Seen),
		}})
	}
	b, err := msgpack.Marshal(m)
	if err != nil {
		return fmt.Errorf("storage: known destinations: %w", err)
	}
	return writeAtomic(filepath.Join(dir, KnownDestinationsFile), b)
}

func binOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// LoadKnown reads the known-destination table. A missing file is an empty
// table. Malformed entries are skipped; a file that is not a msgpack map
// is an error.
func LoadKnown(dir string) (map[wire.Hash]transport.Known, error) {
	b, err := os.ReadFile(filepath.Join(dir, KnownDestinationsFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[wire.Hash]transport.Known{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", KnownDestinationsFile, err)
	}
	m, ok := v.(msgpack.Map)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a map", ErrFormat, KnownDestinationsFile)
	}
	out := make(map[wire.Hash]transport.Known, len(m))
	for _, kv := range m {
		key, ok := kv.Key.([]byte)
		e, ok2 := kv.Value.([]any)
		if !ok || !ok2 || len(key) != wire.HashLen || len(e) < 4 {
			continue
		}
		var k transport.Known
		k.Seen = fromSeconds(number(e[0]))
		if ph, ok := e[1].([]byte); ok && len(ph) == wire.FullHashLen {
			k.PacketHash = [wire.FullHashLen]byte(ph)
		}
		pub, ok := e[2].([]byte)
		if !ok || len(pub) != identity.KeySize {
			continue
		}
		k.PublicKey = [identity.KeySize]byte(pub)
		if ad, ok := e[3].([]byte); ok {
			k.AppData = ad
		}
		out[wire.Hash(key)] = k
	}
	return out, nil
}

func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	}
	return 0
}

// InterfaceHash is how path entries refer to the interface they were
// learned on: SHA-256 of the interface's name.
func InterfaceHash(name string) []byte {
	h := identity.FullHash([]byte(name))
	return h[:]
}

// SavePaths writes the path table and the announces it was learned from.
func SavePaths(dir string, paths map[wire.Hash]transport.PathEntry) error {
	list := make([]any, 0, len(paths))
	for h, pe := range paths {
		if pe.Interface == nil || pe.Announce == nil {
			continue
		}
		blobs := make([]any, len(pe.RandomBlobs))
		for i, b := range pe.RandomBlobs {
			blobs[i] = append([]byte(nil), b[:]...)
		}
		list = append(list, []any{
			append([]byte(nil), h[:]...), seconds(pe.Timestamp), append([]byte(nil), pe.NextHop[:]...),
			int64(pe.Hops), seconds(pe.Expires), blobs, InterfaceHash(pe.Interface.Name()),
			append([]byte(nil), pe.PacketHash[:]...),
		})
		// The cache holds the announce as received, before this node
		// counted its hop.
		raw := append([]byte(nil), pe.Announce...)
		if raw[1] > 0 {
			raw[1]--
		}
		cb, err := msgpack.Marshal([]any{raw, pe.Interface.Name()})
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(dir, announceCacheDir, hex.EncodeToString(pe.PacketHash[:])), cb); err != nil {
			return fmt.Errorf("storage: announce cache: %w", err)
		}
	}
	b, err := msgpack.Marshal(list)
	if err != nil {
		return fmt.Errorf("storage: destination table: %w", err)
	}
	return writeAtomic(filepath.Join(dir, DestinationTableFile), b)
}

// LoadPaths reads the path table, resolving interfaces among ifaces by
// name hash. Entries for missing interfaces or without a cached announce
// are skipped.
func LoadPaths(dir string, ifaces []*transport.Iface) (map[wire.Hash]transport.PathEntry, error) {
	b, err := os.ReadFile(filepath.Join(dir, DestinationTableFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[wire.Hash]transport.PathEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", DestinationTableFile, err)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a list", ErrFormat, DestinationTableFile)
	}
	byHash := map[string]*transport.Iface{}
	for _, i := range ifaces {
		byHash[string(InterfaceHash(i.Name()))] = i
	}
	out := map[wire.Hash]transport.PathEntry{}
	for _, item := range list {
		e, ok := item.([]any)
		if !ok || len(e) < 8 {
			continue
		}
		dh, ok1 := e[0].([]byte)
		nh, ok2 := e[2].([]byte)
		ih, ok3 := e[6].([]byte)
		ph, ok4 := e[7].([]byte)
		if !ok1 || !ok2 || !ok3 || !ok4 || len(dh) != wire.HashLen || len(nh) != wire.HashLen || len(ph) != wire.FullHashLen {
			continue
		}
		in := byHash[string(ih)]
		if in == nil {
			continue
		}
		raw := loadCachedAnnounce(dir, ph)
		if raw == nil {
			continue
		}
		var p wire.Packet
		if p.Decode(raw) != nil || p.PacketType != wire.Announce || p.Destination != wire.Hash(dh) {
			continue
		}
		raw[1]++ // reading from the cache counts as receiving it again
		pe := transport.PathEntry{
			Timestamp:  fromSeconds(number(e[1])),
			NextHop:    wire.Hash(nh),
			Hops:       uint8(min(number(e[3]), wire.MaxHops)),
			Expires:    fromSeconds(number(e[4])),
			Interface:  in,
			PacketHash: [wire.FullHashLen]byte(ph),
			Announce:   raw,
		}
		if blobs, ok := e[5].([]any); ok {
			for _, bb := range blobs {
				if b, ok := bb.([]byte); ok && len(b) == 10 {
					pe.RandomBlobs = append(pe.RandomBlobs, [10]byte(b))
				}
			}
		}
		out[wire.Hash(dh)] = pe
	}
	return out, nil
}

func loadCachedAnnounce(dir string, packetHash []byte) []byte {
	b, err := os.ReadFile(filepath.Join(dir, announceCacheDir, hex.EncodeToString(packetHash)))
	if err != nil {
		return nil
	}
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil
	}
	e, ok := v.([]any)
	if !ok || len(e) < 1 {
		return nil
	}
	raw, _ := e[0].([]byte)
	return raw
}

// KnownRecordLen returns how many fields the stored known-destination
// record of h has (5 as written by SaveKnown and the reference: seen,
// packet hash, public key, app data, last used); ok is false when the
// file has no record for h.
func KnownRecordLen(dir string, h wire.Hash) (n int, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, KnownDestinationsFile))
	if err != nil {
		return 0, false, fmt.Errorf("storage: %w", err)
	}
	v, err := msgpack.Decode(b)
	if err != nil {
		return 0, false, fmt.Errorf("storage: %s: %w", KnownDestinationsFile, err)
	}
	m, isMap := v.(msgpack.Map)
	if !isMap {
		return 0, false, fmt.Errorf("%w: %s is not a map", ErrFormat, KnownDestinationsFile)
	}
	for _, kv := range m {
		if key, _ := kv.Key.([]byte); len(key) == wire.HashLen && wire.Hash(key) == h {
			e, _ := kv.Value.([]any)
			return len(e), true, nil
		}
	}
	return 0, false, nil
}
