package framing

import "bytes"

// KISS framing bytes, as in the reference's KISS classes. These values are
// part of the wire format and never change.
const (
	// KISSFend delimits frames (FEND).
	KISSFend = 0xC0
	// KISSFesc introduces an escaped byte (FESC).
	KISSFesc = 0xDB
	// KISSTfend follows KISSFesc to stand for KISSFend (TFEND).
	KISSTfend = 0xDC
	// KISSTfesc follows KISSFesc to stand for KISSFesc (TFESC).
	KISSTfesc = 0xDD
)

// KISS TNC command codes, as the reference KISSInterface uses them (the
// low nibble of the command byte; the high nibble is the TNC port). The
// list is append-only.
const (
	// KISSCmdData carries a data frame (CMD_DATA).
	KISSCmdData = 0x00
	// KISSCmdTXDelay sets the transmit delay, in 10 ms units (CMD_TXDELAY).
	KISSCmdTXDelay = 0x01
	// KISSCmdPersistence sets the p-persistence value (CMD_P).
	KISSCmdPersistence = 0x02
	// KISSCmdSlotTime sets the slot time, in 10 ms units (CMD_SLOTTIME).
	KISSCmdSlotTime = 0x03
	// KISSCmdTXTail sets the transmit tail, in 10 ms units (CMD_TXTAIL).
	KISSCmdTXTail = 0x04
	// KISSCmdFullDuplex sets full duplex operation (CMD_FULLDUPLEX).
	KISSCmdFullDuplex = 0x05
	// KISSCmdSetHardware carries a hardware-specific setting
	// (CMD_SETHARDWARE).
	KISSCmdSetHardware = 0x06
	// KISSCmdReady is the flow-control command: written by the host to
	// enable flow control, sent by the TNC when it can take the next frame
	// (CMD_READY).
	KISSCmdReady = 0x0F
	// KISSCmdReturn makes the TNC leave KISS mode (CMD_RETURN).
	KISSCmdReturn = 0xFF
	// KISSCmdUnknown is the reference's placeholder for "no command byte
	// read yet" (CMD_UNKNOWN); it never appears on the wire.
	KISSCmdUnknown = 0xFE
)

// AppendKISS appends one KISS frame, FEND || cmd || escaped payload || FEND,
// to dst and returns the extended slice. The command byte is written as is.
// It does not allocate when dst has room for the frame (at most
// 2*len(payload)+3 bytes). Data frames use KISSCmdData.
func AppendKISS(dst []byte, cmd byte, payload []byte) []byte {
	dst = grow(dst, 3+len(payload)+kissSpecials(payload))
	dst = append(dst, KISSFend, cmd)
	dst = appendKISSEscaped(dst, payload)
	return append(dst, KISSFend)
}

// AppendKISSEscape appends the KISS-escaped form of payload to dst, without
// delimiters: each 0xDB becomes 0xDB 0xDD and each 0xC0 becomes 0xDB 0xDC.
func AppendKISSEscape(dst, payload []byte) []byte {
	return appendKISSEscaped(grow(dst, len(payload)+kissSpecials(payload)), payload)
}

func appendKISSEscaped(dst, p []byte) []byte {
	for len(p) > 0 {
		i := 0
		for i < len(p) && p[i] != KISSFend && p[i] != KISSFesc {
			i++
		}
		dst = append(dst, p[:i]...)
		if i == len(p) {
			break
		}
		if p[i] == KISSFend {
			dst = append(dst, KISSFesc, KISSTfend)
		} else {
			dst = append(dst, KISSFesc, KISSTfesc)
		}
		p = p[i+1:]
	}
	return dst
}

// kissSpecials counts the bytes of p that need escaping.
func kissSpecials(p []byte) int {
	return bytes.Count(p, []byte{KISSFend}) + bytes.Count(p, []byte{KISSFesc})
}

