package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rpc/pickle"
)

// The hashes the requests in testdata/requests.json carry.
var (
	dest1   = mustHash("00112233445566778899aabbccddeeff")
	ident1  = mustHash("ffeeddccbbaa99887766554433221100")
	hop1    = mustHash("0f0e0d0c0b0a09080706050403020100")
	tid     = mustHash("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb")
	probe   = mustHash("cccccccccccccccccccccccccccccccc")
	packet1 = func() (p [32]byte) {
		for i := range p {
			p[i] = byte(i)
		}
		return p
	}()
	epoch = time.Unix(1750000000, 0)
)

func mustHash(s string) wire.Hash {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != wire.HashLen {
		panic(s)
	}
	return wire.Hash(b)
}

func ptr[T any](v T) *T { return &v }

// fakeNode answers with fixed tables and records the changes asked of it.
type fakeNode struct {
	mu          sync.Mutex
	queueDrops  int
	blackholes  []string
	instance    string
	statsCalled atomic.Int64
}

var _ interface {
	Node
	PacketSignals
	Blackholes
	KnownDestinations
} = (*fakeNode)(nil)

func (f *fakeNode) InterfaceStats() Stats {
	f.statsCalled.Add(1)
	instance := f.instance
	if instance == "" {
		instance = "default"
	}
	return Stats{
		Interfaces: []InterfaceStats{
			{
				Name: "Shared Instance[rns/" + instance + "]", ShortName: "Shared Instance",
				Type: "LocalServerInterface", Clients: ptr(2), Bitrate: 1_000_000_000,
				RXB: 1000, TXB: 2000, Status: true, Mode: iface.ModeFull,
			},
			{
				Name: "TCPServerInterface[Backbone/127.0.0.1:4242]", ShortName: "Backbone",
				Type: "TCPServerInterface", Clients: ptr(5), BlockedIPs: ptr(0),
				ParentName: "", Bitrate: 10_000_000, RXS: 1200.5, TXS: 800,
				IFACSignature: bytes.Repeat([]byte{0xab}, 64), IFACSize: 16, IFACNetname: "testnet",
				Extra:         []Field{{Key: "noise_floor", Value: -110}},
				AnnounceQueue: ptr(3),
				RXB:           1 << 40, TXB: 12345,
				IncomingAnnounceFrequency: 0.25, OutgoingAnnounceFrequency: 0.5,
				IncomingPRFrequency: 0.125, OutgoingPRFrequency: 0,
				AnnounceRateTarget: ptr(3600), AnnounceRatePenalty: ptr(0), AnnounceRateGrace: ptr(5),
				HeldAnnounces: 1, BurstActive: true, BurstActivated: epoch,
				Status: true, Mode: iface.ModeGateway, Gravity: 2, AnnouncesToInternal: ptr(true),
			},
		},
		RXB: 1<<40 + 1000, TXB: 14345, RXS: 1200.5, TXS: 800,
		Transport: true, TransportID: tid, Uptime: 90 * time.Minute, ProbeResponder: &probe,
		RSS: 50 << 20,
	}
}

func (f *fakeNode) PathTable() []PathEntry {
	var out []PathEntry
	for hops := 1; hops <= 3; hops++ {
		d := dest1
		d[15] += byte(hops - 1)
		out = append(out, PathEntry{
			Destination: d, Timestamp: epoch, NextHop: hop1, Hops: hops,
			Expires: epoch.Add(7 * 24 * time.Hour), Interface: "TCPServerInterface[Backbone/127.0.0.1:4242]",
		})
	}
	return out
}

func (f *fakeNode) RateTable() []RateEntry {
	return []RateEntry{{
		Destination: dest1, Last: epoch.Add(time.Minute), RateViolations: 1,
		BlockedUntil: time.Time{}, Timestamps: []time.Time{epoch, epoch.Add(time.Minute)},
	}}
}

func (f *fakeNode) NextHop(d wire.Hash) (wire.Hash, bool) { return hop1, d == dest1 }

func (f *fakeNode) NextHopInterface(d wire.Hash) (string, bool) {
	return "TCPServerInterface[Backbone/127.0.0.1:4242]", d == dest1
}

func (f *fakeNode) FirstHopTimeout(d wire.Hash) time.Duration {
	if d == dest1 {
		return FirstHopTimeout(10_000_000)
	}
	return DefaultPerHopTimeout
}

