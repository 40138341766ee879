package prim

import (
	"encoding/json"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
)

// FuzzCommands calls every primitive command with arbitrary parameters,
// without the dispatcher's panic recovery: bad input must come back as an
// error, never a panic.
func FuzzCommands(f *testing.F) {
	cmds := Commands()
	names := cmds.Names()
	for i := range names {
		f.Add(uint8(i), []byte(`{"data":"00ff","key":"","message":"01"}`))
	}
	f.Add(uint8(0), []byte(`{"seed":"`+hex64+`","private_key":"`+hex64+`"}`))
	f.Add(uint8(1), []byte(`{"raw":"0800aabbccddeeff00112233445566778899","length":-1,"frames":[1,"x",null]}`))
	f.Fuzz(func(t *testing.T, idx uint8, js []byte) {
		var p map[string]any
		if json.Unmarshal(js, &p) != nil {
			return
		}
		name := names[int(idx)%len(names)]
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("%s(%s) panicked: %v", name, js, v)
			}
		}()
		cmds[name](bridge.Params(p))
	})
}

const hex64 = "0102030405060708091011121314151617181920212223242526272829303132" +
	"0102030405060708091011121314151617181920212223242526272829303132"
