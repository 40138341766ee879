//go:build linux

package serial_test

import (
	"testing"

	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// TestNodesOverSerial: two nodes joined by a null-modem cable between two
// serial interfaces exchange announces and talk over a link.
func TestNodesOverSerial(t *testing.T) {
	serialtest.LeakCheck(t)
	pa, pb := serialtest.OpenPTY(t), serialtest.OpenPTY(t)
	serialtest.NullModem(t, pa, pb)
	serialtest.RunNodes(t, open(t, pa.Path), open(t, pb.Path), "serial")
}
