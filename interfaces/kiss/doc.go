// Package kiss implements the Reticulum KISS interface (the reference's
// KISSInterface): packets travel as KISS data frames (framing.AppendKISS,
// read with a framing.KISSDecoder) to and from a packet radio TNC on a
// serial port. The serial port itself is a serial.Line, reopened when its
// device goes away.
//
// Values and behaviour follow the Python reference (RNS 1.4.2):
//
//   - the port opens with the reference's line settings (9600 8N1 unless
//     configured); after it opens the driver waits 2 s for the TNC to
//     start, then sends it TXDELAY (from the preamble), TXTAIL,
//     persistence, SLOTTIME and the flow control command, in that order,
//     and does so again after every reopen;
//   - the bitrate is a 1200 bit/s guess unless configured; frames up to
//     HWMTU (564) bytes; the default IFAC size is 8 bytes; the TNC port
//     nibble of received command bytes is ignored;
//   - with flow control, after each frame the driver waits for the TNC's
//     ready report (command 0x0F with a parameter byte) before sending the
//     next one, and sends anyway after 5 s without one;
//   - with id_interval set, the station ID (id_callsign, padded with zero
//     bytes to 15) goes out as a data frame id_interval after the first
//     transmission since the last ID, so an idle station stays silent;
//   - a partial frame followed by 100 ms of silence is discarded;
//   - announces received on a KISS interface are exempt from ingress
//     control.
//
// Like the reference, opening fails if the device is missing at startup;
// with Config.WaitForDevice the interface starts down instead and comes
// up when the device appears.
//
// Deliberate differences:
//
//   - the send queue is bounded (Config.QueueLen; the reference's grows
//     without limit), Send never blocks on the radio, and queued packets
//     are dropped when the port goes down;
//   - the station ID does not count as a transmission that calls for the
//     next ID (the reference's does when the callsign is shorter than 15
//     bytes, so once it has sent anything it identifies forever), and an
//     id_interval of 0 turns identification off;
//   - a ready report releases one frame however many parameter bytes it
//     carries;
//   - TNC parameter values 0xC0 and 0xDB are escaped (see
//     framing.AppendKISSCommand);
//   - a data frame's closing FEND also opens the next frame
//     (framing.KISSDecoder), so a frame that follows line noise is not
//     lost, and noise between frames reaches transport as a malformed
//     packet, which it drops, where the reference ignores bytes between
//     frames;
//   - frames longer than HWMTU are dropped and counted, where the
//     reference cuts them to HWMTU and passes the cut frame on; empty data
//     frames are skipped.
//
// Goroutines: an Interface owns routineWrite, which feeds the TNC, and its
// serial.Line owns routineReconnect; Close stops both. Receive reads the
// port on the caller's goroutine.
package kiss
