package config

// This file reads the configuration dialect of the Python reference: the
// INI variant of the ConfigObj library, with list values on and the
// ConfigParser-style %(name)s interpolation that the reference leaves on.
//
// Grammar, as the reference's parser applies it line by line:
//
//   - Blank lines and lines whose first non-blank character is # are
//     comments.
//   - A section line is one or more [ (blanks allowed between them), a name,
//     as many ] (blanks allowed), then an optional # comment. The number of
//     brackets is the depth: [reticulum] is 1, [[Name]] is 2, [[[Sub]]] is
//     3. A name may be quoted with " or '. A section may only be one level
//     deeper than the one before it.
//   - Any other line is key = value. The key ends at the first = (blanks
//     around it are dropped) unless it is quoted.
//   - A value is a comma-separated list if it contains an unquoted comma
//     ("a, b", or "a," for a one-element list, or "," for an empty one);
//     otherwise it is a single string. Items may be quoted with " or ',
//     which keeps commas and # inside them. An unquoted # starts a comment.
//   - A value starting with """ or ''' is a multi-line string that ends at
//     the matching triple quote, possibly lines later.
//   - Duplicate keys or section names in one section are errors.
//
// The matcher below reproduces the order in which the reference's regular
// expressions try alternatives (shortest quoted string first, and so on),
// so that odd inputs such as unbalanced quotes are read the same way.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// coSection is a section of a parsed file. The root has depth 0.
type coSection struct {
	name    string
	line    int
	depth   int
	parent  *coSection
	entries []*coEntry
	subs    []*coSection
	byKey   map[string]*coEntry
	bySub   map[string]*coSection
}

// coEntry is one key = value line.
type coEntry struct {
	key    string
	line   int
	value  string   // when !isList
	list   []string // when isList
	isList bool
}

func newSection(name string, line, depth int, parent *coSection) *coSection {
	return &coSection{name: name, line: line, depth: depth, parent: parent,
		byKey: map[string]*coEntry{}, bySub: map[string]*coSection{}}
}

// has reports whether the section has a key or subsection of that name.
func (s *coSection) has(name string) bool {
	_, k := s.byKey[name]
	_, sub := s.bySub[name]
	return k || sub
}

// pySpace reports whether r is whitespace as Python's str.isspace and the
// \s of its regular expressions see it.
func pySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// skipSpace returns the index of the first non-space rune at or after i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !pySpace(r) {
			break
		}
		i += n
	}
	return i
}

// spaceBefore returns the index where the run of spaces ending at i
// starts, but not before lo.
func spaceBefore(s string, i, lo int) int {
	for i > lo {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !pySpace(r) || i-n < lo {
			break
		}
		i -= n
	}
	return i
}

func pyStrip(s string) string {
	return strings.TrimFunc(s, pySpace)
}

// nextRune returns the index after the rune at i.
func nextRune(s string, i int) int {
	_, n := utf8.DecodeRuneInString(s[i:])
	return i + n
}

