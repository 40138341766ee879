package pluginmain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/internal/pluginmain"
	"github.com/mehr-net/mehr/rns/iface"
)

func TestSerialConfig(t *testing.T) {
	base := config.NewInterface("ser", config.TypeSerial)
	base.Port = "/dev/ttyUSB0"
	c, err := pluginmain.Serial(base)
	if err != nil {
		t.Fatal(err)
	}
	want := serial.Config{Name: "ser", Mode: iface.ModeFull,
		Port: serial.PortConfig{Path: "/dev/ttyUSB0", Speed: 9600, DataBits: 8, Parity: serial.ParityNone, StopBits: 1}}
	if c.Name != want.Name || c.Mode != want.Mode || c.Port != want.Port || c.Bitrate != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	full := base
	full.Mode, full.Speed, full.DataBits, full.Parity, full.StopBits, full.Bitrate = "ap", 115200, 7, "E", 2, 1200
	c, err = pluginmain.Serial(full)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != iface.ModeAccessPoint || c.Bitrate != 1200 ||
		c.Port != (serial.PortConfig{Path: "/dev/ttyUSB0", Speed: 115200, DataBits: 7, Parity: serial.ParityEven, StopBits: 2}) {
		t.Fatalf("full: %+v", c)
	}
	for _, bad := range []struct {
		name string
		mod  func(*config.Interface)
		msg  string
	}{
		{"type", func(i *config.Interface) { i.Type = config.TypeKISS }, "not SerialInterface"},
		{"port", func(i *config.Interface) { i.Port = "" }, "no port"},
		{"parity", func(i *config.Interface) { i.Parity = "mark" }, "parity"},
		{"databits", func(i *config.Interface) { i.DataBits = 4 }, "databits"},
		{"stopbits", func(i *config.Interface) { i.StopBits = 3 }, "stopbits"},
		{"speed", func(i *config.Interface) { i.Speed = -5 }, "speed"},
		{"mode", func(i *config.Interface) { i.Mode = "internal" }, "mode"},
		{"bitrate", func(i *config.Interface) { i.Bitrate = 3 }, "bitrate"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			ic := base
			bad.mod(&ic)
			_, err := pluginmain.Serial(ic)
			if !errors.Is(err, serial.ErrBadConfig) || !strings.Contains(err.Error(), bad.msg) {
				t.Fatalf("error %v, want %q", err, bad.msg)
			}
		})
	}
}

func TestKISSConfig(t *testing.T) {
	base := config.NewInterface("tnc", config.TypeKISS)
	base.Port = "/dev/ttyUSB0"
	c, err := pluginmain.KISS(base)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "tnc" || c.Mode != iface.ModeFull || c.Bitrate != 0 || c.FlowControl || c.IDInterval != 0 ||
		c.Port != (serial.PortConfig{Path: "/dev/ttyUSB0", Speed: 9600, DataBits: 8, StopBits: 1}) || *c.TNC != kiss.DefaultTNC() {
		t.Fatalf("defaults: %+v", c)
	}
	ip := func(v int) *int { return &v }
	full := base
	full.Mode, full.Speed, full.Parity, full.Bitrate = "gw", 57600, "odd", 9600
	full.Preamble, full.TXTail, full.Persistence, full.SlotTime = ip(150), ip(10), ip(200), ip(30)
	full.FlowControl, full.IDCallsign, full.IDInterval = true, "N0CALL", ip(600)
	c, err = pluginmain.KISS(full)
	if err != nil {
		t.Fatal(err)
	}
	wantTNC := kiss.TNC{Preamble: 150 * time.Millisecond, TXTail: 10 * time.Millisecond, Persistence: 200, SlotTime: 30 * time.Millisecond}
	if c.Mode != iface.ModeGateway || c.Bitrate != 9600 || !c.FlowControl || c.IDCallsign != "N0CALL" ||
		c.IDInterval != 10*time.Minute || *c.TNC != wantTNC || c.Port.Speed != 57600 || c.Port.Parity != serial.ParityOdd {
		t.Fatalf("full: %+v", c)
	}
	for _, bad := range []struct {
		name string
		mod  func(*config.Interface)
		msg  string
	}{
		{"type", func(i *config.Interface) { i.Type = config.TypeSerial }, "not KISSInterface"},
		{"port", func(i *config.Interface) { i.Port = "" }, "no port"},
		{"parity", func(i *config.Interface) { i.Parity = "space" }, "parity"},
		{"preamble", func(i *config.Interface) { i.Preamble = ip(-1) }, "preamble"},
		{"txtail", func(i *config.Interface) { i.TXTail = ip(-1) }, "txtail"},
		{"slottime", func(i *config.Interface) { i.SlotTime = ip(-1) }, "slottime"},
		{"persistence", func(i *config.Interface) { i.Persistence = ip(256) }, "persistence"},
		{"id_interval", func(i *config.Interface) { i.IDInterval = ip(-1) }, "id_interval"},
		{"id_callsign", func(i *config.Interface) { i.IDCallsign = strings.Repeat("x", 600) }, "id_callsign"},
		{"mode", func(i *config.Interface) { i.Mode = "internal" }, "mode"},
		{"bitrate", func(i *config.Interface) { i.Bitrate = 4 }, "bitrate"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			ic := base
			bad.mod(&ic)
			_, err := pluginmain.KISS(ic)
			if !errors.Is(err, kiss.ErrBadConfig) || !strings.Contains(err.Error(), bad.msg) {
				t.Fatalf("error %v, want %q", err, bad.msg)
			}
		})
	}
}

