package channel

// State is a snapshot of a channel's sequence and window bookkeeping, for
// diagnostics and conformance observation.
type State struct {
	Window       Window // the send window as it stands
	NextSequence uint16 // sequence the next Send will use
	NextRx       uint16 // sequence the receiver expects next
	Outstanding  int    // messages sent and not yet proved
	RxPending    int    // messages received ahead of NextRx
	Unproven     []uint16
}

// State returns a snapshot of the channel's state.
func (c *Channel) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := State{Window: c.window, NextSequence: c.txNext, NextRx: c.rxNext, Outstanding: c.outstanding, RxPending: len(c.rx)}
	for seq := range c.unproven {
		s.Unproven = append(s.Unproven, seq)
	}
	return s
}

// Proved reports whether the message sent with sequence seq has been
// proved by the receiver. A sequence not sent yet is not proved.
func (c *Channel) Proved(seq uint16) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq-c.txNext < 0x8000 { // seq is txNext or later
		return false
	}
	_, waiting := c.unproven[seq]
	return !waiting
}
