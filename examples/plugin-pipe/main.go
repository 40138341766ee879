// Command plugin-pipe is an example third-party interface plugin for
// mehrd, built only against plugins/sdk: an interface over a child
// command's standard input and output, with HDLC framing, like the
// reference's PipeInterface. When the command exits it is started again
// after respawn_delay seconds.
//
// Configuration (an [[interfaces]] entry of mehrd's config.toml):
//
//	[[interfaces]]
//	name = "Pipe to modem"
//	type = "ExamplePipeInterface"
//	plugin = "/path/to/plugin-pipe"
//	enabled = true
//	command = "socat - TCP:192.0.2.1:5757"
//	respawn_delay = 5
//
// See README.md for building and running it.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/plugins/sdk"
)

// Values of the reference's PipeInterface.
const (
	hwMTU           = 1064
	bitrateGuess    = 1_000_000
	defaultIFACSize = 8
	defaultRespawn  = 5 * time.Second
)

// options are the interface's keys this plugin reads.
type options struct {
	Command      string   `toml:"command"`
	RespawnDelay *float64 `toml:"respawn_delay"`
	Mode         string   `toml:"mode"`
	Bitrate      int64    `toml:"bitrate"`
}

var errDown = errors.New("pipe: command not running")

// pipe is the interface.
type pipe struct {
	name    string
	argv    []string
	respawn time.Duration
	mode    sdk.Mode
	bitrate int64
	logf    func(string, ...any)

	frames chan []byte   // decoded frames for Receive
	done   chan struct{} // closed by Close
	once   sync.Once
	wg     sync.WaitGroup // routineRun

	rxPackets, rxBytes, txPackets, txBytes, dropped atomic.Uint64

	// mu guards the following fields.
	mu    sync.Mutex
	cmd   *exec.Cmd
	stdin io.WriteCloser // nil while the command is not running
	enc   []byte         // Send's encoding buffer
}

var (
	_ sdk.Interface = (*pipe)(nil)
	_ sdk.Stats     = (*pipe)(nil)
	_ sdk.IFACSizer = (*pipe)(nil)
)

func open(_ context.Context, c *sdk.Config) (sdk.Interface, error) {
	var o options
	if err := c.Decode(&o); err != nil {
		return nil, err
	}
	if o.Command == "" {
		return nil, fmt.Errorf("interface %q: no command", c.Name)
	}
	argv, err := splitCommand(o.Command)
	if err != nil {
		return nil, fmt.Errorf("interface %q: command: %w", c.Name, err)
	}
	p := &pipe{name: c.Name, argv: argv, respawn: defaultRespawn, mode: sdk.ModeFull, bitrate: bitrateGuess,
		logf: c.Logf, frames: make(chan []byte, 256), done: make(chan struct{})}
	if o.RespawnDelay != nil {
		if *o.RespawnDelay < 0 {
			return nil, fmt.Errorf("interface %q: negative respawn_delay", c.Name)
		}
		p.respawn = time.Duration(*o.RespawnDelay * float64(time.Second))
	}
	if o.Mode != "" {
		m, ok := sdk.ParseMode(o.Mode)
		if !ok {
			return nil, fmt.Errorf("interface %q: unknown mode %q", c.Name, o.Mode)
		}
		p.mode = m
	}
	if o.Bitrate > 0 {
		p.bitrate = o.Bitrate
	}
	// The first start must succeed, as in the reference.
	stdout, err := p.start()
	if err != nil {
		return nil, fmt.Errorf("interface %q: %w", c.Name, err)
	}
	p.wg.Add(1)
	go p.routineRun(stdout)
	return p, nil
}

// start runs the command and returns its standard output.
func (p *pipe) start() (io.ReadCloser, error) {
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Stderr = os.Stderr // into mehrd's log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %q: %w", p.argv[0], err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done: // closed while starting
		cmd.Process.Kill()
	default:
	}
	p.cmd, p.stdin = cmd, stdin
	return stdout, nil
}

// routineRun reads frames from the command until it exits, then starts
// it again after the respawn delay, until Close.
func (p *pipe) routineRun(stdout io.ReadCloser) {
	defer p.wg.Done()
	for {
		p.readFrames(stdout)
		p.mu.Lock()
		cmd := p.cmd
		p.stdin.Close()
		p.stdin = nil
		p.mu.Unlock()
		err := cmd.Wait()
		select {
		case <-p.done:
			return
		default:
		}
		p.logf("command %q ended (%v); starting it again in %v", p.argv[0], err, p.respawn)
		for {
			t := time.NewTimer(p.respawn)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				return
			}
			stdout, err = p.start()
			if err == nil {
				break
			}
			p.logf("%v; trying again in %v", err, p.respawn)
		}
	}
}

