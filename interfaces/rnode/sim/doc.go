// Package sim simulates RNode LoRa radios for tests and interoperability
// runs: the device side of the RNode host protocol, served on a byte
// stream or a pseudo-terminal, attached to a shared simulated channel.
//
// A Radio answers a host as RNode firmware does, so that both this
// repository's driver (package rnode) and the Python reference's
// RNodeInterface can detect, configure and use it: the detect response,
// firmware version, platform and MCU; an echo of every setting, clamped
// as the firmware clamps it; the radio state; RSSI and SNR before every
// received packet; packet counters; periodic channel statistics and
// modulation timing; a ready report after each transmission that empties
// its queue; error reports (InjectError) and reset reports (InjectReset).
//
// Packets take their LoRa time on air to arrive: the Semtech formula over
// bandwidth, spreading factor, coding rate and preamble (Modulation), with
// the firmware's one-byte header per LoRa frame and packets above 254
// bytes split over two frames. A Channel connects radios: a packet is heard
// by every other switched-on radio with the same frequency, bandwidth and
// spreading factor. Radios sense the carrier before sending; with
// collisions enabled, overlapping transmissions are lost at every receiver
// and a radio is deaf while it transmits.
//
// OpenTerminal serves a radio on a pseudo-terminal (Linux), whose device
// path a host opens as a serial port; cmd/mehr-rnode-sim runs several.
package sim
