//go:build linux

package ptypair

import (
	"bytes"
	"io"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	p, err := Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer p.Close()
	s, err := p.OpenSlave()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Bytes a cooked terminal would rewrite: CR, LF, ^C, ^S, 0xFF.
	msg := []byte{0x7e, '\r', '\n', 0x03, 0x13, 0xff, 0x00, 0x7d}
	for _, dir := range []struct {
		name string
		w    io.Writer
		r    io.Reader
	}{{"master to device", p.Master, s}, {"device to master", s, p.Master}} {
		if _, err := dir.w.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		done := make(chan error, 1)
		go func() { _, err := io.ReadFull(dir.r, got); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", dir.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no data", dir.name)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("%s: got %x, want %x", dir.name, got, msg)
		}
	}
}
