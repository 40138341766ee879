package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// rncp's constants: the application name, the request path, and the
// response that refuses a fetch.
const (
	cpApp              = "rncp"
	cpAspect           = "receive"
	cpFetchPath        = "fetch_file"
	cpFetchNotAllowed  = 0xF0
	cpMaxResource      = 1 << 40 // largest file accepted; files stream to disk
	cpDefaultWaitTotal = 15 * time.Second
)

type cpFlags struct {
	dir                      string
	listen, fetch, allowF    bool
	noAuth, printID, noComp  bool
	silent, overwrite        bool
	jail, save, identityPath string
	announceEvery            int
	wait                     float64
	allowed                  []string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// interleave moves positional arguments after the flags, so that
// "mehr cp FILE DEST -n" works as rncp's argument parser allows.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
				if i+1 < len(args) {
					flags = append(flags, args[i+1])
					i++
				}
			}
		}
	}
	return append(flags, pos...)
}

func cmdCp(args []string, stdout, stderr io.Writer) error {
	fs, dir := newFlags("cp", stderr)
	var f cpFlags
	fs.BoolVar(&f.listen, "l", false, "listen for incoming transfer requests")
	fs.BoolVar(&f.fetch, "f", false, "fetch file from remote listener instead of sending")
	fs.BoolVar(&f.allowF, "F", false, "allow authenticated clients to fetch files")
	fs.StringVar(&f.jail, "j", "", "restrict fetch requests to this path")
	fs.StringVar(&f.save, "s", "", "save received files in this path")
	fs.BoolVar(&f.overwrite, "O", false, "allow overwriting received files instead of adding a postfix")
	fs.IntVar(&f.announceEvery, "b", -1, "announce interval in seconds, 0 to announce only at startup")
	allowed := (*multiFlag)(&f.allowed)
	fs.Var(allowed, "a", "allow this identity hash (repeatable)")
	fs.BoolVar(&f.noAuth, "n", false, "accept requests from anyone")
	fs.BoolVar(&f.printID, "p", false, "print identity and destination info and exit")
	fs.StringVar(&f.identityPath, "i", "", "path to the identity to use")
	fs.Float64Var(&f.wait, "w", cpDefaultWaitTotal.Seconds(), "sender timeout before giving up, in seconds")
	fs.BoolVar(&f.noComp, "C", false, "disable automatic compression")
	fs.BoolVar(&f.silent, "S", false, "disable transfer progress output")
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return &exitError{code: 2}
	}
	f.dir = *dir
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	idPath := f.identityPath
	if idPath == "" {
		idPath = filepath.Join(f.dir, "storage", "identities", cpApp)
	}
	id, err := loadOrCreateIdentity(idPath)
	if err != nil {
		return err
	}
	ih := wire.Hash(id.Hash())
	listenHash, _ := dest.Hash(&ih, cpApp, cpAspect)
	if f.printID {
		fmt.Fprintf(stdout, "Identity     : <%s>\nListening on : <%s>\n", id.HexHash(), listenHash)
		return nil
	}

	switch {
	case f.listen:
		return cpListen(ctx, &f, id, stdout, stderr)
	case fs.NArg() != 2:
		fmt.Fprintln(stderr, "usage: mehr cp [flags] FILE DESTINATION | mehr cp -f [flags] FILE DESTINATION | mehr cp -l [flags]")
		return &exitError{code: 2}
	case f.fetch:
		return cpFetch(ctx, &f, id, fs.Arg(0), fs.Arg(1), stdout, stderr)
	}
	return cpSend(ctx, &f, id, fs.Arg(0), fs.Arg(1), stdout, stderr)
}

func loadOrCreateIdentity(path string) (*identity.Identity, error) {
	id, err := identity.Load(path)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	id, err = identity.Generate(nil)
	if err != nil {
		return nil, err
	}
	return id, id.Save(path)
}

