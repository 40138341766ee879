// Package wiretcp implements the conformance suite's wire_* commands:
// mehr nodes on real loopback TCP exchanging announces, paths, links,
// channels, buffers, resources and IFAC-protected traffic with the
// reference or with each other.
//
// Each wire_start_* command starts an rns.Node with one TCP interface (a
// server listening on 127.0.0.1, or a client) and returns a handle; the
// other commands act on that node through mehr's own packages (rns,
// rns/link, rns/link/channel, rns/link/request, rns/transport). Nothing is
// answered from tables: every observable is read off the live objects.
//
// The commands of one registry share their nodes; wire_stop closes a node,
// its links and its listeners and waits for their routines.
package wiretcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/mgmt"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rpc"
)

// Family is one set of nodes and the commands that drive them.
type Family struct{ w *wireState }

// New returns a family with no nodes.
func New() *Family { return &Family{w: &wireState{insts: map[string]*instance{}}} }

// Commands returns the family's wire_* commands.
func (f *Family) Commands() bridge.Registry { return f.w.registry() }

// Close stops every node still running, as a process exit does in the
// reference: links are torn down (the peers see them closed by the
// destination or initiator, not timed out), then interfaces close.
func (f *Family) Close() { f.w.closeAll() }

// Commands returns the wire_* commands of a new family.
func Commands() bridge.Registry { return New().Commands() }

type wireState struct {
	mu    sync.Mutex
	insts map[string]*instance
}

// instance is one started node.
type instance struct {
	handle     string
	role       string
	node       *rns.Node
	srv        *tcp.Server
	client     *tcp.Client
	port       int
	ifac       *ifac.IFAC
	mode       iface.Mode
	enabled    bool
	tap        *tap
	rpc        *rpc.Server // shared instance RPC, or nil
	rpcKey     []byte      // the configured rpc_key, or nil
	posture    daemon.Posture
	sharedPort int          // the shared instance's TCP data port, or 0
	remote     *mgmt.Remote // remote management, or nil
	storage    string       // the node's storage directory, removed on close

	mu        sync.Mutex
	dests     map[wire.Hash]*rns.Destination
	listeners map[wire.Hash]*listener
	links     map[wire.Hash]*linkState // outbound links by link ID
	resources map[string]*outResource
	receipts  map[string]receipt
	groups    map[wire.Hash]*dest.Destination
	injectors map[bool]*injectIface // by "has IFAC"
	stopped   bool
}

