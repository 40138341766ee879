package control_test

import (
	"context"
	"testing"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/transport"
)

func TestStatusAndPaths(t *testing.T) {
	defer testutil.LeakCheck(t)()
	dir := t.TempDir()
	a, err := rns.NewNode(rns.Options{TransportEnabled: true, RespondToProbes: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "to-b"}, ifacetest.Config{Name: "to-a"})
	a.AddInterface(pa, transport.InterfaceOptions{})
	b.AddInterface(pb, transport.InterfaceOptions{})

	s, err := control.Listen(dir, b)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := control.Listen(dir, b); err == nil {
		t.Fatal("a second daemon could listen on the same socket")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := control.Call(ctx, dir, control.Request{Cmd: "status"})
	if err != nil || resp.Status == nil || len(resp.Status.Interfaces) != 1 || resp.Status.Interfaces[0].Name != "to-a" {
		t.Fatalf("status: %+v %v", resp, err)
	}
	probe := a.ProbeDestination().Hash().String()
	resp, err = control.Call(ctx, dir, control.Request{Cmd: "request_path", Hash: probe, Wait: 5})
	if err != nil || resp.Path == nil || resp.Path.Hops != 1 || resp.Path.Interface != "to-a" {
		t.Fatalf("request_path: %+v %v", resp, err)
	}
	resp, err = control.Call(ctx, dir, control.Request{Cmd: "paths"})
	if err != nil || len(resp.Paths) != 1 || resp.Paths[0].Destination != probe {
		t.Fatalf("paths: %+v %v", resp, err)
	}
	for _, bad := range []control.Request{{Cmd: "path", Hash: "xyz"}, {Cmd: "nope"}} {
		resp, err = control.Call(ctx, dir, bad)
		if err != nil || resp.Error == "" {
			t.Errorf("%+v: no error (%v)", bad, err)
		}
	}
	s.Close()
	a.Close()
	b.Close()
}
