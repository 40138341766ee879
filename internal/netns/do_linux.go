package netns

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs f on the calling goroutine's thread switched into the
// namespace, then switches back. Sockets, TUN devices and processes that f
// creates on that thread belong to the namespace; goroutines f starts run
// on other threads, in the host's namespace, so f should create what it
// needs before starting any. If the thread cannot be switched back, it is
// left locked, and the runtime discards it when the goroutine ends.
func (n *NS) Do(f func() error) error {
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open own network namespace: %w", err)
	}
	defer unix.Close(orig)
	target, err := unix.Open(n.Path(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open namespace %s: %w", n.Name, err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter namespace %s: %w", n.Name, err)
	}
	ferr := f()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("leave namespace %s: %w (after: %v)", n.Name, err, ferr)
	}
	runtime.UnlockOSThread()
	return ferr
}
