package daemon

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"

	"github.com/BurntSushi/toml"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/tun"
)

// Defaults of the [tun] section.
const (
	DefaultTUNDevice = "mehr0"
	DefaultTUNPlugin = "tun"
)

// pluginDevice is the TUN device behind a plugin, as the adapter sees it:
// the plugin's interface carries IP packets.
type pluginDevice struct{ iface.Interface }

func (p pluginDevice) Read(buf []byte) (int, error) { return p.Receive(buf) }
func (p pluginDevice) Write(pkt []byte) (int, error) {
	if err := p.Send(pkt); err != nil {
		return 0, err
	}
	return len(pkt), nil
}

// TUNAddress returns the prefix and the IPv6 address this node's TUN
// device gets under the configuration: the prefix followed by the leading
// bits of the node's IP service destination hash.
func (d *Daemon) TUNAddress() (netip.Prefix, netip.Addr, error) {
	prefix := tun.DefaultPrefix
	if p := d.cfg.TUN.Prefix; p != "" {
		var err error
		if prefix, err = netip.ParsePrefix(p); err != nil {
			return prefix, netip.Addr{}, fmt.Errorf("tun prefix: %w", err)
		}
	}
	if err := tun.ValidatePrefix(prefix); err != nil {
		return prefix, netip.Addr{}, err
	}
	idh := wire.Hash(d.Node.Identity().Hash())
	h, err := dest.Hash(&idh, tun.AppName, tun.Aspect)
	if err != nil {
		return prefix, netip.Addr{}, err
	}
	return prefix, tun.Address(prefix, h), nil
}

// startTUN brings up the TUN device in its plugin, which alone needs
// CAP_NET_ADMIN, configured with this node's address, and runs the IP
// adapter over it.
func (d *Daemon) startTUN(ctx context.Context) error {
	t := d.cfg.TUN
	if !t.Enabled {
		return nil
	}
	prefix, addr, err := d.TUNAddress()
	if err != nil {
		return err
	}
	mtu := t.MTU
	if mtu == 0 {
		mtu = tun.MinMTU
	}
	device := t.Device
	if device == "" {
		device = DefaultTUNDevice
	}
	name := t.Plugin
	if name == "" {
		name = DefaultTUNPlugin
	}
	path, err := FindPlugin(name, d.cfg.Reticulum.PluginDir)
	if err != nil {
		return err
	}
	var table bytes.Buffer
	if err := toml.NewEncoder(&table).Encode(map[string]any{
		"name": device, "device": device, "mtu": mtu,
		"address": netip.PrefixFrom(addr, prefix.Bits()).String(),
	}); err != nil {
		return err
	}
	hi, err := host.Start(ctx, host.Config{Name: device, Path: path, Config: table.Bytes(), Logf: d.logf})
	if err != nil {
		return fmt.Errorf("tun device: %w", err)
	}
	a, err := tun.New(d.Node, pluginDevice{hi}, tun.Config{Prefix: prefix, MTU: mtu, Logf: d.logf})
	if err != nil {
		hi.Close()
		return err
	}
	if a.Address() != addr {
		a.Close()
		hi.Close()
		return fmt.Errorf("tun: adapter address %s is not the device's %s", a.Address(), addr)
	}
	d.tunDev, d.tun = hi, a
	d.logf("mehrd: IP over mehr on %s: %s (prefix %s, MTU %d)", device, addr, prefix, mtu)
	return nil
}

// IPStatus reports the IP adapter for mehr ip; nil when it is off.
func (d *Daemon) IPStatus() *control.IPStatus {
	if d.tun == nil {
		return nil
	}
	s := d.tun.Status()
	out := &control.IPStatus{Device: d.tunDev.Name(), Address: s.Address.String(), Prefix: s.Prefix.String(),
		Destination: s.Destination.String(), MTU: s.MTU,
		Counters: map[string]uint64{
			"read": s.Counters.Read, "no_route": s.Counters.NoRoute, "unknown": s.Counters.Unknown,
			"too_big": s.Counters.TooBig, "icmp_sent": s.Counters.ICMPSent, "spoofed": s.Counters.Spoofed,
			"unidentified": s.Counters.Unidentified, "fragmented": s.Counters.Fragmented,
			"reassembled": s.Counters.Reassembled, "queue_drops": s.Counters.QueueDrops,
			"link_failures": s.Counters.LinkFailures, "collisions": s.Counters.Collisions,
		}}
	for _, p := range s.Peers {
		out.Peers = append(out.Peers, control.IPPeer{Address: p.Address.String(), Destination: p.Destination.String(),
			Source: p.Source, Link: p.Link, LinkMTU: p.LinkMTU, Pending: p.Pending, LastError: p.LastError,
			TxPackets: p.TxPackets, RxPackets: p.RxPackets, TxBytes: p.TxBytes, RxBytes: p.RxBytes,
			Dropped: p.Dropped, Spoofed: p.Spoofed})
	}
	for _, c := range s.Collisions {
		out.Collisions = append(out.Collisions, control.IPCollision{Address: c.Address.String(),
			Kept: c.Kept.String(), Rejected: c.Rejected.String(), Count: c.Count})
	}
	return out
}
