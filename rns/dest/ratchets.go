package dest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Ratchet defaults of an inbound SINGLE destination (RNS.Destination
// RATCHET_COUNT and RATCHET_INTERVAL).
const (
	// RatchetCount is how many generated ratchet keys a destination keeps
	// by default, and the length its list is cut to when it grows past the
	// retained count.
	RatchetCount = 512
	// RatchetInterval is the default minimum time between two rotations.
	RatchetInterval = 30 * time.Minute
)

// Ratchet errors.
var (
	// ErrRatchetsDisabled is returned for ratchet operations on a
	// destination whose ratchets were never enabled (the reference raises
	// SystemError there).
	ErrRatchetsDisabled = errors.New("dest: ratchets are not enabled")
	// ErrRatchetsNeedSingle is returned when ratchets are enabled on a
	// destination that is not an inbound SINGLE one with a private key.
	ErrRatchetsNeedSingle = errors.New("dest: ratchets need an inbound SINGLE destination with a private key")
)

// RatchetStore keeps a destination's ratchet list between runs.
// storage.RatchetFile is the reference's signed ratchet file.
type RatchetStore interface {
	// LoadRatchets returns the stored ratchet private keys, newest first,
	// after checking that id signed them. When nothing is stored yet the
	// error wraps fs.ErrNotExist.
	LoadRatchets(id *identity.Identity) ([][identity.RatchetSize]byte, error)
	// SaveRatchets replaces the stored list, signed by id.
	SaveRatchets(keys [][identity.RatchetSize]byte, id *identity.Identity) error
}

// ratchetState is the ratchet part of an inbound SINGLE destination
// (Destination.ratchets and the fields around it in the reference).
type ratchetState struct {
	// mu guards the following fields.
	mu       sync.Mutex
	enabled  bool                         // ratchets is not None
	keys     [][identity.RatchetSize]byte // private keys, newest first
	store    RatchetStore
	interval time.Duration
	retained int
	latest   time.Time // last rotation; zero when enabled, as the reference's 0
	latestID []byte    // ratchet ID of the last encryption or decryption, or nil
	enforce  bool
}

func newRatchetState() *ratchetState {
	return &ratchetState{interval: RatchetInterval, retained: RatchetCount}
}

// rs returns the ratchet state, creating it for destinations built without
// New (the zero Destination).
func (d *Destination) rs() *ratchetState {
	d.rOnce.Do(func() {
		if d.ratchets == nil {
			d.ratchets = newRatchetState()
		}
	})
	return d.ratchets
}

// EnableRatchets turns ratchets on, keeping them in store: a stored list
// is loaded (its signature must verify under the destination's identity),
// otherwise the destination starts with no ratchet and the empty list is
// stored. The first announce, or RotateRatchets, then creates the first
// ratchet, since enabling resets the time of the last rotation. This is
// Destination.enable_ratchets.
func (d *Destination) EnableRatchets(store RatchetStore) error {
	if store == nil {
		return fmt.Errorf("dest: no ratchet store for %s", d)
	}
	if d.Type != wire.Single || d.Direction != In || d.Identity == nil || !d.Identity.HasPrivateKey() {
		return ErrRatchetsNeedSingle
	}
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latest = time.Time{}
	return d.reloadLocked(r, store)
}

// reloadLocked is Destination._reload_ratchets: on a failure ratchets are
// disabled again.
func (d *Destination) reloadLocked(r *ratchetState, store RatchetStore) error {
	keys, err := store.LoadRatchets(d.Identity)
	if errors.Is(err, fs.ErrNotExist) {
		r.enabled, r.keys, r.store = true, nil, store
		return d.persistLocked(r)
	}
	if err == nil {
		r.enabled, r.keys, r.store = true, keys, store
		return nil
	}
	r.enabled, r.keys, r.store = false, nil, nil
	return fmt.Errorf("dest: ratchets of %s: %w", d, err)
}

// persistLocked is Destination._persist_ratchets.
func (d *Destination) persistLocked(r *ratchetState) error {
	if err := r.store.SaveRatchets(r.keys, d.Identity); err != nil {
		r.enabled, r.keys, r.store = false, nil, nil
		return fmt.Errorf("dest: store ratchets of %s: %w", d, err)
	}
	return nil
}

// RatchetsEnabled reports whether ratchets are on.
func (d *Destination) RatchetsEnabled() bool {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enabled
}

// EnforceRatchets makes the destination refuse packets encrypted to its
// identity key: only its retained ratchets are tried. It reports false, and
// changes nothing, when ratchets are not enabled (Destination.enforce_ratchets).
func (d *Destination) EnforceRatchets() bool {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled {
		return false
	}
	r.enforce = true
	return true
}

// RatchetsEnforced reports whether EnforceRatchets took effect.
func (d *Destination) RatchetsEnforced() bool {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enforce
}

// SetRetainedRatchets sets how many ratchets the destination keeps; n must
// be positive (Destination.set_retained_ratchets). As in the reference, a
// list longer than n is then cut to RatchetCount.
func (d *Destination) SetRetainedRatchets(n int) bool {
	if n <= 0 {
		return false
	}
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retained = n
	r.cleanLocked()
	return true
}

// RetainedRatchets returns the retained count (RatchetCount by default).
func (d *Destination) RetainedRatchets() int {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.retained
}

// cleanLocked is Destination._clean_ratchets. The reference cuts the list
// to RATCHET_COUNT, not to the retained count, once it is longer than the
// retained count; so does this.
func (r *ratchetState) cleanLocked() {
	if r.enabled && len(r.keys) > r.retained && len(r.keys) > RatchetCount {
		clear(r.keys[RatchetCount:])
		r.keys = r.keys[:RatchetCount]
	}
}

// SetRatchetInterval sets the minimum time between rotations; it must be
// positive (Destination.set_ratchet_interval).
func (d *Destination) SetRatchetInterval(i time.Duration) bool {
	if i <= 0 {
		return false
	}
	r := d.rs()
	r.mu.Lock()
	r.interval = i
	r.mu.Unlock()
	return true
}

// RatchetInterval returns the minimum time between rotations.
func (d *Destination) RatchetInterval() time.Duration {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.interval
}

// LastRatchetRotation returns when the newest ratchet was made; the zero
// time before the first rotation.
func (d *Destination) LastRatchetRotation() time.Time {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest
}

// SetLastRatchetRotation sets the time the next rotation is measured
// from, as assigning the reference's latest_ratchet_time does: a time
// further back than the interval lets the next RotateRatchets rotate.
func (d *Destination) SetLastRatchetRotation(t time.Time) {
	r := d.rs()
	r.mu.Lock()
	r.latest = t
	r.mu.Unlock()
}

// RotateRatchets makes a new newest ratchet if the interval has passed
// since the last rotation, trims the list and stores it
// (Destination.rotate_ratchets). It reports whether a ratchet was added,
// and returns ErrRatchetsDisabled when ratchets are not enabled. rand is
// the key source; nil means crypto/rand.
func (d *Destination) RotateRatchets(rand io.Reader, now time.Time) (bool, error) {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled {
		return false, fmt.Errorf("%w on %s", ErrRatchetsDisabled, d)
	}
	if !now.After(r.latest.Add(r.interval)) {
		return false, nil
	}
	k, err := identity.GenerateRatchet(rand)
	if err != nil {
		return false, err
	}
	r.keys = append(r.keys, [identity.RatchetSize]byte{})
	copy(r.keys[1:], r.keys)
	r.keys[0] = k
	r.latest = now
	r.cleanLocked()
	return true, d.persistLocked(r)
}

// CurrentRatchet returns the public key of the newest ratchet, which
// announces carry; ok is false when there is none.
func (d *Destination) CurrentRatchet() (pub [identity.RatchetSize]byte, ok bool) {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled || len(r.keys) == 0 {
		return pub, false
	}
	pub, err := identity.RatchetPublic(r.keys[0][:])
	return pub, err == nil
}

// RatchetIDs returns the IDs of the retained ratchets, newest first, or
// nil when ratchets are not enabled.
func (d *Destination) RatchetIDs() [][identity.RatchetIDLen]byte {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled {
		return nil
	}
	ids := make([][identity.RatchetIDLen]byte, 0, len(r.keys))
	for i := range r.keys {
		if pub, err := identity.RatchetPublic(r.keys[i][:]); err == nil {
			ids = append(ids, identity.RatchetID(pub[:]))
		}
	}
	return ids
}

// RatchetStore returns where the ratchets are kept, or nil when they are
// off.
func (d *Destination) RatchetStore() RatchetStore {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.store
}

// PersistRatchets stores the ratchets now.
func (d *Destination) PersistRatchets() error {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled {
		return ErrRatchetsDisabled
	}
	return d.persistLocked(r)
}

// ReloadRatchets replaces the ratchets with the stored ones. A stored list
// that does not verify disables ratchets and is reported.
func (d *Destination) ReloadRatchets() error {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.enabled {
		return ErrRatchetsDisabled
	}
	return d.reloadLocked(r, r.store)
}

// LatestRatchetID returns the ID of the ratchet used by the last
// EncryptRatcheted that had one or by the last DecryptRatcheted, or nil
// (Destination.latest_ratchet_id).
func (d *Destination) LatestRatchetID() []byte {
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.latestID...)
}

