package tun

// Device is what the adapter needs of a TUN device: a source and sink of
// whole IP packets. The OS device (package tun/tundev, served as a plugin)
// and the fake in tun/tuntest implement it; in mehrd the daemon adapts the
// plugin interface to it.
type Device interface {
	// Read reads one IP packet into buf and returns its length. It blocks
	// until a packet arrives. buf is at least MTU() bytes long; a packet
	// longer than buf may be truncated or dropped by the device. After
	// Close it returns an error wrapping net.ErrClosed. Only the adapter's
	// read routine calls it.
	Read(buf []byte) (int, error)
	// Write writes one IP packet. The device must not keep pkt after it
	// returns. It may be called concurrently with Read, and from several
	// goroutines (link receive routines), so it must be safe for concurrent
	// use. It should not block for long: it runs on transport's receive
	// routine.
	Write(pkt []byte) (int, error)
	// MTU returns the device's MTU in bytes (at least 1280 for IPv6).
	MTU() int
	// Close closes the device and unblocks Read. It is idempotent.
	Close() error
}
