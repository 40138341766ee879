// Package local implements the data socket of a Reticulum shared instance,
// wire-compatible with the Python reference's LocalInterface (RNS 1.4.2):
// a Server that programs attach to, as a Python program with
// share_instance = Yes attaches to a running rnsd, and a Client that
// attaches to a running shared instance, ours or the reference's.
//
// Where the reference listens: on Linux and Android it uses a Unix stream
// socket in the abstract namespace named "\x00rns/" + instance_name
// (instance_name defaults to "default"), unless shared_instance_type = tcp
// is configured; on every other system, and with shared_instance_type =
// tcp, it uses TCP on 127.0.0.1:37428 (shared_instance_port). Config
// selects between the two in the same way; the control (RPC) socket
// ("\x00rns/<name>/rpc" or 127.0.0.1:37429) is not part of this package.
//
// The stream carries the HDLC framing of package framing: 0x7E, the
// escaped packet, 0x7E. There is no handshake. Like the reference reader,
// a receiver drops frames of 19 bytes (HEADER_MINSIZE) or fewer. Local
// interfaces have a hardware MTU of 262144 bytes, a nominal bitrate of
// 1 Gbit/s, mode full, and let links autoconfigure their MTU.
//
// Each client attached to a Server becomes an iface.Interface of its own
// (a *Conn, which reports IsLocalClient). When the client goes away the
// Conn's Receive returns an error that matches both ErrDetached and
// net.ErrClosed, and transport drops the interface. A Client, instead,
// reconnects like the reference: when the shared instance goes away it
// reports the loss (Config.OnDetach), retries every ReconnectWait (8 s by
// default) until it is attached again, then reports that (Config.OnReattach)
// so that the owner can re-announce its destinations. Meanwhile Receive
// keeps blocking and Send fails with ErrDetached.
//
// Neither side starts goroutines of its own: transport's receive loop does
// the reading and, for a Client, the reconnecting.
package local
