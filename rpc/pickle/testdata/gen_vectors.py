#!/usr/bin/env python3
"""Writes vectors.json next to this script: pickles made by CPython's own
pickler (protocols 2 to 5, and multiprocessing's ForkingPickler) with a
typed description of the value each one holds, plus pickles that the Go
decoder must refuse. Regenerate with: python3 gen_vectors.py
"""
import json
import math
import os
import pickle
import sys
from multiprocessing.reduction import ForkingPickler


def describe(v):
    if v is None:
        return ["None"]
    if isinstance(v, bool):
        return ["bool", v]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):
        return ["float", v.hex()]
    if isinstance(v, str):
        return ["str", v]
    if isinstance(v, (bytes, bytearray)):
        return ["bytes", bytes(v).hex()]
    if isinstance(v, list):
        return ["list", [describe(x) for x in v]]
    if isinstance(v, tuple):
        return ["tuple", [describe(x) for x in v]]
    if isinstance(v, dict):
        return ["dict", [[describe(k), describe(x)] for k, x in v.items()]]
    raise TypeError(type(v))


h16 = bytes(range(16))
shared = [1, "x"]
values = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "small": 200,
    "int16": 40000,
    "negative": -3,
    "int32min": -(2**31),
    "int64max": 2**63 - 1,
    "int64min": -(2**63),
    "uint64max": 2**64 - 1,
    "just_over_int32": 2**31,
    "float": 2.5,
    "negzero": -0.0,
    "inf": math.inf,
    "tiny": 5e-324,
    "empty_str": "",
    "unicode": "é\x00\U0001f600 Shared Instance[rns/default]",
    "empty_bytes": b"",
    "bytes": h16,
    "high_bytes": bytes([0xFF, 0x80, 0x00]),
    "long_bytes": bytes(range(256)) * 2,
    "bytearray": bytearray(b"xy"),
    "empty_bytearray": bytearray(),
    "empty_list": [],
    "list": [1, 2.5, True, None, "s", b"b"],
    "big_list": list(range(1100)),
    "empty_tuple": (),
    "tuple1": (1,),
    "tuple2": (1, "a"),
    "tuple3": (1, "a", b"b"),
    "tuple5": (1, 2, 3, 4, 5),
    "empty_dict": {},
    "big_dict": {str(i): i for i in range(1100)},
    "tuple_key": {(1, "a"): 2, None: 3, 1.5: 4, b"k": 5},
    "shared": [shared, shared, {"a": shared}],
    "shared_bytes": {"a": h16, "b": h16},
    "nested": [[[[[[[[[[["deep"]]]]]]]]]]],
    "get_path_table": {"get": "path_table", "max_hops": None},
    "get_first_hop_timeout": {"get": "first_hop_timeout", "destination_hash": h16},
    "blackhole": {"blackhole_identity": h16, "until": 1750000000.25, "reason": "spam"},
    "interface_stats_reply": {
        "interfaces": [{"clients": None, "bitrate": 10_000_000, "name": "TCPInterface[x]",
                        "hash": bytes(32), "status": True, "mode": 1, "rxb": 2**40}],
        "rxb": 0, "txb": 12345678901, "rxs": 0.0, "txs": 1.5,
        "transport_id": h16, "probe_responder": None, "rss": None,
    },
}

vectors = []
for name, v in values.items():
    for proto in ((2, 4) if name.startswith("big_") else (2, 3, 4, 5)):
        vectors.append({"name": f"{name}/p{proto}", "pickle": pickle.dumps(v, protocol=proto).hex(),
                        "value": describe(v)})
    vectors.append({"name": f"{name}/forking", "pickle": bytes(ForkingPickler.dumps(v)).hex(),
                    "value": describe(v)})

# A list that contains itself: Python can load it, the Go decoder refuses it
# (it would be infinitely deep as a Go value).
selfref = []
selfref.append(selfref)


class Thing:
    pass


refused = {
    "self_reference": pickle.dumps(selfref, protocol=4),
    "set": pickle.dumps({1, 2}, protocol=4),
    "set_p2": pickle.dumps({1, 2}, protocol=2),
    "frozenset": pickle.dumps(frozenset([1]), protocol=4),
    "object": pickle.dumps(Thing(), protocol=4),
    "function": pickle.dumps(len, protocol=4),
    "complex": pickle.dumps(1j, protocol=4),
    "huge_int": pickle.dumps(2**64, protocol=4),
    "huge_negative_int": pickle.dumps(-(2**63) - 1, protocol=4),
    "protocol0": pickle.dumps({"a": 1}, protocol=0),
    "protocol1_bool": pickle.dumps(True, protocol=1),
    "os_system": b"cos\nsystem\n(S'true'\ntR.",
    "truncated": pickle.dumps({"get": "path_table"}, protocol=4)[:-3],
}
errors = [{"name": k, "pickle": v.hex()} for k, v in refused.items()]

out = {"python": sys.version.split()[0], "vectors": vectors, "refused": errors}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json"), "w") as f:
    f.write('{"python": %s,\n"vectors": [\n' % json.dumps(out["python"]))
    f.write(",\n".join(json.dumps(v) for v in vectors))
    f.write('],\n"refused": [\n')
    f.write(",\n".join(json.dumps(v) for v in errors))
    f.write("]}\n")
