#!/usr/bin/env bash
# mehrd as a drop-in for rnsd: rnsd runs in a config directory written in
# the reference's format (TCP server and UDP interfaces, shared instance,
# transport) and learns a destination from a Python peer; then mehrd runs
# with --config on the same directory, unchanged. It must read the
# Reticulum config, open the same interfaces, keep rnsd's transport
# identity and know the destination rnsd learned.
# Usage: scripts/interop/rnsd_dir.sh /path/to/Reticulum
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
interop_build mehrd mehr
port() { freeport "$1"; }
tp=$(port tcp); u1=$(port udp); u2=$(port udp)
D="$work/reticulum"; mkdir -p "$D" "$work/peer"
cat > "$D/config" <<CFG
[reticulum]
  enable_transport = Yes
  share_instance = Yes
  instance_name = rnsd-dir-$$
[logging]
  loglevel = 3
[interfaces]
  [[Public TCP]]
    type = TCPServerInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = $tp
  [[Local UDP]]
    type = UDPInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = $u1
    forward_ip = 127.0.0.1
    forward_port = $u2
CFG
printf '[reticulum]\n  share_instance = No\n[logging]\n  loglevel = 2\n[interfaces]\n  [[node]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = %s\n' "$tp" > "$work/peer/config"

python3 -m RNS.Utilities.rnsd --config "$D" > "$work/rnsd.log" 2>&1 & rnsd=$!; pids+=($rnsd)
sleep 2
python3 - "$work/peer" "$work/peer.hash" <<'PY' > "$work/peer.log" 2>&1 & pids+=($!)
import sys, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrinterop", "dir")
open(sys.argv[2], "w").write(d.hash.hex())
for _ in range(60):
    d.announce(app_data=b"remember me"); time.sleep(1)
PY
for _ in $(seq 50); do [ -s "$work/peer.hash" ] && break; sleep 0.2; done
sleep 4
kill -INT "$rnsd"; wait "$rnsd" 2>/dev/null || true
rnsd_id=$(python3 -c 'import sys,RNS; print(RNS.Identity.from_file(sys.argv[1]).hash.hex())' "$D/storage/transport_identity")
known=$(python3 -c 'import sys,RNS.vendor.umsgpack as m; print(" ".join(k.hex() for k in m.unpackb(open(sys.argv[1],"rb").read())))' "$D/storage/known_destinations")
peer=$(cat "$work/peer.hash")
echo "rnsd: transport identity <$rnsd_id>; known destinations saved: $known"
case " $known " in *" $peer "*) ;; *) echo "rnsd did not save the peer's destination" >&2; exit 1;; esac

"$work/mehrd" --config "$D" > "$work/mehrd.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do "$work/mehr" status --config "$D" --json > "$work/status.json" 2>/dev/null && break; sleep 0.2; done
head -2 "$work/mehrd.log"
python3 - "$work/status.json" "$rnsd_id" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
names = [i["name"] for i in st["interfaces"]]
print("mehrd: transport ID", st["transport_id"], "interfaces", names, "known destinations", st["known_destinations"])
assert st["transport_id"] == sys.argv[2], "mehrd did not keep rnsd's transport identity"
assert "Local UDP" in names, "UDP interface missing"
assert st["known_destinations"] >= 1, "known destinations not loaded"
PY
# The TCP server must accept the Python peer again (it reconnects).
for _ in $(seq 100); do n=$("$work/mehr" status --config "$D" --json | python3 -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin)["interfaces"] if i["name"].startswith("Client on Public TCP")))'); [ "$n" -ge 1 ] && break; sleep 0.2; done
echo "mehrd: the Python peer reconnected to the TCP server ($n client)"
"$work/mehr" path --config "$D" -w 15 "$peer"
echo "rnsd directory interop: ok"
