// Package udp implements the Reticulum UDP interface (the reference's
// UDPInterface): one socket bound to a listen address receives, another
// sends every packet as one datagram to a forward address, which may be a
// unicast or a broadcast address. There is no framing; a datagram is a
// packet.
//
// Values follow the Python reference (RNS 1.4.2): a hardware MTU of 1064
// bytes that does not follow the bitrate, a 10 Mbit/s bitrate guess, and
// a default IFAC size of 16 bytes. Datagrams longer than the MTU plus the
// IFAC size, or empty ones, are dropped and counted; the reference passes
// anything up to 8192 bytes on to its transport.
//
// With a Device configured and no host given, the interface binds to and
// sends to the device's IPv4 broadcast address, as the reference does.
// The send socket gets SO_BROADCAST when the forward address is a
// broadcast address (the limited broadcast 255.255.255.255 or the directed
// broadcast of a local network). The reference sets it on every send, and
// Go's net package enables it on every datagram socket by default; the
// driver sets it explicitly so as not to depend on that default.
//
// The interface owns no goroutines: Receive reads the socket on the
// caller's goroutine and Send writes on the caller's.
package udp
