#!/usr/bin/env bash
# Live interop between mehrd and the Python reference's rnsd over TCP on
# loopback, in both roles (mehrd as server and as client), and over UDP:
#   - mehr path finds a destination announced by a Python program,
#   - Python rnpath finds mehrd's probe destination,
#   - Python rnprobe probes mehrd and gets every reply,
#   - mehr probe probes rnsd and gets every reply.
# Usage: scripts/interop/rnsd_tcp.sh /path/to/Reticulum [PROBES]
# Only 127.0.0.1 is used; everything runs from a temporary directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
probes=${2:-10}
interop_build mehrd mehr
freeudp() { freeport udp; }

scenario() { # $1 = mehr-server | mehr-client | udp
	local role=$1 port; port=$(freeport)
	local M="$work/$role/mehr" P="$work/$role/py"
	mkdir -p "$M" "$P"
	local mif pif
	if [ "$role" = udp ]; then
		local up; up=$(freeudp); port=$(freeudp)
		mif=$'[[interfaces]]\nname = "UDP"\ntype = "UDPInterface"\nenabled = true\nlisten_ip = "127.0.0.1"\nlisten_port = '"$port"$'\nforward_ip = "127.0.0.1"\nforward_port = '"$up"
		pif=$'  [[mehrd UDP]]\n    type = UDPInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = '"$up"$'\n    forward_ip = 127.0.0.1\n    forward_port = '"$port"
	elif [ "$role" = mehr-server ]; then
		mif=$'[[interfaces]]\nname = "TCP Server"\ntype = "TCPServerInterface"\nenabled = true\nlisten_ip = "127.0.0.1"\nlisten_port = '"$port"
		pif=$'  [[To mehrd]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = '"$port"
	else
		mif=$'[[interfaces]]\nname = "To rnsd"\ntype = "TCPClientInterface"\nenabled = true\ntarget_host = "127.0.0.1"\ntarget_port = '"$port"
		pif=$'  [[For mehrd]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = '"$port"
	fi
	cat > "$M/config.toml" <<CFG
[reticulum]
enable_transport = true
share_instance = true
instance_name = "mehr-interop-$$-$role"
respond_to_probes = true
[logging]
loglevel = 4
$mif
CFG
	cat > "$P/config" <<CFG
[reticulum]
  enable_transport = Yes
  share_instance = Yes
  instance_name = py-interop-$$-$role
  respond_to_probes = Yes
[logging]
  loglevel = 3
[interfaces]
$pif
CFG
	"$work/mehrd" --config "$M" > "$work/$role.mehrd.log" 2>&1 & pids+=($!)
	python3 -m RNS.Utilities.rnsd --config "$P" > "$work/$role.rnsd.log" 2>&1 & pids+=($!)
	sleep 3
	# A Python program attached to rnsd's shared instance announces a destination.
	python3 - "$P" "$work/$role.pydest" <<'PY' > "$work/$role.app.log" 2>&1 & pids+=($!)
import sys, time, RNS
r = RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
assert r.is_connected_to_shared_instance, "not attached to rnsd"
ident = RNS.Identity()
d = RNS.Destination(ident, RNS.Destination.IN, RNS.Destination.SINGLE, "mehrinterop", "python")
open(sys.argv[2], "w").write(d.hash.hex())
for _ in range(120):
    d.announce(app_data=b"from python")
    time.sleep(5)
PY
	for _ in $(seq 50); do [ -s "$work/$role.pydest" ] && break; sleep 0.2; done
	local pyhash; pyhash=$(cat "$work/$role.pydest")

	echo "== $role: mehr path to the Python destination <$pyhash>"
	"$work/mehr" path --config "$M" -w 30 "$pyhash"

	local mprobe pprobe
	mprobe=$("$work/mehr" status --config "$M" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["probe_responder"])')
	echo "== $role: Python rnpath to mehrd's probe destination <$mprobe>"
	python3 -m RNS.Utilities.rnpath --config "$P" -w 30 "$mprobe"

	echo "== $role: Python rnprobe -> mehrd ($probes probes)"
	python3 -m RNS.Utilities.rnprobe --config "$P" -n "$probes" -t 10 rnstransport.probe "$mprobe" | tail -1

	# rnsd's probe destination is rnstransport.probe of its transport identity.
	pprobe=$(python3 -c 'import sys,RNS; i=RNS.Identity.from_file(sys.argv[1]); print(RNS.Destination.hash(i,"rnstransport","probe").hex())' "$P/storage/transport_identity")
	echo "== $role: mehr probe -> rnsd <$pprobe> ($probes probes)"
	"$work/mehr" probe --config "$M" -n "$probes" -t 10 rnstransport.probe "$pprobe" | tail -1

	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
}

scenario mehr-server
scenario mehr-client
scenario udp
echo "rnsd TCP and UDP interop: ok"
