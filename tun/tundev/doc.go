// Package tundev opens the operating system's TUN device: a network
// interface whose IP packets a program reads and writes, one packet per
// Read or Write. mehr's IP adapter (package tun) carries those packets over
// the mesh; the device itself is served by the mehr-plugin-tun process, so
// that only that process needs privileges.
//
// Open creates the device through github.com/songgao/water and configures
// it from Go, without running ip(8): the MTU (at least MinMTU, 1280, the
// IPv6 minimum), one IPv6 address with its prefix length (added with
// IFA_F_NODAD, so it is usable at once without duplicate address
// detection), and link state up; Open returns once the kernel routes the
// address locally. Router solicitations and duplicate address detection
// of the link-local address are turned off on the device where /proc/sys
// allows it, so the kernel sends little of its own through it. Close
// removes the device: it is created non-persistent, so it disappears when
// its file descriptor closes.
//
// Privileges: creating and configuring the device needs CAP_NET_ADMIN
// (root, or `setcap cap_net_admin+ep` on the executable). Without it,
// Open fails with an error that says so, for example
// "set MTU of mehr0: operation not permitted: needs CAP_NET_ADMIN".
//
// Platforms: Linux. Elsewhere Open returns ErrNotSupported.
//
// The device lives in the network namespace of the thread that calls Open;
// tests open it inside a namespace they create (see internal/netns).
package tundev
