package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/proof"
	"github.com/mehr-net/mehr/rns/wire"
)

// Tables are culled this often (RNS.Transport.tables_cull_interval).
const cullInterval = 5 * time.Second

// routineJobs runs the periodic jobs until Close.
func (t *Transport) routineJobs() {
	defer t.wg.Done()
	tick := time.NewTicker(JobInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.RunJobs()
		}
	}
}

// RunJobs runs one round of the periodic jobs at the current time of
// Config.Now: announce retransmissions and queues, receipt timeouts and,
// every few seconds, table expiry. The job routine calls it every
// JobInterval; tests with Config.NoJobs call it themselves.
func (t *Transport) RunJobs() {
	var q sendQueue
	var expired []*Receipt
	now := t.now()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	if now.Sub(t.lastAnnounces) >= time.Second {
		t.announceJobsLocked(now, &q)
		t.lastAnnounces = now
	}
	t.announceQueuesLocked(now, &q)
	var released []releasedAnnounce
	if now.Sub(t.lastIfaceJobs) >= interfaceJobInterval {
		released = t.interfaceJobsLocked(now)
		t.lastIfaceJobs = now
	}
	for h, r := range t.receipts {
		if r.timedOut(now) {
			delete(t.receipts, h)
			expired = append(expired, r)
		}
	}
	if now.Sub(t.lastCulled) >= cullInterval {
		t.cullLocked(now)
		t.lastCulled = now
	}
	t.mu.Unlock()
	t.flush(&q)
	for _, r := range expired {
		r.expire()
	}
	for _, a := range released {
		t.Inbound(a.raw, a.in)
	}
}

// cullLocked expires stale entries of every table.
func (t *Transport) cullLocked(now time.Time) {
	for h, re := range t.reverse {
		if now.After(re.timestamp.Add(ReverseTimeout)) || !t.hasIface(re.received) || !t.hasIface(re.outbound) {
			delete(t.reverse, h)
		}
	}
	for h, le := range t.links {
		if le.validated {
			if now.After(le.timestamp.Add(LinkTimeout)) || !t.hasIface(le.nextIface) || !t.hasIface(le.received) {
				delete(t.links, h)
			}
		} else if now.After(le.proofTimeout) {
			delete(t.links, h)
		}
	}
	for h, pe := range t.paths {
		ttl := DestinationTimeout
		if pe.Interface != nil {
			switch pe.Interface.mode {
			case iface.ModeAccessPoint:
				ttl = APPathTime
			case iface.ModeRoaming:
				ttl = RoamingPathTime
			}
		}
		if now.After(pe.Timestamp.Add(ttl)) || (pe.Interface != nil && !t.hasIface(pe.Interface)) {
			delete(t.paths, h)
		}
	}
	for h, at := range t.pathRequests {
		if now.After(at.Add(PathRequestGateTimeout)) {
			delete(t.pathRequests, h)
		}
	}
	for h, d := range t.discoveryPRs {
		if now.After(d.timeout) {
			delete(t.discoveryPRs, h)
		}
	}
	t.cullTunnelsLocked(now)
	t.cullBlackholeLocked(now)
	for h, i := range t.pendingLocal {
		if !t.hasIface(i) {
			delete(t.pendingLocal, h)
		}
	}
	for h := range t.rates {
		// The reference keeps these for good; dropping them with their
		// paths bounds the table.
		if _, ok := t.paths[h]; !ok {
			delete(t.rates, h)
		}
	}
	for h := range t.unresponsive {
		if _, ok := t.paths[h]; !ok {
			delete(t.unresponsive, h)
		}
	}
}

// Register adds a local destination. Packets addressed to it are handed
// to its Receive method.
func (t *Transport) Register(d Destination) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.destinations[d.Hash()]; ok {
		return ErrRegistered
	}
	t.destinations[d.Hash()] = d
	return nil
}

// Deregister removes a local destination.
func (t *Transport) Deregister(h wire.Hash) {
	t.mu.Lock()
	delete(t.destinations, h)
	t.mu.Unlock()
}

// ImplicitProofs reports whether Prove sends implicit proofs (the
// reference's should_use_implicit_proof).
func (t *Transport) ImplicitProofs() bool { return !t.explicitProofs.Load() }

// SetImplicitProofs switches between implicit and explicit proofs for the
// proofs Prove sends from now on.
func (t *Transport) SetImplicitProofs(implicit bool) { t.explicitProofs.Store(!implicit) }

// Prove sends the proof of a received packet, signed by signer, back on
// the interface it arrived on (Identity.prove): implicit, the reference's
// default, unless Config.ExplicitProofs or SetImplicitProofs(false) asked
// for explicit proofs.
func (t *Transport) Prove(p *Packet, signer *identity.Identity) error {
	raw, err := proof.Append(nil, p.Hash, signer, !t.explicitProofs.Load())
	if err != nil {
		return err
	}
	_, err = t.Send(raw, p.Interface)
	return err
}
