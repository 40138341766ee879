package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
)

// MaxReplySize is the longest reply Call reads.
const MaxReplySize = 64 << 20

// Dial connects to the RPC socket described by cfg and authenticates with
// cfg.Key, as Python's multiprocessing.connection.Client does: it answers
// the server's challenge, then challenges the server. ctx and cfg.Timeout
// bound the connection attempt and handshake; the returned Conn has no
// deadline.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if len(cfg.Key) == 0 {
		return nil, errors.New("rpc: empty key")
	}
	network, address, err := cfg.Endpoint()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	c := NewConn(nc)
	err = clientHandshake(c, cfg.Key)
	if !stop() && err != nil {
		err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

// Call makes one call the way the reference's client methods do: connect,
// send the request packed with msgpack, and return the decoded reply
// (nil, bool, int64 or uint64, float64, string, []byte, []any or
// msgpack.Map). A request the server does not answer returns io.EOF.
func Call(ctx context.Context, cfg Config, request any) (any, error) {
	req, err := msgpack.Marshal(request)
	if err != nil {
		return nil, err
	}
	c, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(cfg.timeout()))
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.SendBytes(req); err != nil {
		return nil, err
	}
	b, err := c.RecvBytes(MaxReplySize)
	if err != nil {
		return nil, err
	}
	return msgpack.Decode(b)
}

// DefaultKey returns the key the reference uses when rpc_key is not
// configured: the SHA-256 of the 64-byte private key (X25519 private key,
// then Ed25519 seed) of the transport identity stored in
// <storage>/transport_identity. The reference uses the stored identity
// even when transport is disabled and it announces with an ephemeral one,
// and every program attached to a shared instance derives the key from its
// own storage directory, so the keys agree only when the daemon and the
// programs read the same transport_identity file (or all configure the
// same rpc_key).
func DefaultKey(transport *identity.Identity) ([]byte, error) {
	k, ok := transport.PrivateKey()
	if !ok {
		return nil, errors.New("rpc: transport identity has no private key")
	}
	h := identity.FullHash(k[:])
	return h[:], nil
}
