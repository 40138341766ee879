package daemon

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/control"
)

// managed is one configured interface the daemon opened.
type managed struct {
	cfg     config.Interface
	att     attachment
	started time.Time
}

// AddInterface validates ic against the node's configuration and the
// interfaces already open, and opens it. It is how mehrd opens its
// configured interfaces at start, and how `mehr interface add` adds one
// to a running node; the others are not disturbed.
func (d *Daemon) AddInterface(ic config.Interface) error {
	ic.Enabled = true
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.ifaces[ic.Name]; dup {
		return fmt.Errorf("daemon: interface %q is already open", ic.Name)
	}
	c := config.Config{Reticulum: d.cfg.Reticulum, Logging: d.cfg.Logging, Interfaces: []config.Interface{ic}}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	att, err := d.openInterface(d.ctx, ic, d.logf)
	if err != nil {
		return fmt.Errorf("daemon: interface %q: %w", ic.Name, err)
	}
	d.ifaces[ic.Name] = &managed{cfg: ic, att: att, started: time.Now()}
	return nil
}

// RemoveInterface closes the configured interface called name, with
// every connection it accepted, and leaves the others alone.
func (d *Daemon) RemoveInterface(name string) error {
	d.mu.Lock()
	m, ok := d.ifaces[name]
	delete(d.ifaces, name)
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("daemon: no interface %q is open", name)
	}
	switch {
	case m.att.iface != nil:
		return d.Node.Transport().RemoveInterface(m.att.iface)
	case m.att.listener != nil:
		return d.Node.RemoveListener(m.att.listener)
	}
	return nil
}

// AddInterfaceTOML adds the [[interfaces]] entries of a TOML document,
// as `mehr interface add` sends them, and returns the decoder's warnings.
// It stops at the first entry that fails; those before it stay open.
func (d *Daemon) AddInterfaceTOML(doc []byte) ([]string, error) {
	c, warns, err := config.Decode(bytes.NewReader(doc), "interface")
	var ws []string
	for _, w := range warns {
		ws = append(ws, w.String())
	}
	if err != nil {
		return ws, err
	}
	if len(c.Interfaces) == 0 {
		return ws, fmt.Errorf("daemon: no [[interfaces]] entry given")
	}
	for _, ic := range c.Interfaces {
		if err := d.AddInterface(ic); err != nil {
			return ws, err
		}
	}
	return ws, nil
}

// ConfiguredInterfaces lists the configured interfaces that are open, by
// name, with what each attached.
func (d *Daemon) ConfiguredInterfaces() []control.ConfiguredInterface {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]control.ConfiguredInterface, 0, len(d.ifaces))
	for name, m := range d.ifaces {
		ci := control.ConfiguredInterface{Name: name, Type: m.cfg.Type, Mode: m.cfg.Mode, Since: m.started}
		switch {
		case m.att.iface != nil:
			ci.Attached = []string{m.att.iface.Name()}
			if p := m.att.plugin; p != nil {
				st := p.Status()
				ci.Plugin = &control.PluginInfo{Up: st.Up, PID: st.PID, Restarts: st.Restarts, Since: st.Since,
					LastError: st.LastError, Garbage: st.Garbage}
			}
		case m.att.listener != nil:
			ci.Listener = true
			ci.Attached = d.Node.Spawned(m.att.listener)
		}
		out = append(out, ci)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
