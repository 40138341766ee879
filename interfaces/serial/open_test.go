package serial_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
)

// TestOpenCancelled: a context that has ended fails New even when
// opening the port itself takes no time.
func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	port := serialtest.NewFakePort(nil, 1)
	_, err := serial.New(ctx, serial.Config{Port: serial.PortConfig{Path: "fake"}, Settle: -1,
		Open: func(serial.PortConfig) (serial.Port, error) { return port, nil }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("New: %v", err)
	}
	select {
	case <-port.Closed():
	default:
		t.Fatal("port left open")
	}
}

// TestConfigureFails: a device that cannot be configured fails OpenLine
// and is closed again.
func TestConfigureFails(t *testing.T) {
	port := serialtest.NewFakePort(nil, 1)
	bad := errors.New("no TNC")
	_, err := serial.OpenLine(t.Context(), serial.LineConfig{Port: serial.PortConfig{Path: "fake"},
		Open:      func(serial.PortConfig) (serial.Port, error) { return port, nil },
		Configure: func(io.Writer) error { return bad }})
	if !errors.Is(err, bad) {
		t.Fatalf("OpenLine: %v", err)
	}
	select {
	case <-port.Closed():
	default:
		t.Fatal("port left open")
	}
}