// ClearLatestRatchetID resets LatestRatchetID to nil.
func (d *Destination) ClearLatestRatchetID() {
	r := d.rs()
	r.mu.Lock()
	r.latestID = nil
	r.mu.Unlock()
}

// EncryptRatcheted is Encrypt with the ratchet selection the reference's
// Destination.encrypt makes: ratchetPublic is the destination's latest
// known ratchet (nil for none), and when one is used its ID becomes
// LatestRatchetID.
func (d *Destination) EncryptRatcheted(rand io.Reader, plaintext, ratchetPublic []byte) ([]byte, error) {
	ct, err := d.Encrypt(rand, plaintext, ratchetPublic)
	if err == nil && d.Type == wire.Single && len(ratchetPublic) != 0 {
		id := identity.RatchetID(ratchetPublic)
		r := d.rs()
		r.mu.Lock()
		r.latestID = id[:]
		r.mu.Unlock()
	}
	return ct, err
}

// DecryptRatcheted decrypts a packet to this destination as the
// reference's Destination.decrypt does: a SINGLE destination with ratchets
// tries them first, refuses the identity key when ratchets are enforced,
// and if that fails reloads the ratchet file once and tries again.
// LatestRatchetID becomes the ID of the ratchet that worked, or nil.
// Other destination types decrypt as Decrypt does.
func (d *Destination) DecryptRatcheted(ciphertext []byte) ([]byte, error) {
	if d.Type != wire.Single || d.Identity == nil {
		return d.Decrypt(ciphertext, nil, false)
	}
	r := d.rs()
	r.mu.Lock()
	defer r.mu.Unlock()
	pt, rid, err := d.Identity.Decrypt(ciphertext, r.ratchetsLocked(), r.enforce)
	if err != nil && r.enabled && len(r.keys) > 0 {
		// Another process may have rotated the file (the reference's
		// reload-and-retry).
		if rerr := d.reloadLocked(r, r.store); rerr != nil {
			r.latestID = nil
			return nil, rerr
		}
		pt, rid, err = d.Identity.Decrypt(ciphertext, r.ratchetsLocked(), r.enforce)
	}
	r.latestID = rid
	if err != nil {
		return nil, err
	}
	return pt, nil
}

func (r *ratchetState) ratchetsLocked() [][]byte {
	if !r.enabled || len(r.keys) == 0 {
		return nil
	}
	out := make([][]byte, len(r.keys))
	for i := range r.keys {
		out[i] = r.keys[i][:]
	}
	return out
}
