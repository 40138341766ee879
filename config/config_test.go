package config

import (
	"bytes"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// mustDecode decodes TOML text and fails on errors or warnings.
func mustDecode(t *testing.T, text string) *Config {
	t.Helper()
	c, warns, err := Decode(strings.NewReader(text), "test.toml")
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, text)
	}
	if len(warns) > 0 {
		t.Fatalf("Decode warnings: %v", warns)
	}
	return c
}

// equalConfig fails with both configurations as TOML if they differ.
func equalConfig(t *testing.T, got, want *Config) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, err1 := got.Marshal()
	w, err2 := want.Marshal()
	t.Fatalf("configurations differ\n--- got (%v)\n%s\n--- want (%v)\n%s", err1, g, err2, w)
}

func TestDefault(t *testing.T) {
	c := Default()
	r := c.Reticulum
	if r.EnableTransport || !r.ShareInstance || r.InstanceName != "default" ||
		r.SharedInstancePort != 37428 || r.InstanceControlPort != 37429 || !r.UseImplicitProof {
		t.Errorf("reticulum defaults: %+v", r)
	}
	if c.Logging.LogLevel != 4 || c.Logging.Level != "info" || !c.Logging.LogTimestamps {
		t.Errorf("logging defaults: %+v", c.Logging)
	}
	if len(c.Interfaces) != 1 {
		t.Fatalf("interfaces: %+v", c.Interfaces)
	}
	it := c.Interfaces[0]
	if it.Type != TypeAuto || !it.Enabled || it.Name != "Default Interface" || it.Mode != ModeFull ||
		!it.Outgoing || it.AnnounceCap != 2 || !it.IngressControl {
		t.Errorf("default interface: %+v", it)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// Default returns a fresh value each time.
	c.Interfaces[0].Name = "changed"
	if Default().Interfaces[0].Name != "Default Interface" {
		t.Error("Default shares state between calls")
	}
}

func TestGenconfLoadsDefault(t *testing.T) {
	equalConfig(t, mustDecode(t, string(Genconf())), Default())
}

// TestGenconfDocumentsEveryField checks that every field has a comment tag,
// that every optional or type-specific field has an example, and that
// Genconf prints every key.
func TestGenconfDocumentsEveryField(t *testing.T) {
	out := string(Genconf())
	for _, si := range []*structInfo{reticulumInfo(), loggingInfo(), interfaceInfo(), subInterfaceInfo(), tunInfo(), mehrInfo(), configInfo()} {
		for i := range si.fields {
			fi := &si.fields[i]
			if len(fi.comment) < 20 {
				t.Errorf("%s: comment tag missing or too short", fi.name)
			}
			if fi.typ.Kind() == reflect.Pointer && fi.example == "" {
				t.Errorf("%s: optional field without example tag", fi.name)
			}
			if !fi.common() && fi.name != "subinterfaces" && fi.example == "" {
				t.Errorf("%s: type-specific field without example tag", fi.name)
			}
			if si == configInfo() {
				continue
			}
			if fi.name == "subinterfaces" {
				if !strings.Contains(out, "[[interfaces.subinterfaces]]") {
					t.Error("Genconf does not show subinterfaces")
				}
				continue
			}
			re := regexp.MustCompile(`(?m)^[# ]*` + regexp.QuoteMeta(fi.name) + ` = `)
			if !re.MatchString(out) {
				t.Errorf("Genconf does not print %s", fi.name)
			}
		}
	}
	if !strings.Contains(out, "ifac_size") || !strings.Contains(out, "BITS") {
		t.Error("Genconf does not explain the unit of ifac_size")
	}
}

// TestGenconfExamples uncomments each example interface of Genconf and
// checks that it loads as a valid, enabled interface of its type without
// warnings.
func TestGenconfExamples(t *testing.T) {
	blocks := strings.Split(string(Genconf()), "\n# Example ")[1:]
	if len(blocks) != len(Types())-1 {
		t.Fatalf("%d example blocks, want %d", len(blocks), len(Types())-1)
	}
	for _, b := range blocks {
		typ, _, _ := strings.Cut(b, ".")
		t.Run(typ, func(t *testing.T) {
			var toml strings.Builder
			for _, line := range strings.Split(b, "\n")[1:] {
				if line == "" {
					break
				}
				toml.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
				toml.WriteByte('\n')
			}
			c := mustDecode(t, toml.String())
			if len(c.Interfaces) != 1 || c.Interfaces[0].Type != typ || !c.Interfaces[0].Enabled {
				t.Fatalf("example did not load as an enabled %s: %+v", typ, c.Interfaces)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	i := func(n int) *int { return &n }
	f := func(x float64) *float64 { return &x }
	b := func(v bool) *bool { return &v }
	c := Default()
	c.Reticulum.EnableTransport = true
	c.Reticulum.SharedInstanceType = "tcp"
	c.Reticulum.RemoteManagementAllowed = []string{"9fb6d773498fb3feda407ed8ef2c3229"}
	c.Reticulum.ICBurstHold = f(1.5)
	c.Reticulum.EgressControl = b(true)
	c.Logging.LogLevel, c.Logging.Level = 6, "debug"
	tcp := NewInterface("TCP \"quoted\"\tname\\ é", TypeTCPClient)
	tcp.Enabled = true
	tcp.TargetHost = "example.net"
	tcp.TargetPort = 4242
	tcp.IFACSize = 64
	tcp.NetworkName, tcp.Passphrase = "net", "pass\nword\x01"
	tcp.AnnounceRateTarget = i(3600)
	tcp.Outgoing = false
	tcp.Latitude = f(-33.5)
	multi := NewInterface("Multi", TypeRNodeMulti)
	multi.Port = "/dev/ttyACM0"
	s := NewSubInterface("Low")
	s.Enabled, s.VPort, s.Frequency, s.Bandwidth, s.SpreadingFactor, s.CodingRate = true, i(0), 865600000, 125000, 7, 5
	s.AirtimeLimitLong = f(1.5)
	multi.Subinterfaces = []SubInterface{s}
	multi.Enabled = true
	c.Interfaces = append(c.Interfaces, tcp, multi)

	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	equalConfig(t, mustDecode(t, string(out)), c)

	// Marshal leaves its receiver alone and rejects invalid configurations.
	c.Reticulum.RemoteManagementAllowed[0] = "9FB6D773498FB3FEDA407ED8EF2C3229"
	if _, err := c.Marshal(); err != nil {
		t.Fatal(err)
	}
	if c.Reticulum.RemoteManagementAllowed[0] != "9FB6D773498FB3FEDA407ED8EF2C3229" {
		t.Error("Marshal modified the configuration")
	}
	c.Interfaces[1].TargetPort = 0
	if _, err := c.Marshal(); !errors.Is(err, ErrMissing) {
		t.Errorf("Marshal of an invalid configuration: %v", err)
	}
}

func TestValidate(t *testing.T) {
	i := func(n int) *int { return &n }
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string
		err    error
	}{
		{"port range", func(c *Config) { c.Reticulum.SharedInstancePort = 70000 },
			"reticulum.shared_instance_port: port 70000 out of range 1-65535", ErrValue},
		{"zero port", func(c *Config) { c.Reticulum.InstanceControlPort = 0 },
			"reticulum.instance_control_port: port 0 out of range 1-65535", ErrValue},
		{"socket type", func(c *Config) { c.Reticulum.SharedInstanceType = "udp" },
			`reticulum.shared_instance_type: "udp" is not tcp or unix`, ErrValue},
		{"empty instance name", func(c *Config) { c.Reticulum.InstanceName = "" },
			"reticulum.instance_name: must not be empty", ErrValue},
		{"rpc key", func(c *Config) { c.Reticulum.RPCKey = "abc" },
			"reticulum.rpc_key: not an even number of hexadecimal characters", ErrValue},
		{"hash", func(c *Config) { c.Reticulum.BlackholeSources = []string{"00"} },
			`reticulum.blackhole_sources: "00" is not an identity hash of 32 hexadecimal characters`, ErrValue},
		{"blackhole interval", func(c *Config) { c.Reticulum.BlackholeUpdateInterval = f(1) },
			"reticulum.blackhole_update_interval: 1.0 minutes is less than the minimum of 2", ErrValue},
		{"negative ic", func(c *Config) { c.Reticulum.ICBurstFreq = f(-1) },
			"reticulum.ic_burst_freq: -1.0 is negative", ErrValue},
		{"autoconnect mode", func(c *Config) { c.Reticulum.AutoconnectInterfaceMode = "fast" },
			`reticulum.autoconnect_interface_mode: unknown mode "fast"`, ErrValue},
		{"loglevel", func(c *Config) { c.Logging.LogLevel = 9 },
			"logging.loglevel: 9 out of range 0-8", ErrValue},
		{"level name", func(c *Config) { c.Logging.Level = "loud" },
			`logging.level: unknown level "loud" (want one of critical, error, warning, notice, info, verbose, debug, pathing, extreme)`, ErrValue},
		{"level disagrees", func(c *Config) { c.Logging.LogLevel = 6 },
			`logging.level: level "info" (4) disagrees with loglevel 6; set only one of them`, ErrValue},
		{"no name", func(c *Config) { c.Interfaces[0].Name = "" },
			"interfaces[0].name: interface has no name", ErrMissing},
		{"duplicate name", func(c *Config) { c.Interfaces = append(c.Interfaces, c.Interfaces[0]) },
			`interfaces[1].name: interface name "Default Interface" is already used by interfaces[0]`, ErrDuplicate},
		{"unknown type", func(c *Config) { c.Interfaces[0].Type = "autointerface" },
			`interfaces[0].type: unknown interface type "autointerface" (a type that is not built in needs a plugin key) (did you mean "AutoInterface"?)`, ErrUnknownType},
		{"no type", func(c *Config) { c.Interfaces[0].Type = "" },
			`interfaces[0].type: interface "Default Interface" has no type`, ErrMissing},
		{"mode", func(c *Config) { c.Interfaces[0].Mode = "mesh" },
			`interfaces[0].mode: unknown mode "mesh"`, ErrValue},
		{"bitrate", func(c *Config) { c.Interfaces[0].Bitrate = 4 },
			"interfaces[0].bitrate: bitrate 4 is below the minimum of 5 bits per second", ErrValue},
		{"announce cap", func(c *Config) { c.Interfaces[0].AnnounceCap = 101 },
			"interfaces[0].announce_cap: 101.0 is not a percentage above 0 and at most 100", ErrValue},
		{"ifac size not multiple of 8", func(c *Config) { c.Interfaces[0].IFACSize = 12 },
			"interfaces[0].ifac_size: 12 bits is not a multiple of 8 from 8 to 512", ErrValue},
		{"ifac size too small", func(c *Config) { c.Interfaces[0].IFACSize = 4 },
			"interfaces[0].ifac_size: 4 bits is not a multiple of 8 from 8 to 512", ErrValue},
		{"ifac size too large", func(c *Config) { c.Interfaces[0].IFACSize = 520 },
			"interfaces[0].ifac_size: 520 bits is not a multiple of 8 from 8 to 512", ErrValue},
		{"rate target", func(c *Config) { c.Interfaces[0].AnnounceRateTarget = i(0) },
			"interfaces[0].announce_rate_target: 0 is not a positive number of seconds", ErrValue},
		{"discovery scope", func(c *Config) { c.Interfaces[0].DiscoveryScope = "planet" },
			`interfaces[0].discovery_scope: unknown scope "planet" (want link, admin, site, organisation or global)`, ErrValue},
		{"auto data port", func(c *Config) { c.Interfaces[0].DataPort = -1 },
			"interfaces[0].data_port: port -1 out of range 1-65535", ErrValue},
		{"latitude", func(c *Config) { c.Interfaces[0].Latitude = f(91) },
			"interfaces[0].latitude: 91.0 out of range -90.0 to 90.0", ErrValue},
		{"announce interval", func(c *Config) { c.Interfaces[0].AnnounceInterval = i(4) },
			"interfaces[0].announce_interval: 4 minutes is less than the minimum of 5", ErrValue},
		{"tcp client needs host", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "C", Type: TypeTCPClient, Enabled: true, TargetPort: 1, AnnounceCap: 2})
		}, `interfaces[1].target_host: TCPClientInterface "C" needs target_host`, ErrMissing},
		{"disabled tcp client needs nothing", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "C", Type: TypeTCPClient, AnnounceCap: 2})
		}, "", nil},
		{"tcp server needs address", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "S", Type: TypeTCPServer, Enabled: true, ListenPort: 1, AnnounceCap: 2})
		}, `interfaces[1].listen_ip: TCPServerInterface "S" needs listen_ip or device`, ErrMissing},
		{"udp needs a port", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "U", Type: TypeUDP, Enabled: true, AnnounceCap: 2})
		}, `interfaces[1].listen_port: UDPInterface "U" needs listen_port, forward_port or port`, ErrMissing},
		{"fixed mtu", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "C", Type: TypeTCPClient, FixedMTU: 499, AnnounceCap: 2})
		}, "interfaces[1].fixed_mtu: MTU 499 is below the minimum of 500 bytes", ErrValue},
		{"ax25 callsign", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "A", Type: TypeAX25KISS, Callsign: "TOOLONGCALL", AnnounceCap: 2})
		}, `interfaces[1].callsign: callsign "TOOLONGCALL" is not 3 to 6 ASCII characters`, ErrValue},
		{"rnode multi needs an enabled radio", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "M", Type: TypeRNodeMulti, Port: "/dev/x", Enabled: true, AnnounceCap: 2,
				Subinterfaces: []SubInterface{{Name: "a"}}})
		}, `interfaces[1].subinterfaces: RNodeMultiInterface "M" needs at least one enabled subinterface`, ErrMissing},
		{"subinterface needs vport", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "M", Type: TypeRNodeMulti, Port: "/dev/x", Enabled: true, AnnounceCap: 2,
				Subinterfaces: []SubInterface{{Name: "a", Enabled: true, Frequency: 1, Bandwidth: 1, SpreadingFactor: 7, CodingRate: 5}}})
		}, `interfaces[1].subinterfaces[0].vport: subinterface "a" of "M" needs a vport`, ErrMissing},
		{"subinterface spreading factor", func(c *Config) {
			c.Interfaces = append(c.Interfaces, Interface{Name: "M", Type: TypeRNodeMulti, AnnounceCap: 2,
				Subinterfaces: []SubInterface{{Name: "a", SpreadingFactor: 13}}})
		}, "interfaces[1].subinterfaces[0].spreadingfactor: 13 out of range 5-12", ErrValue},
	}
	// with appends an interface of type typ, changed by mod.
	with := func(typ string, enabled bool, mod func(it *Interface)) func(c *Config) {
		return func(c *Config) {
			it := NewInterface("X", typ)
			it.Enabled = enabled
			mod(&it)
			c.Interfaces = append(c.Interfaces, it)
		}
	}
	nan := func() float64 { z := 0.0; return z / z }()
	more := []struct {
		name   string
		modify func(c *Config)
		want   string
		err    error
	}{
		{"forced bitrate", func(c *Config) { n := int64(0); c.Reticulum.ForceSharedInstanceBitrate = &n },
			"reticulum.force_shared_instance_bitrate: 0 is not a positive bitrate", ErrValue},
		{"required discovery value", func(c *Config) { c.Reticulum.RequiredDiscoveryValue = -1 },
			"reticulum.required_discovery_value: -1 is negative", ErrValue},
		{"autoconnect count", func(c *Config) { c.Reticulum.AutoconnectDiscoveredInterfaces = -1 },
			"reticulum.autoconnect_discovered_interfaces: -1 is negative", ErrValue},
		{"ar target", func(c *Config) { c.Reticulum.DefaultARTarget = -1 }, "reticulum.default_ar_target: -1 is negative", ErrValue},
		{"ar penalty", func(c *Config) { c.Reticulum.DefaultARPenalty = -1 }, "reticulum.default_ar_penalty: -1 is negative", ErrValue},
		{"ar grace", func(c *Config) { c.Reticulum.DefaultARGrace = i(-1) }, "reticulum.default_ar_grace: -1 is negative", ErrValue},
		{"held announces", func(c *Config) { c.Reticulum.ICMaxHeldAnnounces = i(-1) }, "reticulum.ic_max_held_announces: -1 is negative", ErrValue},
		{"nan", func(c *Config) { c.Reticulum.ICNewTime = f(nan) }, "reticulum.ic_new_time: nan is not a finite number", ErrValue},
		{"rate grace", with(TypeAuto, false, func(it *Interface) { it.AnnounceRateGrace = i(-2) }),
			"interfaces[1].announce_rate_grace: -2 is negative", ErrValue},
		{"interface ic", with(TypeAuto, false, func(it *Interface) { it.ICHeldReleaseInterval = f(-2) }),
			"interfaces[1].ic_held_release_interval: -2.0 is negative", ErrValue},
		{"stamp value", with(TypeAuto, false, func(it *Interface) { it.DiscoveryStampValue = i(-2) }),
			"interfaces[1].discovery_stamp_value: -2 is negative", ErrValue},
		{"longitude", with(TypeAuto, false, func(it *Interface) { it.Longitude = f(-181) }),
			"interfaces[1].longitude: -181.0 out of range -180.0 to 180.0", ErrValue},
		{"height", with(TypeAuto, false, func(it *Interface) { it.Height = f(nan) }),
			"interfaces[1].height: nan out of range -1.7976931348623157e+308 to 1.7976931348623157e+308", ErrValue},
		{"discovery frequency", with(TypeAuto, false, func(it *Interface) { n := int64(-1); it.DiscoveryFrequency = &n }),
			"interfaces[1].discovery_frequency: -1 is negative", ErrValue},
		{"discovery bandwidth", with(TypeAuto, false, func(it *Interface) { n := int64(-1); it.DiscoveryBandwidth = &n }),
			"interfaces[1].discovery_bandwidth: -1 is negative", ErrValue},
		{"transport identity", with(TypeAuto, false, func(it *Interface) { it.TransportIdentity = "xyz" }),
			`interfaces[1].transport_identity: "xyz" is not an identity hash of 32 hexadecimal characters`, ErrValue},
		{"target port", with(TypeTCPClient, false, func(it *Interface) { it.TargetPort = 65536 }),
			"interfaces[1].target_port: port 65536 out of range 1-65535", ErrValue},
		{"forward port", with(TypeUDP, false, func(it *Interface) { it.ForwardPort = -5 }),
			"interfaces[1].forward_port: port -5 out of range 1-65535", ErrValue},
		{"discovery port", with(TypeAuto, false, func(it *Interface) { it.DiscoveryPort = 1 << 16 }),
			"interfaces[1].discovery_port: port 65536 out of range 1-65535", ErrValue},
		{"connect timeout", with(TypeTCPClient, false, func(it *Interface) { it.ConnectTimeout = i(0) }),
			"interfaces[1].connect_timeout: 0 is not a positive number of seconds", ErrValue},
		{"reconnect tries", with(TypeTCPClient, false, func(it *Interface) { it.MaxReconnectTries = i(-1) }),
			"interfaces[1].max_reconnect_tries: -1 is negative", ErrValue},
		{"flap threshold", with(TypeBackbone, false, func(it *Interface) { it.FastFlappingThreshold = f(-1) }),
			"interfaces[1].fast_flapping_threshold: -1.0 is negative", ErrValue},
		{"flap grace", with(TypeBackbone, false, func(it *Interface) { it.FastFlappingGrace = i(-1) }),
			"interfaces[1].fast_flapping_grace: -1 is negative", ErrValue},
		{"flap block", with(TypeBackbone, false, func(it *Interface) { it.FastFlappingBlockTime = f(-1) }),
			"interfaces[1].fast_flapping_block_time: -1.0 is negative", ErrValue},
		{"multicast", with(TypeAuto, false, func(it *Interface) { it.MulticastAddressType = "odd" }),
			`interfaces[1].multicast_address_type: unknown multicast address type "odd" (want temporary or permanent)`, ErrValue},
		{"speed", with(TypeSerial, false, func(it *Interface) { it.Speed = -1 }), "interfaces[1].speed: -1 is negative", ErrValue},
		{"databits", with(TypeSerial, false, func(it *Interface) { it.DataBits = 9 }), "interfaces[1].databits: 9 out of range 5-8", ErrValue},
		{"stopbits", with(TypeSerial, false, func(it *Interface) { it.StopBits = 3 }), "interfaces[1].stopbits: 3 is not 1 or 2", ErrValue},
		{"parity", with(TypeSerial, false, func(it *Interface) { it.Parity = "mark" }),
			`interfaces[1].parity: unknown parity "mark" (want none, even or odd)`, ErrValue},
		{"preamble", with(TypeKISS, false, func(it *Interface) { it.Preamble = i(-1) }), "interfaces[1].preamble: -1 is negative", ErrValue},
		{"txtail", with(TypeKISS, false, func(it *Interface) { it.TXTail = i(-1) }), "interfaces[1].txtail: -1 is negative", ErrValue},
		{"slottime", with(TypeKISS, false, func(it *Interface) { it.SlotTime = i(-1) }), "interfaces[1].slottime: -1 is negative", ErrValue},
		{"persistence", with(TypeKISS, false, func(it *Interface) { it.Persistence = i(256) }),
			"interfaces[1].persistence: 256 out of range 0-255", ErrValue},
		{"id interval", with(TypeKISS, false, func(it *Interface) { it.IDInterval = i(-1) }), "interfaces[1].id_interval: -1 is negative", ErrValue},
		{"ssid", with(TypeAX25KISS, false, func(it *Interface) { it.SSID = i(16) }), "interfaces[1].ssid: SSID 16 out of range 0-15", ErrValue},
		{"frequency", with(TypeRNode, false, func(it *Interface) { it.Frequency = -1 }), "interfaces[1].frequency: -1 is negative", ErrValue},
		{"bandwidth", with(TypeRNode, false, func(it *Interface) { it.Bandwidth = -1 }), "interfaces[1].bandwidth: -1 is negative", ErrValue},
		{"coding rate", with(TypeRNode, false, func(it *Interface) { it.CodingRate = 9 }), "interfaces[1].codingrate: 9 out of range 5-8", ErrValue},
		{"airtime", with(TypeRNode, false, func(it *Interface) { it.AirtimeLimitShort = f(101) }),
			"interfaces[1].airtime_limit_short: 101.0 out of range 0.0 to 100.0", ErrValue},
		{"respawn delay", with(TypePipe, false, func(it *Interface) { it.RespawnDelay = f(-1) }),
			"interfaces[1].respawn_delay: -1.0 is negative", ErrValue},
		{"subinterface name", with(TypeRNodeMulti, false, func(it *Interface) { it.Subinterfaces = []SubInterface{{}} }),
			"interfaces[1].subinterfaces[0].name: subinterface has no name", ErrMissing},
		{"subinterface duplicate", with(TypeRNodeMulti, false, func(it *Interface) { it.Subinterfaces = []SubInterface{{Name: "a"}, {Name: "a"}} }),
			`interfaces[1].subinterfaces[1].name: subinterface name "a" is already used`, ErrDuplicate},
		{"vport", with(TypeRNodeMulti, false, func(it *Interface) { it.Subinterfaces = []SubInterface{{Name: "a", VPort: i(-1)}} }),
			"interfaces[1].subinterfaces[0].vport: -1 is negative", ErrValue},
		{"backbone listener", with(TypeBackbone, true, func(it *Interface) { it.ListenIP = "::" }),
			`interfaces[1].listen_port: BackboneInterface "X" needs listen_port (or port)`, ErrMissing},
		{"backbone client", with(TypeBackbone, true, func(it *Interface) { it.TargetHost = "h" }),
			`interfaces[1].target_port: BackboneInterface "X" needs target_port`, ErrMissing},
		{"backbone client type", with(TypeBackboneClient, true, func(it *Interface) { it.TargetPort = 1 }),
			`interfaces[1].target_host: BackboneClientInterface "X" needs target_host`, ErrMissing},
		{"udp forward", with(TypeUDP, true, func(it *Interface) { it.ForwardPort = 1 }),
			`interfaces[1].forward_ip: UDPInterface "X" needs forward_ip or device`, ErrMissing},
		{"udp listen", with(TypeUDP, true, func(it *Interface) { it.ListenPort = 1 }),
			`interfaces[1].listen_ip: UDPInterface "X" needs listen_ip or device`, ErrMissing},
		{"serial port", with(TypeSerial, true, func(it *Interface) {}),
			`interfaces[1].port: SerialInterface "X" needs a port (serial device)`, ErrMissing},
		{"weave port", with(TypeWeave, true, func(it *Interface) {}),
			`interfaces[1].port: WeaveInterface "X" needs a port (serial device)`, ErrMissing},
		{"ax25 ssid", with(TypeAX25KISS, true, func(it *Interface) { it.Port, it.Callsign = "/dev/x", "N0CALL" }),
			`interfaces[1].ssid: AX25KISSInterface "X" needs an ssid`, ErrMissing},
		{"rnode radio", with(TypeRNode, true, func(it *Interface) {
			it.Port, it.Frequency, it.Bandwidth, it.SpreadingFactor = "/dev/x", 868000000, 125000, 7
		}), `interfaces[1].codingrate: RNodeInterface "X" needs a coding rate`, ErrMissing},
		{"pipe command", with(TypePipe, true, func(it *Interface) {}),
			`interfaces[1].command: PipeInterface "X" needs a command`, ErrMissing},
		{"valid enabled interfaces", func(c *Config) {
			with(TypeI2P, true, func(it *Interface) {})(c)
			with(TypeUDP, true, func(it *Interface) { it.Name, it.Device, it.ListenPort = "Y", "eth0", 1 })(c)
		}, "", nil},
	}
	tests = append(tests, more...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(c)
			err := c.Validate()
			if tt.err == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("got  %v\nwant %s (%v)", err, tt.want, tt.err)
			}
		})
	}
}

