package pluginmain

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/rns/iface"
)

// The drivers know nothing of mehr's configuration schema; these map an
// interface section onto each driver's Config, with the reference's
// defaults and ranges. Keys that transport applies (IFAC, announce caps,
// ingress control) are left to mehrd.

// Serial maps a SerialInterface section.
func Serial(ic config.Interface) (serial.Config, error) {
	if ic.Type != config.TypeSerial {
		return serial.Config{}, fmt.Errorf("%w: interface %q has type %q, not %s", serial.ErrBadConfig, ic.Name, ic.Type, config.TypeSerial)
	}
	m, err := mode(ic, serial.ErrBadConfig)
	if err != nil {
		return serial.Config{}, err
	}
	pc, err := port(ic)
	if err != nil {
		return serial.Config{}, err
	}
	c := serial.Config{Name: ic.Name, Mode: m, Port: pc, Bitrate: ic.Bitrate}
	if c.Bitrate != 0 && c.Bitrate < serial.MinBitrate {
		return serial.Config{}, fmt.Errorf("%w: interface %q: bitrate %d below %d", serial.ErrBadConfig, ic.Name, c.Bitrate, serial.MinBitrate)
	}
	return c, nil
}

// port maps the serial port keys (port, speed, databits, parity,
// stopbits) of a serial-attached section, with the reference's defaults
// for keys left out.
func port(ic config.Interface) (serial.PortConfig, error) {
	par, ok := serial.ParseParity(ic.Parity)
	if !ok {
		return serial.PortConfig{}, fmt.Errorf("%w: interface %q: unknown parity %q (want none, even or odd)", serial.ErrBadConfig, ic.Name, ic.Parity)
	}
	pc, err := serial.PortConfig{Path: ic.Port, Speed: ic.Speed, DataBits: ic.DataBits, Parity: par, StopBits: ic.StopBits}.Normalized()
	if err != nil {
		return serial.PortConfig{}, fmt.Errorf("interface %q: %w", ic.Name, err)
	}
	return pc, nil
}

// mode maps a section's mode; empty means full. The reference's internal
// mode has no meaning for a driver and is refused.
func mode(ic config.Interface, errBad error) (iface.Mode, error) {
	if ic.Mode == "" {
		return iface.ModeFull, nil
	}
	m, ok := iface.ParseMode(strings.ToLower(ic.Mode))
	if !ok {
		return 0, fmt.Errorf("%w: interface %q: mode %q is not supported", errBad, ic.Name, ic.Mode)
	}
	return m, nil
}

// KISS maps a KISSInterface section.
func KISS(ic config.Interface) (kiss.Config, error) {
	if ic.Type != config.TypeKISS {
		return kiss.Config{}, fmt.Errorf("%w: interface %q has type %q, not %s", kiss.ErrBadConfig, ic.Name, ic.Type, config.TypeKISS)
	}
	m, err := mode(ic, kiss.ErrBadConfig)
	if err != nil {
		return kiss.Config{}, err
	}
	pc, err := port(ic)
	if err != nil {
		return kiss.Config{}, err
	}
	bad := func(format string, args ...any) (kiss.Config, error) {
		return kiss.Config{}, fmt.Errorf("%w: interface %q: %s", kiss.ErrBadConfig, ic.Name, fmt.Sprintf(format, args...))
	}
	c := kiss.Config{Name: ic.Name, Mode: m, Port: pc, Bitrate: ic.Bitrate, FlowControl: ic.FlowControl, IDCallsign: ic.IDCallsign}
	if c.Bitrate != 0 && c.Bitrate < kiss.MinBitrate {
		return bad("bitrate %d below %d", c.Bitrate, kiss.MinBitrate)
	}
	tnc := kiss.DefaultTNC()
	for _, d := range []struct {
		key string
		v   *int
		dst *time.Duration
	}{{"preamble", ic.Preamble, &tnc.Preamble}, {"txtail", ic.TXTail, &tnc.TXTail}, {"slottime", ic.SlotTime, &tnc.SlotTime}} {
		if d.v == nil {
			continue
		}
		if *d.v < 0 {
			return bad("%s %d ms is negative", d.key, *d.v)
		}
		*d.dst = time.Duration(*d.v) * time.Millisecond
	}
	if ic.Persistence != nil {
		if *ic.Persistence < 0 || *ic.Persistence > 255 {
			return bad("persistence %d outside 0..255", *ic.Persistence)
		}
		tnc.Persistence = *ic.Persistence
	}
	c.TNC = &tnc
	if ic.IDInterval != nil {
		if *ic.IDInterval < 0 {
			return bad("id_interval %d is negative", *ic.IDInterval)
		}
		c.IDInterval = time.Duration(*ic.IDInterval) * time.Second
	}
	if len(c.IDCallsign) > kiss.HWMTU {
		return bad("id_callsign is %d bytes long, more than %d", len(c.IDCallsign), kiss.HWMTU)
	}
	return c, nil
}

