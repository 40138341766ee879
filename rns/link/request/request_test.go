package request_test

import (
	"bytes"
	"context"
	"errors"
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

func TestRequestResponse(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	var trs []*transport.Transport
	for i := range 2 {
		tid, _ := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x30 + i)}, 64))
		tr, err := transport.New(transport.Config{Identity: tid, NoJobs: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		trs = append(trs, tr)
	}
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "a"}, ifacetest.Config{Name: "b"})
	trs[0].AddInterface(pa, transport.InterfaceOptions{})
	trs[1].AddInterface(pb, transport.InterfaceOptions{})

	id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{0x41}, 64))
	ih := wire.Hash(id.Hash())
	h, _ := dest.Hash(&ih, "requesttest", "server")

	server := &request.Mux{}
	server.Handle("/echo", func(_ *link.Link, path string, data any, rid wire.Hash, remote *identity.Identity, at time.Time) any {
		return []any{path, data}
	})
	caller, _ := identity.FromPrivateKey(bytes.Repeat([]byte{0x42}, 64))
	server.Handle("/private", func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any {
		return "secret"
	}, caller)
	server.Handle("/big", func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any {
		return bytes.Repeat([]byte("0123456789"), 10_000)
	})
	var scfg link.Config
	server.Install(&scfg)
	ln, err := link.Listen(trs[1], id, h, scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	client := &request.Mux{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ccfg link.Config
	client.Install(&ccfg)
	l, err := link.Establish(ctx, trs[0], id, h, ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	resp, err := client.Do(ctx, l, "/echo", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	arr, ok := resp.([]any)
	if !ok || len(arr) != 2 || arr[0] != "/echo" || !bytes.Equal(arr[1].([]byte), []byte("hello")) {
		t.Fatalf("response %#v", resp)
	}

	// Unknown paths and unidentified callers get no answer.
	short, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := client.Do(short, l, "/nothing", nil); !errors.Is(err, request.ErrTimeout) {
		t.Errorf("unknown path: %v", err)
	}
	cancel2()
	short, cancel3 := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := client.Do(short, l, "/private", nil); !errors.Is(err, request.ErrTimeout) {
		t.Errorf("unidentified caller: %v", err)
	}
	cancel3()
	if err := l.Identify(caller); err != nil {
		t.Fatal(err)
	}
	if resp, err := client.Do(ctx, l, "/private", nil); err != nil || resp != "secret" {
		t.Fatalf("identified caller: %v %v", resp, err)
	}
	// Larger than a packet: the request travels as a request resource,
	// and its echo comes back as a response resource.
	large := bytes.Repeat([]byte{0xAB}, 5000)
	resp, err = client.Do(ctx, l, "/echo", large)
	if arr, ok := resp.([]any); err != nil || !ok || len(arr) != 2 || !bytes.Equal(arr[1].([]byte), large) {
		t.Fatalf("request resource: %v", err)
	}
	// A small request with a large response.
	resp, err = client.Do(ctx, l, "/big", nil)
	if b, ok := resp.([]byte); err != nil || !ok || len(b) != 100_000 {
		t.Fatalf("response resource: %T %v", resp, err)
	}
	server.HandleHashes("/nobody", func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any {
		return "never"
	}, [][identity.HashLen]byte{})
	short, cancel5 := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := client.Do(short, l, "/nobody", nil); !errors.Is(err, request.ErrTimeout) {
		t.Errorf("allow none: %v", err)
	}
	cancel5()
	server.HandleHashes("/listed", func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any {
		return "listed"
	}, [][identity.HashLen]byte{caller.Hash()})
	if resp, err := client.Do(ctx, l, "/listed", nil); err != nil || resp != "listed" {
		t.Fatalf("allow list: %v %v", resp, err)
	}
	server.Remove("/echo")
	short, cancel4 := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := client.Do(short, l, "/echo", nil); !errors.Is(err, request.ErrTimeout) {
		t.Errorf("removed path: %v", err)
	}
	cancel4()
	l.Close()
	srv.Close()
	ln.Close()
}

func TestRegisterValidation(t *testing.T) {
	var m request.Mux
	h := func(*link.Link, string, any, wire.Hash, *identity.Identity, time.Time) any { return nil }
	if err := m.Register("", h, request.AllowAll, nil); !errors.Is(err, request.ErrInvalidPath) {
		t.Errorf("empty path: %v", err)
	}
	if err := m.Register("/x", nil, request.AllowAll, nil); !errors.Is(err, request.ErrInvalidHandler) {
		t.Errorf("nil handler: %v", err)
	}
	if err := m.Register("/x", h, 0x99, nil); !errors.Is(err, request.ErrInvalidPolicy) {
		t.Errorf("policy 0x99: %v", err)
	}
	if m.Handlers() != 0 {
		t.Fatalf("%d handlers after refusals", m.Handlers())
	}
	for _, p := range []request.Policy{request.AllowNone, request.AllowAll, request.AllowList} {
		if err := m.Register("/x", h, p, nil); err != nil {
			t.Errorf("policy %d: %v", p, err)
		}
	}
	if m.Handlers() != 1 {
		t.Fatalf("%d handlers, want 1", m.Handlers())
	}
}
