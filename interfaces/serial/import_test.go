package serial_test

import (
	"strings"
	"testing"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/rns/iface"
)

// TestFromImportedConfig maps a SerialInterface section of a reference
// configuration file, as mehr config import reads it.
func TestFromImportedConfig(t *testing.T) {
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
	sc, err := serial.FromConfig(c.Interfaces[0])
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "Serial Link" || sc.Mode != iface.ModeAccessPoint ||
		sc.Port != (serial.PortConfig{Path: "/dev/ttyUSB0", Speed: 115200, DataBits: 7, Parity: serial.ParityEven, StopBits: 2}) {
		t.Fatalf("%+v", sc)
	}
}
