#!/usr/bin/env bash
# Live file transfers between Python rncp and mehr cp, both ways, over
# loopback TCP through mehrd: rncp sends to a `mehr cp -l` listener,
# `mehr cp` sends to an `rncp -l` listener, and each fetches from the
# other (-f, with the listener allowing fetches). Every file must arrive
# with the same SHA-256.
# Usage: scripts/interop/rncp.sh /path/to/Reticulum [SIZES...]
#        sizes in bytes, default: 0 1024 10485760
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
shift
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(0 1024 10485760)
interop_build mehrd mehr
port=$(freeport tcp)
inst="mehr-cp-$$"
M="$work/cfg-mehr" P="$work/cfg-py"
mkdir -p "$M" "$P" "$work/files" "$work/into-mehr" "$work/into-py" "$work/fetched-by-mehr" "$work/fetched-by-py"
cat > "$M/config.toml" <<CFG
[reticulum]
enable_transport = true
share_instance = true
instance_name = "$inst"
[[interfaces]]
name = "TCP Server"
type = "TCPServerInterface"
enabled = true
listen_ip = "127.0.0.1"
listen_port = $port
CFG
printf '[reticulum]\n  share_instance = Yes\n  instance_name = py-cp-%s\n[logging]\n  loglevel = 2\n[interfaces]\n  [[mehrd]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = %s\n' "$$" "$port" > "$P/config"

"$work/mehrd" --config "$M" > "$work/mehrd.log" 2>&1 & pids+=($!)
python3 -m RNS.Utilities.rnsd --config "$P" > "$work/rnsd.log" 2>&1 & pids+=($!)
sleep 2
# Listeners on both sides: no authentication, fetches allowed, announce every 5 s.
"$work/mehr" cp --config "$M" -l -n -F -b 5 -s "$work/into-mehr" > "$work/mehr-listen.log" 2>&1 & pids+=($!)
python3 -m RNS.Utilities.rncp --config "$P" -l -n -F -b 5 -s "$work/into-py" > "$work/py-listen.log" 2>&1 & pids+=($!)
ph=$(python3 -m RNS.Utilities.rncp --config "$P" -p | sed -n 's/^Listening on : <\(.*\)>/\1/p')
mh=""
for _ in $(seq 100); do
	mh=$(sed -n 's/^mehr cp listening on <\(.*\)>/\1/p' "$work/mehr-listen.log")
	[ -n "$mh" ] && break
	sleep 0.2
done
[ -n "$mh" ] && [ -n "$ph" ] || { echo "listeners did not start" >&2; cat "$work"/*listen.log >&2; exit 1; }
echo "mehr cp listening on <$mh>, rncp listening on <$ph>"

check() { # $1 original, $2 copy, $3 label
	if [ -f "$2" ] && [ "$(sha256sum < "$1")" = "$(sha256sum < "$2")" ]; then
		echo "  ok   $3 ($(stat -c %s "$2") bytes, sha256 equal)"
	else
		echo "  FAIL $3" >&2; exit 1
	fi
}
for size in "${sizes[@]}"; do
	f="$work/files/file-$size.bin"
	head -c "$size" /dev/urandom > "$f"
	name=$(basename "$f")
	echo "== $size bytes"
	t0=$(date +%s.%N)
	if [ "$size" = 0 ]; then
		# The reference's sender fails on empty files ("Could not start
		# transfer: a bytes-like object is required"), before any packet.
		if python3 -m RNS.Utilities.rncp --config "$P" -S -w 30 "$f" "$mh" > "$work/empty.log" 2>&1; then
			check "$f" "$work/into-mehr/$name" "rncp -> mehr cp -l"
		else
			echo "  skip rncp -> mehr cp -l: $(grep -o 'Could not start transfer.*' "$work/empty.log" || echo 'rncp failed') (a reference limitation)"
		fi
	else
		python3 -m RNS.Utilities.rncp --config "$P" -S -w 30 "$f" "$mh" > /dev/null
		for _ in $(seq 100); do [ -f "$work/into-mehr/$name" ] && break; sleep 0.1; done
		t1=$(date +%s.%N); check "$f" "$work/into-mehr/$name" "rncp -> mehr cp -l ($(python3 -c "print(f'{$t1-$t0:.2f} s')"))"
	fi
	t0=$(date +%s.%N)
	"$work/mehr" cp --config "$M" -S -w 30 "$f" "$ph" > /dev/null
	for _ in $(seq 100); do [ -f "$work/into-py/$name" ] && break; sleep 0.1; done
	t1=$(date +%s.%N); check "$f" "$work/into-py/$name" "mehr cp -> rncp -l ($(python3 -c "print(f'{$t1-$t0:.2f} s')"))"
	(cd "$work/fetched-by-mehr" && "$work/mehr" cp --config "$M" -S -w 30 -f "$f" "$ph" > "$work/fetch.log")
	if [ "$size" = 0 ] && grep -q "not found on the remote" "$work/fetch.log"; then
		# The reference's fetch handler fails to build a resource from an
		# empty file and answers False, which rncp reports as not found.
		echo "  skip mehr cp -f from rncp -l: rncp answers 'not found' for empty files (a reference limitation)"
	else
		check "$f" "$work/fetched-by-mehr/$name" "mehr cp -f from rncp -l"
	fi
	(cd "$work/fetched-by-py" && python3 -m RNS.Utilities.rncp --config "$P" -S -w 30 -f "$f" "$mh" > /dev/null)
	check "$f" "$work/fetched-by-py/$name" "rncp -f from mehr cp -l"
done
echo "rncp interop: ok"
