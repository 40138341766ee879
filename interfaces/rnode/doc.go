// Package rnode implements the Reticulum RNode interface (the reference's
// RNodeInterface): a LoRa radio running RNode firmware, attached over a
// serial port. It has two layers.
//
// The protocol layer is pure code: the command frames a host writes to an
// RNode, and a stateful parser for the byte stream the radio sends back.
// The protocol is KISS framing (package framing) with RNode-specific
// command codes that use the whole command byte (no KISS port nibble). The
// host detects the device and queries its firmware version, platform and
// MCU (AppendDetect), then configures the radio (AppendInitRadio) and
// exchanges data frames (AppendData, Parser.Decode). The device reports
// every parameter back; Parser keeps the latest values in State, and
// attaches the RSSI and SNR reported just before a received data frame to
// that frame.
//
// Command frames are byte-identical to what the Python reference's
// RNodeInterface (RNS 1.4.2) writes. Frequency, bandwidth and airtime-lock
// values are KISS-escaped; single-byte parameters are written raw, because
// the firmware reads them raw; airtime percentages are truncated to
// hundredths (0.29 % is sent as 28).
//
// The parser deliberately departs from the reference read loop in three
// ways, all on input the reference mishandles:
//   - a CMD_STAT_RX or CMD_STAT_TX frame is parsed as a 32-bit counter;
//     the reference raises on it, goes offline and loses the data frame
//     that follows;
//   - every payload is unescaped before it is interpreted, so a reported
//     SNR of -16 dB or -9.25 dB (bytes 0xC0 and 0xDB, which the firmware
//     escapes) is read correctly;
//   - a data frame longer than DataMTU is dropped and counted instead of
//     being truncated and delivered.
//
// The driver layer, Interface (New, configured with Config; mehrd maps its
// configuration onto Config in internal/pluginmain),
// implements iface.Interface on top of it, behaving as the reference does:
// it opens the port at 115200 baud, waits for boards that reset on open,
// detects the device, refuses firmware older than 1.52 (ErrFirmwareTooOld),
// configures frequency, bandwidth, TX power, spreading factor, coding rate
// and airtime limits, switches the radio on and compares the device's
// echoes with the configuration (ErrConfigMismatch). Error reports from the
// device are logged and counted; those the reference treats as fatal take
// the interface down, as does an ESP32 reset while online. The hardware
// MTU is 508 bytes, the bitrate is computed from the LoRa parameters as
// the reference does, and announces over RNodes are exempt from ingress
// control. Optional flow control waits for the device's ready report
// between packets, and an optional station identification (id_callsign)
// goes out id_interval after the first transmission since the last one.
//
// When the port fails (the radio is unplugged), Send returns
// ErrNotConnected, Receive keeps blocking, and the driver reopens the port
// every ReconnectWait until the device is back and configured again.
//
// The driver departs from the reference where the reference would stall
// or crash: it waits for answers and echoes with timeouts instead of fixed
// sleeps, returns errors instead of exiting the process on old firmware,
// also compares the coding rate echo, bounds its receive and flow control
// queues (dropping and counting beyond them), and gives up waiting for a
// ready report after ReadyTimeout. RNodes over TCP and Bluetooth are not
// supported.
//
// Package rnode/sim simulates RNode radios for tests without hardware.
package rnode
