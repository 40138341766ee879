// Package rns is the user-facing face of mehr's Reticulum stack: a Node
// that wires a transport instance to its storage directory and interfaces,
// and Destinations that programs announce, send to and receive on.
//
// A Node owns one transport.Transport. Its transport identity, known
// destinations and path table live in the storage directory in the
// reference's formats (package storage), so they survive restarts and can
// be shared with rnsd.
package rns

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Management announces go out 15 s after start and then every two hours,
// as the reference does for its probe and management destinations.
const (
	mgmtFirstAnnounce    = 15 * time.Second
	mgmtAnnounceInterval = 2 * time.Hour
	// saveInterval is how often a Node persists its tables.
	saveInterval = 5 * time.Minute
)

// Options configure a Node.
type Options struct {
	// StorageDir holds the transport identity, known destinations and the
	// path table. Empty means nothing is persisted and the transport
	// identity is ephemeral.
	StorageDir string
	// TransportEnabled makes the node a transport node.
	TransportEnabled bool
	// RespondToProbes registers rnstransport.probe, which proves every
	// packet it receives (rnprobe's target).
	RespondToProbes bool
	// Logf receives log lines; nil discards them.
	Logf func(format string, args ...any)
	// Identity, when set, is the transport identity, instead of the one
	// kept in StorageDir or a fresh one.
	Identity *identity.Identity
	// BlackholeSources are the transport identities whose blackhole lists
	// are trusted: their stored lists are loaded with this node's own
	// (blackhole_sources).
	BlackholeSources []wire.Hash
	// ExplicitProofs makes destinations send explicit proofs instead of
	// implicit ones (the reference's use_implicit_proof = No).
	ExplicitProofs bool
	// Now and NoJobs are passed to the transport (tests, simulations).
	// Now also dates the node's announces; NoJobs also stops the node's
	// own housekeeping (management announces, periodic saves), so that
	// nothing runs unless the caller drives it.
	Now    func() time.Time
	NoJobs bool
	// Rand, when set, is the randomness of announce random hashes and of
	// transport's jitter and tags (a simulation's seeded source); nil
	// means crypto/rand. It must be safe for concurrent use unless one
	// goroutine drives the node (NoJobs, frames handed in).
	Rand io.Reader
	// Validated is passed to the transport (simulations of many nodes in
	// one process share checked announces).
	Validated *transport.ValidatedAnnounces
	// HashlistSize is passed to the transport: how many packet hashes the
	// duplicate filter remembers (its table is allocated up front); zero
	// means transport.DefaultHashlistSize.
	HashlistSize int
}

// Node is a running Reticulum node.
type Node struct {
	opts Options
	t    *transport.Transport
	id   *identity.Identity
	logf func(string, ...any)

	probe *Destination

	mu        sync.Mutex
	listeners []*listenerState
	mgmt      []*Destination // announced periodically on a transport node
	bhSources []wire.Hash    // trusted blackhole sources

	wg        sync.WaitGroup
	stop      chan struct{}
	closeOnce sync.Once
}