// RNode maps an RNodeInterface section with the reference's rules: the
// radio parameters are required and checked against the reference's
// ranges; id_callsign and id_interval take effect only together; a
// bitrate below the minimum is ignored. Errors name the interface and the
// key and wrap rnode.ErrInvalidConfig.
func RNode(ic config.Interface) (rnode.Config, error) {
	bad := func(format string, args ...any) (rnode.Config, error) {
		return rnode.Config{}, fmt.Errorf("rnode %s: %s: %w", ic.Name, fmt.Sprintf(format, args...), rnode.ErrInvalidConfig)
	}
	if ic.Type != "" && ic.Type != config.TypeRNode {
		return bad("type %q is not %s", ic.Type, config.TypeRNode)
	}
	c := rnode.Config{Name: ic.Name, Port: ic.Port, FlowControl: ic.FlowControl,
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
		return bad("frequency %d Hz outside %d..%d", ic.Frequency, uint32(rnode.FrequencyMin), uint32(rnode.FrequencyMax))
	}
	if ic.Bandwidth < 0 || ic.Bandwidth > math.MaxUint32 {
		return bad("bandwidth %d Hz outside %d..%d", ic.Bandwidth, rnode.BandwidthMin, rnode.BandwidthMax)
	}
	if ic.TXPower < 0 || ic.TXPower > rnode.TXPowerMax {
		return bad("txpower %d dBm outside 0..%d", ic.TXPower, rnode.TXPowerMax)
	}
	if ic.SpreadingFactor < rnode.SFMin || ic.SpreadingFactor > rnode.SFMax {
		return bad("spreadingfactor %d outside %d..%d", ic.SpreadingFactor, rnode.SFMin, rnode.SFMax)
	}
	if ic.CodingRate < rnode.CRMin || ic.CodingRate > rnode.CRMax {
		return bad("codingrate %d outside %d..%d", ic.CodingRate, rnode.CRMin, rnode.CRMax)
	}
	c.Frequency, c.Bandwidth = uint32(ic.Frequency), uint32(ic.Bandwidth)
	c.TXPower, c.SpreadingFactor, c.CodingRate = uint8(ic.TXPower), uint8(ic.SpreadingFactor), uint8(ic.CodingRate)
	if ic.IDCallsign != "" && ic.IDInterval != nil {
		if len(ic.IDCallsign) > rnode.CallsignMaxLen {
			return bad("id_callsign of %d bytes exceeds %d", len(ic.IDCallsign), rnode.CallsignMaxLen)
		}
		if *ic.IDInterval <= 0 {
			return bad("id_interval %d must be positive", *ic.IDInterval)
		}
		c.IDCallsign = ic.IDCallsign
		c.IDInterval = time.Duration(*ic.IDInterval) * time.Second
	}
	if ic.Bitrate >= rnode.MinBitrate {
		c.Bitrate = ic.Bitrate
	}
	if err := c.Validate(); err != nil {
		return rnode.Config{}, fmt.Errorf("rnode %s: %w", ic.Name, err)
	}
	return c, nil
}
