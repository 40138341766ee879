// Command mehr-plugin-kiss is the KISS TNC interface driver
// (interfaces/kiss) as a mehrd plugin; mehrd opens every KISSInterface
// section through it. It reads the section's port settings and the TNC
// keys preamble, txtail, persistence, slottime, flow_control,
// id_callsign and id_interval, with the meaning they have in the
// reference's KISSInterface.
//
// mehrd starts it; run by hand it only prints a short explanation. See
// docs/PLUGINS.md.
package main

import (
	"context"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/internal/pluginmain"
	"github.com/mehr-net/mehr/plugins/sdk"
)

func open(ctx context.Context, ic config.Interface, logf func(string, ...any)) (sdk.Interface, error) {
	cfg, err := pluginmain.KISS(ic)
	if err != nil {
		return nil, err
	}
	cfg.Logf = logf
	return kiss.New(ctx, cfg)
}

func main() { pluginmain.Serve(open) }
