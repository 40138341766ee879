package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// fixtures are our own configuration files in the reference's dialect
// (see testdata/README.md). Each imports without warnings, and together
// they use every key the importer knows.
var fixtures = []string{
	"testdata/default-equivalent.conf",
	"testdata/all-keys.conf",
	"testdata/aliases.conf",
	"testdata/syntax.conf",
}

func importFile(t *testing.T, path string) (*Config, []Warning) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, warns, err := ImportReticulum(f, path)
	if err != nil {
		t.Fatalf("ImportReticulum(%s): %v", path, err)
	}
	return c, warns
}

func importString(text string) (*Config, []Warning, error) {
	return ImportReticulum(strings.NewReader(text), "config")
}

func TestImportDefaultConfig(t *testing.T) {
	c, warns := importFile(t, "testdata/default-equivalent.conf")
	if len(warns) > 0 {
		t.Errorf("warnings: %v", warns)
	}
	equalConfig(t, c, Default())
}

// TestImportRoundTrip imports the fixtures, writes them as TOML and loads
// that again.
func TestImportRoundTrip(t *testing.T) {
	for _, path := range fixtures {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, warns := importFile(t, path)
			if len(warns) > 0 {
				t.Errorf("warnings: %v", warns)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "mehr.toml")
			if err := os.WriteFile(file, out, 0o600); err != nil {
				t.Fatal(err)
			}
			loaded, warns, err := Load(file)
			if err != nil || len(warns) > 0 {
				t.Fatalf("Load: %v %v\n%s", err, warns, out)
			}
			equalConfig(t, loaded, c)
		})
	}
}

// TestImportKeysSurvive checks, for every key of every section of the
// fixtures, that the imported configuration holds its value.
func TestImportKeysSurvive(t *testing.T) {
	total := 0
	for _, path := range fixtures {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, _ := importFile(t, path)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			n := checkKeysSurvive(t, c, string(data), path)
			t.Logf("%d keys checked", n)
			total += n
		})
	}
	t.Logf("%d keys checked in all", total)
}

// checkKeysSurvive parses text, a file in the reference's dialect that
// imported as c, and checks for every key of the [reticulum], [logging]
// and [interfaces] sections that c holds its value. It returns the number
// of keys checked.
func checkKeysSurvive(t *testing.T, c *Config, text, file string) int {
	t.Helper()
	root, err := parseConfigObj(text, file)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, sec := range root.subs {
		switch sec.name {
		case "reticulum":
			for _, e := range sec.entries {
				checkKey(t, sec, e, reflect.ValueOf(c.Reticulum), reticulumInfo(), e.key)
				checked++
			}
		case "logging":
			for _, e := range sec.entries {
				checkKey(t, sec, e, reflect.ValueOf(c.Logging), loggingInfo(), e.key)
				checked++
			}
		case "interfaces":
			for _, s := range sec.subs {
				checked += checkInterface(t, c, s)
			}
		}
	}
	if checked == 0 {
		t.Error("no keys checked")
	}
	return checked
}

// interfaceField names the field of an imported interface that a key of
// its section sets, resolving the reference's alternative key names.
func interfaceField(it *Interface, key string) string {
	switch key {
	case "interface_enabled":
		return "enabled"
	case "interface_mode":
		return "mode"
	case "networkname":
		return "network_name"
	case "pass_phrase":
		return "passphrase"
	case "remote":
		return "target_host"
	case "listen_on":
		return "listen_ip"
	case "beacon_interval", "beacon_data":
		if it.Type == TypeKISS {
			return map[string]string{"beacon_interval": "id_interval", "beacon_data": "id_callsign"}[key]
		}
	case "port":
		switch {
		case it.Type == TypeUDP, it.Type == TypeTCPServer:
			return "listen_port"
		case it.Type == TypeBackbone && it.TargetHost == "":
			return "listen_port"
		case it.Type == TypeBackbone, it.Type == TypeBackboneClient:
			return "target_port"
		}
	}
	return key
}

