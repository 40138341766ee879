// Package tcp implements the Reticulum TCP interfaces: Client, which
// connects to a TCP server and reconnects when the connection drops (the
// reference's TCPClientInterface), and Server, an iface.Listener that
// spawns one Client-like interface per accepted connection (the reference's
// TCPServerInterface).
//
// Packets travel HDLC-framed by default (framing.AppendHDLC, read with an
// framing.HDLCDecoder set to framing.TCPMinFrame), or KISS-framed when
// Config.KISSFraming is set, as the reference does with kiss_framing. Both
// ends of a connection must agree on the framing.
//
// Values follow the Python reference (RNS 1.4.2):
//
//   - the bitrate is a 10 Mbit/s guess unless configured;
//   - the hardware MTU is derived from the bitrate (AUTOCONFIGURE_MTU), so a
//     default TCP interface carries packets up to 8192 bytes, not the
//     262144 of the TCPInterface.HW_MTU constant, which the reference
//     overrides right after construction; Config.FixedMTU pins it instead;
//   - frames up to MTU plus the IFAC size (16 bytes by default, even without
//     IFAC) are accepted, and frames of 19 bytes or fewer are dropped;
//   - sockets get TCP_NODELAY and keepalive probes after 5 s idle every 2 s,
//     12 probes, and on Linux a 24 s TCP_USER_TIMEOUT (45 s, 10 s, 9 s and 5
//     probes for I2P-tunnelled connections).
//
// Two deliberate differences: a client reconnects with capped exponential
// backoff with jitter instead of the reference's fixed five seconds, and a
// Server speaks KISS when configured to, where the reference's server always
// speaks HDLC.
//
// Goroutines: a Client started by NewClient owns one goroutine,
// routineDial, which (re)connects and is stopped by Close. Receive runs on
// the caller's goroutine and reads the socket directly; Send writes on the
// caller's goroutine. Spawned interfaces and Server own no goroutines.
package tcp
