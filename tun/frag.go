package tun

import (
	"encoding/binary"
	"errors"
	"time"
)

// Link framing (see the package doc). Append-only once released: new
// kinds get new values.
const (
	// FrameWhole is the kind byte of a frame carrying one whole IP packet.
	FrameWhole = 0x00
	// FrameFragment is the kind byte of a frame carrying one fragment.
	FrameFragment = 0x01

	// WholeHeaderLen is the framing overhead of a whole packet.
	WholeHeaderLen = 1
	// FragHeaderLen is the framing overhead of a fragment: kind, packet
	// id (uint16, big endian), index, count.
	FragHeaderLen = 5

	fragOffID    = 1
	fragOffIndex = 3
	fragOffCount = 4

	// MaxFragments is the largest fragment count a header can carry.
	MaxFragments = 255
)

// Frame decoding errors.
var (
	// ErrFrameShort reports a frame shorter than its header, or with no
	// data.
	ErrFrameShort = errors.New("tun: frame too short")
	// ErrFrameKind reports an unknown frame kind.
	ErrFrameKind = errors.New("tun: unknown frame kind")
	// ErrFrameIndex reports a fragment whose count is below 2 or whose
	// index is not below its count.
	ErrFrameIndex = errors.New("tun: fragment index or count out of range")
)

// Frame is a decoded link frame. Data aliases the decoded bytes.
type Frame struct {
	Kind  uint8
	ID    uint16 // fragments only
	Index uint8  // fragments only
	Count uint8  // fragments only
	Data  []byte
}

// Decode parses a frame from b without allocating. Data aliases b.
func (f *Frame) Decode(b []byte) error {
	if len(b) < 1 {
		return ErrFrameShort
	}
	switch b[0] {
	case FrameWhole:
		if len(b) < WholeHeaderLen+1 {
			return ErrFrameShort
		}
		*f = Frame{Kind: FrameWhole, Data: b[WholeHeaderLen:]}
		return nil
	case FrameFragment:
		if len(b) < FragHeaderLen+1 {
			return ErrFrameShort
		}
		idx, cnt := b[fragOffIndex], b[fragOffCount]
		if cnt < 2 || idx >= cnt {
			return ErrFrameIndex
		}
		*f = Frame{Kind: FrameFragment, ID: binary.BigEndian.Uint16(b[fragOffID:]), Index: idx, Count: cnt, Data: b[FragHeaderLen:]}
		return nil
	default:
		return ErrFrameKind
	}
}

// AppendWhole appends the frame of a whole packet to dst.
func AppendWhole(dst, pkt []byte) []byte {
	dst = append(dst, FrameWhole)
	return append(dst, pkt...)
}

// AppendFragment appends the frame of fragment index of count of packet id
// carrying data to dst.
func AppendFragment(dst []byte, id uint16, index, count uint8, data []byte) []byte {
	dst = append(dst, FrameFragment, byte(id>>8), byte(id), index, count)
	return append(dst, data...)
}

// Fragments returns how many fragments a packet of n bytes needs on a link
// whose packets carry mdu bytes of plaintext, and how many packet bytes
// each fragment but the last carries; count 1 means it goes whole, and
// count 0 that it cannot be sent (mdu too small or too many fragments).
func Fragments(n, mdu int) (count, chunk int) {
	if n+WholeHeaderLen <= mdu {
		return 1, n
	}
	chunk = mdu - FragHeaderLen
	if chunk < 1 {
		return 0, 0
	}
	count = (n + chunk - 1) / chunk
	if count > MaxFragments {
		return 0, 0
	}
	return count, chunk
}

// ReassemblyResult says what Reassembler.Add did with a fragment.
type ReassemblyResult uint8