// NewNode starts a node: it loads or creates the transport identity and
// loads the known destinations from the storage directory.
func NewNode(opts Options) (*Node, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var id *identity.Identity
	var err error
	switch {
	case opts.Identity != nil:
		id = opts.Identity
	case opts.StorageDir != "":
		id, err = storage.TransportIdentity(opts.StorageDir)
	default:
		id, err = identity.Generate(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("rns: transport identity: %w", err)
	}
	var ratchetStore identity.RatchetBackend
	if opts.StorageDir != "" {
		ratchetStore = storage.NewRatchets(opts.StorageDir)
	}
	var n *Node
	tcfg := transport.Config{
		Identity: id, Enabled: opts.TransportEnabled, Logf: logf, Now: opts.Now, NoJobs: opts.NoJobs,
		Rand: opts.Rand, Validated: opts.Validated, HashlistSize: opts.HashlistSize,
		ExplicitProofs: opts.ExplicitProofs,
		Ratchets:       identity.NewKnownRatchets(ratchetStore, opts.Now),
	}
	if opts.StorageDir != "" {
		tcfg.BlackholeChanged = func() { n.saveBlackhole() }
	}
	t, err := transport.New(tcfg)
	if err != nil {
		return nil, err
	}
	n = &Node{opts: opts, t: t, id: id, logf: logf, stop: make(chan struct{})}
	n.bhSources = append([]wire.Hash(nil), opts.BlackholeSources...)
	if opts.StorageDir != "" {
		known, err := storage.LoadKnown(opts.StorageDir)
		if err != nil {
			logf("rns: known destinations not loaded: %v", err)
		}
		for h, k := range known {
			t.Remember(h, k)
		}
		if err := n.ReloadBlackhole(); err != nil {
			logf("rns: blackhole lists: %v", err)
		}
		// Stored paths are installed as their interfaces are attached.
	}
	if opts.RespondToProbes {
		n.probe, err = n.NewDestination(id, In, wire.Single, "rnstransport", "probe")
		if err != nil {
			t.Close()
			return nil, err
		}
		n.probe.SetProofStrategy(ProveAll)
		n.mgmt = append(n.mgmt, n.probe)
	}
	if !opts.NoJobs {
		n.wg.Add(1)
		go n.routineHousekeeping()
	}
	return n, nil
}

// Transport returns the node's transport instance.
func (n *Node) Transport() *transport.Transport { return n.t }

// Identity returns the transport identity.
func (n *Node) Identity() *identity.Identity { return n.id }

// ProbeDestination returns the probe responder, or nil when disabled.
func (n *Node) ProbeDestination() *Destination { return n.probe }

// AddManagementDestination adds d to the node's management destinations
// (the reference's Transport.mgmt_destinations): on a transport node they
// are announced 15 s after start and then every two hours. The probe
// responder is one; remote management (package mgmt) adds another.
func (n *Node) AddManagementDestination(d *Destination) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range n.mgmt {
		if m == d {
			return
		}
	}
	n.mgmt = append(n.mgmt, d)
}

// ManagementDestinations returns the management destinations, in the order
// they were added.
func (n *Node) ManagementDestinations() []*Destination {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*Destination(nil), n.mgmt...)
}

// saveBlackhole stores this node's own blackhole entries.
func (n *Node) saveBlackhole() {
	if err := storage.SaveLocalBlackhole(n.opts.StorageDir, n.t.ID(), n.t.Blackholed()); err != nil {
		n.logf("rns: blackhole list not saved: %v", err)
	}
}

// ReloadBlackhole loads the stored blackhole lists into the blackhole
// table: this node's own and those of trusted sources
// (SetBlackholeSources), as the reference does at start. Entries already
// blackholed by this node stay as they are; expired ones are dropped. A
// list that cannot be read is skipped and reported in the error.
func (n *Node) ReloadBlackhole() error {
	if n.opts.StorageDir == "" {
		return nil
	}
	lists, err := storage.LoadBlackholes(n.opts.StorageDir, n.t.ID(), func(h wire.Hash) bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return slices.Contains(n.bhSources, h)
	})
	for _, l := range lists {
		n.t.MergeBlackhole(l.Source, l.Entries)
	}
	return err
}

// SetBlackholeSources replaces the trusted blackhole sources.
func (n *Node) SetBlackholeSources(sources []wire.Hash) {
	n.mu.Lock()
	n.bhSources = append([]wire.Hash(nil), sources...)
	n.mu.Unlock()
}

// BlackholeSources returns the trusted blackhole sources.
func (n *Node) BlackholeSources() []wire.Hash {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]wire.Hash(nil), n.bhSources...)
}

// AcceptsLinks reports whether d answers link requests (the reference's
// Destination.accepts_links): whether a link request handler is set.
func (d *Destination) AcceptsLinks() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.onLinkRequest != nil
}

// AddInterface attaches an interface and installs the stored paths that
// were learned on it.
func (n *Node) AddInterface(i iface.Interface, o transport.InterfaceOptions) (*transport.Iface, error) {
	ti, err := n.t.AddInterface(i, o)
	if err != nil {
		return nil, err
	}
	n.installStoredPaths(ti)
	return ti, nil
}

