"""pytest plugin that registers mehr's bridge with a checkout of the
Reticulum conformance suite without editing it: it adds the implementation
"mehr" to the suite's bridge tables (conftest.BRIDGE_COMMANDS and
PER_IMPL_CMD_ENV) once pytest has loaded the suite's conftest.

Load it with `-p mehr_register` (its directory on PYTHONPATH) and set
CONFORMANCE_MEHR_BRIDGE_CMD to the bridge command; run.sh does both.
"""

import os
import sys


def pytest_configure(config):
    ct = sys.modules.get("conftest")
    if ct is None or not hasattr(ct, "BRIDGE_COMMANDS"):
        raise RuntimeError("mehr_register: the suite's conftest is not loaded; run pytest from the suite directory")
    cmd = os.environ.get("CONFORMANCE_MEHR_BRIDGE_CMD")
    if not cmd:
        raise RuntimeError("mehr_register: set CONFORMANCE_MEHR_BRIDGE_CMD to the bridge command")
    ct.BRIDGE_COMMANDS["mehr"] = cmd
    ct.PER_IMPL_CMD_ENV["mehr"] = "CONFORMANCE_MEHR_BRIDGE_CMD"
