// Package discovery holds the rules of Reticulum's on-network interface
// discovery (RNS 1.4.2, RNS/Discovery.py): nodes announce the interfaces
// others may connect to on the destination rnstransport.discovery.interface,
// and receivers list, and optionally connect to, what they heard.
//
// This package has the parts every other piece builds on, written as pure
// functions and values so that the announcer, the receiver and the daemon
// share one definition:
//
//   - the field keys of the msgpack info map and the flag byte;
//   - which identity the discovery destination is built under (the network
//     identity when the node has one, else its transport identity);
//   - name sanitization on both sides and the address grammar
//     (IsIPAddress, IsHostname, IsYggdrasil);
//   - the auto-connect gate (which discovered records may be dialled) and
//     its deduplication key;
//   - the record status thresholds;
//   - the feature defaults: discovery is opt-in everywhere.
package discovery
