package rnode

import (
	"errors"
	"strconv"

	"github.com/mehr-net/mehr/interfaces/framing"
)

// ErrShortPayload reports a status frame too short for the value its
// command carries (a frequency report with fewer than 4 bytes, say). The
// frame is dropped and State is left unchanged.
var ErrShortPayload = errors.New("rnode: status frame payload too short")

// Field names one value of State or Frame. A Known set records which
// values the device has reported.
type Field uint32

// Fields of State and Frame. The list is append-only.
const (
	FieldDetect       Field = 1 << iota // Detected
	FieldFirmware                       // FirmwareMajor, FirmwareMinor
	FieldPlatform                       // Platform
	FieldMCU                            // MCU
	FieldFrequency                      // Frequency
	FieldBandwidth                      // Bandwidth
	FieldTXPower                        // TXPower
	FieldSF                             // SpreadingFactor
	FieldCR                             // CodingRate
	FieldRadioState                     // RadioState
	FieldRadioLock                      // RadioLock
	FieldSTALock                        // STALock
	FieldLTALock                        // LTALock
	FieldRSSI                           // RSSI
	FieldSNR                            // SNR
	FieldLinkQuality                    // LinkQuality
	FieldRXPackets                      // RXPackets
	FieldTXPackets                      // TXPackets
	FieldBattery                        // BatteryState, BatteryPercent
	FieldTemperature                    // Temperature (absent when out of range)
	FieldChannel                        // Channel, except Interference
	FieldInterference                   // Channel.Interference
	FieldPHY                            // PHY
	FieldCSMA                           // CSMA
	FieldRandom                         // Random
	FieldError                          // LastError
)

// State is what a device has reported about itself, latest value first
// wins. Known records which fields have been reported; a field not in Known
// holds its zero value.
type State struct {
	// Known is the set of fields the device has reported.
	Known Field

	// Detected is true when the device answered the detect request with
	// DetectResp.
	Detected bool
	// FirmwareMajor and FirmwareMinor are the firmware version, shown as
	// major.minor with the minor in decimal (1.52 is 1 and 52).
	FirmwareMajor, FirmwareMinor uint8
	// Platform is the hardware platform (PlatformAVR, PlatformESP32,
	// PlatformNRF52, ...).
	Platform uint8
	// MCU is the microcontroller type.
	MCU uint8

	// Frequency is the carrier frequency in Hz.
	Frequency uint32
	// Bandwidth is the channel bandwidth in Hz.
	Bandwidth uint32
	// TXPower is the transmit power in dBm.
	TXPower uint8
	// SpreadingFactor is the LoRa spreading factor.
	SpreadingFactor uint8
	// CodingRate is the LoRa coding rate denominator.
	CodingRate uint8
	// RadioState is RadioStateOn or RadioStateOff.
	RadioState uint8
	// RadioLock is the radio lock byte.
	RadioLock uint8
	// STALock and LTALock are the short- and long-term airtime limits in
	// percent.
	STALock, LTALock float64

	// RSSI is the signal strength of the last received packet, in dBm.
	RSSI int
	// SNR is the signal-to-noise ratio of the last received packet, in dB.
	SNR float64
	// LinkQuality is the last packet's SNR placed between the worst and
	// best SNR usable at the current spreading factor, as a percentage
	// rounded to one decimal (see LinkQuality).
	LinkQuality float64

	// RXPackets and TXPackets are the device's packet counters.
	RXPackets, TXPackets uint32

	// BatteryState is one of the Battery* constants.
	BatteryState uint8
	// BatteryPercent is the battery charge, 0..100.
	BatteryPercent uint8
	// Temperature is the device temperature in °C, -30..90. A report
	// outside that range removes FieldTemperature from Known.
	Temperature int

	// Channel holds the channel statistics.
	Channel ChannelStats
	// PHY holds the modulation timing.
	PHY PHYParams
	// CSMA holds the contention window settings.
	CSMA CSMAParams

	// Random is the last random byte the device sent.
	Random uint8
	// LastError is the last error the device reported.
	LastError DeviceError
}

// ChannelStats are the channel statistics of a CmdStatChannel report.
type ChannelStats struct {
	// AirtimeShort and AirtimeLong are the device's own airtime use over the
	// short and long window, in percent.
	AirtimeShort, AirtimeLong float64
	// LoadShort and LoadLong are the channel load over the short and long
	// window, in percent.
	LoadShort, LoadLong float64
	// CurrentRSSI is the current channel RSSI in dBm.
	CurrentRSSI int
	// NoiseFloor is the noise floor in dBm.
	NoiseFloor int
	// Interference is the detected interference level in dBm; valid only
	// while FieldInterference is known.
	Interference int
}

