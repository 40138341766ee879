package main

import (
	"bytes"
	"reflect"
	"testing"
)

func newTestPipe() *pipe {
	return &pipe{frames: make(chan []byte, 64), done: make(chan struct{})}
}

// encode frames pkt the way Send does.
func encode(pkt []byte) []byte {
	out := []byte{hdlcFlag}
	for _, b := range pkt {
		if b == hdlcFlag || b == hdlcEsc {
			out = append(out, hdlcEsc, b^hdlcEscMask)
		} else {
			out = append(out, b)
		}
	}
	return append(out, hdlcFlag)
}

func TestReadFrames(t *testing.T) {
	p := newTestPipe()
	long := bytes.Repeat([]byte{1}, hwMTU+1)
	var in []byte
	in = append(in, "noise"...)
	in = append(in, encode([]byte{1, hdlcFlag, 2, hdlcEsc, 3})...)
	in = append(in, hdlcFlag, hdlcFlag) // empty frame
	in = append(in, encode(long)...)
	in = append(in, encode([]byte("last"))...)
	p.readFrames(bytes.NewReader(in))
	var got [][]byte
	for len(p.frames) > 0 {
		got = append(got, <-p.frames)
	}
	want := [][]byte{{1, hdlcFlag, 2, hdlcEsc, 3}, []byte("last")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
	if p.dropped.Load() != 1 {
		t.Fatalf("dropped %d, want 1 (the frame above the MTU)", p.dropped.Load())
	}
}

// FuzzReadFrames: arbitrary output of the command never panics the
// decoder, never yields a frame above the MTU or an empty one, and a frame
// encoded after it still comes out intact.
func FuzzReadFrames(f *testing.F) {
	f.Add(encode([]byte("hello")))
	f.Add([]byte{hdlcFlag, hdlcEsc, hdlcFlag})
	f.Add(append([]byte{hdlcFlag}, bytes.Repeat([]byte{hdlcEsc}, 3000)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		p := newTestPipe()
		p.frames = make(chan []byte, len(in)+2)
		tail := encode([]byte("tail"))
		p.readFrames(bytes.NewReader(append(append(append([]byte{}, in...), hdlcFlag), tail...)))
		var last []byte
		for len(p.frames) > 0 {
			last = <-p.frames
			if len(last) == 0 || len(last) > hwMTU {
				t.Fatalf("frame of %d bytes", len(last))
			}
		}
		if string(last) != "tail" {
			t.Fatalf("last frame %q", last)
		}
	})
}

func TestSplitCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"netcat -l 5757", []string{"netcat", "-l", "5757"}},
		{`socat - 'TCP:host:1'  "a b"`, []string{"socat", "-", "TCP:host:1", "a b"}},
		{`echo a\ b "x\"y" ''`, []string{"echo", "a b", `x"y`, ""}},
		{"", nil},
		{"'open", nil},
		{`"open`, nil},
		{`trailing\`, nil},
	} {
		got, err := splitCommand(c.in)
		if c.want == nil {
			if err == nil {
				t.Errorf("splitCommand(%q) = %q, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
