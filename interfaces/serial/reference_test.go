package serial_test

// Differential tests against the Python reference: testdata/refwire.py
// runs RNS 1.4.2's own SerialInterface and KISSInterface write and read
// code on a fake port (no pyserial needed) and reports what they write and
// deliver. Set MEHR_RETICULUM_REF to a Reticulum checkout (the directory
// that contains the RNS package) to run them. The KISS driver's test
// (interfaces/kiss) uses the same script.

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// receiveAll feeds data to a fresh interface in chunks and returns every
// packet it delivers.
func receiveAll(t *testing.T, data []byte, chunk int) [][]byte {
	t.Helper()
	port := serialtest.NewFakePort(data, chunk)
	i, err := serial.New(t.Context(), serial.Config{Port: serial.PortConfig{Path: "fake"}, Settle: -1,
		Open: func(serial.PortConfig) (serial.Port, error) { return port, nil }})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan [][]byte, 1)
	go func() {
		var pkts [][]byte
		buf := make([]byte, serial.HWMTU)
		for {
			n, err := i.Receive(buf)
			if err != nil {
				got <- pkts
				return
			}
			pkts = append(pkts, bytes.Clone(buf[:n]))
		}
	}()
	select {
	case <-port.Drained():
	case <-time.After(10 * time.Second):
		t.Fatal("input not consumed")
	}
	i.Close()
	return <-got
}

// TestReference: the driver writes the frames the reference writes for
// the same packets, and delivers the packets the reference's reader
// delivers from the same byte stream.
func TestReference(t *testing.T) {
	pkts := serialtest.RefPackets(serial.HWMTU)
	req := serialtest.RefRequest{TNC: map[string]int{"preamble": 350, "txtail": 20, "persistence": 64, "slottime": 20}}
	// The stream to read: noise before the first frame, then the frames
	// back to back.
	stream := []byte{0x01, 0x7d, 0x02}
	for _, p := range pkts {
		req.Packets = append(req.Packets, hex.EncodeToString(p))
		stream = framing.AppendHDLC(stream, p)
	}
	req.HDLCRead = hex.EncodeToString(stream)
	resp := serialtest.RunReference(t, req)

	port := serialtest.NewFakePort(nil, 1)
	i, err := serial.New(t.Context(), serial.Config{Port: serial.PortConfig{Path: "fake"}, Settle: -1,
		Open: func(serial.PortConfig) (serial.Port, error) { return port, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	var sent int
	for k, p := range pkts {
		if err := i.Send(p); err != nil {
			t.Fatal(err)
		}
		w := port.Written()
		if got := hex.EncodeToString(w[sent:]); got != resp.HDLCFrames[k] {
			t.Fatalf("packet %d: wrote %s, reference %s", k, got, resp.HDLCFrames[k])
		}
		sent = len(w)
	}

	if len(resp.HDLCRead) != len(pkts) {
		t.Fatalf("the reference read %d packets of %d", len(resp.HDLCRead), len(pkts))
	}
	for _, chunk := range []int{1, 7, 4096} {
		got := receiveAll(t, stream, chunk)
		if len(got) != len(resp.HDLCRead) {
			t.Fatalf("chunks of %d: read %d packets, the reference %d", chunk, len(got), len(resp.HDLCRead))
		}
		for k := range got {
			if h := hex.EncodeToString(got[k]); h != resp.HDLCRead[k] {
				t.Fatalf("chunks of %d, packet %d: %s, reference %s", chunk, k, h, resp.HDLCRead[k])
			}
		}
	}
}
