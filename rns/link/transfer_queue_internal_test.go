package link

import (
	"testing"

	"github.com/mehr-net/mehr/rns/wire"
)

// TestTransferQueueKeepsControl checks that a flood of resource parts
// never pushes out a control event (a lost advertisement stalls both
// sides), that parts beyond the bound are dropped, and that events keep
// their arrival order.
func TestTransferQueueKeepsControl(t *testing.T) {
	tr := (&Link{}).newTransfer(true)
	for i := range 2 * resEventQueue {
		tr.post(wire.ContextResource, []byte{byte(i)})
	}
	ctl := []wire.Context{wire.ContextResourceHMU, wire.ContextResourceAdv, wire.ContextResourceICL}
	for _, c := range ctl {
		tr.post(c, nil)
	}
	tr.post(wire.ContextResource, []byte{0xff}) // still full: dropped
	parts := 0
	var got []wire.Context
	for {
		ev, ok := tr.next()
		if !ok {
			break
		}
		if ev.ctx == wire.ContextResource {
			if len(got) > 0 {
				t.Fatal("part after control events: order not kept")
			}
			if ev.data[0] != byte(parts) {
				t.Fatalf("part %d is %d", parts, ev.data[0])
			}
			parts++
			continue
		}
		got = append(got, ev.ctx)
	}
	if parts != resEventQueue {
		t.Errorf("%d parts queued, want %d", parts, resEventQueue)
	}
	if len(got) != len(ctl) {
		t.Fatalf("control events %v, want %v", got, ctl)
	}
	for i := range ctl {
		if got[i] != ctl[i] {
			t.Fatalf("control events %v, want %v", got, ctl)
		}
	}
	if tr.evParts != 0 {
		t.Errorf("evParts %d after draining", tr.evParts)
	}
	// Once drained, parts are queued again.
	tr.post(wire.ContextResource, []byte{1})
	if _, ok := tr.next(); !ok {
		t.Error("part not queued after draining")
	}
}
