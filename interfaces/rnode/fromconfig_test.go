package rnode_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/rns/iface"
)

func TestFromConfig(t *testing.T) {
	ptr := func(v int) *int { return &v }
	pct := func(v float64) *float64 { return &v }
	base := config.Interface{Name: "lora", Type: config.TypeRNode, Port: "/dev/ttyUSB0",
		Frequency: 867200000, Bandwidth: 125000, TXPower: 7, SpreadingFactor: 8, CodingRate: 5}

	c, err := rnode.FromConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "lora" || c.Port != "/dev/ttyUSB0" || c.Frequency != 867200000 || c.Bandwidth != 125000 ||
		c.TXPower != 7 || c.SpreadingFactor != 8 || c.CodingRate != 5 || c.Mode != 0 || c.IDCallsign != "" ||
		c.STALock != nil || c.Bitrate != 0 || c.FlowControl {
		t.Errorf("mapped %+v", c)
	}

	full := base
	full.Mode = "AP"
	full.FlowControl = true
	full.IDCallsign = "MYCALL-0"
	full.IDInterval = ptr(600)
	full.AirtimeLimitShort = pct(33)
	full.AirtimeLimitLong = pct(1.5)
	full.Bitrate = 1200
	c, err = rnode.FromConfig(full)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != iface.ModeAccessPoint || !c.FlowControl || c.IDCallsign != "MYCALL-0" || c.IDInterval != 600*time.Second ||
		*c.STALock != 33 || *c.LTALock != 1.5 || c.Bitrate != 1200 {
		t.Errorf("mapped %+v", c)
	}

	// The reference identifies only with both keys, and ignores bitrates
	// below its minimum.
	half := base
	half.IDCallsign = "MYCALL-0"
	half.Bitrate = 3
	if c, err := rnode.FromConfig(half); err != nil || c.IDCallsign != "" || c.Bitrate != 0 {
		t.Errorf("callsign without interval: %+v %v", c, err)
	}

	for _, tt := range []struct {
		name string
		mod  func(*config.Interface)
		msg  string
	}{
		{"wrong type", func(ic *config.Interface) { ic.Type = config.TypeKISS }, "not RNodeInterface"},
		{"no port", func(ic *config.Interface) { ic.Port = "" }, "no port"},
		{"tcp port", func(ic *config.Interface) { ic.Port = "tcp://10.0.0.1" }, "not supported"},
		{"ble port", func(ic *config.Interface) { ic.Port = "BLE://RNode 1234" }, "not supported"},
		{"bad mode", func(ic *config.Interface) { ic.Mode = "internal" }, "mode"},
		{"no frequency", func(ic *config.Interface) { ic.Frequency = 0 }, "frequency 0 Hz"},
		{"huge frequency", func(ic *config.Interface) { ic.Frequency = 1 << 40 }, "frequency"},
		{"negative bandwidth", func(ic *config.Interface) { ic.Bandwidth = -1 }, "bandwidth"},
		{"txpower", func(ic *config.Interface) { ic.TXPower = 38 }, "txpower 38"},
		{"negative txpower", func(ic *config.Interface) { ic.TXPower = -1 }, "txpower -1"},
		{"no spreading factor", func(ic *config.Interface) { ic.SpreadingFactor = 0 }, "spreadingfactor 0"},
		{"coding rate", func(ic *config.Interface) { ic.CodingRate = 9 }, "codingrate 9"},
		{"airtime", func(ic *config.Interface) { ic.AirtimeLimitLong = pct(101) }, "long-term airtime limit"},
		{"callsign too long", func(ic *config.Interface) {
			ic.IDCallsign = strings.Repeat("X", 33)
			ic.IDInterval = ptr(600)
		}, "id_callsign of 33 bytes"},
		{"zero interval", func(ic *config.Interface) {
			ic.IDCallsign = "X"
			ic.IDInterval = ptr(0)
		}, "id_interval"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ic := base
			tt.mod(&ic)
			_, err := rnode.FromConfig(ic)
			if !errors.Is(err, rnode.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "rnode lora") {
				t.Errorf("error %v, want ErrInvalidConfig mentioning %q", err, tt.msg)
			}
		})
	}
}