// fileMetadata packs rncp's metadata: {"name": basename as bytes}.
func fileMetadata(name string) ([]byte, error) {
	return msgpack.Marshal(msgpack.Map{{Key: "name", Value: []byte(filepath.Base(name))}})
}

// metadataName extracts the file name from rncp metadata.
func metadataName(b []byte) (string, error) {
	v, err := msgpack.Decode(b)
	if err != nil {
		return "", err
	}
	m, ok := v.(msgpack.Map)
	if !ok {
		return "", errors.New("metadata is not a map")
	}
	n, ok := m.Get("name")
	if !ok {
		return "", errors.New("metadata has no name")
	}
	switch s := n.(type) {
	case []byte:
		return filepath.Base(string(s)), nil
	case string:
		return filepath.Base(s), nil
	}
	return "", errors.New("metadata name is not a string")
}

// finalPath picks where a received file named name goes in dir, as rncp
// does: a name that exists gets .1, .2, ... appended unless overwriting is
// allowed.
func finalPath(dir, name string, overwrite bool) (string, error) {
	if name == "" || name == "." || name == ".." {
		return "", fmt.Errorf("invalid file name %q", name)
	}
	base := filepath.Join(dir, name)
	if dir != "" {
		abs, _ := filepath.Abs(dir)
		if p, _ := filepath.Abs(base); !strings.HasPrefix(p, abs+string(os.PathSeparator)) {
			return "", fmt.Errorf("invalid save path %s", p)
		}
	}
	path := base
	if !overwrite {
		for n := 1; ; n++ {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				break
			}
			path = fmt.Sprintf("%s.%d", base, n)
		}
	}
	return path, nil
}

// spooler streams incoming files to temporary files in a directory and
// moves each to its final name (from the rncp metadata) when it
// completes, so files larger than memory can be received.
type spooler struct {
	dir       string
	overwrite bool
	mu        sync.Mutex
	tmp       map[*link.Link]string // one transfer at a time per link, as rncp sends
}

func newSpooler(dir string, overwrite bool) *spooler {
	return &spooler{dir: dir, overwrite: overwrite, tmp: map[*link.Link]string{}}
}

// sink implements link.ResourceConfig.Sink.
func (s *spooler) sink(l *link.Link, _ link.ResourceInfo) (io.WriteCloser, error) {
	dir := s.dir
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, ".mehr-cp-*")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if old, ok := s.tmp[l]; ok {
		os.Remove(old)
	}
	s.tmp[l] = f.Name()
	s.mu.Unlock()
	return f, nil
}

// finish moves a completed transfer's file into place, or removes it.
func (s *spooler) finish(t *link.Transfer, fallbackName string) (string, error) {
	s.mu.Lock()
	tmp, ok := s.tmp[t.Link()]
	delete(s.tmp, t.Link())
	s.mu.Unlock()
	if !ok {
		return "", errors.New("no spooled file for this transfer")
	}
	if t.Err() != nil {
		os.Remove(tmp)
		return "", t.Err()
	}
	_, meta := t.Data()
	name, err := metadataName(meta)
	if err != nil {
		if fallbackName == "" {
			os.Remove(tmp)
			return "", fmt.Errorf("invalid data received: %w", err)
		}
		name = filepath.Base(fallbackName)
	}
	path, err := finalPath(s.dir, name, s.overwrite)
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", err
	}
	os.Chmod(path, 0o644)
	return path, nil
}

// cpDestination is the listener's SINGLE destination: it hands link
// requests to the link listener and answers path requests with announces.
type cpDestination struct {
	d  *dest.Destination
	ln *link.Listener
}

func (c *cpDestination) Hash() wire.Hash     { return c.d.Hash }
func (c *cpDestination) Type() wire.DestType { return wire.Single }
func (c *cpDestination) Receive(p *transport.Packet) {
	if p.PacketType == wire.LinkRequest {
		_, _ = c.ln.HandleRequest(p)
	}
}
func (c *cpDestination) PathResponse([]byte) ([]byte, error) { return c.announcePacket(true) }

