package link

import "time"

// Tick runs one watchdog pass at now, for tests that drive time.
func (l *Link) Tick(now time.Time) { l.tick(now) }
