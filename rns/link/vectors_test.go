package link_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rns/wire/wiretest"
	"github.com/mehr-net/mehr/vectors"
)

// entry is a transcript entry (vectors/reticulum/README.md).
type entry = wiretest.Entry

type handshakeVector struct {
	Description string `json:"description"`
	Inputs      struct {
		DestinationHash         vectors.Hex `json:"destination_hash"`
		DestinationPublicKey    vectors.Hex `json:"destination_public_key"`
		DestinationPrivateKey   vectors.Hex `json:"destination_private_key"`
		InitiatorX25519Private  vectors.Hex `json:"initiator_x25519_private"`
		InitiatorEd25519Private vectors.Hex `json:"initiator_ed25519_private"`
		ResponderX25519Private  vectors.Hex `json:"responder_x25519_private"`
		RequestTime             float64     `json:"request_time"`
		ProofReceivedTime       float64     `json:"proof_received_time"`
		RTTReceivedTime         float64     `json:"rtt_received_time"`
	} `json:"inputs"`
	Expected struct {
		InitiatorX25519Public      vectors.Hex     `json:"initiator_x25519_public"`
		InitiatorEd25519Public     vectors.Hex     `json:"initiator_ed25519_public"`
		ResponderX25519Public      vectors.Hex     `json:"responder_x25519_public"`
		ResponderEd25519Public     vectors.Hex     `json:"responder_ed25519_public"`
		LinkRequest                wiretest.Record `json:"link_request"`
		LinkRequestSignallingBytes vectors.Hex     `json:"link_request_signalling_bytes"`
		HashableFull               vectors.Hex     `json:"link_id_hashable_part_full"`
		HashableTrimmed            vectors.Hex     `json:"link_id_hashable_part_trimmed"`
		LinkID                     vectors.Hex     `json:"link_id"`
		ResponderLinkID            vectors.Hex     `json:"responder_link_id"`
		LRProof                    wiretest.Record `json:"lrproof"`
		LRProofSignedData          vectors.Hex     `json:"lrproof_signed_data"`
		LRProofSignature           vectors.Hex     `json:"lrproof_signature"`
		LRProofSignatureValid      bool            `json:"lrproof_signature_valid"`
		SharedSecret               vectors.Hex     `json:"shared_secret"`
		SharedSecretResponder      vectors.Hex     `json:"shared_secret_responder"`
		HKDFSalt                   vectors.Hex     `json:"hkdf_salt"`
		DerivedKey                 vectors.Hex     `json:"derived_key"`
		DerivedKeyResponder        vectors.Hex     `json:"derived_key_responder"`
		TokenSigningKey            vectors.Hex     `json:"token_signing_key"`
		TokenEncryptionKey         vectors.Hex     `json:"token_encryption_key"`
		RTTPacket                  entry           `json:"rtt_packet"`
		RTTPlaintextDecoded        float64         `json:"rtt_plaintext_decoded"`
		InitiatorRTT               float64         `json:"initiator_rtt"`
		ResponderRTT               float64         `json:"responder_rtt"`
		LinkMTU                    int             `json:"link_mtu"`
		LinkMDU                    int             `json:"link_mdu"`
		Mode                       int             `json:"mode"`
		InitiatorStatus            int             `json:"initiator_status"`
		ResponderStatus            int             `json:"responder_status"`
		KeepaliveInitiator         float64         `json:"keepalive_interval_initiator"`
	} `json:"expected"`
}

// tree counts the leaves of one object section so that each checked leaf
// is reported to the vector set (vectors.Load counts every leaf value).
type tree struct {
	s       *vectors.Set
	section string
	root    any
}

func newTree(t *testing.T, s *vectors.Set, section string) *tree {
	t.Helper()
	var root any
	s.Section(t, section, &root)
	return &tree{s: s, section: section, root: root}
}

func leaves(x any) int {
	m, ok := x.(map[string]any)
	if !ok {
		return 1
	}
	n := 0
	for _, e := range m {
		n += leaves(e)
	}
	return n
}

// use records every leaf under path as checked.
func (tr *tree) use(t *testing.T, path ...string) {
	t.Helper()
	x := tr.root
	for _, p := range path {
		m, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("%s: no object at %v", tr.section, path)
		}
		if x, ok = m[p]; !ok {
			t.Fatalf("%s: no field %v", tr.section, path)
		}
	}
	for range leaves(x) {
		tr.s.Use(tr.section)
	}
}

func eq(t *testing.T, name string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", name, got, want)
	}
}

