package sdk

import (
	"strings"
	"testing"
)

func TestConfigDecode(t *testing.T) {
	c := &Config{Name: "radio", TOML: []byte(`name = "radio"
type = "MyRadioInterface"
mode = "full"
frequency = 868000000
stations = ["a", "b"]
`)}
	var o struct {
		Frequency int64    `toml:"frequency"`
		Stations  []string `toml:"stations"`
	}
	if err := c.Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.Frequency != 868000000 || len(o.Stations) != 2 {
		t.Fatalf("decoded %+v", o)
	}
	var wrong struct {
		Frequency string `toml:"frequency"`
	}
	if err := c.Decode(&wrong); err == nil || !strings.Contains(err.Error(), `"radio"`) {
		t.Fatalf("type mismatch: %v", err)
	}
	c.Logf("no logger: %d", 1) // must not panic
}
