package rnode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// errReset ends a session whose device reported that it restarted.
var errReset = errors.New("rnode: device reset while online")

// connect opens the port, detects and configures the device, and makes
// the session current. On failure the port is closed again.
func (i *Interface) connect(ctx context.Context) error {
	port, err := i.cfg.Open(i.cfg.Port)
	if err != nil {
		return fmt.Errorf("open %s: %w", i.cfg.Port, err)
	}
	s := newSession(port)
	i.wg.Add(1)
	go i.routineRead(s)
	fail := func(err error) error {
		s.fail(err)
		<-s.done
		return err
	}
	if d := i.cfg.BootDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fail(ctx.Err())
		}
	}

	if err := i.writeSession(s, AppendDetect(nil)); err != nil {
		return fail(err)
	}
	const identity = FieldDetect | FieldFirmware | FieldPlatform | FieldMCU
	st, _, err := s.wait(ctx, i.cfg.DetectTimeout, func(st *State) bool {
		return st.Has(identity) || st.Has(FieldDetect) && !st.Detected
	})
	switch {
	case err != nil:
		return fail(fmt.Errorf("detect: %w", err))
	case !st.Has(FieldDetect):
		return fail(fmt.Errorf("%w on %s: no answer within %v", ErrNotDetected, i.cfg.Port, i.cfg.DetectTimeout))
	case !st.Detected:
		return fail(fmt.Errorf("%w on %s: wrong detect response", ErrNotDetected, i.cfg.Port))
	case !st.Has(FieldFirmware):
		// The reference checks the version only when the device reports
		// one.
		i.logf("rnode %s: device did not report its firmware version", i.cfg.Name)
	case !st.FirmwareSupported():
		return fail(fmt.Errorf("%w: the device on %s runs firmware %d.%d, at least %d.%d is required; update it with rnodeconf",
			ErrFirmwareTooOld, i.cfg.Port, st.FirmwareMajor, st.FirmwareMinor, RequiredFirmwareMajor, RequiredFirmwareMinor))
	}

	if err := i.writeSession(s, AppendInitRadio(nil, &i.cfg)); err != nil {
		return fail(err)
	}
	// The device echoes every setting in order, radio state last; once
	// all echoes are in there is nothing more to wait for.
	const echoes = FieldBandwidth | FieldTXPower | FieldSF | FieldRadioState
	st, _, err = s.wait(ctx, i.cfg.ValidateTimeout, func(st *State) bool { return st.Has(echoes) || i.mismatch(st) == nil })
	if err != nil {
		return fail(fmt.Errorf("configure: %w", err))
	}
	if err := i.mismatch(&st); err != nil {
		return fail(err)
	}

	i.wmu.Lock()
	i.mu.Lock()
	s.mu.Lock()
	if err := s.err; err != nil {
		s.mu.Unlock()
		i.mu.Unlock()
		i.wmu.Unlock()
		return fail(fmt.Errorf("device lost during configuration: %w", err))
	}
	if ctx.Err() != nil {
		s.mu.Unlock()
		i.mu.Unlock()
		i.wmu.Unlock()
		return fail(ctx.Err())
	}
	s.online = true
	st = s.state
	s.mu.Unlock()
	i.sess = s
	i.last = st
	i.notifyLocked()
	i.mu.Unlock()
	// A new session starts ready; packets flow control held back while
	// the device was away go out now.
	i.onReadyLocked()
	i.wmu.Unlock()
	i.st.connects.Add(1)
	bps, _ := st.Bitrate()
	i.logf("rnode %s: %s on %s configured and up: firmware %d.%d, %.3f MHz, %.1f kHz, SF%d, CR4/%d, %d dBm, %.2f kbit/s",
		i.cfg.Name, platformName(st.Platform), i.cfg.Port, st.FirmwareMajor, st.FirmwareMinor,
		float64(st.Frequency)/1e6, float64(st.Bandwidth)/1e3, st.SpreadingFactor, st.CodingRate, st.TXPower, bps/1000)
	return nil
}

func platformName(p uint8) string {
	switch p {
	case PlatformAVR:
		return "AVR RNode"
	case PlatformESP32:
		return "ESP32 RNode"
	case PlatformNRF52:
		return "nRF52 RNode"
	}
	return "RNode"
}

// frequencyTolerance is how far, in Hz, the reported frequency may be
// from the configured one: the modem's synthesiser steps (the reference's
// tolerance).
const frequencyTolerance = 100

