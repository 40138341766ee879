package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
)

// pythons returns the Python interpreters to test against: those listed
// in $MEHR_PYTHON (separated by the path list separator) if set, else
// python3 and, where they run, python3.12 and python3.13, whose
// multiprocessing.connection uses the newer handshake.
func pythons(t *testing.T) []string {
	t.Helper()
	if p := os.Getenv("MEHR_PYTHON"); p != "" {
		return filepath.SplitList(p)
	}
	var out []string
	seen := map[string]bool{}
	for _, name := range []string{"python3", "python3.12", "python3.13"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		v, err := exec.Command(p, "-c", "import sys; print(sys.version.split()[0])").Output()
		if err != nil || seen[string(v)] {
			continue
		}
		seen[string(v)] = true
		out = append(out, p)
	}
	if len(out) == 0 {
		t.Skip("no python3 found")
	}
	return out
}

func pythonVersion(py string) string {
	v, _ := exec.Command(py, "-c", "import sys; print(sys.version.split()[0])").Output()
	return strings.TrimSpace(string(v))
}

// pyAddress spells an address for Python's multiprocessing.connection.
func pyAddress(network, address string) string {
	if network == "unix" {
		return fmt.Sprintf("%q, family='AF_UNIX'", "\x00"+strings.TrimPrefix(address, "@"))
	}
	host, port, _ := net.SplitHostPort(address)
	return fmt.Sprintf("(%q, %s), family='AF_INET'", host, port)
}

func runPython(t *testing.T, py string, env []string, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", py, err, out, stderr.String())
	}
	return string(out)
}

// TestPythonHandshake runs Python's own multiprocessing.connection against
// both sides: Client against the server, and Listener against Dial, for
// every Python found (3.11's legacy HMAC-MD5 handshake and 3.12's
// digest-prefixed one).
func TestPythonHandshake(t *testing.T) {
	for _, py := range pythons(t) {
		ver := pythonVersion(py)
		t.Run(ver, func(t *testing.T) {
			_, cfg := startServer(t, &fakeNode{})
			network, address, _ := cfg.Endpoint()
			script := fmt.Sprintf(`
import multiprocessing.connection as mpc
c = mpc.Client(%s, authkey=%q.encode())
c.send_bytes(b"\x81\xa3get\xaalink_count")
assert c.recv_bytes() == b"\x03"
try:
    mpc.Client(%[1]s, authkey=b"wrong")
    raise SystemExit("wrong key accepted")
except mpc.AuthenticationError as e:
    print("refused:", e)
print("ok")
`, pyAddress(network, address), testKey)
			out := runPython(t, py, nil, script)
			if !strings.Contains(out, "refused") || !strings.HasSuffix(strings.TrimSpace(out), "ok") {
				t.Fatalf("python said %q", out)
			}

			// Listener side: Python serves, Dial connects.
			addr := fmt.Sprintf("@mehr-rpc-pylistener-%d-%d", os.Getpid(), instanceSeq.Add(1))
			ready := make(chan struct{})
			done := make(chan string, 1)
			go func() {
				script := fmt.Sprintf(`
import multiprocessing.connection as mpc, sys
l = mpc.Listener(%s, authkey=%q.encode())
print("listening", flush=True)
c = l.accept()
c.send_bytes(c.recv_bytes()[::-1])
c.close()
try:
    l.accept()
    print("wrong key accepted")
except mpc.AuthenticationError as e:
    print("refused")
`, pyAddress("unix", addr), testKey)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, py, "-c", script)
				stdout, _ := cmd.StdoutPipe()
				cmd.Start()
				r := bufio.NewReader(stdout)
				r.ReadString('\n') // "listening"
				close(ready)
				rest, _ := io.ReadAll(r)
				cmd.Wait()
				done <- string(rest)
			}()
			<-ready
			lcfg := Config{Type: local.TypeUnix, Addr: addr, Key: testKey}
			c, err := Dial(context.Background(), lcfg)
			if err != nil {
				t.Fatalf("Dial against Python %s: %v", ver, err)
			}
			c.SendBytes([]byte("abc"))
			if b, err := c.RecvBytes(10); err != nil || string(b) != "cba" {
				t.Fatalf("reply %q, %v", b, err)
			}
			c.Close()
			lcfg.Key = []byte("wrong")
			if _, err := Dial(context.Background(), lcfg); err == nil {
				t.Fatal("wrong key accepted by Python's Listener")
			}
			if out := <-done; !strings.Contains(out, "refused") {
				t.Fatalf("python listener said %q", out)
			}
		})
	}
}

