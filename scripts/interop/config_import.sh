#!/usr/bin/env bash
# Imports the Python reference's own configuration texts with our importer
# (config.ImportReticulum): the default configuration in RNS/Reticulum.py,
# the output of rnsd --exampleconfig, and the configuration examples of the
# manual (docs/source/interfaces.rst and using.rst). Each must import
# without warnings, survive Marshal and Load unchanged and keep the value of
# every key; the default configuration must import as config.Default().
# The texts are read from the checkout when the test runs; none of them is
# copied into this repository. Runs python3 -m RNS.Utilities.rnsd
# --exampleconfig if python3 is installed.
# Usage: scripts/interop/config_import.sh /path/to/Reticulum   (a 1.4.2 checkout)
set -euo pipefail
ref=${1:?usage: $0 /path/to/Reticulum checkout}
[ -f "$ref/RNS/Reticulum.py" ] || { echo "no RNS/Reticulum.py under $ref" >&2; exit 2; }
ref=$(cd "$ref" && pwd) # go test runs in ./config, so the path must be absolute
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

set +e
(cd "$repo" && MEHR_RETICULUM_REF="$ref" go test -count=1 -run TestReferenceConfigs -v ./config/) 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e

summary=$(grep -oE '[0-9]+ keys of [0-9]+ reference configuration texts keep their values' "$out" | tail -n 1 || true)
if [ "$status" -ne 0 ]; then
	echo "config import interop: FAIL${summary:+ ($summary)}"
	exit "$status"
fi
if grep -q -- '--- SKIP: TestReferenceConfigs' "$out" || [ -z "$summary" ]; then
	echo "config import interop: FAIL (TestReferenceConfigs did not run)"
	exit 1
fi
echo "config import interop: ok ($summary)"
