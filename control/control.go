// Package control is the local control socket between mehrd and the mehr
// tool: newline-delimited JSON requests and responses over a Unix socket
// in the daemon's configuration directory. It carries tables and commands
// (status, paths, path requests); traffic from programs goes through the
// shared-instance interface instead.
package control

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// SocketName is the control socket's file name inside the config directory.
const SocketName = "control.sock"

// Path returns the control socket path for a config directory.
func Path(dir string) string { return filepath.Join(dir, SocketName) }

// Request is one command.
type Request struct {
	// Cmd is "status", "paths", "path", "request_path", "interfaces",
	// "interface_add" or "interface_remove".
	Cmd  string  `json:"cmd"`
	Hash string  `json:"hash,omitempty"` // destination hash in hex
	Wait float64 `json:"wait,omitempty"` // seconds to wait for a requested path
	// Name is the interface interface_remove removes.
	Name string `json:"name,omitempty"`
	// TOML holds the [[interfaces]] entries interface_add adds, in the
	// configuration file's format.
	TOML string `json:"toml,omitempty"`
}

// Response answers a Request.
type Response struct {
	Error      string                `json:"error,omitempty"`
	Warnings   []string              `json:"warnings,omitempty"`
	Status     *Status               `json:"status,omitempty"`
	Paths      []PathInfo            `json:"paths,omitempty"`
	Path       *PathInfo             `json:"path,omitempty"`
	Interfaces []ConfiguredInterface `json:"interfaces,omitempty"`
	IP         *IPStatus             `json:"ip,omitempty"`
	Routes     *RouteTable           `json:"routes,omitempty"`
}

// RouteTable is Mehr's routing table (mehr route).
type RouteTable struct {
	// Self is this node's Mehr destination.
	Self   string      `json:"self"`
	Routes []RouteInfo `json:"routes"`
}

// RouteInfo is one path to a destination, with decoded values.
type RouteInfo struct {
	Destination string    `json:"destination"`
	NextHop     string    `json:"next_hop"`
	Hops        int       `json:"hops"`
	Cost        uint64    `json:"cost"`
	LatencyMS   float64   `json:"worst_latency_ms"`
	Bandwidth   uint64    `json:"bottleneck_bps"`
	MTU         uint64    `json:"bottleneck_mtu"`
	Reliability int       `json:"reliability"`
	Unknown     bool      `json:"unknown_segment"`
	State       string    `json:"state"`
	Lamport     uint64    `json:"lamport"`
	Expires     time.Time `json:"expires"`
}

// IPStatus describes the IP adapter (mehr ip).
type IPStatus struct {
	Device      string            `json:"device"`
	Address     string            `json:"address"`
	Prefix      string            `json:"prefix"`
	Destination string            `json:"destination"`
	MTU         int               `json:"mtu"`
	Peers       []IPPeer          `json:"peers"`
	Collisions  []IPCollision     `json:"collisions,omitempty"`
	Counters    map[string]uint64 `json:"counters"`
}

// IPPeer is one node the adapter knows an address for.
type IPPeer struct {
	Address     string `json:"address"`
	Destination string `json:"destination"`
	Source      string `json:"source"`
	Link        string `json:"link"`
	LinkMTU     int    `json:"link_mtu,omitempty"`
	Pending     int    `json:"pending,omitempty"`
	LastError   string `json:"last_error,omitempty"`
	TxPackets   uint64 `json:"tx_packets"`
	RxPackets   uint64 `json:"rx_packets"`
	TxBytes     uint64 `json:"tx_bytes"`
	RxBytes     uint64 `json:"rx_bytes"`
	Dropped     uint64 `json:"dropped,omitempty"`
	Spoofed     uint64 `json:"spoofed,omitempty"`
}

// IPCollision is an address two destinations map to; the first one seen
// keeps it.
type IPCollision struct {
	Address  string `json:"address"`
	Kept     string `json:"kept"`
	Rejected string `json:"rejected"`
	Count    uint64 `json:"count"`
}

