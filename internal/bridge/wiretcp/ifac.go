package wiretcp

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/bridge"
)

var errNoIFAC = errors.New("No IFAC-configured interface on this handle. Start the peer with network_name + passphrase so an IFAC key is derived.")

// cmdIFACCompute signs packet_data with the node's IFAC identity, as
// transmit does, and returns the access code.
func cmdIFACCompute(in *instance, p bridge.Params) (bridge.Result, error) {
	if in.ifac == nil {
		return nil, errNoIFAC
	}
	data, err := p.Hex("packet_data")
	if err != nil {
		return nil, err
	}
	size, err := p.IntOr("ifac_size", in.ifac.Size())
	if err != nil {
		return nil, err
	}
	if size < 1 || size > 64 {
		return nil, fmt.Errorf("%w: ifac_size %d", bridge.ErrParam, size)
	}
	sig, err := in.ifac.Identity().Sign(data)
	if err != nil {
		return nil, err
	}
	key := in.ifac.Key()
	return bridge.Result{
		"ifac_key":  hex.EncodeToString(key[:]),
		"ifac_size": size,
		"signature": hex.EncodeToString(sig[:]),
		"ifac":      hex.EncodeToString(sig[len(sig)-size:]),
	}, nil
}

// cmdIFACSignature reports the node's IFAC signature, key and size.
func cmdIFACSignature(in *instance, _ bridge.Params) (bridge.Result, error) {
	if in.ifac == nil {
		return nil, errNoIFAC
	}
	sig, key := in.ifac.Signature(), in.ifac.Key()
	return bridge.Result{
		"ifac_signature":    hex.EncodeToString(sig[:]),
		"ifac_key":          hex.EncodeToString(key[:]),
		"ifac_size":         in.ifac.Size(),
		"default_ifac_size": tcp.DefaultIFACSize,
	}, nil
}

// cmdInterfaceBitrate reports the TCP interface's effective bitrate.
func cmdInterfaceBitrate(in *instance, _ bridge.Params) (bridge.Result, error) {
	var br int64
	switch {
	case in.srv != nil:
		br = in.srv.Bitrate()
	case in.client != nil:
		br = in.client.Bitrate()
	}
	return bridge.Result{"bitrate": br, "bitrate_guess": tcp.DefaultBitrate, "minimum_bitrate": tcp.MinBitrate}, nil
}
