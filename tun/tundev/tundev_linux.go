package tundev

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/songgao/water"
	"golang.org/x/sys/unix"
)

// open creates the device with water and configures it over rtnetlink.
// Every step runs on the calling thread, so the device and its settings
// belong to that thread's network namespace.
func open(cfg Config) (*Device, error) {
	// water opens /dev/net/tun without O_CLOEXEC. Hold ForkLock until the
	// descriptor is marked close-on-exec, so that no process started
	// meanwhile inherits it and keeps the device alive after Close.
	syscall.ForkLock.RLock()
	w, err := water.New(water.Config{
		DeviceType:             water.TUN,
		PlatformSpecificParams: water.PlatformSpecificParams{Name: cfg.Name},
	})
	if err == nil {
		err = closeOnExec(w.ReadWriteCloser)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		if w != nil {
			w.Close()
		}
		return nil, opErr("create TUN device", cfg.Name, err)
	}
	d := &Device{name: w.Name(), mtu: cfg.MTU, addr: cfg.Address, rwc: w.ReadWriteCloser}
	if err := configure(d.name, cfg); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func closeOnExec(rwc io.ReadWriteCloser) error {
	sc, ok := rwc.(syscall.Conn)
	if !ok {
		return fmt.Errorf("water returned a %T, not a file", rwc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { unix.CloseOnExec(int(fd)) })
}

// configure sets the MTU, turns off router solicitations, adds the
// address and brings the link up.
func configure(name string, cfg Config) error {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return opErr("find index of", name, err)
	}
	nl, err := dialNetlink()
	if err != nil {
		return opErr("configure", name, err)
	}
	defer nl.close()
	if err := nl.setMTU(ifi.Index, cfg.MTU); err != nil {
		return opErr("set MTU of", name, err)
	}
	// Best effort: without router solicitations, and without duplicate
	// address detection for the link-local address the kernel adds, the
	// kernel sends less of its own through the device when it comes up;
	// a read-only /proc/sys only costs a few packets the IP adapter drops.
	for _, key := range []string{"router_solicitations", "accept_dad"} {
		_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+name+"/"+key, []byte("0"), 0)
	}
	if cfg.Address.IsValid() {
		if err := nl.addAddr(ifi.Index, cfg.Address); err != nil {
			return opErr("add address "+cfg.Address.String()+" to", name, err)
		}
	}
	if err := nl.setUp(ifi.Index); err != nil {
		return opErr("bring up", name, err)
	}
	if cfg.Address.IsValid() {
		return awaitLocal(nl, name, cfg.Address.Addr())
	}
	return nil
}

// Bounds of the wait for the kernel to finish configuring an address.
const (
	addrReadyTimeout = 5 * time.Second
	addrReadyPoll    = time.Millisecond
)

// awaitLocal waits until the kernel routes a to this host. The kernel
// installs the local route of a new IPv6 address from a work queue after
// the link comes up, even without duplicate address detection; until then
// packets to the address written to the device are dropped.
func awaitLocal(nl *rtnl, name string, a netip.Addr) error {
	deadline := time.Now().Add(addrReadyTimeout)
	for {
		typ, err := nl.routeType(a)
		if err == nil && typ == unix.RTN_LOCAL {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("route type %d, not local", typ)
			}
			return fmt.Errorf("address %v on %s not usable after %v: %w", a, name, addrReadyTimeout, err)
		}
		time.Sleep(addrReadyPoll)
	}
}

// opErr names the failed step and the device, and says which capability
// is missing when the kernel refused for lack of it.
func opErr(what, name string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%s %s: %w: needs CAP_NET_ADMIN", what, name, err)
	}
	return fmt.Errorf("%s %s: %w", what, name, err)
}
