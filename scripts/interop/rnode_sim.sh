#!/usr/bin/env bash
# Live interop over simulated RNode radios: mehr-rnode-sim runs two radios
# on one simulated LoRa channel (SF7, 500 kHz); the Python
# reference's RNodeInterface uses one, mehr's RNode driver (in
# TestLiveReferenceRNode, interfaces/rnode) the other. The reference and a
# Go node exchange announces, the Go node opens a link to the reference's
# destination and gets its packet echoed; then the reference links to the
# Go node and gets its packet echoed.
# Usage: scripts/interop/rnode_sim.sh /path/to/Reticulum [PYTHON]
# PYTHON needs pyserial; Debian's /usr/bin/python3 (the default) gets it
# with apt-get install python3-serial python3-cryptography.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
python=${2:-/usr/bin/python3}
if ! "$python" -c 'import serial' 2>/dev/null; then
	echo "rnode_sim: $python has no pyserial (apt-get install python3-serial)" >&2
	exit 2
fi
interop_build mehr-rnode-sim
"$work/mehr-rnode-sim" -n 2 -link "$work/rnode" > "$work/sim.out" 2> "$work/sim.log" & pids+=($!)
for _ in $(seq 50); do [ -e "$work/rnode1" ] && break; sleep 0.1; done
[ -e "$work/rnode1" ] || { echo "rnode_sim: simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }
cat "$work/sim.out"
log="$work/test.log"
status=0
(cd "$repo" && MEHR_RETICULUM_REF=$ref MEHR_RNODE_PYTHON=$python MEHR_RNODE_PORTS="$work/rnode0,$work/rnode1" \
	go test -count=1 -run TestLiveReferenceRNode -v ./interfaces/rnode/) 2>&1 | grep -v 'radio.go:\|session.go:3' | tee "$log" || status=$?
if [ "$status" -eq 0 ] && grep -q -- '--- PASS: TestLiveReferenceRNode' "$log"; then
	echo "rnode_sim: PASS (reference $ref, $("$python" --version 2>&1))"
else
	echo "rnode_sim: FAIL"
	exit 1
fi
