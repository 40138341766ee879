package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"
)

// ReadReticulumDir imports the reference configuration file "config" in a
// Reticulum configuration directory such as ~/.reticulum.
func ReadReticulumDir(dir string) (*Config, []Warning, error) {
	path := filepath.Join(dir, "config")
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ImportReticulum(f, path)
}

// ImportReticulum reads a configuration file of the Python reference and
// maps every key it knows into a Config. filename is used in messages only.
//
// Values are read as the reference reads them: booleans accept yes/no,
// true/false, on/off and 1/0 in any case; numbers follow Python's int() and
// float(); a value with an unquoted comma is a list. Where the reference
// silently replaces a value (an announce_cap above 100, an ifac_size that is
// not a multiple of 8, an unknown mode, ...) the importer does the same and
// adds a Warning. Unknown keys and sections are warnings. Values the
// reference cannot read at all (a non-numeric port, an unknown
// discovery_scope, an enabled interface of an unknown type) are errors, and
// so is anything that fails Validate.
func ImportReticulum(r io.Reader, filename string) (*Config, []Warning, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	text, err := decodeText(data, filename)
	if err != nil {
		return nil, nil, err
	}
	root, err := parseConfigObj(text, filename)
	if err != nil {
		return nil, nil, err
	}
	im := &importer{file: filename, src: map[fieldPath]srcLoc{}, secs: map[string]*coSection{},
		subSecs: map[[2]int]*coSection{}}
	c := Default()
	c.Interfaces = nil
	im.run(root, c)
	sort.SliceStable(im.warns, func(i, j int) bool { return im.warns[i].Line < im.warns[j].Line })
	if len(im.errs) > 0 {
		sort.SliceStable(im.errs, func(i, j int) bool { return im.errs[i].Line < im.errs[j].Line })
		if len(im.errs) == 1 {
			return nil, im.warns, im.errs[0]
		}
		errs := make([]error, len(im.errs))
		for i, e := range im.errs {
			errs[i] = e
		}
		return nil, im.warns, errors.Join(errs...)
	}
	normalize(c)
	if err := toErrors(filename, im, validate(c)); err != nil {
		return nil, im.warns, err
	}
	return c, im.warns, nil
}

// decodeText turns file bytes into text the way the reference reads its
// configuration: UTF-8, with an optional byte order mark.
func decodeText(data []byte, file string) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return "", &Error{File: file, Line: 1, Msg: "UTF-16 text is not supported; save the file as UTF-8", Err: ErrSyntax}
	}
	if !utf8.Valid(data) {
		line := 1
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			if r == '\n' {
				line++
			}
			i += n
		}
		return "", &Error{File: file, Line: line, Msg: "invalid UTF-8", Err: ErrSyntax}
	}
	return string(data), nil
}

// srcLoc is where a Config field came from.
type srcLoc struct {
	key  string
	line int
}

type importer struct {
	file   string
	warns  []Warning
	errs   []*Error
	src    map[fieldPath]srcLoc  // field -> key and line it was read from
	secs   map[string]*coSection // "reticulum", "logging"
	ifSecs []*coSection          // section of each imported interface
	// subSecs maps (interface, subinterface) indexes to their sections.
	subSecs map[[2]int]*coSection
}

