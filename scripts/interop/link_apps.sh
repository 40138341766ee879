#!/usr/bin/env bash
# Live check of the applications layered on links against the Python
# reference: channel messages, Buffer streams (200 KB each way, the
# reference's bz2-compressed chunks included) and requests, with Python as
# link initiator and with mehr as link initiator, over loopback TCP.
# Runs TestLivePython in rns/link/channel.
# Usage: scripts/interop/link_apps.sh /path/to/Reticulum
set -euo pipefail
ref=${1:?usage: $0 /path/to/Reticulum}
[ -d "$ref/RNS" ] || { echo "$ref: no RNS package there" >&2; exit 2; }
ref=$(cd "$ref" && pwd)
cd "$(dirname "$0")/../.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
MEHR_RETICULUM_REF=$ref go test -count=1 -run TestLivePython -v ./rns/link/channel/ 2>&1 | tee "$log" || status=$?
checks=$(grep -c 'check:' "$log" || true)
if [ "$status" -eq 0 ] && grep -q -- '--- PASS: TestLivePython' "$log"; then
	echo "link_apps: PASS ($checks checks, Python initiator and mehr initiator, reference $ref)"
else
	echo "link_apps: FAIL ($checks checks passed before the failure, see above)"
	exit 1
fi
