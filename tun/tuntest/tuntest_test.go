package tuntest

import (
	"errors"
	"net"
	"testing"
)

func TestDevice(t *testing.T) {
	d := New(0, 1)
	if d.MTU() != 1280 {
		t.Errorf("MTU %d", d.MTU())
	}
	d.Inbound <- []byte{1, 2, 3}
	buf := make([]byte, 10)
	if n, err := d.Read(buf); err != nil || n != 3 {
		t.Fatalf("Read = %d, %v", n, err)
	}
	pkt := []byte{4, 5}
	if _, err := d.Write(pkt); err != nil {
		t.Fatal(err)
	}
	pkt[0] = 9 // the device keeps a copy
	if _, err := d.Write(pkt); err != nil || d.Dropped.Load() != 1 {
		t.Fatalf("second write into a full queue: %v, dropped %d", err, d.Dropped.Load())
	}
	if got := <-d.Outbound; got[0] != 4 {
		t.Error("write did not copy")
	}
	d.Close()
	d.Close()
	if _, err := d.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := d.Write(pkt); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}
