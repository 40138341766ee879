package daemon

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
)

// Posture is the instance-wide behaviour a configuration's [reticulum]
// section resolves to: what the reference's Reticulum accessors
// (transport_enabled, probe_destination_enabled, remote_management_enabled,
// should_use_implicit_proof, ...) report once the configuration is read.
type Posture struct {
	TransportEnabled bool
	// RespondToProbes is the respond_to_probes knob; the probe responder
	// itself is registered on transport nodes only, as in the reference.
	RespondToProbes  bool
	RemoteManagement bool
	// RemoteManagementAllowed, BlackholeSources and
	// InterfaceDiscoverySources are identity hashes, in the order
	// configured, each once.
	RemoteManagementAllowed [][identity.HashLen]byte
	UseImplicitProof        bool
	LinkMTUDiscovery        bool
	// PanicOnInterfaceError makes an interface that fails for good end
	// the process instead of leaving the node running without it.
	PanicOnInterfaceError     bool
	BlackholeSources          [][identity.HashLen]byte
	InterfaceDiscoverySources [][identity.HashLen]byte
}

// ResolvePosture reads the posture from r. An identity hash list with an
// entry that is not 32 hexadecimal characters is an error, as it stops
// the reference at start-up; a hash listed twice is kept once.
func ResolvePosture(r config.Reticulum) (Posture, error) {
	p := Posture{
		TransportEnabled:      r.EnableTransport,
		RespondToProbes:       r.RespondToProbes,
		RemoteManagement:      r.EnableRemoteManagement,
		UseImplicitProof:      r.UseImplicitProof,
		LinkMTUDiscovery:      r.LinkMTUDiscovery,
		PanicOnInterfaceError: r.PanicOnInterfaceError,
	}
	var err error
	if p.RemoteManagementAllowed, err = hashList("remote_management_allowed", r.RemoteManagementAllowed); err != nil {
		return p, err
	}
	if p.BlackholeSources, err = hashList("blackhole_sources", r.BlackholeSources); err != nil {
		return p, err
	}
	if p.InterfaceDiscoverySources, err = hashList("interface_discovery_sources", r.InterfaceDiscoverySources); err != nil {
		return p, err
	}
	return p, nil
}

// hashList parses identity hashes, dropping repeats. The result is never
// nil.
func hashList(key string, l []string) ([][identity.HashLen]byte, error) {
	out := [][identity.HashLen]byte{}
	seen := map[[identity.HashLen]byte]bool{}
	for _, s := range l {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != identity.HashLen {
			return nil, fmt.Errorf("%w: %s: %q is not an identity hash of %d hexadecimal characters",
				config.ErrValue, key, s, 2*identity.HashLen)
		}
		h := [identity.HashLen]byte(b)
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out, nil
}

// AnnounceRate returns the announce rate limits of interface ic, as the
// reference derives them: the interface's own announce_rate_target (when
// above zero), with its grace and penalty or 0; on a transport node an
// interface without a target gets default_ar_target, _penalty and _grace
// from the [reticulum] section, where 0 (or unset) means the built-in
// defaults (transport.DefaultAnnounceRateTarget, ...), as in the
// reference. A zero target means no limit.
func AnnounceRate(r config.Reticulum, ic config.Interface) (target time.Duration, grace int, penalty time.Duration) {
	var t, g, p *int
	if ic.AnnounceRateTarget != nil && *ic.AnnounceRateTarget > 0 {
		t = ic.AnnounceRateTarget
	}
	if ic.AnnounceRateGrace != nil && *ic.AnnounceRateGrace >= 0 {
		g = ic.AnnounceRateGrace
	}
	if ic.AnnounceRatePenalty != nil && *ic.AnnounceRatePenalty >= 0 {
		p = ic.AnnounceRatePenalty
	}
	zero := 0
	if t != nil && g == nil {
		g = &zero
	}
	if t != nil && p == nil {
		p = &zero
	}
	if r.EnableTransport {
		if t == nil {
			v := int(transport.DefaultAnnounceRateTarget / time.Second)
			if r.DefaultARTarget > 0 {
				v = r.DefaultARTarget
			}
			t = &v
		}
		if p == nil {
			v := int(transport.DefaultAnnounceRatePenalty / time.Second)
			if r.DefaultARPenalty > 0 {
				v = r.DefaultARPenalty
			}
			p = &v
		}
		if g == nil {
			v := transport.DefaultAnnounceRateGrace
			if r.DefaultARGrace != nil && *r.DefaultARGrace > 0 {
				v = *r.DefaultARGrace
			}
			g = &v
		}
	}
	if t == nil {
		return 0, 0, 0
	}
	return time.Duration(*t) * time.Second, *g, time.Duration(*p) * time.Second
}

// Ingress returns the ingress control settings of interface ic: its own
// ic_* values, else the [reticulum] defaults, else the built-in ones.
func Ingress(r config.Reticulum, ic config.Interface) transport.IngressControl {
	secs := func(own, def *float64) time.Duration {
		for _, v := range []*float64{own, def} {
			if v != nil && *v > 0 {
				return time.Duration(*v * float64(time.Second))
			}
		}
		return 0 // transport's default
	}
	freq := func(own, def *float64) float64 {
		for _, v := range []*float64{own, def} {
			if v != nil && *v > 0 {
				return *v
			}
		}
		return 0
	}
	c := transport.IngressControl{
		Off:                 !ic.IngressControl,
		BurstFreqNew:        freq(ic.ICBurstFreqNew, r.ICBurstFreqNew),
		BurstFreq:           freq(ic.ICBurstFreq, r.ICBurstFreq),
		BurstHold:           secs(ic.ICBurstHold, r.ICBurstHold),
		BurstPenalty:        secs(ic.ICBurstPenalty, r.ICBurstPenalty),
		HeldReleaseInterval: secs(ic.ICHeldReleaseInterval, r.ICHeldReleaseInterval),
		NewTime:             secs(ic.ICNewTime, r.ICNewTime),
	}
	for _, v := range []*int{ic.ICMaxHeldAnnounces, r.ICMaxHeldAnnounces} {
		if v != nil && *v > 0 {
			c.MaxHeld = *v
			break
		}
	}
	return c
}