// AppendKISSCommand appends a KISS command frame carrying the single
// parameter byte value. The value is escaped like any payload byte; for
// every value other than 0xC0 and 0xDB this is the frame the reference
// KISSInterface writes. (The reference writes those two unescaped, which
// would end the frame early; a KISS TNC unescapes command parameters like
// data, so escaping them is the correct encoding.)
func AppendKISSCommand(dst []byte, cmd, value byte) []byte {
	return AppendKISS(dst, cmd, []byte{value})
}

// KISSTimeUnits converts a duration in milliseconds to the 10 ms units of
// the TXDELAY, SLOTTIME and TXTAIL parameters: truncated towards zero and
// clamped to 0..255, as the reference KISSInterface does.
func KISSTimeUnits(ms int) byte {
	return clampByte(ms / 10)
}

func clampByte(v int) byte {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}

// AppendKISSTXDelay appends the command frame setting the TNC's transmit
// delay (preamble) to ms milliseconds (the reference's setPreamble; 350 ms
// by default there).
func AppendKISSTXDelay(dst []byte, ms int) []byte {
	return AppendKISSCommand(dst, KISSCmdTXDelay, KISSTimeUnits(ms))
}

// AppendKISSTXTail appends the command frame setting the TNC's transmit
// tail to ms milliseconds (setTxTail; 20 ms by default in the reference).
func AppendKISSTXTail(dst []byte, ms int) []byte {
	return AppendKISSCommand(dst, KISSCmdTXTail, KISSTimeUnits(ms))
}

// AppendKISSPersistence appends the command frame setting the TNC's
// p-persistence, clamped to 0..255 (setPersistence; 64 by default in the
// reference).
func AppendKISSPersistence(dst []byte, persistence int) []byte {
	return AppendKISSCommand(dst, KISSCmdPersistence, clampByte(persistence))
}

// AppendKISSSlotTime appends the command frame setting the TNC's slot time
// to ms milliseconds (setSlotTime; 20 ms by default in the reference).
func AppendKISSSlotTime(dst []byte, ms int) []byte {
	return AppendKISSCommand(dst, KISSCmdSlotTime, KISSTimeUnits(ms))
}

// AppendKISSFlowControl appends the command frame enabling flow control
// (KISSCmdReady with parameter 1). The reference's setFlowControl writes
// it whether flow control is configured or not.
func AppendKISSFlowControl(dst []byte) []byte {
	return AppendKISSCommand(dst, KISSCmdReady, 0x01)
}

// KISSDecoder splits a KISS byte stream into (command, payload) frames:
//
//   - bytes before the first FEND are discarded;
//   - every FEND closes the frame in progress and opens the next one;
//     frames with no command byte (two FENDs in a row) are skipped;
//   - the first byte of a frame is the command byte, taken as is (with its
//     high nibble, the TNC port, cleared when StripPort is set);
//   - in the payload, FESC TFEND decodes to FEND and FESC TFESC to FESC;
//     like the reference readers, a FESC before any other byte is dropped
//     and that byte kept, FESC FESC acts as a single FESC, and a FESC right
//     before the closing FEND is dropped;
//   - frames whose decoded payload exceeds MaxFrame are dropped, or cut to
//     their first MaxFrame bytes when Truncate is set.
//
// Unlike the reference readers, the decoder returns frames of every
// command, leaving it to the caller to ignore those it does not handle, and
// lets a data frame's closing FEND open the next frame.
//
// The zero value is ready to use, with DefaultMaxFrame and the port nibble
// kept.
type KISSDecoder struct {
	// MaxFrame is the largest decoded payload accepted, in bytes, not
	// counting the command byte. Zero or less means DefaultMaxFrame. The
	// decoder's buffer never exceeds it.
	MaxFrame int
	// StripPort clears the high nibble (the TNC port) of every command
	// byte, as the reference's TCP and KISS interface readers do. The RNode
	// reader does not: RNode command codes use the whole byte.
	StripPort bool
	// Truncate delivers the first MaxFrame bytes of a longer payload
	// instead of dropping the frame, as the reference's TCP interface KISS
	// reader does (it stops appending at HW_MTU).
	Truncate bool

	frameBuf
	state uint8
	cmd   byte
	esc   bool
}

