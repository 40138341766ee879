package tcp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestPartialReads drives a spawned interface over net.Pipe, where every
// Read returns exactly the bytes of one small Write, so frames arrive cut
// at every possible place.
func TestPartialReads(t *testing.T) {
	for _, kiss := range []bool{false, true} {
		t.Run(map[bool]string{false: "hdlc", true: "kiss"}[kiss], func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			s, err := (&Config{Name: "pipe", KISSFraming: kiss}).settings()
			if err != nil {
				t.Fatal(err)
			}
			a, b := net.Pipe()
			c := spawn(s, "pipe", a)
			defer c.Close()
			defer b.Close()

			rng := rand.New(rand.NewPCG(11, 12))
			var pkts [][]byte
			var stream []byte
			for range 100 {
				p := make([]byte, 20+rng.IntN(300))
				for i := range p {
					p[i] = []byte{0x7E, 0x7D, 0xC0, 0xDB, 0xDC, 0xDD, byte(i)}[rng.IntN(7)]
				}
				pkts = append(pkts, p)
				if kiss {
					stream = framing.AppendKISS(stream, framing.KISSCmdData, p)
				} else {
					stream = framing.AppendHDLC(stream, p)
				}
			}
			go func() {
				for s := stream; len(s) > 0; {
					n := min(len(s), 1+rng.IntN(3))
					if _, err := b.Write(s[:n]); err != nil {
						return
					}
					s = s[n:]
				}
			}()
			buf := make([]byte, c.MTU())
			for i, p := range pkts {
				n, err := c.Receive(buf)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf[:n], p) {
					t.Fatalf("packet %d: got %x, want %x", i, buf[:n], p)
				}
			}
		})
	}
}

// TestReconnectResetsDecoder: a frame cut short by a dropped connection is
// not completed by the bytes of the next connection.
func TestReconnectResetsDecoder(t *testing.T) {
	defer testutil.LeakCheck(t)()
	s, err := (&Config{Name: "x"}).settings()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(s, "x")
	c.initiator = true
	c.redial = make(chan struct{}, 1)
	defer c.Close()
	a1, b1 := net.Pipe()
	c.up(a1)
	partial := framing.AppendHDLC(nil, bytes.Repeat([]byte{'a'}, 30))
	go func() {
		b1.Write(partial[:len(partial)-1]) // no closing flag
		b1.Close()
	}()
	done := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 100)
		n, err := c.Receive(buf)
		if err != nil {
			done <- nil
			return
		}
		done <- buf[:n]
	}()
	// Wait for the drop, then connect again, as routineDial would.
	select {
	case <-c.redial:
	case <-time.After(10 * time.Second):
		t.Fatal("no redial after the connection dropped")
	}
	a2, b2 := net.Pipe()
	defer b2.Close()
	c.up(a2)
	want := bytes.Repeat([]byte{'b'}, 25)
	// Leading bytes and a flag that would close the old frame.
	go b2.Write(append([]byte("zzzz~"), framing.AppendHDLC(nil, want)...))
	select {
	case got := <-done:
		if !bytes.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no packet")
	}
	if st := c.Stats(); st.Connects != 2 || st.TooShort != 0 || st.TooLarge != 0 || st.Discarded != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestBackoff checks the reconnect delay bounds.
func TestBackoff(t *testing.T) {
	s, err := (&Config{ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second}).settings()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(s, "b")
	for n, want := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond,
		5: time.Second, 50: time.Second, 1 << 20: time.Second,
	} {
		for range 100 {
			if d := c.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want %v..%v", n, d, want/2, want)
			}
		}
	}
}

// TestSettingsDefaults checks the values the reference uses.
func TestSettingsDefaults(t *testing.T) {
	s, err := (&Config{}).settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.mtu != 8192 || s.maxFrame != 8192+16 || s.bitrate != 10_000_000 || s.timeout != 5*time.Second ||
		s.keepAlive != (net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 12}) ||
		s.userTO != 24*time.Second {
		t.Errorf("defaults %+v", s)
	}
	s, err = (&Config{I2PTunneled: true}).settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.keepAlive != (net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 9 * time.Second, Count: 5}) ||
		s.userTO != 45*time.Second {
		t.Errorf("I2P %+v", s)
	}
	if _, err := (&Config{IFACSize: MaxIFACSize + 1}).settings(); !errors.Is(err, ErrBadConfig) {
		t.Errorf("IFAC size: %v", err)
	}
}

// FuzzReceive feeds arbitrary bytes to a spawned interface's reader, in
// both framings. It must never panic, every packet it yields must be
// within the size bounds, and in HDLC mode the packets must be exactly the
// frames the reference reader would deliver for the same bytes.
func FuzzReceive(f *testing.F) {
	f.Add([]byte{0x7E, 0x7D, 0x5E, 0x7E}, false)
	f.Add(framing.AppendHDLC([]byte("junk"), bytes.Repeat([]byte{0x7D, 0x7E, 1}, 10)), false)
	f.Add(framing.AppendKISS(nil, framing.KISSCmdData, bytes.Repeat([]byte{0xC0, 0xDB}, 15)), true)
	f.Add([]byte{0xC0, 0x10, 0xDB, 0xDB, 0xDC, 0xC0, 0xC0}, true)
	f.Fuzz(func(t *testing.T, data []byte, kiss bool) {
		s, err := (&Config{KISSFraming: kiss, FixedMTU: 500}).settings()
		if err != nil {
			t.Fatal(err)
		}
		a, b := net.Pipe()
		c := spawn(s, "fuzz", a)
		defer c.Close()
		go func() {
			b.Write(data)
			b.Close()
		}()
		var got [][]byte
		buf := make([]byte, s.maxFrame)
		for {
			n, err := c.Receive(buf)
			if err != nil {
				if !errors.Is(err, ErrPeerClosed) {
					t.Fatalf("Receive: %v", err)
				}
				break
			}
			if n < framing.TCPMinFrame || n > s.maxFrame {
				t.Fatalf("packet of %d bytes", n)
			}
			got = append(got, bytes.Clone(buf[:n]))
		}
		if kiss {
			return
		}
		want := refHDLCFrames(data, s.maxFrame)
		if len(got) != len(want) {
			t.Fatalf("%d packets, the reference reader delivers %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("packet %d: %x, want %x", i, got[i], want[i])
			}
		}
	})
}

// refHDLCFrames splits a whole stream the way the reference TCP reader
// does when it reads it in one piece.
func refHDLCFrames(b []byte, maxFrame int) [][]byte {
	var out [][]byte
	for {
		start := bytes.IndexByte(b, framing.HDLCFlag)
		if start < 0 {
			return out
		}
		end := bytes.IndexByte(b[start+1:], framing.HDLCFlag)
		if end < 0 {
			return out
		}
		end += start + 1
		f := bytes.ReplaceAll(b[start+1:end], []byte{0x7D, 0x5E}, []byte{0x7E})
		f = bytes.ReplaceAll(f, []byte{0x7D, 0x5D}, []byte{0x7D})
		if len(f) >= framing.TCPMinFrame && len(f) <= maxFrame {
			out = append(out, f)
		}
		b = b[end:]
	}
}