// TestFromImportedConfig maps a SerialInterface section of a reference
// configuration file, as mehr config import reads it.
func TestSerialFromImportedConfig(t *testing.T) {
	c, _, err := config.ImportReticulum(strings.NewReader(`
[interfaces]
  [[Serial Link]]
    type = SerialInterface
    enabled = yes
    port = /dev/ttyUSB0
    speed = 115200
    databits = 7
    parity = E
    stopbits = 2
    mode = ap
`), "config")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := pluginmain.Serial(c.Interfaces[0])
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "Serial Link" || sc.Mode != iface.ModeAccessPoint ||
		sc.Port != (serial.PortConfig{Path: "/dev/ttyUSB0", Speed: 115200, DataBits: 7, Parity: serial.ParityEven, StopBits: 2}) {
		t.Fatalf("%+v", sc)
	}
}

// TestFromImportedConfig maps a KISSInterface section of a reference
// configuration file, as mehr config import reads it, including the
// Android build's names for the station ID keys.
func TestKISSFromImportedConfig(t *testing.T) {
	c, _, err := config.ImportReticulum(strings.NewReader(`
[interfaces]
  [[Packet Radio KISS Interface]]
    type = KISSInterface
    interface_enabled = True
    port = /dev/ttyUSB1
    speed = 115200
    parity = none
    preamble = 150
    txtail = 10
    persistence = 200
    slottime = 20
    flow_control = true
    id_callsign = MYCALL-0
    id_interval = 600
    bitrate = 9600
  [[Android]]
    type = KISSInterface
    port = /dev/ttyUSB2
    beacon_interval = 300
    beacon_data = N0CALL
`), "config")
	if err != nil {
		t.Fatal(err)
	}
	kc, err := pluginmain.KISS(c.Interfaces[0])
	if err != nil {
		t.Fatal(err)
	}
	want := kiss.TNC{Preamble: 150 * time.Millisecond, TXTail: 10 * time.Millisecond, Persistence: 200, SlotTime: 20 * time.Millisecond}
	if kc.Name != "Packet Radio KISS Interface" || kc.Bitrate != 9600 || !kc.FlowControl || *kc.TNC != want ||
		kc.IDCallsign != "MYCALL-0" || kc.IDInterval != 10*time.Minute ||
		kc.Port != (serial.PortConfig{Path: "/dev/ttyUSB1", Speed: 115200, DataBits: 8, StopBits: 1}) {
		t.Fatalf("%+v", kc)
	}
	kc, err = pluginmain.KISS(c.Interfaces[1])
	if err != nil {
		t.Fatal(err)
	}
	if kc.IDCallsign != "N0CALL" || kc.IDInterval != 5*time.Minute || kc.Port.Speed != 9600 {
		t.Fatalf("%+v", kc)
	}
}

func TestRNodeConfig(t *testing.T) {
	ptr := func(v int) *int { return &v }
	pct := func(v float64) *float64 { return &v }
	base := config.Interface{Name: "lora", Type: config.TypeRNode, Port: "/dev/ttyUSB0",
		Frequency: 867200000, Bandwidth: 125000, TXPower: 7, SpreadingFactor: 8, CodingRate: 5}

	c, err := pluginmain.RNode(base)
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
	c, err = pluginmain.RNode(full)
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
	if c, err := pluginmain.RNode(half); err != nil || c.IDCallsign != "" || c.Bitrate != 0 {
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
			_, err := pluginmain.RNode(ic)
			if !errors.Is(err, rnode.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "rnode lora") {
				t.Errorf("error %v, want ErrInvalidConfig mentioning %q", err, tt.msg)
			}
		})
	}
}
