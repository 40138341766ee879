package rnode

// Command codes: the first byte of every RNode KISS frame, in both
// directions. Names follow the reference's KISS class in RNodeInterface.py
// (CMD_*). The list is append-only.
const (
	CmdData          = 0x00 // CMD_DATA: a data frame
	CmdFrequency     = 0x01 // CMD_FREQUENCY: uint32 Hz, big endian
	CmdBandwidth     = 0x02 // CMD_BANDWIDTH: uint32 Hz, big endian
	CmdTXPower       = 0x03 // CMD_TXPOWER: one byte, dBm
	CmdSF            = 0x04 // CMD_SF: one byte, spreading factor
	CmdCR            = 0x05 // CMD_CR: one byte, coding rate denominator (4/x)
	CmdRadioState    = 0x06 // CMD_RADIO_STATE: one byte, RadioState*
	CmdRadioLock     = 0x07 // CMD_RADIO_LOCK: one byte
	CmdDetect        = 0x08 // CMD_DETECT: DetectReq from the host, DetectResp from the device
	CmdLeave         = 0x0A // CMD_LEAVE: the host is disconnecting
	CmdSTALock       = 0x0B // CMD_ST_ALOCK: short-term airtime limit, uint16 hundredths of a percent
	CmdLTALock       = 0x0C // CMD_LT_ALOCK: long-term airtime limit, uint16 hundredths of a percent
	CmdReady         = 0x0F // CMD_READY: flow control, the device can take the next frame
	CmdStatRX        = 0x21 // CMD_STAT_RX: uint32 received packet count
	CmdStatTX        = 0x22 // CMD_STAT_TX: uint32 transmitted packet count
	CmdStatRSSI      = 0x23 // CMD_STAT_RSSI: RSSI of the next data frame, byte - RSSIOffset
	CmdStatSNR       = 0x24 // CMD_STAT_SNR: SNR of the next data frame, int8 quarter dB
	CmdStatChannel   = 0x25 // CMD_STAT_CHTM: airtime, channel load, noise (11 bytes)
	CmdStatPHY       = 0x26 // CMD_STAT_PHYPRM: modulation timing parameters (12 bytes)
	CmdStatBattery   = 0x27 // CMD_STAT_BAT: battery state and percent
	CmdStatCSMA      = 0x28 // CMD_STAT_CSMA: contention window band, min, max
	CmdStatTemp      = 0x29 // CMD_STAT_TEMP: temperature, byte - 120 °C
	CmdBlink         = 0x30 // CMD_BLINK
	CmdRandom        = 0x40 // CMD_RANDOM: one random byte
	CmdFBExt         = 0x41 // CMD_FB_EXT: external framebuffer on/off
	CmdFBRead        = 0x42 // CMD_FB_READ: framebuffer contents (512 bytes)
	CmdFBWrite       = 0x43 // CMD_FB_WRITE: line number and framebuffer line
	CmdBTCtrl        = 0x46 // CMD_BT_CTRL: Bluetooth control
	CmdPlatform      = 0x48 // CMD_PLATFORM: one byte, Platform*
	CmdMCU           = 0x49 // CMD_MCU: one byte, MCU type
	CmdFWVersion     = 0x50 // CMD_FW_VERSION: major and minor version bytes
	CmdROMRead       = 0x51 // CMD_ROM_READ: EEPROM contents
	CmdReset         = 0x55 // CMD_RESET: ResetMagic resets the device, or reports a reset
	CmdDispRead      = 0x66 // CMD_DISP_READ: display contents (1024 bytes)
	CmdError         = 0x90 // CMD_ERROR: one byte, a DeviceError code
	CmdUnknown       = 0xFE // CMD_UNKNOWN: the reference's "no command yet"; never on the wire
	DetectReq        = 0x73 // DETECT_REQ: the CmdDetect parameter the host sends
	DetectResp       = 0x46 // DETECT_RESP: the CmdDetect parameter an RNode answers with
	RadioStateOff    = 0x00 // RADIO_STATE_OFF
	RadioStateOn     = 0x01 // RADIO_STATE_ON
	RadioStateAsk    = 0xFF // RADIO_STATE_ASK: query the state without changing it
	PlatformAVR      = 0x90 // PLATFORM_AVR
	PlatformESP32    = 0x80 // PLATFORM_ESP32
	PlatformNRF52    = 0x70 // PLATFORM_NRF52
	ResetMagic       = 0xF8 // the CmdReset parameter of a hard reset
	LeaveMagic       = 0xFF // the CmdLeave parameter the reference sends
	queryPlaceholder = 0x00 // the parameter of the version, platform and MCU queries
)

