package discovery

import (
	"crypto/sha256"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// AppName and Aspects name the discovery destination.
const AppName = "rnstransport"

// Aspects are the aspects of the discovery destination.
var Aspects = []string{"discovery", "interface"}

// DiscoverableTypes are the interface types an announcer publishes; any
// other type is never announced, and a receiver drops records of others.
var DiscoverableTypes = []string{"BackboneInterface", "TCPServerInterface", "TCPClientInterface",
	"RNodeInterface", "WeaveInterface", "I2PInterface", "KISSInterface"}

// AutoconnectTypes are the record types auto-connect may dial.
var AutoconnectTypes = []string{"BackboneInterface", "TCPServerInterface"}

// Discoverable reports whether interfaces of type typ can be published.
func Discoverable(typ string) bool { return contains(DiscoverableTypes, typ) }

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// AnnounceIdentity returns the identity the discovery destination is built
// under: the network identity when the node has one, else its transport
// identity. Nodes of one network thus announce their interfaces from one
// shared destination that receivers can trust as a source.
func AnnounceIdentity(transport, network *identity.Identity) *identity.Identity {
	if network != nil {
		return network
	}
	return transport
}

// DestinationHash returns the hash of the discovery destination of id.
func DestinationHash(id *identity.Identity) wire.Hash {
	h := wire.Hash(id.Hash())
	d, _ := dest.Hash(&h, AppName, Aspects...) // the name is valid
	return d
}

// SanitizeName cleans an interface name received in a discovery announce:
// it keeps only ASCII, trims surrounding whitespace, collapses runs of
// spaces (as the reference does, by replacing runs of five, three, then
// two spaces with one), and trims characters other than letters and
// digits from the start and from the end, where ")" may stay.
func SanitizeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
		}
	}
	s := pyStrip(b.String())
	for _, n := range []int{5, 3, 2} {
		s = strings.ReplaceAll(s, strings.Repeat(" ", n), " ")
	}
	s = strings.TrimLeftFunc(s, func(r rune) bool { return !alnum(r) })
	s = strings.TrimRightFunc(s, func(r rune) bool { return !alnum(r) && r != ')' })
	return s
}

// Sanitize cleans a value the announcer publishes (a name, an address, a
// location): it removes line breaks and trims surrounding whitespace.
func Sanitize(s string) string {
	s = strings.ReplaceAll(s, "\n", "")
	s = strings.ReplaceAll(s, "\r", "")
	return pyStrip(s)
}

func alnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
}

// pyStrip trims what Python's str.strip trims: Unicode white space and
// the ASCII separators 0x1C to 0x1F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
}

// IsIPAddress reports whether s is an IPv4 or IPv6 address.
func IsIPAddress(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// ygg is the address range of the Yggdrasil network.
var ygg = netip.MustParsePrefix("200::/7")

// IsYggdrasil reports whether s is an IPv6 address in Yggdrasil's 200::/7,
// which auto-connect skips: the node may have no route into it.
func IsYggdrasil(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && !a.Is4In6() && ygg.Contains(a.WithZone(""))
}

// IsHostname reports whether s is a DNS host name: at most 253 characters
// after one trailing dot is removed, labels of 1 to 63 letters, digits and
// hyphens that neither start nor end with a hyphen, and a top-level label
// that is not all digits.
func IsHostname(s string) bool {
	if s == "" {
		return false
	}
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if allDigits(labels[len(labels)-1]) {
		return false
	}
	for _, l := range labels {
		if !hostLabel(l) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	s = strings.TrimSuffix(s, "\n") // a regular expression's $ allows one
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hostLabel(l string) bool {
	l = strings.TrimSuffix(l, "\n")
	if len(l) < 1 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c == '-' || c < utf8.RuneSelf && alnum(rune(c))) {
			return false
		}
	}
	return true
}

// Endpoint is where a discovered interface can be reached; the reference
// keeps it in the record's "reachable_on" and "port" entries. Port 0 with
// HasPort false means the record has no port.
type Endpoint struct {
	ReachableOn string
	Port        int
	HasPort     bool
}

// EndpointHash is the key auto-connect deduplicates discovered endpoints
// by: SHA-256 of "reachable_on:port" (or of the parts the record has).
func EndpointHash(e Endpoint) [32]byte {
	spec := e.ReachableOn
	if e.HasPort {
		spec += ":" + strconv.Itoa(e.Port)
	}
	return sha256.Sum256([]byte(spec))
}

// AutoconnectVerdict is the outcome of the auto-connect gate for one
// discovered record.
type AutoconnectVerdict int

// Verdicts of the auto-connect gate.
const (
	// Connect: dial the record as a Backbone client.
	Connect AutoconnectVerdict = iota
	// Disabled: auto-connect is off or its quota is used up.
	Disabled
	// UnsupportedType: the record's type is not one auto-connect dials.
	UnsupportedType
	// NotImplemented: TCPClientInterface and I2PInterface records, which
	// the reference declines to auto-connect; the operator adds them by
	// hand.
	NotImplemented
	// Exists: an interface to the same endpoint is already up.
	Exists
	// Yggdrasil: the endpoint is in 200::/7.
	Yggdrasil
)

var verdictNames = [...]string{"connect", "auto-connect disabled or quota used up", "type not auto-connected",
	"auto-connect of this type not implemented", "endpoint already connected", "Yggdrasil endpoint skipped"}

func (v AutoconnectVerdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "AutoconnectVerdict(" + strconv.Itoa(int(v)) + ")"
}

// Autoconnect decides whether a discovered record of type typ at e may be
// dialled, given the configured maximum of auto-connected interfaces (0:
// auto-connect off), how many are connected now, and whether an
// interface to the endpoint exists. The order of the checks is the
// reference's.
func Autoconnect(typ string, e Endpoint, max, connected int, exists bool) AutoconnectVerdict {
	switch {
	case max <= 0 || connected >= max:
		return Disabled
	case !contains(AutoconnectTypes, typ):
		return UnsupportedType
	case exists:
		return Exists
	case typ == "TCPClientInterface" || typ == "I2PInterface":
		return NotImplemented
	case IsYggdrasil(e.ReachableOn):
		return Yggdrasil
	case typ != "BackboneInterface":
		// The reference passes TCPServerInterface records through the
		// gate but builds clients only for Backbone ones.
		return NotImplemented
	}
	return Connect
}

// Features are the node-wide discovery switches; the zero value is the
// default, with everything off.
type Features struct {
	// DiscoverInterfaces listens for discovery announces.
	DiscoverInterfaces bool
	// MaxAutoconnected is how many discovered interfaces may be
	// connected automatically; 0 turns auto-connect off.
	MaxAutoconnected int
}

// Autoconnects reports whether discovered interfaces are connected
// automatically.
func (f Features) Autoconnects() bool { return f.MaxAutoconnected > 0 }
