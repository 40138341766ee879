package local_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

// refFrame frames data the way the reference's LocalClientInterface
// writes it: FLAG, then the data with every ESC replaced by ESC ESC^0x20
// and then every FLAG by ESC FLAG^0x20, then FLAG. It is written
// independently of package framing on purpose.
func refFrame(data []byte) []byte {
	data = bytes.ReplaceAll(data, []byte{0x7D}, []byte{0x7D, 0x5D})
	data = bytes.ReplaceAll(data, []byte{0x7E}, []byte{0x7D, 0x5E})
	return append(append([]byte{0x7E}, data...), 0x7E)
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRawPeerReferenceFraming attaches a raw socket that speaks the
// reference's framing byte by byte.
func TestRawPeerReferenceFraming(t *testing.T) {
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv, err := local.Listen(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			network, addr, _ := clientConfig(cfg, srv).Endpoint()
			raw, err := net.Dial(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			conn := accept(t, srv)
			defer conn.Close()
			r := startReceiver(conn)

			// A 20-byte announce-like packet whose hops and hash bytes
			// contain both special bytes.
			p1 := unhex(t, "0100"+"7e7d7e7d00112233445566778899aabb"+"00"+"7e")
			if len(p1) != 20 {
				t.Fatalf("p1 is %d bytes", len(p1))
			}
			wantFrame := unhex(t, "7e"+"0100"+"7d5e7d5d7d5e7d5d00112233445566778899aabb"+"00"+"7d5e"+"7e")
			if got := refFrame(p1); !bytes.Equal(got, wantFrame) {
				t.Fatalf("refFrame = %x", got)
			}
			p2 := packet("second packet", 600)
			short := make([]byte, 19) // HEADER_MINSIZE: the reference drops it
			huge := make([]byte, local.HWMTU+1)

			var stream []byte
			stream = append(stream, refFrame(p1)...)
			stream = append(stream, 0x7E, 0x7E) // the reference's keepalive
			stream = append(stream, refFrame(short)...)
			stream = append(stream, refFrame(huge)...)
			stream = append(stream, refFrame(p2)...)
			// Write in awkward chunks, splitting escapes and flags.
			for i := 0; i < len(stream); {
				n := 1 + i%7
				if i > 2000 {
					n = 65536
				}
				if i+n > len(stream) {
					n = len(stream) - i
				}
				if _, err := raw.Write(stream[i : i+n]); err != nil {
					t.Fatal(err)
				}
				i += n
			}
			if got := r.packet(t); !bytes.Equal(got, p1) {
				t.Fatalf("got %x, want %x", got, p1)
			}
			if got := r.packet(t); !bytes.Equal(got, p2) {
				t.Fatalf("got %d bytes, want p2", len(got))
			}
			if d := conn.(iface.Stats).Counters().Dropped; d != 2 {
				t.Fatalf("Dropped = %d, want 2 (the short and the oversized frame)", d)
			}

			// What we send is exactly what the reference would write.
			if err := conn.Send(p1); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(wantFrame))
			raw.SetReadDeadline(time.Now().Add(waitFor))
			if _, err := io.ReadFull(raw, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantFrame) {
				t.Fatalf("wire bytes %x, want %x", got, wantFrame)
			}

			// The peer leaving detaches the interface.
			raw.Close()
			if res := r.next(t); !errors.Is(res.err, local.ErrDetached) {
				t.Fatalf("Receive after the peer left = %v", res.err)
			}
			r.wait(t)
		})
	}
}
