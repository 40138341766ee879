package daemon_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/internal/testutil"
)

const (
	hashA = "00112233445566778899aabbccddeeff"
	hashB = "ffeeddccbbaa99887766554433221100"
)

// TestResolvePosture: the [reticulum] knobs resolve as the reference reads
// them; identity hash lists are validated and deduplicated.
func TestResolvePosture(t *testing.T) {
	r := config.Default().Reticulum
	p, err := daemon.ResolvePosture(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.RemoteManagement || p.PanicOnInterfaceError || p.RespondToProbes || !p.UseImplicitProof ||
		len(p.BlackholeSources) != 0 || p.BlackholeSources == nil {
		t.Fatalf("defaults: %+v", p)
	}

	r.EnableRemoteManagement = true
	r.RemoteManagementAllowed = []string{hashA, hashB, hashA}
	r.BlackholeSources = []string{hashB, hashB}
	r.InterfaceDiscoverySources = []string{hashA}
	r.PanicOnInterfaceError = true
	r.UseImplicitProof = false
	if p, err = daemon.ResolvePosture(r); err != nil {
		t.Fatal(err)
	}
	hexes := func(l [][16]byte) (out []string) {
		for _, h := range l {
			out = append(out, hex.EncodeToString(h[:]))
		}
		return out
	}
	if got := hexes(p.RemoteManagementAllowed); len(got) != 2 || got[0] != hashA || got[1] != hashB {
		t.Errorf("remote_management_allowed %v", got)
	}
	if got := hexes(p.BlackholeSources); len(got) != 1 || got[0] != hashB {
		t.Errorf("blackhole_sources %v", got)
	}
	if got := hexes(p.InterfaceDiscoverySources); len(got) != 1 || got[0] != hashA {
		t.Errorf("interface_discovery_sources %v", got)
	}
	if !p.RemoteManagement || !p.PanicOnInterfaceError || p.UseImplicitProof {
		t.Errorf("knobs: %+v", p)
	}

	for _, bad := range []string{hashA[:30], "zz" + hashA[2:], hashA + "00"} {
		for _, set := range []func(*config.Reticulum, string){
			func(r *config.Reticulum, h string) { r.RemoteManagementAllowed = []string{h} },
			func(r *config.Reticulum, h string) { r.BlackholeSources = []string{hashA, h} },
			func(r *config.Reticulum, h string) { r.InterfaceDiscoverySources = []string{h} },
		} {
			r := config.Default().Reticulum
			set(&r, bad)
			if _, err := daemon.ResolvePosture(r); !errors.Is(err, config.ErrValue) {
				t.Errorf("%q accepted: %v", bad, err)
			}
		}
	}
}

// TestStartRemoteManagement: enable_remote_management registers the
// management destination, which the node then announces with its other
// management destinations; it is off by default.
func TestStartRemoteManagement(t *testing.T) {
	defer testutil.LeakCheck(t)()
	for _, on := range []bool{false, true} {
		c := config.Default()
		c.Interfaces = nil
		c.Reticulum.ShareInstance = false
		c.Reticulum.EnableRemoteManagement = on
		c.Reticulum.RemoteManagementAllowed = []string{hashA}
		d, err := daemon.Start(context.Background(), t.TempDir(), c, daemon.Options{NoControl: true})
		if err != nil {
			t.Fatal(err)
		}
		if (d.Remote != nil) != on || d.Posture.RemoteManagement != on {
			t.Errorf("remote management %v: Remote %v", on, d.Remote)
		}
		if on {
			found := false
			for _, m := range d.Node.ManagementDestinations() {
				found = found || m == d.Remote.Destination()
			}
			if !found {
				t.Error("remote management destination is not a management destination")
			}
		}
		d.Close()
	}
}
