// Command mehr-plugin-serial is the serial interface driver
// (interfaces/serial: HDLC framing over a serial port) as a mehrd plugin;
// mehrd opens every SerialInterface section through it. It reads the
// section's port, speed, databits, parity, stopbits, bitrate and mode
// keys, with the meaning they have in the reference's SerialInterface.
//
// mehrd starts it; run by hand it only prints a short explanation. See
// docs/PLUGINS.md.
package main

import (
	"context"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/internal/pluginmain"
	"github.com/mehr-net/mehr/plugins/sdk"
)

func open(ctx context.Context, ic config.Interface, logf func(string, ...any)) (sdk.Interface, error) {
	cfg, err := pluginmain.Serial(ic)
	if err != nil {
		return nil, err
	}
	cfg.Logf = logf
	return serial.New(ctx, cfg)
}

func main() { pluginmain.Serve(open) }
