package prim

import (
	"fmt"
	"strings"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/ifac"
)

func configParseCommands(r bridge.Registry) {
	r["config_parse_interface"] = configParseInterface
	r["interface_default_ifac_size"] = interfaceDefaultIFACSize
}

// probeType is the suite's interface type for config parsing: a
// third-party type, as an external interface module is to the reference
// and a plugin is to mehrd, whose defaults the probe declares itself.
const probeType = "ConfigParseProbeInterface"

var probeInfo = daemon.TypeInfo{DefaultIFACSize: 16, Bitrate: 62500}

// configParseInterface imports a reference configuration with mehr's
// importer and resolves the named interface's settings as mehrd does.
func configParseInterface(p bridge.Params) (bridge.Result, error) {
	text, err := p.String("config_text")
	if err != nil {
		return nil, err
	}
	name, err := p.String("interface_name")
	if err != nil {
		return nil, err
	}
	c, _, err := config.ImportReticulum(strings.NewReader(text), "config")
	if err != nil {
		return nil, err
	}
	var ic *config.Interface
	for i := range c.Interfaces {
		if c.Interfaces[i].Name == name {
			ic = &c.Interfaces[i]
		}
	}
	if ic == nil {
		return bridge.Result{"error": fmt.Sprintf("config_text has no enabled [[%s]] under [interfaces]", name)}, nil
	}
	t, ok := daemon.BuiltinType(ic.Type)
	if ic.Type == probeType {
		t, ok = probeInfo, true
	}
	if !ok {
		return nil, fmt.Errorf("%w: type %q has no known defaults", bridge.ErrParam, ic.Type)
	}
	s, err := daemon.Synthesize(c.Reticulum, *ic, t)
	if err != nil {
		return nil, err
	}
	opt := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	var configured, interval any
	if s.ConfiguredBitrate != 0 {
		configured = s.ConfiguredBitrate
	}
	if s.Discoverable {
		interval = int(s.DiscoveryInterval.Seconds())
	}
	ing := s.Ingress
	return bridge.Result{
		"selected_interface_mode":     int(s.Mode),
		"configured_bitrate":          configured,
		"mode":                        int(s.Mode),
		"mode_name":                   s.Mode.String(),
		"bitrate":                     s.Bitrate,
		"announce_cap":                s.AnnounceCap,
		"ifac_size":                   s.IFACSize,
		"default_ifac_size":           t.DefaultIFACSize,
		"discoverable":                s.Discoverable,
		"discovery_announce_interval": interval,
		"ifac_netname":                opt(s.NetworkName),
		"ifac_netkey":                 opt(s.Passphrase),
		"ifac_active":                 s.IFAC != nil,
		"ic_max_held_announces":       ing.MaxHeld,
		"ic_burst_hold":               ing.BurstHold.Seconds(),
		"ic_burst_freq_new":           ing.BurstFreqNew,
		"ic_burst_freq":               ing.BurstFreq,
		"ic_new_time":                 ing.NewTime.Seconds(),
		"ic_burst_penalty":            ing.BurstPenalty.Seconds(),
		"ic_held_release_interval":    ing.HeldReleaseInterval.Seconds(),
	}, nil
}

// interfaceDefaultIFACSize reports the built-in types' IFAC defaults.
func interfaceDefaultIFACSize(bridge.Params) (bridge.Result, error) {
	sizes := map[string]any{}
	for _, typ := range config.Types() {
		if t, ok := daemon.BuiltinType(typ); ok {
			sizes[typ] = t.DefaultIFACSize
		}
	}
	return bridge.Result{"default_ifac_size": sizes, "ifac_min_size": ifac.MinSize}, nil
}
