#!/usr/bin/env bash
# Live check: a Python program attached to mehrd as its shared instance
# (share_instance = Yes, same instance_name) reaches a destination on a
# remote Python node connected to mehrd over loopback TCP, and its own
# announce reaches that node.
# Usage: scripts/interop/shared_instance.sh /path/to/Reticulum
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
interop_build mehrd
port=$(freeport tcp)
inst="mehr-shared-$$"
# The RPC side channel authenticates with rpc_key; programs that do not
# share mehrd's storage directory need the same key configured.
key=$(python3 -c 'import os; print(os.urandom(32).hex())')
mkdir -p "$work/mehr" "$work/app" "$work/remote"
cat > "$work/mehr/config.toml" <<CFG
[reticulum]
enable_transport = false
share_instance = true
instance_name = "$inst"
rpc_key = "$key"
[[interfaces]]
name = "TCP Server"
type = "TCPServerInterface"
enabled = true
listen_ip = "127.0.0.1"
listen_port = $port
CFG
printf '[reticulum]\n  share_instance = Yes\n  instance_name = %s\n  rpc_key = %s\n[logging]\n  loglevel = 2\n[interfaces]\n' "$inst" "$key" > "$work/app/config"
printf '[reticulum]\n  share_instance = No\n[logging]\n  loglevel = 2\n[interfaces]\n  [[mehrd]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = %s\n' "$port" > "$work/remote/config"

"$work/mehrd" --config "$work/mehr" > "$work/mehrd.log" 2>&1 & pids+=($!)
sleep 1

# The remote node: a destination that proves packets, and a handler that
# records announces of the attached program's destination.
python3 - "$work/remote" "$work/remote.hash" "$work/seen" <<'PY' > "$work/remote.log" 2>&1 & pids+=($!)
import sys, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrinterop", "remote")
d.set_proof_strategy(RNS.Destination.PROVE_ALL)
d.set_packet_callback(lambda data, packet: print("remote got", data, flush=True))
class H:
    aspect_filter = "mehrinterop.attached"
    def received_announce(self, destination_hash, announced_identity, app_data):
        open(sys.argv[3], "w").write(destination_hash.hex())
RNS.Transport.register_announce_handler(H())
open(sys.argv[2], "w").write(d.hash.hex())
for _ in range(60):
    d.announce()
    time.sleep(2)
PY
for _ in $(seq 50); do [ -s "$work/remote.hash" ] && break; sleep 0.2; done

python3 - "$work/app" "$(cat "$work/remote.hash")" "$work/seen" <<'PY'
import sys, time, os, RNS
r = RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
assert r.is_connected_to_shared_instance, "the program did not attach to mehrd"
print("app: attached to mehrd as its shared instance")
h = bytes.fromhex(sys.argv[2])
if not RNS.Transport.has_path(h): RNS.Transport.request_path(h)
t = time.time() + 30
while not RNS.Transport.has_path(h) and time.time() < t: time.sleep(0.1)
assert RNS.Transport.has_path(h), "no path to the remote destination"
print(f"app: path to the remote destination, {RNS.Transport.hops_to(h)} hop(s)")
dest = RNS.Destination(RNS.Identity.recall(h), RNS.Destination.OUT, RNS.Destination.SINGLE, "mehrinterop", "remote")
ok = 0
for i in range(10):
    rc = RNS.Packet(dest, f"hello {i}".encode()).send()
    rc.set_timeout(10)
    t = time.time() + 10
    while rc.status == RNS.PacketReceipt.SENT and time.time() < t: time.sleep(0.05)
    ok += rc.status == RNS.PacketReceipt.DELIVERED
print(f"app: 10 packets sent, {ok} proved by the remote node")
mine = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrinterop", "attached")
mine.announce()
t = time.time() + 20
while time.time() < t and not (os.path.exists(sys.argv[3]) and open(sys.argv[3]).read() == mine.hash.hex()): time.sleep(0.1)
seen = os.path.exists(sys.argv[3]) and open(sys.argv[3]).read() == mine.hash.hex()
print(f"app: announce of {mine.hash.hex()} reached the remote node: {seen}")
sys.exit(0 if ok == 10 and seen else 1)
PY
echo "== Python rnstatus and rnpath -t against mehrd as the shared instance"
python3 -m RNS.Utilities.rnstatus --config "$work/app" > "$work/rnstatus.txt"; head -12 "$work/rnstatus.txt"
python3 -m RNS.Utilities.rnpath --config "$work/app" -t
echo "shared instance interop: ok"
