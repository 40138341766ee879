package pickle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/mehr-net/mehr/rns/msgpack"
)

// MaxDepth is the deepest nesting of lists, tuples and dicts that Decode
// returns and Encode writes.
const MaxDepth = 256

// HighestProtocol is the highest pickle protocol Decode accepts in a PROTO
// opcode (the one Python 3.8 and later know).
const HighestProtocol = 5

// Sentinel errors. Functions wrap them with the offset or type involved;
// test with errors.Is.
var (
	// ErrTruncated reports input that ends before STOP, or inside an
	// opcode's argument, including a declared length longer than the rest
	// of the input.
	ErrTruncated = errors.New("pickle: truncated input")
	// ErrUnsupported reports an opcode, a global or a protocol that
	// Decode does not handle, an integer beyond 64 bits, or a Go value
	// that Encode cannot write.
	ErrUnsupported = errors.New("pickle: unsupported content")
	// ErrMalformed reports opcodes that Python would also refuse: a stack
	// or mark underflow, an opcode applied to the wrong kind of object, a
	// missing memo entry, a negative length.
	ErrMalformed = errors.New("pickle: malformed input")
	// ErrTooDeep reports nesting beyond MaxDepth, including a list or dict
	// that contains itself.
	ErrTooDeep = errors.New("pickle: nesting too deep")
	// ErrTooLarge reports input whose memo references would expand to a
	// value out of proportion to its size.
	ErrTooLarge = errors.New("pickle: value too large for its input")
	// ErrUnhashableKey reports a list or dict (or a tuple holding one)
	// used as a dict key, which Python refuses too.
	ErrUnhashableKey = errors.New("pickle: unhashable dict key")
	// ErrInvalidUTF8 reports a str that is not valid UTF-8, when decoding
	// or encoding.
	ErrInvalidUTF8 = errors.New("pickle: str is not valid UTF-8")
)

// Tuple is a Python tuple. Decode returns tuples as Tuple, so that Encode
// writes them back as tuples; everything else treats it as a list.
type Tuple []any

// Opcodes (Lib/pickle.py).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opNone           = 'N'
	opReduce         = 'R'
	opBinString      = 'T'
	opShortBinString = 'U'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opProto          = 0x80
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
)

// list and dict are the mutable containers while decoding: the memo holds
// pointers to them, so opcodes that fill a container after it was
// memoized change every reference, as in Python.
type list struct{ items []any }

type dict struct {
	m   msgpack.Map
	idx map[string]int // hash key -> index in m
}

// global is a whitelisted callable waiting for its REDUCE.
type global int

const (
	globalCodecsEncode global = iota + 1
	globalBytes
	globalByteArray
)

// decoder holds the state of one Decode call.
type decoder struct {
	in     []byte
	pos    int
	stack  []any
	marks  []int
	memo   map[uint64]any
	budget int // node visits left for resolving and hashing
	nan    int // counts NaN keys, each of which is distinct
}

// Decode returns the value of the pickle in b, as described in the package
// documentation. Bytes after the STOP opcode are ignored, as Python does.
func Decode(b []byte) (any, error) {
	d := &decoder{in: b, budget: 16*len(b) + 1024}
	v, err := d.run()
	if err != nil {
		return nil, err
	}
	return d.resolve(v, 0)
}

func (d *decoder) errf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", sentinel, fmt.Sprintf(format, args...), d.pos)
}