func (f *fakeNode) LinkCount() int                { return 3 }
func (f *fakeNode) DropPath(d wire.Hash) bool     { return d == dest1 }
func (f *fakeNode) DropAllVia(t wire.Hash) int    { return map[bool]int{true: 2}[t == dest1] }
func (f *fakeNode) DropAnnounceQueues()           { f.mu.Lock(); f.queueDrops++; f.mu.Unlock() }
func (f *fakeNode) IsBlackholed(i wire.Hash) bool { return i == ident1 }

func (f *fakeNode) PacketRSSI(p [32]byte) (float64, bool) { return -71.5, p == packet1 }
func (f *fakeNode) PacketSNR(p [32]byte) (float64, bool)  { return 9.25, p == packet1 }
func (f *fakeNode) PacketQ(p [32]byte) (float64, bool)    { return 0, false }

func (f *fakeNode) BlackholedIdentities() []BlackholeEntry {
	return []BlackholeEntry{{Identity: ident1, Source: tid, Until: epoch.Add(time.Hour), Reason: "spam"}}
}

func (f *fakeNode) BlackholeIdentity(i wire.Hash, until time.Time, reason string) BlackholeResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := "forever"
	if !until.IsZero() {
		u = fmt.Sprintf("%.3f", unix(until))
	}
	f.blackholes = append(f.blackholes, fmt.Sprintf("%x %s %q", i[:], u, reason))
	return BlackholeDone
}

func (f *fakeNode) UnblackholeIdentity(i wire.Hash) BlackholeResult { return BlackholeUnchanged }
func (f *fakeNode) UsedDestinationData(d wire.Hash) bool            { return d == dest1 }
func (f *fakeNode) RetainDestinationData(d wire.Hash) bool          { return d == dest1 }
func (f *fakeNode) UnretainDestinationData(d wire.Hash) bool        { return false }
func (f *fakeNode) RetainIdentity(i wire.Hash) bool                 { return i == ident1 }

// minimalNode implements only Node, to check the answers for the
// optional interfaces.
type minimalNode struct{ fakeNode }

func (m *minimalNode) node() Node { return struct{ Node }{&m.fakeNode} }

var testKey = []byte("mehr rpc test key")

var instanceSeq atomic.Int64

// startServer starts a server for n on a fresh abstract Unix socket.
func startServer(t *testing.T, n Node) (*Server, Config) {
	t.Helper()
	cfg := Config{
		Type:         local.TypeUnix,
		InstanceName: fmt.Sprintf("mehr-rpc-test-%d-%d", os.Getpid(), instanceSeq.Add(1)),
		Key:          testKey,
		Logf:         t.Logf,
	}
	if f, ok := n.(*fakeNode); ok {
		f.instance = cfg.InstanceName
	}
	s, err := Listen(context.Background(), cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}

// exchange sends a raw request and returns every reply until the server
// closes the connection.
func exchange(t *testing.T, cfg Config, req []byte, decode func([]byte) (any, error)) []any {
	t.Helper()
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.SendBytes(req); err != nil {
		t.Fatal(err)
	}
	var out []any
	for {
		b, err := c.RecvBytes(MaxReplySize)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading reply: %v", err)
		}
		v, err := decode(b)
		if err != nil {
			t.Fatalf("decoding reply %x: %v", b, err)
		}
		out = append(out, v)
	}
}

type requestFile struct {
	Reference string `json:"reference"`
	Requests  []struct {
		Name    string `json:"name"`
		Msgpack string `json:"msgpack"`
		Pickle  string `json:"pickle"`
		Repr    string `json:"repr"`
	} `json:"requests"`
}

func loadRequests(t *testing.T) requestFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/requests.json")
	if err != nil {
		t.Fatal(err)
	}
	var f requestFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// same compares decoded values: dicts in order, floats within 1e-9.
func same(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && math.Abs(a-b) < 1e-9
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b)
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !same(a[i], b[i]) {
				return false
			}
		}
		return true
	case msgpack.Map:
		b, ok := b.(msgpack.Map)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !same(a[i].Key, b[i].Key) || !same(a[i].Value, b[i].Value) {
				return false
			}
		}
		return true
	}
	return a == b
}

