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
	slots []wire.Hash // truncated packet hashes; the zero hash marks a free slot
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
	mk := func() *hashTable { return &hashTable{slots: make([]wire.Hash, slots), limit: size / 2} }
	return &hashFilter{cur: mk(), prev: mk()}
}

// key reduces a packet hash to the filter's key. Truncated packet hashes
// are what the reference itself uses to address proofs, so 128 bits are
// enough to tell packets apart.
func key(h *[wire.FullHashLen]byte) wire.Hash {
	k := wire.Hash(h[:wire.HashLen])
	if k == (wire.Hash{}) {
		k[0] = 1 // keep the zero key free as the empty-slot marker
	}
	return k
}

func (t *hashTable) find(k wire.Hash) (int, bool) {
	mask := len(t.slots) - 1
	i := int(binary.LittleEndian.Uint64(k[:8])) & mask
	for {
		switch t.slots[i] {
		case k:
			return i, true
		case wire.Hash{}:
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
		t.slots[i] = wire.Hash{}
		t.n--
		for j := (i + 1) & mask; t.slots[j] != (wire.Hash{}); j = (j + 1) & mask {
			moved := t.slots[j]
			t.slots[j] = wire.Hash{}
			t.n--
			at, _ := t.find(moved)
			t.slots[at] = moved
			t.n++
		}
	}
}