// take returns the next n bytes of input.
func (d *decoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.in)-d.pos) {
		return nil, d.errf(ErrTruncated, "%d bytes wanted, %d left", n, len(d.in)-d.pos)
	}
	b := d.in[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

func (d *decoder) u8() (uint64, error) {
	b, err := d.take(1)
	if err != nil {
		return 0, err
	}
	return uint64(b[0]), nil
}

func (d *decoder) u16() (uint64, error) {
	b, err := d.take(2)
	if err != nil {
		return 0, err
	}
	return uint64(binary.LittleEndian.Uint16(b)), nil
}

func (d *decoder) u32() (uint64, error) {
	b, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return uint64(binary.LittleEndian.Uint32(b)), nil
}

func (d *decoder) u64() (uint64, error) {
	b, err := d.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// line returns the input up to the next newline, without it.
func (d *decoder) line() ([]byte, error) {
	for i := d.pos; i < len(d.in); i++ {
		if d.in[i] == '\n' {
			b := d.in[d.pos:i]
			d.pos = i + 1
			return b, nil
		}
	}
	return nil, d.errf(ErrTruncated, "no newline")
}

// floor is the lowest stack index the current opcode may touch: opcodes
// after a MARK see only what was pushed since, as in Python.
func (d *decoder) floor() int {
	if len(d.marks) == 0 {
		return 0
	}
	return d.marks[len(d.marks)-1]
}

func (d *decoder) push(v any) { d.stack = append(d.stack, v) }

func (d *decoder) pop() (any, error) {
	if len(d.stack) <= d.floor() {
		return nil, d.errf(ErrMalformed, "stack underflow")
	}
	v := d.stack[len(d.stack)-1]
	d.stack[len(d.stack)-1] = nil
	d.stack = d.stack[:len(d.stack)-1]
	return v, nil
}

func (d *decoder) top() (any, error) {
	if len(d.stack) <= d.floor() {
		return nil, d.errf(ErrMalformed, "stack underflow")
	}
	return d.stack[len(d.stack)-1], nil
}

// popMark removes and returns the items pushed since the last MARK. The
// returned slice is a copy.
func (d *decoder) popMark() ([]any, error) {
	if len(d.marks) == 0 {
		return nil, d.errf(ErrMalformed, "no MARK")
	}
	m := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := make([]any, len(d.stack)-m)
	copy(items, d.stack[m:])
	clear(d.stack[m:])
	d.stack = d.stack[:m]
	return items, nil
}

func (d *decoder) memoPut(i uint64) error {
	v, err := d.top()
	if err != nil {
		return err
	}
	if d.memo == nil {
		d.memo = map[uint64]any{}
	}
	d.memo[i] = v
	return nil
}

func (d *decoder) memoGet(i uint64) error {
	v, ok := d.memo[i]
	if !ok {
		return d.errf(ErrMalformed, "memo entry %d missing", i)
	}
	d.push(v)
	return nil
}

// run executes opcodes up to STOP and returns the unresolved result.
func (d *decoder) run() (any, error) {
	for {
		if d.pos >= len(d.in) {
			return nil, d.errf(ErrTruncated, "no STOP opcode")
		}
		op := d.in[d.pos]
		d.pos++
		if op == opStop {
			return d.pop()
		}
		if err := d.step(op); err != nil {
			return nil, err
		}
	}
}

// step executes one opcode other than STOP.
func (d *decoder) step(op byte) error {
	switch op {
	case opProto:
		v, err := d.u8()
		if err != nil {
			return err
		}
		if v > HighestProtocol {
			return d.errf(ErrUnsupported, "protocol %d", v)
		}
	case opFrame:
		n, err := d.u64()
		if err != nil {
			return err
		}
		if n > uint64(len(d.in)-d.pos) {
			return d.errf(ErrTruncated, "frame of %d bytes", n)
		}
	case opMark:
		d.marks = append(d.marks, len(d.stack))
	case opPop:
		if len(d.stack) > d.floor() {
			_, err := d.pop()
			return err
		}
		_, err := d.popMark()
		return err
	case opPopMark:
		_, err := d.popMark()
		return err
	case opDup:
		v, err := d.top()
		if err != nil {
			return err
		}
		d.push(v)

	case opNone:
		d.push(nil)
	case opNewTrue:
		d.push(true)
	case opNewFalse:
		d.push(false)
	case opBinInt1:
		v, err := d.u8()
		if err != nil {
			return err
		}
		d.push(int64(v))
	case opBinInt2:
		v, err := d.u16()
		if err != nil {
			return err
		}
		d.push(int64(v))
	case opBinInt:
		v, err := d.u32()
		if err != nil {
			return err
		}
		d.push(int64(int32(uint32(v))))
	case opLong1, opLong4:
		var n uint64
		var err error
		if op == opLong1 {
			n, err = d.u8()
		} else {
			n, err = d.u32()
			if err == nil && int32(uint32(n)) < 0 {
				return d.errf(ErrMalformed, "negative LONG4 length")
			}
		}
		if err != nil {
			return err
		}
		b, err := d.take(n)
		if err != nil {
			return err
		}
		v, err := decodeLong(b)
		if err != nil {
			return d.errf(err, "LONG of %d bytes", n)
		}
		d.push(v)
	case opBinFloat:
		b, err := d.take(8)
		if err != nil {
			return err
		}
		d.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	case opShortBinUni, opBinUnicode, opBinUnicode8:
		n, err := d.length(op)
		if err != nil {
			return err
		}
		b, err := d.take(n)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return d.errf(ErrInvalidUTF8, "str")
		}
		d.push(string(b))
	case opShortBinString, opBinString:
		n, err := d.length(op)
		if err != nil {
			return err
		}
		b, err := d.take(n)
		if err != nil {
			return err
		}
		for _, c := range b { // Python 3 decodes these as ASCII
			if c >= 0x80 {
				return d.errf(ErrUnsupported, "non-ASCII Python 2 str")
			}
		}
		d.push(string(b))
	case opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
		n, err := d.length(op)
		if err != nil {
			return err
		}
		b, err := d.take(n)
		if err != nil {
			return err
		}
		d.push(append([]byte{}, b...))

	case opEmptyList:
		d.push(&list{})
	case opAppend:
		v, err := d.pop()
		if err != nil {
			return err
		}
		t, err := d.top()
		if err != nil {
			return err
		}
		l, ok := t.(*list)
		if !ok {
			return d.errf(ErrMalformed, "APPEND to %s", kind(t))
		}
		l.items = append(l.items, v)
	case opAppends:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		t, err := d.top()
		if err != nil {
			return err
		}
		l, ok := t.(*list)
		if !ok {
			return d.errf(ErrMalformed, "APPENDS to %s", kind(t))
		}
		l.items = append(l.items, items...)
	case opList:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		d.push(&list{items: items})

	case opEmptyTuple:
		d.push(Tuple{})
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(d.stack)-d.floor() < n {
			return d.errf(ErrMalformed, "stack underflow")
		}
		t := make(Tuple, n)
		copy(t, d.stack[len(d.stack)-n:])
		clear(d.stack[len(d.stack)-n:])
		d.stack = d.stack[:len(d.stack)-n]
		d.push(t)
	case opTuple:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		d.push(Tuple(items))

	case opEmptyDict:
		d.push(&dict{})
	case opDict:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		m := &dict{}
		if err := d.setItems(m, items); err != nil {
			return err
		}
		d.push(m)
	case opSetItem:
		v, err := d.pop()
		if err != nil {
			return err
		}
		k, err := d.pop()
		if err != nil {
			return err
		}
		return d.setItems(nil, []any{k, v})
	case opSetItems:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		return d.setItems(nil, items)

	case opBinPut:
		i, err := d.u8()
		if err != nil {
			return err
		}
		return d.memoPut(i)
	case opLongBinPut:
		i, err := d.u32()
		if err != nil {
			return err
		}
		return d.memoPut(i)
	case opMemoize:
		return d.memoPut(uint64(len(d.memo)))
	case opBinGet:
		i, err := d.u8()
		if err != nil {
			return err
		}
		return d.memoGet(i)
	case opLongBinGet:
		i, err := d.u32()
		if err != nil {
			return err
		}
		return d.memoGet(i)

	case opGlobal:
		module, err := d.line()
		if err != nil {
			return err
		}
		name, err := d.line()
		if err != nil {
			return err
		}
		g, err := d.findGlobal(string(module), string(name))
		if err != nil {
			return err
		}
		d.push(g)
	case opStackGlobal:
		name, err := d.pop()
		if err != nil {
			return err
		}
		module, err := d.pop()
		if err != nil {
			return err
		}
		ms, ok1 := module.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return d.errf(ErrMalformed, "STACK_GLOBAL needs two str")
		}
		g, err := d.findGlobal(ms, ns)
		if err != nil {
			return err
		}
		d.push(g)
	case opReduce:
		args, err := d.pop()
		if err != nil {
			return err
		}
		fn, err := d.pop()
		if err != nil {
			return err
		}
		v, err := d.reduce(fn, args)
		if err != nil {
			return err
		}
		d.push(v)

	default:
		return d.errf(ErrUnsupported, "opcode 0x%02x", op)
	}
	return nil
}

