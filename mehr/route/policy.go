package route

import (
	"bytes"

	"github.com/mehr-net/mehr/rns/wire"
)

// Kind is the kind of a PathPolicy. Values are append-only.
type Kind uint8

// Policy kinds. The zero Kind is Balanced, the spec's default.
const (
	KindBalanced Kind = iota
	KindCheapest
	KindFastest
	KindMostReliable
	KindLargestMTU
)

func (k Kind) String() string {
	switch k {
	case KindBalanced:
		return "balanced"
	case KindCheapest:
		return "cheapest"
	case KindFastest:
		return "fastest"
	case KindMostReliable:
		return "most-reliable"
	case KindLargestMTU:
		return "largest-mtu"
	}
	return "Kind(?)"
}

// Weights are the weights of a Balanced policy. Each multiplies a term
// normalised to [0, 1] within the candidate set; only their ratios matter.
type Weights struct {
	Cost        float64
	Latency     float64
	Reliability float64
}

// DefaultWeights are used by a Balanced policy whose weights are all zero.
var DefaultWeights = Weights{Cost: 0.4, Latency: 0.4, Reliability: 0.2}

// Policy is a PathPolicy: how the application wants a packet routed. The
// zero Policy is Balanced with DefaultWeights; a Kind this package does not
// know is scored as Balanced. Weights should not be negative.
type Policy struct {
	Kind    Kind
	Weights Weights // KindBalanced only
}

// The spec's policies.
var (
	Cheapest     = Policy{Kind: KindCheapest}
	Fastest      = Policy{Kind: KindFastest}
	MostReliable = Policy{Kind: KindMostReliable}
	LargestMTU   = Policy{Kind: KindLargestMTU}
)

// Balanced returns a Balanced policy with the given weights.
func Balanced(w Weights) Policy { return Policy{Kind: KindBalanced, Weights: w} }

// Constraints are what a packet needs from its path.
type Constraints struct {
	// MinMTU is the smallest bottleneck MTU (bytes) the packet needs; 0 for
	// none. Entries below it are filtered out before scoring.
	MinMTU uint64
	// Known asks for a path without unknown segments.
	Known bool
	// Strict makes Select return ErrConstraint when no entry satisfies the
	// constraints, instead of the best entry that does not (the spec's
	// fallback). Config.OnViolation is called either way.
	Strict bool
}

func (c *Constraints) violatedBy(e *Entry) bool {
	return e.MTU < c.MinMTU || c.Known && e.Unknown
}

// weights is one policy's weight per normalised term; every term is a
// penalty in [0, 1], lower is better.
type weights struct {
	hops, cost, latency, bandwidth, reliability, mtu float64
}

// weightsOf returns p's weights. The spec's greedy-forwarding score is
// α·ring distance + β·cost + γ·latency; every entry here reaches the
// destination already, so the α term is the normalised hop count (what ring
// distance stands for). Fastest splits γ between worst latency and
// bottleneck bandwidth; MostReliable and LargestMTU give the spec's
// leftover weight to reliability and MTU.
func weightsOf(p *Policy) weights {
	switch p.Kind {
	case KindCheapest:
		return weights{hops: 0.1, cost: 0.8, latency: 0.1}
	case KindFastest:
		return weights{hops: 0.1, cost: 0.1, latency: 0.6, bandwidth: 0.2}
	case KindMostReliable:
		return weights{hops: 0.1, cost: 0.1, reliability: 0.8}
	case KindLargestMTU:
		return weights{hops: 0.1, cost: 0.1, latency: 0.1, mtu: 0.7}
	}
	w := p.Weights
	if w == (Weights{}) {
		w = DefaultWeights
	}
	return weights{cost: w.Cost, latency: w.Latency, reliability: w.Reliability}
}

// Tiers: an entry's state, plus numTiers/2 if it violates the constraints.
// Normalisation and scoring happen within one tier; a lower tier always
// wins.
const numTiers = 6

func tierOf(st State, e *Entry, c *Constraints) int {
	t := int(st)
	if c.violatedBy(e) {
		t += numTiers / 2
	}
	return t
}

