package config

import (
	"strconv"
	"strings"
)

// keyLines finds the line of each key and table header of a TOML document,
// so that messages can name lines; the TOML library does not report them
// for keys that parse correctly. Keys are named as fieldPath.tomlKey names
// them: "reticulum.share_instance", "interfaces[1]",
// "interfaces[1].subinterfaces[0].vport". The scan understands tables,
// arrays of tables, dotted and quoted keys, and values spanning lines;
// keys inside inline tables get no line. It runs only on documents the
// TOML library has accepted.
func keyLines(data []byte) map[string]int {
	lines := strings.Split(string(data), "\n")
	out := map[string]int{}
	record := func(k string, n int) {
		if _, ok := out[k]; !ok {
			out[k] = n
		}
	}
	counts := map[string]int{}    // array-of-tables path -> elements seen
	latest := map[string]string{} // array-of-tables path -> path of its last element
	resolve := func(parts []string) string {
		cur := ""
		for _, p := range parts {
			if cur != "" {
				cur += "."
			}
			cur += p
			if el, ok := latest[cur]; ok {
				cur = el
			}
		}
		return cur
	}
	table := ""
	var st scanState
	for i, line := range lines {
		n := i + 1
		if st.open() {
			st.scan(line, 0)
			continue
		}
		s := strings.TrimLeft(line, " \t")
		switch {
		case s == "" || s[0] == '#':
		case strings.HasPrefix(s, "[["):
			parts, ok := splitKey(s[2:], "]]")
			if !ok || len(parts) == 0 {
				continue
			}
			arr := resolve(parts[:len(parts)-1])
			if arr != "" {
				arr += "."
			}
			arr += parts[len(parts)-1]
			el := arr + "[" + strconv.Itoa(counts[arr]) + "]"
			counts[arr]++
			latest[arr] = el
			table = el
			record(el, n)
		case s[0] == '[':
			parts, ok := splitKey(s[1:], "]")
			if !ok || len(parts) == 0 {
				continue
			}
			table = resolve(parts)
			record(table, n)
		default:
			parts, ok := splitKey(s, "=")
			if !ok || len(parts) == 0 {
				continue
			}
			k := strings.Join(parts, ".")
			if table != "" {
				k = table + "." + k
			}
			record(k, n)
			eq := len(s) - len(keyRest(s))
			st.scan(s, eq)
		}
	}
	return out
}

// keyRest returns s from the '=' that ends its key on.
func keyRest(s string) string {
	q := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '=':
			return s[i:]
		}
	}
	return ""
}

// splitKey reads a possibly dotted, possibly quoted key up to the
// terminator and returns its parts.
func splitKey(s, term string) ([]string, bool) {
	var parts []string
	var cur strings.Builder
	quoted := false
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if c == '"' && s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, false
			}
			raw := s[i+1 : j]
			if c == '"' {
				if u, err := strconv.Unquote(`"` + raw + `"`); err == nil {
					raw = u
				}
			}
			cur.WriteString(raw)
			quoted = true
			i = j + 1
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
			quoted = false
			i++
		case strings.HasPrefix(s[i:], term):
			if cur.Len() > 0 || quoted {
				parts = append(parts, cur.String())
			}
			return parts, true
		default:
			cur.WriteByte(c)
			i++
		}
	}
	return nil, false
}

// scanState tracks values that continue on later lines: multi-line
// strings and arrays or inline tables.
type scanState struct {
	mlBasic   bool // inside """
	mlLiteral bool // inside '''
	depth     int  // open [ and {
}

func (st *scanState) open() bool { return st.mlBasic || st.mlLiteral || st.depth > 0 }

// scan advances the state over line from index i.
func (st *scanState) scan(line string, i int) {
	for i < len(line) {
		switch {
		case st.mlBasic:
			if line[i] == '\\' {
				i += 2
				continue
			}
			if strings.HasPrefix(line[i:], `"""`) {
				st.mlBasic = false
				i += 3
				continue
			}
			i++
		case st.mlLiteral:
			if strings.HasPrefix(line[i:], `'''`) {
				st.mlLiteral = false
				i += 3
				continue
			}
			i++
		default:
			c := line[i]
			switch {
			case c == '#':
				return
			case strings.HasPrefix(line[i:], `"""`):
				st.mlBasic = true
				i += 3
			case strings.HasPrefix(line[i:], `'''`):
				st.mlLiteral = true
				i += 3
			case c == '"' || c == '\'':
				j := i + 1
				for j < len(line) && line[j] != c {
					if c == '"' && line[j] == '\\' {
						j++
					}
					j++
				}
				i = j + 1
			case c == '[' || c == '{':
				st.depth++
				i++
			case c == ']' || c == '}':
				if st.depth > 0 {
					st.depth--
				}
				i++
			default:
				i++
			}
		}
	}
}
