package config

// Reading values the way the reference does: %(name)s interpolation, which
// its configuration library applies on every read, and the conversions of
// Python's int(), float() and the library's as_bool().

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// pyValue is a value as the reference sees it after interpolation.
type pyValue struct {
	s      string
	list   []string
	isList bool
}

// get returns the value of an entry with %(name)s references replaced, as
// the reference's configuration library does on every read.
func (im *importer) get(sec *coSection, e *coEntry) (pyValue, bool) {
	if !e.isList {
		s, err := interpolate(sec, sec, e.key, e.value, &interpState{})
		if err != nil {
			im.fail(e.line, entryKey(sec, e.key), ErrValue, "%v", err)
			return pyValue{}, false
		}
		return pyValue{s: s}, true
	}
	out := make([]string, len(e.list))
	for i, v := range e.list {
		s, err := interpolate(sec, sec, e.key, v, &interpState{})
		if err != nil {
			im.fail(e.line, entryKey(sec, e.key), ErrValue, "%v", err)
			return pyValue{}, false
		}
		out[i] = s
	}
	return pyValue{list: out, isList: true}, true
}

// Limits on interpolation. The reference has none, but nested references
// can grow a value exponentially.
const (
	maxInterpolatedLen = 1 << 20
	maxInterpolations  = 10000
)

type interpState struct {
	trail map[[2]string]bool // (key, section name) pairs being expanded
	count int                // references replaced so far
}

// interpolate replaces %(name)s with the value of key name, looked up in
// the section the value was read from (origin), its DEFAULT subsection, then
// the enclosing sections. Referenced values are interpolated in turn, with
// lookups still starting at origin, as the reference's library does; sec is
// the section v was found in, which only serves to detect loops.
func interpolate(origin, sec *coSection, key, v string, st *interpState) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	if st.trail == nil {
		st.trail = map[[2]string]bool{}
	}
	mark := [2]string{key, sec.name}
	if st.trail[mark] {
		return "", fmt.Errorf("interpolation loop through %q", key)
	}
	st.trail[mark] = true
	defer delete(st.trail, mark)
	for from := 0; ; {
		start, end, name, ok := findRef(v, from)
		if !ok {
			return v, nil
		}
		if st.count++; st.count > maxInterpolations {
			return "", fmt.Errorf("more than %d %%(name)s references", maxInterpolations)
		}
		found, in := lookupRef(origin, name)
		if found == nil {
			return "", fmt.Errorf("%%(%s)s refers to a key that does not exist", name)
		}
		if found.isList {
			return "", fmt.Errorf("%%(%s)s refers to a list", name)
		}
		rep, err := interpolate(origin, in, name, found.value, st)
		if err != nil {
			return "", err
		}
		if len(v)-(end-start)+len(rep) > maxInterpolatedLen {
			return "", fmt.Errorf("value longer than %d bytes after %%(name)s interpolation", maxInterpolatedLen)
		}
		v = v[:start] + rep + v[end:]
		from = start + len(rep)
	}
}

// findRef finds the first %(name)s at or after from.
func findRef(v string, from int) (start, end int, name string, ok bool) {
	for i := from; i+1 < len(v); i++ {
		if v[i] != '%' || v[i+1] != '(' {
			continue
		}
		j := strings.IndexByte(v[i+2:], ')')
		if j < 0 {
			return 0, 0, "", false
		}
		j += i + 2
		if j+1 < len(v) && v[j+1] == 's' {
			return i, j + 2, v[i+2 : j], true
		}
	}
	return 0, 0, "", false
}

func lookupRef(sec *coSection, name string) (*coEntry, *coSection) {
	for s := sec; s != nil; s = s.parent {
		if e, ok := s.byKey[name]; ok {
			return e, s
		}
		if d, ok := s.bySub["DEFAULT"]; ok {
			if e, ok := d.byKey[name]; ok {
				return e, s
			}
		}
	}
	return nil, nil
}

// Python value conversions.

// pyBool reads a boolean the way ConfigObj's as_bool does.
func pyBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "on", "1", "true":
		return true, true
	case "no", "off", "0", "false":
		return false, true
	}
	return false, false
}

// pyDigits checks a run of decimal digits in which single underscores may
// separate digits, as Python's int() and float() accept, and returns it
// without underscores.
func pyDigits(s string) (string, bool) {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '_' && s[i-1] != '_':
		default:
			return "", false
		}
	}
	return b.String(), true
}

// pyInt reads an integer the way Python's int() reads a string.
func pyInt(s string, bits int) (int64, error) {
	t := pyStrip(s)
	sign := ""
	if t != "" && (t[0] == '+' || t[0] == '-') {
		sign, t = t[:1], t[1:]
	}
	d, ok := pyDigits(t)
	if !ok {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	n, err := strconv.ParseInt(sign+d, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

// pyFloat reads a number the way Python's float() reads a string. Only
// finite values are accepted.
func pyFloat(s string) (float64, error) {
	t := pyStrip(s)
	u := t
	if u != "" && (u[0] == '+' || u[0] == '-') {
		u = u[1:]
	}
	switch strings.ToLower(u) {
	case "inf", "infinity", "nan":
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	mant, exp := u, ""
	if i := strings.IndexAny(u, "eE"); i >= 0 {
		mant, exp = u[:i], u[i+1:]
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if _, ok := pyDigits(exp); !ok {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	ip, fp, dot := strings.Cut(mant, ".")
	okI := ip == ""
	if !okI {
		_, okI = pyDigits(ip)
	}
	okF := fp == ""
	if !okF {
		_, okF = pyDigits(fp)
	}
	if !okI || !okF || (ip == "" && fp == "") || (!dot && ip == "") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return f, nil
}