// length reads the length argument of a str or bytes opcode.
func (d *decoder) length(op byte) (uint64, error) {
	switch op {
	case opShortBinUni, opShortBinString, opShortBinBytes:
		return d.u8()
	case opBinUnicode, opBinBytes:
		return d.u32()
	case opBinString:
		n, err := d.u32()
		if err == nil && int32(uint32(n)) < 0 {
			return 0, d.errf(ErrMalformed, "negative BINSTRING length")
		}
		return n, err
	default: // the 8-byte forms
		return d.u64()
	}
}

// decodeLong turns a little-endian two's complement integer of any length
// (LONG1, LONG4) into an int64, or a uint64 above math.MaxInt64.
func decodeLong(b []byte) (any, error) {
	if len(b) == 0 {
		return int64(0), nil
	}
	neg := b[len(b)-1]&0x80 != 0
	// Drop sign-extension bytes, which Python never writes but accepts.
	for len(b) > 1 {
		last, prev := b[len(b)-1], b[len(b)-2]
		if (last == 0x00 && prev&0x80 == 0) || (last == 0xff && prev&0x80 != 0) {
			b = b[:len(b)-1]
			continue
		}
		break
	}
	switch {
	case len(b) <= 8:
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if neg && len(b) < 8 { // sign-extend
			u |= math.MaxUint64 << (8 * uint(len(b)))
		}
		return int64(u), nil
	case len(b) == 9 && !neg && b[8] == 0:
		return binary.LittleEndian.Uint64(b), nil
	}
	return nil, fmt.Errorf("%w: integer beyond 64 bits", ErrUnsupported)
}

