package framing

import (
	"bytes"
	"slices"
)

// HDLC framing bytes, as in the reference's HDLC class (TCPInterface.py,
// SerialInterface.py). These values are part of the wire format and never
// change.
const (
	// HDLCFlag delimits frames (FLAG).
	HDLCFlag = 0x7E
	// HDLCEsc introduces an escaped byte (ESC).
	HDLCEsc = 0x7D
	// HDLCEscMask is XORed into an escaped byte (ESC_MASK).
	HDLCEscMask = 0x20
)

// TCPMinFrame is the MinFrame that reproduces the reference TCP reader,
// which silently drops frames of HEADER_MINSIZE (19) bytes or fewer: the
// shortest frame it delivers is 20 bytes.
const TCPMinFrame = 20

// AppendHDLC appends payload as one HDLC frame, FLAG || escaped payload ||
// FLAG, to dst and returns the extended slice. It does not allocate when dst
// has room for the frame (at most 2*len(payload)+2 bytes).
func AppendHDLC(dst, payload []byte) []byte {
	dst = grow(dst, 2+len(payload)+len(payload)>>4)
	dst = append(dst, HDLCFlag)
	dst = appendHDLCEscaped(dst, payload)
	return append(dst, HDLCFlag)
}

// AppendHDLCEscape appends the HDLC-escaped form of payload to dst, without
// flags: each 0x7D becomes 0x7D 0x5D and each 0x7E becomes 0x7D 0x5E.
func AppendHDLCEscape(dst, payload []byte) []byte {
	return appendHDLCEscaped(grow(dst, len(payload)+len(payload)>>4), payload)
}

// appendHDLCEscaped escapes p onto dst. Random data has a special byte
// every 128 bytes on average, at positions no branch predictor can learn,
// so the bulk goes through escapeRun, which scans for both special bytes
// in one vector pass and copies as it goes; what it leaves (a short tail,
// or everything when dst is short of room) takes the portable path. Room
// the escapes need beyond what the caller reserved is added as it is
// found, so dst grows only when the frame does not fit.
func appendHDLCEscaped(dst, p []byte) []byte {
	for len(p) >= 16 {
		if cap(dst)-len(dst) < 32+len(p)>>4 && cap(dst)-len(dst) < 2*len(p) {
			dst = grow(dst, len(p)+len(p)>>4+32)
		}
		ns, nd := escapeRun(dst[len(dst):cap(dst)], p)
		if ns == 0 {
			break
		}
		dst = dst[:len(dst)+nd]
		p = p[ns:]
	}
	sc := newSpecials(p)
	for off := 0; ; {
		i := sc.next(off)
		dst = append(dst, p[off:i]...)
		if i == len(p) {
			return dst
		}
		dst = append(dst, HDLCEsc, p[i]^HDLCEscMask)
		off = i + 1
	}
}

// specials finds the flags and escapes of p in order. It keeps the next
// position of each, so every byte is scanned once per kind, by the
// vectorised bytes.IndexByte, instead of compared one at a time: on random
// data a special byte comes every 128 bytes.
type specials struct {
	p         []byte
	flag, esc int // next index at or after the last query; -1 none left, -2 not searched
}

func newSpecials(p []byte) specials { return specials{p: p, flag: -2, esc: -2} }

// next returns the index of the first flag or escape at or after from, or
// len(p) if there is none. Successive calls must not decrease from.
func (s *specials) next(from int) int {
	if s.flag == -2 || s.flag >= 0 && s.flag < from {
		s.flag = indexFrom(s.p, from, HDLCFlag)
	}
	if s.esc == -2 || s.esc >= 0 && s.esc < from {
		s.esc = indexFrom(s.p, from, HDLCEsc)
	}
	i := len(s.p)
	if s.flag >= 0 {
		i = s.flag
	}
	if s.esc >= 0 && s.esc < i {
		i = s.esc
	}
	return i
}

