package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// fieldPath names a key of a Config independently of the file format, so
// that TOML and reference-dialect front ends can each render it with their
// own key names and line numbers.
type fieldPath struct {
	section string // "reticulum", "logging" or "interfaces"
	iface   int    // index into Interfaces; -1 for other sections
	sub     int    // index into Subinterfaces; -1 if not in a subinterface
	key     string // TOML key; "" for a whole interface or subinterface
}

func retPath(key string) fieldPath  { return fieldPath{"reticulum", -1, -1, key} }
func logPath(key string) fieldPath  { return fieldPath{"logging", -1, -1, key} }
func tunPath(key string) fieldPath  { return fieldPath{"tun", -1, -1, key} }
func mehrPath(key string) fieldPath { return fieldPath{"mehr", -1, -1, key} }
func ifPath(i int, key string) fieldPath {
	return fieldPath{"interfaces", i, -1, key}
}
func subPath(i, j int, key string) fieldPath {
	return fieldPath{"interfaces", i, j, key}
}

// tomlKey renders a path the way it is written in mehr's TOML format.
func (p fieldPath) tomlKey() string {
	var b strings.Builder
	b.WriteString(p.section)
	if p.iface >= 0 {
		fmt.Fprintf(&b, "[%d]", p.iface)
	}
	if p.sub >= 0 {
		fmt.Fprintf(&b, ".subinterfaces[%d]", p.sub)
	}
	if p.key != "" {
		b.WriteString(".")
		b.WriteString(p.key)
	}
	return b.String()
}

// problem is a validation failure at a path.
type problem struct {
	path fieldPath
	msg  string
	err  error
}

// locator turns a path into the key text and line number of one file
// format.
type locator interface {
	locate(p fieldPath) (key string, line int)
}

// tomlLocator renders TOML keys with no line numbers; it is used for
// configurations built in memory.
type tomlLocator struct{}

func (tomlLocator) locate(p fieldPath) (string, int) { return p.tomlKey(), 0 }

