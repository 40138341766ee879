// Package host runs an interface driver as a plugin process and presents
// it to transport as an ordinary rns/iface.Interface.
//
// Start launches the plugin executable through hashicorp/go-plugin (gRPC
// over a local socket, mutual TLS negotiated per process), opens the
// interface with its configuration, and opens the one packet stream. The
// returned Interface then stays registered in transport for the life of
// the node while the process under it may come and go:
//
//   - A plugin that exits, is killed, stops answering control calls
//     (Config.CallTimeout) or keeps sending malformed or oversized frames
//     (more than Config.MaxGarbage per run) is killed and started again
//     after a backoff that doubles from Config.MinBackoff up to
//     Config.MaxBackoff and starts over once a run has lasted
//     Config.StableAfter. Each such event is one log line naming the
//     plugin and what it did.
//   - While the plugin is down, Receive keeps blocking and Send returns
//     ErrDown; transport sees a link that went quiet, not a new interface.
//     Status reports up or down, the process ID and the restart count.
//   - The queues are bounded both ways. A full send queue drops the packet
//     and Send returns ErrQueueFull at once; transport is never blocked by
//     a slow plugin. A full receive queue drops and counts too.
//   - On Linux the plugin is started with a parent-death signal, so that
//     it cannot outlive mehrd; plugins/sdk also exits when its parent
//     changes or the packet stream stays gone.
//
// Everything the plugin writes to standard error (its Logf lines, panics)
// goes into the host's log, prefixed with "plugin NAME:".
//
// The package sees transport only as the iface contract; it imports
// neither rns/transport nor any driver.
package host
