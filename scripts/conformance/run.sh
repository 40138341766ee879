#!/usr/bin/env bash
# Runs the public Reticulum conformance suite (torlando-tech/
# reticulum-conformance) against mehr's bridge, and against the reference
# itself for the baseline, and prints passed / failed / skipped for each,
# for the unit tests (tests/ without tests/wire) and the wire tests
# (tests/wire) separately.
#
# Usage:
#   scripts/conformance/run.sh SUITE_DIR RNS_DIR [LXMF_DIR] [-- PYTEST_ARGS...]
#
#   SUITE_DIR  a checkout of the suite (never committed here)
#   RNS_DIR    a Reticulum checkout (the directory holding RNS/)
#   LXMF_DIR   optional LXMF checkout (the directory holding LXMF/), used by
#              the interface-discovery tests
#   PYTEST_ARGS replace the default selection: run only these, against mehr
#              (e.g. -- tests/test_crypto.py -x)
#
# Environment: PYTEST_PYTHON (a python with pytest and pytest-xdist;
# default: the first of python3, /usr/bin/python3 that has them), JOBS
# (xdist workers, default 2), OUT (directory for the JUnit reports and
# logs, default a temporary one that is kept and printed).
#
# The bridge is registered without editing the suite: mehr_register.py, a
# pytest plugin loaded with -p, adds the implementation "mehr" to the
# suite's bridge table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
suite=${1:?usage: run.sh SUITE_DIR RNS_DIR [LXMF_DIR] [-- PYTEST_ARGS...]}
rns=${2:?usage: run.sh SUITE_DIR RNS_DIR [LXMF_DIR] [-- PYTEST_ARGS...]}
shift 2
lxmf=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then lxmf=$1; shift; fi
custom=()
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; custom=("$@"); fi

suite=$(cd "$suite" && pwd)
rns=$(cd "$rns" && pwd)
[ -f "$suite/conftest.py" ] && [ -d "$suite/tests" ] || { echo "run.sh: $suite is not a conformance suite checkout" >&2; exit 2; }
[ -d "$rns/RNS" ] || { echo "run.sh: no RNS/ in $rns" >&2; exit 2; }

py=${PYTEST_PYTHON:-}
if [ -z "$py" ]; then
	for c in python3 /usr/bin/python3; do
		if "$c" -c 'import pytest, xdist' 2>/dev/null; then py=$c; break; fi
	done
fi
[ -n "$py" ] || { echo "run.sh: no python with pytest and pytest-xdist (Debian: apt-get install python3-pytest python3-pytest-xdist python3-msgpack)" >&2; exit 2; }

out=${OUT:-$(mktemp -d /tmp/mehr-conformance.XXXXXX)}
mkdir -p "$out/py"
echo "reports and logs in $out"
(cd "$root" && go build -o "$out/conformance-bridge" ./cmd/conformance-bridge)
# The suite imports umsgpack standalone; the reference vendors it.
ln -sf "$rns/RNS/vendor/umsgpack.py" "$out/py/umsgpack.py"

export PYTHONPATH="$here:$out/py${PYTHONPATH:+:$PYTHONPATH}"
export PYTHON_RNS_PATH="$rns"
[ -n "$lxmf" ] && export PYTHON_LXMF_PATH=$(cd "$lxmf" && pwd)
export CONFORMANCE_MEHR_BRIDGE_CMD="$out/conformance-bridge"
jobs=${JOBS:-2}

cd "$suite"
echo "suite commit: $(git -C "$suite" rev-parse HEAD 2>/dev/null || echo unknown)"
echo "reference: $(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$rns/RNS/_version.py" 2>/dev/null || echo unknown) at $rns"

pytest() { # $1 name, rest: pytest arguments
	local name=$1; shift
	echo "== $name: pytest $*"
	"$py" -m pytest -p mehr_register -q -rfE -n "$jobs" --junitxml="$out/$name.xml" "$@" > "$out/$name.log" 2>&1 || true
	tail -1 "$out/$name.log"
}

if [ ${#custom[@]} -gt 0 ]; then
	"$py" -m pytest -p mehr_register --impl=mehr "${custom[@]}"
	exit $?
fi

pytest mehr-unit --impl=mehr tests --ignore=tests/wire
pytest mehr-wire --impl=mehr tests/wire
pytest reference-unit --reference-only tests --ignore=tests/wire
pytest reference-wire --reference-only tests/wire

"$py" - "$out" <<'PY'
import sys, os, xml.etree.ElementTree as ET
out = sys.argv[1]
def counts(name):
    p = os.path.join(out, name + ".xml")
    if not os.path.exists(p): return None
    t = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}
    for tc in ET.parse(p).getroot().iter("testcase"):
        kinds = [c.tag for c in tc]
        if "failure" in kinds or "error" in kinds: t["failed"] += 1
        elif "skipped" in kinds:
            s = [c for c in tc if c.tag == "skipped"][0]
            t["xfailed" if "xfail" in (s.get("type") or "") + (s.get("message") or "") else "skipped"] += 1
        else: t["passed"] += 1
    return t
print()
print(f"{'run':16} {'passed':>7} {'failed':>7} {'skipped':>8} {'xfailed':>8}")
for n in ("mehr-unit", "reference-unit", "mehr-wire", "reference-wire"):
    c = counts(n)
    if c: print(f"{n:16} {c['passed']:7} {c['failed']:7} {c['skipped']:8} {c['xfailed']:8}")
PY