func mustID(t *testing.T, priv ...[]byte) *identity.Identity {
	t.Helper()
	id, err := identity.FromPrivateKey(bytes.Join(priv, nil))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func hashOf(t *testing.T, b []byte) wire.Hash {
	t.Helper()
	if len(b) != wire.HashLen {
		t.Fatalf("hash %x has %d bytes", b, len(b))
	}
	return wire.Hash(b)
}

// peers is the state of one established link as both sides see it.
type peers struct {
	id          wire.Hash
	initiator   *identity.Identity // ephemeral X25519 + Ed25519 keys
	responder   *identity.Identity // ephemeral X25519 key + destination signing key
	destination *identity.Identity
	session     *link.Session
	request     []byte
	proof       []byte
}

// checkEntry checks one transcript entry: the packet record, that our
// session rebuilds the exact bytes, that decryption yields the plaintext
// and that packet proofs validate against the earlier packets.
func checkEntry(t *testing.T, name string, pr *peers, e *entry, sent map[[32]byte]string) {
	t.Helper()
	var built []byte
	var p wire.Packet
	if err := p.Decode(e.Packet.Raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if e.Direction != "initiator->responder" && e.Direction != "responder->initiator" {
		t.Errorf("%s: direction %q", name, e.Direction)
	}
	if got := link.Encrypted(p.PacketType, p.Context); got != e.Encrypted {
		t.Errorf("%s: encrypted %v, want %v", name, got, e.Encrypted)
	}
	switch {
	case e.Step == "link_request":
		built = pr.request
	case e.Step == "lrproof":
		built = pr.proof
	case e.Encrypted:
		pt, err := pr.session.Open(nil, &p)
		if err != nil {
			t.Fatalf("%s: open: %v", name, err)
		}
		eq(t, name+" plaintext", pt, e.Plaintext)
		eq(t, name+" iv", p.Data[:identity.TokenIVLen], e.IV)
		built = pr.session.AppendPacket(nil, p.PacketType, p.Context, [16]byte(e.IV), e.Plaintext)
	case p.PacketType == wire.Proof && p.Context == wire.ContextNone:
		prover, verifier := pr.initiator, pr.initiator
		if e.Direction == "responder->initiator" {
			prover, verifier = pr.destination, pr.destination
		}
		h := [32]byte(p.Data[:32])
		if _, ok := sent[h]; !ok {
			t.Errorf("%s: proves no earlier packet", name)
		}
		ok := link.ValidatePacketProof(p.Data, h, verifier) == nil
		if e.ProofValidatedByReceiver == nil || *e.ProofValidatedByReceiver != ok {
			t.Errorf("%s: proof validates %v, want %v", name, ok, e.ProofValidatedByReceiver)
		}
		var err error
		payload, err := link.AppendPacketProof(nil, h, prover)
		if err != nil {
			t.Fatal(err)
		}
		built = pr.session.AppendPacket(nil, wire.Proof, wire.ContextNone, [16]byte{}, payload)
	default: // unencrypted link DATA, such as keepalives
		if p.Context == wire.ContextKeepalive {
			want := byte(link.KeepaliveRequest)
			if e.Direction == "responder->initiator" {
				want = link.KeepaliveReply
			}
			if len(p.Data) != 1 || p.Data[0] != want {
				t.Errorf("%s: keepalive payload %x, want %02x", name, p.Data, want)
			}
		}
		pt, err := pr.session.Open(nil, &p)
		if err != nil {
			t.Fatalf("%s: open: %v", name, err)
		}
		built = pr.session.AppendPacket(nil, p.PacketType, p.Context, [16]byte{}, pt)
	}
	wiretest.Check(t, name, &e.Packet, built)
	if e.Step != "link_request" && e.Step != "lrproof" && e.Step != "" {
		if p.Destination != pr.id || p.DestType != wire.Link {
			t.Errorf("%s: not addressed to the link", name)
		}
	}
	sent[p.Hash()] = e.Step
}

func TestLinkVectors(t *testing.T) {
	s := vectors.Load(t, "link.json")
	pr := checkHandshake(t, s)
	sent := map[[32]byte]string{}
	checkTranscript(t, s, pr, sent)
	checkIdentify(t, s, pr)
	checkClose(t, s, pr, sent)
	checkLegacy(t, s)
	checkSignalling(t, s)
	checkMTUHandshakes(t, s)
	var ignored []json.RawMessage
	s.Section(t, "ignored_non_link_frames", &ignored)
	if len(ignored) != 0 {
		t.Errorf("%d non-link frames", len(ignored))
	}
}

func checkHandshake(t *testing.T, s *vectors.Set) *peers {
	const sec = "handshake"
	tr := newTree(t, s, sec)
	var v handshakeVector
	s.Section(t, sec, &v)
	in, ex := &v.Inputs, &v.Expected
	if v.Description == "" {
		t.Error("no description")
	}
	tr.use(t, "description")

	dest := mustID(t, in.DestinationPrivateKey)
	pub := dest.PublicKey()
	eq(t, "destination public key", pub[:], in.DestinationPublicKey)
	tr.use(t, "inputs", "destination_public_key")
	tr.use(t, "inputs", "destination_private_key")
	ini := mustID(t, in.InitiatorX25519Private, in.InitiatorEd25519Private)
	tr.use(t, "inputs", "initiator_x25519_private")
	tr.use(t, "inputs", "initiator_ed25519_private")
	resp := mustID(t, in.ResponderX25519Private, in.DestinationPrivateKey[32:])
	tr.use(t, "inputs", "responder_x25519_private")
	ix, ie, rx, re := ini.X25519Public(), ini.Ed25519Public(), resp.X25519Public(), dest.Ed25519Public()
	eq(t, "initiator x25519", ix[:], ex.InitiatorX25519Public)
	eq(t, "initiator ed25519", ie[:], ex.InitiatorEd25519Public)
	eq(t, "responder x25519", rx[:], ex.ResponderX25519Public)
	eq(t, "responder ed25519", re[:], ex.ResponderEd25519Public)
	for _, f := range []string{"initiator_x25519_public", "initiator_ed25519_public", "responder_x25519_public", "responder_ed25519_public"} {
		tr.use(t, "expected", f)
	}

	// Link request.
	payload, err := link.AppendRequest(nil, ix, ie, wire.MTU, link.ModeDefault)
	if err != nil {
		t.Fatal(err)
	}
	destHash := hashOf(t, in.DestinationHash)
	tr.use(t, "inputs", "destination_hash")
	reqRaw := link.AppendRequestPacket(nil, destHash, payload)
	rp := wiretest.Check(t, "link_request", &ex.LinkRequest, reqRaw)
	tr.use(t, "expected", "link_request")
	eq(t, "request signalling", wire.LinkRequestSignalling(rp.Data), ex.LinkRequestSignallingBytes)
	tr.use(t, "expected", "link_request_signalling_bytes")
	full, _ := wire.AppendHashablePart(nil, reqRaw)
	eq(t, "hashable full", full, ex.HashableFull)
	eq(t, "hashable trimmed", full[:len(full)-wire.SignallingLen], ex.HashableTrimmed)
	tr.use(t, "expected", "link_id_hashable_part_full")
	tr.use(t, "expected", "link_id_hashable_part_trimmed")
	id, err := link.ID(reqRaw)
	if err != nil {
		t.Fatal(err)
	}
	trunc := identity.TruncatedHash(ex.HashableTrimmed)
	eq(t, "link id", id[:], ex.LinkID)
	eq(t, "link id from trimmed", trunc[:], ex.LinkID)
	tr.use(t, "expected", "link_id")

	// Responder side: parse the request as received.
	req, err := link.ParseRequest(ex.LinkRequest.Data)
	if err != nil {
		t.Fatal(err)
	}
	if req.X25519 != ix || req.Ed25519 != ie || !req.Signalling {
		t.Errorf("parsed request %+v", req)
	}
	rid, _ := link.ID(ex.LinkRequest.Raw)
	eq(t, "responder link id", rid[:], ex.ResponderLinkID)
	tr.use(t, "expected", "responder_link_id")

	proofPayload, err := link.AppendProof(nil, rid, rx, dest, req.MTU, req.Mode)
	if err != nil {
		t.Fatal(err)
	}
	proofRaw := link.AppendProofPacket(nil, rid, proofPayload)
	pp := wiretest.Check(t, "lrproof", &ex.LRProof, proofRaw)
	tr.use(t, "expected", "lrproof")
	signed := link.AppendProofSignedData(nil, id, rx, re, wire.LinkProofSignalling(pp.Data))
	eq(t, "lrproof signed data", signed, ex.LRProofSignedData)
	tr.use(t, "expected", "lrproof_signed_data")
	eq(t, "lrproof signature", pp.Data[:link.SigLen], ex.LRProofSignature)
	tr.use(t, "expected", "lrproof_signature")

	// Initiator side: validate the proof.
	destPub, _ := identity.FromPublicKey(in.DestinationPublicKey)
	proof, err := link.ValidateProof(pp.Data, id, destPub, link.ModeDefault)
	if (err == nil) != ex.LRProofSignatureValid {
		t.Errorf("lrproof validates: %v, want %v", err, ex.LRProofSignatureValid)
	}
	tr.use(t, "expected", "lrproof_signature_valid")
	if proof.X25519 != rx {
		t.Errorf("proof responder key %x", proof.X25519)
	}
	if proof.MTU != ex.LinkMTU || req.MTU != ex.LinkMTU {
		t.Errorf("link mtu %d/%d, want %d", proof.MTU, req.MTU, ex.LinkMTU)
	}
	tr.use(t, "expected", "link_mtu")
	if link.MDU(proof.MTU) != ex.LinkMDU || link.MDU(wire.MTU) != wire.LinkMDU {
		t.Errorf("link mdu %d, want %d", link.MDU(proof.MTU), ex.LinkMDU)
	}
	tr.use(t, "expected", "link_mdu")
	if int(proof.Mode) != ex.Mode || int(req.Mode) != ex.Mode {
		t.Errorf("mode %d/%d, want %d", proof.Mode, req.Mode, ex.Mode)
	}
	tr.use(t, "expected", "mode")

	// Keys.
	shared, err := ini.ECDH(proof.X25519[:])
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "shared secret", shared[:], ex.SharedSecret)
	tr.use(t, "expected", "shared_secret")
	sharedR, err := resp.ECDH(req.X25519[:])
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "shared secret responder", sharedR[:], ex.SharedSecretResponder)
	tr.use(t, "expected", "shared_secret_responder")
	eq(t, "hkdf salt", id[:], ex.HKDFSalt)
	tr.use(t, "expected", "hkdf_salt")
	key, err := link.DeriveKey(shared, id, proof.Mode)
	if err != nil {
		t.Fatal(err)
	}
	keyR, _ := link.DeriveKey(sharedR, rid, req.Mode)
	eq(t, "derived key", key, ex.DerivedKey)
	eq(t, "derived key responder", keyR, ex.DerivedKeyResponder)
	eq(t, "token signing key", key[:32], ex.TokenSigningKey)
	eq(t, "token encryption key", key[32:], ex.TokenEncryptionKey)
	for _, f := range []string{"derived_key", "derived_key_responder", "token_signing_key", "token_encryption_key"} {
		tr.use(t, "expected", f)
	}
	sess, err := link.NewSession(id, key)
	if err != nil {
		t.Fatal(err)
	}
	pr := &peers{id: id, initiator: ini, responder: resp, destination: dest, session: sess, request: reqRaw, proof: proofRaw}

	// RTT.
	rtt := in.ProofReceivedTime - in.RequestTime
	tr.use(t, "inputs", "request_time")
	tr.use(t, "inputs", "proof_received_time")
	if rtt != ex.InitiatorRTT {
		t.Errorf("initiator rtt %v, want %v", rtt, ex.InitiatorRTT)
	}
	tr.use(t, "expected", "initiator_rtt")
	eq(t, "rtt plaintext", link.AppendRTT(nil, rtt), ex.RTTPacket.Plaintext)
	checkEntry(t, "rtt_packet", pr, &ex.RTTPacket, map[[32]byte]string{})
	tr.use(t, "expected", "rtt_packet")
	got, err := link.ParseRTT(ex.RTTPacket.Plaintext)
	if err != nil || got != ex.RTTPlaintextDecoded {
		t.Errorf("rtt decoded %v %v, want %v", got, err, ex.RTTPlaintextDecoded)
	}
	tr.use(t, "expected", "rtt_plaintext_decoded")
	// The responder takes the larger of its own measurement (since it sent
	// the proof) and the initiator's.
	if r := math.Max(in.RTTReceivedTime-in.RequestTime, got); r != ex.ResponderRTT {
		t.Errorf("responder rtt %v, want %v", r, ex.ResponderRTT)
	}
	tr.use(t, "inputs", "rtt_received_time")
	tr.use(t, "expected", "responder_rtt")
	if ex.InitiatorStatus != int(link.StatusActive) || ex.ResponderStatus != int(link.StatusActive) {
		t.Errorf("statuses %d %d", ex.InitiatorStatus, ex.ResponderStatus)
	}
	tr.use(t, "expected", "initiator_status")
	tr.use(t, "expected", "responder_status")
	ka := link.Keepalive(time.Duration(rtt * float64(time.Second)))
	if math.Abs(ka.Seconds()-ex.KeepaliveInitiator) > 1e-9 {
		t.Errorf("keepalive %v, want %v", ka.Seconds(), ex.KeepaliveInitiator)
	}
	tr.use(t, "expected", "keepalive_interval_initiator")
	return pr
}

