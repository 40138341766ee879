// Package e2e holds the IP-over-mehr end-to-end tests: real mehrd
// processes in network namespaces the tests create, joined by veth pairs
// (and a simulated RNode hop), carrying ping, HTTP and iperf3 between the
// TUN devices of their nodes. They need root; elsewhere they skip.
package e2e
