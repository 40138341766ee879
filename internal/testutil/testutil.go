// Package testutil holds helpers shared by the project's tests: allocation
// assertions and goroutine leak checks. Only _test.go files import it.
package testutil

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// MaxAllocs fails tb if f allocates more than max times per run on average,
// measured with testing.AllocsPerRun over runs runs. It is skipped under the
// race detector, which allocates on its own.
func MaxAllocs(tb testing.TB, runs int, max float64, f func()) {
	tb.Helper()
	if RaceEnabled {
		tb.Skip("allocation counts are not meaningful under -race")
	}
	if got := testing.AllocsPerRun(runs, f); got > max {
		tb.Fatalf("%v allocs per run, want at most %v", got, max)
	}
}

// LeakCheck records the goroutines running now and returns a function that,
// when deferred, fails tb if new goroutines are still running after a grace
// period of up to two seconds.
func LeakCheck(tb testing.TB) func() {
	tb.Helper()
	before := goroutineIDs()
	return func() {
		tb.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			var leaked []string
			for id, stack := range goroutineStacks() {
				if _, ok := before[id]; !ok {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				tb.Fatalf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
			}
			runtime.Gosched()
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func goroutineIDs() map[string]struct{} {
	ids := map[string]struct{}{}
	for id := range goroutineStacks() {
		ids[id] = struct{}{}
	}
	return ids
}

func goroutineStacks() map[string]string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		id, _, ok := strings.Cut(strings.TrimPrefix(head, "goroutine "), " ")
		if !ok || strings.Contains(g, "testing.(*T).Run") || strings.Contains(g, "testing.tRunner") && strings.Contains(head, "[chan receive]") {
			continue
		}
		out[id] = g
	}
	return out
}