// findGlobal admits the three callables Python's protocol-2 pickles use
// for bytes and bytearray, and nothing else.
func (d *decoder) findGlobal(module, name string) (global, error) {
	switch {
	case module == "_codecs" && name == "encode":
		return globalCodecsEncode, nil
	case (module == "builtins" || module == "__builtin__") && name == "bytes":
		return globalBytes, nil
	case (module == "builtins" || module == "__builtin__") && name == "bytearray":
		return globalByteArray, nil
	}
	return 0, d.errf(ErrUnsupported, "global %s.%s", strconv.Quote(module), strconv.Quote(name))
}

// reduce applies a whitelisted global to its arguments, accepting only the
// argument shapes that Python's pickler writes.
func (d *decoder) reduce(fn, args any) (any, error) {
	g, ok := fn.(global)
	if !ok {
		return nil, d.errf(ErrUnsupported, "REDUCE on %s", kind(fn))
	}
	a, ok := args.(Tuple)
	if !ok {
		return nil, d.errf(ErrMalformed, "REDUCE arguments are %s", kind(args))
	}
	switch {
	case len(a) == 0 && g != globalCodecsEncode:
		return []byte{}, nil
	case len(a) == 1 && g != globalCodecsEncode:
		if b, ok := a[0].([]byte); ok {
			return append([]byte{}, b...), nil
		}
	case len(a) == 2:
		s, ok1 := a[0].(string)
		enc, ok2 := a[1].(string)
		if ok1 && ok2 && (enc == "latin1" || enc == "latin-1") {
			b := make([]byte, 0, len(s))
			for _, r := range s {
				if r > 0xff {
					return nil, d.errf(ErrMalformed, "latin-1 cannot encode %U", r)
				}
				b = append(b, byte(r))
			}
			return b, nil
		}
	}
	return nil, d.errf(ErrUnsupported, "REDUCE arguments of this shape")
}

