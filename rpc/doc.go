// Package rpc is the shared instance's RPC channel: the second socket,
// next to the data socket of interfaces/local, on which Python programs
// attached to a shared instance ask it for things the packet stream does
// not carry. The reference (RNS.Reticulum, rpc_loop and the client methods
// that call get_rpc_client) uses it for rnstatus and rnpath output
// (interface_stats, path_table, rate_table, next_hop, link_count), for
// first_hop_timeout before sending a packet or opening a link, for
// packet signal readings, for dropping paths and announce queues, for the
// identity blackhole, and for marking known destinations as in use. A
// program that cannot reach it logs errors such as "An error occurred
// while getting first hop timeout from shared instance" and falls back to
// defaults; rnstatus and rnpath print nothing.
//
// # Wire format
//
// The channel is Python's multiprocessing.connection, as the reference
// opens it with Listener(address, authkey=rpc_key) and
// Client(address, authkey=rpc_key):
//
//   - The socket is the abstract Unix socket "\x00rns/<instance_name>/rpc"
//     when the shared instance type is unix (the default on Linux and
//     Android), else TCP on 127.0.0.1:<instance_control_port> (default
//     37429). See Config.Endpoint.
//   - Messages are byte strings, each preceded by a 4-byte big-endian
//     length (or by -1 and an 8-byte length for 2 GiB and more); see Conn.
//   - On connecting, the server challenges the client and then the client
//     challenges the server: "#CHALLENGE#" and random bytes, answered with
//     an HMAC keyed with the authkey, confirmed with "#WELCOME#" or refused
//     with "#FAILURE#". Python 3.11 and earlier use a bare 20-byte
//     challenge and HMAC-MD5; Python 3.12 and later prefix the challenge
//     and the answer with the digest name ("{sha256}") and still accept
//     and answer the old form. The server sends the new form, which old
//     clients answer with HMAC-MD5 over all of it, and it answers both
//     forms, so clients on any Python version authenticate.
//   - The authkey is rpc_key from the configuration (hex), or else
//     DefaultKey: the SHA-256 of the private key of the transport identity
//     in the program's own storage directory.
//   - The client sends one request and reads one reply, and the server
//     closes the connection. Reticulum 1.x packs both with msgpack
//     (send_bytes(umsgpack.packb(...))): a request is a dict such as
//     {"get": "path_table", "max_hops": None}, and the reply the value
//     the corresponding local method returns. Older Reticulum releases
//     sent and received pickles instead (Connection.send and recv); the
//     server recognises a pickle by its PROTO opcode, reads it with the
//     restricted decoder of rpc/pickle and answers with a pickle. (The
//     1.x reference decodes such a request as an empty dict and closes
//     without answering.)
//
// # Requests
//
// The server answers every request of the 1.4.2 reference with the value
// the reference would send, built from a Node: "get" with "interface_stats",
// "path_table" (with "max_hops"), "rate_table", "next_hop_if_name",
// "next_hop", "first_hop_timeout", "link_count", "packet_rssi",
// "packet_snr", "packet_q", "blackholed_identities" and "is_blackholed";
// "drop" with "path", "all_via" and "announce_queues";
// "blackhole_identity" and "unblackhole_identity"; "destination_data" with
// "used", "retain" and "unretain"; and "identity_data" with "retain".
// Dicts are sent with their keys in the reference's order. Like the
// reference, the server sends no reply to a request it does not know, and
// drops the connection without a reply when a request lacks a key it
// needs; Python clients then see EOFError. It is stricter in one respect
// no Python client runs into: a msgpack request with bytes after the
// value, which the reference's decoder ignores, gets no reply.
//
// Unlike the reference, which serves one connection at a time with no time
// limit, the server handles up to MaxConcurrent connections at once and
// gives each DefaultTimeout.
package rpc
