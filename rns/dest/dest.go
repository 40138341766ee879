// Package dest names Reticulum destinations and computes their hashes:
// SINGLE, GROUP, PLAIN and LINK naming, name hashes, destination hashes,
// expanded (human-readable) names, request path hashes, and the symmetric
// keys of GROUP destinations.
//
// A destination's name is its app name and aspects joined with dots. Its
// name hash is the first 10 bytes of SHA-256 of that name; its hash is the
// first 16 bytes of SHA-256(name hash || identity hash), or of the name hash
// alone for PLAIN destinations. The identity's hex hash that the reference
// appends to the human-readable name is not hashed. All of this mirrors
// RNS/Destination.py of the reference and is checked against
// vectors/reticulum/hashes.json.
//
// An inbound SINGLE destination can also keep ratchets (ratchets.go): a
// list of X25519 keys, newest first, rotated at most once per interval and
// kept in a signed file in the reference's format, which senders encrypt
// to instead of the identity key once they have heard the newest one in an
// announce.
package dest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// NameHashLen is the length of a name hash (RNS.Identity.NAME_HASH_LENGTH/8).
const NameHashLen = 10

// NameHash is the first NameHashLen bytes of SHA-256 of a destination name.
type NameHash [NameHashLen]byte

// Direction says whether a destination receives (In) or is addressed (Out).
type Direction uint8

// Directions (RNS.Destination.IN, OUT).
const (
	In  Direction = 0x11
	Out Direction = 0x12
)

func (d Direction) String() string {
	switch d {
	case In:
		return "IN"
	case Out:
		return "OUT"
	}
	return fmt.Sprintf("Direction(%#x)", uint8(d))
}

// Errors returned by this package.
var (
	ErrDot           = errors.New("dest: dots can't be used in app names or aspects")
	ErrEmptyApp      = errors.New("dest: empty app name")
	ErrType          = errors.New("dest: unknown destination type")
	ErrDirection     = errors.New("dest: unknown destination direction")
	ErrNeedIdentity  = errors.New("dest: an outbound SINGLE or GROUP destination needs an identity")
	ErrPlainIdentity = errors.New("dest: a PLAIN destination cannot hold an identity")
	ErrNoKey         = errors.New("dest: destination holds no key for this operation")
	ErrNotGroup      = errors.New("dest: only GROUP destinations hold a symmetric key")
)