// ConfiguredInterface is one interface of the configuration that is open.
type ConfiguredInterface struct {
	Name  string    `json:"name"`
	Type  string    `json:"type"`
	Mode  string    `json:"mode,omitempty"`
	Since time.Time `json:"since"`
	// Listener is true for types that accept connections (TCP servers,
	// AutoInterface); Attached names what is attached to the node now:
	// the interface itself, or each accepted connection.
	Listener bool     `json:"listener,omitempty"`
	Attached []string `json:"attached,omitempty"`
	// Plugin describes the plugin process of an interface whose driver
	// runs out of process.
	Plugin *PluginInfo `json:"plugin,omitempty"`
}

// PluginInfo is the supervision state of a plugin process.
type PluginInfo struct {
	Up        bool      `json:"up"`
	PID       int       `json:"pid,omitempty"`
	Restarts  int       `json:"restarts"`
	Since     time.Time `json:"since"`
	LastError string    `json:"last_error,omitempty"`
	Garbage   uint64    `json:"garbage,omitempty"`
}

// Interfaces is what the control socket needs to list, add and remove
// configured interfaces while the node runs; the daemon implements it.
type Interfaces interface {
	ConfiguredInterfaces() []ConfiguredInterface
	AddInterfaceTOML(doc []byte) (warnings []string, err error)
	RemoveInterface(name string) error
}

// Status describes the node.
type Status struct {
	TransportID       string          `json:"transport_id"`
	TransportEnabled  bool            `json:"transport_enabled"`
	ProbeResponder    string          `json:"probe_responder,omitempty"`
	Interfaces        []InterfaceInfo `json:"interfaces"`
	Paths             int             `json:"paths"`
	KnownDestinations int             `json:"known_destinations"`
}

// InterfaceInfo describes one interface.
type InterfaceInfo struct {
	Name         string `json:"name"`
	Mode         string `json:"mode"`
	MTU          int    `json:"mtu"`
	Bitrate      int64  `json:"bitrate"`
	Local        bool   `json:"local_client"`
	RxPackets    uint64 `json:"rx_packets"`
	TxPackets    uint64 `json:"tx_packets"`
	RxBytes      uint64 `json:"rx_bytes"`
	TxBytes      uint64 `json:"tx_bytes"`
	Dropped      uint64 `json:"dropped"`
	AnnouncesIn  uint64 `json:"announces_in"`
	AnnouncesOut uint64 `json:"announces_out"`
}

// PathInfo is one path-table entry.
type PathInfo struct {
	Destination string    `json:"destination"`
	NextHop     string    `json:"next_hop"`
	Hops        int       `json:"hops"`
	Interface   string    `json:"interface"`
	Expires     time.Time `json:"expires"`
	Timestamp   time.Time `json:"timestamp"`
}

// Server answers control requests for a node.
type Server struct {
	node *rns.Node
	ln   net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	ifaces Interfaces
	ip     func() *IPStatus
	routes func() *RouteTable
}

// SetRoutes enables the routes command, answered by f (nil when Mehr
// routing is off).
func (s *Server) SetRoutes(f func() *RouteTable) {
	s.mu.Lock()
	s.routes = f
	s.mu.Unlock()
}

// SetIP enables the ip command, answered by f (nil when the adapter is
// off).
func (s *Server) SetIP(f func() *IPStatus) {
	s.mu.Lock()
	s.ip = f
	s.mu.Unlock()
}

// SetInterfaces enables the interface commands, answered by m.
func (s *Server) SetInterfaces(m Interfaces) {
	s.mu.Lock()
	s.ifaces = m
	s.mu.Unlock()
}

// Listen starts a control server on the socket in dir. A stale socket
// file from a previous run is replaced.
func Listen(dir string, node *rns.Node) (*Server, error) {
	path := Path(dir)
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("control: another daemon is running on %s", path)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	_ = os.Chmod(path, 0o600)
	s := &Server{node: node, ln: ln}
	s.wg.Add(1)
	go s.routineAccept()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) routineAccept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), 64*1024)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		var req Request
		var resp Response
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp.Error = "bad request: " + err.Error()
		} else {
			resp = s.handle(req)
		}
		if err := enc.Encode(resp); err != nil {
			return
		}
	}
}

