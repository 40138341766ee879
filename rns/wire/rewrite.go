package wire

// Transport changes a packet in flight only by rewriting its header bytes;
// the hashable part, and so the packet hash, never changes. These functions
// perform the rewrites the reference's transport performs (RNS/Transport.py
// outbound and inbound forwarding), on packets without IFAC bytes. Each
// appends the rewritten packet to dst and does not modify raw.

// AppendInsertTransport turns a HEADER_1 packet into the HEADER_2 form a
// sender emits when its path to the destination is more than one hop: the
// flags become HEADER_2 with propagation TRANSPORT and the low nibble kept
// (so the IFAC and context flags are cleared), the hops byte is kept, and
// transportID (the next hop) is inserted before the destination.
func AppendInsertTransport(dst, raw []byte, transportID Hash) ([]byte, error) {
	if len(raw) < HeaderMinSize {
		return dst, ErrShort
	}
	if raw[offFlags]&flagHeader2 != 0 {
		return dst, ErrHeaderType
	}
	flags := flagHeader2 | flagTransport | raw[offFlags]&maskHashable
	dst = append(dst, flags, raw[offHops])
	dst = append(dst, transportID[:]...)
	return append(dst, raw[offAddr1:]...), nil
}

// AppendForward rewrites a HEADER_2 packet for the next transport hop: the
// flags byte is kept as received, hops is set to hops, and the transport ID
// is replaced by nextHop.
func AppendForward(dst, raw []byte, nextHop Hash, hops uint8) ([]byte, error) {
	if err := checkHeader2(raw); err != nil {
		return dst, err
	}
	dst = append(dst, raw[offFlags], hops)
	dst = append(dst, nextHop[:]...)
	return append(dst, raw[offAddr2:]...), nil
}

// AppendStripTransport turns a HEADER_2 packet into the HEADER_1 form the
// last transport node sends to a directly reachable destination: the flags
// become HEADER_1 with propagation BROADCAST and the low nibble kept (so
// the context flag is cleared), hops is set to hops, and the transport ID
// is removed.
func AppendStripTransport(dst, raw []byte, hops uint8) ([]byte, error) {
	if err := checkHeader2(raw); err != nil {
		return dst, err
	}
	dst = append(dst, raw[offFlags]&maskHashable, hops)
	return append(dst, raw[offAddr2:]...), nil
}

// SetHops overwrites the hops byte of raw in place.
func SetHops(raw []byte, hops uint8) error {
	if len(raw) < HeaderMinSize {
		return ErrShort
	}
	raw[offHops] = hops
	return nil
}

func checkHeader2(raw []byte) error {
	if len(raw) < HeaderMinSize {
		return ErrShort
	}
	if raw[offFlags]&flagHeader2 == 0 {
		return ErrHeaderType
	}
	if len(raw) < HeaderMaxSize {
		return ErrShort
	}
	return nil
}
