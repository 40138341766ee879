package kiss_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// FuzzReceive feeds arbitrary bytes from the TNC, in chunks, followed by
// one well-formed data frame: Receive never panics, delivers only packets
// of 1 to HWMTU bytes, and the last one is the well-formed frame's.
func FuzzReceive(f *testing.F) {
	f.Add([]byte{}, []byte("packet"), uint8(1))
	f.Add([]byte{0xc0, 0x00, 0x41, 0xdb}, []byte{0xc0, 0xdb, 1}, uint8(3))
	f.Add([]byte{0xc0, 0x0f, 0x01, 0xc0, 0xc0, 0x10, 0x42, 0xc0}, []byte{1, 2, 3}, uint8(7))
	f.Add(bytes.Repeat([]byte{0xc0, 0x00, 0x55}, 300), bytes.Repeat([]byte{0xdb}, kiss.HWMTU), uint8(200))
	f.Fuzz(func(t *testing.T, junk, pkt []byte, chunk uint8) {
		if len(pkt) == 0 || len(pkt) > kiss.HWMTU {
			return
		}
		in := framing.AppendKISS(bytes.Clone(junk), framing.KISSCmdData, pkt)
		port := serialtest.NewFakePort(in, int(chunk))
		k, err := kiss.New(t.Context(), kiss.Config{
			Port: serial.PortConfig{Path: "fake"}, Settle: -1, FlowControl: true,
			Open: func(serial.PortConfig) (serial.Port, error) { return port, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		var last []byte
		done := make(chan error, 1)
		go func() {
			buf := make([]byte, kiss.HWMTU)
			for {
				n, err := k.Receive(buf)
				if err != nil {
					done <- err
					return
				}
				if n < 1 || n > kiss.HWMTU {
					done <- nil
					t.Errorf("packet of %d bytes", n)
					return
				}
				last = bytes.Clone(buf[:n])
			}
		}()
		select {
		case <-port.Drained():
		case <-time.After(10 * time.Second):
			t.Fatal("input not consumed")
		}
		k.Close()
		<-done
		if !bytes.Equal(last, pkt) {
			t.Fatalf("last packet %x, want %x", last, pkt)
		}
	})
}
