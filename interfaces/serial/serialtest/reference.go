package serialtest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RefRequest is what refwire.py reads.
type RefRequest struct {
	TNC      map[string]int `json:"tnc"`
	Packets  []string       `json:"packets"`
	KISSRead string         `json:"kiss_read"`
	HDLCRead string         `json:"hdlc_read"`
}

// RefResponse is what refwire.py writes.
type RefResponse struct {
	KISSSetup  string   `json:"kiss_setup"`
	KISSFrames []string `json:"kiss_frames"`
	HDLCFrames []string `json:"hdlc_frames"`
	KISSRead   []string `json:"kiss_read"`
	HDLCRead   []string `json:"hdlc_read"`
}

// RunReference runs interfaces/serial/testdata/refwire.py, which drives
// the Python reference's own SerialInterface and KISSInterface code on a
// fake port, or skips the test without a reference.
func RunReference(t *testing.T, req RefRequest) RefResponse {
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
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command(python, filepath.Join(filepath.Dir(self), "..", "testdata", "refwire.py"))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+ref, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("refwire.py: %v\n%s", err, stderr.String())
	}
	var resp RefResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("refwire.py output %q: %v", out, err)
	}
	return resp
}

// RefPackets returns packets full of the bytes both framings escape.
func RefPackets(maxLen int) [][]byte {
	r := rand.New(rand.NewPCG(6, 564))
	special := []byte{0x7e, 0x7d, 0x5e, 0x5d, 0xc0, 0xdb, 0xdc, 0xdd}
	pkts := [][]byte{{0}, {0x7e}, {0x7d}, {0xc0}, {0xdb}, bytes.Repeat([]byte{0x7d, 0x7e}, maxLen/2)}
	for range 40 {
		p := make([]byte, 1+r.IntN(maxLen))
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
