package wiretcp

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
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
	// A file response (response_file, with optional response_metadata)
	// goes out as a response resource with metadata; each request gets a
	// reader of its own over the content, as the reference opens the file
	// afresh for every request.
	file, err := p.OptHex("response_file")
	if err != nil {
		return nil, err
	}
	fileMeta, err := p.OptHex("response_metadata")
	if err != nil {
		return nil, err
	}
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
		switch {
		case respNone:
			return nil
		case file != nil:
			var md any // the reference's None when no metadata is given
			if fileMeta != nil {
				md = fileMeta
			}
			return request.FileResponse{File: bytes.NewReader(file), Size: int64(len(file)), Metadata: md}
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

// cmdLinkRequest sends a request over an outbound link and waits for the
// response: the request's own timeout is timeout_ms, and the command
// waits half a second longer, as the reference's bridge does.
func cmdLinkRequest(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	data, err := optRequestData(p)
	if err != nil {
		return nil, err
	}
	timeout := timeoutParam(p, 10000)
	r, err := ls.mux.Send(ls.l, path, data, timeout)
	if err != nil {
		return bridge.Result{"status": "failed", "response": nil, "response_metadata": nil, "error": err.Error()}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+500*time.Millisecond)
	defer cancel()
	resp, err := r.Wait(ctx)
	switch {
	case errors.Is(err, request.ErrTimeout):
		return bridge.Result{"status": "timeout", "response": nil, "response_metadata": nil}, nil
	case err != nil:
		return bridge.Result{"status": "failed", "response": nil, "response_metadata": nil}, nil
	}
	rt, _ := r.ResponseTime()
	return bridge.Result{
		"status":            "ready",
		"response":          hexIfBytes(resp.Data),
		"response_metadata": hexIfBytes(resp.Metadata),
		"response_time_s":   rt.Seconds(),
	}, nil
}

// optRequestData reads the request data: absent or empty is the
// reference's None.
func optRequestData(p bridge.Params) (any, error) {
	data, err := p.OptHex("data")
	if err != nil || len(data) == 0 {
		return nil, err
	}
	return data, nil
}

// hexIfBytes is v in hex if it is bytes, else nil.
func hexIfBytes(v any) any {
	if b, ok := v.([]byte); ok {
		return hex.EncodeToString(b)
	}
	return nil
}

// requestCommands are the request commands beyond the first set.
func requestCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_link_request_timeout":    cmdLinkRequestTimeout,
		"wire_capture_response_packet": cmdCaptureResponsePacket,
	}
}

// cmdLinkRequestTimeout sends a request and reports the timeout its
// receipt took, without waiting for a response: the default of the link's
// RTT, or timeout_ms when given.
func cmdLinkRequestTimeout(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	data, err := optRequestData(p)
	if err != nil {
		return nil, err
	}
	var explicit time.Duration
	explicitS := any(nil)
	if p.Has("timeout_ms") && p["timeout_ms"] != nil {
		ms, err := p.Int("timeout_ms")
		if err != nil {
			return nil, err
		}
		explicit = time.Duration(ms) * time.Millisecond
		explicitS = explicit.Seconds()
	}
	rtt := ls.l.RTT()
	r, err := ls.mux.Send(ls.l, path, data, explicit)
	if err != nil {
		return nil, fmt.Errorf("request not sent: %w", err)
	}
	return bridge.Result{
		"receipt_timeout":         r.Timeout.Seconds(),
		"rtt":                     rtt.Seconds(),
		"traffic_timeout_factor":  request.TrafficTimeoutFactor,
		"response_max_grace_time": int(request.ResponseMaxGraceTime / time.Second),
		"explicit_timeout":        explicitS,
	}, nil
}

// cmdCaptureResponsePacket sends a request and records what its response
// arrived as: the plaintext of each RESPONSE packet, and each response
// resource advertisement.
func cmdCaptureResponsePacket(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	path, err := p.String("path")
	if err != nil {
		return nil, err
	}
	data, err := optRequestData(p)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	captured := []bridge.Result{}
	ls.mux.SetTrace(func(_ *link.Link, ctx wire.Context, plaintext []byte) {
		e := bridge.Result{"context": int(ctx), "plaintext": nil}
		if plaintext != nil {
			e["plaintext"] = hex.EncodeToString(plaintext)
		}
		mu.Lock()
		captured = append(captured, e)
		mu.Unlock()
	})
	defer ls.mux.SetTrace(nil)
	timeout := timeoutParam(p, 15000)
	r, err := ls.mux.Send(ls.l, path, data, timeout)
	if err != nil {
		return nil, fmt.Errorf("request not sent: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+500*time.Millisecond)
	defer cancel()
	status, response := "timeout", any(nil)
	resp, err := r.Wait(ctx)
	switch {
	case err == nil:
		status, response = "ready", hexIfBytes(resp.Data)
	case !errors.Is(err, request.ErrTimeout):
		status = "failed"
	}
	mu.Lock()
	defer mu.Unlock()
	return bridge.Result{"status": status, "response": response, "captured": captured}, nil
}
