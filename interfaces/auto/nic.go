package auto

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// nicInfo is what NIC selection needs to know about a system NIC.
type nicInfo struct {
	name  string
	index int
	up    bool
	addrs []netip.Addr
}

// systemNICs lists the system's NICs.
func systemNICs() ([]nicInfo, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]nicInfo, 0, len(ifs))
	for _, ifi := range ifs {
		info := nicInfo{name: ifi.Name, index: ifi.Index, up: ifi.Flags&net.FlagUp != 0}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					info.addrs = append(info.addrs, ip.Unmap())
				}
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// isLinkLocal reports whether a is an address the reference adopts: its
// text form starts with "fe80:".
func isLinkLocal(a netip.Addr) bool {
	if !a.Is6() || a.Is4In6() {
		return false
	}
	b := a.As16()
	return b[0] == 0xfe && b[1] == 0x80
}

// skipped reports whether the NIC name is excluded by configuration or by
// the reference's platform lists, in the reference's order.
func skipped(name string, allowed, ignored []string) bool {
	switch {
	case platformIgnored(name) && !slices.Contains(allowed, name):
		return true
	case alwaysIgnored(name):
		return true
	case slices.Contains(ignored, name):
		return true
	case len(allowed) > 0 && !slices.Contains(allowed, name):
		return true
	}
	return false
}

// selectNICs returns the NICs to adopt, each with the link-local address
// to use: the last fe80:: address listed, as the reference picks.
func selectNICs(infos []nicInfo, allowed, ignored []string) map[int]nicInfo {
	out := map[int]nicInfo{}
	for _, info := range infos {
		if !info.up || skipped(info.name, allowed, ignored) {
			continue
		}
		var ll netip.Addr
		for _, a := range info.addrs {
			if isLinkLocal(a) {
				ll = a.WithZone("")
			}
		}
		if !ll.IsValid() {
			continue
		}
		info.addrs = []netip.Addr{ll}
		out[info.index] = info
	}
	return out
}

// nic is an adopted NIC and its three sockets.
type nic struct {
	name     string
	index    int
	indexStr string
	ll       netip.Addr
	token    [TokenLen]byte // our discovery token for ll

	mcast *net.UDPConn // multicast discovery, bound to the group
	ucast *net.UDPConn // unicast discovery, bound to ll; also sends tokens
	data  *net.UDPConn // data, bound to ll

	// Guarded by Listener.mu.
	lastEcho     time.Time
	firstEcho    time.Time
	echoTimedOut bool
	warnedNoEcho bool
	sendFailing  bool
}

func (n *nic) close() {
	for _, c := range []*net.UDPConn{n.mcast, n.ucast, n.data} {
		if c != nil {
			c.Close()
		}
	}
}

// rescan adopts new NICs, re-opens NICs whose link-local address changed
// and drops NICs that are gone. It runs at start-up and then only on the
// timers goroutine.
func (l *Listener) rescan() {
	infos, err := l.listNICs()
	if err != nil {
		l.logf("auto: %s: listing network devices: %v", l.name, err)
		return
	}
	want := selectNICs(infos, l.allowed, l.ignored)

	var drop []*nic
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	for idx, n := range l.nics {
		if w, ok := want[idx]; !ok || w.addrs[0] != n.ll || w.name != n.name {
			drop = append(drop, n)
			delete(l.nics, idx)
			delete(l.own, n.ll)
		}
	}
	var add []nicInfo
	for idx, w := range want {
		if l.nics[idx] == nil {
			add = append(add, w)
		}
	}
	l.mu.Unlock()

	for _, n := range drop {
		l.logf("auto: %s: releasing %s (%v)", l.name, n.name, n.ll)
		n.close()
	}
	for _, w := range add {
		n, err := l.open(w)
		if err != nil {
			msg := err.Error()
			l.mu.Lock()
			report := l.failed[w.name] != msg
			l.failed[w.name] = msg
			l.mu.Unlock()
			if report {
				l.logf("auto: %s: cannot use %s (%v): %v", l.name, w.name, w.addrs[0], err)
			}
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			n.close()
			return
		}
		delete(l.failed, w.name)
		n.lastEcho = l.now() // as the reference, count from adoption
		l.nics[n.index] = n
		l.own[n.ll] = n
		l.wg.Add(3)
		l.mu.Unlock()
		go l.routineDiscovery(n, n.mcast)
		go l.routineDiscovery(n, n.ucast)
		go l.routineData(n)
		l.logf("auto: %s: using %s with link-local address %v", l.name, n.name, n.ll)
	}
}

// open creates the sockets of a NIC.
func (l *Listener) open(w nicInfo) (*nic, error) {
	n := &nic{name: w.name, index: w.index, indexStr: strconv.Itoa(w.index), ll: w.addrs[0]}
	n.token = DiscoveryToken(l.group, n.ll)
	var err error
	if n.ucast, err = openUDP6(n.ll, l.uport, w.index, true, netip.Addr{}); err != nil {
		return nil, err
	}
	zone := 0
	if l.linkScope {
		zone = w.index
	}
	if n.mcast, err = openUDP6(l.mcast, l.dport, zone, true, l.mcast.WithZone("")); err != nil {
		n.close()
		return nil, err
	}
	if n.data, err = openUDP6(n.ll, l.dataPort, w.index, false, netip.Addr{}); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// routineDiscovery reads discovery tokens from one socket of n until the
// socket is closed.
func (l *Listener) routineDiscovery(n *nic, c *net.UDPConn) {
	defer l.wg.Done()
	var buf [discoveryBuf]byte
	var backoff time.Duration
	for {
		size, src, err := c.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			if !l.pause(err, &backoff) {
				return
			}
			continue
		}
		backoff = 0
		l.handleDiscovery(buf[:size], src, n)
	}
}

// routineData reads data datagrams on n until its socket is closed.
func (l *Listener) routineData(n *nic) {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		b := getBuf()
		size, _, flags, src, err := n.data.ReadMsgUDPAddrPort(b[:], nil)
		if err != nil {
			putBuf(b)
			if !l.pause(err, &backoff) {
				return
			}
			continue
		}
		backoff = 0
		if flags&msgTrunc != 0 {
			putBuf(b)
			continue // larger than any packet we accept
		}
		l.handleData(b, size, src, n)
	}
}

// pause handles a read error: it reports false if the socket was closed,
// and otherwise waits a growing backoff (up to a second) and reports true.
func (l *Listener) pause(err error, backoff *time.Duration) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	if *backoff == 0 {
		*backoff = 10 * time.Millisecond
	} else if *backoff *= 2; *backoff > time.Second {
		*backoff = time.Second
	}
	t := time.NewTimer(*backoff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}
