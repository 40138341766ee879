#!/usr/bin/env bash
# Live file transfers between Python rncp and mehr cp, both ways, over
# loopback TCP: rncp sends to a `mehr cp -l` listener, `mehr cp` sends to
# an `rncp -l` listener, and each fetches from the other (-f, with the
# listener allowing fetches). Every file must arrive with the same
# SHA-256. Each topology runs all four directions for every size:
#
#   direct   no daemon at all. The `mehr cp -l` listener runs its own node
#            with a TCP server that the rncp commands connect to as TCP
#            clients; the `rncp -l` listener runs its own node with a TCP
#            server that the `mehr cp` commands connect to.
#   daemons  mehrd (transport, shared instance, TCP server) and rnsd (TCP
#            client to mehrd, shared instance); mehr cp attaches to mehrd,
#            rncp to rnsd.
#   mehrd    every endpoint (both listeners, every sending or fetching
#            command) is its own node with only a TCP client to one mehrd
#            transport node, which relays all traffic.
#   rnsd     the same with a Python rnsd (enable_transport) as the relay.
#
# Usage: scripts/interop/rncp.sh /path/to/Reticulum [--via TOPOLOGY] [SIZES...]
#        TOPOLOGY: direct, daemons, mehrd, rnsd or all (default all; may
#        be a comma-separated list). Sizes in bytes, default: 0 1024 10485760;
#        text:N is a compressible file of N bytes (decimal numbers, one
#        per line) instead of a random one, so that it crosses compressed.
#        RNCP_FLAGS (e.g. -vvv) adds flags to the sending and fetching rncp
#        commands; the logs of a failed run are kept.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "${1:-}"
shift
via=all
sizes=()
while [ $# -gt 0 ]; do
	case $1 in
	--via) via=${2:?--via needs a topology}; shift 2 ;;
	--via=*) via=${1#--via=}; shift ;;
	-*) echo "unknown option $1" >&2; exit 2 ;;
	*) sizes+=("$1"); shift ;;
	esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(0 1024 10485760)
rncp_flags=${RNCP_FLAGS:-}
[ "$via" = all ] && via=direct,daemons,mehrd,rnsd
IFS=, read -r -a topologies <<< "$via"
for t in "${topologies[@]}"; do
	case $t in direct|daemons|mehrd|rnsd) ;; *) echo "unknown topology $t" >&2; exit 2 ;; esac
done
interop_build mehrd mehr

mkdir -p "$work/files"
# fname SIZE: the file for a size argument; nbytes SIZE: its length.
fname() { echo "$work/files/file-${1/:/-}.bin"; }
nbytes() { echo "${1#text:}"; }
for size in "${sizes[@]}"; do
	case $size in
	text:*) seq 1 1000000000 | head -c "$(nbytes "$size")" > "$(fname "$size")" || true ;;
	*) head -c "$size" /dev/urandom > "$(fname "$size")" ;;
	esac
done

# Processes of the current topology, stopped before the next one starts.
tpids=()
bg() { "$@" & pids+=($!); tpids+=($!); }
stop_topology() {
	local p
	for p in "${tpids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${tpids[@]}"; do wait "$p" 2>/dev/null || true; done
	tpids=()
}

# waitport PORT: wait (at most 15 s) until something listens on PORT.
waitport() {
	for _ in $(seq 150); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2; return 1
}

# Configuration pieces. mehr_cfg DIR [TRANSPORT] IFACE-TOML and py_cfg DIR
# [TRANSPORT] IFACE write a standalone node's configuration (no shared
# instance) with one interface.
mehr_server() { printf '[[interfaces]]\nname = "TCP Server"\ntype = "TCPServerInterface"\nenabled = true\nlisten_ip = "127.0.0.1"\nlisten_port = %s\n' "$1"; }
mehr_client() { printf '[[interfaces]]\nname = "TCP Client"\ntype = "TCPClientInterface"\nenabled = true\ntarget_host = "127.0.0.1"\ntarget_port = %s\n' "$1"; }
py_server() { printf '  [[TCP Server]]\n    type = TCPServerInterface\n    enabled = yes\n    listen_ip = 127.0.0.1\n    listen_port = %s\n' "$1"; }
py_client() { printf '  [[TCP Client]]\n    type = TCPClientInterface\n    enabled = yes\n    target_host = 127.0.0.1\n    target_port = %s\n' "$1"; }
mehr_cfg() { # DIR TRANSPORT IFACE
	mkdir -p "$1"
	printf '[reticulum]\nenable_transport = %s\nshare_instance = false\n%s' "$2" "$3" > "$1/config.toml"
}
py_cfg() { # DIR TRANSPORT IFACE
	mkdir -p "$1"
	printf '[reticulum]\n  enable_transport = %s\n  share_instance = No\n[logging]\n  loglevel = 2\n[interfaces]\n%s' "$2" "$3" > "$1/config"
}