func (n *Node) installStoredPaths(ti *transport.Iface) {
	if n.opts.StorageDir == "" {
		return
	}
	paths, err := storage.LoadPaths(n.opts.StorageDir, []*transport.Iface{ti})
	if err != nil {
		return
	}
	for h, pe := range paths {
		if !n.t.HasPath(h) {
			n.t.SetPath(h, pe)
		}
	}
}

// listenerState is a listener the node accepts on and the interfaces it
// spawned.
type listenerState struct {
	l       iface.Listener
	done    chan struct{} // closed when the accept loop has returned
	spawned []*transport.Iface
}

// AddListener runs an accept loop for a listener (a TCP server, the shared
// instance): each accepted interface is attached with options o and
// detached when it closes.
func (n *Node) AddListener(l iface.Listener, o transport.InterfaceOptions) {
	ls := &listenerState{l: l, done: make(chan struct{})}
	n.mu.Lock()
	n.listeners = append(n.listeners, ls)
	n.mu.Unlock()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer close(ls.done)
		n.logf("rns: %s: accepting", l.Name())
		for {
			i, err := l.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				n.logf("rns: %s: accept: %v", l.Name(), err)
				select {
				case <-n.stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			ti, err := n.t.AddInterface(i, o)
			if err != nil {
				n.logf("rns: %s: attach %s: %v", l.Name(), i.Name(), err)
				i.Close()
				continue
			}
			n.mu.Lock()
			ls.spawned = append(n.live(ls.spawned), ti)
			n.mu.Unlock()
		}
	}()
}

// live drops the interfaces transport no longer has from a long list, so
// a listener's record of what it spawned does not grow with every
// connection ever accepted.
func (n *Node) live(l []*transport.Iface) []*transport.Iface {
	if len(l) < 64 {
		return l
	}
	attached := map[*transport.Iface]bool{}
	for _, i := range n.t.Interfaces() {
		attached[i] = true
	}
	out := l[:0]
	for _, i := range l {
		if attached[i] {
			out = append(out, i)
		}
	}
	clear(l[len(out):])
	return out
}

