#!/usr/bin/env bash
# Link and resource throughput, mehr to mehr against Python to Python, in
# one run on this machine (issue #4): resource MB/s for random and
# all-zero data with compression on and off, and 431-byte link packets
# delivered per second, directly (A - B) and through a transport node
# (A - R - B), all over loopback TCP. Also the ceiling the issue sets: what
# one core's token encryption allows at the negotiated MDU (8111 bytes at
# the 8192-byte MTU TCP links use).
#
# mehr: the Go benchmarks BenchmarkResourceThroughput and
# BenchmarkLinkPackets (rns/link/bench_test.go), 16 MB resources (ten per
# figure, 160 MB, so that warming up weighs little), every
# node a full transport in one process. Python: reference_link.sh, each
# node its own process, MB-sized resources.
#
# Usage: scripts/bench/link.sh /path/to/Reticulum [MB] [PACKETS]
set -euo pipefail
ref=${1:?usage: $0 /path/to/Reticulum [MB] [PACKETS]}
mb=${2:-50}
packets=${3:-20000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== mehr (go test -bench, $(go version | awk '{print $3}'))"
(cd "$root" && go test -run='^$' -bench='BenchmarkTokenEncryptMDU8192' -count=3 ./rns/identity/) | grep '^Benchmark' | tee "$out/token.txt"
(cd "$root" && go test -run='^$' -bench='BenchmarkResourceThroughput' -benchtime=10x -count=3 -timeout=20m ./rns/link/) | grep '^Benchmark' | tee "$out/resource.txt"
(cd "$root" && go test -run='^$' -bench='BenchmarkLinkPackets' -benchtime=300000x -count=3 -timeout=20m ./rns/link/) | grep '^Benchmark' | tee "$out/packets.txt"

echo "== Python reference, direct"
"$here/reference_link.sh" "$ref" "$mb" "$packets" | tee "$out/py-direct.txt"
echo "== Python reference, through an rnsd relay"
"$here/reference_link.sh" "$ref" "$mb" "$packets" --relay | tee "$out/py-relay.txt"

python3 - "$out" <<'PY'
import re, statistics, sys, os
out = sys.argv[1]
def lines(name): return open(os.path.join(out, name)).read().splitlines()
def median(xs): return statistics.median(xs) if xs else float("nan")

tok = median([float(m.group(1)) for l in lines("token.txt") if (m := re.search(r"([\d.]+) MB/s", l))])
go = {}
for l in lines("resource.txt"):
    m = re.match(r"BenchmarkResourceThroughput/(\w+)/(\w+)/(\w+)-\d+\s.*?([\d.]+) MB/s", l)
    if m: go.setdefault(("res",) + m.groups()[:3], []).append(float(m.group(4)))
for l in lines("packets.txt"):
    m = re.match(r"BenchmarkLinkPackets/(\w+)-\d+\s.*?([\d.]+) delivered/s", l)
    if m: go.setdefault(("pkt", m.group(1)), []).append(float(m.group(2)))
py = {}
for topo, f in (("direct", "py-direct.txt"), ("relay", "py-relay.txt")):
    for l in lines(f):
        m = re.match(r"python->python resource (\w+) \d+ MB compression (on|off): ok [\d.]+ s = ([\d.]+) MB/s", l)
        if m:
            kind = "random" if m.group(1) == "random" else "zeros"
            py[("res", topo, kind, "compress" if m.group(2) == "on" else "nocompress")] = float(m.group(3))
        m = re.match(r"python->python link packets delivered: \d+ in [\d.]+ s = (\d+) packets/s", l)
        if m: py[("pkt", topo)] = float(m.group(1))

print()
print(f"token encryption at MDU 8111, one core: {tok:.0f} MB/s; half: {tok/2:.0f} MB/s")
print()
print(f"{'case':40} {'mehr':>12} {'Python':>12} {'ratio':>7}  {'vs half token':>13}")
for topo in ("direct", "relay"):
    for kind in ("random", "zeros"):
        for comp in ("nocompress", "compress"):
            k = ("res", topo, kind, comp)
            g, p = median(go.get(k, [])), py.get(k, float("nan"))
            print(f"{'resource ' + topo + ' ' + kind + ' ' + comp:40} {g:9.1f} MB/s {p:9.1f} MB/s {g/p:6.1f}x  {g/(tok/2):12.2f}x")
    k = ("pkt", topo)
    g, p = median(go.get(k, [])), py.get(k, float("nan"))
    print(f"{'431-byte link packets delivered ' + topo:40} {g:10.0f} /s {p:10.0f} /s {g/p:6.1f}x")
PY