// maxima are the largest decoded values of a candidate set.
type maxima struct {
	cost, latency, hops, bandwidth, mtu float64
}

func (m *maxima) add(e *Entry) {
	m.cost = max(m.cost, float64(e.Cost))
	m.latency = max(m.latency, float64(e.Latency))
	m.hops = max(m.hops, float64(e.Hops))
	m.bandwidth = max(m.bandwidth, float64(e.Bandwidth))
	m.mtu = max(m.mtu, float64(e.MTU))
}

// frac returns v/m, or 0 when m is 0.
func frac(v, m float64) float64 {
	if m <= 0 {
		return 0
	}
	return v / m
}

// score is the spec's scoring on decoded values: each metric normalised
// by its maximum in the candidate set (so true ratios are kept), weighted,
// and summed; bandwidth, reliability and MTU, where more is better, count
// as 1 − normalised value. When the packet needs an MTU or the policy is
// LargestMTU, the spec's MTU bonus is subtracted:
// 0.1·(mtu − min)/(max mtu − min).
func score(e *Entry, m *maxima, w *weights, p *Policy, c *Constraints) float64 {
	s := w.hops*frac(float64(e.Hops), m.hops) +
		w.cost*frac(float64(e.Cost), m.cost) +
		w.latency*frac(float64(e.Latency), m.latency)
	if w.bandwidth != 0 {
		s += w.bandwidth * (1 - frac(float64(e.Bandwidth), m.bandwidth))
	}
	if w.reliability != 0 {
		s += w.reliability * (1 - float64(e.Reliability)/255)
	}
	if w.mtu != 0 {
		s += w.mtu * (1 - frac(float64(e.MTU), m.mtu))
	}
	if c.MinMTU > 0 || p.Kind == KindLargestMTU {
		lo := float64(c.MinMTU)
		if v := float64(e.MTU); v > lo && m.mtu > lo {
			s -= 0.1 * (v - lo) / (m.mtu - lo)
		}
	}
	return s
}

// less orders two entries of the same tier with scores sa and sb: lower
// score, then fewer hops, higher reliability, and the smaller next hop so
// that the order is deterministic.
func less(sa float64, a *Entry, sb float64, b *Entry) bool {
	if sa != sb {
		return sa < sb
	}
	if a.Hops != b.Hops {
		return a.Hops < b.Hops
	}
	if a.Reliability != b.Reliability {
		return a.Reliability > b.Reliability
	}
	if c := bytes.Compare(a.NextHop.Transport[:], b.NextHop.Transport[:]); c != 0 {
		return c < 0
	}
	return a.NextHop.Interface < b.NextHop.Interface
}

// Select returns the best entry for dst under policy p and constraints c.
//
// Candidates are, in order of preference: fresh entries, stale ones (only
// when no fresh one is left), and entries held back by Fail (only when
// nothing else is left). Within the best non-empty group, entries that do
// not meet c are filtered out first (the spec's MTU pre-filter); if none
// is left, Config.OnViolation is called and Select falls back to the best
// entry regardless of c, or returns ErrConstraint if c.Strict. Entries are
// scored against the maxima of their own group. ErrNoPath means dst has no
// usable entry.
//
// Select does not allocate.
func (t *Table) Select(dst wire.Hash, p Policy, c Constraints) (Entry, error) {
	now := t.cfg.Now().UnixNano()
	w := weightsOf(&p)
	t.mu.RLock()
	d := t.dests[dst]
	if d == nil {
		t.mu.RUnlock()
		return Entry{}, ErrNoPath
	}
	// First pass: each entry's tier (kept for the second pass when the
	// destination has few entries) and the maxima of the best tier.
	const noTier = numTiers
	var tiers [16]uint8
	var m maxima
	minTier := noTier
	for i, e := range d.entries {
		tier := noTier
		if !e.gone(now) {
			tier = tierOf(e.state(now), &e.Entry, &c)
		}
		if i < len(tiers) {
			tiers[i] = uint8(tier)
		}
		switch {
		case tier < minTier:
			minTier, m = tier, maxima{}
			fallthrough
		case tier == minTier && tier != noTier:
			m.add(&e.Entry)
		}
	}
	if minTier == noTier {
		t.mu.RUnlock()
		return Entry{}, ErrNoPath
	}
	var best *entry
	var bestScore float64
	for i, e := range d.entries {
		var tier int
		if i < len(tiers) {
			tier = int(tiers[i])
		} else if tier = noTier; !e.gone(now) {
			tier = tierOf(e.state(now), &e.Entry, &c)
		}
		if tier != minTier {
			continue
		}
		s := score(&e.Entry, &m, &w, &p, &c)
		if best == nil || less(s, &e.Entry, bestScore, &best.Entry) {
			best, bestScore = e, s
		}
	}
	out := best.Entry
	out.State = best.state(now)
	out.Score = bestScore
	best.lastUsed.Store(now)
	t.mu.RUnlock()
	if minTier >= numTiers/2 {
		if c.Strict {
			t.violation(dst, c, Entry{}, false)
			return Entry{}, ErrConstraint
		}
		t.violation(dst, c, out, true)
	}
	return out, nil
}

