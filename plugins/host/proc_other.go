//go:build !linux

package host

import "os/exec"

// setParentDeathSignal does nothing outside Linux; plugins/sdk's parent
// watch ends the plugin when mehrd goes away.
func setParentDeathSignal(*exec.Cmd) {}