// parseConfigObj parses text. It stops at the first error, as only the
// first is worth reporting (the reference reports the first, too).
func parseConfigObj(text, file string) (*coSection, error) {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r\n")
	}
	root := newSection("", 0, 0, nil)
	cur := root
	fail := func(i int, err error, format string, args ...any) error {
		return &Error{File: file, Line: i + 1, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		s := pyStrip(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if open, closeN, name, ok := parseSectionLine(line); ok {
			if open != closeN {
				return nil, fail(i, ErrSyntax, "section [%s]: %d opening but %d closing brackets", name, open, closeN)
			}
			var parent *coSection
			switch {
			case open < cur.depth:
				a := cur
				for a.depth > open {
					a = a.parent
				}
				parent = a.parent
			case open == cur.depth:
				parent = cur.parent
			case open == cur.depth+1:
				parent = cur
			default:
				return nil, fail(i, ErrSyntax, "section %s is nested too deep: it is %d levels below %s",
					strings.Repeat("[", open)+name+strings.Repeat("]", open), open-cur.depth, sectionLabel(cur))
			}
			if parent.has(name) {
				return nil, fail(i, ErrDuplicate, "duplicate section name %q in %s", name, sectionLabel(parent))
			}
			sec := newSection(name, i+1, open, parent)
			parent.subs = append(parent.subs, sec)
			parent.bySub[name] = sec
			cur = sec
			continue
		}
		key, raw, ok := parseKeywordLine(line)
		if !ok {
			return nil, fail(i, ErrSyntax, "invalid line %q: neither a [section] nor key = value", line)
		}
		e := &coEntry{key: key, line: i + 1}
		if strings.HasPrefix(raw, `"""`) || strings.HasPrefix(raw, `'''`) {
			v, last, ok := multiline(raw, lines, i)
			if !ok {
				return nil, fail(i, ErrSyntax, "%s: unterminated or malformed multi-line value", key)
			}
			e.value = v
			i = last
		} else {
			v, list, isList, ok := parseValue(raw)
			if !ok {
				return nil, fail(i, ErrSyntax, "%s: malformed value %q (check quotes and commas)", key, raw)
			}
			e.value, e.list, e.isList = v, list, isList
		}
		if cur.has(key) {
			return nil, fail(i, ErrDuplicate, "duplicate key %q in %s", key, sectionLabel(cur))
		}
		cur.entries = append(cur.entries, e)
		cur.byKey[key] = e
	}
	return root, nil
}

// sectionLabel names a section the way it is written in the file.
func sectionLabel(s *coSection) string {
	if s.depth == 0 {
		return "the top level"
	}
	return strings.Repeat("[", s.depth) + s.name + strings.Repeat("]", s.depth)
}

// parseSectionLine recognises a section line and returns the number of
// opening and closing brackets and the (unquoted) name.
func parseSectionLine(line string) (open, closeN int, name string, ok bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '[' {
		return 0, 0, "", false
	}
	// starts[k] is where the name begins if k+1 brackets open the line.
	var starts []int
	for i < len(line) && line[i] == '[' {
		i = skipSpace(line, i+1)
		starts = append(starts, i)
	}
	// Prefer the most brackets; with fewer, the name starts with '['.
	tails := closeTails(line)
	for k := len(starts); k >= 1; k-- {
		if name, n, ok := sectionName(line, starts[k-1], tails); ok {
			return k, n, name, true
		}
	}
	return 0, 0, "", false
}

// sectionName reads the shortest name at start that the closing brackets
// and an optional comment can follow. It returns the unquoted name and the
// number of closing brackets.
func sectionName(line string, start int, tails []int) (string, int, bool) {
	if start >= len(line) {
		return "", 0, false
	}
	c := line[start]
	if c == '"' || c == '\'' {
		// A quoted name needs one non-blank character between the quotes;
		// that character may itself be a quote.
		nonBlank := false
		for e := start + 1; e < len(line); {
			r, n := utf8.DecodeRuneInString(line[e:])
			if line[e] == c && nonBlank && tails[e+1] > 0 {
				return line[start+1 : e], tails[e+1], true
			}
			if !pySpace(r) {
				nonBlank = true
			}
			e += n
		}
		return "", 0, false
	}
	if r, _ := utf8.DecodeRuneInString(line[start:]); pySpace(r) {
		return "", 0, false
	}
	if e := nextTail(tails, nextRune(line, start)); e >= 0 {
		return line[start:e], tails[e], true
	}
	return "", 0, false
}

// nextTail returns the first index at or after p where tails is set, or -1.
// closeTails stores that index in tails[len(line)+1:].
func nextTail(tails []int, p int) int {
	return tails[len(tails)/2+p]
}

// closeTails returns, for every index p of line, the number of ']' if
// line[p:] is one or more ']' (blanks allowed before each), blanks and an
// optional comment up to the end of the line, and 0 otherwise.
//
// The second half of the slice holds, for every index p, the first index
// at or after p with a nonzero count, or -1 (see nextTail).
func closeTails(line string) []int {
	all := make([]int, 2*(len(line)+1))
	tails, next := all[:len(line)+1], all[len(line)+1:]
	// stop is the index of the first character at or after p that is
	// neither blank nor ']'; brackets counts the ']' before it.
	stop, brackets := len(line), 0
	for p := len(line); p > 0; {
		r, n := utf8.DecodeLastRuneInString(line[:p])
		p -= n
		switch {
		case r == ']':
			brackets++
		case pySpace(r):
		default:
			stop, brackets = p, 0
		}
		if brackets > 0 && (stop == len(line) || line[stop] == '#') {
			tails[p] = brackets
		}
	}
	first := -1
	for p := len(line); p >= 0; p-- {
		if tails[p] > 0 {
			first = p
		}
		next[p] = first
	}
	return all
}

// parseKeywordLine splits key = value. The raw value keeps its trailing
// blanks and comment.
func parseKeywordLine(line string) (key, raw string, ok bool) {
	ind := skipSpace(line, 0)
	if key, raw, ok := keyAt(line, ind); ok {
		return key, raw, true
	}
	// The reference's pattern may give one blank of the indentation to an
	// unquoted key that then starts with a blank.
	if ind > 0 {
		_, n := utf8.DecodeLastRuneInString(line[:ind])
		return keyAt(line, ind-n)
	}
	return "", "", false
}

func keyAt(line string, s int) (key, raw string, ok bool) {
	if s >= len(line) {
		return "", "", false
	}
	valueAfter := func(eq int) string { return line[skipSpace(line, eq+1):] }
	switch c := line[s]; c {
	case '"', '\'':
		for e := s + 1; e < len(line); e++ {
			if line[e] != c {
				continue
			}
			if k := skipSpace(line, e+1); k < len(line) && line[k] == '=' {
				return line[s+1 : e], valueAfter(k), true
			}
		}
		return "", "", false
	case '=':
		return "", "", false
	}
	first := nextRune(line, s)
	eq := strings.IndexByte(line[first:], '=')
	if eq < 0 {
		return "", "", false
	}
	eq += first
	return line[s:spaceBefore(line, eq, first)], valueAfter(eq), true
}

// multiline reads a triple-quoted value starting on line i. It returns the
// value and the index of its last line.
func multiline(raw string, lines []string, i int) (string, int, bool) {
	q := raw[:3]
	rest := raw[3:]
	// Closed on the same line: the shortest content after which only blanks
	// and a comment follow.
	for off := 0; ; {
		j := strings.Index(rest[off:], q)
		if j < 0 {
			break
		}
		j += off
		if tailIsComment(rest, j+3) {
			return rest[:j], i, true
		}
		off = j + 1
	}
	if strings.Contains(rest, q) {
		return "", i, false
	}
	var b strings.Builder
	b.WriteString(rest)
	for k := i + 1; k < len(lines); k++ {
		b.WriteByte('\n')
		l := lines[k]
		if !strings.Contains(l, q) {
			b.WriteString(l)
			continue
		}
		for off := 0; ; {
			j := strings.Index(l[off:], q)
			if j < 0 {
				return "", i, false
			}
			j += off
			if tailIsComment(l, j+3) {
				b.WriteString(l[:j])
				return b.String(), k, true
			}
			off = j + 1
		}
	}
	return "", i, false
}

// tailIsComment reports whether s[p:] is blanks and an optional comment.
func tailIsComment(s string, p int) bool {
	k := skipSpace(s, p)
	return k == len(s) || s[k] == '#'
}

// parseValue reads a single-line value: a string, or a list when it
// contains unquoted commas.
func parseValue(v string) (single string, list []string, isList bool, ok bool) {
	m := newValueMatcher(v)
	if m.matchValue() {
		if m.itemsEnd == 0 {
			if !m.lastSet {
				return "", nil, false, false
			}
			return unquote(m.last), nil, false, true
		}
		items, ok := splitItems(v[:m.itemsEnd])
		if !ok {
			return "", nil, false, false
		}
		if m.lastSet && m.last != "" {
			items = append(items, unquote(m.last))
		}
		return "", items, true, true
	}
	// A single comma is the empty list.
	if strings.HasPrefix(v, ",") && tailIsComment(v, 1) {
		return "", []string{}, true, true
	}
	return "", nil, false, false
}

// valueMatcher finds how the reference splits a value into a run of
// "item," prefixes and a last item, trying alternatives in the same order
// as its pattern does.
type valueMatcher struct {
	s        string
	itemsEnd int    // end of the "item, item, " prefix
	last     string // the last item, still quoted
	lastSet  bool   // whether there is a last item (possibly empty)
	failed   map[int]bool

	// For every index p: the first non-blank, ',' and '#' at or after p
	// (len(s) if none). They keep the search linear in most cases; without
	// them long runs of blanks take quadratic time.
	nonBlank, comma, hash []int
}

func newValueMatcher(s string) *valueMatcher {
	m := &valueMatcher{s: s, failed: map[int]bool{},
		nonBlank: make([]int, len(s)+1), comma: make([]int, len(s)+1), hash: make([]int, len(s)+1)}
	nb, c, h := len(s), len(s), len(s)
	m.nonBlank[len(s)], m.comma[len(s)], m.hash[len(s)] = nb, c, h
	for p := len(s); p > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:p])
		for q := p - n; q < p; q++ {
			if !pySpace(r) {
				nb = p - n
			}
			switch r {
			case ',':
				c = p - n
			case '#':
				h = p - n
			}
			m.nonBlank[q], m.comma[q], m.hash[q] = nb, c, h
		}
		p -= n
	}
	return m
}

