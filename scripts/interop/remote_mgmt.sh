#!/usr/bin/env bash
# Live check: the reference's remote management tools against mehrd.
# mehrd runs with enable_remote_management for one identity; a Python node
# connected to it over loopback TCP runs `rnstatus -R` and `rnpath -t -R`
# with that identity (both must show mehrd's interface and path table),
# then `rnstatus -R` with another identity (mehrd must not answer). A
# second Python node announces a destination first, so that mehrd's path
# table is not empty (rnpath reports an empty answer as a failure).
# Usage: scripts/interop/remote_mgmt.sh /path/to/Reticulum
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
interop_build mehrd

mkdir -p "$work/mehr" "$work/py" "$work/b"
python3 - "$work" <<'PY'
import sys, RNS
for name in ("admin", "stranger"):
    i = RNS.Identity()
    i.to_file(f"{sys.argv[1]}/{name}.id")
    open(f"{sys.argv[1]}/{name}.hash", "w").write(i.hash.hex())
PY
port=$(freeport tcp)
cat > "$work/mehr/config.toml" <<CFG
[reticulum]
enable_transport = true
share_instance = false
enable_remote_management = true
remote_management_allowed = ["$(cat "$work/admin.hash")"]
[[interfaces]]
name = "TCP Server"
type = "TCPServerInterface"
enabled = true
listen_ip = "127.0.0.1"
listen_port = $port
CFG
for n in py b; do
	printf '[reticulum]\n  enable_transport = No\n  share_instance = No\n[logging]\n  loglevel = 2\n[interfaces]\n  [[mehrd]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = %s\n' "$port" > "$work/$n/config"
done

"$work/mehrd" --config "$work/mehr" > "$work/mehrd.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do [ -s "$work/mehr/storage/transport_identity" ] && break; sleep 0.2; done
tid=$(python3 -c 'import sys, RNS; print(RNS.Identity.from_file(sys.argv[1]).hash.hex())' "$work/mehr/storage/transport_identity")
echo "mehrd transport identity: $tid"
python3 - "$work/b" "$work/b.hash" <<'PY' > "$work/b.log" 2>&1 & pids+=($!)
import sys, time, RNS
RNS.Reticulum(configdir=sys.argv[1], loglevel=2)
d = RNS.Destination(RNS.Identity(), RNS.Destination.IN, RNS.Destination.SINGLE, "mehrinterop", "mgmt")
time.sleep(1)
d.announce()
open(sys.argv[2], "w").write(d.hash.hex())
time.sleep(300)
PY
for _ in $(seq 50); do [ -s "$work/b.hash" ] && break; sleep 0.2; done
sleep 1

echo "== rnstatus -R as the allowed identity"
python3 -m RNS.Utilities.rnstatus --config "$work/py" -R "$tid" -i "$work/admin.id" -w 20 -a | tee "$work/status.out"
grep -q "TCP Server" "$work/status.out" || { echo "rnstatus -R did not show mehrd's interface" >&2; cat "$work/mehrd.log" >&2; exit 1; }

echo "== rnpath -t -R as the allowed identity"
python3 -m RNS.Utilities.rnpath --config "$work/py" -t -R "$tid" -i "$work/admin.id" -w 20 | tee "$work/path.out"
grep -q "$(cat "$work/b.hash")" "$work/path.out" || { echo "rnpath -t -R did not list the announced destination" >&2; exit 1; }

echo "== rnstatus -R as an identity not on the list (must get no answer)"
if timeout 20 python3 -m RNS.Utilities.rnstatus --config "$work/py" -R "$tid" -i "$work/stranger.id" -w 8 > "$work/denied.out" 2>&1 \
	&& grep -q "TCP Server" "$work/denied.out"; then
	echo "mehrd answered an identity that is not allowed" >&2; cat "$work/denied.out" >&2; exit 1
fi
sed 's/^/  /' "$work/denied.out"
echo "remote management interop: ok"
