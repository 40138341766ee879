package tcp

// HWMTU is the reference's class-level TCPInterface.HW_MTU. The reference
// (and this package, see AutoMTU) replaces it right after construction with
// an MTU derived from the bitrate unless the MTU is fixed; it stays the
// bound for framed reads of a connection whose MTU is not configured.
const HWMTU = 262144

// TierMTU is the reference's Interface.optimise_mtu table: the hardware MTU
// for bitrate, or false below 62.5 kbit/s, where the reference sets none.
func TierMTU(bitrate int64) (int, bool) {
	switch {
	case bitrate >= 1_000_000_000:
		return 524288, true
	case bitrate > 750_000_000:
		return 262144, true
	case bitrate > 400_000_000:
		return 131072, true
	case bitrate > 200_000_000:
		return 65536, true
	case bitrate > 100_000_000:
		return 32768, true
	case bitrate > 10_000_000:
		return 16384, true
	case bitrate > 5_000_000:
		return 8192, true
	case bitrate > 2_000_000:
		return 4096, true
	case bitrate > 1_000_000:
		return 2048, true
	case bitrate > 62_500:
		return 1024, true
	}
	return 0, false
}

// The reference's BackboneInterface (a listener) and
// BackboneClientInterface speak the same HDLC-framed TCP as its TCP
// interfaces, with a larger class-level hardware MTU and faster bitrate
// guesses; a Backbone is a Server or Client configured with these
// bitrates (from which the MTU follows, as in the reference).
const (
	BackboneHWMTU         = 1048576
	BackboneBitrate       = 1_000_000_000
	BackboneClientBitrate = 100_000_000
)