func pathEntry(hops int) msgpack.Map {
	d := dest1
	d[15] += byte(hops - 1)
	return msgpack.Map{
		{Key: "hash", Value: d[:]},
		{Key: "timestamp", Value: 1750000000.0},
		{Key: "via", Value: hop1[:]},
		{Key: "hops", Value: int64(hops)},
		{Key: "expires", Value: 1750000000.0 + 7*24*3600},
		{Key: "interface", Value: "TCPServerInterface[Backbone/127.0.0.1:4242]"},
	}
}

// wantReplies are the answers of the fake node to the requests in
// testdata/requests.json, as the client decodes them.
func wantReplies(f *fakeNode) map[string]any {
	return map[string]any{
		"interface_stats":     normal(interfaceStats(f.InterfaceStats())),
		"path_table":          []any{pathEntry(1), pathEntry(2), pathEntry(3)},
		"path_table_max_hops": []any{pathEntry(1), pathEntry(2)},
		"rate_table": []any{msgpack.Map{
			{Key: "hash", Value: dest1[:]},
			{Key: "last", Value: 1750000060.0},
			{Key: "rate_violations", Value: int64(1)},
			{Key: "blocked_until", Value: 0.0},
			{Key: "timestamps", Value: []any{1750000000.0, 1750000060.0}},
		}},
		"drop_path":                  true,
		"drop_all_via":               int64(2),
		"drop_announce_queues":       nil,
		"next_hop_if_name":           "TCPServerInterface[Backbone/127.0.0.1:4242]",
		"first_hop_timeout":          6.0004,
		"next_hop":                   hop1[:],
		"link_count":                 int64(3),
		"packet_rssi":                -71.5,
		"packet_snr":                 9.25,
		"packet_q":                   nil,
		"blackholed_identities":      msgpack.Map{{Key: ident1[:], Value: msgpack.Map{{Key: "source", Value: tid[:]}, {Key: "until", Value: 1750003600.0}, {Key: "reason", Value: "spam"}}}},
		"is_blackholed":              true,
		"blackhole_identity":         true,
		"blackhole_identity_forever": true,
		"unblackhole_identity":       nil,
		"used_destination_data":      true,
		"retain_destination_data":    true,
		"unretain_destination_data":  false,
		"retain_identity":            true,
	}
}

// normal passes a reply through msgpack, giving the types a client
// decodes.
func normal(v any) any {
	b, err := msgpack.Marshal(v)
	if err != nil {
		panic(err)
	}
	x, err := msgpack.Decode(b)
	if err != nil {
		panic(err)
	}
	return x
}

func decodePickle(b []byte) (any, error) {
	v, err := pickle.Decode(b)
	return plain(v), err
}

