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
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// refRequest is what refwire.py reads.
type refRequest struct {
	TNC      map[string]int `json:"tnc"`
	Packets  []string       `json:"packets"`
	KISSRead string         `json:"kiss_read"`
	HDLCRead string         `json:"hdlc_read"`
}

// refResponse is what refwire.py writes.
type refResponse struct {
	KISSSetup  string   `json:"kiss_setup"`
	KISSFrames []string `json:"kiss_frames"`
	HDLCFrames []string `json:"hdlc_frames"`
	KISSRead   []string `json:"kiss_read"`
	HDLCRead   []string `json:"hdlc_read"`
}

// runReference runs refwire.py, or skips the test without a reference.
func runReference(t *testing.T, req refRequest) refResponse {
	t.Helper()
	ref := os.Getenv("MEHR_RETICULUM_REF")
	if ref == "" {
		t.Skip("set MEHR_RETICULUM_REF to a Reticulum checkout to run against the Python reference")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join("testdata", "refwire.py"))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+ref, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("refwire.py: %v\n%s", err, stderr.String())
	}
	var resp refResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("refwire.py output %q: %v", out, err)
	}
	return resp
}

// refPackets returns packets full of the bytes both framings escape.
func refPackets() [][]byte {
	r := rand.New(rand.NewPCG(6, 564))
	special := []byte{0x7e, 0x7d, 0x5e, 0x5d, 0xc0, 0xdb, 0xdc, 0xdd}
	pkts := [][]byte{{0}, {0x7e}, {0x7d}, {0xc0}, {0xdb}, bytes.Repeat([]byte{0x7d, 0x7e}, serial.HWMTU/2)}
	for range 40 {
		p := make([]byte, 1+r.IntN(serial.HWMTU))
		for i := range p {
			if r.IntN(4) == 0 {
				p[i] = special[r.IntN(len(special))]
			} else {
				p[i] = byte(r.Uint32())
			}
		}
		pkts = append(pkts, p)
	}
	return pkts
}

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
	pkts := refPackets()
	req := refRequest{TNC: map[string]int{"preamble": 350, "txtail": 20, "persistence": 64, "slottime": 20}}
	// The stream to read: noise before the first frame, then the frames
	// back to back.
	stream := []byte{0x01, 0x7d, 0x02}
	for _, p := range pkts {
		req.Packets = append(req.Packets, hex.EncodeToString(p))
		stream = framing.AppendHDLC(stream, p)
	}
	req.HDLCRead = hex.EncodeToString(stream)
	resp := runReference(t, req)

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