func (im *importer) warn(line int, key, format string, args ...any) {
	im.warns = append(im.warns, Warning{File: im.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (im *importer) fail(line int, key string, err error, format string, args ...any) {
	im.errs = append(im.errs, &Error{File: im.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...), Err: err})
}

// label names a section in messages: "[reticulum]", "[[TCP Client]]",
// "[[RNode]] [[[Low]]]".
func label(s *coSection) string {
	var parts []string
	for ; s != nil && s.depth > 0; s = s.parent {
		if s.depth == 1 && s.name == "interfaces" && len(parts) > 0 {
			continue
		}
		parts = append([]string{sectionLabel(s)}, parts...)
	}
	return strings.Join(parts, " ")
}

func entryKey(s *coSection, key string) string {
	if l := label(s); l != "" {
		return l + " " + key
	}
	return key
}

// locate implements locator for validation problems found after import.
func (im *importer) locate(p fieldPath) (string, int) {
	if loc, ok := im.src[p]; ok {
		return loc.key, loc.line
	}
	var sec *coSection
	switch {
	case p.sub >= 0:
		sec = im.subSecs[[2]int{p.iface, p.sub}]
	case p.iface >= 0 && p.iface < len(im.ifSecs):
		sec = im.ifSecs[p.iface]
	default:
		sec = im.secs[p.section]
	}
	if sec == nil {
		return "[" + p.section + "] " + p.key, 0
	}
	if p.key == "" {
		return label(sec), sec.line
	}
	return entryKey(sec, p.key), sec.line
}

func (im *importer) run(root *coSection, c *Config) {
	for _, e := range root.entries {
		im.warn(e.line, e.key, "key outside any section; ignored")
	}
	for _, s := range root.subs {
		switch s.name {
		case "reticulum":
			im.secs["reticulum"] = s
			im.reticulum(s, &c.Reticulum)
		case "logging":
			im.secs["logging"] = s
			im.logging(s, &c.Logging)
		case "interfaces":
			im.interfaces(s, c)
		default:
			im.warn(s.line, sectionLabel(s), "unknown section; ignored")
		}
	}
}

// convert reads an entry as the kind of value stored in fv.
func (im *importer) convert(sec *coSection, e *coEntry, fv reflect.Value) bool {
	v, ok := im.get(sec, e)
	if !ok {
		return false
	}
	key := entryKey(sec, e.key)
	t := fv.Type()
	if t.Kind() == reflect.Slice {
		l := v.list
		if !v.isList {
			l = []string{v.s}
		}
		fv.Set(reflect.ValueOf(append([]string(nil), l...)))
		return true
	}
	if v.isList {
		im.fail(e.line, key, ErrType, "expected a single value, got a list (%s); quote values that contain commas", strings.Join(v.list, ", "))
		return false
	}
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if !im.scalar(e.line, key, v.s, p.Elem()) {
			return false
		}
		fv.Set(p)
		return true
	}
	return im.scalar(e.line, key, v.s, fv)
}

func (im *importer) scalar(line int, key, s string, fv reflect.Value) bool {
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, ok := pyBool(s)
		if !ok {
			im.fail(line, key, ErrValue, "%q is not a boolean (yes/no, true/false, on/off, 1/0)", s)
			return false
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := pyInt(s, fv.Type().Bits())
		if err != nil {
			im.fail(line, key, ErrValue, "%v", err)
			return false
		}
		fv.SetInt(n)
	case reflect.Float64:
		f, err := pyFloat(s)
		if err != nil {
			im.fail(line, key, ErrValue, "%v", err)
			return false
		}
		fv.SetFloat(f)
	default:
		panic("config: unsupported field kind " + fv.Kind().String())
	}
	return true
}

// field sets the field named key of the struct rv from an entry and
// records where it came from.
func (im *importer) field(sec *coSection, e *coEntry, rv reflect.Value, si *structInfo, p fieldPath) bool {
	fi := si.byName[p.key]
	if !im.convert(sec, e, rv.Field(fi.index)) {
		return false
	}
	im.src[p] = srcLoc{entryKey(sec, e.key), e.line}
	return true
}

func (im *importer) subsectionsIgnored(s *coSection) {
	for _, sub := range s.subs {
		im.warn(sub.line, label(sub), "unknown section; ignored")
	}
}

// reticulum maps the [reticulum] section.
func (im *importer) reticulum(s *coSection, r *Reticulum) {
	im.subsectionsIgnored(s)
	rv := reflect.ValueOf(r).Elem()
	si := reticulumInfo()
	for _, e := range s.entries {
		key := entryKey(s, e.key)
		if si.byName[e.key] == nil {
			im.warn(e.line, key, "unknown key; ignored")
			continue
		}
		p := retPath(e.key)
		before := rv.Field(si.byName[e.key].index).Interface()
		if !im.field(s, e, rv, si, p) {
			continue
		}
		reset := func(format string, args ...any) {
			rv.Field(si.byName[e.key].index).Set(reflect.ValueOf(before))
			im.warn(e.line, key, format, args...)
		}
		switch e.key {
		case "shared_instance_type":
			r.SharedInstanceType = strings.ToLower(r.SharedInstanceType)
			if r.SharedInstanceType != "tcp" && r.SharedInstanceType != "unix" {
				reset("%q is not tcp or unix; ignored, as in the reference", r.SharedInstanceType)
			}
		case "rpc_key":
			k := strings.ReplaceAll(r.RPCKey, " ", "")
			if k == "" || len(k)%2 != 0 || !isHex(k) {
				reset("not hexadecimal; the reference falls back to the default key")
			} else {
				r.RPCKey = k
			}
		case "link_mtu_discovery":
			if !r.LinkMTUDiscovery {
				reset("the reference cannot turn link MTU discovery off; it stays on")
			}
		case "remote_management_allowed", "interface_discovery_sources", "blackhole_sources":
			l := rv.Field(si.byName[e.key].index).Interface().([]string)
			var out []string
			seen := map[string]bool{}
			for _, h := range l {
				if !isHexLen(h, 32) {
					im.fail(e.line, key, ErrValue, "%q is not an identity hash of 32 hexadecimal characters", h)
					continue
				}
				if h = strings.ToLower(h); !seen[h] {
					seen[h] = true
					out = append(out, h)
				}
			}
			rv.Field(si.byName[e.key].index).Set(reflect.ValueOf(out))
		case "required_discovery_value":
			if r.RequiredDiscoveryValue < 0 {
				reset("%d is not positive; the default is used, as in the reference", r.RequiredDiscoveryValue)
			}
		case "autoconnect_discovered_interfaces":
			if r.AutoconnectDiscoveredInterfaces < 0 {
				reset("%d is not positive; auto-connecting stays off, as in the reference", r.AutoconnectDiscoveredInterfaces)
			}
		case "autoconnect_interface_mode":
			m, ok := canonicalMode(r.AutoconnectInterfaceMode)
			if !ok || r.AutoconnectInterfaceMode == "" {
				reset("unknown mode %q; ignored, as in the reference", r.AutoconnectInterfaceMode)
			} else {
				r.AutoconnectInterfaceMode = m
			}
		case "blackhole_update_interval":
			if *r.BlackholeUpdateInterval < 2 {
				im.warn(e.line, key, "%s minutes raised to the minimum of 2, as in the reference", formatFloat(*r.BlackholeUpdateInterval))
				*r.BlackholeUpdateInterval = 2
			}
		case "default_ar_target":
			if r.DefaultARTarget < 0 {
				reset("%d is negative; ignored, as in the reference", r.DefaultARTarget)
			}
		case "default_ar_penalty":
			if r.DefaultARPenalty < 0 {
				reset("%d is negative; ignored, as in the reference", r.DefaultARPenalty)
			}
		case "default_ar_grace", "ic_max_held_announces":
			// The reference ignores negative values and, reading the
			// setting with "or", replaces 0 with the built-in default.
			n := rv.Field(si.byName[e.key].index).Interface().(*int)
			if *n < 0 {
				reset("%d is negative; ignored, as in the reference", *n)
			} else if *n == 0 {
				reset("0 means the built-in default in the reference")
			}
		case "ic_burst_hold", "ic_burst_freq_new", "ic_burst_freq", "ic_pr_burst_freq_new", "ic_pr_burst_freq",
			"ec_pr_freq", "ic_new_time", "ic_burst_penalty", "ic_held_release_interval":
			f := rv.Field(si.byName[e.key].index).Interface().(*float64)
			if *f < 0 {
				reset("%s is negative; ignored, as in the reference", formatFloat(*f))
			} else if *f == 0 {
				reset("0 means the built-in default in the reference")
			}
		}
	}
}

// logging maps the [logging] section.
func (im *importer) logging(s *coSection, l *Logging) {
	im.subsectionsIgnored(s)
	rv := reflect.ValueOf(l).Elem()
	si := loggingInfo()
	for _, e := range s.entries {
		key := entryKey(s, e.key)
		switch e.key {
		case "loglevel", "logtimestamps":
		default:
			im.warn(e.line, key, "unknown key; ignored")
			continue
		}
		if !im.field(s, e, rv, si, logPath(e.key)) {
			continue
		}
		if e.key == "loglevel" {
			n := l.LogLevel
			if n < 0 || n > MaxLogLevel {
				l.LogLevel = min(max(n, 0), MaxLogLevel)
				im.warn(e.line, key, "log level %d clamped to %d, as in the reference", n, l.LogLevel)
			}
			l.Level = LevelName(l.LogLevel)
			im.src[logPath("level")] = im.src[logPath("loglevel")]
		}
	}
}

// interfaces maps the [interfaces] section.
func (im *importer) interfaces(s *coSection, c *Config) {
	for _, e := range s.entries {
		im.warn(e.line, entryKey(s, e.key), "not an interface section; ignored")
	}
	for _, sec := range s.subs {
		if it, ok := im.iface(sec, len(c.Interfaces)); ok {
			c.Interfaces = append(c.Interfaces, it)
			im.ifSecs = append(im.ifSecs, sec)
		}
	}
}

// Keys the reference writes into an interface's configuration itself; a
// value in the file has no effect.
var internalKeys = map[string]bool{
	"name": true, "selected_interface_mode": true, "configured_bitrate": true,
	"storagepath": true, "ifac_netname": true, "ifac_netkey": true,
}

// iface maps one [[Name]] section. It returns false if the section is
// skipped.
func (im *importer) iface(sec *coSection, idx int) (Interface, bool) {
	lbl := label(sec)
	p := func(key string) fieldPath { return ifPath(idx, key) }
	enabled, parentEnabled := false, false
	for _, k := range []string{"interface_enabled", "enabled"} {
		if e := sec.byKey[k]; e != nil {
			var b bool
			if !im.convert(sec, e, reflect.ValueOf(&b).Elem()) {
				return Interface{}, false
			}
			enabled = enabled || b
			if k == "enabled" {
				parentEnabled = b
			}
			im.src[p("enabled")] = srcLoc{entryKey(sec, k), e.line}
		}
	}
	typ := ""
	if e := sec.byKey["type"]; e != nil {
		if !im.convert(sec, e, reflect.ValueOf(&typ).Elem()) {
			return Interface{}, false
		}
		im.src[p("type")] = srcLoc{entryKey(sec, "type"), e.line}
	}
	if _, known := typeGroups[typ]; !known {
		switch {
		case typ == "" && enabled:
			im.fail(sec.line, lbl, ErrMissing, "enabled interface has no type")
			return Interface{}, false
		case typ == "":
			im.warn(sec.line, lbl, "disabled interface has no type; skipped")
			return Interface{}, false
		case enabled:
			// The reference loads an external interface module of
			// this name; mehrd loads a plugin.
			im.warn(sec.line, lbl, "type %q is not built in; mehrd needs a plugin that provides it (plugin key, see docs/PLUGINS.md)", typ)
		default:
			im.warn(sec.line, lbl, "disabled interface of unknown type %q; skipped", typ)
			return Interface{}, false
		}
	}
	it := NewInterface(sec.name, typ)
	if _, known := typeGroups[typ]; !known {
		it.Plugin = typ
	}
	it.Enabled = enabled
	im.src[p("")] = srcLoc{lbl, sec.line}
	im.src[p("name")] = srcLoc{lbl, sec.line}

	rv := reflect.ValueOf(&it).Elem()
	si := interfaceInfo()
	var modeEntry *coEntry
	var portEntry *coEntry
	seen := func(key string) bool { return sec.byKey[key] != nil }
	for _, e := range sec.entries {
		key := entryKey(sec, e.key)
		name := e.key
		switch name {
		case "type", "enabled", "interface_enabled":
			continue
		case "mode":
			if !seen("interface_mode") {
				modeEntry = e
			}
			continue
		case "interface_mode":
			modeEntry = e
			continue
		case "networkname", "network_name", "passphrase", "pass_phrase":
			continue // below
		case "port":
			if ipPortType(typ) {
				portEntry = e
				continue
			}
		case "remote", "listen_on":
			if typ == TypeBackbone || typ == TypeBackboneClient {
				name = map[string]string{"remote": "target_host", "listen_on": "listen_ip"}[name]
			}
		case "target_host", "listen_ip":
			alias := map[string]string{"target_host": "remote", "listen_ip": "listen_on"}[name]
			if (typ == TypeBackbone || typ == TypeBackboneClient) && seen(alias) {
				im.warn(e.line, key, "overridden by %s, as in the reference", alias)
				continue
			}
		case "beacon_interval", "beacon_data":
			// The reference's Android build reads these names for the
			// KISS station identification.
			if typ == TypeKISS {
				name = map[string]string{"beacon_interval": "id_interval", "beacon_data": "id_callsign"}[name]
				if seen(name) {
					continue
				}
			}
		case "subinterfaces":
			name = "" // not a key of the reference
		}
		if internalKeys[name] {
			im.warn(e.line, key, "set by the reference itself; ignored")
			continue
		}
		fi := si.byName[name]
		if fi == nil || name == "" {
			im.warn(e.line, key, "unknown key; ignored")
			continue
		}
		if !fi.usedBy(typ) {
			im.warn(e.line, key, "not used by %s; ignored", typ)
			continue
		}
		if !im.field(sec, e, rv, si, p(name)) {
			continue
		}
		im.ifaceValue(&it, e, key, name)
	}

	// The reference reads networkname, then network_name, and passphrase,
	// then pass_phrase; a later non-empty value wins, empty means none.
	for _, keys := range [][3]string{{"network_name", "networkname", "network_name"}, {"passphrase", "passphrase", "pass_phrase"}} {
		for _, k := range keys[1:] {
			e := sec.byKey[k]
			if e == nil {
				continue
			}
			var s string
			if !im.convert(sec, e, reflect.ValueOf(&s).Elem()) || s == "" {
				continue
			}
			rv.Field(si.byName[keys[0]].index).SetString(s)
			im.src[p(keys[0])] = srcLoc{entryKey(sec, k), e.line}
		}
	}

	if modeEntry != nil {
		var m string
		if im.convert(sec, modeEntry, reflect.ValueOf(&m).Elem()) {
			key := entryKey(sec, modeEntry.key)
			im.src[p("mode")] = srcLoc{key, modeEntry.line}
			var plain *string // the mode key's raw value, when interface_mode is used
			if e := sec.byKey["mode"]; e != nil && modeEntry.key == "interface_mode" {
				var v string
				if im.convert(sec, e, reflect.ValueOf(&v).Elem()) {
					plain = &v
				}
			}
			cm, err := referenceMode(modeEntry.key, m, plain)
			switch {
			case err != nil:
				im.fail(modeEntry.line, key, ErrValue, "%v", err)
				return Interface{}, false
			case cm == "":
				im.warn(modeEntry.line, key, "unknown mode %q; full is used, as in the reference", m)
			default:
				it.Mode = cm
			}
		}
	}
	if portEntry != nil {
		var port int
		if im.convert(sec, portEntry, reflect.ValueOf(&port).Elem()) {
			key := entryKey(sec, portEntry.key)
			if w := applyPortShorthand(&it, port, seen); w != "" {
				im.warn(portEntry.line, key, "%s", w)
			}
			for _, k := range []string{"listen_port", "forward_port", "target_port"} {
				if !seen(k) {
					im.src[p(k)] = srcLoc{key, portEntry.line}
				}
			}
		}
	}

	if typ == TypeRNodeMulti {
		for _, sub := range sec.subs {
			im.subinterface(sub, idx, len(it.Subinterfaces), parentEnabled, &it)
		}
	} else {
		im.subsectionsIgnored(sec)
	}
	return it, true
}

// referenceMode resolves an interface's mode as the reference reads it
// from key (mode or interface_mode, which wins when both are set) with
// value v. It returns "" for a value the reference does not know, which
// leaves the interface in full mode; the reference knows
// point_to_point only as pointtopoint or ptp. For interface_mode, the
// reference tests the gateway and internal spellings against the mode key
// (plain) instead, exactly and without lowercasing: with mode absent it
// stops with an error, and then so does the import.
func referenceMode(key, v string, plain *string) (string, error) {
	switch strings.ToLower(v) {
	case "full":
		return ModeFull, nil
	case "access_point", "accesspoint", "ap":
		return ModeAccessPoint, nil
	case "pointtopoint", "ptp":
		return ModePointToPoint, nil
	case "roaming":
		return ModeRoaming, nil
	case "boundary":
		return ModeBoundary, nil
	}
	if key == "interface_mode" {
		if plain == nil {
			switch strings.ToLower(v) {
			case "gateway", "gw", "internal":
				return "", fmt.Errorf("interface_mode = %s stops the reference with an error unless mode is set too (it reads mode for this value); set mode = %s as well", v, v)
			}
			return "", fmt.Errorf("unknown mode %q, on which the reference stops with an error unless mode is set too", v)
		}
		v = *plain
	} else {
		v = strings.ToLower(v)
	}
	switch v {
	case "gateway", "gw":
		return ModeGateway, nil
	case "internal":
		return ModeInternal, nil
	}
	return "", nil
}

// ifaceValue applies the reference's rules for values it adjusts or
// ignores.
func (im *importer) ifaceValue(it *Interface, e *coEntry, key, name string) {
	switch name {
	case "bitrate":
		if it.Bitrate < 5 {
			if it.Bitrate != 0 {
				im.warn(e.line, key, "bitrate %d is below 5; ignored, as in the reference", it.Bitrate)
			}
			it.Bitrate = 0
		}
	case "announce_cap":
		if it.AnnounceCap <= 0 || it.AnnounceCap > 100 {
			im.warn(e.line, key, "%s is not above 0 and at most 100; the default of %d%% is used, as in the reference",
				formatFloat(it.AnnounceCap), DefaultAnnounceCap)
			it.AnnounceCap = DefaultAnnounceCap
		}
	case "ifac_size":
		n := it.IFACSize
		switch {
		case n < 8:
			if n != 0 {
				im.warn(e.line, key, "%d bits is below 8; the type's default is used, as in the reference", n)
			}
			it.IFACSize = 0
		case n > 512:
			im.warn(e.line, key, "%d bits is above the 512 bits of a signature; 512 is used", n)
			it.IFACSize = 512
		case n%8 != 0:
			it.IFACSize = n / 8 * 8
			im.warn(e.line, key, "%d bits is not a multiple of 8; rounded down to %d, as in the reference", n, it.IFACSize)
		}
	case "announce_rate_target":
		if *it.AnnounceRateTarget <= 0 {
			if *it.AnnounceRateTarget != 0 {
				im.warn(e.line, key, "%d is not positive; ignored, as in the reference", *it.AnnounceRateTarget)
			}
			it.AnnounceRateTarget = nil
		}
	case "announce_rate_grace", "announce_rate_penalty":
		pp := &it.AnnounceRateGrace
		if name == "announce_rate_penalty" {
			pp = &it.AnnounceRatePenalty
		}
		if **pp < 0 {
			im.warn(e.line, key, "%d is negative; ignored, as in the reference", **pp)
			*pp = nil
		}
	case "announce_interval":
		if *it.AnnounceInterval < 5 {
			im.warn(e.line, key, "%d minutes raised to the minimum of 5, as in the reference", *it.AnnounceInterval)
			*it.AnnounceInterval = 5
		}
	case "fixed_mtu":
		// The reference ignores 0 and rejects values below 500 (Validate).
	case "discovery_scope":
		it.DiscoveryScope = strings.ToLower(it.DiscoveryScope)
		if !isOneOf(it.DiscoveryScope, discoveryScopes) {
			im.fail(e.line, key, ErrValue, "unknown scope %q (want link, admin, site, organisation or global)", it.DiscoveryScope)
		}
	case "multicast_address_type":
		it.MulticastAddressType = strings.ToLower(it.MulticastAddressType)
		if !isOneOf(it.MulticastAddressType, multicastTypes) {
			im.warn(e.line, key, "unknown multicast address type %q; temporary is used, as in the reference", it.MulticastAddressType)
			it.MulticastAddressType = ""
		}
	case "parity":
		if p, ok := canonicalParity(it.Parity); ok {
			it.Parity = p
		} else {
			im.warn(e.line, key, "unknown parity %q; none is used, as in the reference", it.Parity)
			it.Parity = "none"
		}
	}
}

// subinterface maps a [[[Sub]]] section of an RNodeMultiInterface.
func (im *importer) subinterface(sec *coSection, i, j int, parentEnabled bool, it *Interface) {
	s := NewSubInterface(sec.name)
	im.subSecs[[2]int{i, j}] = sec
	p := func(key string) fieldPath { return subPath(i, j, key) }
	im.src[p("")] = srcLoc{label(sec), sec.line}
	im.src[p("name")] = srcLoc{label(sec), sec.line}
	rv := reflect.ValueOf(&s).Elem()
	si := subInterfaceInfo()
	own := false
	var ownEntry *coEntry
	for _, e := range sec.entries {
		key := entryKey(sec, e.key)
		switch e.key {
		case "interface_enabled":
			var b bool
			if im.convert(sec, e, reflect.ValueOf(&b).Elem()) {
				own = b
				im.src[p("enabled")] = srcLoc{key, e.line}
			}
			continue
		case "enabled":
			ownEntry = e
			continue
		case "name":
			im.warn(e.line, key, "unknown key; ignored")
			continue
		}
		if si.byName[e.key] == nil {
			im.warn(e.line, key, "unknown key; ignored")
			continue
		}
		im.field(sec, e, rv, si, p(e.key))
	}
	// The reference enables a subinterface if its own interface_enabled is
	// true or if the parent section has enabled = true; a subinterface's
	// own enabled key is never read.
	s.Enabled = own || parentEnabled
	if ownEntry != nil {
		var b bool
		if im.convert(sec, ownEntry, reflect.ValueOf(&b).Elem()) && b != s.Enabled {
			what := map[bool]string{true: "enabled", false: "disabled"}[s.Enabled]
			im.warn(ownEntry.line, entryKey(sec, "enabled"),
				"the reference does not read enabled in a subinterface; it is %s by interface_enabled and the parent's enabled", what)
		}
		if _, ok := im.src[p("enabled")]; !ok {
			im.src[p("enabled")] = srcLoc{entryKey(sec, "enabled"), ownEntry.line}
		}
	}
	for _, sub := range sec.subs {
		im.warn(sub.line, label(sub), "unknown section; ignored")
	}
	it.Subinterfaces = append(it.Subinterfaces, s)
}
