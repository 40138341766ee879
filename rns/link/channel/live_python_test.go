package channel_test

// The Python side of TestLivePython (live_test.go): one program run twice,
// as link initiator ("initiate") and as listener ("listen"), against the
// reference Reticulum found on PYTHONPATH. It reports with lines starting
// "@@ " on stdout and exits 0 only if every check on its side passed.

const livePyScript = `
import hashlib, os, queue, sys, time
import RNS

MODE, CONFIG = sys.argv[1], sys.argv[2]
ARG = sys.argv[3] if len(sys.argv) > 3 else None
TIMEOUT = 90

def out(*a):
    print("@@", *a, flush=True)

def fail(msg):
    out("FAIL", msg)
    sys.stdout.flush()
    os._exit(1)

class TextMsg(RNS.MessageBase):
    MSGTYPE = 0x0101
    def __init__(self, text=""):
        self.text = text
    def pack(self):
        return self.text.encode("utf-8")
    def unpack(self, raw):
        self.text = bytes(raw).decode("utf-8")

def wait_for(cond, what, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            fail("timeout waiting for " + what)
        time.sleep(0.002)

def send_text(ch, text):
    wait_for(ch.is_ready_to_send, "channel window")
    ch.send(TextMsg(text))

def get_text(inbox, what):
    try:
        return inbox.get(timeout=TIMEOUT)
    except queue.Empty:
        fail("timeout waiting for message: " + what)

def payload():
    # The first half compresses well, so the reference's writer sends it as
    # bz2 chunks; the second half is random and goes uncompressed.
    rep = (b"mehr <-> reticulum channel buffer interop. " * 3000)[:100 * 1024]
    return rep + os.urandom(100 * 1024)

def write_all(ch, buf, data):
    step = 16 * 1024
    for i in range(0, len(data), step):
        wait_for(ch.is_ready_to_send, "channel window")
        buf.write(data[i:i + step])
        buf.flush()

def read_all(buf, what):
    got = bytearray()
    deadline = time.time() + TIMEOUT
    while True:
        d = buf.read(65536)
        if d is None:
            if time.time() > deadline:
                fail("timeout reading " + what + " after %d bytes" % len(got))
            time.sleep(0.005)
            continue
        if len(d) == 0:
            return bytes(got)
        got.extend(d)

def close_buffer(ch, buf):
    # Wait for window space so the EOF message is not refused (the reference's
    # RawChannelWriter.close gives up silently after rtt*len(tx_ring)).
    wait_for(ch.is_ready_to_send, "channel window before EOF")
    buf.close()

def setup_channel(link, rx_stream, tx_stream):
    ch = link.get_channel()
    ch.register_message_type(TextMsg)
    inbox = queue.Queue()
    def on_msg(m):
        if isinstance(m, TextMsg):
            inbox.put(m.text)
            return True
        return False
    ch.add_message_handler(on_msg)
    buf = RNS.Buffer.create_bidirectional_buffer(rx_stream, tx_stream, ch, None)
    return ch, inbox, buf

REQ = ["ping", 42, b"\x00\x01mehr"]

reticulum = RNS.Reticulum(configdir=CONFIG, loglevel=RNS.LOG_WARNING)

if MODE == "initiate":
    dh = bytes.fromhex(ARG)
    deadline = time.time() + TIMEOUT
    while not RNS.Transport.has_path(dh):
        if time.time() > deadline:
            fail("no path to " + ARG)
        RNS.Transport.request_path(dh)
        t = time.time() + 1
        while time.time() < t and not RNS.Transport.has_path(dh):
            time.sleep(0.02)
    out("PATH", ARG, "hops", RNS.Transport.hops_to(dh))
    ident = RNS.Identity.recall(dh)
    d = RNS.Destination(ident, RNS.Destination.OUT, RNS.Destination.SINGLE, "mehrlive", "go")
    link = RNS.Link(d)
    wait_for(lambda: link.status == RNS.Link.ACTIVE, "link")
    ch, inbox, buf = setup_channel(link, 1, 0)
    out("LINK", link.link_id.hex(), "mtu", link.mtu, "mdu", link.mdu, "channel_mdu", ch.mdu)
    me = RNS.Identity()
    link.identify(me)
    out("IDENTITY", me.hash.hex())

    # (a) 20 messages to Go, 20 echoes back.
    for i in range(20):
        send_text(ch, "msg %02d from python" % i)
    for i in range(20):
        t = get_text(inbox, "echo %d" % i)
        want = "echo:msg %02d from python" % i
        if t != want:
            fail("echo %d: got %r, want %r" % (i, t, want))
    out("OK", "echo", 20)

    # (b) 200 KB to Go on stream 0, 200 KB from Go on stream 1.
    data = payload()
    out("HASH0", hashlib.sha256(data).hexdigest(), len(data))
    t = get_text(inbox, "stream 1 hash")
    if not t.startswith("sha256:"):
        fail("expected the stream 1 hash, got %r" % t)
    want1 = t[len("sha256:"):]
    write_all(ch, buf, data)
    got = read_all(buf, "stream 1")
    h1 = hashlib.sha256(got).hexdigest()
    if h1 != want1:
        fail("stream 1: %d bytes sha256 %s, Go sent %s" % (len(got), h1, want1))
    out("OK", "stream1", len(got), h1)
    close_buffer(ch, buf)

    # (c) a request to Go's /echo.
    res = {}
    def on_resp(r):
        res["resp"] = r.response
    def on_fail(r):
        res["failed"] = True
    link.request("/echo", data=REQ, response_callback=on_resp, failed_callback=on_fail, timeout=30)
    wait_for(lambda: res, "response")
    if "failed" in res:
        fail("request failed")
    if res["resp"] != REQ:
        fail("response %r, want %r" % (res["resp"], REQ))
    out("OK", "request", repr(res["resp"]))

    wait_for(lambda: link.status == RNS.Link.CLOSED, "Go to close the link")
    out("DONE")
    os._exit(0)

elif MODE == "listen":
    ident = RNS.Identity()
    d = RNS.Destination(ident, RNS.Destination.IN, RNS.Destination.SINGLE, "mehrlive", "py")
    def gen(path, data, request_id, link_id, remote_identity, requested_at):
        out("REQUEST", path, repr(data), "from", remote_identity.hash.hex() if remote_identity else None)
        return data
    d.register_request_handler("/echo", response_generator=gen, allow=RNS.Destination.ALLOW_ALL)
    links = queue.Queue()
    closed = []
    def established(link):
        ch, inbox, buf = setup_channel(link, 0, 1)
        link.set_remote_identified_callback(lambda l, who: out("IDENTIFIED", who.hash.hex()))
        link.set_link_closed_callback(lambda l: closed.append(True))
        links.put((link, ch, inbox, buf))
    d.set_link_established_callback(established)
    out("DEST", d.hash.hex())
    deadline = time.time() + TIMEOUT
    while True:
        d.announce()
        try:
            link, ch, inbox, buf = links.get(timeout=1)
            break
        except queue.Empty:
            if time.time() > deadline:
                fail("no link")
    out("LINK", link.link_id.hex(), "mtu", link.mtu, "mdu", link.mdu, "channel_mdu", ch.mdu)

    # (a) echo 20 messages from Go.
    for i in range(20):
        t = get_text(inbox, "message %d" % i)
        want = "msg %02d from go" % i
        if t != want:
            fail("message %d: got %r, want %r" % (i, t, want))
        send_text(ch, "echo:" + t)
    out("OK", "echoed", 20)

    # (b) 200 KB from Go on stream 0, then 200 KB back on stream 1.
    t = get_text(inbox, "stream 0 hash")
    if not t.startswith("sha256:"):
        fail("expected the stream 0 hash, got %r" % t)
    want0 = t[len("sha256:"):]
    got = read_all(buf, "stream 0")
    h0 = hashlib.sha256(got).hexdigest()
    if h0 != want0:
        fail("stream 0: %d bytes sha256 %s, Go sent %s" % (len(got), h0, want0))
    out("OK", "stream0", len(got), h0)
    data = payload()
    h1 = hashlib.sha256(data).hexdigest()
    out("HASH1", h1, len(data))
    send_text(ch, "sha256:" + h1)
    write_all(ch, buf, data)
    close_buffer(ch, buf)

    # (c) the request arrives at gen; Go closes the link when it is done.
    wait_for(lambda: closed, "Go to close the link")
    out("DONE")
    os._exit(0)
else:
    fail("unknown mode " + MODE)
`