// TestHMACMatchesPython compares the HMACs of every allowed digest, and
// where the interpreter is 3.12 or later its _create_response, with
// Python's.
func TestHMACMatchesPython(t *testing.T) {
	for _, py := range pythons(t) {
		key := []byte("key for the hmac test")
		msgs := [][]byte{
			bytes.Repeat([]byte{1}, legacyChallengeLen),
			append([]byte("{sha256}"), bytes.Repeat([]byte{2}, challengeLen)...),
			append([]byte("{sha3_384}"), bytes.Repeat([]byte{3}, challengeLen)...),
			append([]byte("{md5}"), bytes.Repeat([]byte{4}, challengeLen)...),
		}
		var hexMsgs []string
		for _, m := range msgs {
			hexMsgs = append(hexMsgs, hex.EncodeToString(m))
		}
		in, _ := json.Marshal(hexMsgs)
		out := runPython(t, py, nil, `
import hmac, json, sys, multiprocessing.connection as mpc
key = sys.argv[1].encode()
res = {"macs": {}, "answers": []}
for m in json.loads(sys.argv[2]):
    m = bytes.fromhex(m)
    for d in ["md5", "sha256", "sha384", "sha3_256", "sha3_384"]:
        res["macs"][d + ":" + m.hex()] = hmac.new(key, m, d).hexdigest()
    if hasattr(mpc, "_create_response"):
        res["answers"].append(mpc._create_response(key, m).hex())
print(json.dumps(res))
`, string(key), string(in))
		var res struct {
			Macs    map[string]string `json:"macs"`
			Answers []string          `json:"answers"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		for k, want := range res.Macs {
			d, m, _ := strings.Cut(k, ":")
			mb, _ := hex.DecodeString(m)
			if got := hex.EncodeToString(mac(d, key, mb)); got != want {
				t.Errorf("%s HMAC-%s: %s, python %s", pythonVersion(py), d, got, want)
			}
		}
		for i, want := range res.Answers {
			got, err := answerFor(key, msgs[i])
			if err != nil || hex.EncodeToString(got) != want {
				t.Errorf("%s answer to %q: %x, %v; python %s", pythonVersion(py), msgs[i][:10], got, err, want)
			}
		}
		t.Logf("%s: %d HMACs, %d answers agree", pythonVersion(py), len(res.Macs), len(res.Answers))
	}
}

// refPath returns $MEHR_RETICULUM_REF, the Python reference checkout, or
// skips.
func refPath(t *testing.T) string {
	ref := os.Getenv("MEHR_RETICULUM_REF")
	if ref == "" {
		t.Skip("MEHR_RETICULUM_REF not set")
	}
	if _, err := os.Stat(filepath.Join(ref, "RNS", "Reticulum.py")); err != nil {
		t.Fatalf("MEHR_RETICULUM_REF: %v", err)
	}
	return ref
}

// jsonish turns a decoded value into what the Python side of the live
// tests prints: bytes as "hex:..." strings, dicts as ordered lists of
// pairs under "dict", so that key order is compared too.
func jsonish(v any) any {
	switch v := v.(type) {
	case []byte:
		return "hex:" + hex.EncodeToString(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonish(e)
		}
		return out
	case msgpack.Map:
		pairs := make([]any, len(v))
		for i, kv := range v {
			pairs[i] = []any{jsonish(kv.Key), jsonish(kv.Value)}
		}
		return map[string]any{"dict": pairs}
	}
	return v
}

func viaJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestLiveReferenceClient has the reference's own client methods
// (RNS.Reticulum.get_path_table and the rest, called with
// is_connected_to_shared_instance set and get_rpc_client opening
// multiprocessing.connection.Client exactly as the reference does) talk
// to the server, and compares what they return with the fake node's
// tables. It also sends a pickle the way pre-1.0 releases did, an unknown
// request, and a wrong key. Skipped unless MEHR_RETICULUM_REF is set.
func TestLiveReferenceClient(t *testing.T) {
	ref := refPath(t)
	for _, py := range pythons(t) {
		t.Run(pythonVersion(py), func(t *testing.T) {
			f := &fakeNode{}
			_, cfg := startServer(t, f)
			network, address, _ := cfg.Endpoint()
			script := fmt.Sprintf(`
import json, sys, multiprocessing.connection as mpc
import RNS, RNS.vendor.umsgpack as mp
KEY = %[2]q.encode()
class Stub:
    is_connected_to_shared_instance = True
    def get_rpc_client(self):
        return mpc.Client(%[1]s, authkey=KEY)
R, s = RNS.Reticulum, Stub()
dest = bytes.fromhex("00112233445566778899aabbccddeeff")
ident = bytes.fromhex("ffeeddccbbaa99887766554433221100")
packet = bytes(range(32))
calls = {
    "interface_stats": lambda: R.get_interface_stats(s),
    "path_table": lambda: R.get_path_table(s),
    "path_table_max_hops": lambda: R.get_path_table(s, max_hops=2),
    "rate_table": lambda: R.get_rate_table(s),
    "drop_path": lambda: R.drop_path(s, dest),
    "drop_all_via": lambda: R.drop_all_via(s, dest),
    "drop_announce_queues": lambda: R.drop_announce_queues(s),
    "next_hop_if_name": lambda: R.get_next_hop_if_name(s, dest),
    "first_hop_timeout": lambda: R.get_first_hop_timeout(s, dest),
    "next_hop": lambda: R.get_next_hop(s, dest),
    "link_count": lambda: R.get_link_count(s),
    "packet_rssi": lambda: R.get_packet_rssi(s, packet),
    "packet_snr": lambda: R.get_packet_snr(s, packet),
    "packet_q": lambda: R.get_packet_q(s, packet),
    "blackholed_identities": lambda: R.get_blackholed_identities(s),
    "is_blackholed": lambda: R.is_blackholed(s, ident),
    "blackhole_identity": lambda: R.blackhole_identity(s, ident, until=1750000000.5, reason="spam"),
    "blackhole_identity_forever": lambda: R.blackhole_identity(s, ident),
    "unblackhole_identity": lambda: R.unblackhole_identity(s, ident),
    "used_destination_data": lambda: R._used_destination_data(s, dest),
    "retain_destination_data": lambda: R._retain_destination_data(s, dest),
    "unretain_destination_data": lambda: R._unretain_destination_data(s, dest),
    "retain_identity": lambda: R._retain_identity(s, ident),
}
def j(v):
    if isinstance(v, bytes): return "hex:" + v.hex()
    if isinstance(v, (list, tuple)): return [j(x) for x in v]
    if isinstance(v, dict): return {"dict": [[j(k), j(x)] for k, x in v.items()]}
    return v
out = {}
for name, call in calls.items():
    try: out[name] = j(call())
    except Exception as e: out[name] = {"error": type(e).__name__ + ": " + str(e)}
def raw(send, recv):
    c = s.get_rpc_client(); send(c)
    try: return j(recv(c))
    except Exception as e: return {"error": type(e).__name__}
out["pickle_link_count"] = raw(lambda c: c.send({"get": "link_count"}), lambda c: c.recv())
out["pickle_path_table"] = raw(lambda c: c.send({"get": "path_table", "max_hops": 1}), lambda c: c.recv())
out["unknown"] = raw(lambda c: c.send_bytes(mp.packb({"get": "nonsense"})), lambda c: mp.unpackb(c.recv_bytes()))
try:
    mpc.Client(%[1]s, authkey=b"wrong")
    out["wrong_key"] = "accepted"
except Exception as e:
    out["wrong_key"] = type(e).__name__
print(json.dumps(out))
`, pyAddress(network, address), testKey)
			out := runPython(t, py, []string{"PYTHONPATH=" + ref}, script)
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			want := wantReplies(f)
			want["pickle_link_count"] = int64(3)
			want["pickle_path_table"] = []any{pathEntry(1)}
			for name, w := range want {
				g, ok := got[name]
				if !ok {
					t.Errorf("%s: no result", name)
					continue
				}
				wj := viaJSON(t, jsonish(w))
				if name == "first_hop_timeout" {
					if x, ok := g.(float64); !ok || x < 6.0003 || x > 6.0005 {
						t.Errorf("%s: %v", name, g)
					}
					continue
				}
				if !reflect.DeepEqual(g, wj) {
					t.Errorf("%s:\n got %v\nwant %v", name, g, wj)
				}
			}
			if e, _ := got["unknown"].(map[string]any); e == nil || e["error"] != "EOFError" {
				t.Errorf("unknown request: %v, want EOFError as from the reference", got["unknown"])
			}
			if got["wrong_key"] != "AuthenticationError" {
				t.Errorf("wrong key: %v", got["wrong_key"])
			}
		})
	}
}

// TestLiveTools attaches the reference to a shared instance made of
// interfaces/local's data socket and this server, with the RPC key
// derived by both sides from the same transport_identity file, and runs
// rnstatus and rnpath against it. Skipped unless MEHR_RETICULUM_REF is
// set.
func TestLiveTools(t *testing.T) {
	ref := refPath(t)
	py := pythons(t)[0]
	dir := t.TempDir()
	name := fmt.Sprintf("mehr-rpc-tools-%d", os.Getpid())

	data, err := local.Listen(context.Background(), local.Config{Type: local.TypeUnix, InstanceName: name})
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	go func() { // keep attached programs connected until the end
		for {
			c, err := data.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	// The key both sides derive: SHA-256 of the private key in
	// storage/transport_identity.
	id, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := id.Save(filepath.Join(dir, "storage", "transport_identity")); err != nil {
		t.Fatal(err)
	}
	key, err := DefaultKey(id)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{instance: name}
	s, err := Listen(context.Background(), Config{Type: local.TypeUnix, InstanceName: name, Key: key, Logf: t.Logf}, f)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conf := fmt.Sprintf("[reticulum]\n  share_instance = Yes\n  instance_name = %s\n[logging]\n  loglevel = 2\n[interfaces]\n", name)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	tool := func(module string, args ...string) string {
		t.Helper()
		script := fmt.Sprintf("import sys, runpy; sys.argv = [%q] + sys.argv[1:]; runpy.run_module(%q, run_name='__main__')", module, "RNS.Utilities."+module)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, py, append([]string{"-c", script, "--config", dir}, args...)...)
		cmd.Env = append(os.Environ(), "PYTHONPATH="+ref)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", module, args, err, out)
		}
		t.Logf("%s %s:\n%s", module, strings.Join(args, " "), out)
		return string(out)
	}
	expect := func(out string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(out, p) {
				t.Errorf("output lacks %q", p)
			}
		}
		for _, bad := range []string{"Error", "error", "Could not"} {
			if strings.Contains(out, bad) {
				t.Errorf("output contains %q", bad)
			}
		}
	}

	out := tool("rnstatus", "-a", "-A", "-l", "-t")
	expect(out,
		"Shared Instance[rns/"+name+"]", "Serving   : 1 program",
		"TCPServerInterface[Backbone/127.0.0.1:4242]", "Clients   : 5", "Mode      : Gateway",
		"Rate      : 10.00 Mbps", "Network   : testnet", "Access    : 128-bit IFAC by <…ababababab>",
		"Noise Fl. : -110 dBm", "Queued    : 3 announces", "Held      : 1 announce",
		"Transport Instance <aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb> running",
		"Probe responder at <cccccccccccccccccccccccccccccccc> active",
		"Uptime is 1h and 30m, 3 entries in link table",
		"Totals",
	)

	var js map[string]any
	if err := json.Unmarshal([]byte(tool("rnstatus", "-j")), &js); err != nil {
		t.Fatal(err)
	}
	ifs := js["interfaces"].([]any)
	if len(ifs) != 2 || js["transport_id"] != "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb" || js["rss"] != float64(50<<20) {
		t.Errorf("rnstatus -j: %v", js)
	}
	tcp := ifs[1].(map[string]any)
	if tcp["type"] != "TCPServerInterface" || tcp["short_name"] != "Backbone" || tcp["rxb"] != float64(1<<40) || tcp["mode"] != float64(6) {
		t.Errorf("rnstatus -j interface: %v", tcp)
	}

	out = tool("rnpath", "-t")
	expect(out,
		"<00112233445566778899aabbccddeeff> is 1 hop  away via <0f0e0d0c0b0a09080706050403020100> on TCPServerInterface[Backbone/127.0.0.1:4242]",
		"<00112233445566778899aabbccddee01> is 3 hops away via",
	)
	if n := strings.Count(out, " away via "); n != 3 {
		t.Errorf("rnpath -t listed %d paths, want 3", n)
	}
	out = tool("rnpath", "-t", "-m", "2")
	if n := strings.Count(out, " away via "); n != 2 {
		t.Errorf("rnpath -t -m 2 listed %d paths, want 2", n)
	}
	out = tool("rnpath", "-r")
	expect(out, "<00112233445566778899aabbccddeeff> last heard", "1 active rate violation")
	out = tool("rnpath", "-d", "00112233445566778899aabbccddeeff")
	expect(out, "Dropped path to <00112233445566778899aabbccddeeff>")
	out = tool("rnpath", "-x", "00112233445566778899aabbccddeeff")
	expect(out, "Dropped all paths via <00112233445566778899aabbccddeeff>")
	out = tool("rnpath", "-D")
	expect(out, "Dropping announce queues on all interfaces")
	out = tool("rnpath", "-b")
	expect(out, "<ffeeddccbbaa99887766554433221100> blackholed for ", "(spam)")
	out = tool("rnpath", "-B", "ffeeddccbbaa99887766554433221100", "--reason", "test")
	expect(out, "Blackholed identity ffeeddccbbaa99887766554433221100")
	out = tool("rnpath", "-U", "ffeeddccbbaa99887766554433221100")
	expect(out, "Identity ffeeddccbbaa99887766554433221100 not blackholed")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queueDrops != 1 || len(f.blackholes) != 1 || !strings.HasSuffix(f.blackholes[0], `forever "test"`) {
		t.Errorf("node saw %d queue drops and blackholes %q", f.queueDrops, f.blackholes)
	}
}