// tailOK reports whether s[p:] is blanks and an optional comment.
func (m *valueMatcher) tailOK(p int) bool {
	k := m.nonBlank[p]
	return k == len(m.s) || m.s[k] == '#'
}

func (m *valueMatcher) matchValue() bool {
	return m.items(0)
}

// items matches zero or more "item ," groups at pos, as many as possible
// first, then the last item and the end of the value.
//
// A failure at pos is final and is remembered; without that, some inputs
// would take exponential time.
func (m *valueMatcher) items(pos int) bool {
	if m.failed[pos] {
		return false
	}
	if m.item(pos, func(end int) bool {
		// blanks, a comma, then blanks (which may be given back).
		j := m.nonBlank[end]
		if j >= len(m.s) || m.s[j] != ',' {
			return false
		}
		j++
		for e := m.nonBlank[j]; ; {
			if m.items(e) {
				return true
			}
			if e == j {
				return false
			}
			_, n := utf8.DecodeLastRuneInString(m.s[:e])
			e -= n
		}
	}) {
		return true
	}
	m.itemsEnd = pos
	if m.lastItem(pos) {
		return true
	}
	m.failed[pos] = true
	return false
}

// item matches one list item that is followed by a comma: a quoted string
// (shortest first), or unquoted text without commas or #.
func (m *valueMatcher) item(pos int, k func(int) bool) bool {
	s := m.s
	if pos >= len(s) {
		return false
	}
	switch c := s[pos]; c {
	case '"', '\'':
		for e := pos + 1; e < len(s); e++ {
			if s[e] != c {
				continue
			}
			if j := m.nonBlank[e+1]; j < len(s) && s[j] == ',' && k(e+1) {
				return true
			}
		}
		return false
	case ',', '#':
		return false
	}
	// Unquoted: every end before the blanks that precede the first comma
	// leads to the same continuation, so only the shortest is tried.
	first := nextRune(s, pos)
	c := m.comma[first]
	if c == len(s) || m.hash[first] < c {
		return false
	}
	return k(spaceBefore(s, c, first))
}

