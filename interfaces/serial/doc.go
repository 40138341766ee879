// Package serial implements the Reticulum serial interface (the
// reference's SerialInterface): packets travel HDLC-framed
// (framing.AppendHDLC, read with a framing.HDLCDecoder) over a serial
// port, typically a pair of radio modems or a null-modem cable between
// two hosts.
//
// It also provides the serial line the other serial-attached drivers
// (interfaces/kiss) build on: PortConfig and OpenPort open a device with
// the reference's line settings through go.bug.st/serial, and Line keeps
// one open, reopening it when the device goes away.
//
// Values follow the Python reference (RNS 1.4.2):
//
//   - 9600 baud, 8 data bits, no parity, 1 stop bit unless configured; no
//     hardware or software flow control;
//   - the bitrate is the port speed unless configured;
//   - frames up to HWMTU (564) bytes, which leaves room for the largest
//     interface access code; the default IFAC size is 8 bytes;
//   - after the port opens it is left alone for 0.5 s (devices that reset
//     on open), and a partial frame followed by 100 ms of silence is
//     discarded;
//   - a port that fails (the device was unplugged) is closed and reopened
//     every 5 s until it comes back, by path, so a symlink that is
//     re-pointed is followed; meanwhile Receive blocks and Send returns
//     ErrDown;
//   - announces received on a serial interface are exempt from ingress
//     control.
//
// Like the reference, opening fails if the device is missing at startup;
// with Config.WaitForDevice the interface starts down instead and comes
// up when the device appears.
//
// Deliberate differences, all about malformed input:
//
//   - a closing flag also opens the next frame (framing.HDLCDecoder), so
//     a frame that follows line noise containing a flag is delivered,
//     where the reference loses it; the price is that noise between
//     frames reaches transport as a malformed packet, which it drops,
//     where the reference ignores bytes between frames;
//   - frames longer than HWMTU are dropped and counted, where the
//     reference cuts them to HWMTU and passes the cut frame on;
//   - empty frames are skipped, where the reference passes them to its
//     transport, which drops them;
//   - an escape byte before a byte other than the two escaped ones, or
//     before a flag, is kept, where the reference drops it (and, before a
//     flag, applies it to the next frame's first byte).
//
// Goroutines: a Line owns one goroutine, routineReconnect, which reopens
// the port and is stopped by Close. Receive reads the port on the caller's
// goroutine and Send writes on the caller's; the Interface owns no other
// goroutines.
package serial