func checkTranscript(t *testing.T, s *vectors.Set, pr *peers, sent map[[32]byte]string) {
	var es []entry
	s.Section(t, "transcript", &es)
	var obs struct {
		PacketsReceived []vectors.Hex `json:"packets_received"`
		Identified      []vectors.Hex `json:"identified"`
	}
	s.Section(t, "responder_observations", &obs)
	var received, identified [][]byte
	for i := range es {
		e := &es[i]
		checkEntry(t, fmt.Sprintf("transcript[%d] %s", i, e.Step), pr, e, sent)
		if e.Direction == "initiator->responder" && e.Packet.Context == int(wire.ContextNone) && e.Packet.Flags.PacketType == int(wire.Data) {
			received = append(received, e.Plaintext)
		}
		if e.Packet.Context == int(wire.ContextLinkIdentify) {
			who, err := link.ParseIdentify(e.Plaintext, pr.id)
			if err != nil {
				t.Errorf("identify: %v", err)
			} else {
				h := who.Hash()
				identified = append(identified, h[:])
			}
		}
		s.Use("transcript")
	}
	if !sameBytes(received, obs.PacketsReceived) {
		t.Errorf("received %x, want %x", received, obs.PacketsReceived)
	}
	s.Use("responder_observations")
	if !sameBytes(identified, obs.Identified) {
		t.Errorf("identified %x, want %x", identified, obs.Identified)
	}
	s.Use("responder_observations")
}

