package main

import (
	"context"
	cryptoRand "crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/transport"
)

// daemonRunning reports whether a mehrd answers on dir's control socket.
func daemonRunning(dir string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := control.Call(ctx, dir, control.Request{Cmd: "status"})
	return err == nil
}

// instance is a node for a tool: attached to the running daemon's shared
// instance, or started in process from the configuration.
type instance struct {
	node   *rns.Node
	closer func()
}

func (i *instance) Close() { i.closer() }

func openInstance(ctx context.Context, dir string, stderr io.Writer) (*instance, error) {
	c, _, _, err := daemon.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	if daemonRunning(dir) && c.Reticulum.ShareInstance {
		node, err := rns.NewNode(rns.Options{})
		if err != nil {
			return nil, err
		}
		t, _ := local.ParseType(c.Reticulum.SharedInstanceType)
		cl, err := local.Dial(ctx, local.Config{Name: "Shared Instance", Type: t,
			InstanceName: c.Reticulum.InstanceName, Port: c.Reticulum.SharedInstancePort})
		if err != nil {
			node.Close()
			return nil, fmt.Errorf("attach to the shared instance: %w", err)
		}
		if _, err := node.AddInterface(cl, transport.InterfaceOptions{}); err != nil {
			node.Close()
			return nil, err
		}
		return &instance{node: node, closer: func() { node.Close() }}, nil
	}
	d, err := daemon.Start(ctx, dir, c, daemon.Options{NoSharedInstance: true, NoControl: true})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "mehr: no mehrd running; started an in-process instance from %s\n", dir)
	return &instance{node: d.Node, closer: func() { d.Close() }}, nil
}

// randReader is the randomness source for announces the tool makes.
var randReader = cryptoRand.Reader