// HDLC framing, as the reference's PipeInterface uses it: frames between
// FLAG bytes, with FLAG and ESC escaped as ESC, byte^ESCMask.
const (
	hdlcFlag    = 0x7e
	hdlcEsc     = 0x7d
	hdlcEscMask = 0x20
)

// readFrames decodes HDLC frames from r until it fails. Frames longer
// than the MTU and empty ones are dropped and counted.
func (p *pipe) readFrames(r io.Reader) {
	br := bufio.NewReader(r)
	var frame []byte
	inFrame, esc, tooLong := false, false, false
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		switch {
		case b == hdlcFlag:
			if inFrame && len(frame) > 0 && !tooLong {
				p.deliver(frame)
			} else if inFrame && tooLong {
				p.dropped.Add(1)
			}
			inFrame, esc, tooLong = true, false, false
			frame = frame[:0]
		case !inFrame:
		case b == hdlcEsc:
			esc = true
		default:
			if esc {
				b ^= hdlcEscMask
				esc = false
			}
			if len(frame) >= hwMTU {
				tooLong = true
				continue
			}
			frame = append(frame, b)
		}
	}
}

func (p *pipe) deliver(frame []byte) {
	select {
	case p.frames <- append([]byte(nil), frame...):
	default:
		p.dropped.Add(1)
	}
}

func (p *pipe) Name() string         { return p.name }
func (p *pipe) MTU() int             { return hwMTU }
func (p *pipe) Bitrate() int64       { return p.bitrate }
func (p *pipe) Mode() sdk.Mode       { return p.mode }
func (p *pipe) DefaultIFACSize() int { return defaultIFACSize }

func (p *pipe) Counters() sdk.Counters {
	return sdk.Counters{RxPackets: p.rxPackets.Load(), RxBytes: p.rxBytes.Load(),
		TxPackets: p.txPackets.Load(), TxBytes: p.txBytes.Load(), Dropped: p.dropped.Load()}
}

// Receive blocks until the command writes a frame, including while it is
// being restarted.
func (p *pipe) Receive(buf []byte) (int, error) {
	for {
		select {
		case f := <-p.frames:
			if len(f) > len(buf) {
				p.dropped.Add(1)
				continue
			}
			p.rxPackets.Add(1)
			p.rxBytes.Add(uint64(len(f)))
			return copy(buf, f), nil
		case <-p.done:
			return 0, sdk.ErrClosed
		}
	}
}

// Send writes one HDLC frame to the command's standard input.
func (p *pipe) Send(pkt []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stdin == nil {
		return errDown
	}
	p.enc = append(p.enc[:0], hdlcFlag)
	for _, b := range pkt {
		if b == hdlcFlag || b == hdlcEsc {
			p.enc = append(p.enc, hdlcEsc, b^hdlcEscMask)
		} else {
			p.enc = append(p.enc, b)
		}
	}
	p.enc = append(p.enc, hdlcFlag)
	if _, err := p.stdin.Write(p.enc); err != nil {
		return fmt.Errorf("pipe: write: %w", err)
	}
	p.txPackets.Add(1)
	p.txBytes.Add(uint64(len(pkt)))
	return nil
}

// Close stops the command and does not start it again.
func (p *pipe) Close() error {
	p.once.Do(func() {
		close(p.done)
		p.mu.Lock()
		if p.cmd != nil && p.cmd.Process != nil {
			p.cmd.Process.Kill()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return nil
}

// splitCommand splits a command line into words the way a POSIX shell
// does for plain words, single and double quotes and backslashes, as the
// reference's shlex.split does. It runs no shell.
func splitCommand(s string) ([]string, error) {
	var words []string
	var w []byte
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, string(w))
				w, inWord = w[:0], false
			}
		case c == '\'':
			j := i + 1
			for j < len(s) && s[j] != '\'' {
				j++
			}
			if j == len(s) {
				return nil, errors.New("unterminated single quote")
			}
			w, inWord = append(w, s[i+1:j]...), true
			i = j
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\' || s[i+1] == '$' || s[i+1] == '`') {
					i++
				}
				w = append(w, s[i])
			}
			if i == len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			w, inWord = append(w, s[i]), true
		default:
			w, inWord = append(w, c), true
		}
	}
	if inWord {
		words = append(words, string(w))
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	return words, nil
}

func main() { sdk.Serve(open) }