// mismatch compares the device's echoes with the configuration as the
// reference's validateRadioState does: frequency (when reported, within
// frequencyTolerance), bandwidth, TX power, spreading factor and radio
// state must all match. The coding rate is compared too when reported,
// which the reference does not do.
func (i *Interface) mismatch(st *State) error {
	var bad []string
	c := &i.cfg
	if st.Has(FieldFrequency) {
		if d := int64(st.Frequency) - int64(c.Frequency); d > frequencyTolerance || d < -frequencyTolerance {
			bad = append(bad, fmt.Sprintf("frequency %d Hz, configured %d Hz", st.Frequency, c.Frequency))
		}
	}
	switch {
	case !st.Has(FieldBandwidth):
		bad = append(bad, "no bandwidth reported")
	case st.Bandwidth != c.Bandwidth:
		bad = append(bad, fmt.Sprintf("bandwidth %d Hz, configured %d Hz", st.Bandwidth, c.Bandwidth))
	}
	switch {
	case !st.Has(FieldTXPower):
		bad = append(bad, "no TX power reported")
	case st.TXPower != c.TXPower:
		bad = append(bad, fmt.Sprintf("TX power %d dBm, configured %d dBm", st.TXPower, c.TXPower))
	}
	switch {
	case !st.Has(FieldSF):
		bad = append(bad, "no spreading factor reported")
	case st.SpreadingFactor != c.SpreadingFactor:
		bad = append(bad, fmt.Sprintf("spreading factor %d, configured %d", st.SpreadingFactor, c.SpreadingFactor))
	}
	if st.Has(FieldCR) && st.CodingRate != c.CodingRate {
		bad = append(bad, fmt.Sprintf("coding rate %d, configured %d", st.CodingRate, c.CodingRate))
	}
	switch {
	case !st.Has(FieldRadioState):
		bad = append(bad, "no radio state reported")
	case st.RadioState != RadioStateOn:
		bad = append(bad, "radio is off")
	}
	if st.Has(FieldError) && st.LastError.Fatal() {
		return fmt.Errorf("configure: %w", st.LastError)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s; make sure the hardware supports the configured parameters",
		ErrConfigMismatch, strings.Join(bad, "; "))
}

// writeSession writes b to a session's port under the write lock.
func (i *Interface) writeSession(s *session, b []byte) error {
	i.wmu.Lock()
	defer i.wmu.Unlock()
	if _, err := s.port.Write(b); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// routineRead reads the port of one session until it fails.
func (i *Interface) routineRead(s *session) {
	defer i.wg.Done()
	defer close(s.done)
	var (
		p        Parser
		buf      = make([]byte, readBufSize)
		lastRead time.Time
		partial  bool // bytes after the last complete frame
	)
	for {
		n, err := s.port.Read(buf)
		if n > 0 {
			now := time.Now()
			if partial && now.Sub(lastRead) > StallTimeout {
				// A frame stalled; drop it, as the reference does after
				// its read timeout, rather than glue it to the next.
				p.Reset()
			}
			lastRead = now
			status := false
			for b := buf[:n]; len(b) > 0; {
				m, f, ferr := p.Decode(b)
				b = b[m:]
				partial = ferr == nil && f.Payload == nil
				if f.Payload == nil {
					continue
				}
				if f.Command == CmdData {
					i.deliver(f)
					continue
				}
				status = true
				i.control(s, &p, f)
			}
			s.mu.Lock()
			s.state = p.State
			s.pstats = p.Stats()
			s.mu.Unlock()
			if status {
				s.notify()
			}
			continue
		}
		if err != nil {
			i.lost(s, err)
			return
		}
	}
}

// deliver hands a data frame to Receive, or drops it if Receive is too
// far behind.
func (i *Interface) deliver(f Frame) {
	select {
	case sl := <-i.free:
		sl.n = copy(sl.buf[:], f.Payload)
		sl.sig = Signal{RSSI: f.RSSI, SNR: f.SNR, LinkQuality: f.LinkQuality, Known: f.Known}
		i.full <- sl
	default:
		i.st.rxDropped.Add(1)
	}
}

// control acts on the status frames that need more than a State update.
func (i *Interface) control(s *session, p *Parser, f Frame) {
	switch f.Command {
	case CmdReady:
		if s.isOnline() {
			i.onReady()
		}
	case CmdError:
		e := DeviceError(f.Payload[0])
		i.st.deviceErrors.Add(1)
		if e.Fatal() {
			i.logf("rnode %s: %v (code 0x%02x); taking the interface down", i.cfg.Name, e, uint8(e))
			s.fail(e)
		} else {
			i.logf("rnode %s: %v (code 0x%02x)", i.cfg.Name, e, uint8(e))
		}
	case CmdReset:
		if len(f.Payload) > 0 && f.Payload[0] == ResetMagic && p.State.Platform == PlatformESP32 && s.isOnline() {
			i.logf("rnode %s: device reset while online, reinitialising", i.cfg.Name)
			s.fail(errReset)
		}
	}
}

func (s *session) isOnline() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.online
}

// lost ends a session after its read failed. If it was the current one
// the interface goes down and reconnects.
func (i *Interface) lost(s *session, readErr error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = readErr
	}
	cause := s.err
	st := s.state
	s.mu.Unlock()
	s.notify()
	s.port.Close()

	i.mu.Lock()
	current := i.sess == s
	if current {
		i.sess = nil
		i.last = st
		i.notifyLocked()
	}
	i.mu.Unlock()
	if !current {
		return
	}
	i.logf("rnode %s: device on %s lost, reconnecting every %v: %v", i.cfg.Name, i.cfg.Port, i.cfg.ReconnectWait, cause)
	select {
	case i.redial <- struct{}{}:
	default:
	}
}

// routineConnect brings the device back up whenever it goes down, until
// Close.
func (i *Interface) routineConnect() {
	defer i.wg.Done()
	i.logf("rnode %s: routineConnect started", i.cfg.Name)
	defer i.logf("rnode %s: routineConnect stopped", i.cfg.Name)
	for {
		select {
		case <-i.redial:
		case <-i.ctx.Done():
			return
		}
		for attempt := 1; ; attempt++ {
			t := time.NewTimer(i.cfg.ReconnectWait)
			select {
			case <-t.C:
			case <-i.ctx.Done():
				t.Stop()
				return
			}
			err := i.connect(i.ctx)
			if err == nil {
				break
			}
			if i.ctx.Err() != nil {
				return
			}
			i.logf("rnode %s: reconnect attempt %d failed: %v", i.cfg.Name, attempt, err)
		}
	}
}