# Each setup_* sets ML and MC (configurations for the mehr cp listener
# and for the mehr cp commands) and PL and PC (the same for rncp), and
# starts whatever runs in the middle.
setup_direct() {
	local a b
	a=$(freeport tcp); b=$(freeport tcp)
	ML="$T/mehr-listen" MC="$T/mehr-cmd" PL="$T/py-listen" PC="$T/py-cmd"
	mehr_cfg "$ML" false "$(mehr_server "$a")"
	mehr_cfg "$MC" false "$(mehr_client "$b")"
	py_cfg "$PL" No "$(py_server "$b")"
	py_cfg "$PC" No "$(py_client "$a")"
	echo "   mehr cp -l serves TCP :$a for rncp; rncp -l serves TCP :$b for mehr cp"
}
setup_daemons() {
	local port
	port=$(freeport tcp)
	ML="$T/mehrd" MC="$T/mehrd" PL="$T/rnsd" PC="$T/rnsd"
	mkdir -p "$ML" "$PL"
	printf '[reticulum]\nenable_transport = true\nshare_instance = true\ninstance_name = "mehr-cp-%s"\n%s' "$$" "$(mehr_server "$port")" > "$ML/config.toml"
	printf '[reticulum]\n  share_instance = Yes\n  instance_name = py-cp-%s\n[logging]\n  loglevel = 2\n[interfaces]\n%s' "$$" "$(py_client "$port")" > "$PL/config"
	bg "$work/mehrd" --config "$ML" > "$T/mehrd.log" 2>&1
	waitport "$port"
	bg python3 -u -m RNS.Utilities.rnsd --config "$PL" > "$T/rnsd.log" 2>&1
	sleep 2
	echo "   mehrd (shared instance, TCP :$port) <- rnsd (shared instance)"
}
setup_relay() { # mehrd|rnsd
	local port
	port=$(freeport tcp)
	ML="$T/mehr-listen" MC="$T/mehr-cmd" PL="$T/py-listen" PC="$T/py-cmd"
	for d in "$ML" "$MC"; do mehr_cfg "$d" false "$(mehr_client "$port")"; done
	for d in "$PL" "$PC"; do py_cfg "$d" No "$(py_client "$port")"; done
	if [ "$1" = mehrd ]; then
		mehr_cfg "$T/relay" true "$(mehr_server "$port")"
		bg "$work/mehrd" --config "$T/relay" > "$T/relay.log" 2>&1
	else
		py_cfg "$T/relay" Yes "$(py_server "$port")"
		bg python3 -u -m RNS.Utilities.rnsd --config "$T/relay" > "$T/relay.log" 2>&1
	fi
	waitport "$port"
	echo "   every endpoint is a TCP client of the $1 relay on :$port"
}
setup_mehrd() { setup_relay mehrd; }
setup_rnsd() { setup_relay rnsd; }

