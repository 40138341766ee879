#!/usr/bin/env bash
# Live interop of Mehr routing announces through a Python transport node:
# mehrd A and mehrd C, each with [mehr] routing = true, are TCP clients of
# a Python rnsd with transport enabled, and nothing else joins them. Each
# mehrd announces its Mehr destination (mehr.node) with the 0x4E
# extension in signed app_data. The script checks that
#   - rnsd accepted and stored both announces (Python rnpath, through
#     rnsd's shared instance, finds a path to each: the signature held at
#     the Python hop);
#   - each far mehrd received the other's announce after the Python relay
#     (the signature held there too) and its Mehr table picks a path to it:
#     2 hops via rnsd, with the Python segment priced as unknown.
# Usage: scripts/interop/mehr_route.sh /path/to/Reticulum
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
interop_build mehrd mehr
port=$(freeport tcp)
P="$work/cfg-rnsd" A="$work/cfg-a" C="$work/cfg-c"
mkdir -p "$P" "$A" "$C"
printf '[reticulum]\n  enable_transport = Yes\n  share_instance = Yes\n  instance_name = mehr-route-%s\n[logging]\n  loglevel = 4\n[interfaces]\n  [[TCP Server]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = %s\n' "$$" "$port" > "$P/config"
for d in "$A" "$C"; do
	printf '[reticulum]\nshare_instance = false\n[mehr]\nrouting = true\nannounce_interval = 10\n[[interfaces]]\nname = "To rnsd"\ntype = "TCPClientInterface"\nenabled = true\ntarget_host = "127.0.0.1"\ntarget_port = %s\n' "$port" > "$d/config.toml"
done
python3 -u -m RNS.Utilities.rnsd --config "$P" > "$work/rnsd.log" 2>&1 & pids+=($!)
for _ in $(seq 150); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
"$work/mehrd" --config "$A" > "$work/a.log" 2>&1 & pids+=($!)
"$work/mehrd" --config "$C" > "$work/c.log" 2>&1 & pids+=($!)

self() { # DIR: the node's own Mehr destination
	local h=""
	for _ in $(seq 100); do
		h=$("$work/mehr" route --config "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["self"])' 2>/dev/null) && [ -n "$h" ] && break
		sleep 0.2
	done
	echo "$h"
}
ha=$(self "$A") hc=$(self "$C")
[ -n "$ha" ] && [ -n "$hc" ] || { echo "mehr_route: mehrd did not start routing" >&2; tail "$work"/*.log >&2; exit 1; }
echo "mehrd A announces <$ha>, mehrd C announces <$hc>; rnsd relays on :$port"

failed=0
for h in "$ha" "$hc"; do
	if out=$(timeout 30 python3 -m RNS.Utilities.rnpath --config "$P" -w 20 "$h" 2>&1) && echo "$out" | grep -q "Path found"; then
		echo "  ok    rnsd (Python) has a path to <$h>: $(echo "$out" | grep -o 'Path found.*' | tail -1)"
	else
		echo "  FAIL  rnsd has no path to <$h>: $out"; failed=1
	fi
done
check() { # FROM-DIR FROM-NAME TO-HASH
	local out=""
	for _ in $(seq 150); do
		out=$("$work/mehr" route --config "$1" "$3" 2>&1) && break
		sleep 0.2
	done
	if echo "$out" | grep -q "2 hops via" && echo "$out" | grep -q "priced as unknown"; then
		echo "  ok    mehrd $2 picks a path:$(echo "$out" | grep -o ' <'"$3"'>.*')"
	else
		echo "  FAIL  mehrd $2 has no Mehr route to <$3>: $out"; failed=1
	fi
}
check "$C" C "$ha"
check "$A" A "$hc"
if [ "$failed" = 1 ]; then
	for f in rnsd a c; do echo "== $f.log"; tail -n 20 "$work/$f.log"; done
	echo "mehr_route: FAIL"; exit 1
fi
echo "mehr_route: PASS (reference $ref)"
