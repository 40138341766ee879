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
# BenchmarkLinkPackets (rns/link/bench_test.go), resources of MB
# megabytes like the reference's (MEHR_BENCH_MB), ten per figure so that
# warming up weighs little, every node a full transport in one process.
# Python: reference_link.sh, each node its own process, one resource of
# MB megabytes per figure.
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
(cd "$root" && go test -c -o "$out/identity.test" ./rns/identity/ && go test -c -o "$out/link.test" ./rns/link/)
# Three rounds, each measuring the token ceiling just before the
# resources: this machine's speed drifts by 10-20 % over minutes, and a
# resource figure is compared with the ceiling measured beside it.
for round in 1 2 3; do
	"$out/identity.test" -test.run='^$' -test.bench='BenchmarkTokenEncryptMDU8192' | grep '^Benchmark' | sed "s/^/round $round /" | tee -a "$out/token.txt"
	MEHR_BENCH_MB=$mb "$out/link.test" -test.run='^$' -test.bench='BenchmarkResourceThroughput' -test.benchtime=10x -test.timeout=20m | grep '^Benchmark' | sed "s/^/round $round /" | tee -a "$out/resource.txt"
done
"$out/link.test" -test.run='^$' -test.bench='BenchmarkLinkPackets' -test.benchtime=300000x -test.count=3 -test.timeout=20m | grep '^Benchmark' | tee "$out/packets.txt"

echo "== Python reference, direct"
"$here/reference_link.sh" "$ref" "$mb" "$packets" | tee "$out/py-direct.txt"
echo "== Python reference, through an rnsd relay"
"$here/reference_link.sh" "$ref" "$mb" "$packets" --relay | tee "$out/py-relay.txt"

python3 - "$out" <<'PY'
import re, statistics, sys, os
out = sys.argv[1]
def lines(name): return open(os.path.join(out, name)).read().splitlines()
def median(xs): return statistics.median(xs) if xs else float("nan")

toks = {}
for l in lines("token.txt"):
    m = re.match(r"round (\d+) .*?([\d.]+) MB/s", l)
    if m: toks[m.group(1)] = float(m.group(2))
tok = median(list(toks.values()))
go, vs_half = {}, {}
for l in lines("resource.txt"):
    m = re.match(r"round (\d+) BenchmarkResourceThroughput/(\w+)/(\w+)/(\w+)-\d+\s.*?([\d.]+) MB/s", l)
    if m:
        k = ("res",) + m.groups()[1:4]
        go.setdefault(k, []).append(float(m.group(5)))
        # Against the ceiling measured in the same round.
        vs_half.setdefault(k, []).append(float(m.group(5)) / (toks[m.group(1)] / 2))
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
print("token encryption at MDU 8111, one core, by round: " + ", ".join(f"{v:.0f}" for _, v in sorted(toks.items())) + f" MB/s; median {tok:.0f}, half {tok/2:.0f} MB/s")
print("mehr figures are medians of the three rounds; 'vs half token' is the median of each")
print("round's figure over half of the token rate measured in that round")
print()
print(f"{'case':40} {'mehr':>12} {'Python':>12} {'ratio':>7}  {'vs half token':>13}")
for topo in ("direct", "relay"):
    for kind in ("random", "zeros"):
        for comp in ("nocompress", "compress"):
            k = ("res", topo, kind, comp)
            g, p = median(go.get(k, [])), py.get(k, float("nan"))
            h = median(vs_half.get(k, []))
            print(f"{'resource ' + topo + ' ' + kind + ' ' + comp:40} {g:9.1f} MB/s {p:9.1f} MB/s {g/p:6.1f}x  {h:12.2f}x")
    k = ("pkt", topo)
    g, p = median(go.get(k, [])), py.get(k, float("nan"))
    print(f"{'431-byte link packets delivered ' + topo:40} {g:10.0f} /s {p:10.0f} /s {g/p:6.1f}x")
PY