// toErrors turns problems into one error that joins an *Error per problem,
// in line order.
func toErrors(file string, loc locator, probs []problem) error {
	if len(probs) == 0 {
		return nil
	}
	errs := make([]*Error, 0, len(probs))
	for _, p := range probs {
		key, line := loc.locate(p.path)
		errs = append(errs, &Error{File: file, Line: line, Key: key, Msg: p.msg, Err: p.err})
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	if len(joined) == 1 {
		return joined[0]
	}
	return errors.Join(joined...)
}

// Validate checks c and returns an error joining one *Error per problem,
// or nil. Keys are named as in the TOML format ("interfaces[2].listen_port").
// Validate does not modify c; Load, Decode and ImportReticulum also bring
// names of modes and other enumerations into their canonical form first.
func (c *Config) Validate() error {
	n := clone(c)
	normalize(n)
	return toErrors("", tomlLocator{}, validate(n))
}

// normalize brings enumerations into their canonical spelling and empty
// lists into nil, so that equal configurations compare equal with
// reflect.DeepEqual. Values that are not valid are left alone for validate
// to report.
func normalize(c *Config) {
	r := &c.Reticulum
	r.SharedInstanceType = strings.ToLower(r.SharedInstanceType)
	if m, ok := canonicalMode(r.AutoconnectInterfaceMode); ok && r.AutoconnectInterfaceMode != "" {
		r.AutoconnectInterfaceMode = m
	}
	r.RPCKey = strings.ToLower(r.RPCKey)
	r.RemoteManagementAllowed = lowerList(r.RemoteManagementAllowed)
	r.InterfaceDiscoverySources = lowerList(r.InterfaceDiscoverySources)
	r.BlackholeSources = lowerList(r.BlackholeSources)

	if c.Logging.Level == "" {
		c.Logging.Level = LevelName(c.Logging.LogLevel)
	} else if _, ok := ParseLevel(c.Logging.Level); ok {
		c.Logging.Level = strings.ToLower(c.Logging.Level)
	}

	if len(c.Interfaces) == 0 {
		c.Interfaces = nil
	}
	for i := range c.Interfaces {
		it := &c.Interfaces[i]
		if it.Mode == "" {
			it.Mode = ModeFull
		} else if m, ok := canonicalMode(it.Mode); ok {
			it.Mode = m
		}
		if isOneOf(strings.ToLower(it.DiscoveryScope), discoveryScopes) {
			it.DiscoveryScope = strings.ToLower(it.DiscoveryScope)
		}
		if isOneOf(strings.ToLower(it.MulticastAddressType), multicastTypes) {
			it.MulticastAddressType = strings.ToLower(it.MulticastAddressType)
		}
		if p, ok := canonicalParity(it.Parity); ok {
			it.Parity = p
		}
		it.TransportIdentity = strings.ToLower(it.TransportIdentity)
		it.Devices = nilIfEmpty(it.Devices)
		it.IgnoredDevices = nilIfEmpty(it.IgnoredDevices)
		it.Peers = nilIfEmpty(it.Peers)
		if len(it.Subinterfaces) == 0 {
			it.Subinterfaces = nil
		}
	}
}

var (
	discoveryScopes = []string{"link", "admin", "site", "organisation", "global"}
	multicastTypes  = []string{"temporary", "permanent"}
)

// canonicalMode maps a mode name or one of the reference's aliases, in any
// case, to its canonical name. The empty string maps to full.
func canonicalMode(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "", "full":
		return ModeFull, true
	case "gateway", "gw":
		return ModeGateway, true
	case "access_point", "accesspoint", "ap":
		return ModeAccessPoint, true
	case "point_to_point", "pointtopoint", "ptp":
		return ModePointToPoint, true
	case "roaming":
		return ModeRoaming, true
	case "boundary":
		return ModeBoundary, true
	case "internal":
		return ModeInternal, true
	}
	return "", false
}

// canonicalParity maps the parity names the reference understands to
// none, even or odd.
func canonicalParity(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "":
		return "", true
	case "n", "none":
		return "none", true
	case "e", "even":
		return "even", true
	case "o", "odd":
		return "odd", true
	}
	return "", false
}

func lowerList(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(s)
	}
	return out
}

func nilIfEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func isOneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// validator collects problems.
type validator struct {
	probs []problem
}

func (v *validator) add(p fieldPath, err error, format string, args ...any) {
	v.probs = append(v.probs, problem{path: p, msg: fmt.Sprintf(format, args...), err: err})
}

func (v *validator) port(p fieldPath, n int) {
	if n < 0 || n > 65535 {
		v.add(p, ErrValue, "port %d out of range 1-65535", n)
	}
}

func (v *validator) requiredPort(p fieldPath, n int) {
	if n < 1 || n > 65535 {
		v.add(p, ErrValue, "port %d out of range 1-65535", n)
	}
}

func (v *validator) nonNegInt(p fieldPath, n *int) {
	if n != nil && *n < 0 {
		v.add(p, ErrValue, "%d is negative", *n)
	}
}

func (v *validator) nonNegFloat(p fieldPath, f *float64) {
	if f == nil {
		return
	}
	if !finite(*f) {
		v.add(p, ErrValue, "%s is not a finite number", formatFloat(*f))
	} else if *f < 0 {
		v.add(p, ErrValue, "%s is negative", formatFloat(*f))
	}
}

func (v *validator) floatRange(p fieldPath, f *float64, lo, hi float64) {
	if f == nil {
		return
	}
	if !finite(*f) || *f < lo || *f > hi {
		v.add(p, ErrValue, "%s out of range %s to %s", formatFloat(*f), formatFloat(lo), formatFloat(hi))
	}
}

