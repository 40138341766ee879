// Package discovery holds the rules of Reticulum's on-network interface
// discovery (RNS 1.4.2, RNS/Discovery.py): nodes announce the interfaces
// others may connect to on the destination rnstransport.discovery.interface,
// and receivers list, and optionally connect to, what they heard.
//
// This package has the parts every other piece builds on, written as pure
// functions and values so that the daemon and the bridge (and the
// announcer and receiver, when they come) share one definition:
//
//   - which identity the discovery destination is built under (the network
//     identity when the node has one, else its transport identity);
//   - name sanitization on both sides and the address grammar
//     (IsIPAddress, IsHostname, IsYggdrasil);
//   - the auto-connect gate (which discovered records may be dialled) and
//     its deduplication key;
//   - the feature defaults: discovery is opt-in everywhere.
package discovery
