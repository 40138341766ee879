// Package bridge speaks the line-delimited JSON protocol of the public
// Reticulum conformance suite (torlando-tech/reticulum-conformance): one
// request {"id", "command", "params"} per line in, one response {"id",
// "success", "result"} or {"id", "success": false, "error"} per line out,
// after a first line "READY".
//
// The package is only the protocol and the parameter plumbing; the
// commands live with the code they exercise (cmd/conformance-bridge wires
// them up) and must call mehr's real packages, never answer from tables.
package bridge

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
)

// Params are a request's parameters as decoded from JSON: numbers are
// float64 (or json.Number never; see Int), byte strings are hex.
type Params map[string]any

// Result is a command's answer, encoded as the response's "result".
type Result = map[string]any

// Handler runs one command.
type Handler func(p Params) (Result, error)

// Registry maps command names to handlers.
type Registry map[string]Handler

// Add copies every command of o into r; a name registered twice is a
// programming error and is reported.
func (r Registry) Add(o Registry) error {
	for k, v := range o {
		if _, dup := r[k]; dup {
			return fmt.Errorf("bridge: command %q registered twice", k)
		}
		r[k] = v
	}
	return nil
}

// Names returns the registered command names, sorted.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r))
	for k := range r {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type request struct {
	ID      any    `json:"id"`
	Command string `json:"command"`
	Params  Params `json:"params"`
}

type response struct {
	ID      any    `json:"id"`
	Success bool   `json:"success"`
	Result  Result `json:"result,omitempty"`
	Error   string `json:"error,omitempty"`
}

// MaxLine bounds one request line.
const MaxLine = 64 << 20

// Serve prints READY to w, then answers every request line read from r
// until r ends. Handlers run one at a time, in order; a handler that
// panics is answered with an error (the suite feeds deliberately broken
// input) and the loop goes on.
func Serve(r io.Reader, w io.Writer, cmds Registry) error {
	bw := bufio.NewWriter(w)
	var mu sync.Mutex
	write := func(resp response) error {
		mu.Lock()
		defer mu.Unlock()
		b, err := json.Marshal(resp)
		if err != nil {
			b, _ = json.Marshal(response{ID: resp.ID, Error: "bridge: encode result: " + err.Error()})
		}
		bw.Write(b)
		bw.WriteByte('\n')
		return bw.Flush()
	}
	if _, err := io.WriteString(bw, "READY\n"); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			if err := write(response{ID: "parse_error", Error: "JSON parse error: " + err.Error()}); err != nil {
				return err
			}
			continue
		}
		if err := write(Dispatch(cmds, req.ID, req.Command, req.Params)); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Dispatch runs one command and builds its response.
func Dispatch(cmds Registry, id any, command string, p Params) (resp response) {
	resp.ID = id
	h, ok := cmds[command]
	if !ok {
		resp.Error = "Unknown command: " + command
		return resp
	}
	defer func() {
		if v := recover(); v != nil {
			resp.Success, resp.Result = false, nil
			resp.Error = fmt.Sprintf("panic in %s: %v", command, v)
		}
	}()
	if p == nil {
		p = Params{}
	}
	res, err := h(p)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	if res == nil {
		res = Result{}
	}
	resp.Success, resp.Result = true, res
	return resp
}

// ErrParam reports a missing or malformed parameter.
var ErrParam = errors.New("bridge: bad parameter")

func (p Params) missing(k string) error { return fmt.Errorf("%w: %q missing", ErrParam, k) }

// Has reports whether k is present and not null.
func (p Params) Has(k string) bool { v, ok := p[k]; return ok && v != nil }

// Hex decodes the hex string parameter k.
func (p Params) Hex(k string) ([]byte, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return nil, p.missing(k)
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: %q is %T, want a hex string", ErrParam, k, v)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrParam, k, err)
	}
	return b, nil
}

// OptHex is Hex for an optional parameter: nil when absent, null or "".
func (p Params) OptHex(k string) ([]byte, error) {
	if s, ok := p[k].(string); !p.Has(k) || ok && s == "" {
		return nil, nil
	}
	return p.Hex(k)
}

// String returns the string parameter k.
func (p Params) String(k string) (string, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return "", p.missing(k)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %q is %T, want a string", ErrParam, k, v)
	}
	return s, nil
}

// StringOr returns the string parameter k, or def when absent.
func (p Params) StringOr(k, def string) string {
	if s, err := p.String(k); err == nil {
		return s
	}
	return def
}

// Float returns the numeric parameter k (numbers in strings are accepted).
func (p Params) Float(k string) (float64, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return 0, p.missing(k)
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: %v", ErrParam, k, err)
		}
		return f, nil
	}
	return 0, fmt.Errorf("%w: %q is %T, want a number", ErrParam, k, v)
}

// Int returns the integer parameter k.
func (p Params) Int(k string) (int, error) {
	f, err := p.Float(k)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%w: %q = %v is not an integer", ErrParam, k, f)
	}
	return int(f), nil
}

// IntOr returns the integer parameter k, or def when absent.
func (p Params) IntOr(k string, def int) (int, error) {
	if !p.Has(k) {
		return def, nil
	}
	return p.Int(k)
}

// FloatOr returns the numeric parameter k, or def when absent.
func (p Params) FloatOr(k string, def float64) (float64, error) {
	if !p.Has(k) {
		return def, nil
	}
	return p.Float(k)
}

// Bool returns the boolean parameter k, or def when absent.
func (p Params) Bool(k string, def bool) (bool, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case float64:
		return x != 0, nil
	case string:
		b, err := strconv.ParseBool(x)
		if err != nil {
			return false, fmt.Errorf("%w: %q: %v", ErrParam, k, err)
		}
		return b, nil
	}
	return false, fmt.Errorf("%w: %q is %T, want a boolean", ErrParam, k, v)
}

// List returns the array parameter k.
func (p Params) List(k string) ([]any, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return nil, p.missing(k)
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %q is %T, want an array", ErrParam, k, v)
	}
	return l, nil
}

// Map returns the object parameter k.
func (p Params) Map(k string) (Params, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return nil, p.missing(k)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %q is %T, want an object", ErrParam, k, v)
	}
	return Params(m), nil
}

// Hex encodes b for a result.
func Hex(b []byte) string { return hex.EncodeToString(b) }
