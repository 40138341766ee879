#!/usr/bin/env bash
# Live identity interop with the Python reference, both directions:
#   1. Python rnid generates an identity file; our identity.Load reads it
#      unchanged, and our identity hash, destination hash and Ed25519
#      signature equal what Python computes from the same file.
#   2. We save an identity and build an announce; Python loads our file and
#      validates our announce.
# Usage: scripts/interop/identity.sh /path/to/Reticulum   (a 1.4.2 checkout)
# Touches nothing but a temporary directory; no network is used.
set -euo pipefail
ref=${1:?usage: $0 /path/to/Reticulum checkout}
[ -f "$ref/RNS/__init__.py" ] || { echo "no RNS package under $ref" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHONPATH="$ref"

mkdir "$work/cfg"
cat > "$work/cfg/config" <<'CFG'
[reticulum]
  enable_transport = False
  share_instance = No
[logging]
  loglevel = 2
[interfaces]
CFG

python3 -m RNS.Utilities.rnid --config "$work/cfg" -g "$work/id" >/dev/null
python3 - "$work" <<'PY'
import json, sys, RNS
work = sys.argv[1]
i = RNS.Identity.from_file(work + "/id")
json.dump({
    "identity_hash": i.hash.hex(),
    "public_key": i.get_public_key().hex(),
    "destination_hash": RNS.Destination.hash(i, "mehr", "interop").hex(),
    "message": b"mehr interop".hex(),
    "signature": i.sign(b"mehr interop").hex(),
}, open(work + "/expect.json", "w"))
PY

(cd "$repo" && MEHR_INTEROP_DIR="$work" go test -count=1 -run '^TestInteropPython$' -v ./rns/announce/ | grep -E '^(=== RUN|--- |\s+interop_test|ok|FAIL)')

python3 - "$work" <<'PY'
import sys, RNS
work = sys.argv[1]
i = RNS.Identity.from_file(work + "/go_id")
want = open(work + "/go_id.hash").read().strip()
assert i.hash.hex() == want, ("identity saved by Go loads with another hash", i.hash.hex(), want)
p = RNS.Packet(None, bytes.fromhex(open(work + "/go_announce.hex").read().strip()))
assert p.unpack(), "Python could not unpack our announce"
assert RNS.Identity.validate_announce(p), "Python rejected our announce"
print("python: loaded identity saved by Go:", want)
print("python: validated announce built by Go for", p.destination_hash.hex())
PY
echo "identity interop: ok"
