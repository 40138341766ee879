package mgmt

import (
	"crypto/sha256"
	"time"

	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rpc"
)

// View answers the reference's shared-instance RPC requests (rnstatus,
// rnpath, and the calls attached Python programs make) and remote
// management requests from a node.
type View struct {
	n     *rns.Node
	start time.Time
}

var _ rpc.Node = (*View)(nil)

// NewView returns a view of n; the transport's uptime counts from now.
func NewView(n *rns.Node) *View { return &View{n: n, start: time.Now()} }

// InterfaceStats implements rpc.Node.
func (r *View) InterfaceStats() rpc.Stats {
	t := r.n.Transport()
	st := rpc.Stats{Transport: t.Enabled(), TransportID: t.ID(), Uptime: time.Since(r.start)}
	if p := r.n.ProbeDestination(); p != nil {
		h := p.Hash()
		st.ProbeResponder = &h
	}
	for _, i := range t.Interfaces() {
		x := i.Stats()
		st.Interfaces = append(st.Interfaces, rpc.InterfaceStats{
			Name: x.Name, ShortName: x.Name, Hash: sha256.Sum256([]byte(x.Name)), Type: "Interface",
			Bitrate: x.Bitrate, RXB: x.RxBytes, TXB: x.TxBytes, Status: true, Mode: x.Mode,
		})
		st.RXB += x.RxBytes
		st.TXB += x.TxBytes
	}
	return st
}

func (r *View) PathTable() []rpc.PathEntry {
	var out []rpc.PathEntry
	for h, pe := range r.n.Transport().Paths() {
		e := rpc.PathEntry{Destination: h, Timestamp: pe.Timestamp, NextHop: pe.NextHop, Hops: int(pe.Hops), Expires: pe.Expires}
		if pe.Interface != nil {
			e.Interface = pe.Interface.Name()
		}
		out = append(out, e)
	}
	return out
}

func (r *View) RateTable() []rpc.RateEntry { return nil }

func (r *View) NextHop(dest wire.Hash) (wire.Hash, bool) {
	pe, ok := r.n.Transport().Path(dest)
	return pe.NextHop, ok
}

func (r *View) NextHopInterface(dest wire.Hash) (string, bool) {
	pe, ok := r.n.Transport().Path(dest)
	if !ok || pe.Interface == nil {
		return "", false
	}
	return pe.Interface.Name(), true
}

func (r *View) FirstHopTimeout(dest wire.Hash) time.Duration {
	return r.n.Transport().FirstHopTimeout(dest)
}

func (r *View) LinkCount() int { return r.n.Transport().LinkCount() }

func (r *View) DropPath(dest wire.Hash) bool {
	t := r.n.Transport()
	if !t.HasPath(dest) {
		return false
	}
	t.ExpirePath(dest)
	return true
}

func (r *View) DropAllVia(tid wire.Hash) int { return r.n.Transport().DropAllVia(tid) }

func (r *View) DropAnnounceQueues() { r.n.Transport().DropAnnounceQueues() }
