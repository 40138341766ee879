package wiretcp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// injectIface is an interface whose received frames are the ones a command
// hands it: they go through transport's receive path (IFAC check and all)
// like frames read from a socket. It sends nothing.
type injectIface struct {
	name   string
	mode   iface.Mode
	frames chan []byte
	once   sync.Once
	closed chan struct{}
}

func newInjectIface(name string, mode iface.Mode) *injectIface {
	return &injectIface{name: name, mode: mode, frames: make(chan []byte, 16), closed: make(chan struct{})}
}

func (i *injectIface) Name() string     { return i.name }
func (i *injectIface) MTU() int         { return tcp.AutoMTU(tcp.DefaultBitrate) }
func (i *injectIface) Bitrate() int64   { return tcp.DefaultBitrate }
func (i *injectIface) Mode() iface.Mode { return i.mode }
func (i *injectIface) Send([]byte) error {
	select {
	case <-i.closed:
		return net.ErrClosed
	default:
		return nil
	}
}

func (i *injectIface) Receive(buf []byte) (int, error) {
	select {
	case f := <-i.frames:
		return copy(buf, f), nil
	case <-i.closed:
		return 0, net.ErrClosed
	}
}

func (i *injectIface) Close() error {
	i.once.Do(func() { close(i.closed) })
	return nil
}

func (i *injectIface) inject(f []byte) error {
	select {
	case i.frames <- append([]byte(nil), f...):
		return nil
	case <-i.closed:
		return net.ErrClosed
	case <-time.After(time.Second):
		return errors.New("inject: receive path not draining")
	}
}

// injector returns the node's inject interface with or without the
// node's IFAC, attaching it on first use.
func (in *instance) injector(withIFAC bool) (*injectIface, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.injectors == nil {
		in.injectors = map[bool]*injectIface{}
	}
	if i := in.injectors[withIFAC]; i != nil {
		return i, nil
	}
	name := "Wire Inject"
	opts := transport.InterfaceOptions{Mode: in.mode}
	if withIFAC {
		name += " IFAC"
		opts.IFAC = in.ifac
	}
	i := newInjectIface(name, in.mode)
	if _, err := in.node.AddInterface(i, opts); err != nil {
		return nil, err
	}
	in.injectors[withIFAC] = i
	return i, nil
}

// foreignAnnounce builds a genuine announce of a fresh destination this
// node does not host.
func foreignAnnounce(p bridge.Params) (wire.Hash, []byte, error) {
	app := p.StringOr("app_name", "rawframe")
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return wire.Hash{}, nil, err
	}
	if aspects == nil {
		aspects = []string{"inject"}
	}
	appData, err := p.OptHex("app_data")
	if err != nil {
		return wire.Hash{}, nil, err
	}
	if len(appData) == 0 {
		appData = []byte("probe")
	}
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return wire.Hash{}, nil, err
	}
	d, err := dest.New(id, dest.In, wire.Single, rand.Reader, app, aspects...)
	if err != nil {
		return wire.Hash{}, nil, err
	}
	var seed [16]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return wire.Hash{}, nil, err
	}
	raw, err := announce.Append(nil, &announce.Params{Destination: d, AppData: appData, RandomHash: announce.RandomHash(seed[:], time.Now())})
	return d.Hash, raw, err
}

// cmdInjectRawFrame pushes a genuine announce, masked with the node's IFAC
// and/or trimmed as the variant says, through a live receive path and
// reports whether a path was learned from it.
func cmdInjectRawFrame(in *instance, p bridge.Params) (bridge.Result, error) {
	variant, err := p.String("variant")
	if err != nil {
		return nil, err
	}
	var (
		h        wire.Hash
		frame    []byte
		withIFAC bool
	)
	switch variant {
	case "inject_external":
		if frame, err = p.Hex("raw"); err != nil {
			return nil, err
		}
		if h, err = paramHash(p, "dest_hash"); err != nil {
			return nil, err
		}
	case "build_masked", "masked_full", "masked_short", "plain_on_ifac":
		if in.ifac == nil {
			return nil, fmt.Errorf("variant %s requires an IFAC interface", variant)
		}
		withIFAC = true
		var plain []byte
		if h, plain, err = foreignAnnounce(p); err != nil {
			return nil, err
		}
		frame = plain
		if variant != "plain_on_ifac" {
			if frame, err = in.ifac.Apply(nil, plain); err != nil {
				return nil, err
			}
		}
		if variant == "build_masked" {
			return bridge.Result{"dest_hash": hexHash(h), "raw": hex.EncodeToString(frame), "frame_len": len(frame), "ifac_size": in.ifac.Size()}, nil
		}
		if variant == "masked_short" {
			frame = frame[:min(len(frame), 2+in.ifac.Size())]
		}
	case "plain_on_open", "min_short":
		if h, frame, err = foreignAnnounce(p); err != nil {
			return nil, err
		}
		if variant == "min_short" {
			n, err := p.IntOr("trim_to", 2)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: trim_to", bridge.ErrParam)
			}
			frame = frame[:min(len(frame), n)]
		}
	default:
		return nil, fmt.Errorf("unknown variant %q", variant)
	}
	i, err := in.injector(withIFAC)
	if err != nil {
		return nil, err
	}
	if err := i.inject(frame); err != nil {
		return nil, err
	}
	t := in.node.Transport()
	learned := pollUntil(500*time.Millisecond, func() bool { return t.HasPath(h) })
	res := bridge.Result{"dest_hash": hexHash(h), "frame_len": len(frame), "learned": learned}
	if withIFAC {
		res["ifac_size"] = in.ifac.Size()
	}
	return res, nil
}
