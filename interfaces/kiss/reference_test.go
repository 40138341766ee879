package kiss_test

// Differential tests against the Python reference: the serial driver's
// testdata/refwire.py runs RNS 1.4.2's own KISSInterface write and read
// code on a fake port (no pyserial needed) and reports what it writes and
// delivers. Set MEHR_RETICULUM_REF to a Reticulum checkout (the directory
// that contains the RNS package) to run them.

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// newFake opens an interface on a fake port serving data in chunks.
func newFake(t *testing.T, data []byte, chunk int, tnc *kiss.TNC) (*kiss.Interface, *serialtest.FakePort) {
	t.Helper()
	port := serialtest.NewFakePort(data, chunk)
	k, err := kiss.New(t.Context(), kiss.Config{Port: serial.PortConfig{Path: "fake"}, Settle: -1, TNC: tnc,
		QueueLen: 100, Open: func(serial.PortConfig) (serial.Port, error) { return port, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return k, port
}

// receiveAll feeds data to a fresh interface in chunks and returns every
// packet it delivers.
func receiveAll(t *testing.T, data []byte, chunk int) [][]byte {
	t.Helper()
	k, port := newFake(t, data, chunk, nil)
	got := make(chan [][]byte, 1)
	go func() {
		var pkts [][]byte
		buf := make([]byte, kiss.HWMTU)
		for {
			n, err := k.Receive(buf)
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
	k.Close()
	return <-got
}

// TestReference: the driver writes the TNC setup commands and data frames
// the reference writes, and delivers the packets the reference's reader
// delivers from the same byte stream.
func TestReference(t *testing.T) {
	pkts := serialtest.RefPackets(kiss.HWMTU)
	tnc := kiss.TNC{Preamble: 3 * time.Second, TXTail: 15 * time.Millisecond, Persistence: 300, SlotTime: 0}
	req := serialtest.RefRequest{TNC: map[string]int{"preamble": 3000, "txtail": 15, "persistence": 300, "slottime": 0}}
	// The stream to read: noise before the first frame, then the frames
	// back to back, with command frames and a frame for TNC port 1 among
	// them.
	stream := []byte{0x01, 0xdb, 0x02}
	for k, p := range pkts {
		req.Packets = append(req.Packets, hex.EncodeToString(p))
		switch k % 5 {
		case 1:
			stream = framing.AppendKISSTXDelay(stream, 300)
		case 2:
			stream = framing.AppendKISSFlowControl(stream)
		}
		cmd := byte(framing.KISSCmdData)
		if k%7 == 3 {
			cmd = 0x10
		}
		stream = framing.AppendKISS(stream, cmd, p)
	}
	req.KISSRead = hex.EncodeToString(stream)
	resp := serialtest.RunReference(t, req)

	k, port := newFake(t, nil, 1, &tnc)
	defer k.Close()
	if got := hex.EncodeToString(port.Written()); got != resp.KISSSetup {
		t.Fatalf("setup %s, reference %s", got, resp.KISSSetup)
	}
	want := resp.KISSSetup
	for _, p := range pkts {
		if err := k.Send(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range resp.KISSFrames {
		want += f
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(port.Written()) < len(want)/2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := hex.EncodeToString(port.Written()); got != want {
		t.Fatalf("wrote\n%s\nreference\n%s", got, want)
	}

	if len(resp.KISSRead) != len(pkts) {
		t.Fatalf("the reference read %d packets of %d", len(resp.KISSRead), len(pkts))
	}
	for _, chunk := range []int{1, 7, 4096} {
		got := receiveAll(t, stream, chunk)
		if len(got) != len(resp.KISSRead) {
			t.Fatalf("chunks of %d: read %d packets, the reference %d", chunk, len(got), len(resp.KISSRead))
		}
		for k := range got {
			if h := hex.EncodeToString(got[k]); h != resp.KISSRead[k] {
				t.Fatalf("chunks of %d, packet %d: %s, reference %s", chunk, k, h, resp.KISSRead[k])
			}
		}
	}
}
