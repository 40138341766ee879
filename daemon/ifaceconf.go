package daemon

import (
	"fmt"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/interfaces/udp"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
)

// TypeInfo is what the daemon knows of an interface type before it opens
// one: the defaults its driver brings, the reference's class constants.
type TypeInfo struct {
	// DefaultIFACSize is the interface access code length, in bytes,
	// when ifac_size is not configured: 16 for packet media, 8 for
	// serial-framed and radio media.
	DefaultIFACSize int
	// Bitrate is the driver's own bitrate when none is configured; 0
	// leaves it to the driver at run time.
	Bitrate int64
}

// typeInfos are the built-in types' defaults.
var typeInfos = map[string]TypeInfo{
	config.TypeAuto:           {DefaultIFACSize: 16},
	config.TypeTCPClient:      {DefaultIFACSize: tcp.DefaultIFACSize},
	config.TypeTCPServer:      {DefaultIFACSize: tcp.DefaultIFACSize},
	config.TypeBackbone:       {DefaultIFACSize: tcp.DefaultIFACSize},
	config.TypeBackboneClient: {DefaultIFACSize: tcp.DefaultIFACSize},
	config.TypeI2P:            {DefaultIFACSize: 16},
	config.TypeUDP:            {DefaultIFACSize: udp.DefaultIFACSize},
	config.TypeWeave:          {DefaultIFACSize: 16},
	config.TypeSerial:         {DefaultIFACSize: 8},
	config.TypeKISS:           {DefaultIFACSize: 8},
	config.TypeAX25KISS:       {DefaultIFACSize: 8},
	config.TypeRNode:          {DefaultIFACSize: 8},
	config.TypeRNodeMulti:     {DefaultIFACSize: 8},
	config.TypePipe:           {DefaultIFACSize: 8},
}

// BuiltinType returns the defaults of a built-in interface type.
func BuiltinType(typ string) (TypeInfo, bool) {
	t, ok := typeInfos[typ]
	return t, ok
}

// Discovery announce intervals: the default, and the floor below which a
// configured interval is raised.
const (
	DefaultDiscoveryInterval = 6 * time.Hour
	MinDiscoveryInterval     = 5 * time.Minute
)

// Settings are an interface's generic settings as mehrd resolves them
// from its configuration, whatever its type: what the reference's
// Reticulum._synthesize_interface derives before it hands the interface
// to transport.
type Settings struct {
	// Mode is the effective mode: the configured one, or gateway
	// (access_point for RNode types) for a discoverable interface
	// configured without a mode that publishes interfaces.
	Mode iface.Mode
	// ConfiguredBitrate is the configured bitrate, or 0 when none (or one
	// below the minimum of 5) is configured; Bitrate is the one used.
	ConfiguredBitrate, Bitrate int64
	// AnnounceCap is the share of the bitrate announces may use, a
	// fraction in (0, 1].
	AnnounceCap float64
	// IFACSize is the interface access code length in bytes, and IFAC
	// the access code itself, nil when no network name or passphrase is
	// configured.
	IFACSize                int
	NetworkName, Passphrase string
	IFAC                    *ifac.IFAC
	// Discoverable interfaces are published in discovery announces every
	// DiscoveryInterval.
	Discoverable      bool
	DiscoveryInterval time.Duration
	// Ingress is the ingress control, with every default filled in.
	Ingress transport.IngressControl
}

// effectiveMode is the mode of ic after the discovery rule.
func effectiveMode(ic config.Interface) (iface.Mode, error) {
	m := iface.ModeFull
	if ic.Mode != "" {
		var ok bool
		if m, ok = iface.ParseMode(ic.Mode); !ok {
			return 0, fmt.Errorf("mode %q is not supported", ic.Mode)
		}
	}
	if ic.Discoverable && m != iface.ModeGateway && m != iface.ModeAccessPoint && !ic.IgnoreConfigWarnings {
		if ic.Type == config.TypeRNode || ic.Type == config.TypeRNodeMulti {
			return iface.ModeAccessPoint, nil
		}
		return iface.ModeGateway, nil
	}
	return m, nil
}

// Synthesize resolves the generic settings of interface ic on a node
// configured with r, for a type with the defaults t.
func Synthesize(r config.Reticulum, ic config.Interface, t TypeInfo) (Settings, error) {
	var s Settings
	var err error
	if s.Mode, err = effectiveMode(ic); err != nil {
		return s, err
	}
	s.Bitrate = t.Bitrate
	if ic.Bitrate >= iface.MinBitrate {
		s.ConfiguredBitrate, s.Bitrate = ic.Bitrate, ic.Bitrate
	}
	s.AnnounceCap = float64(config.DefaultAnnounceCap) / 100
	if ic.AnnounceCap > 0 && ic.AnnounceCap <= 100 {
		s.AnnounceCap = ic.AnnounceCap / 100
	}
	s.IFACSize = t.DefaultIFACSize
	if ic.IFACSize >= 8 {
		s.IFACSize = ic.IFACSize / 8
	}
	s.NetworkName, s.Passphrase = ic.NetworkName, ic.Passphrase
	if s.NetworkName != "" || s.Passphrase != "" {
		if s.IFAC, err = ifac.New(s.NetworkName, s.Passphrase, s.IFACSize); err != nil {
			return s, err
		}
	}
	if ic.Discoverable {
		s.Discoverable = true
		s.DiscoveryInterval = DefaultDiscoveryInterval
		if ic.AnnounceInterval != nil {
			s.DiscoveryInterval = max(time.Duration(*ic.AnnounceInterval)*time.Minute, MinDiscoveryInterval)
		}
	}
	s.Ingress = Ingress(r, ic).WithDefaults()
	return s, nil
}