func TestValidateJoinsErrors(t *testing.T) {
	c := Default()
	c.Reticulum.SharedInstancePort = 0
	c.Interfaces[0].Mode = "x"
	err := c.Validate()
	if err == nil || strings.Count(err.Error(), "\n") != 1 || !errors.Is(err, ErrValue) {
		t.Fatalf("got %v", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal("no *Error in the joined error")
	}
}

func TestLevels(t *testing.T) {
	for i := 0; i <= MaxLogLevel; i++ {
		n, ok := ParseLevel(strings.ToUpper(LevelName(i)))
		if !ok || n != i {
			t.Errorf("level %d: %q -> %d %v", i, LevelName(i), n, ok)
		}
	}
	if LevelName(-1) != "" || LevelName(9) != "" {
		t.Error("LevelName out of range")
	}
	if _, ok := ParseLevel("chatty"); ok {
		t.Error("ParseLevel accepted an unknown name")
	}
}

func TestQuote(t *testing.T) {
	in := "a\"b\\c\td\ne\x00\x7fé"
	c := mustDecode(t, "[reticulum]\ninstance_name = "+quote(in)+"\n")
	if c.Reticulum.InstanceName != in {
		t.Errorf("got %q", c.Reticulum.InstanceName)
	}
	if !bytes.Contains([]byte(quote(in)), []byte(`\u0000`)) {
		t.Error("control character not escaped")
	}
}
