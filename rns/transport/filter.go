package transport

import (
	"encoding/binary"

	"github.com/mehr-net/mehr/rns/wire"
)

// hashFilter remembers recent packet hashes for duplicate detection, like
// the reference's packet_hashlist and packet_hashlist_prev: when the current
// generation fills up it becomes the previous one and a fresh generation
// starts, so between size/2 and size hashes are remembered.
//
// Each generation is a fixed open-addressing table sized once, so adding a
// hash never allocates: the forwarding path stays allocation-free.
type hashFilter struct {
	cur, prev *hashTable
}

type hashTable struct {
	slots []uint64 // packet hash keys; zero marks a free slot
	n     int
	limit int
}

func newHashFilter(size int) *hashFilter {
	if size < 64 {
		size = 64
	}
	// Each generation holds size/2 hashes at a load factor of 1/2.
	slots := 1
	for slots < size {
		slots <<= 1
	}
	mk := func() *hashTable { return &hashTable{slots: make([]uint64, slots), limit: size / 2} }
	return &hashFilter{cur: mk(), prev: mk()}
}

// key reduces a packet hash to the filter's key: its first 64 bits. With
// a million hashes remembered, the chance that a new packet's key equals
// one of them is about 10^-13; 8-byte slots halve the table (8 MB per
// generation at the reference's default size) and the cache misses of
// every lookup.
func key(h *[wire.FullHashLen]byte) uint64 {
	k := binary.LittleEndian.Uint64(h[:8])
	if k == 0 {
		k = 1 // keep zero free as the empty-slot marker
	}
	return k
}

func (t *hashTable) find(k uint64) (int, bool) {
	mask := len(t.slots) - 1
	// The key is already uniformly distributed: its high bits pick the
	// slot, so that keys differing only in the low ones do not cluster.
	i := int(k>>20^k) & mask
	for {
		switch t.slots[i] {
		case k:
			return i, true
		case 0:
			return i, false
		}
		i = (i + 1) & mask
	}
}

func (t *hashTable) clear() {
	clear(t.slots)
	t.n = 0
}

// Contains reports whether h was added recently.
func (f *hashFilter) Contains(h *[wire.FullHashLen]byte) bool {
	k := key(h)
	if _, ok := f.cur.find(k); ok {
		return true
	}
	_, ok := f.prev.find(k)
	return ok
}

// Add remembers h.
func (f *hashFilter) Add(h *[wire.FullHashLen]byte) {
	k := key(h)
	i, ok := f.cur.find(k)
	if ok {
		return
	}
	f.cur.slots[i] = k
	f.cur.n++
	if f.cur.n >= f.cur.limit {
		f.prev.clear()
		f.cur, f.prev = f.prev, f.cur
	}
}

// Remove forgets h (the reference does this when a link packet arrives on
// the wrong interface, so the copy on the right one is still accepted).
// Open addressing needs the cluster after the slot re-inserted.
func (f *hashFilter) Remove(h *[wire.FullHashLen]byte) {
	k := key(h)
	for _, t := range []*hashTable{f.cur, f.prev} {
		i, ok := t.find(k)
		if !ok {
			continue
		}
		mask := len(t.slots) - 1
		t.slots[i] = 0
		t.n--
		for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
			moved := t.slots[j]
			t.slots[j] = 0
			t.n--
			at, _ := t.find(moved)
			t.slots[at] = moved
			t.n++
		}
	}
}
