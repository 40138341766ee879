package channel_test

import (
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/msgpack"
)

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func pack(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// bz2 streams made with Python's bz2.compress (libbz2, level 9).
const (
	bz2Empty = "425a683917724538509000000000"
	bz2X     = "425a6839314159265359774bb01400000000800040200021184682ee48a70a120ee9760280"
	// 20000 bytes of 'A': more than MaxChunkLen once decompressed.
	bz2Big = "425a68393141592653590caba2100000270500a00000100008200030cc09aa69a15b50578bb9229c28480655d10800"
)

func TestEnvelopeMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", channel.ErrEnvelopeShort},
		{"header cut", "0101000000", channel.ErrEnvelopeShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e channel.Envelope
			if err := e.Decode(unhex(t, tc.in)); !errors.Is(err, tc.want) {
				t.Errorf("Decode(%s) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
	// The length field is ignored, as the reference ignores it: the data
	// is everything after the header.
	for _, tc := range []struct {
		name, in, data string
		length         int
	}{
		{"length beyond data", "01010000000261", "61", 2},
		{"length short of data", "010100000001616263", "616263", 1},
		{"length with no data", "010100000001", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e channel.Envelope
			b := unhex(t, tc.in)
			if err := e.Decode(b); err != nil || e.MsgType != 0x0101 || hex.EncodeToString(e.Data) != tc.data {
				t.Errorf("Decode(%s) = %+v, %v; want data %s", tc.in, e, err, tc.data)
			}
			if n := channel.Length(b); n != tc.length {
				t.Errorf("Length(%s) = %d, want %d", tc.in, n, tc.length)
			}
		})
	}
	e := channel.Envelope{Data: make([]byte, channel.MaxEnvelopeData+1)}
	if _, err := e.Append(nil); !errors.Is(err, channel.ErrEnvelopeTooLong) {
		t.Errorf("Append(65536 bytes) = %v, want ErrEnvelopeTooLong", err)
	}
	e.Data = e.Data[:channel.MaxEnvelopeData]
	b, err := e.Append(nil)
	if err != nil || len(b) != channel.EnvelopeHeaderLen+channel.MaxEnvelopeData {
		t.Fatalf("Append(65535 bytes) = %d bytes, %v", len(b), err)
	}
	var d channel.Envelope
	if err := d.Decode(b); err != nil || len(d.Data) != channel.MaxEnvelopeData {
		t.Errorf("Decode(65535 bytes) = %d bytes, %v", len(d.Data), err)
	}
}

func TestStreamMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", channel.ErrStreamShort},
		{"one byte", "40", channel.ErrStreamShort},
		{"compressed empty", "4001", channel.ErrStreamCompressed},
		{"compressed garbage", "4001656e64", channel.ErrStreamCompressed},
		{"compressed truncated", "4001" + bz2X[:len(bz2X)-8], channel.ErrStreamCompressed},
		{"compressed trailing garbage", "4001" + bz2X + "00", channel.ErrStreamCompressed},
		{"compressed corrupt", "4001" + bz2X[:30] + "ff" + bz2X[32:], channel.ErrStreamCompressed},
		{"compressed too large", "4001" + bz2Big, channel.ErrStreamTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := channel.StreamMessage{StreamID: 99}
			err := m.Decode(unhex(t, tc.in))
			if !errors.Is(err, tc.want) {
				t.Errorf("Decode(%s) = %v, want %v", tc.in, err, tc.want)
			}
			if m.StreamID != 99 {
				t.Errorf("Decode changed the message on error: %+v", m)
			}
		})
	}
	for _, tc := range []struct {
		name string
		in   string
		want channel.StreamMessage
	}{
		{"compressed nothing", "c001" + bz2Empty, channel.StreamMessage{StreamID: 1, EOF: true, Compressed: true, Data: []byte{}}},
		{"compressed x", "7fff" + bz2X, channel.StreamMessage{StreamID: channel.StreamIDMax, Compressed: true, Data: []byte("x")}},
		// Two concatenated streams decode to both (the reference
		// would deliver only the first).
		{"compressed twice", "4002" + bz2X + bz2X, channel.StreamMessage{StreamID: 2, Compressed: true, Data: []byte("xx")}},
		{"plain", "8003ff", channel.StreamMessage{StreamID: 3, EOF: true, Data: []byte{0xff}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m channel.StreamMessage
			if err := m.Decode(unhex(t, tc.in)); err != nil || !reflect.DeepEqual(m, tc.want) {
				t.Errorf("Decode(%s) = %+v, %v; want %+v", tc.in, m, err, tc.want)
			}
		})
	}
	m := channel.StreamMessage{StreamID: channel.StreamIDMax + 1}
	if _, err := m.Append(nil); !errors.Is(err, channel.ErrStreamID) {
		t.Errorf("Append(stream %d) = %v, want ErrStreamID", m.StreamID, err)
	}
}