// lastItem matches the optional last item at pos and then the end of the
// value (blanks and an optional comment).
func (m *valueMatcher) lastItem(pos int) bool {
	s := m.s
	accept := func(end int, set bool) bool {
		if !m.tailOK(end) {
			return false
		}
		m.last, m.lastSet = s[pos:end], set
		return true
	}
	if pos < len(s) {
		switch c := s[pos]; c {
		case '"', '\'':
			for e := pos + 1; e < len(s); e++ {
				if s[e] == c && accept(e+1, true) {
					return true
				}
			}
		case ',', '#':
		default:
			if r, _ := utf8.DecodeRuneInString(s[pos:]); !pySpace(r) {
				// Unquoted: may hold # (which then starts the comment), but
				// not commas. The shortest end is before the blanks that
				// precede the first # (or the end of the value).
				first := nextRune(s, pos)
				e := spaceBefore(s, m.hash[first], first)
				if m.comma[first] >= e && accept(e, true) {
					return true
				}
			}
		}
	}
	// An empty last item, except straight after a comma; then no last item.
	if pos == 0 || s[pos-1] != ',' {
		if accept(pos, true) {
			return true
		}
	}
	return accept(pos, false)
}

// splitItems splits the "item, item, " prefix of a list value into its
// items the way the reference does: it scans for "item ," repeatedly, where
// an item is a quoted string or any text up to the next comma.
func splitItems(s string) ([]string, bool) {
	var out []string
	pos := 0
	for pos < len(s) {
		item, end, ok := nextItem(s, pos)
		if !ok {
			pos = nextRune(s, pos)
			continue
		}
		if item == "" {
			return nil, false
		}
		out = append(out, unquote(item))
		pos = end
	}
	return out, true
}

// nextItem matches one "item ," at pos and returns the item and the end of
// the match (after the comma and blanks).
func nextItem(s string, pos int) (string, int, bool) {
	after := func(e int) (int, bool) {
		j := skipSpace(s, e)
		if j < len(s) && s[j] == ',' {
			return skipSpace(s, j+1), true
		}
		return 0, false
	}
	if c := s[pos]; c == '"' || c == '\'' {
		for e := pos + 1; e < len(s); e++ {
			if s[e] == c {
				if end, ok := after(e + 1); ok {
					return s[pos : e+1], end, true
				}
			}
		}
	}
	// Unquoted: an optional first character that is not a quote, comma or
	// #, then the shortest text before blanks and a comma.
	firsts := []int{pos}
	if c := s[pos]; c != '"' && c != '\'' && c != ',' && c != '#' {
		firsts = []int{nextRune(s, pos), pos}
	}
	for _, f := range firsts {
		c := strings.IndexByte(s[f:], ',')
		if c < 0 {
			continue
		}
		c += f
		end, _ := after(c)
		return s[pos:spaceBefore(s, c, f)], end, true
	}
	return "", 0, false
}

// unquote removes one pair of matching quotes around s.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == s[len(s)-1] && (s[0] == '"' || s[0] == '\'') {
		return s[1 : len(s)-1]
	}
	if s == `"` || s == `'` {
		return ""
	}
	if s == "" {
		return ""
	}
	return s
}
