package daemon_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

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

// TestAnnounceRate: interface announce rate limits follow the reference's
// derivation, with the transport-node defaults.
func TestAnnounceRate(t *testing.T) {
	n := func(v int) *int { return &v }
	for _, c := range []struct {
		transport                 bool
		target, grace, penalty    *int
		dTarget, dPenalty         int
		dGrace                    *int
		wantT, wantG, wantPenalty int
	}{
		{transport: false, wantT: 0},
		{transport: true, wantT: 3600, wantG: 5, wantPenalty: 0},
		{transport: true, dTarget: 60, dPenalty: 7, dGrace: n(2), wantT: 60, wantG: 2, wantPenalty: 7},
		{transport: true, dGrace: n(0), wantT: 3600, wantG: 5}, // 0 means the built-in default
		{transport: true, target: n(120), wantT: 120, wantG: 0, wantPenalty: 0},
		{transport: false, target: n(120), grace: n(3), penalty: n(9), wantT: 120, wantG: 3, wantPenalty: 9},
		{transport: false, target: n(0), grace: n(3), wantT: 0},
		{transport: true, target: n(-1), grace: n(1), wantT: 3600, wantG: 1, wantPenalty: 0},
	} {
		r := config.Default().Reticulum
		r.EnableTransport, r.DefaultARTarget, r.DefaultARPenalty, r.DefaultARGrace = c.transport, c.dTarget, c.dPenalty, c.dGrace
		ic := config.NewInterface("x", config.TypeTCPClient)
		ic.AnnounceRateTarget, ic.AnnounceRateGrace, ic.AnnounceRatePenalty = c.target, c.grace, c.penalty
		tg, g, p := daemon.AnnounceRate(r, ic)
		if tg != time.Duration(c.wantT)*time.Second || g != c.wantG || p != time.Duration(c.wantPenalty)*time.Second {
			t.Errorf("%+v: got %v %d %v", c, tg, g, p)
		}
	}
}

// TestIngress: per-interface ic_* values win over the [reticulum]
// defaults; unset ones are left to transport's built-in defaults.
func TestIngress(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	r := config.Default().Reticulum
	r.ICBurstFreq = f(20)
	r.ICBurstHold = f(30)
	ic := config.NewInterface("x", config.TypeTCPClient)
	ic.ICBurstHold = f(2.5)
	n := 9
	ic.ICMaxHeldAnnounces = &n
	c := daemon.Ingress(r, ic)
	if c.Off || c.BurstFreq != 20 || c.BurstHold != 2500*time.Millisecond || c.MaxHeld != 9 || c.BurstFreqNew != 0 || c.NewTime != 0 {
		t.Errorf("%+v", c)
	}
	ic.IngressControl = false
	if !daemon.Ingress(r, ic).Off {
		t.Error("ingress_control = false not honoured")
	}
}
