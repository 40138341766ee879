# Shared setup for the interop scripts; source it, then call interop_init.
# It checks the reference checkout, makes a temporary work directory that
# is removed on exit together with every process recorded in pids, and
# puts the reference on PYTHONPATH.

# interop_init REF: set ref, repo, work and pids, and install the cleanup.
interop_init() {
	ref=${1:-}
	if [ -z "$ref" ] || [ ! -f "$ref/RNS/__init__.py" ]; then
		echo "usage: $0 /path/to/Reticulum ... (no RNS package under '$ref')" >&2
		exit 2
	fi
	ref=$(cd "$ref" && pwd)
	repo=$(cd "$(dirname "$0")/../.." && pwd)
	work=$(mktemp -d)
	pids=()
	trap interop_cleanup EXIT
	export PYTHONPATH="$ref"
}

# interop_cleanup_extra runs before the work directory is removed;
# scripts may redefine it.
interop_cleanup_extra() { :; }

interop_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	interop_cleanup_extra
	rm -rf "$work"
}

# interop_build CMD...: build ./cmd/CMD into $work/CMD. With mehrd come
# its interface plugins (UDP, serial, KISS and RNode interfaces run in
# mehr-plugin-*), next to it where mehrd looks for them.
interop_build() {
	local c
	for c in "$@"; do
		(cd "$repo" && go build -o "$work/$c" "./cmd/$c")
		if [ "$c" = mehrd ]; then
			(cd "$repo" && go build -o "$work/" ./cmd/mehr-plugin-udp ./cmd/mehr-plugin-serial \
				./cmd/mehr-plugin-kiss ./cmd/mehr-plugin-rnode)
		fi
	done
}

# freeport [tcp|udp]: a free port on 127.0.0.1.
freeport() {
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "${1:-tcp}"
}