func checkIdentify(t *testing.T, s *vectors.Set, pr *peers) {
	const sec = "identify"
	tr := newTree(t, s, sec)
	var v struct {
		Description string `json:"description"`
		Inputs      struct {
			IdentityPrivateKey vectors.Hex `json:"identity_private_key"`
			LinkID             vectors.Hex `json:"link_id"`
		} `json:"inputs"`
		Expected struct {
			Plaintext    vectors.Hex `json:"plaintext"`
			SignedData   vectors.Hex `json:"signed_data"`
			Signature    vectors.Hex `json:"signature"`
			LearnedIdent vectors.Hex `json:"responder_learned_identity_hash"`
		} `json:"expected"`
	}
	s.Section(t, sec, &v)
	if v.Description == "" {
		t.Error("no description")
	}
	tr.use(t, "description")
	who := mustID(t, v.Inputs.IdentityPrivateKey)
	tr.use(t, "inputs", "identity_private_key")
	id := hashOf(t, v.Inputs.LinkID)
	if id != pr.id {
		t.Errorf("identify link id %x", id)
	}
	tr.use(t, "inputs", "link_id")
	pt, err := link.AppendIdentify(nil, id, who)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "identify plaintext", pt, v.Expected.Plaintext)
	tr.use(t, "expected", "plaintext")
	eq(t, "identify signed data", link.AppendIdentifySignedData(nil, id, who.PublicKey()), v.Expected.SignedData)
	tr.use(t, "expected", "signed_data")
	eq(t, "identify signature", pt[identity.KeySize:], v.Expected.Signature)
	tr.use(t, "expected", "signature")
	learned, err := link.ParseIdentify(v.Expected.Plaintext, id)
	if err != nil {
		t.Fatal(err)
	}
	h := learned.Hash()
	eq(t, "learned identity", h[:], v.Expected.LearnedIdent)
	tr.use(t, "expected", "responder_learned_identity_hash")
	if _, err := link.ParseIdentify(v.Expected.Plaintext, wire.Hash{}); err == nil {
		t.Error("identify for another link accepted")
	}
}