func (w *wireState) registry() bridge.Registry {
	r := bridge.Registry{
		"wire_start_tcp_server":   w.startServer,
		"wire_start_tcp_client":   w.startClient,
		"wire_stop":               w.stop,
		"wire_start_local_client": w.startLocalClient,
		// Stateless crypto needs no node.
		"wire_identity_keypair": noInstance(cmdIdentityKeypair),
		"wire_ratchet_keypair":  noInstance(cmdRatchetKeypair),
		"wire_identity_encrypt": noInstance(cmdIdentityEncrypt),
		"wire_identity_decrypt": noInstance(cmdIdentityDecrypt),
		// Channel and Buffer codecs.
		"wire_channel_envelope_pack": cmdEnvelopePack,
		"wire_buffer_pack":           cmdBufferPack,
	}
	for name, h := range map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_has_discovery_path_request":     cmdHasDiscoveryPathRequest,
		"wire_get_received_packets":           cmdGetReceivedPackets,
		"wire_announce":                       cmdAnnounce,
		"wire_poll_path":                      cmdPollPath,
		"wire_request_path":                   cmdRequestPath,
		"wire_read_path_entry":                cmdReadPathEntry,
		"wire_read_path_random_hash":          cmdReadPathRandomHash,
		"wire_tx_bytes":                       cmdTxBytes,
		"wire_identity_recall":                cmdIdentityRecall,
		"wire_transport_enabled":              cmdTransportEnabled,
		"wire_interface_hw_mtu":               cmdInterfaceHWMTU,
		"wire_listen":                         cmdListen,
		"wire_link_open":                      cmdLinkOpen,
		"wire_link_send":                      cmdLinkSend,
		"wire_link_poll":                      cmdLinkPoll,
		"wire_opportunistic_poll":             cmdOpportunisticPoll,
		"wire_send_opportunistic":             cmdSendOpportunistic,
		"wire_link_status":                    cmdLinkStatus,
		"wire_link_await_status":              cmdLinkAwaitStatus,
		"wire_link_teardown":                  cmdLinkTeardown,
		"wire_listener_link_status":           cmdListenerLinkStatus,
		"wire_link_mtu":                       cmdLinkMTU,
		"wire_link_identify":                  cmdLinkIdentify,
		"wire_resource_send":                  cmdResourceSend,
		"wire_resource_cancel":                cmdResourceCancel,
		"wire_resource_poll":                  cmdResourcePoll,
		"wire_resource_receiver_status":       cmdResourceReceiverStatus,
		"wire_channel_send":                   cmdChannelSend,
		"wire_channel_received":               cmdChannelReceived,
		"wire_send_link_data":                 cmdSendLinkData,
		"wire_send_packet":                    cmdSendPacket,
		"wire_packet_receipt_status":          cmdPacketReceiptStatus,
		"wire_send_over_closed_link":          cmdSendOverClosedLink,
		"wire_ifac_compute":                   cmdIFACCompute,
		"wire_ifac_signature":                 cmdIFACSignature,
		"wire_interface_bitrate":              cmdInterfaceBitrate,
		"wire_group_create":                   cmdGroupCreate,
		"wire_group_encrypt":                  cmdGroupEncrypt,
		"wire_group_decrypt":                  cmdGroupDecrypt,
		"wire_plain_encrypt":                  cmdPlainEncrypt,
		"wire_plain_decrypt":                  cmdPlainDecrypt,
		"wire_send_packet_with_proof_request": cmdSendPacketWithProofRequest,
		"wire_resource_create":                cmdResourceCreate,
		"wire_link_set_watchdog":              cmdLinkSetWatchdog,
		"wire_inject_raw_frame":               cmdInjectRawFrame,
		"wire_rpc_authkey":                    cmdRPCAuthkey,
		"wire_first_hop_timeout":              cmdFirstHopTimeout,
		"wire_listener_channel_rx":            cmdListenerChannelRx,
		"wire_send_oversize_link_packet":      cmdSendOversizeLinkPacket,
		"wire_channel_inject":                 cmdChannelInject,
		"wire_channel_window":                 cmdChannelWindow,
		"wire_buffer_stream":                  cmdBufferStream,
		"wire_buffer_received":                cmdBufferReceived,
		"wire_listener_proof_log":             cmdListenerProofLog,
		"wire_register_request_handler":       cmdRegisterRequestHandler,
		"wire_deregister_request_handler":     cmdDeregisterRequestHandler,
		"wire_link_request":                   cmdLinkRequest,
		"wire_link_request_large":             cmdLinkRequestLarge,
		"wire_get_request_log":                cmdGetRequestLog,
		"wire_set_race_inducer":               cmdSetRaceInducer,
		"wire_set_proof_strategy":             cmdSetProofStrategy,
	} {
		r[name] = w.withInstance(h)
	}
	for _, cmds := range []map[string]func(*instance, bridge.Params) (bridge.Result, error){configCommands(), ratchetCommands(), identityCommands(), channelCommands(), linkHookCommands(), discoveryCommands()} {
		for name, h := range cmds {
			r[name] = w.withInstance(h)
		}
	}
	for name, h := range requestCommands() {
		r[name] = w.withInstance(h)
	}
	for name, h := range proofCommands() {
		r[name] = w.withInstance(h)
	}
	for name, h := range resourceCommands() {
		r[name] = w.withInstance(h)
	}
	return r
}

// noInstance runs h without a node.
func noInstance(h func(*instance, bridge.Params) (bridge.Result, error)) bridge.Handler {
	return func(p bridge.Params) (bridge.Result, error) { return h(nil, p) }
}

// withInstance looks the handle up before running h.
func (w *wireState) withInstance(h func(*instance, bridge.Params) (bridge.Result, error)) bridge.Handler {
	return func(p bridge.Params) (bridge.Result, error) {
		handle, err := p.String("handle")
		if err != nil {
			return nil, err
		}
		w.mu.Lock()
		in := w.insts[handle]
		w.mu.Unlock()
		if in == nil {
			return nil, fmt.Errorf("Unknown handle: %s", handle)
		}
		return h(in, p)
	}
}