// Spawned returns the names of the interfaces listener l accepted that
// are still attached.
func (n *Node) Spawned(l iface.Listener) []string {
	attached := map[*transport.Iface]bool{}
	for _, i := range n.t.Interfaces() {
		attached[i] = true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, ls := range n.listeners {
		if ls.l != l {
			continue
		}
		for _, i := range ls.spawned {
			if attached[i] {
				out = append(out, i.Name())
			}
		}
	}
	return out
}

// RemoveListener stops accepting on l, closes it and detaches every
// interface it spawned that is still attached. Other interfaces are not
// disturbed.
func (n *Node) RemoveListener(l iface.Listener) error {
	n.mu.Lock()
	var ls *listenerState
	for k, x := range n.listeners {
		if x.l == l {
			ls = x
			n.listeners = append(n.listeners[:k:k], n.listeners[k+1:]...)
			break
		}
	}
	n.mu.Unlock()
	if ls == nil {
		return fmt.Errorf("rns: listener %s is not attached", l.Name())
	}
	err := l.Close()
	<-ls.done // no interface is spawned after this
	n.mu.Lock()
	spawned := ls.spawned
	ls.spawned = nil
	n.mu.Unlock()
	for _, i := range spawned {
		n.t.RemoveInterface(i)
	}
	return err
}

// RequestPath asks the network for a path to h.
func (n *Node) RequestPath(h wire.Hash) error { return n.t.RequestPath(h, nil) }

// AwaitPath requests a path to h unless one is known and waits until it
// is, or ctx ends.
func (n *Node) AwaitPath(ctx context.Context, h wire.Hash) error {
	if n.t.HasPath(h) {
		return nil
	}
	if err := n.t.RequestPath(h, nil); err != nil {
		return err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !n.t.HasPath(h) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// StorageDir returns the storage directory, or "" when nothing is
// persisted.
func (n *Node) StorageDir() string { return n.opts.StorageDir }

// Recall returns the identity and app data last announced for a
// destination, as the reference's Identity.recall does: from the known
// destinations, or, for a destination registered on this node (whose own
// announces it never hears), its identity with no app data.
func (n *Node) Recall(h wire.Hash) (*identity.Identity, []byte, bool) {
	if id, app, ok := n.t.Recall(h); ok {
		return id, app, true
	}
	d, ok := n.t.Registered(h)
	if !ok {
		return nil, nil, false
	}
	nd, ok := d.(*Destination)
	if !ok || nd.Identity == nil {
		return nil, nil, false
	}
	k := nd.Identity.PublicKey()
	pub, err := identity.FromPublicKey(k[:])
	if err != nil {
		return nil, nil, false
	}
	return pub, nil, true
}

// SaveKnownDestinations writes the known destinations to the storage
// directory (Identity.save_known_destinations).
func (n *Node) SaveKnownDestinations() error {
	if n.opts.StorageDir == "" {
		return ErrNoStorage
	}
	return storage.SaveKnown(n.opts.StorageDir, n.t.KnownDestinations())
}

// LoadKnownDestinations replaces the known destinations with those in the
// storage directory (Identity.load_known_destinations).
func (n *Node) LoadKnownDestinations() error {
	if n.opts.StorageDir == "" {
		return ErrNoStorage
	}
	known, err := storage.LoadKnown(n.opts.StorageDir)
	if err != nil {
		return err
	}
	n.t.ReplaceKnown(known)
	return nil
}

// CleanRatchets removes the stored ratchets that expired, cannot be read
// or belong to destinations no longer known (Identity._clean_ratchets),
// and returns how many it removed.
func (n *Node) CleanRatchets() (int, error) {
	if n.opts.StorageDir == "" {
		return 0, nil
	}
	known := n.t.KnownDestinations()
	return storage.NewRatchets(n.opts.StorageDir).Clean(n.now(), func(h wire.Hash) bool {
		_, ok := known[h]
		return ok
	})
}

// ErrNoStorage is returned by operations that need Options.StorageDir.
var ErrNoStorage = errors.New("rns: node has no storage directory")

// Save persists the known destinations and the path table.
func (n *Node) Save() error {
	if n.opts.StorageDir == "" {
		return nil
	}
	if err := storage.SaveKnown(n.opts.StorageDir, n.t.KnownDestinations()); err != nil {
		return err
	}
	return storage.SavePaths(n.opts.StorageDir, n.t.Paths())
}

func (n *Node) routineHousekeeping() {
	defer n.wg.Done()
	start := time.Now()
	mgmtAt := start.Add(mgmtFirstAnnounce)
	saveAt := start.Add(saveInterval)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-n.stop:
			return
		case now := <-tick.C:
			if n.opts.TransportEnabled && now.After(mgmtAt) {
				mgmtAt = now.Add(mgmtAnnounceInterval)
				for _, d := range n.ManagementDestinations() {
					if err := d.Announce(nil); err != nil {
						n.logf("rns: management announce: %v", err)
					}
				}
			}
			if now.After(saveAt) {
				saveAt = now.Add(saveInterval)
				if err := n.Save(); err != nil {
					n.logf("rns: save: %v", err)
				}
			}
		}
	}
}

// Close saves the tables, stops listeners and closes every interface.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		err = n.Save()
		close(n.stop)
		n.mu.Lock()
		ls := n.listeners
		n.mu.Unlock()
		for _, l := range ls {
			l.l.Close()
		}
		n.t.Close()
		n.wg.Wait()
	})
	return err
}

// random is the node's source of randomness (Options.Rand, or
// crypto/rand).
func (n *Node) random() io.Reader {
	if n.opts.Rand != nil {
		return n.opts.Rand
	}
	return rand.Reader
}

// now is the node's clock (Options.Now, or the wall clock).
func (n *Node) now() time.Time {
	if n.opts.Now != nil {
		return n.opts.Now()
	}
	return time.Now()
}