func checkClose(t *testing.T, s *vectors.Set, pr *peers, sent map[[32]byte]string) {
	const sec = "close"
	tr := newTree(t, s, sec)
	var v struct {
		Description string `json:"description"`
		Inputs      struct {
			LinkID vectors.Hex `json:"link_id"`
		} `json:"inputs"`
		Expected struct {
			Packet          entry `json:"packet"`
			PlaintextIsID   bool  `json:"plaintext_equals_link_id"`
			ResponderStatus int   `json:"responder_status_after"`
			InitiatorStatus int   `json:"initiator_status_after"`
			ResponderReason int   `json:"responder_teardown_reason"`
		} `json:"expected"`
	}
	s.Section(t, sec, &v)
	if v.Description == "" {
		t.Error("no description")
	}
	tr.use(t, "description")
	id := hashOf(t, v.Inputs.LinkID)
	if id != pr.id {
		t.Errorf("close link id %x", id)
	}
	tr.use(t, "inputs", "link_id")
	checkEntry(t, "close", pr, &v.Expected.Packet, sent)
	if v.Expected.Packet.Packet.Context != int(wire.ContextLinkClose) {
		t.Errorf("close context %d", v.Expected.Packet.Packet.Context)
	}
	tr.use(t, "expected", "packet")
	if link.IsClose(v.Expected.Packet.Plaintext, id) != v.Expected.PlaintextIsID || link.IsClose(v.Expected.Packet.Plaintext, wire.Hash{}) {
		t.Error("close plaintext")
	}
	tr.use(t, "expected", "plaintext_equals_link_id")
	// The initiator closed the link: both sides end CLOSED, and the
	// responder records INITIATOR_CLOSED.
	if v.Expected.ResponderStatus != int(link.StatusClosed) || v.Expected.InitiatorStatus != int(link.StatusClosed) {
		t.Errorf("statuses after close %d %d", v.Expected.ResponderStatus, v.Expected.InitiatorStatus)
	}
	tr.use(t, "expected", "responder_status_after")
	tr.use(t, "expected", "initiator_status_after")
	if v.Expected.ResponderReason != int(link.ReasonInitiatorClosed) {
		t.Errorf("teardown reason %d", v.Expected.ResponderReason)
	}
	tr.use(t, "expected", "responder_teardown_reason")
}

