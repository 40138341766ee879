// Command mehr-plugin-tun serves the operating system's TUN device (package
// tun/tundev) as a mehrd plugin, so that only this process needs
// privileges: mehrd runs it like every interface plugin, and carries the
// IP packets it yields over the mesh. Its "interface" is the device:
// Receive reads one IP packet the kernel routed to the device, Send writes
// one IP packet into the kernel. It reports the device MTU as its MTU,
// mode full, and no IFAC.
//
// It reads these keys of its TOML table:
//
//	device  = "mehr0"                  # device name (default mehr0)
//	address = "fd6d:6568:72:1::1/48"   # IPv6 address and prefix routed to the device
//	mtu     = 1280                     # device MTU, at least 1280 (default 1280)
//
// Creating and configuring the device needs CAP_NET_ADMIN: run mehrd as
// root, or, better, give the capability to this binary alone:
//
//	sudo setcap cap_net_admin+ep bin/mehr-plugin-tun
//
// Without it, opening fails with an error that names the capability.
// mehrd starts it; run by hand it only prints a short explanation. See
// docs/PLUGINS.md.
package main

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/mehr-net/mehr/plugins/sdk"
	"github.com/mehr-net/mehr/tun/tundev"
)

// bitrate is what the interface reports: a TUN device is as fast as the
// kernel, and the value only matters to announce caps, which IP packets
// do not use.
const bitrate = 10_000_000_000

// options are the keys of the plugin's table.
type options struct {
	Device  string `toml:"device"`
	Address string `toml:"address"`
	MTU     int    `toml:"mtu"`
}

// config turns the options into the device's configuration.
func (o options) config() (tundev.Config, error) {
	cfg := tundev.Config{Name: o.Device, MTU: o.MTU}
	if o.Address != "" {
		p, err := netip.ParsePrefix(o.Address)
		if err != nil {
			return cfg, fmt.Errorf("address %q: want an IPv6 address with prefix length, such as fd6d:6568:72::1/48", o.Address)
		}
		cfg.Address = p
	}
	return cfg, nil
}

// device is the TUN device as an interface.
type device struct {
	name string
	d    *tundev.Device

	rxPackets, txPackets atomic.Uint64
	rxBytes, txBytes     atomic.Uint64
	txErrors             atomic.Uint64
}

var (
	_ sdk.Interface = (*device)(nil)
	_ sdk.Stats     = (*device)(nil)
	_ sdk.IFACSizer = (*device)(nil)
)

func (i *device) Name() string         { return i.name }
func (i *device) MTU() int             { return i.d.MTU() }
func (i *device) Bitrate() int64       { return bitrate }
func (i *device) Mode() sdk.Mode       { return sdk.ModeFull }
func (i *device) DefaultIFACSize() int { return 0 }

// Receive reads one IP packet from the device. Packets longer than buf
// are dropped by the device and counted.
func (i *device) Receive(buf []byte) (int, error) {
	n, err := i.d.Read(buf)
	if err != nil {
		return 0, err
	}
	i.rxPackets.Add(1)
	i.rxBytes.Add(uint64(n))
	return n, nil
}

// Send writes one IP packet to the device. The kernel refuses packets
// that are not IP; those count as dropped.
func (i *device) Send(pkt []byte) error {
	if _, err := i.d.Write(pkt); err != nil {
		i.txErrors.Add(1)
		return err
	}
	i.txPackets.Add(1)
	i.txBytes.Add(uint64(len(pkt)))
	return nil
}

func (i *device) Close() error { return i.d.Close() }

func (i *device) Counters() sdk.Counters {
	return sdk.Counters{
		RxPackets: i.rxPackets.Load(), TxPackets: i.txPackets.Load(),
		RxBytes: i.rxBytes.Load(), TxBytes: i.txBytes.Load(),
		Dropped: i.d.Dropped() + i.txErrors.Load(),
	}
}

func open(_ context.Context, c *sdk.Config) (sdk.Interface, error) {
	var o options
	if err := c.Decode(&o); err != nil {
		return nil, err
	}
	cfg, err := o.config()
	if err != nil {
		return nil, err
	}
	d, err := tundev.Open(cfg)
	if err != nil {
		return nil, err
	}
	c.Logf("TUN device %s up, address %v, MTU %d", d.Name(), d.Address(), d.MTU())
	return &device{name: c.Name, d: d}, nil
}

func main() { sdk.Serve(open) }
