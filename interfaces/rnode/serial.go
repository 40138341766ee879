package rnode

import (
	"go.bug.st/serial"
)

// openSerial opens a serial port as the reference opens an RNode's:
// BaudRate, 8 data bits, no parity, one stop bit, no flow control.
func openSerial(path string) (Port, error) {
	return serial.Open(path, &serial.Mode{BaudRate: BaudRate, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
}
