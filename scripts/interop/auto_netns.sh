#!/usr/bin/env bash
# Live check over AutoInterface between network namespaces (root only):
#
#   ns A (Python) ==veth== ns M (mehrd, transport) ==veth== ns B (Python)
#
# Everything discovers peers by IPv6 link-local multicast on the veth
# links only. A Python node in A finds a destination of a Python node in
# B through mehrd, opens a link and sends PACKETS packets that B proves;
# mehr path in M finds B's destination, Python rnpath in A finds mehrd's
# probe destination and rnprobe in A gets every probe reply from mehrd.
# Usage: sudo scripts/interop/auto_netns.sh /path/to/Reticulum [PACKETS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root for network namespaces" >&2; exit 2; }
interop_init "${1:-}"
count=${2:-100}
tag="mi$$"
nsa="$tag-a" nsm="$tag-m" nsb="$tag-b"
interop_cleanup_extra() { for n in "$nsa" "$nsm" "$nsb"; do ip netns del "$n" 2>/dev/null || true; done; }
interop_build mehrd mehr

for n in "$nsa" "$nsm" "$nsb"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add "$tag-am" netns "$nsa" type veth peer name "$tag-ma" netns "$nsm"
ip link add "$tag-bm" netns "$nsb" type veth peer name "$tag-mb" netns "$nsm"
for pair in "$nsa:$tag-am" "$nsm:$tag-ma" "$nsm:$tag-mb" "$nsb:$tag-bm"; do
	ip -n "${pair%%:*}" link set "${pair#*:}" up
done
sleep 2 # IPv6 link-local addresses need DAD to finish

mkdir -p "$work/m" "$work/a" "$work/b"
cat > "$work/m/config.toml" <<CFG
[reticulum]
enable_transport = true
share_instance = true
instance_name = "$tag"
respond_to_probes = true
[[interfaces]]
name = "Auto"
type = "AutoInterface"
enabled = true
CFG
for n in a b; do
	printf '[reticulum]\n  share_instance = No\n[logging]\n  loglevel = 2\n[interfaces]\n  [[Auto]]\n    type = AutoInterface\n    enabled = yes\n' > "$work/$n/config"
done

ip netns exec "$nsm" "$work/mehrd" --config "$work/m" > "$work/mehrd.log" 2>&1 & pids+=($!)
ip netns exec "$nsb" python3 - "$work/b" "$work/b.hash" <<'PY' > "$work/b.log" 2>&1 & pids+=($!)
import sys, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrinterop", "auto")
d.set_proof_strategy(RNS.Destination.PROVE_ALL)
d.set_link_established_callback(lambda l: None)
open(sys.argv[2], "w").write(d.hash.hex())
for _ in range(90):
    d.announce()
    time.sleep(2)
PY
for _ in $(seq 100); do [ -s "$work/b.hash" ] && break; sleep 0.2; done
bhash=$(cat "$work/b.hash")
sleep 5

echo "== mehr path (in M) to B's destination <$bhash>"
ip netns exec "$nsm" "$work/mehr" path --config "$work/m" -w 40 "$bhash"

mprobe=$(ip netns exec "$nsm" "$work/mehr" status --config "$work/m" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["probe_responder"])')
echo "== Python in A: path, link through mehrd to B, $count packets; rnpath and rnprobe to mehrd <$mprobe>"
ip netns exec "$nsa" python3 - "$work/a" "$bhash" "$count" "$mprobe" <<'PY'
import sys, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
h = bytes.fromhex(sys.argv[2]); n = int(sys.argv[3]); probe = bytes.fromhex(sys.argv[4])
def path(h):
    if not RNS.Transport.has_path(h): RNS.Transport.request_path(h)
    t = time.time() + 40
    while not RNS.Transport.has_path(h) and time.time() < t: time.sleep(0.1)
    assert RNS.Transport.has_path(h), f"no path to {h.hex()}"
path(h)
print(f"A: path to B is {RNS.Transport.hops_to(h)} hops")
link = RNS.Link(RNS.Destination(RNS.Identity.recall(h), RNS.Destination.OUT, RNS.Destination.SINGLE, "mehrinterop", "auto"))
t = time.time() + 30
while link.status != RNS.Link.ACTIVE and time.time() < t: time.sleep(0.05)
assert link.status == RNS.Link.ACTIVE, "link not established"
# Receipt timeouts are 6 RTTs (about 11 ms here), so a thread switch on a
# busy machine can fail a receipt before its proof arrives; allow seconds.
link.traffic_timeout_factor = 5000
rs = []
for i in range(n):
    r = RNS.Packet(link, f"packet {i}".encode()).send(); r.set_timeout(10); rs.append(r); time.sleep(0.01)
t = time.time() + 30
while any(r.status == RNS.PacketReceipt.SENT for r in rs) and time.time() < t: time.sleep(0.05)
ok = sum(r.status == RNS.PacketReceipt.DELIVERED for r in rs)
print(f"A: link through mehrd, sent {n}, proved {ok}")
path(probe)
print(f"A: path to mehrd's probe responder, {RNS.Transport.hops_to(probe)} hop(s)")
pd = RNS.Destination(RNS.Identity.recall(probe), RNS.Destination.OUT, RNS.Destination.SINGLE, "rnstransport", "probe")
pr = 0
for i in range(10):
    r = RNS.Packet(pd, bytes(16)).send(); r.set_timeout(10)
    t = time.time() + 10
    while r.status == RNS.PacketReceipt.SENT and time.time() < t: time.sleep(0.05)
    pr += r.status == RNS.PacketReceipt.DELIVERED
print(f"A: probes to mehrd, sent 10, replies {pr}")
sys.exit(0 if ok == n and pr == 10 else 1)
PY
ip netns exec "$nsm" "$work/mehr" status --config "$work/m" | sed -n 1,12p
echo "AutoInterface namespace interop: ok"