func checkLegacy(t *testing.T, s *vectors.Set) {
	const sec = "legacy_request"
	tr := newTree(t, s, sec)
	var v struct {
		Description string `json:"description"`
		Inputs      struct {
			InitiatorX25519Private  vectors.Hex `json:"initiator_x25519_private"`
			InitiatorEd25519Private vectors.Hex `json:"initiator_ed25519_private"`
			ResponderX25519Private  vectors.Hex `json:"responder_x25519_private"`
			DestinationPrivateKey   vectors.Hex `json:"destination_private_key"`
		} `json:"inputs"`
		Expected struct {
			LinkRequest     wiretest.Record `json:"link_request"`
			LinkID          vectors.Hex     `json:"link_id"`
			LinkIDCheck     vectors.Hex     `json:"link_id_check"`
			LRProof         wiretest.Record `json:"lrproof"`
			ResponderMTU    int             `json:"responder_link_mtu"`
			SignedData      vectors.Hex     `json:"lrproof_signed_data"`
			SharedSecret    vectors.Hex     `json:"shared_secret"`
			DerivedKey      vectors.Hex     `json:"derived_key"`
			DerivedKeyCheck vectors.Hex     `json:"derived_key_check"`
		} `json:"expected"`
	}
	s.Section(t, sec, &v)
	in, ex := &v.Inputs, &v.Expected
	if v.Description == "" {
		t.Error("no description")
	}
	tr.use(t, "description")
	dest := mustID(t, in.DestinationPrivateKey)
	ini := mustID(t, in.InitiatorX25519Private, in.InitiatorEd25519Private)
	resp := mustID(t, in.ResponderX25519Private, in.DestinationPrivateKey[32:])
	for _, f := range []string{"initiator_x25519_private", "initiator_ed25519_private", "responder_x25519_private", "destination_private_key"} {
		tr.use(t, "inputs", f)
	}
	ix, ie := ini.X25519Public(), ini.Ed25519Public()
	payload := append(ix[:], ie[:]...)
	reqRaw := link.AppendRequestPacket(nil, wire.Hash(ex.LinkRequest.DestinationHash), payload)
	wiretest.Check(t, "legacy link_request", &ex.LinkRequest, reqRaw)
	tr.use(t, "expected", "link_request")
	id, _ := link.ID(reqRaw)
	eq(t, "legacy link id", id[:], ex.LinkID)
	tr.use(t, "expected", "link_id")
	// Without signalling the link ID is the plain truncated packet hash.
	th, _ := wire.TruncatedPacketHash(reqRaw)
	eq(t, "legacy link id check", th[:], ex.LinkIDCheck)
	tr.use(t, "expected", "link_id_check")
	req, err := link.ParseRequest(ex.LinkRequest.Data)
	if err != nil {
		t.Fatal(err)
	}
	if req.Signalling || req.MTU != ex.ResponderMTU || req.Mode != link.ModeDefault {
		t.Errorf("legacy request %+v", req)
	}
	tr.use(t, "expected", "responder_link_mtu")
	rx := resp.X25519Public()
	pl, err := link.AppendProof(nil, id, rx, dest, req.MTU, req.Mode)
	if err != nil {
		t.Fatal(err)
	}
	pp := wiretest.Check(t, "legacy lrproof", &ex.LRProof, link.AppendProofPacket(nil, id, pl))
	tr.use(t, "expected", "lrproof")
	eq(t, "legacy signed data", link.AppendProofSignedData(nil, id, rx, dest.Ed25519Public(), wire.LinkProofSignalling(pp.Data)), ex.SignedData)
	tr.use(t, "expected", "lrproof_signed_data")
	proof, err := link.ValidateProof(pp.Data, id, dest, link.ModeDefault)
	if err != nil || proof.MTU != wire.MTU {
		t.Errorf("legacy proof: %+v %v", proof, err)
	}
	shared, _ := ini.ECDH(proof.X25519[:])
	eq(t, "legacy shared", shared[:], ex.SharedSecret)
	tr.use(t, "expected", "shared_secret")
	key, _ := link.DeriveKey(shared, id, link.ModeDefault)
	eq(t, "legacy derived key", key, ex.DerivedKey)
	tr.use(t, "expected", "derived_key")
	sharedR, _ := resp.ECDH(req.X25519[:])
	keyR, _ := link.DeriveKey(sharedR, id, req.Mode)
	eq(t, "legacy derived key check", keyR, ex.DerivedKeyCheck)
	tr.use(t, "expected", "derived_key_check")
}

