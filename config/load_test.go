package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"syntax", "[reticulum]\nenable_transport = \n",
			"test.toml:2: reticulum.enable_transport: expected value but found '\\n' instead", ErrSyntax},
		{"duplicate key", "[reticulum]\nshare_instance = true\nshare_instance = false\n",
			"test.toml:3: reticulum.share_instance: Key 'reticulum.share_instance' has already been defined.", ErrSyntax},
		{"type string for bool", "[reticulum]\n\nshare_instance = \"yes\"\n",
			`test.toml:3: reticulum.share_instance: expected a boolean, got a string "yes"`, ErrType},
		{"type for int", "[reticulum]\nshared_instance_port = 1.5\n",
			"test.toml:2: reticulum.shared_instance_port: expected an integer, got a float", ErrType},
		{"port range", "[reticulum]\ninstance_control_port = 65536\n",
			"test.toml:2: reticulum.instance_control_port: port 65536 out of range 1-65535", ErrValue},
		{"section type", "reticulum = 5\n",
			"test.toml:1: reticulum: expected a table, got an integer", ErrType},
		{"interfaces type", "[interfaces]\nname = \"x\"\n",
			"test.toml:1: interfaces: expected an array of tables ([[interfaces]]), got a table", ErrType},
		{"list of strings", "[reticulum]\nblackhole_sources = [1]\n",
			"test.toml:2: reticulum.blackhole_sources: expected an array of strings, got an array holding an integer", ErrType},
		{"loglevel", "[logging]\nloglevel = 9\n",
			"test.toml:2: logging.loglevel: 9 out of range 0-8", ErrValue},
		{"level conflict", "[logging]\nloglevel = 6\nlevel = \"info\"\n",
			`test.toml:3: logging.level: level "info" (4) disagrees with loglevel 6; set only one of them`, ErrValue},
		{"unknown type", "[[interfaces]]\nname = \"A\"\ntype = \"TCPInterface\"\n",
			`test.toml:3: interfaces[0].type: unknown interface type "TCPInterface" (a type that is not built in needs a plugin key)`, ErrUnknownType},
		{"missing name", "[[interfaces]]\ntype = \"AutoInterface\"\n",
			"test.toml:1: interfaces[0].name: interface has no name", ErrMissing},
		{"duplicate names", "[[interfaces]]\nname = \"A\"\ntype = \"AutoInterface\"\n[[interfaces]]\nname = \"A\"\ntype = \"AutoInterface\"\n",
			`test.toml:5: interfaces[1].name: interface name "A" is already used by interfaces[0]`, ErrDuplicate},
		{"mode", "[[interfaces]]\nname = \"A\"\ntype = \"AutoInterface\"\nmode = \"fast\"\n",
			`test.toml:4: interfaces[0].mode: unknown mode "fast"`, ErrValue},
		{"listen port", "[[interfaces]]\nname = \"S\"\ntype = \"TCPServerInterface\"\nlisten_ip = \"::\"\nlisten_port = 70000\n",
			"test.toml:5: interfaces[0].listen_port: port 70000 out of range 1-65535", ErrValue},
		{"ifac size", "[[interfaces]]\nname = \"A\"\ntype = \"AutoInterface\"\nifac_size = 100\n",
			"test.toml:4: interfaces[0].ifac_size: 100 bits is not a multiple of 8 from 8 to 512", ErrValue},
		{"missing required key", "[[interfaces]]\nname = \"C\"\ntype = \"TCPClientInterface\"\nenabled = true\ntarget_host = \"h\"\n",
			`test.toml:1: interfaces[0].target_port: TCPClientInterface "C" needs target_port`, ErrMissing},
		{"port shorthand type", "[[interfaces]]\nname = \"S\"\ntype = \"TCPServerInterface\"\nport = \"4242\"\n",
			`test.toml:4: interfaces[0].port: expected an integer port, got a string "4242"`, ErrType},
		{"port shorthand range", "[[interfaces]]\nname = \"S\"\ntype = \"UDPInterface\"\nport = 0\n",
			"test.toml:4: interfaces[0].port: port 0 out of range 1-65535", ErrValue},
		{"serial port type", "[[interfaces]]\nname = \"R\"\ntype = \"SerialInterface\"\nport = 1\n",
			"test.toml:4: interfaces[0].port: expected a string, got an integer", ErrType},
		{"unknown type keeps keys", "[[interfaces]]\nname = \"R\"\ntype = \"Foo\"\nport = 1\n",
			"test.toml:4: interfaces[0].port: expected a string, got an integer", ErrType},
		{"subinterface", "[[interfaces]]\nname = \"M\"\ntype = \"RNodeMultiInterface\"\n\n  [[interfaces.subinterfaces]]\n  name = \"a\"\n  vport = \"one\"\n",
			`test.toml:7: interfaces[0].subinterfaces[0].vport: expected an integer, got a string "one"`, ErrType},
		{"dotted key", "reticulum.shared_instance_port = 0\n",
			"test.toml:1: reticulum.shared_instance_port: port 0 out of range 1-65535", ErrValue},
		{"multi-line value before key", "[reticulum]\nremote_management_allowed = [\n  \"x\",\n]\nrpc_key = \"q\"\n",
			"test.toml:2: reticulum.remote_management_allowed: \"x\" is not an identity hash of 32 hexadecimal characters\n" +
				"test.toml:5: reticulum.rpc_key: not an even number of hexadecimal characters", ErrValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Decode(strings.NewReader(tt.in), "test.toml")
			if err == nil || err.Error() != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("got  %v\nwant %s (%v)", err, tt.want, tt.err)
			}
			if c != nil {
				t.Error("a configuration was returned with an error")
			}
		})
	}
}

