package tcp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

var framings = []struct {
	name string
	kiss bool
}{{"hdlc", false}, {"kiss", true}}

// TestExchange sends packets of every size class up to the largest frame
// both ways at once and checks they arrive byte for byte, in order, and
// that packets of 19 bytes or fewer are dropped and counted.
func TestExchange(t *testing.T) {
	for _, f := range framings {
		t.Run(f.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv, c, sp := pair(t, tcp.Config{KISSFraming: f.kiss})
			defer srv.Close()
			max := c.MTU() + tcp.DefaultIFACSize
			rc := startReceiver(c, max)
			defer rc.shutdown(t)
			rs := startReceiver(sp, max)
			defer rs.shutdown(t)

			rng := rand.New(rand.NewPCG(1, 2))
			var pkts [][]byte
			for _, n := range sizes(max) {
				pkts = append(pkts, packet(rng, n))
			}
			errc := make(chan error, 2)
			for _, from := range []*tcp.Client{c, sp} {
				go func() {
					for _, p := range pkts {
						if err := from.Send(p); err != nil {
							errc <- fmt.Errorf("%s: Send(%d bytes): %w", from.Name(), len(p), err)
							return
						}
					}
					errc <- nil
				}()
			}
			delivered := 0
			for _, p := range pkts {
				if len(p) < framing.TCPMinFrame {
					continue
				}
				delivered++
				for _, r := range []*receiver{rc, rs} {
					if got := r.next(t); !bytes.Equal(got, p) {
						t.Fatalf("%s: got %d bytes, want %d bytes %x...", r.i.Name(), len(got), len(p), p[:8])
					}
				}
			}
			for range 2 {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
			for _, i := range []*tcp.Client{c, sp} {
				st := i.Stats()
				want := tcp.Stats{
					Counters: iface.Counters{
						RxPackets: uint64(delivered), TxPackets: uint64(len(pkts)),
						Dropped: framing.TCPMinFrame - 1,
					},
					TooShort: framing.TCPMinFrame - 1, Connects: 1,
				}
				st.RxBytes, st.TxBytes = 0, 0
				if st != want {
					t.Errorf("%s: stats %+v, want %+v", i.Name(), st, want)
				}
				if cs := i.Counters(); cs.RxBytes == 0 || cs.TxBytes == 0 {
					t.Errorf("%s: byte counters %+v", i.Name(), cs)
				}
			}
		})
	}
}

// TestSendTooLarge checks the size limit of Send: MTU plus the IFAC size.
func TestSendTooLarge(t *testing.T) {
	defer testutil.LeakCheck(t)()
	srv, c, sp := pair(t, tcp.Config{FixedMTU: 600, IFACSize: 8})
	defer srv.Close()
	defer c.Close()
	defer sp.Close()
	if err := c.Send(make([]byte, 609)); !errors.Is(err, tcp.ErrTooLarge) {
		t.Errorf("Send(609) = %v, want ErrTooLarge", err)
	}
	if err := c.Send(make([]byte, 608)); err != nil {
		t.Errorf("Send(608) = %v", err)
	}
}