func checkInterface(t *testing.T, c *Config, sec *coSection) int {
	t.Helper()
	var it *Interface
	for i := range c.Interfaces {
		if c.Interfaces[i].Name == sec.name {
			it = &c.Interfaces[i]
		}
	}
	if it == nil {
		t.Errorf("interface %q is missing", sec.name)
		return 0
	}
	v := reflect.ValueOf(*it)
	n := 0
	for _, e := range sec.entries {
		n++
		checkKey(t, sec, e, v, interfaceInfo(), interfaceField(it, e.key))
	}
	if len(it.Subinterfaces) != len(sec.subs) {
		t.Errorf("%s: %d subinterfaces, want %d", label(sec), len(it.Subinterfaces), len(sec.subs))
		return n
	}
	for j, sub := range sec.subs {
		sv := reflect.ValueOf(it.Subinterfaces[j])
		if it.Subinterfaces[j].Name != sub.name {
			t.Errorf("subinterface %d is %q, want %q", j, it.Subinterfaces[j].Name, sub.name)
		}
		for _, e := range sub.entries {
			n++
			field := e.key
			if field == "interface_enabled" {
				field = "enabled"
			}
			checkKey(t, sub, e, sv, subInterfaceInfo(), field)
		}
	}
	return n
}

// checkKey compares the field of v named field with the value of entry e
// read the way the importer reads it.
func checkKey(t *testing.T, sec *coSection, e *coEntry, v reflect.Value, si *structInfo, field string) {
	t.Helper()
	fi := si.byName[field]
	if fi == nil {
		t.Errorf("%s %s: no field %q", label(sec), e.key, field)
		return
	}
	got := v.Field(fi.index)
	want := reflect.New(got.Type()).Elem()
	im := &importer{}
	if !im.convert(sec, e, want) {
		t.Errorf("%s %s: %v", label(sec), e.key, im.errs)
		return
	}
	// Enumerations are stored in their canonical spelling.
	switch field {
	case "mode":
		m, _ := canonicalMode(want.String())
		want.SetString(m)
	case "parity":
		p, _ := canonicalParity(want.String())
		want.SetString(p)
	case "discovery_scope", "multicast_address_type":
		want.SetString(strings.ToLower(want.String()))
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		t.Errorf("%s %s: got %v, want %v", label(sec), e.key, got, want)
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"bool", "[reticulum]\nshare_instance = maybe\n",
			`config:2: [reticulum] share_instance: "maybe" is not a boolean (yes/no, true/false, on/off, 1/0)`, ErrValue},
		{"int", "[reticulum]\n  shared_instance_port = 37428a\n",
			`config:2: [reticulum] shared_instance_port: "37428a" is not an integer`, ErrValue},
		{"port range", "[reticulum]\nshared_instance_port = 99999\n",
			"config:2: [reticulum] shared_instance_port: port 99999 out of range 1-65535", ErrValue},
		{"loglevel type", "[logging]\nloglevel = debug\n",
			`config:2: [logging] loglevel: "debug" is not an integer`, ErrValue},
		{"hash", "[reticulum]\nremote_management_allowed = 9fb6d773, 2d882c5586e548d79b5af27bca1776dc\n",
			`config:2: [reticulum] remote_management_allowed: "9fb6d773" is not an identity hash of 32 hexadecimal characters`, ErrValue},
		{"list for string", "[interfaces]\n  [[C]]\n    type = TCPClientInterface\n    target_host = a, b\n",
			"config:4: [[C]] target_host: expected a single value, got a list (a, b); quote values that contain commas", ErrType},
		{"float", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    announce_cap = lots\n",
			`config:4: [[A]] announce_cap: "lots" is not a number`, ErrValue},
		{"nan", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    ic_burst_hold = nan\n",
			`config:4: [[A]] ic_burst_hold: "nan" is not a finite number`, ErrValue},
		{"ifac size", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    ifac_size = 8.5\n",
			`config:4: [[A]] ifac_size: "8.5" is not an integer`, ErrValue},
		{"discovery scope", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    discovery_scope = planet\n",
			`config:4: [[A]] discovery_scope: unknown scope "planet" (want link, admin, site, organisation or global)`, ErrValue},
		{"enabled without type", "[interfaces]\n  [[A]]\n    enabled = yes\n",
			"config:2: [[A]]: enabled interface has no type", ErrMissing},
		{"interface_mode gateway alone", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    interface_mode = gw\n",
			"config:4: [[A]] interface_mode: interface_mode = gw stops the reference with an error unless mode is set too (it reads mode for this value); set mode = gw as well", ErrValue},
		{"interface_mode unknown alone", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    interface_mode = point_to_point\n",
			`config:4: [[A]] interface_mode: unknown mode "point_to_point", on which the reference stops with an error unless mode is set too`, ErrValue},
		{"missing key", "[interfaces]\n  [[C]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = example.net\n",
			`config:2: [[C]] target_port: TCPClientInterface "C" needs target_port`, ErrMissing},
		{"missing vport", "[interfaces]\n [[M]]\n  type = RNodeMultiInterface\n  enabled = yes\n  port = /dev/x\n  [[[a]]]\n   frequency = 1\n   bandwidth = 1\n   spreadingfactor = 7\n   codingrate = 5\n",
			`config:6: [[M]] [[[a]]] vport: subinterface "a" of "M" needs a vport`, ErrMissing},
		{"fixed mtu", "[interfaces]\n  [[C]]\n    type = TCPClientInterface\n    fixed_mtu = 400\n",
			"config:4: [[C]] fixed_mtu: MTU 400 is below the minimum of 500 bytes", ErrValue},
		{"udp port shorthand", "[interfaces]\n  [[U]]\n    type = UDPInterface\n    port = eth0\n",
			`config:4: [[U]] port: "eth0" is not an integer`, ErrValue},
		{"interpolation", "[interfaces]\n  [[A]]\n    type = AutoInterface\n    passphrase = 100%(free)s\n",
			"config:4: [[A]] passphrase: %(free)s refers to a key that does not exist", ErrValue},
		{"parse error", "[reticulum]\nenable_transport = \"yes\n",
			`config:2: enable_transport: malformed value "\"yes" (check quotes and commas)`, ErrSyntax},
		{"duplicate interface", "[interfaces]\n[[A]]\ntype = AutoInterface\n[[A]]\n",
			`config:4: duplicate section name "A" in [interfaces]`, ErrDuplicate},
		{"invalid utf-8", "[reticulum]\ninstance_name = \xff\n",
			"config:2: invalid UTF-8", ErrSyntax},
		{"utf-16", "\xff\xfe[\x00", "config:1: UTF-16 text is not supported; save the file as UTF-8", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := importString(tt.in)
			if err == nil || err.Error() != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("got  %v\nwant %s (%v)", err, tt.want, tt.err)
			}
			if c != nil {
				t.Error("a configuration was returned with an error")
			}
		})
	}
}