func newHandle() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// nodeConfig holds the options common to servers and clients.
type nodeConfig struct {
	mode     iface.Mode
	fixedMTU int
	bitrate  int64
	ifac     *ifac.IFAC
	ifacSize int
}

func parseNodeConfig(p bridge.Params) (nodeConfig, error) {
	var c nodeConfig
	if s := p.StringOr("mode", ""); s != "" {
		m, ok := iface.ParseMode(s)
		if !ok {
			return c, fmt.Errorf("Unknown interface mode: %q", s)
		}
		c.mode = m
	}
	var err error
	if c.fixedMTU, err = p.IntOr("fixed_mtu", 0); err != nil {
		return c, err
	}
	br, err := p.IntOr("bitrate", 0)
	if err != nil {
		return c, err
	}
	// As the reference reads its config: a bitrate under the minimum and an
	// ifac_size (in bits) under IFAC_MIN_SIZE bytes are ignored, leaving
	// the defaults.
	if br >= tcp.MinBitrate {
		c.bitrate = int64(br)
	}
	bits, err := p.IntOr("ifac_size", 0)
	if err != nil {
		return c, err
	}
	if bits >= ifac.MinSize*8 {
		c.ifacSize = bits / 8
	}
	nn, pp := p.StringOr("network_name", ""), p.StringOr("passphrase", "")
	if nn != "" || pp != "" {
		size := c.ifacSize
		if size == 0 {
			size = tcp.DefaultIFACSize
		}
		if c.ifac, err = ifac.New(nn, pp, size); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c nodeConfig) tcpConfig(name, addr string) tcp.Config {
	return tcp.Config{Name: name, Addr: addr, Mode: c.mode, FixedMTU: c.fixedMTU, Bitrate: c.bitrate, IFACSize: c.ifacSize}
}

func (w *wireState) add(in *instance) {
	in.handle = newHandle()
	in.dests = map[wire.Hash]*rns.Destination{}
	in.listeners = map[wire.Hash]*listener{}
	in.links = map[wire.Hash]*linkState{}
	in.resources = map[string]*outResource{}
	w.mu.Lock()
	w.insts[in.handle] = in
	w.mu.Unlock()
}

func (w *wireState) startServer(p bridge.Params) (bridge.Result, error) {
	c, err := parseNodeConfig(p)
	if err != nil {
		return nil, err
	}
	enabled := true
	if v, ok := p["enable_transport"]; ok {
		b, _ := v.(bool)
		enabled = b // None (absent line) and false both mean off
	}
	posture, err := nodePosture(p, enabled)
	if err != nil {
		return nil, err
	}
	port, err := p.IntOr("bind_port", 0)
	if err != nil {
		return nil, err
	}
	dir, err := newStorageDir()
	if err != nil {
		return nil, err
	}
	node, err := rns.NewNode(rns.Options{TransportEnabled: enabled, RespondToProbes: posture.RespondToProbes && enabled,
		ExplicitProofs: !posture.UseImplicitProof, StorageDir: dir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var remote *mgmt.Remote
	if posture.RemoteManagement {
		if remote, err = mgmt.EnableRemote(node, mgmt.NewView(node), posture.RemoteManagementAllowed); err != nil {
			node.Close()
			os.RemoveAll(dir)
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := tcp.Listen(ctx, c.tcpConfig("Wire TCP Server", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))))
	if err != nil {
		if remote != nil {
			remote.Close()
		}
		node.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	tp := newTap(c.ifac)
	node.AddListener(tapListener{Listener: srv, t: tp}, withAnnounceRate(interfaceOptions(c), enabled))
	_, ps, _ := net.SplitHostPort(srv.Addr().String())
	port, _ = strconv.Atoi(ps)
	in := &instance{role: "server", node: node, srv: srv, port: port, ifac: c.ifac, mode: c.mode, enabled: enabled, tap: tp,
		posture: posture, remote: remote, storage: dir}
	w.add(in)
	if k, err := hex.DecodeString(p.StringOr("rpc_key", "")); err == nil && len(k) > 0 {
		in.rpcKey = k // a malformed key falls back to the default, as in the reference
	}
	tid := node.Identity().Hash()
	res := bridge.Result{
		"handle":            in.handle,
		"port":              port,
		"identity_hash":     hex.EncodeToString(tid[:]),
		"transport_enabled": enabled,
	}
	if share, _ := p.Bool("share_instance", false); share {
		if err := in.shareInstance(ctx, p.StringOr("share_instance_type", "tcp"), res); err != nil {
			w.mu.Lock()
			delete(w.insts, in.handle)
			w.mu.Unlock()
			in.close()
			return nil, err
		}
	}
	return res, nil
}

func interfaceOptions(c nodeConfig) transport.InterfaceOptions {
	return transport.InterfaceOptions{Mode: c.mode, IFAC: c.ifac}
}

func (w *wireState) startClient(p bridge.Params) (bridge.Result, error) {
	c, err := parseNodeConfig(p)
	if err != nil {
		return nil, err
	}
	host, err := p.String("target_host")
	if err != nil {
		return nil, err
	}
	port, err := p.Int("target_port")
	if err != nil {
		return nil, err
	}
	dir, err := newStorageDir()
	if err != nil {
		return nil, err
	}
	node, err := rns.NewNode(rns.Options{StorageDir: dir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := tcp.NewClient(ctx, c.tcpConfig("Wire TCP Client", net.JoinHostPort(host, strconv.Itoa(port))))
	if err != nil {
		node.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	tp := newTap(c.ifac)
	if _, err := node.AddInterface(tapIface{Interface: cl, t: tp}, interfaceOptions(c)); err != nil {
		cl.Close()
		node.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	_ = cl.WaitConnected(ctx)
	// Give the server time to attach the connection before the test goes
	// on: a server announcing the moment we return would otherwise race
	// its own accept loop. The reference's client takes this long (and
	// more) to finish starting after it connects.
	time.Sleep(connectSettle)
	in := &instance{role: "client", node: node, client: cl, ifac: c.ifac, mode: c.mode, tap: tp, storage: dir}
	w.add(in)
	tid := node.Identity().Hash()
	return bridge.Result{"handle": in.handle, "identity_hash": hex.EncodeToString(tid[:])}, nil
}

func (w *wireState) stop(p bridge.Params) (bridge.Result, error) {
	handle, err := p.String("handle")
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	in := w.insts[handle]
	delete(w.insts, handle)
	w.mu.Unlock()
	if in == nil {
		return bridge.Result{"stopped": false}, nil
	}
	in.close()
	return bridge.Result{"stopped": true}, nil
}

// close tears down every link and listener of the node, then the node.
func (in *instance) close() {
	in.mu.Lock()
	in.stopped = true
	links := make([]*linkState, 0, len(in.links))
	for _, ls := range in.links {
		links = append(links, ls)
	}
	lns := make([]*listener, 0, len(in.listeners))
	for _, ln := range in.listeners {
		lns = append(lns, ln)
	}
	for _, r := range in.resources {
		r.cancel()
	}
	in.mu.Unlock()
	for _, ls := range links {
		ls.close()
	}
	for _, ln := range lns {
		ln.close()
	}
	if in.remote != nil {
		in.remote.Close()
	}
	in.node.Close()
	if in.rpc != nil {
		in.rpc.Close()
	}
	if in.storage != "" {
		os.RemoveAll(in.storage)
	}
}

// closeAll stops every node.
func (w *wireState) closeAll() {
	w.mu.Lock()
	all := w.insts
	w.insts = map[string]*instance{}
	w.mu.Unlock()
	for _, in := range all {
		in.close()
	}
}

func hexHash(h wire.Hash) string { return hex.EncodeToString(h[:]) }

func paramHash(p bridge.Params, k string) (wire.Hash, error) {
	var h wire.Hash
	b, err := p.Hex(k)
	if err != nil {
		return h, err
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("%w: %q must be %d bytes", bridge.ErrParam, k, len(h))
	}
	copy(h[:], b)
	return h, nil
}

func timeoutParam(p bridge.Params, def int) time.Duration {
	ms, err := p.IntOr("timeout_ms", def)
	if err != nil || ms < 0 {
		ms = def
	}
	return time.Duration(ms) * time.Millisecond
}

// pollUntil calls f every 20 ms until it reports true or d passes.
func pollUntil(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// connectSettle is how long a client waits after connecting.
const connectSettle = 300 * time.Millisecond

var errNoListener = errors.New("no listener registered for destination")