func (c *cpDestination) announcePacket(pathResponse bool) ([]byte, error) {
	var r [16]byte
	if _, err := io.ReadFull(randReader, r[:]); err != nil {
		return nil, err
	}
	return announce.Append(nil, &announce.Params{Destination: c.d, RandomHash: announce.RandomHash(r[:], time.Now()), PathResponse: pathResponse})
}

func cpListen(ctx context.Context, f *cpFlags, id *identity.Identity, stdout, stderr io.Writer) error {
	saveDir := ""
	if f.save != "" {
		saveDir = f.save
		if st, err := os.Stat(saveDir); err != nil || !st.IsDir() {
			return &exitError{code: 3, msg: "Output directory not found"}
		}
	}
	allowed := map[[identity.HashLen]byte]bool{}
	for _, a := range f.allowed {
		h, err := parseHash(a)
		if err != nil {
			return fmt.Errorf("invalid allowed identity %q: %w", a, err)
		}
		allowed[[identity.HashLen]byte(h)] = true
	}
	if len(allowed) == 0 && !f.noAuth {
		fmt.Fprintln(stderr, "mehr cp: no allowed identities configured, will not accept any files (use -a or -n)")
	}
	permitted := func(l *link.Link) bool {
		if f.noAuth {
			return true
		}
		r := l.RemoteIdentity()
		return r != nil && allowed[r.Hash()]
	}

	inst, err := openInstance(ctx, f.dir, stderr)
	if err != nil {
		return err
	}
	defer inst.Close()
	t := inst.node.Transport()
	d, err := dest.New(id, dest.In, wire.Single, nil, cpApp, cpAspect)
	if err != nil {
		return err
	}

	mux := &request.Mux{}
	var ln *link.Listener
	sp := newSpooler(saveDir, f.overwrite)
	cfg := link.Config{
		OnOther:          mux.OnOther,
		RequestResources: mux.RequestResources,
		Resources: link.ResourceConfig{
			Strategy: link.AcceptApp,
			MaxSize:  cpMaxResource,
			Accept:   func(l *link.Link, _ link.ResourceInfo) bool { return permitted(l) },
			Sink:     sp.sink,
			OnConcluded: func(tr *link.Transfer) {
				path, err := sp.finish(tr, "")
				if err != nil {
					fmt.Fprintln(stderr, "mehr cp: resource not saved:", err)
					return
				}
				fmt.Fprintf(stdout, "Saved received file to %s\n", path)
			},
		},
	}
	if f.allowF {
		mux.Handle(cpFetchPath, func(l *link.Link, _ string, data any, _ wire.Hash, _ *identity.Identity, _ time.Time) any {
			return cpServeFetch(f, l, data, permitted)
		})
	}
	ln = link.NewListener(t, id, d.Hash, cfg)
	defer ln.Close()
	cd := &cpDestination{d: d, ln: ln}
	if err := t.Register(cd); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mehr cp listening on <%s>\n", d.Hash)
	if f.announceEvery >= 0 {
		go func() {
			for {
				if raw, err := cd.announcePacket(false); err == nil {
					t.Send(raw, nil)
				}
				if f.announceEvery == 0 {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(f.announceEvery) * time.Second):
				}
			}
		}()
	}
	for {
		if _, err := ln.Accept(ctx); err != nil {
			return nil // interrupted
		}
	}
}