// TestReferenceRequests sends every request the reference's client
// methods send, byte for byte, as msgpack (RNS 1.x) and as pickle (older
// releases), and checks the replies.
func TestReferenceRequests(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	f := &fakeNode{}
	_, cfg := startServer(t, f)
	rf := loadRequests(t)
	want := wantReplies(f)
	if len(rf.Requests) != len(want) {
		t.Fatalf("%d requests in testdata, %d expected answers", len(rf.Requests), len(want))
	}
	for _, r := range rf.Requests {
		w, ok := want[r.Name]
		if !ok {
			t.Fatalf("no expected answer for %s", r.Name)
		}
		for _, enc := range []struct {
			name   string
			req    string
			decode func([]byte) (any, error)
		}{{"msgpack", r.Msgpack, msgpack.Decode}, {"pickle", r.Pickle, decodePickle}} {
			got := exchange(t, cfg, unhex(t, enc.req), enc.decode)
			if len(got) != 1 || !same(got[0], w) {
				t.Errorf("%s (%s) %s: got %#v, want %#v", r.Name, enc.name, r.Repr, got, w)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queueDrops != 2 {
		t.Errorf("announce queues dropped %d times, want 2", f.queueDrops)
	}
	wantBH := []string{
		"ffeeddccbbaa99887766554433221100 1750000000.500 \"spam\"",
		"ffeeddccbbaa99887766554433221100 1750000000.500 \"spam\"",
		"ffeeddccbbaa99887766554433221100 forever \"\"",
		"ffeeddccbbaa99887766554433221100 forever \"\"",
	}
	if fmt.Sprint(f.blackholes) != fmt.Sprint(wantBH) {
		t.Errorf("blackhole calls %q, want %q", f.blackholes, wantBH)
	}
}

// TestInterfaceStatsLayout checks the interface_stats dict against the
// keys and order of Reticulum.get_interface_stats.
func TestInterfaceStatsLayout(t *testing.T) {
	f := &fakeNode{instance: "default"}
	m := normal(interfaceStats(f.InterfaceStats())).(msgpack.Map)
	keys := func(m msgpack.Map) (out []string) {
		for _, kv := range m {
			out = append(out, kv.Key.(string))
		}
		return out
	}
	if got, want := fmt.Sprint(keys(m)), "[interfaces rxb txb rxs txs transport_id network_id transport_uptime probe_responder rss]"; got != want {
		t.Errorf("top-level keys %s, want %s", got, want)
	}
	ifs := m[0].Value.([]any)
	base := "name short_name hash type rxb txb incoming_announce_frequency outgoing_announce_frequency " +
		"incoming_pr_frequency outgoing_pr_frequency announce_rate_target announce_rate_penalty " +
		"announce_rate_grace held_announces burst_active burst_activated pr_burst_active " +
		"pr_burst_activated status mode gravity announces_to_internal"
	wantKeys := []string{
		"clients bitrate rxs txs ifac_signature ifac_size ifac_netname autoconnect_source " + base,
		"clients noise_floor bitrate rxs txs ifac_signature ifac_size ifac_netname autoconnect_source announce_queue blocked_ips " + base,
	}
	for i, x := range ifs {
		got := fmt.Sprint(keys(x.(msgpack.Map)))
		if want := "[" + wantKeys[i] + "]"; got != want {
			t.Errorf("interface %d keys\n%s\nwant\n%s", i, got, want)
		}
	}
	get := func(m msgpack.Map, k string) any { v, _ := m.Get(k); return v }
	shared, tcp := ifs[0].(msgpack.Map), ifs[1].(msgpack.Map)
	name := "Shared Instance[rns/default]"
	h := sha256Sum(name)
	checks := []struct {
		got, want any
	}{
		{get(shared, "hash"), h},
		{get(shared, "clients"), int64(2)},
		{get(shared, "ifac_signature"), nil},
		{get(shared, "announces_to_internal"), nil},
		{get(shared, "announce_rate_target"), nil},
		{get(shared, "mode"), int64(1)},
		{get(shared, "burst_activated"), 0.0},
		{get(tcp, "mode"), int64(6)},
		{get(tcp, "ifac_size"), int64(16)},
		{get(tcp, "ifac_netname"), "testnet"},
		{get(tcp, "rxb"), int64(1 << 40)},
		{get(tcp, "burst_activated"), 1750000000.0},
		{get(tcp, "announces_to_internal"), true},
		{get(tcp, "autoconnect_source"), nil},
		{get(m, "transport_uptime"), 5400.0},
		{get(m, "probe_responder"), probe[:]},
		{get(m, "network_id"), nil},
		{get(m, "rss"), int64(50 << 20)},
	}
	for i, c := range checks {
		if !same(c.got, c.want) {
			t.Errorf("check %d: got %#v, want %#v", i, c.got, c.want)
		}
	}

	// Without transport the transport keys are absent, and no RSS is None.
	m = normal(interfaceStats(Stats{})).(msgpack.Map)
	if got := fmt.Sprint(keys(m)); got != "[interfaces rxb txb rxs txs rss]" {
		t.Errorf("keys without transport: %s", got)
	}
	if v := get(m, "interfaces"); !same(v, []any{}) {
		t.Errorf("no interfaces: %#v, want an empty list", v)
	}
}

func sha256Sum(s string) []byte { return hashOf([32]byte{}, s) }

// TestOptionalInterfaces checks the answers of a Node that implements
// none of the optional interfaces: what a reference instance with empty
// tables answers.
func TestOptionalInterfaces(t *testing.T) {
	m := &minimalNode{}
	_, cfg := startServer(t, m.node())
	rf := loadRequests(t)
	want := map[string]any{
		"packet_rssi": nil, "packet_snr": nil, "packet_q": nil,
		"blackholed_identities": msgpack.Map{}, "is_blackholed": false,
		"blackhole_identity": false, "blackhole_identity_forever": false, "unblackhole_identity": false,
		"used_destination_data": false, "retain_destination_data": false,
		"unretain_destination_data": false, "retain_identity": false,
	}
	for _, r := range rf.Requests {
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		got := exchange(t, cfg, unhex(t, r.Msgpack), msgpack.Decode)
		if len(got) != 1 || !same(got[0], w) {
			t.Errorf("%s: got %#v, want %#v", r.Name, got, w)
		}
	}
}

// TestMalformedRequests checks that requests the reference fails on get
// no reply and close the connection, as in the reference, and that the
// server keeps serving.
func TestMalformedRequests(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	_, cfg := startServer(t, &fakeNode{})
	pack := func(v any) []byte {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kv := func(pairs ...any) msgpack.Map {
		var m msgpack.Map
		for i := 0; i < len(pairs); i += 2 {
			m = append(m, msgpack.KV{Key: pairs[i], Value: pairs[i+1]})
		}
		return m
	}
	cases := []struct {
		name string
		req  []byte
		want []any
	}{
		{"unknown get", pack(kv("get", "nonsense")), nil},
		{"unknown key", pack(kv("put", "path_table")), nil},
		{"empty dict", pack(kv()), nil},
		{"not a dict", pack([]any{"get", "link_count"}), nil},
		{"nil", pack(nil), nil},
		{"garbage", []byte{0xc1}, nil},
		{"trailing data", append(pack(kv("get", "link_count")), 0), nil},
		{"missing key", pack(kv("get", "next_hop")), nil},
		{"missing max_hops", pack(kv("get", "path_table")), nil},
		{"unhashable hash", pack(kv("get", "next_hop", "destination_hash", []any{1})), nil},
		{"short identity", pack(kv("get", "is_blackholed", "identity_hash", []byte{1})), nil},
		{"bytes key", pack(kv([]byte("get"), "link_count")), nil},
		{"pickled object", []byte("\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R."), nil},
		{"str hash finds nothing", pack(kv("get", "next_hop", "destination_hash", "00112233445566778899aabbccddeeff")), []any{nil}},
		{"short hash finds nothing", pack(kv("get", "next_hop_if_name", "destination_hash", []byte{1, 2})), []any{"None"}},
		{"unknown hash", pack(kv("get", "first_hop_timeout", "destination_hash", make([]byte, 16))), []any{6.0}},
		{"float max_hops", pack(kv("get", "path_table", "max_hops", 1.5)), []any{[]any{pathEntry(1)}}},
		{"two requests in one", pack(kv("get", "link_count", "drop", "announce_queues")), []any{int64(3), nil}},
		{"answer then fail", pack(kv("get", "link_count", "blackhole_identity", ident1[:])), []any{int64(3)}},
		{"unknown destination_data op", pack(kv("destination_data", "forget", "destination_hash", dest1[:])), nil},
	}
	for _, tc := range cases {
		got := exchange(t, cfg, tc.req, msgpack.Decode)
		if !same(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: got %#v, want %#v", tc.name, got, tc.want)
		}
	}

	// A request longer than the limit is not read.
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], MaxRequestSize+1)
	c.c.Write(hdr[:])
	if _, err := c.RecvBytes(100); !errors.Is(err, io.EOF) {
		t.Errorf("oversized request: %v, want EOF", err)
	}
	c.Close()

	// Still serving.
	if v, err := Call(context.Background(), cfg, kv("get", "link_count")); err != nil || v != int64(3) {
		t.Fatalf("after malformed requests: %v, %v", v, err)
	}
}

func TestAuth(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	var logged []string
	var mu sync.Mutex
	f := &fakeNode{}
	_, cfg := startServer(t, f)

	req := msgpack.Map{{Key: "get", Value: "link_count"}}
	if v, err := Call(context.Background(), cfg, req); err != nil || v != int64(3) {
		t.Fatalf("right key: %v, %v", v, err)
	}
	bad := cfg
	bad.Key = []byte("wrong key")
	bad.Logf = func(format string, args ...any) {
		mu.Lock()
		logged = append(logged, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	if _, err := Call(context.Background(), bad, req); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v, want ErrAuth", err)
	}
	if _, err := Dial(context.Background(), Config{InstanceName: cfg.InstanceName, Type: cfg.Type}); err == nil {
		t.Fatal("empty key accepted")
	}
	if _, err := Listen(context.Background(), Config{Addr: "@mehr-rpc-nokey"}, f); err == nil {
		t.Fatal("Listen accepted an empty key")
	}
}

// legacyClient does what Python 3.11's Client does on cfg's socket:
// answer with a bare HMAC-MD5 over the whole challenge, then send a
// 20-byte challenge and expect a bare HMAC-MD5 back.
func legacyClient(t *testing.T, cfg Config, answerDigest string) (*Conn, error) {
	t.Helper()
	network, address, err := cfg.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial(network, address)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	c := NewConn(nc)
	msg, err := c.RecvBytes(256)
	if err != nil {
		return nil, err
	}
	msg = bytes.TrimPrefix(msg, []byte(challengeTag))
	if !bytes.HasPrefix(msg, []byte("{sha256}")) || len(msg) != 8+challengeLen {
		t.Fatalf("challenge %q is not Python 3.12's form", msg)
	}
	answer := mac("md5", cfg.Key, msg)
	if answerDigest != "" {
		answer = append([]byte("{"+answerDigest+"}"), mac(answerDigest, cfg.Key, msg)...)
	}
	c.SendBytes(answer)
	if r, err := c.RecvBytes(256); err != nil || string(r) != welcome {
		return nil, fmt.Errorf("server said %q, %v", r, err)
	}
	mine := bytes.Repeat([]byte{7}, legacyChallengeLen)
	c.SendBytes(append([]byte(challengeTag), mine...))
	r, err := c.RecvBytes(256)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(r, mac("md5", cfg.Key, mine)) {
		c.SendBytes([]byte(failure))
		return nil, fmt.Errorf("server answered %x", r)
	}
	c.SendBytes([]byte(welcome))
	return c, nil
}

func TestAuthLegacyAndDigests(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	_, cfg := startServer(t, &fakeNode{})
	for _, d := range []string{"", "md5", "sha256", "sha384", "sha3_256", "sha3_384"} {
		c, err := legacyClient(t, cfg, d)
		if err != nil {
			t.Errorf("answer digest %q: %v", d, err)
			continue
		}
		c.SendBytes([]byte("\x81\xa3get\xaalink_count"))
		b, err := c.RecvBytes(100)
		if err != nil || !bytes.Equal(b, []byte{3}) {
			t.Errorf("answer digest %q: reply %x, %v", d, b, err)
		}
		c.Close()
	}
}

// TestDialLegacyServer checks the client side against a server that sends
// Python 3.11's bare 20-byte challenge.
func TestDialLegacyServer(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		c := NewConn(nc)
		msg := bytes.Repeat([]byte{9}, legacyChallengeLen)
		c.SendBytes(append([]byte(challengeTag), msg...))
		a, err := c.RecvBytes(256)
		if err != nil || !bytes.Equal(a, mac("md5", testKey, msg)) {
			done <- fmt.Errorf("client answered %x, %v", a, err)
			return
		}
		c.SendBytes([]byte(welcome))
		done <- answerChallenge(c, testKey) // answerFor picks sha256 for the client's prefixed challenge
	}()
	c, err := Dial(context.Background(), Config{Type: local.TypeTCP, Addr: ln.Addr().String(), Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestHandshakeLimits(t *testing.T) {
	key := []byte("k")
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"short", []byte("#CHALLENGE#short")},
		{"no tag", bytes.Repeat([]byte{1}, 40)},
		{"unknown digest", []byte("#CHALLENGE#{sha1}" + string(bytes.Repeat([]byte{1}, 30)))},
		{"no prefix", []byte("#CHALLENGE#" + string(bytes.Repeat([]byte{1}, 30)))},
	} {
		a, b := net.Pipe()
		go func() { NewConn(b).SendBytes(tc.msg); b.Close() }()
		if err := answerChallenge(NewConn(a), key); !errors.Is(err, ErrAuth) {
			t.Errorf("%s: %v, want ErrAuth", tc.name, err)
		}
		a.Close()
	}
	// A handshake message over 256 bytes is refused unread.
	a, b := net.Pipe()
	go func() { NewConn(b).SendBytes(make([]byte, 257)) }()
	if err := answerChallenge(NewConn(a), key); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("long challenge: %v", err)
	}
	a.Close()
	b.Close()
}

func TestFraming(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ca, cb := NewConn(a), NewConn(b)
	go func() {
		ca.SendBytes([]byte("hello"))
		ca.SendBytes(nil)
		a.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 3, 'b', 'i', 'g'}) // the 8-byte form
		a.Write([]byte{0, 0, 1, 0})                                                    // 256 bytes, over the limit below
	}()
	for _, want := range []string{"hello", "", "big"} {
		got, err := cb.RecvBytes(100)
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	if _, err := cb.RecvBytes(100); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		cfg           Config
		network, addr string
	}{
		{Config{Type: local.TypeUnix}, "unix", "@rns/default/rpc"},
		{Config{Type: local.TypeUnix, InstanceName: "alt"}, "unix", "@rns/alt/rpc"},
		{Config{Type: local.TypeTCP}, "tcp", "127.0.0.1:37429"},
		{Config{Type: local.TypeTCP, Port: 5555}, "tcp", "127.0.0.1:5555"},
		{Config{Type: local.TypeTCP, Addr: "127.0.0.1:0"}, "tcp", "127.0.0.1:0"},
		{Config{Type: local.TypeUnix, Addr: "@x"}, "unix", "@x"},
	} {
		n, a, err := tc.cfg.Endpoint()
		if err != nil || n != tc.network || a != tc.addr {
			t.Errorf("%+v: %s %s %v, want %s %s", tc.cfg, n, a, err, tc.network, tc.addr)
		}
	}
}

