package framing_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/internal/testutil"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | byte(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | byte(c-'a'+10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b = append(b, v)
	}
	return b
}

// hdlcEvent is one result of HDLCDecoder.Decode: a frame or a drop.
type hdlcEvent struct {
	frame string
	err   error
	len   int // DroppedLen for drops
}

func hdlcEvents(d *framing.HDLCDecoder, chunks ...[]byte) []hdlcEvent {
	var evs []hdlcEvent
	for _, c := range chunks {
		for len(c) > 0 {
			n, frame, err := d.Decode(c)
			c = c[n:]
			switch {
			case err != nil:
				evs = append(evs, hdlcEvent{err: err, len: d.DroppedLen()})
			case frame != nil:
				evs = append(evs, hdlcEvent{frame: string(frame)})
			}
		}
	}
	return evs
}

func TestHDLCDecoderMalformed(t *testing.T) {
	tests := []struct {
		name     string
		min, max int
		chunks   []string
		want     []hdlcEvent
		stats    framing.Stats
	}{
		{
			name:   "garbage only",
			chunks: []string{"0102", "0304"},
			stats:  framing.Stats{Discarded: 4},
		},
		{
			name:   "garbage then frame",
			chunks: []string{"aa7d7e41427e"},
			want:   []hdlcEvent{{frame: "AB"}},
			stats:  framing.Stats{Frames: 1, Discarded: 2},
		},
		{
			name:   "empty frames are skipped silently",
			chunks: []string{"7e7e7e", "7e"},
		},
		{
			name:   "unterminated frame is kept",
			chunks: []string{"7e414243"},
		},
		{
			name:   "too short",
			min:    framing.TCPMinFrame,
			chunks: []string{"7e41427e"},
			want:   []hdlcEvent{{err: framing.ErrFrameTooShort, len: 2}},
			stats:  framing.Stats{TooShort: 1},
		},
		{
			name:   "too short counts decoded bytes",
			min:    3,
			chunks: []string{"7e7d5e7d5e7e"},
			want:   []hdlcEvent{{err: framing.ErrFrameTooShort, len: 2}},
			stats:  framing.Stats{TooShort: 1},
		},
		{
			name:   "too large, then recovers",
			max:    4,
			chunks: []string{"7e4142434445", "467e4142437e"},
			want:   []hdlcEvent{{err: framing.ErrFrameTooLarge, len: 6}, {frame: "ABC"}},
			stats:  framing.Stats{TooLarge: 1, Frames: 1},
		},
		{
			name:   "exactly max with escapes",
			max:    2,
			chunks: []string{"7e7d5e7d5d7e"},
			want:   []hdlcEvent{{frame: "\x7e\x7d"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "one over max through an escape",
			max:    2,
			chunks: []string{"7e417d5e7d5d7e"},
			want:   []hdlcEvent{{err: framing.ErrFrameTooLarge, len: 3}},
			stats:  framing.Stats{TooLarge: 1},
		},
		{
			name:   "escape before flag is kept literally",
			chunks: []string{"7e417d7e"},
			want:   []hdlcEvent{{frame: "A\x7d"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "escape before another byte is kept with it",
			chunks: []string{"7e7d417e"},
			want:   []hdlcEvent{{frame: "\x7dA"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "escape escape flag-mask",
			chunks: []string{"7e7d7d5e7e"},
			want:   []hdlcEvent{{frame: "\x7d\x7e"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "escape split across reads",
			chunks: []string{"7e7d", "5e7d", "5d7e"},
			want:   []hdlcEvent{{frame: "\x7e\x7d"}},
			stats:  framing.Stats{Frames: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := framing.HDLCDecoder{MinFrame: tt.min, MaxFrame: tt.max}
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, unhex(t, c))
			}
			got := hdlcEvents(&d, chunks...)
			if len(got) != len(tt.want) {
				t.Fatalf("events %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].frame != tt.want[i].frame || !errors.Is(got[i].err, tt.want[i].err) || got[i].len != tt.want[i].len {
					t.Errorf("event %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if s := d.Stats(); s != tt.stats {
				t.Errorf("stats %+v, want %+v", s, tt.stats)
			}
		})
	}
}

func TestHDLCDecoderReset(t *testing.T) {
	var d framing.HDLCDecoder
	got := hdlcEvents(&d, []byte("\x7eABC"))
	d.Reset()
	// After Reset the next flag opens a frame instead of closing ABC.
	got = append(got, hdlcEvents(&d, []byte("xy\x7eDEF\x7e"))...)
	if len(got) != 1 || got[0].frame != "DEF" {
		t.Fatalf("events %+v, want one frame DEF", got)
	}
	if s := d.Stats(); s.Discarded != 2 {
		t.Errorf("discarded %d bytes, want 2", s.Discarded)
	}
}

// kissEvent is one result of KISSDecoder.Decode.
type kissEvent struct {
	cmd     byte
	payload string
	err     error
	len     int
}

func kissEvents(d *framing.KISSDecoder, chunks ...[]byte) []kissEvent {
	var evs []kissEvent
	for _, c := range chunks {
		for len(c) > 0 {
			n, cmd, payload, err := d.Decode(c)
			c = c[n:]
			switch {
			case err != nil:
				evs = append(evs, kissEvent{err: err, len: d.DroppedLen()})
			case payload != nil:
				evs = append(evs, kissEvent{cmd: cmd, payload: string(payload)})
			}
		}
	}
	return evs
}

func TestKISSDecoderMalformed(t *testing.T) {
	tests := []struct {
		name   string
		strip  bool
		max    int
		chunks []string
		want   []kissEvent
		stats  framing.Stats
	}{
		{
			name:   "garbage only",
			chunks: []string{"010203"},
			stats:  framing.Stats{Discarded: 3},
		},
		{
			name:   "empty frames are skipped",
			chunks: []string{"c0c0c0"},
		},
		{
			name:   "command without payload",
			chunks: []string{"c00fc0"},
			want:   []kissEvent{{cmd: 0x0f, payload: ""}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "port nibble kept",
			chunks: []string{"c01041c0"},
			want:   []kissEvent{{cmd: 0x10, payload: "A"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "port nibble stripped",
			strip:  true,
			chunks: []string{"c01041c0"},
			want:   []kissEvent{{cmd: 0x00, payload: "A"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "frames sharing a FEND",
			chunks: []string{"c00041c00042c0"},
			want:   []kissEvent{{payload: "A"}, {payload: "B"}},
			stats:  framing.Stats{Frames: 2},
		},
		{
			name:   "too large, then recovers",
			max:    2,
			chunks: []string{"c000414243", "c0000102c0"},
			want:   []kissEvent{{err: framing.ErrFrameTooLarge, len: 3}, {payload: "\x01\x02"}},
			stats:  framing.Stats{TooLarge: 1, Frames: 1},
		},
		{
			name:   "escapes count once against max",
			max:    2,
			chunks: []string{"c000dbdcdbddc0"},
			want:   []kissEvent{{payload: "\xc0\xdb"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "escape before another byte drops the escape",
			chunks: []string{"c000db41c0"},
			want:   []kissEvent{{payload: "A"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "double escape acts as one",
			chunks: []string{"c000dbdbdcc0"},
			want:   []kissEvent{{payload: "\xc0"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "escape before FEND is dropped",
			chunks: []string{"c00041dbc0"},
			want:   []kissEvent{{payload: "A"}},
			stats:  framing.Stats{Frames: 1},
		},
		{
			name:   "escape split across reads",
			chunks: []string{"c000db", "dc", "c0"},
			want:   []kissEvent{{payload: "\xc0"}},
			stats:  framing.Stats{Frames: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := framing.KISSDecoder{MaxFrame: tt.max, StripPort: tt.strip}
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, unhex(t, c))
			}
			got := kissEvents(&d, chunks...)
			if len(got) != len(tt.want) {
				t.Fatalf("events %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].cmd != tt.want[i].cmd || got[i].payload != tt.want[i].payload ||
					!errors.Is(got[i].err, tt.want[i].err) || got[i].len != tt.want[i].len {
					t.Errorf("event %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if s := d.Stats(); s != tt.stats {
				t.Errorf("stats %+v, want %+v", s, tt.stats)
			}
		})
	}
}

func TestKISSDecoderReset(t *testing.T) {
	var d framing.KISSDecoder
	got := kissEvents(&d, []byte("\xc0\x00ABC"))
	d.Reset()
	got = append(got, kissEvents(&d, []byte("\x00\x00\xc0\x00DEF\xc0"))...)
	if len(got) != 1 || got[0].payload != "DEF" {
		t.Fatalf("events %+v, want one frame DEF", got)
	}
}

func TestKISSCommands(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"txdelay negative clamps to 0", framing.AppendKISSTXDelay(nil, -50), "c00100c0"},
		{"txdelay truncates", framing.AppendKISSTXDelay(nil, 359), "c00123c0"},
		{"txtail clamps to 255", framing.AppendKISSTXTail(nil, 1<<20), "c004ffc0"},
		{"persistence clamps to 255", framing.AppendKISSPersistence(nil, 300), "c002ffc0"},
		{"persistence clamps to 0", framing.AppendKISSPersistence(nil, -1), "c00200c0"},
		{"slot time", framing.AppendKISSSlotTime(nil, 100), "c0030ac0"},
		// 1920 ms is 192 = 0xC0 units, which must be escaped or it would end
		// the frame (the reference writes it raw).
		{"value 0xC0 is escaped", framing.AppendKISSTXDelay(nil, 1920), "c001dbdcc0"},
		{"value 0xDB is escaped", framing.AppendKISSPersistence(nil, 0xdb), "c002dbddc0"},
		{"flow control", framing.AppendKISSFlowControl(nil), "c00f01c0"},
		{"generic command", framing.AppendKISSCommand(nil, framing.KISSCmdFullDuplex, 1), "c00501c0"},
	}
	for _, tt := range tests {
		if want := unhex(t, tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s: %x, want %x", tt.name, tt.got, want)
		}
	}
}

func TestAllocs(t *testing.T) {
	payload := benchPayload(500)
	hdlc := framing.AppendHDLC(nil, payload)
	kiss := framing.AppendKISS(nil, framing.KISSCmdData, payload)
	buf := make([]byte, 0, 2*len(payload)+3)

	t.Run("AppendHDLC", func(t *testing.T) {
		testutil.MaxAllocs(t, 100, 0, func() { buf = framing.AppendHDLC(buf[:0], payload) })
	})
	t.Run("AppendKISS", func(t *testing.T) {
		testutil.MaxAllocs(t, 100, 0, func() { buf = framing.AppendKISS(buf[:0], framing.KISSCmdData, payload) })
	})
	t.Run("AppendKISSTXDelay", func(t *testing.T) {
		testutil.MaxAllocs(t, 100, 0, func() { buf = framing.AppendKISSTXDelay(buf[:0], 350) })
	})
	t.Run("HDLCDecoder", func(t *testing.T) {
		var d framing.HDLCDecoder
		d.Decode(hdlc) // warm up: the buffer grows once
		testutil.MaxAllocs(t, 100, 0, func() {
			if _, f, _ := d.Decode(hdlc); len(f) != len(payload) {
				t.Fatal("no frame")
			}
		})
	})
	t.Run("KISSDecoder", func(t *testing.T) {
		var d framing.KISSDecoder
		d.Decode(kiss)
		testutil.MaxAllocs(t, 100, 0, func() {
			if _, _, p, _ := d.Decode(kiss); len(p) != len(payload) {
				t.Fatal("no frame")
			}
		})
	})
	t.Run("oversize frames", func(t *testing.T) {
		// Dropping oversize frames allocates nothing either.
		d := framing.HDLCDecoder{MaxFrame: 100}
		d.Decode(hdlc)
		testutil.MaxAllocs(t, 100, 0, func() {
			if _, _, err := d.Decode(hdlc); err != framing.ErrFrameTooLarge {
				t.Fatal(err)
			}
		})
	})
}

// TestHDLCDense runs streams thick with flags, escapes and the bytes that
// follow escapes, in long and short pieces, through the decoder and the
// escaper, against the reference model: the vector code handles most of
// every run of 16 bytes or more and must hand each case it does not decode
// on its own to the byte-wise code at the right place.
func TestHDLCDense(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []byte{0x7d, 0x7e, 0x5d, 0x5e, 0x00, 0xff}
	for iter := range 3000 {
		n := r.IntN(400)
		data := make([]byte, n)
		density := r.IntN(64) + 1 // a special byte every ~density bytes
		for i := range data {
			if r.IntN(density) == 0 {
				data[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				data[i] = byte(r.Uint32())
				if data[i] == 0x7d || data[i] == 0x7e {
					data[i] = 0
				}
			}
		}
		sizes := []byte{byte(r.IntN(256)), byte(r.IntN(20)), byte(r.IntN(256))}
		maxFrame := framing.DefaultMaxFrame
		if iter%3 == 0 {
			maxFrame = r.IntN(300) + 1
		}
		want, wantDropped := refHDLC(data, 1, maxFrame)
		d := framing.HDLCDecoder{MaxFrame: maxFrame}
		var got [][]byte
		var dropped []int
		for _, c := range chunked(data, sizes) {
			for len(c) > 0 {
				k, frame, err := d.Decode(c)
				c = c[k:]
				if err != nil {
					dropped = append(dropped, d.DroppedLen())
				}
				if frame != nil {
					got = append(got, bytes.Clone(frame))
				}
			}
		}
		if !equalFrames(got, want) || !slices.Equal(dropped, wantDropped) {
			t.Fatalf("stream %x (pieces %v, max %d): frames %x dropped %v, reference model %x %v",
				data, sizes, maxFrame, got, dropped, want, wantDropped)
		}
		checkEscape(t, data)
	}
}
