package rnode

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/rns/iface"
)

// FromConfig maps an RNodeInterface configuration section to a Config,
// with the reference's rules: the radio parameters are required and
// checked against the reference's ranges; id_callsign and id_interval
// take effect only together; a bitrate below MinBitrate is ignored. It
// returns an error naming the interface and the offending key, wrapping
// ErrInvalidConfig. Transport options (IFAC, announce caps, outgoing) are
// not the driver's and are left to the caller; DefaultIFACSize is the IFAC
// size to use when ifac_size is unset.
func FromConfig(ic config.Interface) (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("rnode %s: %s: %w", ic.Name, fmt.Sprintf(format, args...), ErrInvalidConfig)
	}
	if ic.Type != "" && ic.Type != config.TypeRNode {
		return bad("type %q is not %s", ic.Type, config.TypeRNode)
	}
	c := Config{Name: ic.Name, Port: ic.Port, FlowControl: ic.FlowControl,
		STALock: ic.AirtimeLimitShort, LTALock: ic.AirtimeLimitLong}
	switch lower := strings.ToLower(ic.Port); {
	case ic.Port == "":
		return bad("no port configured")
	case strings.HasPrefix(lower, "tcp://"), strings.HasPrefix(lower, "ble://"):
		return bad("port %q: RNodes over TCP or Bluetooth are not supported, only serial ports", ic.Port)
	}
	if ic.Mode != "" {
		m, ok := iface.ParseMode(strings.ToLower(ic.Mode))
		if !ok {
			return bad("mode %q is not supported", ic.Mode)
		}
		c.Mode = m
	}
	if ic.Frequency < 0 || ic.Frequency > math.MaxUint32 {
		return bad("frequency %d Hz outside %d..%d", ic.Frequency, uint32(FrequencyMin), uint32(FrequencyMax))
	}
	if ic.Bandwidth < 0 || ic.Bandwidth > math.MaxUint32 {
		return bad("bandwidth %d Hz outside %d..%d", ic.Bandwidth, BandwidthMin, BandwidthMax)
	}
	if ic.TXPower < 0 || ic.TXPower > TXPowerMax {
		return bad("txpower %d dBm outside 0..%d", ic.TXPower, TXPowerMax)
	}
	if ic.SpreadingFactor < SFMin || ic.SpreadingFactor > SFMax {
		return bad("spreadingfactor %d outside %d..%d", ic.SpreadingFactor, SFMin, SFMax)
	}
	if ic.CodingRate < CRMin || ic.CodingRate > CRMax {
		return bad("codingrate %d outside %d..%d", ic.CodingRate, CRMin, CRMax)
	}
	c.Frequency, c.Bandwidth = uint32(ic.Frequency), uint32(ic.Bandwidth)
	c.TXPower, c.SpreadingFactor, c.CodingRate = uint8(ic.TXPower), uint8(ic.SpreadingFactor), uint8(ic.CodingRate)
	if ic.IDCallsign != "" && ic.IDInterval != nil {
		if len(ic.IDCallsign) > CallsignMaxLen {
			return bad("id_callsign of %d bytes exceeds %d", len(ic.IDCallsign), CallsignMaxLen)
		}
		if *ic.IDInterval <= 0 {
			return bad("id_interval %d must be positive", *ic.IDInterval)
		}
		c.IDCallsign = ic.IDCallsign
		c.IDInterval = time.Duration(*ic.IDInterval) * time.Second
	}
	if ic.Bitrate >= MinBitrate {
		c.Bitrate = ic.Bitrate
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("rnode %s: %w", ic.Name, err)
	}
	return c, nil
}