// Reassembly results.
const (
	// Incomplete: the fragment was stored; the packet is not complete.
	Incomplete ReassemblyResult = iota
	// Complete: the fragment completed the packet.
	Complete
	// Duplicate: the fragment was already stored and was ignored.
	Duplicate
	// Inconsistent: the fragment contradicts the earlier ones of its
	// packet (count, size) or would exceed the maximum packet size; the
	// packet was discarded.
	Inconsistent
)

// Reassembler collects fragments into packets of at most MaxPacket bytes.
// It holds a fixed number of packets in progress (Slots); a new packet
// when all are busy evicts the oldest, and a packet not completed within
// Timeout is discarded. Its memory is bounded by Slots × MaxPacket. It is
// not safe for concurrent use.
type Reassembler struct {
	maxPacket int
	timeout   time.Duration
	slots     []slot

	// Evicted counts packets discarded to make room for a newer one,
	// Expired those discarded after Timeout.
	Evicted, Expired uint64
}

type slot struct {
	used    bool
	id      uint16
	count   uint8
	ngot    int
	chunk   int // bytes in every fragment but the last; 0 until known
	lastLen int // bytes in the last fragment; 0 until it arrived
	start   time.Time
	got     [4]uint64 // bitmap of received indexes
	buf     []byte    // maxPacket bytes; the last fragment waits at its end
}

// NewReassembler returns a reassembler for packets of at most maxPacket
// bytes with the given number of slots and timeout.
func NewReassembler(maxPacket, slots int, timeout time.Duration) *Reassembler {
	return &Reassembler{maxPacket: maxPacket, timeout: timeout, slots: make([]slot, max(1, slots))}
}

// Add files fragment f (Kind FrameFragment) received at now. On Complete
// it returns the packet, which aliases the reassembler's buffer and is
// valid until the next call.
func (r *Reassembler) Add(f *Frame, now time.Time) ([]byte, ReassemblyResult) {
	var s *slot
	var free, oldest *slot
	for i := range r.slots {
		c := &r.slots[i]
		if c.used && now.Sub(c.start) > r.timeout {
			c.used = false
			r.Expired++
		}
		switch {
		case c.used && c.id == f.ID:
			s = c
		case !c.used:
			if free == nil {
				free = c
			}
		case oldest == nil || c.start.Before(oldest.start):
			oldest = c
		}
	}
	if s == nil {
		if free == nil {
			free = oldest
			r.Evicted++
		}
		s = free
		if s.buf == nil {
			s.buf = make([]byte, r.maxPacket)
		}
		*s = slot{used: true, id: f.ID, count: f.Count, start: now, buf: s.buf}
	}
	if s.count != f.Count {
		s.used = false
		return nil, Inconsistent
	}
	bit := uint64(1) << (f.Index % 64)
	if s.got[f.Index/64]&bit != 0 {
		return nil, Duplicate
	}
	n := len(f.Data)
	last := int(f.Index) == int(f.Count)-1
	chunk, lastLen := s.chunk, s.lastLen
	if last {
		lastLen = n
	} else {
		if chunk != 0 && n != chunk {
			s.used = false
			return nil, Inconsistent
		}
		chunk = n
	}
	// Every fragment but the last holds chunk bytes, and the last no
	// more: the packet is then at most (count-1)*chunk + lastLen bytes.
	if chunk != 0 && lastLen > chunk || (int(f.Count)-1)*chunk+max(lastLen, 1) > r.maxPacket || n == 0 {
		s.used = false
		return nil, Inconsistent
	}
	s.chunk, s.lastLen = chunk, lastLen
	if last {
		copy(s.buf[r.maxPacket-n:], f.Data)
	} else {
		copy(s.buf[int(f.Index)*n:], f.Data)
	}
	s.got[f.Index/64] |= bit
	s.ngot++
	if s.ngot < int(s.count) {
		return nil, Incomplete
	}
	s.used = false
	off := (int(s.count) - 1) * s.chunk
	copy(s.buf[off:], s.buf[r.maxPacket-s.lastLen:r.maxPacket])
	return s.buf[:off+s.lastLen], Complete
}
