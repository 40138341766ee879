package config

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"
)

// FuzzImportReticulum feeds arbitrary files to the importer. Besides not
// panicking, every file it accepts must survive Marshal and Decode
// unchanged and without warnings. The seeds are our own fixtures, the
// texts of the parser vectors and two small files.
func FuzzImportReticulum(f *testing.F) {
	for _, path := range fixtures {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for i, v := range loadVectors(f) {
		if i%4 == 0 {
			f.Add([]byte(v.Text))
		}
	}
	f.Add([]byte("[interfaces]\n [[M]]\n  type = RNodeMultiInterface\n  enabled = yes\n  port = /dev/x\n" +
		"  [[[a]]]\n   vport = 0\n   frequency = 1\n   bandwidth = 1\n   spreadingfactor = 7\n   codingrate = 5\n"))
	f.Add([]byte("[reticulum]\nrpc_key = %(k)s\nk = ab\n[interfaces]\n[[U]]\ntype = UDPInterface\nenabled = 1\ndevice = eth0\nport = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := ImportReticulum(bytes.NewReader(data), "fuzz")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *Error: %v", err)
			}
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an imported configuration: %v", err)
		}
		c2, warns, err := Decode(bytes.NewReader(out), "fuzz.toml")
		if err != nil {
			t.Fatalf("Decode of Marshal output: %v\n%s", err, out)
		}
		if len(warns) > 0 {
			t.Fatalf("Decode of Marshal output warns: %v\n%s", warns, out)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the configuration\n%s", out)
		}
	})
}

// FuzzDecode feeds arbitrary TOML to Decode. Every configuration it accepts
// must survive Marshal and Decode unchanged. The seeds are the output of
// Genconf and the TOML of our imported fixtures.
func FuzzDecode(f *testing.F) {
	f.Add(Genconf())
	for _, path := range fixtures {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		c, _, err := ImportReticulum(bytes.NewReader(data), path)
		if err != nil {
			f.Fatal(err)
		}
		out, err := c.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
	}
	f.Add([]byte("reticulum.shared_instance_port = 1\n[[interfaces]]\nname = \"a\"\ntype = \"UDPInterface\"\nport = 9\ndevice = 'x'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Decode(bytes.NewReader(data), "fuzz.toml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *Error: %v", err)
			}
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a decoded configuration: %v", err)
		}
		c2, _, err := Decode(bytes.NewReader(out), "fuzz2.toml")
		if err != nil {
			t.Fatalf("Decode of Marshal output: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the configuration\n%s", out)
		}
	})
}
