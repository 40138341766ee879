package config

import (
	"reflect"
	"strings"
	"sync"
)

// fieldInfo describes one field of a schema struct, read from its tags.
type fieldInfo struct {
	name    string // TOML key
	index   int    // index of the struct field
	typ     reflect.Type
	comment string
	use     map[string]bool // interface type groups that read the key; nil: all
	example string          // TOML value shown by Genconf for unset optional keys
}

// structInfo is the field table of a schema struct, in declaration order.
type structInfo struct {
	fields []fieldInfo
	byName map[string]*fieldInfo
}

var structInfos sync.Map // reflect.Type -> *structInfo

func infoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]*fieldInfo{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("toml")
		if name == "" || name == "-" {
			continue
		}
		fi := fieldInfo{
			name:    name,
			index:   i,
			typ:     f.Type,
			comment: f.Tag.Get("comment"),
			example: f.Tag.Get("example"),
		}
		if u := f.Tag.Get("use"); u != "" {
			fi.use = map[string]bool{}
			for _, g := range strings.Fields(u) {
				fi.use[g] = true
			}
		}
		si.fields = append(si.fields, fi)
	}
	for i := range si.fields {
		si.byName[si.fields[i].name] = &si.fields[i]
	}
	si2, _ := structInfos.LoadOrStore(t, si)
	return si2.(*structInfo)
}

var (
	configInfo       = func() *structInfo { return infoOf(reflect.TypeFor[Config]()) }
	tunInfo          = func() *structInfo { return infoOf(reflect.TypeFor[TUN]()) }
	mehrInfo         = func() *structInfo { return infoOf(reflect.TypeFor[Mehr]()) }
	reticulumInfo    = func() *structInfo { return infoOf(reflect.TypeFor[Reticulum]()) }
	loggingInfo      = func() *structInfo { return infoOf(reflect.TypeFor[Logging]()) }
	interfaceInfo    = func() *structInfo { return infoOf(reflect.TypeFor[Interface]()) }
	subInterfaceInfo = func() *structInfo { return infoOf(reflect.TypeFor[SubInterface]()) }
)

// usedBy reports whether interfaces of type typ read the key. Keys without
// a use tag are read by every type; unknown types read only those.
func (fi *fieldInfo) usedBy(typ string) bool {
	if fi.use == nil {
		return true
	}
	return fi.use[typeGroups[typ]]
}

// common reports whether every interface type reads the key.
func (fi *fieldInfo) common() bool { return fi.use == nil }

// typesUsing lists the interface types that read a key, for messages.
func (fi *fieldInfo) typesUsing() []string {
	var out []string
	for _, t := range Types() {
		if fi.usedBy(t) {
			out = append(out, t)
		}
	}
	return out
}

// ipPortTypes are the types for which an integer port key is shorthand
// for listen_port, forward_port or target_port, as in the reference.
func ipPortType(typ string) bool {
	switch typ {
	case TypeTCPServer, TypeUDP, TypeBackbone, TypeBackboneClient:
		return true
	}
	return false
}

// applyPortShorthand applies an integer port key to an interface of an
// ipPortType type the way the reference does. has reports which of the
// explicit keys the section also sets. It returns a warning text, or "".
func applyPortShorthand(it *Interface, port int, has func(key string) bool) string {
	switch it.Type {
	case TypeTCPServer:
		// The reference's TCP server lets port override listen_port.
		warn := ""
		if has("listen_port") && it.ListenPort != port {
			warn = "port overrides listen_port, as in the reference"
		}
		it.ListenPort = port
		return warn
	case TypeUDP:
		// The reference's UDP interface uses port where listen_port or
		// forward_port are not given.
		if !has("listen_port") {
			it.ListenPort = port
		}
		if !has("forward_port") {
			it.ForwardPort = port
		}
	case TypeBackbone, TypeBackboneClient:
		// The reference copies port into both listen_port and target_port;
		// only the one of the interface's role is used.
		if it.Type == TypeBackboneClient || it.TargetHost != "" {
			it.TargetPort = port
		} else {
			it.ListenPort = port
		}
		if has("listen_port") || has("target_port") {
			return "port overrides listen_port and target_port, as in the reference"
		}
	}
	return ""
}
