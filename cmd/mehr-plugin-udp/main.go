// Command mehr-plugin-udp is the UDP interface driver (interfaces/udp)
// as a mehrd plugin; mehrd opens every UDPInterface section through it.
// It reads the section's listen_ip, listen_port, forward_ip,
// forward_port, device, bitrate, mode and ifac_size keys, with the
// meaning they have in the reference's UDPInterface.
//
// mehrd starts it; run by hand it only prints a short explanation. See
// docs/PLUGINS.md.
package main

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/mehr-net/mehr/interfaces/udp"
	"github.com/mehr-net/mehr/plugins/sdk"
)

// options are the keys of a UDPInterface section the driver reads.
type options struct {
	Mode        string `toml:"mode"`
	Bitrate     int64  `toml:"bitrate"`
	IFACSize    int    `toml:"ifac_size"` // bits
	ListenIP    string `toml:"listen_ip"`
	ListenPort  int    `toml:"listen_port"`
	ForwardIP   string `toml:"forward_ip"`
	ForwardPort int    `toml:"forward_port"`
	Device      string `toml:"device"`
}

// driver adds the UDP type's default IFAC size to the UDP interface.
type driver struct{ *udp.Interface }

func (driver) DefaultIFACSize() int { return udp.DefaultIFACSize }

func open(_ context.Context, c *sdk.Config) (sdk.Interface, error) {
	var o options
	if err := c.Decode(&o); err != nil {
		return nil, err
	}
	cfg := udp.Config{Name: c.Name, Bitrate: o.Bitrate, Device: o.Device, IFACSize: o.IFACSize / 8}
	if o.Mode != "" {
		m, ok := sdk.ParseMode(o.Mode)
		if !ok {
			return nil, fmt.Errorf("mode %q is not supported", o.Mode)
		}
		cfg.Mode = m
	}
	if o.ListenPort != 0 {
		cfg.ListenAddr = net.JoinHostPort(o.ListenIP, strconv.Itoa(o.ListenPort))
	}
	if o.ForwardPort != 0 {
		cfg.ForwardAddr = net.JoinHostPort(o.ForwardIP, strconv.Itoa(o.ForwardPort))
	}
	u, err := udp.New(cfg)
	if err != nil {
		return nil, err
	}
	if a := u.LocalAddr(); a != nil {
		c.Logf("listening on %v", a)
	}
	return driver{u}, nil
}

func main() { sdk.Serve(open) }
