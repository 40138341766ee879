package sim

import (
	"math"
	"time"
)

// Modulation is a LoRa physical-layer setting: everything that decides
// how long a frame occupies the channel.
type Modulation struct {
	// Bandwidth is the channel bandwidth in Hz.
	Bandwidth uint32
	// SpreadingFactor is the LoRa spreading factor, 5..12.
	SpreadingFactor uint8
	// CodingRate is the coding rate denominator, 5..8 (4/5..4/8).
	CodingRate uint8
	// Preamble is the programmed preamble length in symbols.
	Preamble int
	// ImplicitHeader leaves out the explicit PHY header (RNodes use
	// explicit headers).
	ImplicitHeader bool
	// NoCRC leaves out the payload CRC (RNodes enable it).
	NoCRC bool
}

// SymbolTime is the duration of one LoRa symbol, 2^SF / BW.
func (m Modulation) SymbolTime() time.Duration {
	return time.Duration(m.symbolSeconds() * float64(time.Second))
}

func (m Modulation) symbolSeconds() float64 {
	if m.Bandwidth == 0 {
		return 0
	}
	return math.Ldexp(1, int(m.SpreadingFactor)) / float64(m.Bandwidth)
}

// LowDataRateOptimize reports whether the modem needs low data rate
// optimisation: symbols longer than 16 ms, as Semtech requires (SF11 and
// SF12 at 125 kHz, for instance).
func (m Modulation) LowDataRateOptimize() bool { return m.symbolSeconds() > 0.016 }

// Symbols returns the number of symbols a frame carrying payload bytes
// occupies, preamble included, by Semtech's time-on-air formula (SX127x
// and SX126x datasheets, "LoRa time-on-air"):
//
//	SF7..SF12: preamble + 4.25 + 8 +
//	           ceil(max(8*PL - 4*SF + 8 + 16*CRC + 20*H, 0) / (4*(SF - 2*DE))) * CR
//	SF5, SF6:  preamble + 6.25 + 8 +
//	           ceil(max(8*PL - 4*SF + 16*CRC + 20*H, 0) / (4*SF)) * CR
//
// where PL is the payload length, CRC is 1 with a payload CRC, H is 1 with
// an explicit header, DE is 1 with low data rate optimisation and CR is the
// coding rate denominator (5..8).
func (m Modulation) Symbols(payload int) float64 {
	sf := int(m.SpreadingFactor)
	crc, hdr, de := 16, 20, 0
	if m.NoCRC {
		crc = 0
	}
	if m.ImplicitHeader {
		hdr = 0
	}
	pre := float64(m.Preamble) + 4.25
	bits := 8*payload - 4*sf + 8 + crc + hdr
	if sf < 7 {
		pre = float64(m.Preamble) + 6.25
		bits = 8*payload - 4*sf + crc + hdr
	} else if m.LowDataRateOptimize() {
		de = 1
	}
	per := 4 * (sf - 2*de)
	if per <= 0 {
		return 0
	}
	blocks := 0
	if bits > 0 {
		blocks = (bits + per - 1) / per
	}
	return pre + 8 + float64(blocks*int(m.CodingRate))
}

// TimeOnAir returns how long one LoRa frame carrying payload bytes occupies
// the channel.
func (m Modulation) TimeOnAir(payload int) time.Duration {
	return time.Duration(m.Symbols(payload) * m.symbolSeconds() * float64(time.Second))
}

// Frame sizes of the RNode firmware's radio framing: every LoRa frame
// starts with a one-byte header (sequence number and split flag), and a
// packet longer than singleMTU-headerLen bytes is split over two frames.
const (
	singleMTU = 255
	headerLen = 1
)

// PacketAirtime returns how long an RNode occupies the channel to send a
// packet of n bytes: one LoRa frame with the firmware's header byte, or two
// for packets longer than 254 bytes.
func (m Modulation) PacketAirtime(n int) time.Duration {
	if n <= singleMTU-headerLen {
		return m.TimeOnAir(n + headerLen)
	}
	first := singleMTU - headerLen
	return m.TimeOnAir(first+headerLen) + m.TimeOnAir(n-first+headerLen)
}