// setItems adds key/value pairs to m, or, if m is nil, to the dict on top
// of the stack.
func (d *decoder) setItems(m *dict, items []any) error {
	if m == nil {
		t, err := d.top()
		if err != nil {
			return err
		}
		var ok bool
		if m, ok = t.(*dict); !ok {
			return d.errf(ErrMalformed, "SETITEM on %s", kind(t))
		}
	}
	if len(items)%2 != 0 {
		return d.errf(ErrMalformed, "odd number of dict items")
	}
	for i := 0; i < len(items); i += 2 {
		k, err := d.hashKey(nil, items[i], 0)
		if err != nil {
			return err
		}
		if m.idx == nil {
			m.idx = map[string]int{}
		}
		if j, ok := m.idx[string(k)]; ok {
			m.m[j].Value = items[i+1] // Python keeps the first key object
			continue
		}
		m.idx[string(k)] = len(m.m)
		m.m = append(m.m, msgpack.KV{Key: items[i], Value: items[i+1]})
	}
	return nil
}

// hashKey appends to b a byte string that is equal for two keys exactly
// when Python considers them the same dict key, or fails for unhashable
// values.
func (d *decoder) hashKey(b []byte, v any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, d.errf(ErrTooDeep, "dict key")
	}
	if d.budget--; d.budget < 0 {
		return nil, d.errf(ErrTooLarge, "dict key")
	}
	switch v := v.(type) {
	case nil:
		return append(b, 'N'), nil
	case bool:
		if v {
			return append(b, "i1;"...), nil
		}
		return append(b, "i0;"...), nil
	case int64:
		return append(strconv.AppendInt(append(b, 'i'), v, 10), ';'), nil
	case uint64:
		return append(strconv.AppendUint(append(b, 'i'), v, 10), ';'), nil
	case float64:
		switch {
		case math.IsNaN(v): // a NaN equals nothing, not even another NaN
			d.nan++
			return append(strconv.AppendInt(append(b, "nan"...), int64(d.nan), 10), ';'), nil
		case v == math.Trunc(v) && v >= math.MinInt64 && v < math.MaxInt64:
			return d.hashKey(b, int64(v), depth)
		case v == math.Trunc(v) && v >= 0 && v < math.MaxUint64:
			return d.hashKey(b, uint64(v), depth)
		}
		return append(strconv.AppendUint(append(b, 'f'), math.Float64bits(v), 16), ';'), nil
	case string:
		d.budget -= len(v) / 16
		b = strconv.AppendInt(append(b, 's'), int64(len(v)), 10)
		return append(append(b, ':'), v...), nil
	case []byte:
		d.budget -= len(v) / 16
		b = strconv.AppendInt(append(b, 'b'), int64(len(v)), 10)
		return append(append(b, ':'), v...), nil
	case Tuple:
		b = append(b, '(')
		for _, e := range v {
			var err error
			if b, err = d.hashKey(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ')'), nil
	}
	return nil, d.errf(ErrUnhashableKey, "%s", kind(v))
}

// resolve turns the decoder's containers into the values Decode returns.
// Every visit costs budget, so that memo references cannot expand a small
// input into a huge value.
func (d *decoder) resolve(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
	}
	if d.budget--; d.budget < 0 {
		return nil, fmt.Errorf("%w: %d input bytes", ErrTooLarge, len(d.in))
	}
	switch v := v.(type) {
	case *list:
		out := make([]any, len(v.items))
		for i, e := range v.items {
			r, err := d.resolve(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case Tuple:
		out := make(Tuple, len(v))
		for i, e := range v {
			r, err := d.resolve(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case *dict:
		out := make(msgpack.Map, len(v.m))
		for i, kv := range v.m {
			k, err := d.resolve(kv.Key, depth+1)
			if err != nil {
				return nil, err
			}
			x, err := d.resolve(kv.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = msgpack.KV{Key: k, Value: x}
		}
		return out, nil
	case global:
		return nil, fmt.Errorf("%w: a callable as a value", ErrUnsupported)
	}
	return v, nil
}

// kind names a decoder value's Python type for error messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, uint64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *list:
		return "list"
	case Tuple:
		return "tuple"
	case *dict:
		return "dict"
	case global:
		return "callable"
	}
	return fmt.Sprintf("%T", v)
}
