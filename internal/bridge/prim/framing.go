package prim

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/mehr-net/mehr/interfaces/auto"
	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/link/resource"
)

func framingCommands(r bridge.Registry) {
	r["hdlc_escape"] = hdlcEscape
	r["hdlc_deframe"] = hdlcDeframe
	r["kiss_deframe"] = kissDeframe
	r["hdlc_frame"] = hdlcFrame
	r["kiss_frame"] = kissFrame
	r["hdlc_deframe_stream"] = hdlcDeframeStream
	r["kiss_deframe_stream"] = kissDeframeStream
	r["auto_discovery_token"] = autoDiscoveryToken
	r["interface_hw_mtu"] = interfaceHWMTU
	r["interface_optimise_mtu"] = interfaceOptimiseMTU
	r["bz2_compress"] = bz2Compress
	r["bz2_decompress"] = bz2Decompress
}

func hdlcEscape(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"escaped": bridge.Hex(framing.AppendHDLCEscape(nil, b))}, nil
}

func hdlcFrame(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"framed": bridge.Hex(framing.AppendHDLC(nil, b))}, nil
}

func kissFrame(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	return bridge.Result{"framed": bridge.Hex(framing.AppendKISS(nil, framing.KISSCmdData, b))}, nil
}

// hdlcFrames runs d over stream and returns every frame it delivers.
func hdlcFrames(d *framing.HDLCDecoder, stream []byte) [][]byte {
	var out [][]byte
	for len(stream) > 0 {
		n, f, _ := d.Decode(stream)
		stream = stream[n:]
		if f != nil {
			out = append(out, append([]byte(nil), f...))
		}
		if n == 0 {
			break
		}
	}
	return out
}

type kissFrameOut struct {
	cmd     byte
	payload []byte
}

func kissFrames(d *framing.KISSDecoder, stream []byte) []kissFrameOut {
	var out []kissFrameOut
	for len(stream) > 0 {
		n, cmd, f, err := d.Decode(stream)
		stream = stream[n:]
		if err == nil && f != nil {
			out = append(out, kissFrameOut{cmd, append([]byte(nil), f...)})
		}
		if n == 0 {
			break
		}
	}
	return out
}

func hdlcDeframe(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("framed")
	if err != nil {
		return nil, err
	}
	fs := hdlcFrames(&framing.HDLCDecoder{}, b)
	if len(fs) == 0 {
		return nil, errors.New("ValueError: no complete HDLC frame (two FLAG 0x7E delimiters) in framed input")
	}
	return bridge.Result{"data": bridge.Hex(fs[0])}, nil
}

func kissDeframe(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("framed")
	if err != nil {
		return nil, err
	}
	fs := kissFrames(&framing.KISSDecoder{}, b)
	if len(fs) == 0 {
		return nil, errors.New("ValueError: no complete KISS frame (two FEND 0xC0 delimiters) in framed input")
	}
	if fs[0].cmd != framing.KISSCmdData {
		return nil, fmt.Errorf("ValueError: unexpected KISS command byte %#02x, expected CMD_DATA (0x00)", fs[0].cmd)
	}
	return bridge.Result{"data": bridge.Hex(fs[0].payload)}, nil
}

func streamParams(p bridge.Params) ([]byte, int, error) {
	b, err := p.Hex("stream")
	if err != nil {
		return nil, 0, err
	}
	mtu, err := p.IntOr("hw_mtu", tcp.HWMTU)
	if err != nil {
		return nil, 0, err
	}
	if mtu < 1 {
		return nil, 0, fmt.Errorf("%w: hw_mtu %d", bridge.ErrParam, mtu)
	}
	return b, mtu, nil
}

func hexList(fs [][]byte) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = bridge.Hex(f)
	}
	return out
}

// hdlcDeframeStream reads a stream as the TCP interface does: runt frames
// of HEADER_MINSIZE bytes or fewer are dropped.
func hdlcDeframeStream(p bridge.Params) (bridge.Result, error) {
	b, mtu, err := streamParams(p)
	if err != nil {
		return nil, err
	}
	d := &framing.HDLCDecoder{MinFrame: framing.TCPMinFrame, MaxFrame: mtu}
	return bridge.Result{"frames": hexList(hdlcFrames(d, b))}, nil
}

// kissDeframeStream reads a stream as the TCP interface does with KISS
// framing: the port nibble is stripped and only data frames are delivered.
func kissDeframeStream(p bridge.Params) (bridge.Result, error) {
	b, mtu, err := streamParams(p)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, f := range kissFrames(&framing.KISSDecoder{StripPort: true, MaxFrame: mtu, Truncate: true}, b) {
		if f.cmd == framing.KISSCmdData {
			out = append(out, f.payload)
		}
	}
	return bridge.Result{"frames": hexList(out)}, nil
}

func autoDiscoveryToken(p bridge.Params) (bridge.Result, error) {
	g, err := p.Hex("group_id")
	if err != nil {
		return nil, err
	}
	s, err := p.String("link_local_addr")
	if err != nil {
		return nil, err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, fmt.Errorf("%w: link_local_addr: %v", bridge.ErrParam, err)
	}
	t := auto.DiscoveryToken(g, a)
	return bridge.Result{"token": bridge.Hex(t[:])}, nil
}

func interfaceHWMTU(p bridge.Params) (bridge.Result, error) {
	t, err := p.String("type")
	if err != nil {
		return nil, err
	}
	switch t {
	case "TCPInterface":
		return bridge.Result{"hw_mtu": tcp.HWMTU}, nil
	case "AutoInterface":
		return bridge.Result{"hw_mtu": auto.HWMTU}, nil
	case "BackboneInterface":
		return bridge.Result{"hw_mtu": tcp.BackboneHWMTU}, nil
	}
	return bridge.Result{"error": fmt.Sprintf("unsupported interface type %q (class-level HW_MTU only: AutoInterface, BackboneInterface, TCPInterface)", t)}, nil
}

// interfaceOptimiseMTU maps a bitrate to a hardware MTU as an interface
// with an automatically configured MTU does; without autoconfiguration the
// MTU is left as it was (the -1 sentinel, as in the reference command).
func interfaceOptimiseMTU(p bridge.Params) (bridge.Result, error) {
	b, err := p.Int("bitrate")
	if err != nil {
		return nil, err
	}
	autoconf, err := p.Bool("autoconfigure", true)
	if err != nil {
		return nil, err
	}
	if !autoconf {
		return bridge.Result{"hw_mtu": -1, "unchanged": true}, nil
	}
	var mtu any
	if m, ok := tcp.TierMTU(int64(b)); ok {
		mtu = m
	}
	return bridge.Result{"hw_mtu": mtu, "unchanged": false}, nil
}

func bz2Compress(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("data")
	if err != nil {
		return nil, err
	}
	c, err := resource.Compress(b)
	if err != nil {
		return nil, err
	}
	ratio := 0.0
	if len(b) > 0 {
		ratio = float64(len(c)) / float64(len(b))
	}
	return bridge.Result{"compressed": bridge.Hex(c), "original_size": len(b), "compressed_size": len(c), "ratio": ratio}, nil
}

// maxDecompressed bounds bz2_decompress output.
const maxDecompressed = 256 << 20

func bz2Decompress(p bridge.Params) (bridge.Result, error) {
	b, err := p.Hex("compressed")
	if err != nil {
		return nil, err
	}
	d, err := resource.Decompress(b, maxDecompressed)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"decompressed": bridge.Hex(d), "size": len(d)}, nil
}
