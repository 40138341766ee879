package tundev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// netlinkTimeout bounds the wait for each kernel acknowledgement.
const netlinkTimeout = 5 // seconds

// Sizes of the rtnetlink message bodies (linux/rtnetlink.h,
// linux/if_addr.h).
const (
	ifinfomsgLen = unix.SizeofIfInfomsg // family, pad, type, index, flags, change
	ifaddrmsgLen = unix.SizeofIfAddrmsg // family, prefixlen, flags, scope, index
)

// rtnl is a route netlink socket for a few configuration requests. It is
// used from one goroutine at a time.
type rtnl struct {
	fd  int
	seq uint32
	buf []byte
}

func dialNetlink() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	tv := unix.Timeval{Sec: netlinkTimeout}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink socket timeout: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &rtnl{fd: fd, buf: make([]byte, 1<<16)}, nil
}

func (r *rtnl) close() { unix.Close(r.fd) }

// setMTU sets the link's MTU (RTM_NEWLINK with IFLA_MTU).
func (r *rtnl) setMTU(index, mtu int) error {
	msg := ifinfomsg(index, 0, 0)
	msg = appendAttr(msg, unix.IFLA_MTU, binary.NativeEndian.AppendUint32(nil, uint32(mtu)))
	return r.request(unix.RTM_NEWLINK, 0, msg)
}

// setUp sets IFF_UP on the link.
func (r *rtnl) setUp(index int) error {
	return r.request(unix.RTM_NEWLINK, 0, ifinfomsg(index, unix.IFF_UP, unix.IFF_UP))
}

// addAddr adds the IPv6 address p to the link without duplicate address
// detection (IFA_F_NODAD), replacing an existing equal address.
func (r *rtnl) addAddr(index int, p netip.Prefix) error {
	msg := make([]byte, ifaddrmsgLen)
	msg[0] = unix.AF_INET6
	msg[1] = byte(p.Bits())
	msg[2] = unix.IFA_F_NODAD
	msg[3] = unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(msg[4:], uint32(index))
	a := p.Addr().As16()
	msg = appendAttr(msg, unix.IFA_LOCAL, a[:])
	msg = appendAttr(msg, unix.IFA_ADDRESS, a[:])
	msg = appendAttr(msg, unix.IFA_FLAGS, binary.NativeEndian.AppendUint32(nil, unix.IFA_F_NODAD))
	return r.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, msg)
}

func ifinfomsg(index int, flags, change uint32) []byte {
	msg := make([]byte, ifinfomsgLen)
	msg[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(msg[4:], uint32(index))
	binary.NativeEndian.PutUint32(msg[8:], flags)
	binary.NativeEndian.PutUint32(msg[12:], change)
	return msg
}

// appendAttr appends one rtattr, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(unix.SizeofRtAttr+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%unix.NLMSG_ALIGNTO != 0 {
		b = append(b, 0)
	}
	return b
}

// routeType returns the type (unix.RTN_*) of the route the kernel
// would use for packets to a (RTM_GETROUTE, as `ip -6 route get`).
func (r *rtnl) routeType(a netip.Addr) (uint8, error) {
	msg := make([]byte, unix.SizeofRtMsg)
	msg[0] = unix.AF_INET6
	msg[1] = 128
	b := a.As16()
	msg = appendAttr(msg, unix.RTA_DST, b[:])
	var typ uint8
	err := r.roundTrip(unix.RTM_GETROUTE, 0, msg, func(m []byte) bool {
		if binary.NativeEndian.Uint16(m[4:]) != unix.RTM_NEWROUTE || len(m) < unix.NLMSG_HDRLEN+unix.SizeofRtMsg {
			return false
		}
		typ = m[unix.NLMSG_HDRLEN+7] // rtm_type
		return true
	})
	return typ, err
}

// request sends one message and waits for the kernel's acknowledgement,
// returning the errno it carries.
func (r *rtnl) request(typ, flags uint16, body []byte) error {
	return r.roundTrip(typ, flags|unix.NLM_F_ACK, body, nil)
}

// roundTrip sends one message and reads answers until the kernel's
// acknowledgement or error for it, or until answer (if not nil) accepts
// one of its answers.
func (r *rtnl) roundTrip(typ, flags uint16, body []byte, answer func(msg []byte) bool) error {
	r.seq++
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(msg[8:], r.seq)
	msg = append(msg, body...)
	if err := unix.Sendto(r.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	// Anything else queued on this private socket is skipped; the loop
	// ends at the acknowledgement, or at the socket's receive timeout.
	for range 64 {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) {
				return errors.New("netlink: no answer from the kernel")
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("netlink receive: %w", err)
		}
		if done, err := ack(r.buf[:n], r.seq, answer); done {
			return err
		}
	}
	return errors.New("netlink: no acknowledgement")
}

// ack looks for the acknowledgement of request seq among the netlink
// messages in b, or an answer that answer accepts. done reports whether
// one was found; err is the errno an acknowledgement carries.
func ack(b []byte, seq uint32, answer func(msg []byte) bool) (done bool, err error) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		typ := binary.NativeEndian.Uint16(b[4:])
		s := binary.NativeEndian.Uint32(b[8:])
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return true, errors.New("netlink: malformed answer")
		}
		if s == seq && typ == unix.NLMSG_ERROR {
			if l < unix.NLMSG_HDRLEN+4 {
				return true, errors.New("netlink: short acknowledgement")
			}
			if e := int32(binary.NativeEndian.Uint32(b[unix.NLMSG_HDRLEN:])); e != 0 {
				return true, unix.Errno(-e)
			}
			return true, nil
		}
		if s == seq && answer != nil && answer(b[:l]) {
			return true, nil
		}
		l = (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
		if l >= len(b) {
			break
		}
		b = b[l:]
	}
	return false, nil
}
