package kiss_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/serial"
)

// TestFromImportedConfig maps a KISSInterface section of a reference
// configuration file, as mehr config import reads it, including the
// Android build's names for the station ID keys.
func TestFromImportedConfig(t *testing.T) {
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
	kc, err := kiss.FromConfig(c.Interfaces[0])
	if err != nil {
		t.Fatal(err)
	}
	want := kiss.TNC{Preamble: 150 * time.Millisecond, TXTail: 10 * time.Millisecond, Persistence: 200, SlotTime: 20 * time.Millisecond}
	if kc.Name != "Packet Radio KISS Interface" || kc.Bitrate != 9600 || !kc.FlowControl || *kc.TNC != want ||
		kc.IDCallsign != "MYCALL-0" || kc.IDInterval != 10*time.Minute ||
		kc.Port != (serial.PortConfig{Path: "/dev/ttyUSB1", Speed: 115200, DataBits: 8, StopBits: 1}) {
		t.Fatalf("%+v", kc)
	}
	kc, err = kiss.FromConfig(c.Interfaces[1])
	if err != nil {
		t.Fatal(err)
	}
	if kc.IDCallsign != "N0CALL" || kc.IDInterval != 5*time.Minute || kc.Port.Speed != 9600 {
		t.Fatalf("%+v", kc)
	}
}
