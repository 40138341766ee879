package request_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// linked establishes a link between two transports over an in-memory
// pair, with server installed on the listening side and client on the
// initiator. mtu, when not 0, fixes the interfaces' MTU.
func linked(t *testing.T, server, client *request.Mux, mtu int) *link.Link {
	t.Helper()
	var trs []*transport.Transport
	for i := range 2 {
		tid, _ := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x50 + i)}, 64))
		tr, err := transport.New(transport.Config{Identity: tid, NoJobs: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		trs = append(trs, tr)
	}
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "a", MTU: mtu}, ifacetest.Config{Name: "b", MTU: mtu})
	trs[0].AddInterface(pa, transport.InterfaceOptions{})
	trs[1].AddInterface(pb, transport.InterfaceOptions{})
	id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{0x61}, 64))
	ih := wire.Hash(id.Hash())
	h, _ := dest.Hash(&ih, "requesttest", "receipt")
	var scfg, ccfg link.Config
	server.Install(&scfg)
	client.Install(&ccfg)
	ln, err := link.Listen(trs[1], id, h, scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := link.Establish(ctx, trs[0], id, h, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	srv, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return l
}

func TestDefaultTimeout(t *testing.T) {
	for _, c := range []struct {
		rtt, want time.Duration
	}{
		{0, 11250 * time.Millisecond},
		{100 * time.Millisecond, 11850 * time.Millisecond},
		{2 * time.Second, 23250 * time.Millisecond},
	} {
		if got := request.DefaultTimeout(c.rtt); got != c.want {
			t.Errorf("DefaultTimeout(%v) = %v, want %v", c.rtt, got, c.want)
		}
	}
}

func TestReceipt(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	server, client := &request.Mux{}, &request.Mux{}
	var mu sync.Mutex
	calls := map[string]int{}
	count := func(path string) {
		mu.Lock()
		calls[path]++
		mu.Unlock()
	}
	server.Handle("/none", func(_ *link.Link, path string, _ any, _ wire.Hash, _ *identity.Identity, _ time.Time) any {
		count(path)
		return nil
	})
	server.Handle("/bytes", func(_ *link.Link, path string, _ any, _ wire.Hash, _ *identity.Identity, _ time.Time) any {
		count(path)
		return []byte("answer")
	})
	l := linked(t, server, client, 0)

	// Without a timeout, the receipt takes the default of the link's RTT.
	r, err := client.Send(l, "/bytes", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := request.DefaultTimeout(l.RTT()); r.Timeout != want {
		t.Errorf("default timeout %v, want %v", r.Timeout, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := r.Wait(ctx)
	if err != nil || !bytes.Equal(resp.Data.([]byte), []byte("answer")) || resp.Metadata != nil || resp.File {
		t.Fatalf("bytes response %#v %v", resp, err)
	}
	if r.Status() != request.StatusReady {
		t.Errorf("status %d, want READY", r.Status())
	}
	if _, ok := r.ResponseTime(); !ok {
		t.Error("no response time for a READY request")
	}

	// A handler returning nil sends nothing: the request fails at its
	// timeout although the handler ran.
	r, err = client.Send(l, "/none", nil, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Timeout != 300*time.Millisecond {
		t.Errorf("explicit timeout %v", r.Timeout)
	}
	if _, err := r.Wait(ctx); !errors.Is(err, request.ErrTimeout) {
		t.Fatalf("nil response: %v", err)
	}
	if r.Status() != request.StatusFailed {
		t.Errorf("status %d, want FAILED", r.Status())
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["/none"] != 1 || calls["/bytes"] != 1 {
		t.Errorf("handler calls %v", calls)
	}
}

// closeTracker is a file stand-in that records its closing.
type closeTracker struct {
	*bytes.Reader
	closed chan struct{}
}

func (c closeTracker) Close() error { close(c.closed); return nil }

func TestFileResponse(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	content := bytes.Repeat([]byte("file-bytes."), 40)
	meta := []byte("metadata-bytes")
	server, client := &request.Mux{}, &request.Mux{}
	file := closeTracker{bytes.NewReader(content), make(chan struct{})}
	server.Handle("/file", func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any {
		return request.FileResponse{File: file, Size: int64(len(content)), Metadata: meta}
	})
	server.Handle("/large", func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any {
		return bytes.Repeat([]byte{0x5A}, 3000)
	})
	l := linked(t, server, client, 500)

	var mu sync.Mutex
	var seen []wire.Context
	client.SetTrace(func(_ *link.Link, ctx wire.Context, _ []byte) {
		mu.Lock()
		seen = append(seen, ctx)
		mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := client.DoResponse(ctx, l, "/file", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.File || !bytes.Equal(resp.Data.([]byte), content) {
		t.Fatalf("file content %T %v", resp.Data, resp.File)
	}
	if md, ok := resp.Metadata.([]byte); !ok || !bytes.Equal(md, meta) {
		t.Fatalf("metadata %#v", resp.Metadata)
	}
	select {
	case <-file.closed:
	case <-ctx.Done():
		t.Fatal("file response not closed after the transfer")
	}
	// A response larger than the link MDU comes as a resource without
	// metadata: the trace sees its advertisement and no RESPONSE packet.
	resp, err = client.DoResponse(ctx, l, "/large", nil)
	if err != nil || resp.File || resp.Metadata != nil || len(resp.Data.([]byte)) != 3000 {
		t.Fatalf("large response %v %v", resp.File, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != wire.ContextResourceAdv || seen[1] != wire.ContextResourceAdv {
		t.Errorf("traced contexts %v, want two resource advertisements", seen)
	}
}
