package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/plugins/host"
)

// PluginPrefix starts the file name of every interface plugin executable.
const PluginPrefix = "mehr-plugin-"

// ErrPluginNotFound means no plugin executable matched an interface's
// plugin name.
var ErrPluginNotFound = errors.New("daemon: plugin not found")

// builtinPlugins names the plugin that carries each interface type mehrd
// runs out of process by default.
var builtinPlugins = map[string]string{
	config.TypeUDP:    "udp",
	config.TypeSerial: "serial",
	config.TypeKISS:   "kiss",
	config.TypeRNode:  "rnode",
}

// FindPlugin returns the executable of a plugin. A name holding a path
// separator is a path and is used as it is. Any other name NAME (or
// mehr-plugin-NAME) is looked up as mehr-plugin-NAME in, in order: the
// directory of the running executable, dir (the configured plugin_dir,
// if not empty), and PATH.
func FindPlugin(name, dir string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrPluginNotFound)
	}
	if strings.ContainsRune(name, os.PathSeparator) || strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrPluginNotFound, name, err)
		}
		return name, nil
	}
	file := name
	if !strings.HasPrefix(file, PluginPrefix) {
		file = PluginPrefix + name
	}
	var tried []string
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), file)
		if executable(p) == nil {
			return p, nil
		}
		tried = append(tried, filepath.Dir(exe))
	}
	if dir != "" {
		p := filepath.Join(dir, file)
		if executable(p) == nil {
			return p, nil
		}
		tried = append(tried, dir)
	}
	if p, err := exec.LookPath(file); err == nil {
		return p, nil
	}
	tried = append(tried, "PATH")
	return "", fmt.Errorf("%w: %s (looked in %s; `make build` puts the plugins next to mehrd)",
		ErrPluginNotFound, file, strings.Join(tried, ", "))
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// pluginTable renders an interface section as the TOML table its plugin
// gets: every schema key with its value after defaults and validation
// (unset optional keys are left out), plus the plugin's own keys.
func pluginTable(ic config.Interface) ([]byte, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(ic); err != nil {
		return nil, err
	}
	if len(ic.Options) == 0 {
		return b.Bytes(), nil
	}
	m := map[string]any{}
	if _, err := toml.Decode(b.String(), &m); err != nil {
		return nil, err
	}
	maps.Copy(m, ic.Options)
	b.Reset()
	if err := toml.NewEncoder(&b).Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// openPlugin opens an interface whose driver is the plugin name, and
// registers it with the node. The plugin's default IFAC size applies
// unless the section sets ifac_size.
func (d *Daemon) openPlugin(ctx context.Context, ic config.Interface, name string, logf func(string, ...any)) (attachment, error) {
	path, err := FindPlugin(name, d.cfg.Reticulum.PluginDir)
	if err != nil {
		return attachment{}, err
	}
	table, err := pluginTable(ic)
	if err != nil {
		return attachment{}, fmt.Errorf("plugin configuration: %w", err)
	}
	hi, err := host.Start(ctx, host.Config{Name: ic.Name, Path: path, Config: table, Logf: logf})
	if err != nil {
		return attachment{}, err
	}
	// The plugin knows its type's IFAC default; a built-in type's is
	// known here too, and 16 bytes (packet media) is the fallback.
	t, ok := BuiltinType(ic.Type)
	if n := hi.DefaultIFACSize(); n != 0 {
		t.DefaultIFACSize = n
	} else if !ok {
		t.DefaultIFACSize = 16
	}
	o, err := InterfaceOptions(d.cfg.Reticulum, ic, t)
	if err != nil {
		hi.Close()
		return attachment{}, err
	}
	ti, err := d.Node.AddInterface(hi, o)
	if err != nil {
		hi.Close()
		return attachment{}, err
	}
	st := hi.Status()
	logf("mehrd: %s runs in plugin %s (pid %d)", ic.Name, path, st.PID)
	return attachment{iface: ti, plugin: hi}, nil
}

// PluginStatus is the supervision state of an interface that runs as a
// plugin.
type PluginStatus struct {
	// Name is the interface's name.
	Name string
	host.Status
}

// Plugins reports the interfaces whose drivers run as plugins: up or
// down, process ID, restarts and the last failure.
func (d *Daemon) Plugins() []PluginStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []PluginStatus
	for _, m := range d.ifaces {
		if p := m.att.plugin; p != nil {
			out = append(out, PluginStatus{Name: p.Name(), Status: p.Status()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
