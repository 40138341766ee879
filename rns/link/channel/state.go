package channel

// State is a snapshot of a channel's sequence and window bookkeeping, for
// diagnostics and conformance observation.
type State struct {
	Window       Window    // the send window as it stands
	NextSequence uint16    // sequence the next Send will use
	NextRx       uint16    // sequence the receiver expects next
	Outstanding  int       // messages sent and not yet proved (the tx ring)
	RxPending    int       // messages received ahead of NextRx (the rx ring)
	Unproven     []Pending // the tx ring, in send order
	Handlers     int       // handlers in the chain
}

// Pending is an unproven message in the tx ring.
type Pending struct {
	Sequence uint16
	Tries    int // transmissions so far
}

// State returns a snapshot of the channel's state.
func (c *Channel) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := State{
		Window:       c.window,
		NextSequence: c.txNext,
		NextRx:       c.rxNext,
		Outstanding:  len(c.tx),
		RxPending:    len(c.rx),
		Handlers:     len(c.handlers),
	}
	for _, o := range c.tx {
		s.Unproven = append(s.Unproven, Pending{Sequence: o.seq, Tries: o.tries})
	}
	return s
}