func indexFrom(p []byte, from int, c byte) int {
	if i := bytes.IndexByte(p[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// grow makes sure dst has room for n more bytes, allocating at most once.
// Growth is amortised (slices.Grow), so frames appended one after another
// to a queue do not copy it every time.
func grow(dst []byte, n int) []byte {
	return slices.Grow(dst, n)
}

// HDLCDecoder splits an HDLC byte stream into frames the way the reference
// TCP reader does:
//
//   - bytes before the first flag are discarded;
//   - every flag closes the frame in progress and opens the next one, so
//     frames may share a flag;
//   - empty frames (two flags in a row) are skipped silently;
//   - 0x7D 0x5E decodes to 0x7E and 0x7D 0x5D to 0x7D; any other byte
//     after 0x7D, and a 0x7D right before the closing flag, is kept
//     literally together with the 0x7D (this is exactly what the
//     reference's two byte-string replacements produce);
//   - frames shorter than MinFrame or longer than MaxFrame, counted after
//     unescaping, are dropped.
//
// The zero value is ready to use, with MinFrame 1 and DefaultMaxFrame.
// Set MinFrame to TCPMinFrame to match the reference TCP interface.
type HDLCDecoder struct {
	// MaxFrame is the largest decoded frame accepted, in bytes. Zero or
	// less means DefaultMaxFrame. The decoder's buffer never exceeds it.
	MaxFrame int
	// MinFrame is the shortest decoded frame accepted, in bytes. Non-empty
	// frames shorter than this are dropped with ErrFrameTooShort. Values
	// below 1 mean 1 (empty frames are always skipped, never reported).
	MinFrame int

	frameBuf
	inFrame bool // an opening flag has been seen
	esc     bool // the previous byte was HDLCEsc
}

func (d *HDLCDecoder) maxFrame() int {
	if d.MaxFrame <= 0 {
		return DefaultMaxFrame
	}
	return d.MaxFrame
}

// Decode consumes p up to and including the flag that ends the first
// complete frame, and returns the number of bytes consumed with that frame.
// Call it again with p[n:] until p is used up.
//
// Exactly one of three things happens:
//   - a frame completed: frame is non-nil and non-empty, err is nil;
//   - a frame was dropped: frame is nil, err is ErrFrameTooShort or
//     ErrFrameTooLarge, and DroppedLen reports its decoded length;
//   - p was used up inside a frame or before the first flag: n == len(p),
//     frame and err are nil, and the partial frame is kept for the next call.
//
// The frame aliases the decoder's buffer and is valid only until the next
// call to Decode or Reset. Decode never panics and never allocates once its
// buffer has grown to the largest frame seen.
func (d *HDLCDecoder) Decode(p []byte) (n int, frame []byte, err error) {
	if !d.inFrame {
		j := bytes.IndexByte(p, HDLCFlag)
		if j < 0 {
			d.stats.Discarded += uint64(len(p))
			return len(p), nil, nil
		}
		d.stats.Discarded += uint64(j)
		d.open()
		n = j + 1
	}
	max := d.maxFrame()
	sc := newSpecials(p)
	for n < len(p) {
		c := p[n]
		if d.esc {
			n++
			switch c {
			case HDLCFlag:
				// A dangling escape before the closing flag is kept.
				d.esc = false
				d.put(HDLCEsc, max)
				frame, err = d.close(max)
				if frame != nil || err != nil {
					return n, frame, err
				}
			case HDLCFlag ^ HDLCEscMask:
				d.esc = false
				d.put(HDLCFlag, max)
			case HDLCEsc ^ HDLCEscMask:
				d.esc = false
				d.put(HDLCEsc, max)
			case HDLCEsc:
				// The first escape is literal; this one starts a new escape.
				d.put(HDLCEsc, max)
			default:
				d.esc = false
				d.put(HDLCEsc, max)
				d.put(c, max)
			}
			continue
		}
		switch c {
		case HDLCFlag:
			n++
			frame, err = d.close(max)
			if frame != nil || err != nil {
				return n, frame, err
			}
		case HDLCEsc:
			n++
			d.esc = true
		default:
			if k := d.unescape(p[n:], max); k > 0 {
				n += k
				continue
			}
			// Copy the run of ordinary bytes in one go.
			j := sc.next(n + 1)
			d.putRun(p[n:j], max)
			n = j
		}
	}
	return n, nil, nil
}

// unescape decodes what it can of p, a stretch inside a frame that starts
// with an ordinary byte, with unescapeRun, straight into the room left in
// the frame buffer, and returns how many bytes of p it consumed: none when
// p or the room is short (putRun grows the buffer), or when the frame has
// outgrown max (its bytes are only counted then).
func (d *HDLCDecoder) unescape(p []byte, max int) int {
	if len(p) < 16 || d.n != len(d.buf) {
		return 0
	}
	ns, nd := unescapeRun(d.buf[len(d.buf):cap(d.buf)], p)
	d.buf = d.buf[:len(d.buf)+nd]
	d.n += nd
	return ns
}

// open starts a new frame.
func (d *HDLCDecoder) open() {
	d.inFrame = true
	d.esc = false
	d.buf = d.buf[:0]
	d.n = 0
}

// close ends the frame in progress, opens the next one and returns the
// finished frame or the reason it was dropped; both are nil for an empty
// frame.
func (d *HDLCDecoder) close(max int) ([]byte, error) {
	n := d.n
	frame := d.buf
	d.open()
	switch {
	case n == 0:
		return nil, nil
	case n > max:
		d.dropLen = n
		d.stats.TooLarge++
		return nil, ErrFrameTooLarge
	case n < d.MinFrame:
		d.dropLen = n
		d.stats.TooShort++
		return nil, ErrFrameTooShort
	}
	d.stats.Frames++
	return frame[:n], nil
}

// Reset discards any partial frame and waits for the next flag, as after
// connecting. It keeps the buffer, the settings and the counters. Drivers
// call it after a read timeout or a reconnect.
func (d *HDLCDecoder) Reset() {
	d.open()
	d.inFrame = false
}
