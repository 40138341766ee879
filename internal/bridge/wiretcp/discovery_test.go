package wiretcp

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestDiscoveryAutoconnectGate: the daemon's auto-connect refuses the
// records the reference refuses, adding no interface, and keys endpoints
// by SHA-256 of "host:port".
func TestDiscoveryAutoconnectGate(t *testing.T) {
	defer testutil.LeakCheck(t)()
	f := New()
	defer f.Close()
	r := f.Commands()
	h := call(t, r, "wire_start_tcp_server", bridge.Params{})["handle"]
	res := call(t, r, "wire_discovery_autoconnect_gate", bridge.Params{"handle": h})
	for _, c := range []string{"wrong_type", "tcp_client", "i2p", "yggdrasil"} {
		if m, _ := res[c].(bridge.Result); m == nil || m["interfaces_added"] != 0 {
			t.Errorf("%s: %v", c, res[c])
		}
	}
	sum := sha256.Sum256([]byte(res["endpoint_spec"].(string)))
	if res["endpoint_hash"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("endpoint hash %v", res)
	}
}
