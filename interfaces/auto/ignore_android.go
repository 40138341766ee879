//go:build android

package auto

// platformIgnored reports whether the reference skips the NIC on Android
// unless it is listed in Devices (ANDROID_IGNORE_IFS).
func platformIgnored(name string) bool {
	switch name {
	case "dummy0", "lo", "tun0",
		"rmnet0", "rmnet1", "rmnet2", "rmnet3", "rmnet4", "rmnet5", "rmnet6", "rmnet7":
		return true
	}
	return false
}

// alwaysIgnored reports whether the reference always skips the NIC.
func alwaysIgnored(name string) bool { return name == "lo0" }
