package route

import (
	"math"
	"testing"
	"time"
)

func TestShouldReannounce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := Reannounce{LastCost: 100, Cost: 100, LastAnnounce: t0, Now: t0.Add(time.Minute)}
	for _, tc := range []struct {
		name string
		mod  func(*Reannounce)
		want Reason
		ok   bool
	}{
		{"nothing changed", func(*Reannounce) {}, NoReason, false},
		{"first", func(r *Reannounce) { r.LastAnnounce = time.Time{} }, First, true},
		{"interface change", func(r *Reannounce) { r.InterfaceChanged = true }, InterfaceChange, true},
		{"cost up 25%", func(r *Reannounce) { r.Cost = 125 }, NoReason, false},
		{"cost up 26%", func(r *Reannounce) { r.Cost = 126 }, CostChange, true},
		{"cost down 25%", func(r *Reannounce) { r.Cost = 75 }, NoReason, false},
		{"cost down 26%", func(r *Reannounce) { r.Cost = 74 }, CostChange, true},
		{"cost from zero", func(r *Reannounce) { r.LastCost, r.Cost = 0, 1 }, CostChange, true},
		{"cost 3 to 4", func(r *Reannounce) { r.LastCost, r.Cost = 3, 4 }, CostChange, true},
		{"cost huge", func(r *Reannounce) { r.LastCost, r.Cost = 1<<63, 1<<63-1<<61 }, NoReason, false},
		{"cost huge drop", func(r *Reannounce) { r.LastCost, r.Cost = 1<<63, 1<<63-1<<61-1 }, CostChange, true},
		{"cost max up", func(r *Reannounce) { r.LastCost, r.Cost = 1<<63, math.MaxUint64 }, CostChange, true},
		{"refresh not yet", func(r *Reannounce) { r.Now = t0.Add(DefaultRefresh - 1) }, NoReason, false},
		{"refresh", func(r *Reannounce) { r.Now = t0.Add(DefaultRefresh) }, Refresh, true},
		{"custom refresh", func(r *Reannounce) { r.Refresh = time.Minute }, Refresh, true},
		{"hop limit", func(r *Reannounce) { r.Hops, r.InterfaceChanged = DefaultMaxHops, true }, HopLimit, false},
		{"below hop limit", func(r *Reannounce) { r.Hops, r.InterfaceChanged = DefaultMaxHops-1, true }, InterfaceChange, true},
		{"custom max hops", func(r *Reannounce) { r.Hops, r.MaxHops, r.LastAnnounce = 4, 4, time.Time{} }, HopLimit, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.mod(&r)
			got, ok := ShouldReannounce(r)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ShouldReannounce = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	for _, s := range []interface{ String() string }{Fresh, Stale, Failed, State(9),
		KindBalanced, KindCheapest, KindFastest, KindMostReliable, KindLargestMTU, Kind(9),
		NoReason, First, InterfaceChange, CostChange, Refresh, HopLimit, Reason(99)} {
		if s.String() == "" {
			t.Errorf("%#v has no name", s)
		}
	}
}