// PHYParams are the modulation timing values of a CmdStatPHY report.
type PHYParams struct {
	// SymbolTime is the LoRa symbol time in milliseconds.
	SymbolTime float64
	// SymbolRate is the symbol rate in baud.
	SymbolRate uint16
	// PreambleSymbols is the preamble length in symbols.
	PreambleSymbols uint16
	// PreambleTime is the preamble duration in milliseconds.
	PreambleTime uint16
	// CSMASlotTime is the CSMA slot time in milliseconds.
	CSMASlotTime uint16
	// DIFS is the DIFS time in milliseconds.
	DIFS uint16
}

// CSMAParams are the contention window settings of a CmdStatCSMA report.
type CSMAParams struct {
	// Band is the contention window band.
	Band uint8
	// Min and Max are the minimum and maximum contention window.
	Min, Max uint8
}

// Has reports whether all of fields are known.
func (s *State) Has(fields Field) bool { return s.Known&fields == fields }

// FirmwareSupported reports whether the reported firmware is at least
// RequiredFirmwareMajor.RequiredFirmwareMinor. The reference refuses to run
// with older firmware.
func (s *State) FirmwareSupported() bool {
	if !s.Has(FieldFirmware) {
		return false
	}
	return s.FirmwareMajor > RequiredFirmwareMajor ||
		s.FirmwareMajor == RequiredFirmwareMajor && s.FirmwareMinor >= RequiredFirmwareMinor
}

// Bitrate returns the on-air bitrate in bits per second implied by the
// reported spreading factor, coding rate and bandwidth, computed as the
// reference does. ok is false until all three are known and non-zero.
func (s *State) Bitrate() (bps float64, ok bool) {
	if !s.Has(FieldSF|FieldCR|FieldBandwidth) || s.CodingRate == 0 || s.Bandwidth == 0 || s.SpreadingFactor > 63 {
		return 0, false
	}
	return LoRaBitrate(s.Bandwidth, s.SpreadingFactor, s.CodingRate), true
}

// LinkQuality maps snr (dB) to a link quality percentage for spreading
// factor sf, as the reference does: the usable SNR span runs from
// -9 - 2*(sf-7) dB to +6 dB, the result is rounded to one decimal (half
// to even on exact ties, like Python's round) and clamped to 0..100.
func LinkQuality(snr float64, sf uint8) float64 {
	const (
		minBase = -9 // Q_SNR_MIN_BASE
		maxSNR  = 6  // Q_SNR_MAX
		step    = 2  // Q_SNR_STEP
	)
	lo := minBase - (int(sf)-7)*step
	span := maxSNR - lo
	q := roundTenth(((snr - float64(lo)) / float64(span)) * 100)
	if q > 100 {
		q = 100
	}
	if q < 0 {
		q = 0
	}
	return q
}

