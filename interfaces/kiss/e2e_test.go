//go:build linux

package kiss_test

import (
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// TestNodesOverKISS: two nodes whose KISS interfaces are joined by a
// null-modem cable (each TNC's radio side replaced by the other driver)
// exchange announces and talk over a link. Each driver's TNC setup
// commands reach the other, which ignores them.
func TestNodesOverKISS(t *testing.T) {
	serialtest.LeakCheck(t)
	pa, pb := serialtest.OpenPTY(t), serialtest.OpenPTY(t)
	serialtest.NullModem(t, pa, pb)
	serialtest.RunNodes(t, open(t, pa.Path, nil), open(t, pb.Path, nil), "kiss")
}

// TestNodesOverKISSFlowControl: the same with flow control on both ends
// and no TNC to report ready (apart from the peer's flow control setup
// command, which reads as one report): frames wait for the flow control
// timeout, and the traffic still gets through.
func TestNodesOverKISSFlowControl(t *testing.T) {
	serialtest.LeakCheck(t)
	pa, pb := serialtest.OpenPTY(t), serialtest.OpenPTY(t)
	serialtest.NullModem(t, pa, pb)
	fc := func(c *kiss.Config) { c.FlowControl, c.FlowControlTimeout = true, 20*time.Millisecond }
	serialtest.RunNodes(t, open(t, pa.Path, fc), open(t, pb.Path, fc), "kiss")
}
