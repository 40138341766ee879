// Package iface is the contract between transport and interface drivers.
// Transport knows drivers only through the small interfaces declared here;
// drivers import nothing of transport. Optional capabilities are separate
// interfaces that transport finds with a type assertion.
//
// Ownership: transport owns the receive goroutine and the receive buffer of
// every interface; a driver fills the caller's buffer in Receive and never
// keeps a slice it was given in Send.
package iface

import "strconv"

// Mode is an interface mode, which decides how announces and path requests
// propagate through it (RNS.Interfaces.Interface.MODE_*). The values are the
// reference's and are append-only.
type Mode uint8

// Interface modes.
const (
	ModeFull         Mode = 0x01
	ModePointToPoint Mode = 0x02
	ModeAccessPoint  Mode = 0x03
	ModeRoaming      Mode = 0x04
	ModeBoundary     Mode = 0x05
	ModeGateway      Mode = 0x06
)

var modeNames = map[Mode]string{
	ModeFull: "full", ModePointToPoint: "point_to_point", ModeAccessPoint: "access_point",
	ModeRoaming: "roaming", ModeBoundary: "boundary", ModeGateway: "gateway",
}

// String returns the mode's configuration name, such as "access_point".
func (m Mode) String() string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode returns the mode for a configuration name. It accepts the
// reference's names and abbreviations ("full", "gateway"/"gw",
// "access_point"/"accesspoint"/"ap", "roaming", "boundary",
// "point_to_point"/"pointtopoint"/"ptp").
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "full":
		return ModeFull, true
	case "gateway", "gw":
		return ModeGateway, true
	case "access_point", "accesspoint", "ap":
		return ModeAccessPoint, true
	case "roaming":
		return ModeRoaming, true
	case "boundary":
		return ModeBoundary, true
	case "point_to_point", "pointtopoint", "ptp":
		return ModePointToPoint, true
	}
	return 0, false
}

// MinBitrate is the smallest bitrate, in bits per second, an interface
// may be configured with (the reference's Reticulum.MINIMUM_BITRATE); a
// smaller configured value is ignored.
const MinBitrate = 5

// Interface is one attachment to a medium: a serial line, a TCP
// connection, a UDP socket, a radio.
//
// Concurrency: Receive is called from one goroutine (transport's receive
// loop for this interface); Send may be called from several goroutines at
// once and the driver serialises writes itself; the other methods may be
// called at any time.
type Interface interface {
	// Name is the interface's configured name, unique within a node.
	Name() string

	// MTU is the largest packet, in bytes, that Send accepts and Receive
	// yields (the reference's HW_MTU; Reticulum's default is 500).
	MTU() int

	// Bitrate is the medium's speed in bits per second, used for announce
	// bandwidth caps and link MTU negotiation.
	Bitrate() int64

	// Mode is the interface mode.
	Mode() Mode

	// Receive blocks until a packet arrives, copies it into buf and
	// returns its length. buf is at least MTU() bytes long. A packet longer
	// than buf is dropped by the driver and counted, never truncated.
	// After Close, Receive returns net.ErrClosed; a driver whose medium
	// went down and is reconnecting keeps blocking.
	Receive(buf []byte) (n int, err error)

	// Send transmits one packet. The driver must not keep pkt after
	// returning. It returns an error if the medium is down; transport
	// counts and drops, it does not retry.
	Send(pkt []byte) error

	// Close shuts the interface down and unblocks Receive. It is
	// idempotent.
	Close() error
}

// Listener is a driver that accepts connections, each of which becomes an
// Interface of its own, as the reference's TCP server and shared-instance
// server spawn one interface per client.
type Listener interface {
	// Name is the listener's configured name; spawned interfaces are named
	// after it.
	Name() string

	// Accept blocks until a client connects and returns its interface.
	// After Close it returns net.ErrClosed.
	Accept() (Interface, error)

	// Close stops accepting and unblocks Accept. Interfaces already
	// returned by Accept stay open. It is idempotent.
	Close() error
}

// MTUAutoconfigurer is implemented by interfaces whose MTU the reference
// derives from the bitrate (AUTOCONFIGURE_MTU) rather than fixing it; such
// interfaces let links negotiate MTUs above 500.
type MTUAutoconfigurer interface {
	AutoconfigureMTU() bool
}

// Local is implemented by the interfaces of a shared instance's clients:
// programs attached to this node rather than peers on a network.
type Local interface {
	IsLocalClient() bool
}

// SharedInstance is implemented by the interface a program uses to attach
// to a shared instance (the reference's LocalInterface client): the node
// behind it does the routing, so transport counts no hop for it and
// leaves duplicate filtering to it.
type SharedInstance interface {
	IsSharedInstance() bool
}

// Stats is implemented by interfaces that count their own traffic.
type Stats interface {
	Counters() Counters
}

// Counters are an interface's traffic totals.
type Counters struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	Dropped              uint64
}

// IngressExempt is implemented by interfaces whose announces are never
// held by ingress control, as the reference exempts its serial, KISS and
// RNode interfaces: links that slow cannot carry a burst.
type IngressExempt interface {
	IngressExempt() bool
}
