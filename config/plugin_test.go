package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestPluginInterface: an interface of a type mehrd does not know loads
// when it names a plugin, keys outside the schema land in Options without
// warnings, and Marshal writes them back.
func TestPluginInterface(t *testing.T) {
	const doc = `
[reticulum]
plugin_dir = "/opt/mehr/plugins"

[[interfaces]]
name = "Pipe"
type = "ThirdPartyPipe"
enabled = true
plugin = "pipe"
mode = "gw"
command = "cat"
respawn_delay = 1.5
stations = ["a", "b"]
`
	c, warns, err := Decode(strings.NewReader(doc), "plugin.toml")
	if err != nil || len(warns) != 0 {
		t.Fatalf("err %v, warnings %v", err, warns)
	}
	it := c.Interfaces[0]
	if c.Reticulum.PluginDir != "/opt/mehr/plugins" || it.Plugin != "pipe" || it.Mode != ModeGateway {
		t.Fatalf("plugin_dir %q, plugin %q, mode %q", c.Reticulum.PluginDir, it.Plugin, it.Mode)
	}
	// Keys of the schema keep their fields; the rest are the plugin's.
	want := map[string]any{"stations": []any{"a", "b"}}
	if !reflect.DeepEqual(it.Options, want) || it.Command != "cat" || *it.RespawnDelay != 1.5 {
		t.Fatalf("options %#v, command %q", it.Options, it.Command)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, _, err := Decode(strings.NewReader(string(out)), "marshalled")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(c2.Interfaces[0].Options, want) {
		t.Fatalf("options after Marshal %#v\n%s", c2.Interfaces[0].Options, out)
	}

	_, _, err = Decode(strings.NewReader("[[interfaces]]\nname = \"x\"\ntype = \"ThirdPartyPipe\"\n"), "noplugin.toml")
	if !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown type without plugin: %v", err)
	}
}
