//go:build !darwin && !ios && !android

package auto

// platformIgnored reports whether the reference skips the NIC on this
// platform unless it is listed in Devices.
func platformIgnored(string) bool { return false }

// alwaysIgnored reports whether the reference always skips the NIC
// (ALL_IGNORE_IFS).
func alwaysIgnored(name string) bool { return name == "lo0" }
