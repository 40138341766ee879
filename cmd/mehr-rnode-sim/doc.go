// Command mehr-rnode-sim runs simulated RNode LoRa radios on
// pseudo-terminals, all on one simulated channel, for testing RNode
// interfaces without hardware: mehr's driver and the Python reference's
// RNodeInterface both take the printed device paths as their port.
// Packets take their LoRa time on air; radios configured to the same
// frequency, bandwidth and spreading factor hear each other.
//
// Usage:
//
//	mehr-rnode-sim [-n 2] [-link /tmp/rnode] [-collisions] [-v]
//
// It prints one line per radio, "radio N: /dev/pts/M", and with -link
// also creates the symbolic links /tmp/rnode0, /tmp/rnode1, ... to them
// (removed again on exit), then runs until interrupted.
package main
