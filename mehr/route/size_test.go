package route

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestEntryBytes keeps EntryBytes an honest estimate: the entry itself
// plus its share of the maps and slices, measured on a full table.
func TestEntryBytes(t *testing.T) {
	const n = 4096
	c := newClock()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tb := newTable(t, c, func(cfg *Config) { cfg.MaxEntries = n })
	for i := 0; i < n; i++ {
		d := hash(byte(i))
		d[1] = byte(i >> 8)
		tb.Observe(Observation{Destination: d, NextHop: hop(byte(i % 4)), Path: topology[0].compact(), Lamport: 1})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapAlloc - before.HeapAlloc) / n
	t.Logf("entry %d bytes, %d bytes per entry with one entry per destination", unsafe.Sizeof(entry{}), per)
	if per > EntryBytes*5/4 || per < EntryBytes/2 {
		t.Errorf("%d bytes per entry, EntryBytes says %d", per, EntryBytes)
	}
	runtime.KeepAlive(tb)
}
