//go:build darwin || ios

package auto

// platformIgnored reports whether the reference skips the NIC on macOS
// unless it is listed in Devices: AWDL, low-latency WLAN, loopback and
// the tethering interface (DARWIN_IGNORE_IFS).
func platformIgnored(name string) bool {
	switch name {
	case "awdl0", "llw0", "lo0", "en5":
		return true
	}
	return false
}

// alwaysIgnored reports whether the reference always skips the NIC.
func alwaysIgnored(name string) bool { return name == "lo0" }
