// Package mgmt serves a node's state to management tools.
//
// View answers the reference's shared-instance RPC (rnstatus, rnpath and
// the calls attached Python programs make; package rpc) from an rns.Node.
// EnableRemote registers the reference's remote management destination,
// rnstransport.remote.management under the transport identity, whose
// /status and /path requests (rnstatus -R, rnpath -R) are answered, over
// a link, for the identities on an allow list only — with the same dicts
// the RPC answers carry.
package mgmt
