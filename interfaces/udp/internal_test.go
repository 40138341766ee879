package udp

import (
	"net/netip"
	"testing"
)

func TestBroadcastOf(t *testing.T) {
	for in, want := range map[string]string{
		"192.168.1.17/24": "192.168.1.255",
		"10.0.0.1/8":      "10.255.255.255",
		"172.16.5.4/12":   "172.31.255.255",
		"127.0.0.1/8":     "127.255.255.255",
		"192.0.2.9/32":    "192.0.2.9",
		"198.51.100.6/30": "198.51.100.7",
	} {
		if got := broadcastOf(netip.MustParsePrefix(in)); got != netip.MustParseAddr(want) {
			t.Errorf("broadcastOf(%s) = %v, want %s", in, got, want)
		}
	}
}

func TestIsBroadcast(t *testing.T) {
	nets := []netip.Prefix{
		netip.MustParsePrefix("192.168.1.17/24"),
		netip.MustParsePrefix("10.1.2.3/31"),
		netip.MustParsePrefix("2001:db8::1/64"),
	}
	for ip, want := range map[string]bool{
		"255.255.255.255": true,
		"192.168.1.255":   true,
		"192.168.1.254":   false,
		"192.168.2.255":   false,
		"10.1.2.3":        false, // /31 networks have no broadcast address
		"127.0.0.1":       false,
		"2001:db8::ffff":  false,
	} {
		if got := isBroadcast(netip.MustParseAddr(ip), nets); got != want {
			t.Errorf("isBroadcast(%s) = %v, want %v", ip, got, want)
		}
	}
}