// Name joins app and aspects with dots, rejecting dots inside any part.
func Name(app string, aspects ...string) (string, error) {
	if app == "" {
		return "", ErrEmptyApp
	}
	if strings.Contains(app, ".") {
		return "", fmt.Errorf("app name %q: %w", app, ErrDot)
	}
	n := len(app)
	for _, a := range aspects {
		if strings.Contains(a, ".") {
			return "", fmt.Errorf("aspect %q: %w", a, ErrDot)
		}
		n += 1 + len(a)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(app)
	for _, a := range aspects {
		b.WriteByte('.')
		b.WriteString(a)
	}
	return b.String(), nil
}

// HashName returns the name hash of a dot-joined name.
func HashName(name string) NameHash {
	sum := sha256.Sum256([]byte(name))
	return NameHash(sum[:NameHashLen])
}

// ComputeNameHash returns the name hash of app and aspects.
func ComputeNameHash(app string, aspects ...string) (NameHash, error) {
	name, err := Name(app, aspects...)
	if err != nil {
		return NameHash{}, err
	}
	return HashName(name), nil
}

// HashFrom returns the destination hash for a name hash and, unless it is
// nil, an identity hash.
func HashFrom(nh NameHash, identityHash *wire.Hash) wire.Hash {
	var material [NameHashLen + wire.HashLen]byte
	copy(material[:], nh[:])
	n := NameHashLen
	if identityHash != nil {
		n += copy(material[NameHashLen:], identityHash[:])
	}
	sum := sha256.Sum256(material[:n])
	return wire.Hash(sum[:wire.HashLen])
}

// Hash returns the destination hash of app and aspects, for the identity
// with the given hash, or for no identity (PLAIN) when identityHash is nil.
func Hash(identityHash *wire.Hash, app string, aspects ...string) (wire.Hash, error) {
	nh, err := ComputeNameHash(app, aspects...)
	if err != nil {
		return wire.Hash{}, err
	}
	return HashFrom(nh, identityHash), nil
}

// ExpandName returns the human-readable full name: the dot-joined name,
// followed by "." and the identity's hex hash when id is not nil.
func ExpandName(id *identity.Identity, app string, aspects ...string) (string, error) {
	name, err := Name(app, aspects...)
	if err != nil {
		return "", err
	}
	if id != nil {
		name += "." + id.HexHash()
	}
	return name, nil
}

// SplitName splits a full dot-joined name into app name and aspects.
func SplitName(full string) (app string, aspects []string) {
	parts := strings.Split(full, ".")
	return parts[0], parts[1:]
}

// PathHash returns the hash a request path is sent as: the truncated
// SHA-256 of its UTF-8 bytes (RNS.Link request path hashing).
func PathHash(path string) wire.Hash {
	sum := sha256.Sum256([]byte(path))
	return wire.Hash(sum[:wire.HashLen])
}

// Destination is a named endpoint. Build one with New; its fields are
// read-only after that.
type Destination struct {
	Type      wire.DestType
	Direction Direction
	Identity  *identity.Identity // nil for PLAIN
	App       string
	Aspects   []string // the aspects that were hashed
	Name      string   // human-readable full name (with identity hex hash)
	NameHash  NameHash
	Hash      wire.Hash

	group *identity.Token // GROUP symmetric key, once set
	key   []byte

	rOnce    sync.Once
	ratchets *ratchetState // see ratchets.go
}

// New builds a destination the way the reference does. An inbound SINGLE
// or GROUP destination without an identity gets a freshly generated one
// (from rand, or crypto/rand when rand is nil), and that identity's hex hash
// is appended as an extra aspect before hashing, exactly as the reference
// does; use NewWithIdentity to supply it.
func New(id *identity.Identity, dir Direction, typ wire.DestType, rand io.Reader, app string, aspects ...string) (*Destination, error) {
	if dir != In && dir != Out {
		return nil, ErrDirection
	}
	if id == nil && dir == In && typ != wire.Plain && typ != wire.Link {
		gen, err := identity.Generate(rand)
		if err != nil {
			return nil, fmt.Errorf("dest: generate identity: %w", err)
		}
		return NewGenerated(gen, typ, app, aspects...)
	}
	return newDest(id, dir, typ, app, aspects)
}

// NewGenerated builds an inbound destination with the reference's rule for
// destinations created without an identity: gen becomes the destination's
// identity and its hex hash is appended to the aspects before hashing.
func NewGenerated(gen *identity.Identity, typ wire.DestType, app string, aspects ...string) (*Destination, error) {
	if gen == nil {
		return nil, ErrNeedIdentity
	}
	as := append(append([]string(nil), aspects...), gen.HexHash())
	return newDest(gen, In, typ, app, as)
}

func newDest(id *identity.Identity, dir Direction, typ wire.DestType, app string, aspects []string) (*Destination, error) {
	switch typ {
	case wire.Single, wire.Group, wire.Plain, wire.Link:
	default:
		return nil, ErrType
	}
	if id == nil && typ != wire.Plain && typ != wire.Link {
		return nil, ErrNeedIdentity
	}
	if id != nil && typ == wire.Plain {
		return nil, ErrPlainIdentity
	}
	name, err := Name(app, aspects...)
	if err != nil {
		return nil, err
	}
	d := &Destination{
		Type:      typ,
		Direction: dir,
		Identity:  id,
		App:       app,
		Aspects:   append([]string(nil), aspects...),
		Name:      name,
		NameHash:  HashName(name),
	}
	if id != nil {
		ih := wire.Hash(id.Hash())
		d.Hash = HashFrom(d.NameHash, &ih)
		d.Name += "." + id.HexHash()
	} else {
		d.Hash = HashFrom(d.NameHash, nil)
	}
	return d, nil
}

// String returns "<name:hexhash>" like the reference.
func (d *Destination) String() string { return "<" + d.Name + ":" + d.Hash.String() + ">" }

// SetGroupKey loads the symmetric key of a GROUP destination (a Token key:
// 64 bytes, or 32 for the reference's AES-128 mode).
func (d *Destination) SetGroupKey(key []byte) error {
	if d.Type != wire.Group {
		return ErrNotGroup
	}
	t, err := identity.NewToken(key)
	if err != nil {
		return fmt.Errorf("dest: group key: %w", err)
	}
	d.group, d.key = t, append([]byte(nil), key...)
	return nil
}

// CreateGroupKey generates and loads a new 64-byte GROUP key.
func (d *Destination) CreateGroupKey(rand io.Reader) error {
	if d.Type != wire.Group {
		return ErrNotGroup
	}
	key := make([]byte, 64)
	if _, err := io.ReadFull(randOrDefault(rand), key); err != nil {
		return fmt.Errorf("dest: group key: %w", err)
	}
	return d.SetGroupKey(key)
}

// GroupKey returns a copy of the GROUP key, or nil if none is loaded.
func (d *Destination) GroupKey() []byte { return append([]byte(nil), d.key...) }

// Encrypt encrypts plaintext for this destination: PLAIN returns it
// unchanged, SINGLE encrypts to the identity (to ratchet if not nil), GROUP
// uses the group Token.
func (d *Destination) Encrypt(rand io.Reader, plaintext, ratchet []byte) ([]byte, error) {
	switch d.Type {
	case wire.Plain:
		return append([]byte(nil), plaintext...), nil
	case wire.Single:
		if d.Identity == nil {
			return nil, ErrNoKey
		}
		return d.Identity.Encrypt(randOrDefault(rand), plaintext, ratchet)
	case wire.Group:
		if d.group == nil {
			return nil, ErrNoKey
		}
		return d.group.Encrypt(randOrDefault(rand), plaintext)
	}
	return nil, ErrNoKey
}

// Decrypt reverses Encrypt. For SINGLE destinations the identity needs its
// private key; ratchets are tried first, as in identity.Identity.Decrypt.
func (d *Destination) Decrypt(ciphertext []byte, ratchets [][]byte, enforceRatchets bool) ([]byte, error) {
	switch d.Type {
	case wire.Plain:
		return append([]byte(nil), ciphertext...), nil
	case wire.Single:
		if d.Identity == nil {
			return nil, ErrNoKey
		}
		pt, _, err := d.Identity.Decrypt(ciphertext, ratchets, enforceRatchets)
		return pt, err
	case wire.Group:
		if d.group == nil {
			return nil, ErrNoKey
		}
		return d.group.AppendDecrypt(nil, ciphertext)
	}
	return nil, ErrNoKey
}
