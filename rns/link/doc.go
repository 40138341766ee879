// Package link implements Reticulum links (RNS.Link of the reference, RNS
// 1.4.2): encrypted, bidirectional sessions between an initiator and a
// destination, identified by a 16-byte link ID.
//
// # Establishment
//
// The initiator makes an ephemeral X25519 key and an ephemeral Ed25519 key
// and sends a LINKREQUEST packet to the destination carrying both public
// keys and three signalling bytes (link mode in the top 3 bits, requested
// MTU in the low 21; see [AppendRequest]). The link ID is the truncated
// hash of the request's hashable part without the signalling bytes
// ([ID]), so a transport node may clamp the MTU without changing it.
//
// The responder makes its own ephemeral X25519 key and answers with an
// LRPROOF: the destination identity's signature over link ID, responder
// X25519 key, destination Ed25519 key and signalling bytes, followed by the
// responder key and the signalling bytes it grants ([AppendProof],
// [ValidateProof]). Both sides then derive the session key with HKDF over
// the X25519 shared secret, salted with the link ID ([DeriveKey]). The
// initiator measures the round-trip time and sends it, as a msgpack float,
// in an encrypted LRRTT packet ([AppendRTT]), which activates the link on
// the responder.
//
// # Traffic
//
// Link packets are addressed to the link ID with destination type LINK.
// DATA packets are Token-encrypted with the session key except for the
// contexts KEEPALIVE, RESOURCE and CACHE_REQUEST ([Session]). Packet proofs
// on a link are always explicit: the proved packet's full hash followed by
// a signature with the prover's link signing key — the destination identity
// on the responder side, the ephemeral Ed25519 key on the initiator side
// ([AppendPacketProof], [ValidatePacketProof]). The initiator may reveal an
// identity with LINKIDENTIFY ([AppendIdentify]); either side closes the link
// with LINKCLOSE, whose plaintext is the link ID.
//
// # Runtime
//
// [Link] is a link registered with a transport.Transport under its link
// ID: [Establish] opens one to a remote SINGLE destination ([Prepare]
// builds the link and its request without sending, [Link.Open] sends it),
// a [Listener] accepts them on a local destination while its accept gate
// is on. A link is bound to the interface its request or proof came on and
// drops link packets arriving on any other; once closed it drops
// everything and has purged its ephemeral keys, shared secret and session
// key ([Link.Keys]).
//
// # Resources
//
// [Link.SendResource] sends bulk data as a Reticulum resource (codec in
// package resource): advertisement, windowed part requests answered with
// parts, hashmap updates, proof; data over resource.MaxEfficientSize goes
// as consecutive segments. [Config].Resources decides which incoming
// advertisements are accepted and receives the data. Resource packets are
// handled by the link and no longer reach OnOther. Each [Transfer] runs on
// its own routine with real-time timers (Config.Now is not used). As in the
// reference, a link advertises one outgoing resource at a time (later ones
// are QUEUED), a link's next incoming resource starts at the request window
// its last one ended with, and a segment that decompresses past
// ResourceConfig.MaxDecompressed is rejected and the link torn down.
//
// [Link.NewResourceReceiver], [Link.FeedResourcePart],
// [Link.RequestResourceParts] and [Link.ConcludeResource] drive a receiver
// packet by packet, and [Link.RegisterOutgoingResource] serves a built
// resource without advertising it: tools and conformance probes use them
// to inspect the state machines a Transfer runs.
//
// Large data streams: [Link.SendResourceFrom] reads one segment at a time
// from an io.ReaderAt, and a ResourceConfig.Sink receives each verified
// segment in order instead of keeping the data, so neither side holds more
// than a segment or two (1 GiB moves with about 20 MB of heap).
//
// Every decoder of peer bytes in this package reports malformed input with
// the sentinel errors in errors.go and never panics.
package link
