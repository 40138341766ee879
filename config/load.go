package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/BurntSushi/toml"
)

// Load reads a mehr TOML configuration file. See Decode.
func Load(path string) (*Config, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return decode(data, path)
}

// Decode reads a mehr TOML configuration; filename is used in messages
// only. Keys that are absent keep the values of Default, except that there
// are no interfaces unless the file lists some, and each [[interfaces]]
// entry starts from NewInterface.
//
// Unknown keys, and keys the interface's type does not read, produce
// warnings and are ignored. Syntax errors, values of the wrong type and everything Validate
// rejects produce an error joining one *Error per problem, each naming the
// file, line and key. Names of modes and other enumerations are brought
// into their canonical spelling.
func Decode(r io.Reader, filename string) (*Config, []Warning, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	return decode(data, filename)
}

func decode(data []byte, file string) (*Config, []Warning, error) {
	var raw map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, nil, &Error{File: file, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message, Err: ErrSyntax}
		}
		return nil, nil, &Error{File: file, Msg: err.Error(), Err: ErrSyntax}
	}
	d := &tomlDecoder{file: file, lines: keyLines(data)}
	c := Default()
	c.Interfaces = nil
	d.top(raw, c)
	sort.SliceStable(d.warns, func(i, j int) bool { return d.warns[i].Line < d.warns[j].Line })
	if err := toErrors(file, d, d.probs); err != nil {
		return nil, d.warns, err
	}
	normalize(c)
	if err := toErrors(file, d, validate(c)); err != nil {
		return nil, d.warns, err
	}
	return c, d.warns, nil
}

type tomlDecoder struct {
	file  string
	lines map[string]int
	warns []Warning
	probs []problem
}

// locate implements locator: the line of the key, or of the table that
// should hold it.
func (d *tomlDecoder) locate(p fieldPath) (string, int) {
	k := p.tomlKey()
	if n, ok := d.lines[k]; ok {
		return k, n
	}
	up := p
	up.key = ""
	if n, ok := d.lines[up.tomlKey()]; ok {
		return k, n
	}
	return k, d.lines[p.section]
}