func TestRequestMalformed(t *testing.T) {
	hash := make([]byte, 16)
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, channel.ErrRequestFormat},
		{"invalid msgpack", []byte{0xc1}, channel.ErrRequestFormat},
		{"trailing data", append(pack(t, []any{1.0, hash, nil}), 0), channel.ErrRequestFormat},
		{"not an array", pack(t, 5), channel.ErrRequestFormat},
		{"two elements", pack(t, []any{1.0, hash}), channel.ErrRequestFormat},
		{"four elements", pack(t, []any{1.0, hash, nil, nil}), channel.ErrRequestFormat},
		{"string timestamp", pack(t, []any{"now", hash, nil}), channel.ErrRequestTimestamp},
		{"nil timestamp", pack(t, []any{nil, hash, nil}), channel.ErrRequestTimestamp},
		{"short path hash", pack(t, []any{1.0, hash[:15], nil}), channel.ErrRequestHash},
		{"long path hash", pack(t, []any{1.0, append(hash, 0), nil}), channel.ErrRequestHash},
		{"str path hash", pack(t, []any{1.0, string(hash), nil}), channel.ErrRequestHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := channel.UnpackRequest(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("UnpackRequest(%x) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, channel.ErrRequestFormat},
		{"not an array", pack(t, hash), channel.ErrRequestFormat},
		{"one element", pack(t, []any{hash}), channel.ErrRequestFormat},
		{"three elements", pack(t, []any{hash, nil, nil}), channel.ErrRequestFormat},
		{"nil id", pack(t, []any{nil, nil}), channel.ErrRequestHash},
		{"short id", pack(t, []any{hash[:8], nil}), channel.ErrRequestHash},
	} {
		t.Run("response "+tc.name, func(t *testing.T) {
			if _, err := channel.UnpackResponse(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("UnpackResponse(%x) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}

	// An integer timestamp is accepted as the number it is.
	r, err := channel.UnpackRequest(pack(t, []any{int64(1700000000), hash, "x"}))
	if err != nil || r.Timestamp != 1700000000 || r.Data != "x" {
		t.Errorf("UnpackRequest(int timestamp) = %+v, %v", r, err)
	}
	if _, err := channel.PacketRequestID([]byte{1, 2}); err == nil {
		t.Error("PacketRequestID(2 bytes) succeeded")
	}
}

func TestWindow(t *testing.T) {
	if w := channel.NewWindow(channel.RTTSlow + time.Millisecond); w != (channel.Window{Size: 1, Max: 1, Min: 1, Flexibility: 1}) {
		t.Errorf("NewWindow(very slow) = %+v", w)
	}
	w := channel.NewWindow(channel.RTTSlow)
	if w.Size != channel.WindowInitial || w.Max != channel.WindowMaxSlow || w.Min != channel.WindowMin ||
		w.Flexibility != channel.WindowFlexibility {
		t.Fatalf("NewWindow(slow) = %+v", w)
	}
	if !w.CanSend(1) || w.CanSend(2) {
		t.Errorf("window %d: CanSend(1) = %v, CanSend(2) = %v", w.Size, w.CanSend(1), w.CanSend(2))
	}

	// Deliveries at a medium RTT grow the window to the slow maximum, and
	// after FastRateThreshold of them the limits rise to the medium class.
	med := 500 * time.Millisecond
	for range channel.FastRateThreshold - 1 {
		w.Delivered(med)
	}
	if w.Size != channel.WindowMaxSlow || w.Max != channel.WindowMaxSlow {
		t.Fatalf("after %d medium deliveries: %+v", channel.FastRateThreshold-1, w)
	}
	w.Delivered(med)
	if w.Max != channel.WindowMaxMedium || w.Min != channel.WindowMinLimitMedium {
		t.Fatalf("after %d medium deliveries: %+v", channel.FastRateThreshold, w)
	}
	// A slow delivery resets the rounds; fast ones then reach the fast class.
	w.Delivered(time.Second)
	for range channel.FastRateThreshold {
		w.Delivered(100 * time.Millisecond)
	}
	if w.Max != channel.WindowMaxFast || w.Min != channel.WindowMinLimitFast {
		t.Fatalf("after fast deliveries: %+v", w)
	}
	for range channel.WindowMax {
		w.Delivered(0)
	}
	if w.Size != channel.WindowMaxFast {
		t.Fatalf("window did not grow to %d: %+v", channel.WindowMaxFast, w)
	}

	// Timeouts shrink the window to its minimum, and its maximum down to
	// Min+Flexibility.
	for range 100 {
		w.TimedOut()
	}
	if w.Size != channel.WindowMinLimitFast || w.Max != channel.WindowMinLimitFast+channel.WindowFlexibility {
		t.Errorf("after timeouts: %+v", w)
	}
}

func TestSequence(t *testing.T) {
	for _, tc := range []struct {
		next, seq uint16
		want      bool
	}{
		{0, 0, true},
		{0, channel.WindowMax, true},
		{0, channel.WindowMax + 1, false},
		{10, 9, false},
		{0, 0xFFFF, false},
		{0xFFF0, 0xFFFF, true},
		{0xFFF0, 0, true},
		{0xFFF0, channel.WindowMax - 0x10, true},
		{0xFFF0, channel.WindowMax - 0x0F, false},
		{0xFFF0, 0xFFEF, false},
	} {
		if got := channel.InRxWindow(tc.next, tc.seq); got != tc.want {
			t.Errorf("InRxWindow(%#x, %#x) = %v, want %v", tc.next, tc.seq, got, tc.want)
		}
	}
	for _, tc := range []struct {
		tries       int
		rtt         time.Duration
		outstanding int
		want        time.Duration
	}{
		{1, 0, 0, 37500 * time.Microsecond},
		{2, 100 * time.Millisecond, 1, 937500 * time.Microsecond},
		{3, time.Second, 2, 19687500 * time.Microsecond},
	} {
		got := channel.PacketTimeout(tc.tries, tc.rtt, tc.outstanding)
		if d := got - tc.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("PacketTimeout(%d, %v, %d) = %v, want %v", tc.tries, tc.rtt, tc.outstanding, got, tc.want)
		}
	}
	for _, tc := range []struct{ link, want int }{{431, 425}, {3, 0}, {1 << 20, channel.MaxEnvelopeData}} {
		if got := channel.MDU(tc.link); got != tc.want {
			t.Errorf("MDU(%d) = %d, want %d", tc.link, got, tc.want)
		}
	}
}