// roundTenth rounds x to one decimal exactly as Python's round(x, 1): the
// correctly rounded decimal digits, converted back to the nearest float.
func roundTenth(x float64) float64 {
	var b [32]byte
	s := strconv.AppendFloat(b[:0], x, 'f', 1, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var tenths float64
	for _, c := range s {
		if c >= '0' && c <= '9' {
			tenths = tenths*10 + float64(c-'0')
		}
	}
	if tenths > 1<<53 { // not an integer count of tenths any more
		return x
	}
	if neg {
		tenths = -tenths
	}
	return tenths / 10
}

// Frame is one frame from the device, as Parser.Decode returns it.
type Frame struct {
	// Command is the frame's command byte (CmdData for received packets).
	Command byte
	// Payload is the unescaped payload: the received packet for a data
	// frame. It aliases the parser's buffer and is valid only until the
	// next call to Decode or Reset.
	Payload []byte
	// RSSI, SNR and LinkQuality are the signal values the device reported
	// just before this data frame; Known says which of them it reported.
	RSSI        int
	SNR         float64
	LinkQuality float64
	// Known is a subset of FieldRSSI, FieldSNR and FieldLinkQuality.
	Known Field
}

// Stats counts what a Parser has seen.
type Stats struct {
	// Frames is the number of frames returned, DataFrames the number of
	// those that were data frames.
	Frames, DataFrames uint64
	// TooLarge counts frames dropped for exceeding MaxFrame, or DataMTU
	// for data frames.
	TooLarge uint64
	// ShortPayload counts status frames dropped with ErrShortPayload.
	ShortPayload uint64
	// Empty counts data frames without payload, which are skipped.
	Empty uint64
	// Discarded counts bytes seen outside any frame.
	Discarded uint64
}

// Parser parses the byte stream from an RNode. Feed it every chunk read
// from the device with Decode; it keeps partial frames between calls, keeps
// State up to date, and returns each complete frame.
//
// The zero value is ready to use. A Parser is not safe for concurrent use.
type Parser struct {
	// State is what the device has reported so far. The owner may read it
	// between calls to Decode, and may reset it (State = rnode.State{})
	// when the device is reopened, as the reference does before detection.
	State State

	dec   framing.KISSDecoder
	sig   Frame // signal values waiting for the next data frame
	stats Stats
}

// Decode consumes b up to and including the FEND that ends the first
// complete frame, applies that frame to State, and returns the number of
// bytes consumed with the frame. Call it again with b[n:] until b is used
// up; a frame split across chunks completes on a later call.
//
// Exactly one of three things happens:
//   - a frame completed: f.Payload is non-nil and err is nil. For a data
//     frame (f.Command == CmdData) f carries the signal values reported
//     since the previous data frame. Any other frame has already been
//     applied to State; the caller acts on those it cares about (CmdReady
//     for flow control, CmdError, CmdReset, CmdFBRead, CmdDispRead).
//   - a frame was dropped: f is zero and err is framing.ErrFrameTooLarge
//     or ErrShortPayload.
//   - b was used up without completing a frame: n == len(b), f is zero and
//     err is nil.
//
// Decode never panics, and does not allocate once its buffer has grown to
// the largest frame seen.
func (p *Parser) Decode(b []byte) (n int, f Frame, err error) {
	if p.dec.MaxFrame == 0 {
		p.dec.MaxFrame = MaxFrame
	}
	for n < len(b) {
		m, cmd, payload, err := p.dec.Decode(b[n:])
		n += m
		if err != nil {
			p.stats.TooLarge++
			return n, Frame{}, err
		}
		if payload == nil {
			continue // b is used up
		}
		if cmd == CmdData {
			if len(payload) == 0 {
				p.stats.Empty++
				continue
			}
			if len(payload) > DataMTU {
				p.stats.TooLarge++
				return n, Frame{}, framing.ErrFrameTooLarge
			}
			f = p.sig
			f.Command, f.Payload = cmd, payload
			p.sig = Frame{}
			p.stats.Frames++
			p.stats.DataFrames++
			return n, f, nil
		}
		if err := p.apply(cmd, payload); err != nil {
			p.stats.ShortPayload++
			return n, Frame{}, err
		}
		p.stats.Frames++
		return n, Frame{Command: cmd, Payload: payload}, nil
	}
	return n, Frame{}, nil
}

// need maps each status command that carries a value to the payload length
// it needs. Extra bytes are ignored, as the reference ignores them.
var need = [256]uint8{
	CmdDetect:      1,
	CmdFWVersion:   2,
	CmdPlatform:    1,
	CmdMCU:         1,
	CmdFrequency:   4,
	CmdBandwidth:   4,
	CmdTXPower:     1,
	CmdSF:          1,
	CmdCR:          1,
	CmdRadioState:  1,
	CmdRadioLock:   1,
	CmdSTALock:     2,
	CmdLTALock:     2,
	CmdStatRX:      4,
	CmdStatTX:      4,
	CmdStatRSSI:    1,
	CmdStatSNR:     1,
	CmdStatChannel: 11,
	CmdStatPHY:     12,
	CmdStatCSMA:    3,
	CmdStatBattery: 2,
	CmdStatTemp:    1,
	CmdRandom:      1,
	CmdError:       1,
}

// apply records a status frame in State.
func (p *Parser) apply(cmd byte, v []byte) error {
	if len(v) < int(need[cmd]) {
		return ErrShortPayload
	}
	s := &p.State
	var known Field
	switch cmd {
	case CmdDetect:
		s.Detected = v[0] == DetectResp
		known = FieldDetect
	case CmdFWVersion:
		s.FirmwareMajor, s.FirmwareMinor = v[0], v[1]
		known = FieldFirmware
	case CmdPlatform:
		s.Platform = v[0]
		known = FieldPlatform
	case CmdMCU:
		s.MCU = v[0]
		known = FieldMCU
	case CmdFrequency:
		s.Frequency = be32(v)
		known = FieldFrequency
	case CmdBandwidth:
		s.Bandwidth = be32(v)
		known = FieldBandwidth
	case CmdTXPower:
		s.TXPower = v[0]
		known = FieldTXPower
	case CmdSF:
		s.SpreadingFactor = v[0]
		known = FieldSF
	case CmdCR:
		s.CodingRate = v[0]
		known = FieldCR
	case CmdRadioState:
		s.RadioState = v[0]
		known = FieldRadioState
	case CmdRadioLock:
		s.RadioLock = v[0]
		known = FieldRadioLock
	case CmdSTALock:
		s.STALock = float64(be16(v)) / 100
		known = FieldSTALock
	case CmdLTALock:
		s.LTALock = float64(be16(v)) / 100
		known = FieldLTALock
	case CmdStatRX:
		s.RXPackets = be32(v)
		known = FieldRXPackets
	case CmdStatTX:
		s.TXPackets = be32(v)
		known = FieldTXPackets
	case CmdStatRSSI:
		s.RSSI = int(v[0]) - RSSIOffset
		p.sig.RSSI = s.RSSI
		p.sig.Known |= FieldRSSI
		known = FieldRSSI
	case CmdStatSNR:
		s.SNR = float64(int8(v[0])) * 0.25
		p.sig.SNR = s.SNR
		p.sig.Known |= FieldSNR
		known = FieldSNR
		// The quality scale depends on the spreading factor; the
		// reference skips it until the device has reported one.
		if s.Has(FieldSF) {
			s.LinkQuality = LinkQuality(s.SNR, s.SpreadingFactor)
			p.sig.LinkQuality = s.LinkQuality
			p.sig.Known |= FieldLinkQuality
			known |= FieldLinkQuality
		}
	case CmdStatChannel:
		c := &s.Channel
		c.AirtimeShort = float64(be16(v[0:])) / 100
		c.AirtimeLong = float64(be16(v[2:])) / 100
		c.LoadShort = float64(be16(v[4:])) / 100
		c.LoadLong = float64(be16(v[6:])) / 100
		c.CurrentRSSI = int(v[8]) - RSSIOffset
		c.NoiseFloor = int(v[9]) - RSSIOffset
		known = FieldChannel
		if v[10] == 0xFF { // no interference
			c.Interference = 0
			s.Known &^= FieldInterference
		} else {
			c.Interference = int(v[10]) - RSSIOffset
			known |= FieldInterference
		}
	case CmdStatPHY:
		s.PHY = PHYParams{
			SymbolTime:      float64(be16(v[0:])) / 1000,
			SymbolRate:      be16(v[2:]),
			PreambleSymbols: be16(v[4:]),
			PreambleTime:    be16(v[6:]),
			CSMASlotTime:    be16(v[8:]),
			DIFS:            be16(v[10:]),
		}
		known = FieldPHY
	case CmdStatCSMA:
		s.CSMA = CSMAParams{Band: v[0], Min: v[1], Max: v[2]}
		known = FieldCSMA
	case CmdStatBattery:
		s.BatteryState = v[0]
		s.BatteryPercent = min(v[1], 100)
		known = FieldBattery
	case CmdStatTemp:
		t := int(v[0]) - TemperatureOffset
		if t >= -30 && t <= 90 {
			s.Temperature = t
			known = FieldTemperature
		} else {
			s.Temperature = 0
			s.Known &^= FieldTemperature
		}
	case CmdRandom:
		s.Random = v[0]
		known = FieldRandom
	case CmdError:
		s.LastError = DeviceError(v[0])
		known = FieldError
	}
	s.Known |= known
	return nil
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Stats returns the parser's counters; Discarded comes from its decoder.
func (p *Parser) Stats() Stats {
	s := p.stats
	s.Discarded = p.dec.Stats().Discarded
	return s
}

// Reset discards any partial frame and pending signal values and waits for
// the next FEND; State is kept. The reference does this when a frame
// stalls for longer than its read timeout.
func (p *Parser) Reset() {
	p.dec.Reset()
	p.sig = Frame{}
}