func TestImportWarnings(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"top-level key", "x = 1\n", []string{"config:1: x: key outside any section; ignored"}},
		{"unknown section", "[Reticulum]\n", []string{"config:1: [Reticulum]: unknown section; ignored"}},
		{"unknown key", "[reticulum]\nenable_transprot = yes\n",
			[]string{"config:2: [reticulum] enable_transprot: unknown key; ignored"}},
		{"subsection of reticulum", "[reticulum]\n[[x]]\n", []string{"config:2: [reticulum] [[x]]: unknown section; ignored"}},
		{"scalar in interfaces", "[interfaces]\nx = 1\n", []string{"config:2: [interfaces] x: not an interface section; ignored"}},
		{"interface key", "[interfaces]\n[[A]]\ntype = AutoInterface\nlisten_port = 1\nwibble = 2\nname = B\n", []string{
			"config:4: [[A]] listen_port: not used by AutoInterface; ignored",
			"config:5: [[A]] wibble: unknown key; ignored",
			"config:6: [[A]] name: set by the reference itself; ignored",
		}},
		{"disabled without type", "[interfaces]\n[[A]]\nenabled = no\n", []string{"config:2: [[A]]: disabled interface has no type; skipped"}},
		{"disabled unknown type", "[interfaces]\n[[A]]\ntype = Custom\n", []string{`config:2: [[A]]: disabled interface of unknown type "Custom"; skipped`}},
		{"loglevel clamp", "[logging]\nloglevel = 12\n", []string{"config:2: [logging] loglevel: log level 12 clamped to 8, as in the reference"}},
		{"shared instance type", "[reticulum]\nshared_instance_type = udp\n",
			[]string{`config:2: [reticulum] shared_instance_type: "udp" is not tcp or unix; ignored, as in the reference`}},
		{"rpc key", "[reticulum]\nrpc_key = xyz\n", []string{"config:2: [reticulum] rpc_key: not hexadecimal; the reference falls back to the default key"}},
		{"link mtu", "[reticulum]\nlink_mtu_discovery = no\n",
			[]string{"config:2: [reticulum] link_mtu_discovery: the reference cannot turn link MTU discovery off; it stays on"}},
		{"grace zero", "[reticulum]\ndefault_ar_grace = 0\n",
			[]string{"config:2: [reticulum] default_ar_grace: 0 means the built-in default in the reference"}},
		{"blackhole interval", "[reticulum]\nblackhole_update_interval = 1\n",
			[]string{"config:2: [reticulum] blackhole_update_interval: 1.0 minutes raised to the minimum of 2, as in the reference"}},
		{"mode", "[interfaces]\n[[A]]\ntype = AutoInterface\nmode = mesh\n",
			[]string{`config:4: [[A]] mode: unknown mode "mesh"; full is used, as in the reference`}},
		{"external type", "[interfaces]\n[[A]]\ntype = MyInterface\nenabled = yes\nmode = gw\ntarget_host = x\n",
			[]string{`config:2: [[A]]: type "MyInterface" is not built in; mehrd needs a plugin that provides it (plugin key, see docs/PLUGINS.md)`,
				"config:6: [[A]] target_host: not used by MyInterface; ignored"}},
		{"interface_mode ptp spelled out", "[interfaces]\n[[A]]\ntype = AutoInterface\ninterface_mode = point_to_point\nmode = full\n",
			[]string{`config:4: [[A]] interface_mode: unknown mode "point_to_point"; full is used, as in the reference`}},
		{"ifac size", "[interfaces]\n[[A]]\ntype = AutoInterface\nifac_size = 100\n",
			[]string{"config:4: [[A]] ifac_size: 100 bits is not a multiple of 8; rounded down to 96, as in the reference"}},
		{"ifac size small", "[interfaces]\n[[A]]\ntype = AutoInterface\nifac_size = 4\n",
			[]string{"config:4: [[A]] ifac_size: 4 bits is below 8; the type's default is used, as in the reference"}},
		{"announce cap", "[interfaces]\n[[A]]\ntype = AutoInterface\nannounce_cap = 150\n",
			[]string{"config:4: [[A]] announce_cap: 150.0 is not above 0 and at most 100; the default of 2% is used, as in the reference"}},
		{"bitrate", "[interfaces]\n[[A]]\ntype = AutoInterface\nbitrate = 3\n",
			[]string{"config:4: [[A]] bitrate: bitrate 3 is below 5; ignored, as in the reference"}},
		{"multicast", "[interfaces]\n[[A]]\ntype = AutoInterface\nmulticast_address_type = odd\n",
			[]string{`config:4: [[A]] multicast_address_type: unknown multicast address type "odd"; temporary is used, as in the reference`}},
		{"parity", "[interfaces]\n[[S]]\ntype = SerialInterface\nparity = mark\n",
			[]string{`config:4: [[S]] parity: unknown parity "mark"; none is used, as in the reference`}},
		{"subsection", "[interfaces]\n[[A]]\ntype = AutoInterface\n[[[x]]]\n", []string{"config:4: [[A]] [[[x]]]: unknown section; ignored"}},
		{"tcp server port", "[interfaces]\n[[S]]\ntype = TCPServerInterface\nlisten_ip = ::\nlisten_port = 1\nport = 2\n",
			[]string{"config:6: [[S]] port: port overrides listen_port, as in the reference"}},
		{"subinterface enabled", "[interfaces]\n[[M]]\ntype = RNodeMultiInterface\nenabled = no\n[[[a]]]\nenabled = yes\n",
			[]string{"config:6: [[M]] [[[a]]] enabled: the reference does not read enabled in a subinterface; it is disabled by interface_enabled and the parent's enabled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warns, err := importString(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range warns {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestImportValues(t *testing.T) {
	c, _, err := importString(`# comment
[reticulum]
  enable_transport = True
  share_instance = off
  shared_instance_type = TCP
  rpc_key = E5C0 32D3
  blackhole_sources = 521C87A83AFB8F29E4455E77930B973B, 521c87a83afb8f29e4455e77930b973b,
  autoconnect_interface_mode = AP
  ic_burst_hold = 2.5e1
  default_ar_target = 1_800
[logging]
  loglevel = 7  # pathing
  logtimestamps = 0
[interfaces]
  [[Auto]]
    type = AutoInterface
    interface_enabled = Yes
    enabled = no
    mode = GW
    devices = wlan0
    ignored_devices = ,
    ifac_size = 64
    networkname = first
    network_name = ""
    passphrase = one
    pass_phrase = "two, three"
    group_id = %(networkname)s-net
    bitrate = 0
  [[Back]]
    type = BackboneInterface
    enabled = true
    remote = example.net
    port = 4242
  [[KISS]]
    type = KISSInterface
    beacon_interval = 600
    beacon_data = N0CALL
  [[Multi]]
    type = RNodeMultiInterface
    enabled = yes
    port = /dev/ttyACM0
    [[[A]]]
      enabled = no
      vport = 0
      frequency = 865600000
      bandwidth = 125000
      spreadingfactor = 7
      codingrate = 5
      outgoing = false
  [[Multi2]]
    type = RNodeMultiInterface
    interface_enabled = yes
    port = /dev/ttyACM1
    [[[A]]]
      interface_enabled = yes
      vport = 1
      frequency = 865600000
      bandwidth = 125000
      spreadingfactor = 7
      codingrate = 5
    [[[B]]]
      enabled = yes
`)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Reticulum
	if !r.EnableTransport || r.ShareInstance || r.SharedInstanceType != "tcp" || r.RPCKey != "e5c032d3" ||
		!reflect.DeepEqual(r.BlackholeSources, []string{"521c87a83afb8f29e4455e77930b973b"}) ||
		r.AutoconnectInterfaceMode != ModeAccessPoint || *r.ICBurstHold != 25 || r.DefaultARTarget != 1800 {
		t.Errorf("reticulum: %+v", r)
	}
	if c.Logging.LogLevel != 7 || c.Logging.Level != "pathing" || c.Logging.LogTimestamps {
		t.Errorf("logging: %+v", c.Logging)
	}
	a := c.Interfaces[0]
	if !a.Enabled || a.Mode != ModeGateway || !reflect.DeepEqual(a.Devices, []string{"wlan0"}) || a.IgnoredDevices != nil ||
		a.IFACSize != 64 || a.NetworkName != "first" || a.Passphrase != "two, three" || a.GroupID != "first-net" || a.Bitrate != 0 {
		t.Errorf("auto: %+v", a)
	}
	b := c.Interfaces[1]
	if b.TargetHost != "example.net" || b.TargetPort != 4242 || b.ListenPort != 0 {
		t.Errorf("backbone: %+v", b)
	}
	k := c.Interfaces[2]
	if *k.IDInterval != 600 || k.IDCallsign != "N0CALL" {
		t.Errorf("kiss: %+v", k)
	}
	// The reference enables every subinterface when the parent says
	// enabled = yes; with interface_enabled on the parent, only those
	// with interface_enabled are.
	m, m2 := c.Interfaces[3], c.Interfaces[4]
	if !m.Subinterfaces[0].Enabled || m.Subinterfaces[0].Outgoing || *m.Subinterfaces[0].VPort != 0 {
		t.Errorf("multi: %+v", m.Subinterfaces)
	}
	if !m2.Enabled || !m2.Subinterfaces[0].Enabled || m2.Subinterfaces[1].Enabled {
		t.Errorf("multi2: %+v", m2.Subinterfaces)
	}
}

func TestReadReticulumDir(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/all-keys.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), append([]byte("\xef\xbb\xbf"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	c, warns, err := ReadReticulumDir(dir)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	want, _ := importFile(t, "testdata/all-keys.conf")
	equalConfig(t, c, want)
	if _, _, err := ReadReticulumDir(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
}

// TestFixturesUseEveryKey checks that the fixtures together set every key
// the importer reads: every [reticulum] and [logging] key, every key of
// every interface type under its own name, every subinterface key, and each
// of the reference's alternative key names.
func TestFixturesUseEveryKey(t *testing.T) {
	want := map[string]bool{}
	for _, f := range reticulumInfo().fields {
		want["[reticulum] "+f.name] = true
	}
	want["[logging] loglevel"] = true
	want["[logging] logtimestamps"] = true
	for _, typ := range Types() {
		for _, f := range interfaceInfo().fields {
			if f.name != "name" && f.name != "subinterfaces" && f.usedBy(typ) {
				want[typ+" "+f.name] = true
			}
		}
	}
	for _, f := range subInterfaceInfo().fields {
		if f.name != "name" {
			want["[[[sub]]] "+f.name] = true
		}
	}
	for _, k := range []string{
		// Alternative names, in interfaces of any type.
		"interface_enabled→enabled", "interface_mode→mode", "networkname→network_name", "pass_phrase→passphrase",
		"[[[sub]]] interface_enabled",
		// Alternative names of some types.
		"TCPServerInterface port→listen_port", "UDPInterface port→listen_port",
		"BackboneInterface port→listen_port", "BackboneInterface port→target_port",
		"BackboneClientInterface port→target_port",
		"BackboneInterface remote→target_host", "BackboneInterface listen_on→listen_ip",
		"BackboneClientInterface remote→target_host",
		"KISSInterface beacon_interval→id_interval", "KISSInterface beacon_data→id_callsign",
	} {
		want[k] = true
	}

	got := map[string]bool{}
	for _, path := range fixtures {
		c, _ := importFile(t, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		root, err := parseConfigObj(string(data), path)
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range root.subs {
			for _, e := range sec.entries {
				got["["+sec.name+"] "+e.key] = true
			}
			if sec.name != "interfaces" {
				continue
			}
			for _, s := range sec.subs {
				var it *Interface
				for i := range c.Interfaces {
					if c.Interfaces[i].Name == s.name {
						it = &c.Interfaces[i]
					}
				}
				if it == nil {
					t.Fatalf("%s: interface %q is missing", path, s.name)
				}
				for _, e := range s.entries {
					if f := interfaceField(it, e.key); f != e.key {
						got[it.Type+" "+e.key+"→"+f] = true
						got[e.key+"→"+f] = true
					} else {
						got[it.Type+" "+e.key] = true
					}
				}
				for _, sub := range s.subs {
					for _, e := range sub.entries {
						got["[[[sub]]] "+e.key] = true
					}
				}
			}
		}
	}
	var missing []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		t.Errorf("no fixture sets %s", k)
	}
	t.Logf("%d keys and key names covered", len(want))
}

// TestImportSyntax checks what the values of testdata/syntax.conf read as.
// The expectations are what the reference's parser makes of the file; the
// file must also read the same with CRLF line ends and a byte order mark.
func TestImportSyntax(t *testing.T) {
	c, _ := importFile(t, "testdata/syntax.conf")
	r := c.Reticulum
	if !r.EnableTransport || r.ShareInstance || r.InstanceName != "a # that is not a comment" || r.RPCKey != "c0ffee00" ||
		!reflect.DeepEqual(r.RemoteManagementAllowed, []string{"11111111111111111111111111111111"}) ||
		r.InterfaceDiscoverySources != nil ||
		!reflect.DeepEqual(r.BlackholeSources, []string{"22222222222222222222222222222222",
			"33333333333333333333333333333333", "44444444444444444444444444444444"}) ||
		r.NetworkIdentity != "~/ids/one, two" || r.DefaultGravity != 0 || r.RequiredDiscoveryValue != 16 ||
		r.AutoconnectDiscoveredInterfaces != 12 || *r.ICBurstHold != 15 || *r.ICNewTime != 7200 || *r.ICBurstFreq != 0.5 {
		t.Errorf("reticulum: %+v", r)
	}
	if c.Logging.LogLevel != 5 || !c.Logging.LogTimestamps {
		t.Errorf("logging: %+v", c.Logging)
	}
	if len(c.Interfaces) != 3 {
		t.Fatalf("%d interfaces", len(c.Interfaces))
	}
	lan, pipe, tcp := c.Interfaces[0], c.Interfaces[1], c.Interfaces[2]
	if lan.Name != "Quoted LAN" || lan.Type != TypeAuto || !lan.Enabled || lan.GroupID != "mesh-lan" ||
		lan.Passphrase != "comma, and # hash" || !reflect.DeepEqual(lan.Devices, []string{"eth0"}) ||
		!reflect.DeepEqual(lan.IgnoredDevices, []string{"lo", "docker0", "veth0"}) ||
		lan.DiscoveryName != "first line\nsecond line, with a comma" || lan.AnnounceCap != 0.25 {
		t.Errorf("Quoted LAN: %+v", lan)
	}
	if pipe.Name != "Single quoted pipe" || !pipe.Enabled || pipe.Command != "nc 192.0.2.7 4242" ||
		pipe.DiscoveryName != "100% uptime" || *pipe.RespawnDelay != 2.5 || pipe.Outgoing || pipe.BootstrapOnly {
		t.Errorf("Single quoted pipe: %+v", pipe)
	}
	if tcp.Name != "TCP, with a comma in the name" || tcp.Enabled || tcp.TargetHost != "" || tcp.IngressControl ||
		tcp.AnnouncesToInternal == nil || !*tcp.AnnouncesToInternal || tcp.Discoverable ||
		tcp.Passphrase != "it's fine" || tcp.NetworkName != "" || tcp.FixedMTU != 500 {
		t.Errorf("TCP: %+v", tcp)
	}

	data, err := os.ReadFile("testdata/syntax.conf")
	if err != nil {
		t.Fatal(err)
	}
	crlf := "\xef\xbb\xbf" + strings.ReplaceAll(string(data), "\n", "\r\n")
	c2, warns, err := importString(crlf)
	if err != nil || len(warns) > 0 {
		t.Fatalf("with CRLF and BOM: %v %v", err, warns)
	}
	equalConfig(t, c2, c)
}

// TestImportExternalType checks that an interface of a type the reference
// loads from an external module becomes a plugin interface with the
// generic keys applied.
func TestImportExternalType(t *testing.T) {
	c, _, err := ImportReticulum(strings.NewReader("[interfaces]\n[[A]]\ntype = MyInterface\nenabled = yes\nmode = gw\nbitrate = 1200\n"), "config")
	if err != nil {
		t.Fatal(err)
	}
	it := c.Interfaces[0]
	if it.Type != "MyInterface" || it.Plugin != "MyInterface" || it.Mode != ModeGateway || it.Bitrate != 1200 || !it.Enabled {
		t.Fatalf("%+v", it)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	it.Plugin = ""
	c.Interfaces[0] = it
	if err := c.Validate(); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("no plugin: %v", err)
	}
}