func TestDecodeWarnings(t *testing.T) {
	in := `
colour = "blue"

[reticulum]
enable_transprot = true

[logging]
loglevel = 5

[[interfaces]]
name = "C"
type = "TCPClientInterface"
target_host = "h"
target_port = 1
listen_port = 2
devices = ["eth0"]
wibble = 1

[[interfaces]]
name = "S"
type = "TCPServerInterface"
listen_ip = "0.0.0.0"
listen_port = 1
port = 2
`
	c, warns, err := Decode(strings.NewReader(in), "w.toml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	want := []string{
		"w.toml:2: colour: unknown key; ignored",
		"w.toml:5: reticulum.enable_transprot: unknown key; ignored",
		"w.toml:15: interfaces[0].listen_port: not used by TCPClientInterface; ignored",
		"w.toml:16: interfaces[0].devices: not used by TCPClientInterface; ignored",
		"w.toml:17: interfaces[0].wibble: unknown key; ignored",
		"w.toml:24: interfaces[1].port: port overrides listen_port, as in the reference",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n got %q\nwant %q", got, want)
	}
	if c.Interfaces[1].ListenPort != 2 || c.Logging.Level != "verbose" || c.Interfaces[0].ListenPort != 0 {
		t.Errorf("config: %+v %+v", c.Interfaces, c.Logging)
	}
}

func TestDecodeDefaults(t *testing.T) {
	c := mustDecode(t, "")
	want := Default()
	want.Interfaces = nil
	equalConfig(t, c, want)

	c = mustDecode(t, "[[interfaces]]\nname = \"A\"\ntype = \"AutoInterface\"\n")
	it := NewInterface("A", TypeAuto)
	if !reflect.DeepEqual(c.Interfaces[0], it) {
		t.Errorf("interface defaults: got %+v", c.Interfaces[0])
	}
	if it.Enabled {
		t.Error("interfaces are enabled by default; the reference disables them")
	}
}

func TestDecodeNormalizes(t *testing.T) {
	c := mustDecode(t, `
[reticulum]
shared_instance_type = "TCP"
autoconnect_interface_mode = "GW"
blackhole_sources = ["521C87A83AFB8F29E4455E77930B973B"]

[logging]
level = "Debug"

[[interfaces]]
name = "A"
type = "AutoInterface"
mode = "AP"
discovery_scope = "Global"
multicast_address_type = "Permanent"
devices = []

[[interfaces]]
name = "K"
type = "KISSInterface"
mode = "ptp"
parity = "E"
`)
	r := c.Reticulum
	if r.SharedInstanceType != "tcp" || r.AutoconnectInterfaceMode != ModeGateway || r.BlackholeSources[0] != "521c87a83afb8f29e4455e77930b973b" {
		t.Errorf("reticulum: %+v", r)
	}
	if c.Logging.LogLevel != 6 || c.Logging.Level != "debug" {
		t.Errorf("logging: %+v", c.Logging)
	}
	a, k := c.Interfaces[0], c.Interfaces[1]
	if a.Mode != ModeAccessPoint || a.DiscoveryScope != "global" || a.MulticastAddressType != "permanent" || a.Devices != nil {
		t.Errorf("auto: %+v", a)
	}
	if k.Mode != ModePointToPoint || k.Parity != "even" {
		t.Errorf("kiss: %+v", k)
	}
}

func TestPortShorthand(t *testing.T) {
	c := mustDecode(t, `
[[interfaces]]
name = "U"
type = "UDPInterface"
device = "eth0"
port = 4242
forward_port = 5000

[[interfaces]]
name = "B"
type = "BackboneInterface"
listen_ip = "0.0.0.0"
port = 4243

[[interfaces]]
name = "BC"
type = "BackboneInterface"
target_host = "example.net"
port = 4244
`)
	u, b, bc := c.Interfaces[0], c.Interfaces[1], c.Interfaces[2]
	if u.ListenPort != 4242 || u.ForwardPort != 5000 || u.Port != "" {
		t.Errorf("udp: %+v", u)
	}
	if b.ListenPort != 4243 || b.TargetPort != 0 {
		t.Errorf("backbone listener: %+v", b)
	}
	if bc.TargetPort != 4244 || bc.ListenPort != 0 {
		t.Errorf("backbone client: %+v", bc)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mehr.toml")
	if err := os.WriteFile(path, Genconf(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, warns, err := Load(path)
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	equalConfig(t, c, Default())

	if err := os.WriteFile(path, []byte("[reticulum]\nshare_instance = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = Load(path)
	if want := path + ":2: reticulum.share_instance: expected a boolean, got an integer"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if _, _, err := Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestKeyLines(t *testing.T) {
	doc := `# comment
top = 1
[reticulum]
a = """
b = 2
"""
c = [
  "d = 3",
]
"quoted key" = 4
x.y = { z = 5 }
[[interfaces]]
name = 'n'
  [[interfaces.subinterfaces]]
  vport = 0
  [[interfaces.subinterfaces]]
  vport = 1
[[interfaces]]
name = "m" # [x]
[interfaces.extra]
k = 1
`
	got := keyLines([]byte(doc))
	want := map[string]int{
		"top": 2, "reticulum": 3, "reticulum.a": 4, "reticulum.c": 7, "reticulum.quoted key": 10, "reticulum.x.y": 11,
		"interfaces[0]": 12, "interfaces[0].name": 13,
		"interfaces[0].subinterfaces[0]": 14, "interfaces[0].subinterfaces[0].vport": 15,
		"interfaces[0].subinterfaces[1]": 16, "interfaces[0].subinterfaces[1].vport": 17,
		"interfaces[1]": 18, "interfaces[1].name": 19, "interfaces[1].extra": 20, "interfaces[1].extra.k": 21,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}
