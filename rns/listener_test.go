package rns_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
)

// chanListener hands out the interfaces sent on its channel.
type chanListener struct {
	name string
	c    chan iface.Interface
	once sync.Once
	done chan struct{}
}

func newChanListener(name string) *chanListener {
	return &chanListener{name: name, c: make(chan iface.Interface), done: make(chan struct{})}
}

func (l *chanListener) Name() string { return l.name }

func (l *chanListener) Accept() (iface.Interface, error) {
	select {
	case i := <-l.c:
		return i, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func waitIfaces(t *testing.T, n *rns.Node, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(n.Transport().Interfaces()) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d interfaces, want %d", len(n.Transport().Interfaces()), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRemoveListener removes one listener with the interfaces it spawned
// and leaves another listener and a plain interface alone.
func TestRemoveListener(t *testing.T) {
	n, err := rns.NewNode(rns.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	plain, _ := ifacetest.NewPair(ifacetest.Config{Name: "plain", MTU: 500}, ifacetest.Config{Name: "peer", MTU: 500})
	if _, err := n.AddInterface(plain, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	a, b := newChanListener("a"), newChanListener("b")
	n.AddListener(a, transport.InterfaceOptions{})
	n.AddListener(b, transport.InterfaceOptions{})
	var spawnedA []*ifacetest.Pipe
	for k := range 3 {
		x, _ := ifacetest.NewPair(ifacetest.Config{Name: "a" + string(rune('0'+k)), MTU: 500}, ifacetest.Config{MTU: 500})
		spawnedA = append(spawnedA, x)
		a.c <- x
	}
	y, _ := ifacetest.NewPair(ifacetest.Config{Name: "b0", MTU: 500}, ifacetest.Config{MTU: 500})
	b.c <- y
	waitIfaces(t, n, 5)

	if err := n.RemoveListener(a); err != nil {
		t.Fatal(err)
	}
	waitIfaces(t, n, 2)
	for _, i := range n.Transport().Interfaces() {
		if i.Name() != "plain" && i.Name() != "b0" {
			t.Fatalf("%s still attached", i.Name())
		}
	}
	buf := make([]byte, 500)
	if _, err := spawnedA[0].Receive(buf); err == nil {
		t.Fatal("spawned interface not closed")
	}
	if err := n.RemoveListener(a); err == nil {
		t.Fatal("second removal succeeded")
	}
	z, _ := ifacetest.NewPair(ifacetest.Config{Name: "b1", MTU: 500}, ifacetest.Config{MTU: 500})
	b.c <- z // the other listener still accepts
	waitIfaces(t, n, 3)
}
