package wiretcp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/wire"
)

// cmdRegisterRequestHandler registers a handler answering fixed bytes on a
// listener's destination and logging every call.
func cmdRegisterRequestHandler(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	resp, err := p.OptHex("response")
	if err != nil {
		return nil, err
	}
	if resp == nil {
		resp = []byte{}
	}
	respNone, _ := p.Bool("response_none", false)
	var allowed []*identity.Identity
	allowNone := false
	switch a := p.StringOr("allow", "all"); a {
	case "all":
	case "none":
		allowNone = true
	case "list":
		return nil, errors.New("allow=list needs identities, not hashes: not supported by the mehr bridge")
	default:
		return nil, fmt.Errorf("unsupported allow: %q (use 'all', 'list' or 'none')", a)
	}
	if allowNone {
		// A handler no identified peer can match: a throwaway identity.
		id, err := identity.Generate(randReader{})
		if err != nil {
			return nil, err
		}
		allowed = []*identity.Identity{id}
	}
	ln.mu.Lock()
	ln.reqLog[path] = []bridge.Result{}
	ln.mu.Unlock()
	ln.mux.Handle(path, func(l *link.Link, _ string, data any, rid wire.Hash, remote *identity.Identity, at time.Time) any {
		b, _ := data.([]byte)
		var rh any
		if remote != nil {
			h := remote.Hash()
			rh = hex.EncodeToString(h[:])
		}
		ln.mu.Lock()
		ln.reqLog[path] = append(ln.reqLog[path], bridge.Result{
			"data":                 hex.EncodeToString(b),
			"request_id":           hexHash(rid),
			"link_id":              hexHash(l.ID()),
			"remote_identity_hash": rh,
			"requested_at":         float64(at.UnixNano()) / 1e9,
		})
		ln.mu.Unlock()
		if respNone {
			return nil
		}
		return resp
	}, allowed...)
	return bridge.Result{"registered": true}, nil
}

func cmdDeregisterRequestHandler(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	ln.mux.Remove(path)
	return bridge.Result{"deregistered": true}, nil
}

func cmdGetRequestLog(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	ln.mu.Lock()
	entries := append([]bridge.Result{}, ln.reqLog[path]...)
	ln.mu.Unlock()
	return bridge.Result{"count": len(entries), "entries": entries}, nil
}

// cmdLinkRequest sends a request over an outbound link and waits for the
// response.
func cmdLinkRequest(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if data == nil {
		data = []byte{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeoutParam(p, 10000))
	defer cancel()
	start := time.Now()
	v, err := ls.mux.Do(ctx, ls.l, path, data)
	switch {
	case errors.Is(err, request.ErrTimeout):
		return bridge.Result{"status": "timeout", "response": nil, "response_metadata": nil}, nil
	case err != nil:
		return bridge.Result{"status": "failed", "response": nil, "response_metadata": nil, "error": err.Error()}, nil
	}
	var resp any
	if b, ok := v.([]byte); ok {
		resp = hex.EncodeToString(b)
	}
	return bridge.Result{
		"status":            "ready",
		"response":          resp,
		"response_metadata": nil,
		"response_time_s":   time.Since(start).Seconds(),
	}, nil
}
