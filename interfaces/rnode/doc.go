// Package rnode implements the host side of the RNode serial protocol as
// pure code: the command frames a host writes to an RNode LoRa radio, and a
// stateful parser for the byte stream the radio sends back. It does no I/O;
// a driver owns the serial port (or TCP/BLE link) and feeds the parser.
//
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
package rnode