// Protocol limits and conversions of the reference RNodeInterface.
const (
	// DataMTU is the largest data frame payload, in bytes (HW_MTU).
	DataMTU = 508
	// RSSIOffset is subtracted from a reported RSSI byte to get dBm
	// (RSSI_OFFSET).
	RSSIOffset = 157
	// TemperatureOffset is subtracted from a reported temperature byte to
	// get °C.
	TemperatureOffset = 120
	// RequiredFirmwareMajor and RequiredFirmwareMinor are the oldest
	// firmware version the host driver supports (REQUIRED_FW_VER_MAJ,
	// REQUIRED_FW_VER_MIN): 1.52.
	RequiredFirmwareMajor = 1
	RequiredFirmwareMinor = 52
	// FrequencyMin and FrequencyMax bound the configurable frequency, in Hz
	// (FREQ_MIN, FREQ_MAX).
	FrequencyMin = 137000000
	FrequencyMax = 3000000000
	// BandwidthMin and BandwidthMax bound the configurable bandwidth, in Hz.
	BandwidthMin = 7800
	BandwidthMax = 1625000
	// TXPowerMax is the highest configurable transmit power, in dBm.
	TXPowerMax = 37
	// SFMin and SFMax bound the spreading factor.
	SFMin = 5
	SFMax = 12
	// CRMin and CRMax bound the coding rate denominator.
	CRMin = 5
	CRMax = 8
	// fbReadSize and dispReadSize are the sizes of the framebuffer and
	// display dumps, the largest frames a device sends.
	fbReadSize   = 512
	dispReadSize = 1024
	// MaxFrame is the largest decoded payload the parser accepts for any
	// command: the display dump.
	MaxFrame = dispReadSize
)

// Battery states reported with CmdStatBattery (BATTERY_STATE_*).
const (
	BatteryUnknown     = 0x00
	BatteryDischarging = 0x01
	BatteryCharging    = 0x02
	BatteryCharged     = 0x03
)

// DeviceError is an error code a device reports with CmdError. It
// implements error, so its constants work with errors.Is.
type DeviceError uint8

// Device error codes (ERROR_*). The list is append-only.
const (
	ErrInitRadio    DeviceError = 0x01 // ERROR_INITRADIO: the radio failed to start
	ErrTXFailed     DeviceError = 0x02 // ERROR_TXFAILED: a transmission failed
	ErrEEPROMLocked DeviceError = 0x03 // ERROR_EEPROM_LOCKED
	ErrQueueFull    DeviceError = 0x04 // ERROR_QUEUE_FULL: the device dropped a frame
	ErrMemoryLow    DeviceError = 0x05 // ERROR_MEMORY_LOW
	ErrModemTimeout DeviceError = 0x06 // ERROR_MODEM_TIMEOUT
)

// Error implements error.
func (e DeviceError) Error() string {
	switch e {
	case ErrInitRadio:
		return "rnode: device error: radio initialisation failed"
	case ErrTXFailed:
		return "rnode: device error: transmission failed"
	case ErrEEPROMLocked:
		return "rnode: device error: EEPROM locked"
	case ErrQueueFull:
		return "rnode: device error: queue full"
	case ErrMemoryLow:
		return "rnode: device error: memory exhausted"
	case ErrModemTimeout:
		return "rnode: device error: modem communication timed out"
	}
	const hex = "0123456789abcdef"
	return "rnode: device error 0x" + string([]byte{hex[e>>4], hex[e&0x0F]})
}

// Fatal reports whether the reference takes the interface offline on this
// error (it does for every code except ErrMemoryLow and ErrModemTimeout,
// which it only records).
func (e DeviceError) Fatal() bool {
	return e != ErrMemoryLow && e != ErrModemTimeout
}