func checkSignalling(t *testing.T, s *vectors.Set) {
	var vs []struct {
		Description string `json:"description"`
		Inputs      struct {
			MTU  int `json:"mtu"`
			Mode int `json:"mode"`
		} `json:"inputs"`
		Expected struct {
			Bytes  vectors.Hex `json:"signalling_bytes"`
			MTU    int         `json:"decoded_mtu"`
			Mode   int         `json:"decoded_mode"`
			Result string      `json:"result"`
		} `json:"expected"`
	}
	s.Section(t, "signalling", &vs)
	for _, v := range vs {
		b, err := link.AppendSignalling(nil, v.Inputs.MTU, link.Mode(v.Inputs.Mode))
		if v.Expected.Result == "rejected" {
			if err == nil {
				t.Errorf("%s: accepted", v.Description)
			}
			if _, err := link.AppendRequest(nil, [32]byte{}, [32]byte{}, v.Inputs.MTU, link.Mode(v.Inputs.Mode)); err == nil {
				t.Errorf("%s: request accepted", v.Description)
			}
		} else {
			if err != nil {
				t.Errorf("%s: %v", v.Description, err)
			}
			eq(t, v.Description, b, v.Expected.Bytes)
			mtu, mode, ok := link.DecodeSignalling(v.Expected.Bytes)
			if !ok || mtu != v.Expected.MTU || int(mode) != v.Expected.Mode {
				t.Errorf("%s: decoded %d %d", v.Description, mtu, mode)
			}
		}
		s.Use("signalling")
	}
}

