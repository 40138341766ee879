package rns_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestTopologiesOverTCP runs the line, tree and ring topologies with real
// TCP connections on loopback between transport-enabled nodes: every node
// announces a destination, every node learns a path to every other, and
// data sent between every pair arrives and is proved.
func TestTopologiesOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time network test")
	}
	defer testutil.LeakCheck(t)()
	for _, c := range []struct {
		name  string
		n     int
		links [][2]int
	}{
		{"line of 5", 5, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}}},
		{"tree", 7, [][2]int{{0, 1}, {0, 2}, {1, 3}, {1, 4}, {2, 5}, {2, 6}}},
		{"ring", 6, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 0}}},
	} {
		t.Run(c.name, func(t *testing.T) { runTCPTopology(t, c.n, c.links) })
	}
}

func runTCPTopology(t *testing.T, n int, links [][2]int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nodes := make([]*rns.Node, n)
	for i := range nodes {
		node, err := rns.NewNode(rns.Options{TransportEnabled: true})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = node
		defer node.Close()
	}
	for _, l := range links {
		srv, err := tcp.Listen(ctx, tcp.Config{Name: fmt.Sprintf("srv%d-%d", l[0], l[1]), Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		nodes[l[0]].AddListener(srv, transport.InterfaceOptions{})
		cli, err := tcp.NewClient(ctx, tcp.Config{Name: fmt.Sprintf("cli%d-%d", l[1], l[0]), Addr: srv.Addr().String()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nodes[l[1]].AddInterface(cli, transport.InterfaceOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cli.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until every server has attached its accepted connection.
	for attached(nodes) != 2*len(links) {
		select {
		case <-ctx.Done():
			t.Fatal("connections not attached")
		case <-time.After(10 * time.Millisecond):
		}
	}

	dests := make([]*rns.Destination, n)
	got := make(chan string, n*n)
	for i, node := range nodes {
		id, _ := identity.Generate(nil)
		d, err := node.NewDestination(id, rns.In, wire.Single, "mehrtest", "tcp")
		if err != nil {
			t.Fatal(err)
		}
		d.SetProofStrategy(rns.ProveAll)
		d.SetPacketCallback(func(data []byte, p *transport.Packet) { got <- string(data) })
		dests[i] = d
		if err := d.Announce(nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, node := range nodes {
		for j, d := range dests {
			if i == j {
				continue
			}
			if err := node.AwaitPath(ctx, d.Hash()); err != nil {
				t.Fatalf("node %d found no path to node %d's destination: %v", i, j, err)
			}
		}
	}
	var receipts []*transport.Receipt
	for i, node := range nodes {
		for j, d := range dests {
			if i == j {
				continue
			}
			id, _, ok := node.Transport().Recall(d.Hash())
			if !ok {
				t.Fatalf("node %d does not know node %d's identity", i, j)
			}
			out, err := node.NewDestination(id, rns.Out, wire.Single, "mehrtest", "tcp")
			if err != nil {
				t.Fatal(err)
			}
			r, err := out.Send([]byte(fmt.Sprintf("%d->%d", i, j)), 30*time.Second)
			if err != nil {
				t.Fatalf("send %d->%d: %v", i, j, err)
			}
			receipts = append(receipts, r)
		}
	}
	for k, r := range receipts {
		select {
		case <-r.Done():
			if !r.Proved() {
				t.Fatalf("receipt %d timed out", k)
			}
		case <-ctx.Done():
			t.Fatalf("receipt %d: no proof", k)
		}
	}
	if len(got) != n*(n-1) {
		t.Fatalf("delivered %d of %d", len(got), n*(n-1))
	}
	for _, node := range nodes {
		node.Close()
	}
}

func attached(nodes []*rns.Node) int {
	n := 0
	for _, node := range nodes {
		n += len(node.Transport().Interfaces())
	}
	return n
}