// cpServeFetch answers a fetch request as rncp does: not allowed, false
// for a missing file, or true after starting the file's transfer.
func cpServeFetch(f *cpFlags, l *link.Link, data any, permitted func(*link.Link) bool) any {
	name, ok := data.(string)
	if !ok {
		if b, isBytes := data.([]byte); isBytes {
			name = string(b)
		} else {
			return false
		}
	}
	if !permitted(l) {
		return cpFetchNotAllowed
	}
	path := name
	if f.jail != "" {
		jail, _ := filepath.Abs(f.jail)
		path = filepath.Join(jail, strings.TrimPrefix(name, jail+"/"))
		if !strings.HasPrefix(path, jail+string(os.PathSeparator)) {
			return cpFetchNotAllowed
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return false
	}
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() {
		file.Close()
		return false
	}
	meta, err := fileMetadata(path)
	if err != nil {
		file.Close()
		return false
	}
	tr, err := l.SendResourceFrom(context.Background(), file, st.Size(), link.ResourceOptions{Metadata: meta, NoCompress: f.noComp})
	if err != nil {
		file.Close()
		return false
	}
	go func() { <-tr.Done(); file.Close() }()
	awaitAdvertised(tr, cpAnswerWait)
	return true
}

// cpAnswerWait bounds how long a fetch answer waits for the file's
// advertisement.
const cpAnswerWait = 10 * time.Second

// awaitAdvertised waits until tr has left the queue (its first advertisement
// is going out) or ended, at most limit. rncp answers a fetch only after
// building and advertising the resource, and the reference's requester
// registers its pending request only after sending it: an answer that comes
// back quicker than that (as ours can on loopback) finds no pending
// request and is dropped, and the requester then waits forever.
func awaitAdvertised(tr *link.Transfer, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for tr.Status() == resource.StatusQueued && time.Now().Before(deadline) {
		select {
		case <-tr.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// cpConnect finds the listener and opens an identified link to it.
func cpConnect(ctx context.Context, f *cpFlags, id *identity.Identity, destHex string, cfg link.Config, stderr io.Writer) (*instance, *link.Link, error) {
	h, err := parseHash(destHex)
	if err != nil {
		return nil, nil, err
	}
	inst, err := openInstance(ctx, f.dir, stderr)
	if err != nil {
		return nil, nil, err
	}
	wait := time.Duration(f.wait * float64(time.Second))
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := inst.node.AwaitPath(pctx, h); err != nil {
		inst.Close()
		return nil, nil, &exitError{code: 1, msg: "Path not found"}
	}
	remote, _, ok := inst.node.Transport().Recall(h)
	if !ok {
		inst.Close()
		return nil, nil, errors.New("the listener's identity is not known")
	}
	l, err := link.Establish(pctx, inst.node.Transport(), remote, h, cfg)
	if err != nil {
		inst.Close()
		return nil, nil, &exitError{code: 1, msg: "Could not establish link with " + h.String()}
	}
	if err := l.Identify(id); err != nil {
		l.Close()
		inst.Close()
		return nil, nil, err
	}
	return inst, l, nil
}

func cpSend(ctx context.Context, f *cpFlags, id *identity.Identity, file, destHex string, stdout, stderr io.Writer) error {
	fh, err := os.Open(file)
	if err != nil {
		return &exitError{code: 1, msg: "File not found"}
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return &exitError{code: 1, msg: "File not found"}
	}
	meta, err := fileMetadata(file)
	if err != nil {
		return err
	}
	inst, l, err := cpConnect(ctx, f, id, destHex, link.Config{}, stderr)
	if err != nil {
		return err
	}
	defer inst.Close()
	defer l.Close()
	p := newProgress(stdout, f.silent, int(st.Size()))
	start := time.Now()
	tr, err := l.SendResourceFrom(ctx, fh, st.Size(), link.ResourceOptions{Metadata: meta, NoCompress: f.noComp,
		OnProgress: func(t *link.Transfer) { p.update(t.Progress()) }})
	if err != nil {
		return err
	}
	if err := tr.Wait(ctx); err != nil || tr.Err() != nil {
		p.done(false, time.Since(start))
		return &exitError{code: 1, msg: "The transfer failed"}
	}
	p.done(true, time.Since(start))
	fmt.Fprintf(stdout, "%s copied to <%s>\n", file, destHex)
	return nil
}

func cpFetch(ctx context.Context, f *cpFlags, id *identity.Identity, file, destHex string, stdout, stderr io.Writer) error {
	got := make(chan *link.Transfer, 1)
	mux := &request.Mux{}
	sp := newSpooler(f.save, f.overwrite)
	cfg := link.Config{OnOther: mux.OnOther, RequestResources: mux.RequestResources, Resources: link.ResourceConfig{
		Strategy: link.AcceptAll, MaxSize: cpMaxResource, Sink: sp.sink,
		OnConcluded: func(t *link.Transfer) {
			select {
			case got <- t:
			default:
			}
		},
	}}
	inst, l, err := cpConnect(ctx, f, id, destHex, cfg, stderr)
	if err != nil {
		return err
	}
	defer inst.Close()
	defer l.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Duration(f.wait*float64(time.Second)))
	resp, err := mux.Do(rctx, l, cpFetchPath, file)
	cancel()
	switch {
	case err != nil:
		fmt.Fprintln(stdout, "Fetch request failed due to an unknown error (probably not authorised)")
		return &exitError{code: 0}
	case resp == false:
		fmt.Fprintf(stdout, "Fetch request failed, the file %s was not found on the remote\n", file)
		return &exitError{code: 0}
	case resp == nil:
		fmt.Fprintln(stdout, "Fetch request failed due to an error on the remote system")
		return &exitError{code: 0}
	case isNumber(resp, cpFetchNotAllowed):
		fmt.Fprintf(stdout, "Fetch request failed, fetching the file %s was not allowed by the remote\n", file)
		return &exitError{code: 0}
	}
	start := time.Now()
	select {
	case t := <-got:
		if t.Err() != nil {
			sp.finish(t, file)
			return &exitError{code: 1, msg: "The transfer failed"}
		}
		path, err := sp.finish(t, file)
		if err != nil {
			return err
		}
		if !f.silent {
			size := int64(0)
			if st, err := os.Stat(path); err == nil {
				size = st.Size()
			}
			fmt.Fprintf(stdout, "Transfer complete, %s in %s\n", sizeStr(int(size)), time.Since(start).Round(time.Millisecond))
		}
		fmt.Fprintf(stdout, "%s fetched from <%s> to %s\n", file, destHex, path)
		return nil
	case <-ctx.Done():
		return &exitError{code: 1, msg: "The transfer failed"}
	}
}

func isNumber(v any, n int64) bool {
	switch x := v.(type) {
	case int64:
		return x == n
	case uint64:
		return x == uint64(n)
	}
	return false
}

// progress prints transfer progress: an updating line on a terminal,
// nothing but the final line otherwise.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	silent   bool
	terminal bool
	total    int
	start    time.Time
	last     time.Time
}

func newProgress(w io.Writer, silent bool, total int) *progress {
	term := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			term = true
		}
	}
	return &progress{w: w, silent: silent, terminal: term, total: total, start: time.Now()}
}

func (p *progress) update(frac float64) {
	if p.silent || !p.terminal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	done := frac * float64(p.total)
	rate := done / max(el, 1e-3)
	eta := "?"
	if rate > 0 {
		eta = time.Duration((float64(p.total) - done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[KTransferring file %.1f%% - %s of %s - %sps - ETA %s", frac*100, sizeStr(int(done)), sizeStr(p.total), sizeStr(int(rate*8)), eta)
}

func (p *progress) done(ok bool, d time.Duration) {
	if p.silent {
		return
	}
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
	if ok {
		fmt.Fprintf(p.w, "Transfer complete %s in %s - %sps\n", sizeStr(p.total), d.Round(time.Millisecond), sizeStr(int(float64(p.total*8)/max(d.Seconds(), 1e-3))))
	} else {
		fmt.Fprintln(p.w, "The transfer failed")
	}
}

func sizeStr(n int) string { return size(uint64(n)) }