func checkMTUHandshakes(t *testing.T, s *vectors.Set) {
	var vs []struct {
		Description string `json:"description"`
		Inputs      struct {
			InitiatorX25519Private  vectors.Hex `json:"initiator_x25519_private"`
			InitiatorEd25519Private vectors.Hex `json:"initiator_ed25519_private"`
			ResponderX25519Private  vectors.Hex `json:"responder_x25519_private"`
			DestinationPrivateKey   vectors.Hex `json:"destination_private_key"`
			HWMTU                   int         `json:"initiator_next_hop_hw_mtu"`
		} `json:"inputs"`
		Expected struct {
			LinkRequest         wiretest.Record  `json:"link_request"`
			Requested           vectors.Hex      `json:"requested_signalling_bytes"`
			LinkID              vectors.Hex      `json:"link_id"`
			ResponderLinkID     vectors.Hex      `json:"responder_link_id"`
			LRProof             wiretest.Record  `json:"lrproof"`
			Confirmed           vectors.Hex      `json:"confirmed_signalling_bytes"`
			SignedData          vectors.Hex      `json:"lrproof_signed_data"`
			DerivedKey          vectors.Hex      `json:"derived_key"`
			DerivedKeyResponder vectors.Hex      `json:"derived_key_responder"`
			InitiatorMTU        int              `json:"initiator_mtu"`
			InitiatorMDU        int              `json:"initiator_mdu"`
			ResponderMTU        int              `json:"responder_mtu"`
			ResponderMDU        int              `json:"responder_mdu"`
			InitiatorStatus     int              `json:"initiator_status"`
			ResponderStatus     int              `json:"responder_status"`
			RTTPacket           wiretest.Record  `json:"rtt_packet"`
			LargeDataPacket     *wiretest.Record `json:"large_data_packet"`
			LargeDataLength     *int             `json:"large_data_plaintext_length"`
		} `json:"expected"`
	}
	s.Section(t, "mtu_handshakes", &vs)
	for i, v := range vs {
		name := fmt.Sprintf("mtu_handshakes[%d]", i)
		in, ex := &v.Inputs, &v.Expected
		dest := mustID(t, in.DestinationPrivateKey)
		ini := mustID(t, in.InitiatorX25519Private, in.InitiatorEd25519Private)
		resp := mustID(t, in.ResponderX25519Private, in.DestinationPrivateKey[32:])
		pl, err := link.AppendRequest(nil, ini.X25519Public(), ini.Ed25519Public(), in.HWMTU, link.ModeDefault)
		if err != nil {
			t.Fatal(err)
		}
		reqRaw := link.AppendRequestPacket(nil, wire.Hash(ex.LinkRequest.DestinationHash), pl)
		wiretest.Check(t, name+" link_request", &ex.LinkRequest, reqRaw)
		eq(t, name+" requested", wire.LinkRequestSignalling(pl), ex.Requested)
		id, _ := link.ID(reqRaw)
		eq(t, name+" link id", id[:], ex.LinkID)

		// What the responder sees: in the second case transport clamped
		// the request to 500 on an interface without MTU autoconfiguration
		// before handing it on. Clamping keeps the link ID.
		req, err := link.ParseRequest(ex.LinkRequest.Data)
		if err != nil {
			t.Fatal(err)
		}
		if ex.ResponderMTU < req.MTU {
			clamped := append([]byte(nil), ex.LinkRequest.Raw...)
			wire.AppendSignalling(clamped[len(clamped)-wire.SignallingLen:][:0], ex.ResponderMTU, uint8(req.Mode))
			rid, _ := link.ID(clamped)
			if rid != id {
				t.Errorf("%s: clamping changed the link id", name)
			}
			var cp wire.Packet
			_ = cp.Decode(clamped)
			if req, err = link.ParseRequest(cp.Data); err != nil {
				t.Fatal(err)
			}
		}
		rid, _ := link.ID(ex.LinkRequest.Raw)
		eq(t, name+" responder link id", rid[:], ex.ResponderLinkID)
		if req.MTU != ex.ResponderMTU || link.MDU(req.MTU) != ex.ResponderMDU {
			t.Errorf("%s: responder mtu %d mdu %d", name, req.MTU, link.MDU(req.MTU))
		}
		rx := resp.X25519Public()
		ppl, err := link.AppendProof(nil, rid, rx, dest, req.MTU, req.Mode)
		if err != nil {
			t.Fatal(err)
		}
		pp := wiretest.Check(t, name+" lrproof", &ex.LRProof, link.AppendProofPacket(nil, rid, ppl))
		eq(t, name+" confirmed", wire.LinkProofSignalling(pp.Data), ex.Confirmed)
		eq(t, name+" signed data", link.AppendProofSignedData(nil, id, rx, dest.Ed25519Public(), ex.Confirmed), ex.SignedData)
		proof, err := link.ValidateProof(pp.Data, id, dest, link.ModeDefault)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if proof.MTU != ex.InitiatorMTU || link.MDU(proof.MTU) != ex.InitiatorMDU {
			t.Errorf("%s: initiator mtu %d mdu %d", name, proof.MTU, link.MDU(proof.MTU))
		}
		shared, _ := ini.ECDH(proof.X25519[:])
		key, _ := link.DeriveKey(shared, id, proof.Mode)
		eq(t, name+" derived key", key, ex.DerivedKey)
		sharedR, _ := resp.ECDH(req.X25519[:])
		keyR, _ := link.DeriveKey(sharedR, rid, req.Mode)
		eq(t, name+" derived key responder", keyR, ex.DerivedKeyResponder)
		if ex.InitiatorStatus != int(link.StatusActive) || ex.ResponderStatus != int(link.StatusActive) {
			t.Errorf("%s: statuses %d %d", name, ex.InitiatorStatus, ex.ResponderStatus)
		}
		sess, err := link.NewSession(id, key)
		if err != nil {
			t.Fatal(err)
		}
		pr := &peers{id: id, initiator: ini, responder: resp, destination: dest, session: sess, request: reqRaw}
		var rp wire.Packet
		if err := rp.Decode(ex.RTTPacket.Raw); err != nil {
			t.Fatal(err)
		}
		rttPlain, err := pr.session.Open(nil, &rp)
		if err != nil || rp.Context != wire.ContextLRRTT {
			t.Fatalf("%s: rtt packet: %v", name, err)
		}
		if rtt, err := link.ParseRTT(rttPlain); err != nil || rtt <= 0 {
			t.Errorf("%s: rtt %v %v", name, rtt, err)
		}
		wiretest.Check(t, name+" rtt", &ex.RTTPacket,
			sess.AppendPacket(nil, wire.Data, wire.ContextLRRTT, [16]byte(rp.Data[:16]), rttPlain))
		if (ex.LargeDataPacket != nil) != (ex.LargeDataLength != nil) || (ex.LargeDataPacket != nil) != (proof.MTU > wire.MTU) {
			t.Errorf("%s: large packet present %v with mtu %d", name, ex.LargeDataPacket != nil, proof.MTU)
		}
		if ex.LargeDataPacket != nil {
			var p wire.Packet
			if err := p.Decode(ex.LargeDataPacket.Raw); err != nil {
				t.Fatal(err)
			}
			pt, err := sess.Open(nil, &p)
			if err != nil || len(pt) != *ex.LargeDataLength || len(pt) > link.MDU(proof.MTU) {
				t.Errorf("%s: large packet %d bytes, %v", name, len(pt), err)
			}
			built := sess.AppendPacket(nil, wire.Data, wire.ContextNone, [16]byte(p.Data[:16]), pt)
			wiretest.Check(t, name+" large", ex.LargeDataPacket, built)
			if len(built) > proof.MTU {
				t.Errorf("%s: large packet %d bytes exceeds mtu", name, len(built))
			}
		}
		if v.Description == "" {
			t.Errorf("%s: no description", name)
		}
		s.Use("mtu_handshakes")
	}
}

func sameBytes(a [][]byte, b []vectors.Hex) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