// TestPartialIO writes reference-built frames a few bytes at a time and
// reads a sender's frames a few bytes at a time.
func TestPartialIO(t *testing.T) {
	for _, f := range framings {
		t.Run(f.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv := listen(t, tcp.Config{KISSFraming: f.kiss})
			defer srv.Close()
			raw := rawConn(t, srv)
			defer raw.Close()
			sp := accept(t, srv)
			rs := startReceiver(sp, sp.MTU()+tcp.DefaultIFACSize)
			defer rs.shutdown(t)

			rng := rand.New(rand.NewPCG(3, 4))
			var pkts [][]byte
			var stream []byte
			for range 200 {
				p := packet(rng, 20+rng.IntN(600))
				pkts = append(pkts, p)
				stream = append(stream, refFrame(f.kiss, p)...)
			}
			go func() {
				// Small writes; the reader sees arbitrary splits.
				for s := stream; len(s) > 0; {
					n := min(len(s), 1+rng.IntN(7))
					if _, err := raw.Write(s[:n]); err != nil {
						return
					}
					s = s[n:]
				}
			}()
			for i, p := range pkts {
				if got := rs.next(t); !bytes.Equal(got, p) {
					t.Fatalf("packet %d: got %x, want %x", i, got, p)
				}
			}

			// The other way: the peer reads 1 to 5 bytes at a time.
			errc := make(chan error, 1)
			go func() {
				for _, p := range pkts {
					if err := sp.Send(p); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			rd := newRefReader(f.kiss, sp.MTU(), tcp.DefaultIFACSize)
			raw.SetReadDeadline(time.Now().Add(wait))
			var got [][]byte
			buf := make([]byte, 5)
			for len(got) < len(pkts) {
				n, err := raw.Read(buf[:1+rng.IntN(5)])
				if err != nil {
					t.Fatalf("raw read after %d frames: %v", len(got), err)
				}
				got = append(got, rd.feed(buf[:n])...)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			for i := range pkts {
				if !bytes.Equal(got[i], pkts[i]) {
					t.Fatalf("frame %d: got %x, want %x", i, got[i], pkts[i])
				}
			}
		})
	}
}

// TestManyClients connects several clients to one server; every packet
// reaches the interface for its sender, and echoes come back to it alone.
func TestManyClients(t *testing.T) {
	defer testutil.LeakCheck(t)()
	const clients, perClient = 5, 50
	srv := listen(t, tcp.Config{})
	defer srv.Close()
	var cl []*receiver
	var sp []*receiver
	for i := range clients {
		c := dial(t, srv, tcp.Config{Name: fmt.Sprint("cli", i)})
		r := startReceiver(c, c.MTU())
		defer r.shutdown(t)
		cl = append(cl, r)
		s := accept(t, srv)
		if !strings.HasPrefix(s.Name(), "Client on srv/127.0.0.1:") {
			t.Errorf("spawned interface named %q", s.Name())
		}
		r = startReceiver(s, s.MTU())
		defer r.shutdown(t)
		sp = append(sp, r)
	}
	if srv.Accepted() != clients {
		t.Errorf("Accepted() = %d", srv.Accepted())
	}
	msg := func(id, seq int) []byte {
		return []byte(fmt.Sprintf("client %02d packet %03d and some padding", id, seq))
	}
	for seq := range perClient {
		for id, r := range cl {
			if err := r.i.Send(msg(id, seq)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each spawned interface sees one client's packets in order and
	// echoes them.
	for _, r := range sp {
		first := r.next(t)
		var id int
		if _, err := fmt.Sscanf(string(first), "client %d", &id); err != nil {
			t.Fatalf("bad packet %q", first)
		}
		p := first
		for seq := range perClient {
			if seq > 0 {
				p = r.next(t)
			}
			if want := msg(id, seq); !bytes.Equal(p, want) {
				t.Fatalf("%s: got %q, want %q", r.i.Name(), p, want)
			}
			if err := r.i.Send(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for id, r := range cl {
		for seq := range perClient {
			if got, want := r.next(t), msg(id, seq); !bytes.Equal(got, want) {
				t.Fatalf("%s: echo %q, want %q", r.i.Name(), got, want)
			}
		}
	}
}

// TestReconnect restarts the server on the same port: the client's
// Receive keeps blocking, Send fails while it is down, and it reconnects.
func TestReconnect(t *testing.T) {
	for _, f := range framings {
		t.Run(f.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			cfg := tcp.Config{KISSFraming: f.kiss}
			srv, c, sp := pair(t, cfg)
			rc := startReceiver(c, c.MTU())
			defer rc.shutdown(t)
			msg := []byte("a packet long enough to get through the reader")
			exchange := func(sp *tcp.Client) {
				t.Helper()
				rs := startReceiver(sp, sp.MTU())
				defer rs.shutdown(t)
				if err := c.Send(msg); err != nil {
					t.Fatalf("client Send: %v", err)
				}
				if got := rs.next(t); !bytes.Equal(got, msg) {
					t.Fatalf("server got %q", got)
				}
				if err := sp.Send(msg); err != nil {
					t.Fatalf("server Send: %v", err)
				}
				if got := rc.next(t); !bytes.Equal(got, msg) {
					t.Fatalf("client got %q", got)
				}
			}
			// Stop listening first, so that the client cannot reconnect to
			// this server once sp closes.
			addr := srv.Addr().String()
			srv.Close()
			exchange(sp) // closes sp
			if err := c.WaitDisconnected(ctxWithin(t)); err != nil {
				t.Fatalf("WaitDisconnected: %v", err)
			}
			if err := c.Send(msg); !errors.Is(err, tcp.ErrNotConnected) {
				t.Fatalf("Send while down = %v, want ErrNotConnected", err)
			}
			select {
			case err := <-rc.errc:
				t.Fatalf("Receive returned %v while reconnecting", err)
			default:
			}

			cfg.Addr = addr
			srv2 := listen(t, cfg)
			defer srv2.Close()
			sp2 := accept(t, srv2)
			if err := c.WaitConnected(ctxWithin(t)); err != nil {
				t.Fatalf("WaitConnected: %v", err)
			}
			exchange(sp2)
			if n := c.Stats().Connects; n != 2 {
				t.Errorf("Connects = %d, want 2", n)
			}
		})
	}
}

// TestInitialConnectFails starts a client before its server exists.
func TestInitialConnectFails(t *testing.T) {
	defer testutil.LeakCheck(t)()
	addr := freePort(t)
	c, err := tcp.NewClient(ctxWithin(t), tcp.Config{
		Name: "early", Addr: addr, ReconnectMin: time.Millisecond, ReconnectMax: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()
	if c.Connected() {
		t.Fatal("connected to a closed port")
	}
	srv := listen(t, tcp.Config{Addr: addr})
	defer srv.Close()
	sp := accept(t, srv)
	defer sp.Close()
	if err := c.WaitConnected(ctxWithin(t)); err != nil {
		t.Fatal(err)
	}
}

// TestReconnectLimit gives up after MaxReconnectTries.
func TestReconnectLimit(t *testing.T) {
	defer testutil.LeakCheck(t)()
	c, err := tcp.NewClient(ctxWithin(t), tcp.Config{
		Addr: freePort(t), MaxReconnectTries: 3,
		ReconnectMin: time.Millisecond, ReconnectMax: 2 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.WaitConnected(ctxWithin(t))
	if !errors.Is(err, tcp.ErrReconnectLimit) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("WaitConnected = %v, want ErrReconnectLimit", err)
	}
	if _, err := c.Receive(make([]byte, 500)); !errors.Is(err, tcp.ErrReconnectLimit) {
		t.Errorf("Receive = %v", err)
	}
	if err := c.Send(make([]byte, 30)); !errors.Is(err, tcp.ErrReconnectLimit) {
		t.Errorf("Send = %v", err)
	}
}

// TestNewClientContext returns the context's error when it ends first.
func TestNewClientContext(t *testing.T) {
	defer testutil.LeakCheck(t)()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tcp.NewClient(ctx, tcp.Config{Addr: freePort(t)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("NewClient = %v, want context.Canceled", err)
	}
}

// TestCloseUnblocks checks that Close ends a blocked Receive or Accept
// with net.ErrClosed, connected or not, and is idempotent.
func TestCloseUnblocks(t *testing.T) {
	t.Run("connected", func(t *testing.T) {
		defer testutil.LeakCheck(t)()
		srv, c, sp := pair(t, tcp.Config{})
		defer srv.Close()
		defer sp.Close()
		rc := startReceiver(c, c.MTU())
		rs := startReceiver(sp, sp.MTU())
		c.Close()
		if err := rc.err(t); !errors.Is(err, net.ErrClosed) || errors.Is(err, tcp.ErrPeerClosed) {
			t.Errorf("client Receive = %v, want net.ErrClosed", err)
		}
		// The server's side sees its peer go away.
		if err := rs.err(t); !errors.Is(err, tcp.ErrPeerClosed) || !errors.Is(err, net.ErrClosed) {
			t.Errorf("spawned Receive = %v, want ErrPeerClosed", err)
		}
		if err := sp.Send(make([]byte, 30)); !errors.Is(err, tcp.ErrPeerClosed) {
			t.Errorf("spawned Send = %v, want ErrPeerClosed", err)
		}
		if err := c.Send(make([]byte, 30)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Send after Close = %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		sp.Close()
		if _, err := sp.Receive(make([]byte, 500)); !errors.Is(err, net.ErrClosed) || errors.Is(err, tcp.ErrPeerClosed) {
			t.Errorf("Receive after Close = %v, want net.ErrClosed", err)
		}
		close(rc.stop)
		close(rs.stop)
	})
	t.Run("reconnecting", func(t *testing.T) {
		defer testutil.LeakCheck(t)()
		c, err := tcp.NewClient(ctxWithin(t), tcp.Config{Addr: freePort(t), ReconnectMin: time.Hour, ReconnectMax: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		rc := startReceiver(c, c.MTU())
		c.Close()
		if err := rc.err(t); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Receive = %v, want net.ErrClosed", err)
		}
		if err := c.WaitConnected(ctxWithin(t)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("WaitConnected after Close = %v", err)
		}
		close(rc.stop)
	})
	t.Run("accept", func(t *testing.T) {
		defer testutil.LeakCheck(t)()
		srv := listen(t, tcp.Config{})
		errc := make(chan error, 1)
		go func() {
			_, err := srv.Accept()
			errc <- err
		}()
		srv.Close()
		select {
		case err := <-errc:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("Accept = %v, want net.ErrClosed", err)
			}
		case <-time.After(wait):
			t.Fatal("Accept still blocked after Close")
		}
		if err := srv.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
}

// TestServerCloseKeepsSpawned: spawned interfaces outlive their server.
func TestServerCloseKeepsSpawned(t *testing.T) {
	defer testutil.LeakCheck(t)()
	srv, c, sp := pair(t, tcp.Config{})
	srv.Close()
	rs := startReceiver(sp, sp.MTU())
	defer rs.shutdown(t)
	defer c.Close()
	msg := []byte("still here after the listener closed")
	if err := c.Send(msg); err != nil {
		t.Fatal(err)
	}
	if got := rs.next(t); !bytes.Equal(got, msg) {
		t.Fatalf("got %q", got)
	}
}

// TestGarbage feeds random bytes, malformed escapes and bad sizes to a
// reader. Nothing panics, the frames match what the reference reader
// would deliver for the same stream, and the drops are counted.
func TestGarbage(t *testing.T) {
	marker := []byte("the last frame of the stream, marking its end")
	t.Run("hdlc", func(t *testing.T) {
		defer testutil.LeakCheck(t)()
		srv := listen(t, tcp.Config{})
		defer srv.Close()
		raw := rawConn(t, srv)
		defer raw.Close()
		sp := accept(t, srv)
		rs := startReceiver(sp, sp.MTU()+tcp.DefaultIFACSize)
		defer rs.shutdown(t)

		rng := rand.New(rand.NewPCG(5, 6))
		var stream []byte
		stream = append(stream, packet(rng, 3000)...) // before any flag, mostly
		for range 300 {
			switch rng.IntN(6) {
			case 0: // random bytes, heavy in 0x7E and 0x7D
				stream = append(stream, packet(rng, rng.IntN(200))...)
			case 1: // a valid frame
				stream = append(stream, refHDLCFrame(packet(rng, rng.IntN(100)))...)
			case 2: // dangling and unknown escapes
				stream = append(stream, 0x7E, 0x7D, 0x7D, 0x41, 0x7D, 0x7E)
			case 3: // an oversize frame
				stream = append(stream, refHDLCFrame(make([]byte, sp.MTU()+tcp.DefaultIFACSize+1+rng.IntN(3)))...)
			case 4: // a short frame
				stream = append(stream, refHDLCFrame(packet(rng, 1+rng.IntN(19)))...)
			case 5: // bytes outside frames after a flag pair
				stream = append(stream, 0x7E, 0x7E)
			}
		}
		stream = append(stream, refHDLCFrame(marker)...)
		want := newRefReader(false, sp.MTU(), tcp.DefaultIFACSize).feed(stream)
		go writeChunks(raw, stream, rng.Uint64())
		for i, w := range want {
			if got := rs.next(t); !bytes.Equal(got, w) {
				t.Fatalf("frame %d of %d: got %x, want %x", i, len(want), got, w)
			}
		}
		st := sp.Stats()
		if st.TooShort == 0 || st.TooLarge == 0 || st.Discarded == 0 || st.Dropped != st.TooShort+st.TooLarge {
			t.Errorf("stats %+v: want short, large and discarded counts", st)
		}
		if st.RxPackets != uint64(len(want)) {
			t.Errorf("RxPackets = %d, want %d", st.RxPackets, len(want))
		}
	})
	t.Run("kiss", func(t *testing.T) {
		defer testutil.LeakCheck(t)()
		srv := listen(t, tcp.Config{KISSFraming: true})
		defer srv.Close()
		raw := rawConn(t, srv)
		defer raw.Close()
		sp := accept(t, srv)
		rs := startReceiver(sp, sp.MTU()+tcp.DefaultIFACSize)
		defer rs.shutdown(t)

		rng := rand.New(rand.NewPCG(7, 8))
		var stream []byte
		for range 300 {
			switch rng.IntN(5) {
			case 0:
				stream = append(stream, packet(rng, rng.IntN(200))...)
			case 1:
				stream = append(stream, refKISSFrame(packet(rng, rng.IntN(100)))...)
			case 2: // non-data commands
				stream = append(stream, 0xC0, byte(1+rng.IntN(14)), 0x11, 0x22, 0xC0)
			case 3:
				stream = append(stream, refKISSFrame(make([]byte, sp.MTU()+tcp.DefaultIFACSize+1))...)
			case 4:
				stream = append(stream, 0xC0, 0xDB, 0xDB, 0xC0, 0x00, 0xDB, 0xC0)
			}
		}
		stream = append(stream, refKISSFrame(marker)...)
		go writeChunks(raw, stream, rng.Uint64())
		for i := 0; ; i++ {
			if i > 1000 {
				t.Fatal("marker frame never arrived")
			}
			if got := rs.next(t); bytes.Equal(got, marker) {
				break
			} else if len(got) < framing.TCPMinFrame || len(got) > sp.MTU()+tcp.DefaultIFACSize {
				t.Fatalf("delivered a frame of %d bytes", len(got))
			}
		}
		st := sp.Stats()
		if st.TooShort == 0 || st.TooLarge == 0 || st.Ignored == 0 || st.Dropped != st.TooShort+st.TooLarge+st.Ignored {
			t.Errorf("stats %+v: want short, large and ignored counts", st)
		}
	})
	t.Run("oversize", func(t *testing.T) {
		// A frame that fits the MTU but not the caller's buffer.
		defer testutil.LeakCheck(t)()
		srv := listen(t, tcp.Config{})
		defer srv.Close()
		raw := rawConn(t, srv)
		defer raw.Close()
		sp := accept(t, srv)
		rs := startReceiver(sp, 100)
		defer rs.shutdown(t)
		go writeChunks(raw, append(refHDLCFrame(make([]byte, 101)), refHDLCFrame(marker)...), 1)
		if got := rs.next(t); !bytes.Equal(got, marker) {
			t.Fatalf("got %x", got)
		}
		if st := sp.Stats(); st.Oversize != 1 || st.Dropped != 1 {
			t.Errorf("stats %+v, want one oversize drop", st)
		}
	})
}

// writeChunks writes b in random pieces, ignoring errors (the reader may
// close first).
func writeChunks(w net.Conn, b []byte, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(4096))
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		b = b[n:]
	}
}

// TestConfig checks defaults and the errors for bad configurations.
func TestConfig(t *testing.T) {
	defer testutil.LeakCheck(t)()
	t.Run("defaults", func(t *testing.T) {
		srv, c, sp := pair(t, tcp.Config{Name: "n"})
		defer srv.Close()
		defer c.Close()
		defer sp.Close()
		for _, i := range []*tcp.Client{c, sp} {
			if i.MTU() != 8192 || i.Bitrate() != 10_000_000 || i.Mode() != iface.ModeFull || !i.AutoconfigureMTU() {
				t.Errorf("%s: MTU %d bitrate %d mode %v autoconf %v", i.Name(), i.MTU(), i.Bitrate(), i.Mode(), i.AutoconfigureMTU())
			}
		}
		if c.Name() != "n" || srv.Name() != "n" || !strings.HasPrefix(sp.Name(), "Client on n/127.0.0.1:") {
			t.Errorf("names %q %q %q", c.Name(), srv.Name(), sp.Name())
		}
		if srv.MTU() != 8192 || srv.Bitrate() != 10_000_000 || srv.Mode() != iface.ModeFull {
			t.Errorf("server MTU %d bitrate %d mode %v", srv.MTU(), srv.Bitrate(), srv.Mode())
		}
	})
	t.Run("inherited", func(t *testing.T) {
		srv := listen(t, tcp.Config{Bitrate: 150_000_000, Mode: iface.ModeAccessPoint})
		defer srv.Close()
		c := dial(t, srv, tcp.Config{FixedMTU: 1000})
		defer c.Close()
		sp := accept(t, srv)
		defer sp.Close()
		if sp.MTU() != 32768 || sp.Bitrate() != 150_000_000 || sp.Mode() != iface.ModeAccessPoint {
			t.Errorf("spawned MTU %d bitrate %d mode %v", sp.MTU(), sp.Bitrate(), sp.Mode())
		}
		if c.MTU() != 1000 || !c.AutoconfigureMTU() {
			t.Errorf("fixed MTU client: MTU %d", c.MTU())
		}
	})
	t.Run("errors", func(t *testing.T) {
		ok := tcp.Config{Addr: "127.0.0.1:4242"}
		mod := func(f func(*tcp.Config)) tcp.Config { c := ok; f(&c); return c }
		for _, tc := range []struct {
			name   string
			cfg    tcp.Config
			server bool
			want   error
		}{
			{"client no address", mod(func(c *tcp.Config) { c.Addr = "" }), false, tcp.ErrBadAddress},
			{"client no port", mod(func(c *tcp.Config) { c.Addr = "127.0.0.1" }), false, tcp.ErrBadAddress},
			{"client port 0", mod(func(c *tcp.Config) { c.Addr = "127.0.0.1:0" }), false, tcp.ErrBadAddress},
			{"client port range", mod(func(c *tcp.Config) { c.Addr = "127.0.0.1:65536" }), false, tcp.ErrBadAddress},
			{"client no host", mod(func(c *tcp.Config) { c.Addr = ":4242" }), false, tcp.ErrBadAddress},
			{"client bad v6", mod(func(c *tcp.Config) { c.Addr = "::1:4242" }), false, tcp.ErrBadAddress},
			{"bitrate", mod(func(c *tcp.Config) { c.Bitrate = 4 }), false, tcp.ErrBadConfig},
			{"fixed mtu", mod(func(c *tcp.Config) { c.FixedMTU = 499 }), false, tcp.ErrBadConfig},
			{"ifac size", mod(func(c *tcp.Config) { c.IFACSize = 65 }), false, tcp.ErrBadConfig},
			{"negative ifac size", mod(func(c *tcp.Config) { c.IFACSize = -1 }), false, tcp.ErrBadConfig},
			{"mode", mod(func(c *tcp.Config) { c.Mode = 9 }), false, tcp.ErrBadConfig},
			{"backoff", mod(func(c *tcp.Config) { c.ReconnectMin, c.ReconnectMax = time.Second, time.Millisecond }), false, tcp.ErrBadConfig},
			{"tries", mod(func(c *tcp.Config) { c.MaxReconnectTries = -1 }), false, tcp.ErrBadConfig},
			{"server port", mod(func(c *tcp.Config) { c.Addr = "127.0.0.1:x" }), true, tcp.ErrBadAddress},
			{"server no port", mod(func(c *tcp.Config) { c.Addr = "127.0.0.1" }), true, tcp.ErrBadAddress},
			{"server device", mod(func(c *tcp.Config) { c.Addr, c.Device = ":0", "no-such-device0" }), true, tcp.ErrBadAddress},
			{"server bitrate", mod(func(c *tcp.Config) { c.Bitrate = -1 }), true, tcp.ErrBadConfig},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var err error
				if tc.server {
					var s *tcp.Server
					if s, err = tcp.Listen(ctxWithin(t), tc.cfg); s != nil {
						s.Close()
					}
				} else {
					var c *tcp.Client
					if c, err = tcp.NewClient(ctxWithin(t), tc.cfg); c != nil {
						c.Close()
					}
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
	})
}

// TestAutoMTU checks the reference's bitrate to MTU table at its edges.
func TestAutoMTU(t *testing.T) {
	for _, tc := range []struct {
		bitrate int64
		mtu     int
	}{
		{5, 500}, {62_500, 500}, {62_501, 1024}, {1_000_000, 1024}, {1_000_001, 2048},
		{2_000_001, 4096}, {5_000_000, 4096}, {5_000_001, 8192}, {10_000_000, 8192},
		{10_000_001, 16384}, {100_000_001, 32768}, {200_000_001, 65536},
		{400_000_001, 131072}, {750_000_001, 262144}, {999_999_999, 262144},
		{1_000_000_000, 524288},
	} {
		if got := tcp.AutoMTU(tc.bitrate); got != tc.mtu {
			t.Errorf("AutoMTU(%d) = %d, want %d", tc.bitrate, got, tc.mtu)
		}
	}
}

// TestIPv6Loopback exchanges a packet over ::1.
func TestIPv6Loopback(t *testing.T) {
	defer testutil.LeakCheck(t)()
	srv, err := tcp.Listen(ctxWithin(t), tcp.Config{Name: "v6", Addr: "[::1]:0"})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer srv.Close()
	c := dial(t, srv, tcp.Config{})
	sp := accept(t, srv)
	defer sp.Close()
	rc := startReceiver(c, c.MTU())
	defer rc.shutdown(t)
	msg := []byte("over IPv6 loopback, twenty bytes or more")
	if err := sp.Send(msg); err != nil {
		t.Fatal(err)
	}
	if got := rc.next(t); !bytes.Equal(got, msg) {
		t.Fatalf("got %q", got)
	}
	if !strings.HasPrefix(sp.Name(), "Client on v6/[::1]:") {
		t.Errorf("spawned name %q", sp.Name())
	}
}

// TestListenDevice binds a server to the loopback device's address.
func TestListenDevice(t *testing.T) {
	defer testutil.LeakCheck(t)()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Skip(err)
	}
	dev := ""
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 && i.Flags&net.FlagUp != 0 {
			dev = i.Name
			break
		}
	}
	if dev == "" {
		t.Skip("no loopback device")
	}
	srv, err := tcp.Listen(ctxWithin(t), tcp.Config{Name: "dev", Addr: ":0", Device: dev})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ip := srv.Addr().(*net.TCPAddr).IP
	if !ip.IsLoopback() {
		t.Fatalf("listening on %v, want a loopback address", ip)
	}
	c := dial(t, srv, tcp.Config{})
	defer c.Close()
	sp := accept(t, srv)
	defer sp.Close()
}

// TestListenHostName resolves a listen host name.
func TestListenHostName(t *testing.T) {
	defer testutil.LeakCheck(t)()
	srv, err := tcp.Listen(ctxWithin(t), tcp.Config{Addr: "localhost:0"})
	if err != nil {
		t.Skipf("localhost does not resolve: %v", err)
	}
	defer srv.Close()
	if ip := srv.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() || ip.To4() == nil {
		t.Errorf("localhost resolved to %v, want IPv4 loopback first", ip)
	}
}

// TestCloseFlushes: frames queued just before Close still reach the peer,
// so a link teardown sent on shutdown is not lost.
func TestCloseFlushes(t *testing.T) {
	defer testutil.LeakCheck(t)()
	srv, c, sp := pair(t, tcp.Config{})
	defer srv.Close()
	defer c.Close()
	rc := startReceiver(c, c.MTU()+tcp.DefaultIFACSize)
	defer rc.shutdown(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var sent [][]byte
	for range 20 {
		p := packet(rng, 400)
		sent = append(sent, p)
		if err := sp.Send(p); err != nil {
			t.Fatal(err)
		}
	}
	sp.Close() // at once: the writer may not have written anything yet
	for i, want := range sent {
		select {
		case got := <-rc.pkts:
			if !bytes.Equal(got, want) {
				t.Fatalf("packet %d differs", i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d packets queued before Close arrived", i, len(sent))
		}
	}
}