func parseHash(s string) (wire.Hash, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != wire.HashLen {
		return wire.Hash{}, fmt.Errorf("destination hash must be %d hex characters", 2*wire.HashLen)
	}
	return wire.Hash(b), nil
}

func (s *Server) handle(req Request) Response {
	t := s.node.Transport()
	switch req.Cmd {
	case "status":
		st := &Status{
			TransportID:       t.ID().String(),
			TransportEnabled:  t.Enabled(),
			Paths:             len(t.Paths()),
			KnownDestinations: len(t.KnownDestinations()),
		}
		if p := s.node.ProbeDestination(); p != nil {
			st.ProbeResponder = p.Hash().String()
		}
		for _, i := range t.Interfaces() {
			x := i.Stats()
			st.Interfaces = append(st.Interfaces, InterfaceInfo{
				Name: x.Name, Mode: x.Mode.String(), MTU: x.MTU, Bitrate: x.Bitrate, Local: x.Local,
				RxPackets: x.RxPackets, TxPackets: x.TxPackets, RxBytes: x.RxBytes, TxBytes: x.TxBytes,
				Dropped: x.Dropped, AnnouncesIn: x.AnnouncesIn, AnnouncesOut: x.AnnouncesOut,
			})
		}
		return Response{Status: st}
	case "paths":
		var out []PathInfo
		for h, pe := range t.Paths() {
			out = append(out, pathInfo(h, pe))
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
		return Response{Paths: out}
	case "path", "request_path":
		h, err := parseHash(req.Hash)
		if err != nil {
			return Response{Error: err.Error()}
		}
		if req.Cmd == "request_path" && !t.HasPath(h) {
			wait := time.Duration(req.Wait * float64(time.Second))
			if wait <= 0 {
				wait = 15 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			err := s.node.AwaitPath(ctx, h)
			cancel()
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return Response{Error: err.Error()}
			}
		}
		pe, ok := t.Path(h)
		if !ok {
			return Response{Error: "path not known"}
		}
		pi := pathInfo(h, pe)
		return Response{Path: &pi}
	case "routes":
		s.mu.Lock()
		f := s.routes
		s.mu.Unlock()
		var rt *RouteTable
		if f != nil {
			rt = f()
		}
		if rt == nil {
			return Response{Error: "Mehr routing is off ([mehr] routing = true turns it on)"}
		}
		return Response{Routes: rt}
	case "ip":
		s.mu.Lock()
		f := s.ip
		s.mu.Unlock()
		var st *IPStatus
		if f != nil {
			st = f()
		}
		if st == nil {
			return Response{Error: "IP over mehr is off ([tun] enabled = true turns it on)"}
		}
		return Response{IP: st}
	case "interfaces", "interface_add", "interface_remove":
		s.mu.Lock()
		m := s.ifaces
		s.mu.Unlock()
		if m == nil {
			return Response{Error: "this node does not manage interfaces at run time"}
		}
		switch req.Cmd {
		case "interfaces":
			return Response{Interfaces: m.ConfiguredInterfaces()}
		case "interface_add":
			w, err := m.AddInterfaceTOML([]byte(req.TOML))
			if err != nil {
				return Response{Error: err.Error(), Warnings: w}
			}
			return Response{Warnings: w, Interfaces: m.ConfiguredInterfaces()}
		default:
			if err := m.RemoveInterface(req.Name); err != nil {
				return Response{Error: err.Error()}
			}
			return Response{Interfaces: m.ConfiguredInterfaces()}
		}
	}
	return Response{Error: fmt.Sprintf("unknown command %q", req.Cmd)}
}

func pathInfo(h wire.Hash, pe transport.PathEntry) PathInfo {
	pi := PathInfo{
		Destination: h.String(), NextHop: pe.NextHop.String(), Hops: int(pe.Hops),
		Expires: pe.Expires, Timestamp: pe.Timestamp,
	}
	if pe.Interface != nil {
		pi.Interface = pe.Interface.Name()
	}
	return pi
}

// Call sends one request to the daemon whose config directory is dir.
func Call(ctx context.Context, dir string, req Request) (*Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", Path(dir))
	if err != nil {
		return nil, fmt.Errorf("control: no daemon at %s: %w", Path(dir), err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, err
	}
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	return &resp, nil
}
