package rnode

import (
	"github.com/mehr-net/mehr/interfaces/framing"
)

// The Append* functions build the host-to-device frames the reference
// RNodeInterface writes, byte for byte. Each appends to dst and returns the
// extended slice, allocating only when dst lacks capacity.

// AppendDetect appends the write the reference sends to detect a device: a
// detect request followed by the firmware version, platform and MCU
// queries, four frames sharing their FENDs:
//
//	C0 08 73 C0 50 00 C0 48 00 C0 49 00 C0
//
// A device answers each with a frame the Parser records in State.
func AppendDetect(dst []byte) []byte {
	return append(dst,
		framing.KISSFend, CmdDetect, DetectReq,
		framing.KISSFend, CmdFWVersion, queryPlaceholder,
		framing.KISSFend, CmdPlatform, queryPlaceholder,
		framing.KISSFend, CmdMCU, queryPlaceholder,
		framing.KISSFend)
}

// AppendLeave appends the frame telling the device the host is leaving.
func AppendLeave(dst []byte) []byte {
	return appendRaw(dst, CmdLeave, LeaveMagic)
}

// AppendHardReset appends the frame that restarts the device. The reference
// waits 2.25 s after writing it before talking to the device again.
func AppendHardReset(dst []byte) []byte {
	return appendRaw(dst, CmdReset, ResetMagic)
}

// AppendFrequency appends the frame setting the carrier frequency, in Hz,
// as a KISS-escaped big-endian uint32.
func AppendFrequency(dst []byte, hz uint32) []byte {
	return appendUint32(dst, CmdFrequency, hz)
}

// AppendBandwidth appends the frame setting the channel bandwidth, in Hz,
// as a KISS-escaped big-endian uint32.
func AppendBandwidth(dst []byte, hz uint32) []byte {
	return appendUint32(dst, CmdBandwidth, hz)
}

// AppendTXPower appends the frame setting the transmit power, in dBm. Like
// all single-byte parameters it is written raw (the firmware reads it
// raw); valid values (0..TXPowerMax) never need escaping.
func AppendTXPower(dst []byte, dbm uint8) []byte {
	return appendRaw(dst, CmdTXPower, dbm)
}

// AppendSpreadingFactor appends the frame setting the LoRa spreading
// factor (SFMin..SFMax), written raw.
func AppendSpreadingFactor(dst []byte, sf uint8) []byte {
	return appendRaw(dst, CmdSF, sf)
}

// AppendCodingRate appends the frame setting the LoRa coding rate
// denominator (CRMin..CRMax for 4/5..4/8), written raw.
func AppendCodingRate(dst []byte, cr uint8) []byte {
	return appendRaw(dst, CmdCR, cr)
}

// AppendRadioState appends the frame switching the radio on or off
// (RadioStateOn, RadioStateOff) or asking for its state (RadioStateAsk),
// written raw.
func AppendRadioState(dst []byte, state uint8) []byte {
	return appendRaw(dst, CmdRadioState, state)
}

// AppendSTALock appends the frame setting the short-term airtime limit to
// percent (of the time the radio may transmit).
// See AirtimeLockValue for the encoding.
func AppendSTALock(dst []byte, percent float64) []byte {
	return appendUint16(dst, CmdSTALock, AirtimeLockValue(percent))
}

// AppendLTALock appends the frame setting the long-term airtime limit to
// percent. See AirtimeLockValue for the encoding.
func AppendLTALock(dst []byte, percent float64) []byte {
	return appendUint16(dst, CmdLTALock, AirtimeLockValue(percent))
}

// AirtimeLockValue converts an airtime limit in percent to the uint16 the
// device expects: hundredths of a percent, truncated as the reference's
// int(percent*100) does, so 0.29 % becomes 28 (0.29*100 is
// 28.999999999999996 in binary floating point). The value is then sent
// KISS-escaped, big endian. Percentages outside 0..100, and NaN, are
// clamped into that range (the reference refuses such a configuration).
func AirtimeLockValue(percent float64) uint16 {
	switch {
	case !(percent >= 0): // negative or NaN
		return 0
	case percent > 100:
		percent = 100
	}
	return uint16(percent * 100)
}

// AppendData appends a data frame carrying payload, KISS-escaped. The
// firmware splits payloads over LoRa frames itself; payload should be at
// most DataMTU bytes.
func AppendData(dst, payload []byte) []byte {
	return framing.AppendKISS(dst, CmdData, payload)
}

// AppendFBExt appends the frame enabling or disabling the external
// framebuffer on devices with a display.
func AppendFBExt(dst []byte, enable bool) []byte {
	var v byte
	if enable {
		v = 0x01
	}
	return appendRaw(dst, CmdFBExt, v)
}

// AppendFBWrite appends the frame writing one line of the external
// framebuffer: the line number followed by the line's pixels, escaped.
func AppendFBWrite(dst []byte, line uint8, pixels []byte) []byte {
	dst = append(dst, framing.KISSFend, CmdFBWrite)
	dst = framing.AppendKISSEscape(dst, []byte{line})
	dst = framing.AppendKISSEscape(dst, pixels)
	return append(dst, framing.KISSFend)
}

// AppendFBRead appends the frame asking for the framebuffer contents; the
// device answers with a CmdFBRead frame.
func AppendFBRead(dst []byte) []byte {
	return appendRaw(dst, CmdFBRead, 0x01)
}

// AppendDispRead appends the frame asking for the display contents; the
// device answers with a CmdDispRead frame.
func AppendDispRead(dst []byte) []byte {
	return appendRaw(dst, CmdDispRead, 0x01)
}

// appendRaw appends a frame with one unescaped parameter byte.
func appendRaw(dst []byte, cmd, v byte) []byte {
	return append(dst, framing.KISSFend, cmd, v, framing.KISSFend)
}

func appendUint32(dst []byte, cmd byte, v uint32) []byte {
	b := [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return framing.AppendKISS(dst, cmd, b[:])
}

func appendUint16(dst []byte, cmd byte, v uint16) []byte {
	b := [2]byte{byte(v >> 8), byte(v)}
	return framing.AppendKISS(dst, cmd, b[:])
}

// AppendInitRadio appends the frames the reference writes to configure a
// detected device (initRadio): frequency, bandwidth, TX power, spreading
// factor, coding rate, the airtime limits that are set, and radio on. It
// does not validate c; call Validate first.
func AppendInitRadio(dst []byte, c *Config) []byte {
	dst = AppendFrequency(dst, c.Frequency)
	dst = AppendBandwidth(dst, c.Bandwidth)
	dst = AppendTXPower(dst, c.TXPower)
	dst = AppendSpreadingFactor(dst, c.SpreadingFactor)
	dst = AppendCodingRate(dst, c.CodingRate)
	if c.STALock != nil {
		dst = AppendSTALock(dst, *c.STALock)
	}
	if c.LTALock != nil {
		dst = AppendLTALock(dst, *c.LTALock)
	}
	return AppendRadioState(dst, RadioStateOn)
}
