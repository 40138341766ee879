package host

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the plugin when mehrd dies.
// The signal is tied to the thread that started the process; the Go
// runtime does not end its threads unless a goroutine exits while locked
// to one, which this package never does. plugins/sdk's parent watch covers
// the rest.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