func (v *validator) hashes(p fieldPath, l []string) {
	for _, h := range l {
		if !isHexLen(h, 32) {
			v.add(p, ErrValue, "%q is not an identity hash of 32 hexadecimal characters", h)
		}
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func isHexLen(s string, n int) bool {
	if len(s) != n {
		return false
	}
	return isHex(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// validate checks a normalized configuration.
func validate(c *Config) []problem {
	v := &validator{}
	validateTUN(v, &c.TUN)
	if c.Mehr.AnnounceInterval < 0 {
		v.add(mehrPath("announce_interval"), ErrValue, "%d seconds is negative", c.Mehr.AnnounceInterval)
	}
	r := &c.Reticulum
	if r.InstanceName == "" {
		v.add(retPath("instance_name"), ErrValue, "must not be empty")
	}
	if !isOneOf(r.SharedInstanceType, []string{"", "tcp", "unix"}) {
		v.add(retPath("shared_instance_type"), ErrValue, "%q is not tcp or unix", r.SharedInstanceType)
	}
	v.requiredPort(retPath("shared_instance_port"), r.SharedInstancePort)
	v.requiredPort(retPath("instance_control_port"), r.InstanceControlPort)
	if r.RPCKey != "" && (len(r.RPCKey)%2 != 0 || !isHex(r.RPCKey)) {
		v.add(retPath("rpc_key"), ErrValue, "not an even number of hexadecimal characters")
	}
	if r.ForceSharedInstanceBitrate != nil && *r.ForceSharedInstanceBitrate <= 0 {
		v.add(retPath("force_shared_instance_bitrate"), ErrValue, "%d is not a positive bitrate", *r.ForceSharedInstanceBitrate)
	}
	v.hashes(retPath("remote_management_allowed"), r.RemoteManagementAllowed)
	v.hashes(retPath("interface_discovery_sources"), r.InterfaceDiscoverySources)
	v.hashes(retPath("blackhole_sources"), r.BlackholeSources)
	if r.RequiredDiscoveryValue < 0 {
		v.add(retPath("required_discovery_value"), ErrValue, "%d is negative", r.RequiredDiscoveryValue)
	}
	if r.AutoconnectDiscoveredInterfaces < 0 {
		v.add(retPath("autoconnect_discovered_interfaces"), ErrValue, "%d is negative", r.AutoconnectDiscoveredInterfaces)
	}
	if r.AutoconnectInterfaceMode != "" {
		if _, ok := canonicalMode(r.AutoconnectInterfaceMode); !ok {
			v.add(retPath("autoconnect_interface_mode"), ErrValue, "unknown mode %q", r.AutoconnectInterfaceMode)
		}
	}
	if f := r.BlackholeUpdateInterval; f != nil && (!finite(*f) || *f < 2) {
		v.add(retPath("blackhole_update_interval"), ErrValue, "%s minutes is less than the minimum of 2", formatFloat(*f))
	}
	if r.DefaultARTarget < 0 {
		v.add(retPath("default_ar_target"), ErrValue, "%d is negative", r.DefaultARTarget)
	}
	if r.DefaultARPenalty < 0 {
		v.add(retPath("default_ar_penalty"), ErrValue, "%d is negative", r.DefaultARPenalty)
	}
	v.nonNegInt(retPath("default_ar_grace"), r.DefaultARGrace)
	v.nonNegInt(retPath("ic_max_held_announces"), r.ICMaxHeldAnnounces)
	v.nonNegFloat(retPath("ic_burst_hold"), r.ICBurstHold)
	v.nonNegFloat(retPath("ic_burst_freq_new"), r.ICBurstFreqNew)
	v.nonNegFloat(retPath("ic_burst_freq"), r.ICBurstFreq)
	v.nonNegFloat(retPath("ic_pr_burst_freq_new"), r.ICPRBurstFreqNew)
	v.nonNegFloat(retPath("ic_pr_burst_freq"), r.ICPRBurstFreq)
	v.nonNegFloat(retPath("ec_pr_freq"), r.ECPRFreq)
	v.nonNegFloat(retPath("ic_new_time"), r.ICNewTime)
	v.nonNegFloat(retPath("ic_burst_penalty"), r.ICBurstPenalty)
	v.nonNegFloat(retPath("ic_held_release_interval"), r.ICHeldReleaseInterval)

	l := &c.Logging
	if l.LogLevel < 0 || l.LogLevel > MaxLogLevel {
		v.add(logPath("loglevel"), ErrValue, "%d out of range 0-%d", l.LogLevel, MaxLogLevel)
	} else if n, ok := ParseLevel(l.Level); !ok {
		v.add(logPath("level"), ErrValue, "unknown level %q (want one of %s)", l.Level, strings.Join(levelNames[:], ", "))
	} else if n != l.LogLevel {
		v.add(logPath("level"), ErrValue, "level %q (%d) disagrees with loglevel %d; set only one of them", l.Level, n, l.LogLevel)
	}

	names := map[string]int{}
	for i := range c.Interfaces {
		it := &c.Interfaces[i]
		if it.Name == "" {
			v.add(ifPath(i, "name"), ErrMissing, "interface has no name")
		} else if j, dup := names[it.Name]; dup {
			v.add(ifPath(i, "name"), ErrDuplicate, "interface name %q is already used by interfaces[%d]", it.Name, j)
		} else {
			names[it.Name] = i
		}
		validateInterface(v, i, it)
	}
	return v.probs
}

func validateInterface(v *validator, i int, it *Interface) {
	p := func(key string) fieldPath { return ifPath(i, key) }
	if _, ok := typeGroups[it.Type]; !ok && (it.Type == "" || it.Plugin == "") {
		switch {
		case it.Type == "":
			v.add(p("type"), ErrMissing, "interface %q has no type", it.Name)
		case it.Plugin != "":
			// A third-party type: its plugin checks its keys.
			return
		default:
			msg := fmt.Sprintf("unknown interface type %q (a type that is not built in needs a plugin key)", it.Type)
			for _, t := range Types() {
				if strings.EqualFold(t, it.Type) {
					msg += fmt.Sprintf(" (did you mean %q?)", t)
				}
			}
			v.add(p("type"), ErrUnknownType, "%s", msg)
		}
		return
	}
	if _, ok := canonicalMode(it.Mode); !ok {
		v.add(p("mode"), ErrValue, "unknown mode %q", it.Mode)
	}
	if it.Bitrate != 0 && it.Bitrate < 5 {
		v.add(p("bitrate"), ErrValue, "bitrate %d is below the minimum of 5 bits per second", it.Bitrate)
	}
	if !finite(it.AnnounceCap) || it.AnnounceCap <= 0 || it.AnnounceCap > 100 {
		v.add(p("announce_cap"), ErrValue, "%s is not a percentage above 0 and at most 100", formatFloat(it.AnnounceCap))
	}
	if it.IFACSize != 0 && (it.IFACSize < 8 || it.IFACSize > 512 || it.IFACSize%8 != 0) {
		v.add(p("ifac_size"), ErrValue, "%d bits is not a multiple of 8 from 8 to 512", it.IFACSize)
	}
	if it.AnnounceRateTarget != nil && *it.AnnounceRateTarget <= 0 {
		v.add(p("announce_rate_target"), ErrValue, "%d is not a positive number of seconds", *it.AnnounceRateTarget)
	}
	v.nonNegInt(p("announce_rate_grace"), it.AnnounceRateGrace)
	v.nonNegInt(p("announce_rate_penalty"), it.AnnounceRatePenalty)
	v.nonNegInt(p("ic_max_held_announces"), it.ICMaxHeldAnnounces)
	v.nonNegFloat(p("ic_burst_hold"), it.ICBurstHold)
	v.nonNegFloat(p("ic_burst_freq_new"), it.ICBurstFreqNew)
	v.nonNegFloat(p("ic_burst_freq"), it.ICBurstFreq)
	v.nonNegFloat(p("ic_pr_burst_freq_new"), it.ICPRBurstFreqNew)
	v.nonNegFloat(p("ic_pr_burst_freq"), it.ICPRBurstFreq)
	v.nonNegFloat(p("ec_pr_freq"), it.ECPRFreq)
	v.nonNegFloat(p("ic_new_time"), it.ICNewTime)
	v.nonNegFloat(p("ic_burst_penalty"), it.ICBurstPenalty)
	v.nonNegFloat(p("ic_held_release_interval"), it.ICHeldReleaseInterval)
	if it.AnnounceInterval != nil && *it.AnnounceInterval < 5 {
		v.add(p("announce_interval"), ErrValue, "%d minutes is less than the minimum of 5", *it.AnnounceInterval)
	}
	v.nonNegInt(p("discovery_stamp_value"), it.DiscoveryStampValue)
	v.floatRange(p("latitude"), it.Latitude, -90, 90)
	v.floatRange(p("longitude"), it.Longitude, -180, 180)
	v.floatRange(p("height"), it.Height, -math.MaxFloat64, math.MaxFloat64)
	if it.DiscoveryFrequency != nil && *it.DiscoveryFrequency < 0 {
		v.add(p("discovery_frequency"), ErrValue, "%d is negative", *it.DiscoveryFrequency)
	}
	if it.DiscoveryBandwidth != nil && *it.DiscoveryBandwidth < 0 {
		v.add(p("discovery_bandwidth"), ErrValue, "%d is negative", *it.DiscoveryBandwidth)
	}
	if it.TransportIdentity != "" && !isHexLen(it.TransportIdentity, 32) {
		v.add(p("transport_identity"), ErrValue, "%q is not an identity hash of 32 hexadecimal characters", it.TransportIdentity)
	}

	v.port(p("target_port"), it.TargetPort)
	v.port(p("listen_port"), it.ListenPort)
	v.port(p("forward_port"), it.ForwardPort)
	v.port(p("discovery_port"), it.DiscoveryPort)
	v.port(p("data_port"), it.DataPort)
	if it.FixedMTU != 0 && it.FixedMTU < 500 {
		v.add(p("fixed_mtu"), ErrValue, "MTU %d is below the minimum of 500 bytes", it.FixedMTU)
	}
	if it.ConnectTimeout != nil && *it.ConnectTimeout <= 0 {
		v.add(p("connect_timeout"), ErrValue, "%d is not a positive number of seconds", *it.ConnectTimeout)
	}
	v.nonNegInt(p("max_reconnect_tries"), it.MaxReconnectTries)
	v.nonNegFloat(p("fast_flapping_threshold"), it.FastFlappingThreshold)
	v.nonNegInt(p("fast_flapping_grace"), it.FastFlappingGrace)
	v.nonNegFloat(p("fast_flapping_block_time"), it.FastFlappingBlockTime)
	if it.DiscoveryScope != "" && !isOneOf(it.DiscoveryScope, discoveryScopes) {
		v.add(p("discovery_scope"), ErrValue, "unknown scope %q (want link, admin, site, organisation or global)", it.DiscoveryScope)
	}
	if it.MulticastAddressType != "" && !isOneOf(it.MulticastAddressType, multicastTypes) {
		v.add(p("multicast_address_type"), ErrValue, "unknown multicast address type %q (want temporary or permanent)", it.MulticastAddressType)
	}
	if it.Speed < 0 {
		v.add(p("speed"), ErrValue, "%d is negative", it.Speed)
	}
	if it.DataBits != 0 && (it.DataBits < 5 || it.DataBits > 8) {
		v.add(p("databits"), ErrValue, "%d out of range 5-8", it.DataBits)
	}
	if it.StopBits != 0 && it.StopBits != 1 && it.StopBits != 2 {
		v.add(p("stopbits"), ErrValue, "%d is not 1 or 2", it.StopBits)
	}
	if _, ok := canonicalParity(it.Parity); !ok {
		v.add(p("parity"), ErrValue, "unknown parity %q (want none, even or odd)", it.Parity)
	}
	v.nonNegInt(p("preamble"), it.Preamble)
	v.nonNegInt(p("txtail"), it.TXTail)
	v.nonNegInt(p("slottime"), it.SlotTime)
	if it.Persistence != nil && (*it.Persistence < 0 || *it.Persistence > 255) {
		v.add(p("persistence"), ErrValue, "%d out of range 0-255", *it.Persistence)
	}
	v.nonNegInt(p("id_interval"), it.IDInterval)
	if it.SSID != nil && (*it.SSID < 0 || *it.SSID > 15) {
		v.add(p("ssid"), ErrValue, "SSID %d out of range 0-15", *it.SSID)
	}
	if it.Callsign != "" && !validCallsign(it.Callsign) {
		v.add(p("callsign"), ErrValue, "callsign %q is not 3 to 6 ASCII characters", it.Callsign)
	}
	radio(v, p, it.Frequency, it.Bandwidth, it.SpreadingFactor, it.CodingRate, it.AirtimeLimitShort, it.AirtimeLimitLong)
	v.nonNegFloat(p("respawn_delay"), it.RespawnDelay)

	subNames := map[string]bool{}
	for j := range it.Subinterfaces {
		s := &it.Subinterfaces[j]
		sp := func(key string) fieldPath { return subPath(i, j, key) }
		if s.Name == "" {
			v.add(sp("name"), ErrMissing, "subinterface has no name")
		} else if subNames[s.Name] {
			v.add(sp("name"), ErrDuplicate, "subinterface name %q is already used", s.Name)
		}
		subNames[s.Name] = true
		if s.VPort != nil && *s.VPort < 0 {
			v.add(sp("vport"), ErrValue, "%d is negative", *s.VPort)
		}
		radio(v, sp, s.Frequency, s.Bandwidth, s.SpreadingFactor, s.CodingRate, s.AirtimeLimitShort, s.AirtimeLimitLong)
	}

	if it.Enabled {
		required(v, i, it)
	}
}

func radio(v *validator, p func(string) fieldPath, freq, bw int64, sf, cr int, short, long *float64) {
	if freq < 0 {
		v.add(p("frequency"), ErrValue, "%d is negative", freq)
	}
	if bw < 0 {
		v.add(p("bandwidth"), ErrValue, "%d is negative", bw)
	}
	if sf != 0 && (sf < 5 || sf > 12) {
		v.add(p("spreadingfactor"), ErrValue, "%d out of range 5-12", sf)
	}
	if cr != 0 && (cr < 5 || cr > 8) {
		v.add(p("codingrate"), ErrValue, "%d out of range 5-8", cr)
	}
	v.floatRange(p("airtime_limit_short"), short, 0, 100)
	v.floatRange(p("airtime_limit_long"), long, 0, 100)
}

func validCallsign(s string) bool {
	if len(s) < 3 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// required checks the keys an enabled interface of each type cannot do
// without; the reference fails to start without them.
func required(v *validator, i int, it *Interface) {
	miss := func(key, why string) {
		v.add(ifPath(i, key), ErrMissing, "%s %q needs %s", it.Type, it.Name, why)
	}
	listener := func() {
		if it.ListenPort == 0 {
			miss("listen_port", "listen_port (or port)")
		}
		if it.ListenIP == "" && it.Device == "" {
			miss("listen_ip", "listen_ip or device")
		}
	}
	client := func() {
		if it.TargetHost == "" {
			miss("target_host", "target_host")
		}
		if it.TargetPort == 0 {
			miss("target_port", "target_port")
		}
	}
	switch it.Type {
	case TypeTCPClient, TypeBackboneClient:
		client()
	case TypeTCPServer:
		listener()
	case TypeBackbone:
		if it.TargetHost != "" {
			client()
		} else {
			listener()
		}
	case TypeUDP:
		if it.ListenPort == 0 && it.ForwardPort == 0 {
			miss("listen_port", "listen_port, forward_port or port")
		}
		if it.ListenPort != 0 && it.ListenIP == "" && it.Device == "" {
			miss("listen_ip", "listen_ip or device")
		}
		if it.ForwardPort != 0 && it.ForwardIP == "" && it.Device == "" {
			miss("forward_ip", "forward_ip or device")
		}
	case TypeSerial, TypeKISS, TypeWeave:
		if it.Port == "" {
			miss("port", "a port (serial device)")
		}
	case TypeAX25KISS:
		if it.Port == "" {
			miss("port", "a port (serial device)")
		}
		if it.Callsign == "" {
			miss("callsign", "a callsign")
		}
		if it.SSID == nil {
			miss("ssid", "an ssid")
		}
	case TypeRNode:
		if it.Port == "" {
			miss("port", "a port (serial device, tcp:// or ble://)")
		}
		if it.Frequency == 0 {
			miss("frequency", "a frequency")
		}
		if it.Bandwidth == 0 {
			miss("bandwidth", "a bandwidth")
		}
		if it.SpreadingFactor == 0 {
			miss("spreadingfactor", "a spreading factor")
		}
		if it.CodingRate == 0 {
			miss("codingrate", "a coding rate")
		}
	case TypeRNodeMulti:
		if it.Port == "" {
			miss("port", "a port (serial device)")
		}
		enabled := 0
		for j := range it.Subinterfaces {
			s := &it.Subinterfaces[j]
			if !s.Enabled {
				continue
			}
			enabled++
			smiss := func(key, what string) {
				v.add(subPath(i, j, key), ErrMissing, "subinterface %q of %q needs %s", s.Name, it.Name, what)
			}
			if s.VPort == nil {
				smiss("vport", "a vport")
			}
			if s.Frequency == 0 {
				smiss("frequency", "a frequency")
			}
			if s.Bandwidth == 0 {
				smiss("bandwidth", "a bandwidth")
			}
			if s.SpreadingFactor == 0 {
				smiss("spreadingfactor", "a spreading factor")
			}
			if s.CodingRate == 0 {
				smiss("codingrate", "a coding rate")
			}
		}
		if enabled == 0 {
			miss("subinterfaces", "at least one enabled subinterface")
		}
	case TypePipe:
		if it.Command == "" {
			miss("command", "a command")
		}
	}
}

// formatFloat formats a float the way TOML writes it.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// validateTUN checks the [tun] section; the prefix's length against the
// address layout is checked where the adapter is built.
func validateTUN(v *validator, t *TUN) {
	if t.MTU != 0 && (t.MTU < 1280 || t.MTU > 65535) {
		v.add(tunPath("mtu"), ErrValue, "%d is not from 1280 to 65535 (IPv6 needs at least 1280)", t.MTU)
	}
	if t.Prefix != "" {
		p, err := netip.ParsePrefix(t.Prefix)
		switch {
		case err != nil:
			v.add(tunPath("prefix"), ErrValue, "%q is not an IPv6 prefix such as fd00:1234::/48", t.Prefix)
		case !p.Addr().Is6() || p.Addr().Is4In6():
			v.add(tunPath("prefix"), ErrValue, "%s is not an IPv6 prefix", t.Prefix)
		case p.Bits() > 64:
			v.add(tunPath("prefix"), ErrValue, "%s is longer than /64, which leaves too few bits of the destination hash", t.Prefix)
		case p.Masked() != p:
			v.add(tunPath("prefix"), ErrValue, "%s has bits set after the prefix length (did you mean %s?)", t.Prefix, p.Masked())
		}
	}
	if len(t.Device) > 15 {
		v.add(tunPath("device"), ErrValue, "%q is longer than the 15 characters a device name may have", t.Device)
	}
}
