package tun

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/mehr-net/mehr/internal/testutil"
)

var (
	testSrc = netip.MustParseAddr("fd6d:6568:7200:1::1")
	testDst = netip.MustParseAddr("fd6d:6568:7200:2::2")
)

func TestHeaderDecode(t *testing.T) {
	good := echoPacket(testSrc, testDst, false, 1, 2, 16)
	var h Header
	if err := h.Decode(good); err != nil {
		t.Fatal(err)
	}
	if h.Len != len(good) || h.NextHeader != protoICMPv6 || h.HopLimit != 64 || h.SrcAddr() != testSrc || h.DstAddr() != testDst {
		t.Errorf("decoded %+v", h)
	}
	if err := h.Decode(append(bytes.Clone(good), 0, 0, 0)); err != nil || h.Len != len(good) {
		t.Errorf("trailing bytes: %v, Len %d", err, h.Len)
	}
	jumbo := ipv6Packet(testSrc, testDst, 0, nil)
	ipv4 := bytes.Clone(good)
	ipv4[0] = 0x45
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"39 bytes", good[:39], ErrShort},
		{"ipv4", ipv4, ErrVersion},
		{"truncated payload", good[:len(good)-1], ErrLength},
		{"jumbogram", jumbo, ErrLength},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := h.Decode(c.b); !errors.Is(err, c.want) {
				t.Errorf("Decode = %v, want %v", err, c.want)
			}
		})
	}
}

func TestICMPv6Errors(t *testing.T) {
	own := netip.MustParseAddr("fd6d:6568:7200:9::9").As16()
	for _, c := range []struct {
		name      string
		orig      []byte
		typ, code uint8
		param     uint32
		wantLen   int
	}{
		{"unreachable small", echoPacket(testSrc, testDst, false, 7, 1, 8), icmpTypeUnreachable, icmpCodeAddrUnreach, 0, 40 + 8 + 56},
		{"too big quotes 1232 bytes", echoPacket(testSrc, testDst, false, 7, 1, 1452), icmpTypeTooBig, 0, 1280, MinMTU},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Header
			if err := h.Decode(c.orig); err != nil {
				t.Fatal(err)
			}
			pkt := AppendICMPv6Error(nil, own, &h, c.orig, c.typ, c.code, c.param)
			if len(pkt) != c.wantLen {
				t.Fatalf("len %d, want %d", len(pkt), c.wantLen)
			}
			var eh Header
			if err := eh.Decode(pkt); err != nil || eh.Len != len(pkt) {
				t.Fatalf("reply does not decode: %v", err)
			}
			if eh.Src != own || eh.DstAddr() != testSrc || eh.NextHeader != protoICMPv6 {
				t.Errorf("reply header %+v", eh)
			}
			m := pkt[IPv6HeaderLen:]
			if m[0] != c.typ || m[1] != c.code || binary.BigEndian.Uint32(m[4:]) != c.param {
				t.Errorf("ICMPv6 header % x", m[:8])
			}
			if !bytes.Equal(m[8:], c.orig[:len(m)-8]) {
				t.Error("quote is not the start of the invoking packet")
			}
			if !checksumOK(pkt) {
				t.Error("bad checksum")
			}
		})
	}
}

// TestICMPv6Golden pins the bytes of a packet too big message.
func TestICMPv6Golden(t *testing.T) {
	orig := ipv6Packet(netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"), 17, []byte{1, 2, 3, 4})
	var h Header
	if err := h.Decode(orig); err != nil {
		t.Fatal(err)
	}
	own := netip.MustParseAddr("fd00::3").As16()
	got := AppendICMPv6Error(nil, own, &h, orig, icmpTypeTooBig, 0, 1280)
	want := []byte{
		0x60, 0, 0, 0, 0, 52, 58, 64,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		2, 0, 0, 0, 0, 0, 0x05, 0x00,
	}
	want = append(want, orig...)
	// Checksum by hand: pseudo header fd00 + 3 + fd00 + 1 + 52 + 58, then
	// 0200 + 0500 + the quoted packet's 16-bit words.
	var s uint32 = 0xfd00 + 3 + 0xfd00 + 1 + 52 + 58 + 0x0200 + 0x0500
	for i := 0; i < len(orig); i += 2 {
		s += uint32(orig[i])<<8 | uint32(orig[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	binary.BigEndian.PutUint16(want[42:], ^uint16(s))
	if !bytes.Equal(got, want) {
		t.Errorf("got\n% x\nwant\n% x", got, want)
	}
}

func TestMayAnswerWithError(t *testing.T) {
	errMsg := ipv6Packet(testSrc, testDst, protoICMPv6, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	for _, c := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"echo request", echoPacket(testSrc, testDst, false, 1, 1, 0), true},
		{"udp", ipv6Packet(testSrc, testDst, 17, []byte{1, 2}), true},
		{"icmp error", errMsg, false},
		{"icmp empty", ipv6Packet(testSrc, testDst, protoICMPv6, nil), false},
		{"unspecified source", ipv6Packet(netip.IPv6Unspecified(), testDst, 17, nil), false},
		{"multicast destination", ipv6Packet(testSrc, netip.MustParseAddr("ff02::1"), 17, nil), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Header
			if err := h.Decode(c.pkt); err != nil {
				t.Fatal(err)
			}
			if got := mayAnswerWithError(&h, c.pkt); got != c.want {
				t.Errorf("got %v", got)
			}
		})
	}
}

func TestHeaderDecodeAllocs(t *testing.T) {
	pkt := echoPacket(testSrc, testDst, false, 1, 1, 64)
	var h Header
	testutil.MaxAllocs(t, 100, 0, func() { _ = h.Decode(pkt) })
	buf := make([]byte, 0, MinMTU)
	own := testSrc.As16()
	_ = h.Decode(pkt)
	testutil.MaxAllocs(t, 100, 0, func() { buf = AppendICMPv6Error(buf[:0], own, &h, pkt, 1, 3, 0) })
}

func FuzzHeaderDecode(f *testing.F) {
	f.Add(echoPacket(testSrc, testDst, false, 1, 1, 16))
	f.Add(ipv6Packet(testSrc, testDst, 17, []byte{1, 2, 3}))
	f.Add(ipv6Packet(testSrc, testDst, 0, nil))
	f.Add([]byte{0x45, 0, 0, 20})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		if err := h.Decode(b); err != nil {
			return
		}
		if h.Len < IPv6HeaderLen || h.Len > len(b) {
			t.Fatalf("Len %d outside [40, %d]", h.Len, len(b))
		}
		pkt := b[:h.Len]
		if mayAnswerWithError(&h, pkt) {
			own := testSrc.As16()
			reply := AppendICMPv6Error(nil, own, &h, pkt, icmpTypeUnreachable, 0, 0)
			if len(reply) > MinMTU || !checksumOK(reply) {
				t.Fatalf("bad reply of %d bytes", len(reply))
			}
			var rh Header
			if err := rh.Decode(reply); err != nil || rh.Len != len(reply) {
				t.Fatalf("reply does not decode: %v", err)
			}
		}
	})
}
