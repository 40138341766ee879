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
	var allowed [][identity.HashLen]byte // nil: everyone
	switch a := p.StringOr("allow", "all"); a {
	case "all":
	case "none":
		allowed = [][identity.HashLen]byte{}
	case "list":
		allowed = [][identity.HashLen]byte{}
		l, _ := p.List("allowed_identity_hashes")
		for _, v := range l {
			s, _ := v.(string)
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != identity.HashLen {
				return nil, fmt.Errorf("%w: allowed identity hash %v", bridge.ErrParam, v)
			}
			allowed = append(allowed, [identity.HashLen]byte(b))
		}
	default:
		return nil, fmt.Errorf("unsupported allow: %q (use 'all', 'list' or 'none')", a)
	}
	ln.mu.Lock()
	ln.reqLog[path] = []bridge.Result{}
	ln.handlers[path] = true
	ln.mu.Unlock()
	ln.mux.HandleHashes(path, func(l *link.Link, _ string, data any, rid wire.Hash, remote *identity.Identity, at time.Time) any {
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
	}, allowed)
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
	ln.mu.Lock()
	had := ln.handlers[path]
	delete(ln.handlers, path)
	ln.mu.Unlock()
	ln.mux.Remove(path)
	return bridge.Result{"deregistered": had}, nil
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
// cmdLinkRequestLarge is wire_link_request for responses larger than a
// packet, which come back as response resources: the default timeout
// covers the transfer.
func cmdLinkRequestLarge(in *instance, p bridge.Params) (bridge.Result, error) {
	q := bridge.Params{}
	for k, v := range p {
		q[k] = v
	}
	if !q.Has("timeout_ms") {
		q["timeout_ms"] = float64(30000)
	}
	return cmdLinkRequest(in, q)
}

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
