// Package resource is the codec of Reticulum resources: bulk transfers over an
// established link, byte for byte as the Python reference (RNS 1.4.2,
// RNS/Resource.py) encodes them, with the request state machines of its
// sender and receiver. It holds no timers, goroutines or sockets; the link
// layer drives it, measures rates and owns retransmission and timeouts.
//
// # Sender
//
// [Build] turns data (and optional msgpack metadata, sent in front of the data
// behind a 3-byte big-endian length) into a [Resource]:
//
//	data_with_metadata = metadata block || data
//	payload            = bz2(data_with_metadata) if that is shorter, else data_with_metadata
//	stream             = Token(link key).Encrypt(random prefix(4) || payload)
//	parts              = stream cut into SDU-sized pieces (SDU = link MTU - 36)
//	map hash           = SHA-256(part || random hash)[:4]
//	resource hash      = SHA-256(data_with_metadata || random hash)
//	expected proof     = SHA-256(data_with_metadata || resource hash)
//
// The whole stream is encrypted once; parts travel unencrypted as DATA packets
// to the link with context RESOURCE. [Resource.Advertisement] gives the
// advertisement (a msgpack map with keys t,d,n,h,r,o,i,l,q,f,m in that order),
// which the link sends encrypted with context RESOURCE_ADV.
// [Resource.HandleRequest] answers a part request (RESOURCE_REQ) with the
// parts to send and, when the receiver ran out of map hashes, a hashmap update
// (RESOURCE_HMU); it tracks the parts sent and its search scope, and fails
// the resource on a hashmap sequencing error. [Resource.VerifyProof] checks
// the receiver's RESOURCE_PRF proof. A canceled sender or receiver ignores
// every later packet.
//
// All randomness (the prefix, the Token IV, the random hash) is an input, so
// the output is deterministic and the reference vectors can be reproduced.
// A map hash that repeats within the collision guard window makes Build fail
// with [ErrCollision]; the caller retries with another random hash, as the
// reference does.
//
// # Receiver
//
// [DecodeAdvertisement] parses and validates an advertisement plaintext,
// which is untrusted input: it never panics and reports problems with the
// sentinel errors of this package. [NewReceiver] starts a transfer from it,
// deriving the part count from the transfer size ([NewReceiverBuffer]
// assembles the stream in a buffer the caller supplies, as
// [Params].StreamBuf lets Build reuse one). [Receiver.AppendRequest]
// builds part requests for up to a window of parts after the last
// consecutive one, [Receiver.AcceptPart] files parts by their map hash
// within that window (growing the window when a request was answered in
// full, as the reference does; [Receiver.Retry] and
// [Receiver.ObserveRate] move it on timeouts and measured rates),
// [Receiver.UpdateHashmap] applies hashmap updates,
// and [Receiver.Assemble] joins, decrypts, strips the prefix, decompresses
// (refusing output larger than the advertised data size, so a decompression
// bomb costs at most that much memory), checks the resource hash and splits
// off the metadata. [Receiver.Proof] is then the proof to send back.
//
// # Compression
//
// The reference compresses with libbz2 at level 9. [Compress] uses a pure-Go
// bzip2 writer whose output differs from libbz2's but which every bzip2
// decoder reads; [Params.Compressed] lets a caller supply an already
// compressed payload instead. [Decompress] uses the standard library decoder.
//
// Resource, Receiver and their methods are not safe for concurrent use.
package resource