# The rncp commands run without -S: in silent mode the reference polls
# its transfer state in a loop without sleeping, which takes a whole core
# for the duration of every transfer and slows everything else down.
# run SECONDS LOG CMD...: run CMD with a time limit, output to LOG; the
# exit status (124 on timeout) goes to rc.
run() {
	local lim=$1 log=$2
	shift 2
	rc=0
	echo "# $(date +%T.%N) started: $*" > "$log"
	timeout "$lim" "$@" >> "$log" 2>&1 || rc=$?
	echo "# $(date +%T.%N) exited $rc" >> "$log"
}
results=()
failed=0
# report STATUS DIRECTION SIZE SECONDS [NOTE]
report() {
	local line
	line=$(printf '%-4s  %-8s %-24s %10s B  %8s s  %s' "$1" "$topo" "$2" "$3" "$4" "${5:-}")
	echo "  $line"
	results+=("$line")
	[ "$1" != FAIL ] || failed=1
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
# Transfers get a bound that grows with the size: 60 s plus 2 s per MB.
bound() { echo $((60 + $1 / 500000)); }
# check ORIG COPY DIRECTION SIZE START [NOTE]: report whether the copy is
# equal to the original (waiting a little for it to appear).
check() {
	local t
	for _ in $(seq 50); do [ -f "$2" ] && break; sleep 0.1; done
	t=$(elapsed "$5")
	if [ -f "$2" ] && [ "$(sha256sum < "$1")" = "$(sha256sum < "$2")" ]; then
		report ok "$3" "$4" "$t" "${6:-}"
		rm -f "$2" # keep the disk use to one copy at a time
	else
		report FAIL "$3" "$4" "$t" "${6:-see $T}"
	fi
}

run_topology() {
	topo=$1
	T="$work/t-$topo"
	mkdir -p "$T"
	echo "== topology $topo"
	"setup_$topo"
	local into_m="$T/into-mehr" into_p="$T/into-py" by_m="$T/fetched-by-mehr" by_p="$T/fetched-by-py"
	mkdir -p "$into_m" "$into_p" "$by_m" "$by_p"
	# Listeners on both sides: no authentication, fetches allowed, announce
	# every 5 s (rncp logs its destination at -v).
	bg "$work/mehr" cp --config "$ML" -l -n -F -b 5 -s "$into_m" > "$T/mehr-listen.log" 2>&1
	bg python3 -u -m RNS.Utilities.rncp --config "$PL" -v -l -n -F -b 5 -s "$into_p" > "$T/py-listen.log" 2>&1
	local mh="" ph=""
	for _ in $(seq 150); do
		mh=$(sed -n 's/^mehr cp listening on <\(.*\)>/\1/p' "$T/mehr-listen.log")
		ph=$(sed -n 's/.*rncp listening on <\(.*\)>.*/\1/p' "$T/py-listen.log")
		[ -n "$mh" ] && [ -n "$ph" ] && break
		sleep 0.2
	done
	if [ -z "$mh" ] || [ -z "$ph" ]; then
		echo "listeners did not start" >&2; cat "$T"/*listen.log >&2
		report FAIL "listeners" - - "did not start"; stop_topology; return
	fi
	echo "   mehr cp listening on <$mh>, rncp listening on <$ph>"
	local size f name t0 lim n=0 L
	for size in "${sizes[@]}"; do
		n=$((n + 1))
		L="$T/$n-$size" # log names, unique when a size repeats
		f=$(fname "$size")
		name=$(basename "$f")
		lim=$(bound "$(nbytes "$size")")

		t0=$EPOCHREALTIME
		run "$lim" "$L-send-py.log" python3 -u -m RNS.Utilities.rncp --config "$PC" $rncp_flags -w 30 "$f" "$mh"
		if [ "$rc" = 0 ]; then
			check "$f" "$into_m/$name" "rncp -> mehr cp -l" "$size" "$t0"
		elif [ "$size" = 0 ] && grep -q 'Could not start transfer' "$L-send-py.log"; then
			# The reference's sender fails on empty files ("Could not start
			# transfer: a bytes-like object is required"), before any packet.
			report skip "rncp -> mehr cp -l" "$size" "$(elapsed "$t0")" "reference limitation: rncp cannot send an empty file"
		else
			report FAIL "rncp -> mehr cp -l" "$size" "$(elapsed "$t0")" "rncp exited $rc, see $L-send-py.log"
		fi

		t0=$EPOCHREALTIME
		run "$lim" "$L-send-mehr.log" "$work/mehr" cp --config "$MC" -S -w 30 "$f" "$ph"
		if [ "$rc" = 0 ]; then
			check "$f" "$into_p/$name" "mehr cp -> rncp -l" "$size" "$t0"
		else
			report FAIL "mehr cp -> rncp -l" "$size" "$(elapsed "$t0")" "mehr cp exited $rc, see $L-send-mehr.log"
		fi

		t0=$EPOCHREALTIME
		(cd "$by_m" && run "$lim" "$L-fetch-mehr.log" "$work/mehr" cp --config "$MC" -S -w 30 -f "$f" "$ph"; exit "$rc") && rc=0 || rc=$?
		if [ "$size" = 0 ] && grep -q "not found on the remote" "$L-fetch-mehr.log"; then
			# The reference's fetch handler fails to build a resource from an
			# empty file and answers False, which rncp reports as not found
			# (and exits 0, as mehr cp then does).
			report skip "mehr cp -f from rncp -l" "$size" "$(elapsed "$t0")" "reference limitation: rncp answers 'not found' for an empty file"
		elif [ "$rc" = 0 ]; then
			check "$f" "$by_m/$name" "mehr cp -f from rncp -l" "$size" "$t0"
		else
			report FAIL "mehr cp -f from rncp -l" "$size" "$(elapsed "$t0")" "mehr cp exited $rc, see $L-fetch-mehr.log"
		fi

		t0=$EPOCHREALTIME
		(cd "$by_p" && run "$lim" "$L-fetch-py.log" python3 -u -m RNS.Utilities.rncp --config "$PC" $rncp_flags -w 30 -f "$f" "$mh"; exit "$rc") && rc=0 || rc=$?
		if [ "$rc" = 0 ]; then
			check "$f" "$by_p/$name" "rncp -f from mehr cp -l" "$size" "$t0"
		else
			report FAIL "rncp -f from mehr cp -l" "$size" "$(elapsed "$t0")" "rncp exited $rc, see $L-fetch-py.log"
		fi
	done
	stop_topology
}

# Keep the logs of a failed run.
interop_cleanup_extra() {
	if [ "$failed" = 1 ]; then
		rm -rf "$work/files" "$work"/t-*/into-* "$work"/t-*/fetched-by-*
		local keep="/tmp/rncp-interop-logs.$$"
		cp -r "$work" "$keep" 2>/dev/null && echo "logs kept in $keep" >&2
	fi
}

for t in "${topologies[@]}"; do run_topology "$t"; done
echo "== results"
printf '  %s\n' "${results[@]}"
if [ "$failed" = 1 ]; then echo "rncp interop: FAIL" >&2; exit 1; fi
echo "rncp interop: ok"