// KISSDecoder states.
const (
	kissHunt    = iota // before the first FEND
	kissCommand        // after a FEND, waiting for the command byte
	kissPayload        // reading the payload
)

func (d *KISSDecoder) maxFrame() int {
	if d.MaxFrame <= 0 {
		return DefaultMaxFrame
	}
	return d.MaxFrame
}

// Decode consumes p up to and including the FEND that ends the first
// complete frame, and returns the number of bytes consumed with that
// frame's command byte and decoded payload. Call it again with p[n:] until
// p is used up.
//
// Exactly one of three things happens:
//   - a frame completed: payload is non-nil (empty for a frame that carried
//     only its command byte) and err is nil;
//   - a frame was dropped: payload is nil, err is ErrFrameTooLarge, and
//     DroppedLen reports its decoded payload length;
//   - p was used up inside a frame or before the first FEND: n == len(p),
//     payload and err are nil, and the partial frame is kept for the next
//     call.
//
// The payload aliases the decoder's buffer and is valid only until the next
// call to Decode or Reset. Decode never panics and never allocates once its
// buffer has grown to the largest frame seen.
func (d *KISSDecoder) Decode(p []byte) (n int, cmd byte, payload []byte, err error) {
	if d.state == kissHunt {
		j := bytes.IndexByte(p, KISSFend)
		if j < 0 {
			d.stats.Discarded += uint64(len(p))
			return len(p), 0, nil, nil
		}
		d.stats.Discarded += uint64(j)
		d.open()
		n = j + 1
	}
	max := d.maxFrame()
	for n < len(p) {
		c := p[n]
		if c == KISSFend {
			n++
			if d.state == kissPayload {
				cmd, payload, err = d.close(max)
				return n, cmd, payload, err
			}
			d.open()
			continue
		}
		if d.state == kissCommand {
			n++
			if d.StripPort {
				c &= 0x0F
			}
			d.cmd = c
			d.state = kissPayload
			continue
		}
		if d.esc {
			n++
			switch c {
			case KISSTfend:
				d.esc = false
				d.put(KISSFend, max)
			case KISSTfesc:
				d.esc = false
				d.put(KISSFesc, max)
			case KISSFesc:
				// Still escaping.
			default:
				d.esc = false
				d.put(c, max)
			}
			continue
		}
		if c == KISSFesc {
			n++
			d.esc = true
			continue
		}
		// Copy the run of ordinary bytes in one go.
		j := n + 1
		for j < len(p) && p[j] != KISSFend && p[j] != KISSFesc {
			j++
		}
		d.putRun(p[n:j], max)
		n = j
	}
	return n, 0, nil, nil
}

// open starts a new frame, waiting for its command byte.
func (d *KISSDecoder) open() {
	d.state = kissCommand
	d.esc = false
	d.buf = d.buf[:0]
	d.n = 0
}

// close ends the frame in progress, opens the next one and returns the
// finished frame or the reason it was dropped.
func (d *KISSDecoder) close(max int) (byte, []byte, error) {
	n, cmd := d.n, d.cmd
	if d.buf == nil {
		d.buf = make([]byte, 0) // non-nil; the zero-size allocation is free
	}
	frame := d.buf
	d.open()
	if n > max && d.Truncate {
		n = max
	}
	if n > max {
		d.dropLen = n
		d.stats.TooLarge++
		return 0, nil, ErrFrameTooLarge
	}
	d.stats.Frames++
	return cmd, frame[:n], nil
}

// Reset discards any partial frame and waits for the next FEND, as after
// opening the port. It keeps the buffer, the settings and the counters. The
// reference readers do this after a read timeout (100 ms on serial ports).
func (d *KISSDecoder) Reset() {
	d.open()
	d.state = kissHunt
}
