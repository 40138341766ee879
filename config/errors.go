package config

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by Load, Decode, ImportReticulum and
// Validate is (or joins) an *Error that wraps one of these, so callers can
// branch with errors.Is.
var (
	// ErrSyntax: the file is not well-formed TOML or ConfigObj text.
	ErrSyntax = errors.New("syntax error")
	// ErrType: a value has the wrong type (a string where a number is
	// expected, a list where a single value is expected, ...).
	ErrType = errors.New("wrong type")
	// ErrValue: a value has the right type but is out of range or not
	// one of the allowed names.
	ErrValue = errors.New("invalid value")
	// ErrMissing: a required key is absent.
	ErrMissing = errors.New("missing key")
	// ErrDuplicate: a name or key is used twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrUnknownType: an interface has a type this package does not know.
	ErrUnknownType = errors.New("unknown interface type")
)

// Error is a configuration problem at a known place. Error() formats it as
// "file:line: key: message"; File, Line and Key are left out when unknown.
type Error struct {
	File string // file name as given by the caller; may be empty
	Line int    // 1-based line number; 0 if unknown
	Key  string // the key, e.g. "interfaces[1].listen_port" or "[[TCP Client]] target_port"
	Msg  string // what is wrong
	Err  error  // one of the sentinel errors above
}

func (e *Error) Error() string {
	return position(e.File, e.Line, e.Key) + e.Msg
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// Warning is a problem that does not stop the configuration from loading,
// such as an unknown key, or a value that the reference silently replaces.
type Warning struct {
	File string // file name as given by the caller; may be empty
	Line int    // 1-based line number; 0 if unknown
	Key  string // the key the warning is about
	Msg  string // what happened
}

// String formats the warning as "file:line: key: message".
func (w Warning) String() string {
	return position(w.File, w.Line, w.Key) + w.Msg
}

func position(file string, line int, key string) string {
	var b strings.Builder
	b.WriteString(file)
	if line > 0 {
		if file != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if key != "" {
		b.WriteString(key)
		b.WriteString(": ")
	}
	return b.String()
}