func (t *Table) violation(dst wire.Hash, c Constraints, got Entry, ok bool) {
	if f := t.cfg.OnViolation; f != nil {
		f(dst, c, got, ok)
	}
}

// Candidates appends every usable entry of dst to out, best first, in the
// order Select prefers them: the fallback order when a next hop fails.
// Entries that do not meet c come last (left out if c.Strict; then, if
// none is left, it returns ErrConstraint). Config.OnViolation is called
// when the first entry does not meet c. Unlike Select, it does not count
// as use for LRU eviction. Candidates allocates only to grow out.
func (t *Table) Candidates(dst wire.Hash, p Policy, c Constraints, out []Entry) ([]Entry, error) {
	now := t.cfg.Now().UnixNano()
	w := weightsOf(&p)
	start := len(out)
	t.mu.RLock()
	d := t.dests[dst]
	if d == nil {
		t.mu.RUnlock()
		return out, ErrNoPath
	}
	var ms [numTiers]maxima
	n, usable := 0, 0
	for _, e := range d.entries {
		if e.gone(now) {
			continue
		}
		usable++
		x := e.Entry
		x.State = e.state(now)
		tier := tierOf(x.State, &x, &c)
		if c.Strict && tier >= numTiers/2 {
			continue
		}
		ms[tier].add(&x)
		out = append(out, x)
		n++
	}
	t.mu.RUnlock()
	if n == 0 {
		if usable > 0 {
			t.violation(dst, c, Entry{}, false)
			return out, ErrConstraint
		}
		return out, ErrNoPath
	}
	list := out[start:]
	for i := range list {
		list[i].Score = score(&list[i], &ms[tierOf(list[i].State, &list[i], &c)], &w, &p, &c)
	}
	// Insertion sort: a destination has a handful of entries.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && before(&list[j], &list[j-1], &c); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	if tierOf(list[0].State, &list[0], &c) >= numTiers/2 {
		t.violation(dst, c, list[0], true)
	}
	return out, nil
}

func before(a, b *Entry, c *Constraints) bool {
	ta, tb := tierOf(a.State, a, c), tierOf(b.State, b, c)
	if ta != tb {
		return ta < tb
	}
	return less(a.Score, a, b.Score, b)
}

// Feasible reports whether forwarding to e's next hop keeps a packet on a
// loop-free course, given self, this node's transport ID, and own, its
// distance to the destination in hops: the fewest HeardHops among its
// entries. Each node may forward only to a neighbour that is closer to the
// destination in the announce flood (HeardHops−1 < own), or as close and
// with a smaller transport ID. Every step then strictly lowers (distance,
// transport ID), so no packet can come back to a node it left, whatever
// each node's policy and however stale the annotations its entries were
// built from. The price is that a policy chooses among neighbours that
// make progress in hops, never one that leads away first.
func Feasible(e *Entry, self wire.Hash, own uint8) bool {
	if e.HeardHops == 0 {
		return false
	}
	nb := e.HeardHops - 1
	return nb < own || nb == own && bytes.Compare(e.NextHop.Transport[:], self[:]) < 0
}
