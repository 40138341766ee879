// Command mehr-plugin-rnode is the RNode LoRa radio driver
// (interfaces/rnode) as a mehrd plugin; mehrd opens every RNodeInterface
// section through it. It reads the section's port, frequency, bandwidth,
// txpower, spreadingfactor, codingrate, airtime limits, flow_control,
// id_callsign and id_interval keys, with the meaning they have in the
// reference's RNodeInterface. The device is detected, its firmware
// checked and its radio configured and verified before the interface
// comes up.
//
// mehrd starts it; run by hand it only prints a short explanation. See
// docs/PLUGINS.md.
package main

import (
	"context"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/internal/pluginmain"
	"github.com/mehr-net/mehr/plugins/sdk"
)

func open(ctx context.Context, ic config.Interface, logf func(string, ...any)) (sdk.Interface, error) {
	cfg, err := pluginmain.RNode(ic)
	if err != nil {
		return nil, err
	}
	cfg.Logf = logf
	return rnode.New(ctx, cfg)
}

func main() { pluginmain.Serve(open) }
