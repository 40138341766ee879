//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package auto

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
)

const socketsSupported = true

// msgTrunc is the recvmsg flag for a datagram cut short.
const msgTrunc = syscall.MSG_TRUNC

// openUDP6 opens an IPv6-only UDP socket bound to addr:port with the given
// scope (interface index, or 0). reuse sets SO_REUSEADDR, as the
// reference does on its discovery sockets. If group is valid, the socket
// joins it on interface scope and sends multicast there.
//
// The socket is built by hand because the net package binds multicast
// listeners to the wildcard address, while the reference binds them to
// the group itself.
func openUDP6(addr netip.Addr, port uint16, scope int, reuse bool, group netip.Addr) (*net.UDPConn, error) {
	fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_DGRAM, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	syscall.CloseOnExec(fd)
	ok := false
	defer func() {
		if !ok {
			syscall.Close(fd)
		}
	}()
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
		return nil, os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
	}
	if reuse {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
			return nil, os.NewSyscallError("setsockopt SO_REUSEADDR", err)
		}
	}
	if group.IsValid() {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_MULTICAST_IF, scope); err != nil {
			return nil, os.NewSyscallError("setsockopt IPV6_MULTICAST_IF", err)
		}
		mreq := syscall.IPv6Mreq{Multiaddr: group.As16(), Interface: uint32(scope)}
		if err := syscall.SetsockoptIPv6Mreq(fd, syscall.IPPROTO_IPV6, syscall.IPV6_JOIN_GROUP, &mreq); err != nil {
			return nil, os.NewSyscallError("setsockopt IPV6_JOIN_GROUP", err)
		}
	}
	sa := &syscall.SockaddrInet6{Port: int(port), Addr: addr.As16(), ZoneId: uint32(scope)}
	if err := syscall.Bind(fd, sa); err != nil {
		return nil, fmt.Errorf("bind [%v%%%d]:%d: %w", addr, scope, port, os.NewSyscallError("bind", err))
	}
	f := os.NewFile(uintptr(fd), "udp6")
	ok = true // f owns fd now
	defer f.Close()
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	c, isUDP := pc.(*net.UDPConn)
	if !isUDP {
		pc.Close()
		return nil, fmt.Errorf("auto: unexpected socket type %T", pc)
	}
	return c, nil
}
