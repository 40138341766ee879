#!/usr/bin/env bash
# Python-to-Python link throughput of the reference on this machine, the
# baseline issue #4 measures mehr against: link packets per second (431-byte
# payloads, no receipts) and resource MB/s for random and compressible
# (all-zero) data, between two Reticulum instances joined by loopback TCP,
# directly or (--relay) through a third instance, an rnsd with transport
# enabled, that both connect to.
# Usage: scripts/bench/reference_link.sh /path/to/Reticulum [MB] [PACKETS] [--relay]
set -euo pipefail
source "$(dirname "$0")/../interop/lib.sh"
interop_init "${1:-}"
shift
relay=no
args=()
for a in "$@"; do
	if [ "$a" = --relay ]; then relay=yes; else args+=("$a"); fi
done
mb=${args[0]:-50}
packets=${args[1]:-20000}
port=$(freeport tcp)
mkdir -p "$work/a" "$work/b" "$work/r"
client_cfg() {
	printf '[reticulum]\n  share_instance = No\n[logging]\n  loglevel = 2\n[interfaces]\n  [[cli]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = %s\n' "$port"
}
server_cfg() { # $1: enable_transport
	printf '[reticulum]\n  share_instance = No\n  enable_transport = %s\n[logging]\n  loglevel = 2\n[interfaces]\n  [[srv]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = %s\n' "$1" "$port"
}
client_cfg > "$work/a/config"
if [ "$relay" = yes ]; then
	server_cfg Yes > "$work/r/config"
	client_cfg > "$work/b/config"
	python3 -m RNS.Utilities.rnsd --config "$work/r" > "$work/r.log" 2>&1 & pids+=($!)
	sleep 1.5
else
	server_cfg No > "$work/b/config"
fi
echo "topology: $([ "$relay" = yes ] && echo "A - rnsd relay - B" || echo "A - B")"

python3 - "$work/b" "$work/b.hash" <<'PY' > "$work/b.log" 2>&1 & pids+=($!)
import sys, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrbench", "link")
state = {"n": 0, "last": 0.0}
def packet(data, p):
    state["n"] += 1
    state["last"] = time.time()
def established(link):
    link.set_packet_callback(packet)
    link.set_resource_strategy(RNS.Link.ACCEPT_ALL)
    link.set_remote_identified_callback(lambda l, i: None)
    link.set_resource_concluded_callback(lambda r: print("resource", r.status, r.total_size, flush=True))
    def report(msg):
        print("B packets", state["n"], "last", repr(state["last"]), flush=True)
    link.set_link_closed_callback(report)
d.set_link_established_callback(established)
open(sys.argv[2], "w").write(d.hash.hex())
for _ in range(600):
    d.announce(); time.sleep(2)
PY
for _ in $(seq 50); do [ -s "$work/b.hash" ] && break; sleep 0.2; done

python3 - "$work/a" "$(cat "$work/b.hash")" "$mb" "$packets" <<'PY' | tee "$work/a.out"
import sys, os, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
h = bytes.fromhex(sys.argv[2]); mb = int(sys.argv[3]); n = int(sys.argv[4])
if not RNS.Transport.has_path(h): RNS.Transport.request_path(h)
t = time.time() + 30
while not RNS.Transport.has_path(h) and time.time() < t: time.sleep(0.05)
link = RNS.Link(RNS.Destination(RNS.Identity.recall(h), RNS.Destination.OUT, RNS.Destination.SINGLE, "mehrbench", "link"))
t = time.time() + 30
while link.status != RNS.Link.ACTIVE and time.time() < t: time.sleep(0.05)
assert link.status == RNS.Link.ACTIVE
print(f"python link: mtu {link.mtu}, mdu {link.mdu}")
payload = os.urandom(link.mdu if link.mdu < 431 else 431)
print("send_start", repr(time.time()), flush=True)
t0 = time.perf_counter()
for i in range(n):
    RNS.Packet(link, payload, create_receipt=False).send()
dt = time.perf_counter() - t0
print(f"python->python link packets: {n} x {len(payload)} B sent in {dt:.2f} s = {n/dt:.0f} packets/s ({n*len(payload)/dt/1e6:.1f} MB/s)")
for kind, data in (("random", os.urandom(mb*1000*1000)), ("compressible", bytes(mb*1000*1000))):
    for compress in (True, False):
        done = {}
        t0 = time.perf_counter()
        r = RNS.Resource(data, link, auto_compress=compress, callback=lambda r: done.setdefault("t", time.perf_counter()))
        while "t" not in done and time.perf_counter() - t0 < 600: time.sleep(0.01)
        ok = r.status == RNS.Resource.COMPLETE
        dt = done.get("t", time.perf_counter()) - t0
        print(f"python->python resource {kind} {mb} MB compression {'on' if compress else 'off'}: {'ok' if ok else 'FAILED'} {dt:.1f} s = {len(data)/dt/1e6:.1f} MB/s")
link.teardown()
PY
sleep 1
start=$(sed -n 's/^send_start //p' "$work/a.out")
line=$(grep "B packets" "$work/b.log" | tail -1)
python3 - "$start" $line <<'PY'
import sys
start, n, last = float(sys.argv[1]), int(sys.argv[4]), float(sys.argv[6])
print(f"python->python link packets delivered: {n} in {last-start:.2f} s = {n/(last-start):.0f} packets/s")
PY