func TestInUseAndTCP(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	_, cfg := startServer(t, &fakeNode{})
	if _, err := Listen(context.Background(), cfg, &fakeNode{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Listen: %v, want ErrInUse", err)
	}
	s, err := Listen(context.Background(), Config{Type: local.TypeTCP, Addr: "127.0.0.1:0", Key: testKey}, &fakeNode{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tcp := Config{Type: local.TypeTCP, Addr: s.Addr().String(), Key: testKey}
	if v, err := Call(context.Background(), tcp, msgpack.Map{{Key: "get", Value: "link_count"}}); err != nil || v != int64(3) {
		t.Fatalf("over TCP: %v, %v", v, err)
	}
}

// TestConcurrentAndClose runs many calls at once, then closes the server
// while a client that never speaks holds a connection.
func TestConcurrentAndClose(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // runs after the servers close
	f := &fakeNode{}
	s, cfg := startServer(t, f)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := Call(context.Background(), cfg, msgpack.Map{{Key: "get", Value: "interface_stats"}})
			if err == nil {
				if _, ok := v.(msgpack.Map); !ok {
					err = fmt.Errorf("reply %T", v)
				}
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.statsCalled.Load(); n != 100 {
		t.Errorf("%d stats calls", n)
	}

	network, address, _ := cfg.Endpoint()
	idle, err := net.Dial(network, address)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(50 * time.Millisecond) // let the server accept it
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if _, err := Call(context.Background(), cfg, msgpack.Map{}); err == nil {
		t.Fatal("call after Close succeeded")
	}
}

// panicNode panics in LinkCount.
type panicNode struct{ fakeNode }

func (p *panicNode) LinkCount() int { panic("boom") }

func TestNodePanic(t *testing.T) {
	_, cfg := startServer(t, &panicNode{})
	if _, err := Call(context.Background(), cfg, msgpack.Map{{Key: "get", Value: "link_count"}}); !errors.Is(err, io.EOF) {
		t.Fatalf("panicking node: %v, want EOF", err)
	}
	if v, err := Call(context.Background(), cfg, msgpack.Map{{Key: "drop", Value: "path"}, {Key: "destination_hash", Value: dest1[:]}}); err != nil || v != true {
		t.Fatalf("after a panic: %v, %v", v, err)
	}
}

func TestFirstHopTimeout(t *testing.T) {
	if got := FirstHopTimeout(0); got != DefaultPerHopTimeout {
		t.Errorf("unknown bitrate: %v", got)
	}
	// 500 bytes at 62500 bit/s is 64 ms.
	if got := FirstHopTimeout(62500); got != 6064*time.Millisecond {
		t.Errorf("62.5 kbit/s: %v", got)
	}
}

// FuzzRequest feeds arbitrary requests to the decoder and the dispatcher:
// neither may panic, and whatever they answer must encode.
func FuzzRequest(f *testing.F) {
	raw, err := os.ReadFile("testdata/requests.json")
	if err != nil {
		f.Fatal(err)
	}
	var rf requestFile
	if err := json.Unmarshal(raw, &rf); err != nil {
		f.Fatal(err)
	}
	for _, r := range rf.Requests {
		for _, s := range []string{r.Msgpack, r.Pickle} {
			b, _ := hex.DecodeString(s)
			f.Add(b)
		}
	}
	n := &fakeNode{}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, codec, err := decodeRequest(data)
		if err != nil {
			return
		}
		replies, _ := answer(n, req)
		for _, r := range replies {
			if _, err := encodeReply(codec, r); err != nil {
				t.Fatalf("reply %#v: %v", r, err)
			}
		}
	})
}
