#!/usr/bin/env bash
# Live interop of mehrd's RNode plugin with the Python reference's
# RNodeInterface over simulated radios: mehr-rnode-sim runs two radios on
# one simulated LoRa channel (868 MHz, SF7, 500 kHz, CR 4/5). rnsd uses the
# first with an RNodeInterface section; mehrd uses the second with the same
# section, whose driver runs in mehr-plugin-rnode. Each daemon is a shared
# instance with a file-transfer listener attached (rncp -l to rnsd, mehr
# cp -l to mehrd). They must hear each other's announces and carry links
# both ways: rncp sends a file to mehr cp -l, and mehr cp sends one to
# rncp -l, each arriving with the same SHA-256.
# Usage: scripts/interop/rnode_mehrd.sh /path/to/Reticulum [PYTHON] [SIZE]
# PYTHON needs pyserial (the reference's RNodeInterface imports it);
# Debian's /usr/bin/python3 (the default) gets it with apt-get install
# python3-serial python3-cryptography. SIZE defaults to 2048 bytes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
python=${2:-/usr/bin/python3}
size=${3:-2048}
if ! "$python" -c 'import serial, cryptography' 2>/dev/null; then
	echo "rnode_mehrd: $python lacks pyserial or cryptography (apt-get install python3-serial python3-cryptography)" >&2
	exit 2
fi
interop_build mehrd mehr mehr-rnode-sim
"$work/mehr-rnode-sim" -n 2 -link "$work/rnode" > "$work/sim.out" 2> "$work/sim.log" & pids+=($!)
for _ in $(seq 50); do [ -e "$work/rnode1" ] && break; sleep 0.1; done
[ -e "$work/rnode1" ] || { echo "rnode_mehrd: simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }

radio='frequency = 868000000\nbandwidth = 500000\ntxpower = 14\nspreadingfactor = 7\ncodingrate = 5\n'
M="$work/cfg-mehrd" P="$work/cfg-rnsd"
mkdir -p "$M" "$P"
printf '[reticulum]\nenable_transport = true\nshare_instance = true\ninstance_name = "rnode-mehrd-%s"\n[[interfaces]]\nname = "LoRa"\ntype = "RNodeInterface"\nenabled = true\nport = "%s"\n'"$radio" \
	"$$" "$work/rnode1" > "$M/config.toml"
printf '[reticulum]\n  share_instance = Yes\n  instance_name = rnode-py-%s\n[logging]\n  loglevel = 4\n[interfaces]\n  [[LoRa]]\n    type = RNodeInterface\n    enabled = yes\n    port = %s\n'"$(printf "$radio" | sed 's/^/    /')"'\n' \
	"$$" "$work/rnode0" > "$P/config"

"$work/mehrd" --config "$M" > "$work/mehrd.log" 2>&1 & pids+=($!)
"$python" -u -m RNS.Utilities.rnsd --config "$P" > "$work/rnsd.log" 2>&1 & pids+=($!)
# Both drivers detect and configure their radios (the reference sleeps
# a few seconds for that); then the listeners attach and announce.
for _ in $(seq 150); do
	grep -q "runs in plugin" "$work/mehrd.log" && grep -qi "rnode.*\(configured\|is online\|online\)" "$work/rnsd.log" && break
	sleep 0.2
done
sleep 3
mkdir -p "$work/into-mehr" "$work/into-py"
"$work/mehr" cp --config "$M" -l -n -b 10 -s "$work/into-mehr" > "$work/mehr-listen.log" 2>&1 & pids+=($!)
"$python" -u -m RNS.Utilities.rncp --config "$P" -v -l -n -b 10 -s "$work/into-py" > "$work/py-listen.log" 2>&1 & pids+=($!)
mh="" ph=""
for _ in $(seq 150); do
	mh=$(sed -n 's/^mehr cp listening on <\(.*\)>/\1/p' "$work/mehr-listen.log")
	ph=$(sed -n 's/.*rncp listening on <\(.*\)>.*/\1/p' "$work/py-listen.log")
	[ -n "$mh" ] && [ -n "$ph" ] && break
	sleep 0.2
done
if [ -z "$mh" ] || [ -z "$ph" ]; then
	echo "rnode_mehrd: listeners did not start" >&2
	tail -n 20 "$work"/*.log >&2
	exit 1
fi
echo "mehr cp listening on <$mh> (mehrd, RNode plugin on $(readlink "$work/rnode1"))"
echo "rncp listening on <$ph> (rnsd, RNodeInterface on $(readlink "$work/rnode0"))"

head -c "$size" /dev/urandom > "$work/file.bin"
sum=$(sha256sum < "$work/file.bin")
failed=0
check() { # COPY DIRECTION SECONDS
	if [ -f "$1" ] && [ "$(sha256sum < "$1")" = "$sum" ]; then
		echo "  ok    $2: $size B in $3 s, SHA-256 equal"
	else
		echo "  FAIL  $2 (see the logs below)"
		failed=1
	fi
}
t0=$SECONDS
timeout 180 "$python" -u -m RNS.Utilities.rncp --config "$P" -w 60 "$work/file.bin" "$mh" > "$work/send-py.log" 2>&1 || true
sleep 1
check "$work/into-mehr/file.bin" "rncp -> RNodeInterface ~ LoRa ~ mehr-plugin-rnode -> mehr cp -l" $((SECONDS - t0))
t0=$SECONDS
timeout 180 "$work/mehr" cp --config "$M" -S -w 60 "$work/file.bin" "$ph" > "$work/send-mehr.log" 2>&1 || true
sleep 1
check "$work/into-py/file.bin" "mehr cp -> mehr-plugin-rnode ~ LoRa ~ RNodeInterface -> rncp -l" $((SECONDS - t0))
echo "== mehr path (mehrd's path table)"
"$work/mehr" path --config "$M" 2>&1 | head -n 10 || true
if [ "$failed" = 1 ]; then
	for f in mehrd rnsd send-py send-mehr mehr-listen py-listen; do echo "== $f.log"; tail -n 25 "$work/$f.log"; done
	echo "rnode_mehrd: FAIL"
	exit 1
fi
echo "rnode_mehrd: PASS (reference $ref, $("$python" --version 2>&1))"
