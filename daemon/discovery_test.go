package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/rns/discovery"
)

func TestAutoconnector(t *testing.T) {
	var opened []config.Interface
	a := &Autoconnector{Max: 2, Open: func(_ context.Context, ic config.Interface) error {
		opened = append(opened, ic)
		return nil
	}}
	a.Reticulum.EnableTransport = true
	rec := func(typ, host string) Record {
		return Record{Type: typ, Name: "found", ReachableOn: host, Port: 4242, HasPort: true, IFACNetname: "net"}
	}
	ctx := context.Background()
	for _, c := range []struct {
		r    Record
		want discovery.AutoconnectVerdict
	}{
		{rec("UDPInterface", "10.0.0.5"), discovery.UnsupportedType},
		{rec("TCPClientInterface", "10.0.0.6"), discovery.UnsupportedType},
		{rec("I2PInterface", "abcdefgh.b32.i2p"), discovery.UnsupportedType},
		{rec("BackboneInterface", "200::1"), discovery.Yggdrasil},
		{rec("BackboneInterface", "10.0.0.7"), discovery.Connect},
		{rec("BackboneInterface", "10.0.0.7"), discovery.Exists},
		{rec("BackboneInterface", "10.0.0.8"), discovery.Connect},
		{rec("BackboneInterface", "10.0.0.9"), discovery.Disabled}, // Max reached
	} {
		v, err := a.Autoconnect(ctx, c.r)
		if v != c.want || err != nil {
			t.Fatalf("%s %s: %v, %v; want %v", c.r.Type, c.r.ReachableOn, v, err, c.want)
		}
	}
	if len(opened) != 2 || a.Connected() != 2 {
		t.Fatalf("opened %d, connected %d", len(opened), a.Connected())
	}
	ic := opened[0]
	if ic.Type != config.TypeBackboneClient || ic.TargetHost != "10.0.0.7" || ic.TargetPort != 4242 ||
		ic.Mode != config.ModeGateway || ic.NetworkName != "net" || ic.Bitrate != AutoconnectBitrate || !ic.Enabled {
		t.Fatalf("interface %+v", ic)
	}

	b := &Autoconnector{Max: 1, Open: func(context.Context, config.Interface) error { return errors.New("refused") }}
	if v, err := b.Autoconnect(ctx, rec("BackboneInterface", "10.0.0.7")); v != discovery.Connect || err == nil || b.Connected() != 0 {
		t.Fatalf("failed open: %v %v %d", v, err, b.Connected())
	}
}