func (d *tomlDecoder) warn(p fieldPath, format string, args ...any) {
	key, line := d.locate(p)
	d.warns = append(d.warns, Warning{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *tomlDecoder) fail(p fieldPath, err error, format string, args ...any) {
	d.probs = append(d.probs, problem{path: p, msg: fmt.Sprintf(format, args...), err: err})
}

// sortedKeys returns the keys of m in the order of their lines, then by
// name.
func (d *tomlDecoder) sortedKeys(m map[string]any, path func(string) fieldPath) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		_, li := d.locate(path(keys[i]))
		_, lj := d.locate(path(keys[j]))
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func (d *tomlDecoder) top(raw map[string]any, c *Config) {
	top := func(k string) fieldPath { return fieldPath{k, -1, -1, ""} }
	for _, k := range d.sortedKeys(raw, top) {
		v := raw[k]
		switch k {
		case "reticulum":
			m, ok := v.(map[string]any)
			if !ok {
				d.fail(top(k), ErrType, "expected a table, got %s", tomlType(v))
				continue
			}
			d.table(m, reflect.ValueOf(&c.Reticulum).Elem(), reticulumInfo(), retPath, "")
		case "logging":
			m, ok := v.(map[string]any)
			if !ok {
				d.fail(top(k), ErrType, "expected a table, got %s", tomlType(v))
				continue
			}
			d.table(m, reflect.ValueOf(&c.Logging).Elem(), loggingInfo(), logPath, "")
			_, hasLevel := m["level"]
			_, hasNum := m["loglevel"]
			switch {
			case hasLevel && !hasNum:
				if n, ok := ParseLevel(c.Logging.Level); ok {
					c.Logging.LogLevel = n
				}
			case hasNum && !hasLevel:
				c.Logging.Level = ""
			}
		case "mehr":
			m, ok := v.(map[string]any)
			if !ok {
				d.fail(top(k), ErrType, "expected a table, got %s", tomlType(v))
				continue
			}
			d.table(m, reflect.ValueOf(&c.Mehr).Elem(), mehrInfo(), mehrPath, "")
		case "tun":
			m, ok := v.(map[string]any)
			if !ok {
				d.fail(top(k), ErrType, "expected a table, got %s", tomlType(v))
				continue
			}
			d.table(m, reflect.ValueOf(&c.TUN).Elem(), tunInfo(), tunPath, "")
		case "interfaces":
			list, ok := tables(v)
			if !ok {
				d.fail(top(k), ErrType, "expected an array of tables ([[interfaces]]), got %s", tomlType(v))
				continue
			}
			for i, m := range list {
				c.Interfaces = append(c.Interfaces, d.iface(m, i))
			}
		default:
			d.warn(top(k), "unknown key; ignored")
		}
	}
}

// tables converts an array of tables, as the TOML library returns it.
func tables(v any) ([]map[string]any, bool) {
	switch l := v.(type) {
	case []map[string]any:
		return l, true
	case []any:
		out := make([]map[string]any, 0, len(l))
		for _, x := range l {
			m, ok := x.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

// table decodes the keys of m into the struct rv. For interfaces, typ is
// the interface type, used to warn about keys the type does not read.
func (d *tomlDecoder) table(m map[string]any, rv reflect.Value, si *structInfo, path func(string) fieldPath, typ string) {
	for _, k := range d.sortedKeys(m, path) {
		fi := si.byName[k]
		if fi == nil || k == "subinterfaces" {
			d.warn(path(k), "unknown key; ignored")
			continue
		}
		if _, known := typeGroups[typ]; known && !fi.usedBy(typ) {
			d.warn(path(k), "not used by %s; ignored", typ)
			continue
		}
		d.value(m[k], rv.Field(fi.index), path(k))
	}
}

func (d *tomlDecoder) iface(m map[string]any, i int) Interface {
	p := func(k string) fieldPath { return ifPath(i, k) }
	it := NewInterface("", "")
	if v, ok := m["type"]; ok {
		d.value(v, reflect.ValueOf(&it.Type).Elem(), p("type"))
	}
	rest := make(map[string]any, len(m))
	var port any
	var subs any
	_, known := typeGroups[it.Type]
	_, hasPlugin := m["plugin"]
	for k, v := range m {
		switch {
		case !known && hasPlugin && interfaceInfo().byName[k] == nil:
			// A plugin's own key.
			if it.Options == nil {
				it.Options = map[string]any{}
			}
			it.Options[k] = v
		case k == "type":
		case k == "port" && ipPortType(it.Type):
			port = v
		case k == "subinterfaces":
			subs = v
		default:
			rest[k] = v
		}
	}
	d.table(rest, reflect.ValueOf(&it).Elem(), interfaceInfo(), p, it.Type)
	if port != nil {
		if n, ok := port.(int64); ok && n >= 1 && n <= 65535 {
			has := func(k string) bool { _, ok := m[k]; return ok }
			if w := applyPortShorthand(&it, int(n), has); w != "" {
				d.warn(p("port"), "%s", w)
			}
		} else if ok {
			d.fail(p("port"), ErrValue, "port %d out of range 1-65535", n)
		} else {
			d.fail(p("port"), ErrType, "expected an integer port, got %s", tomlType(port))
		}
	}
	if _, known := typeGroups[it.Type]; subs != nil && known && it.Type != TypeRNodeMulti {
		d.warn(p("subinterfaces"), "not used by %s; ignored", it.Type)
		subs = nil
	}
	if subs != nil {
		list, ok := tables(subs)
		if !ok {
			d.fail(p("subinterfaces"), ErrType, "expected an array of tables ([[interfaces.subinterfaces]]), got %s", tomlType(subs))
		}
		for j, sm := range list {
			s := NewSubInterface("")
			d.table(sm, reflect.ValueOf(&s).Elem(), subInterfaceInfo(), func(k string) fieldPath { return subPath(i, j, k) }, "")
			it.Subinterfaces = append(it.Subinterfaces, s)
		}
	}
	return it
}

// value stores a decoded TOML value in fv, checking its type.
func (d *tomlDecoder) value(v any, fv reflect.Value, p fieldPath) {
	t := fv.Type()
	if t.Kind() == reflect.Pointer {
		e := reflect.New(t.Elem())
		if d.scalar(v, e.Elem(), p) {
			fv.Set(e)
		}
		return
	}
	if t.Kind() == reflect.Slice {
		l, ok := v.([]any)
		if !ok {
			d.fail(p, ErrType, "expected an array of strings, got %s", tomlType(v))
			return
		}
		out := make([]string, 0, len(l))
		for _, x := range l {
			s, ok := x.(string)
			if !ok {
				d.fail(p, ErrType, "expected an array of strings, got an array holding %s", tomlType(x))
				return
			}
			out = append(out, s)
		}
		fv.Set(reflect.ValueOf(out))
		return
	}
	d.scalar(v, fv, p)
}

func (d *tomlDecoder) scalar(v any, fv reflect.Value, p fieldPath) bool {
	switch fv.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			d.fail(p, ErrType, "expected a string, got %s", tomlType(v))
			return false
		}
		fv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.fail(p, ErrType, "expected a boolean, got %s", tomlType(v))
			return false
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			d.fail(p, ErrType, "expected an integer, got %s", tomlType(v))
			return false
		}
		if fv.OverflowInt(n) {
			d.fail(p, ErrValue, "%d is out of range", n)
			return false
		}
		fv.SetInt(n)
	case reflect.Float64:
		switch x := v.(type) {
		case float64:
			fv.SetFloat(x)
		case int64:
			fv.SetFloat(float64(x))
		default:
			d.fail(p, ErrType, "expected a number, got %s", tomlType(v))
			return false
		}
	default:
		panic("config: unsupported field kind " + fv.Kind().String())
	}
	return true
}

// tomlType names the TOML type of a decoded value, for messages.
func tomlType(v any) string {
	switch x := v.(type) {
	case string:
		return "a string " + strconv.Quote(x)
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}
