#!/usr/bin/env python3
"""Writes requests.json next to this script: the exact bytes that the
reference's client methods (RNS.Reticulum.get_path_table and friends)
send on the shared-instance RPC socket, captured by calling them on a
stand-in object whose RPC connection records what it is given, plus the
same request dicts pickled as older releases sent them.

Usage: python3 gen_requests.py /path/to/Reticulum
"""
import json
import os
import sys
from multiprocessing.reduction import ForkingPickler

sys.path.insert(0, sys.argv[1])
import RNS  # noqa: E402
import RNS.vendor.umsgpack as mp  # noqa: E402

sent = []


class Recorder:
    def send_bytes(self, b):
        sent.append(bytes(b))

    def recv_bytes(self):
        return mp.packb(None)


class Stub:
    is_connected_to_shared_instance = True

    def get_rpc_client(self):
        return Recorder()


R = RNS.Reticulum
stub = Stub()
dest = bytes.fromhex("00112233445566778899aabbccddeeff")
ident = bytes.fromhex("ffeeddccbbaa99887766554433221100")
packet = bytes(range(32))

calls = [
    ("interface_stats", lambda: R.get_interface_stats(stub)),
    ("path_table", lambda: R.get_path_table(stub)),
    ("path_table_max_hops", lambda: R.get_path_table(stub, max_hops=2)),
    ("rate_table", lambda: R.get_rate_table(stub)),
    ("drop_path", lambda: R.drop_path(stub, dest)),
    ("drop_all_via", lambda: R.drop_all_via(stub, dest)),
    ("drop_announce_queues", lambda: R.drop_announce_queues(stub)),
    ("next_hop_if_name", lambda: R.get_next_hop_if_name(stub, dest)),
    ("first_hop_timeout", lambda: R.get_first_hop_timeout(stub, dest)),
    ("next_hop", lambda: R.get_next_hop(stub, dest)),
    ("link_count", lambda: R.get_link_count(stub)),
    ("packet_rssi", lambda: R.get_packet_rssi(stub, packet)),
    ("packet_snr", lambda: R.get_packet_snr(stub, packet)),
    ("packet_q", lambda: R.get_packet_q(stub, packet)),
    ("blackholed_identities", lambda: R.get_blackholed_identities(stub)),
    ("is_blackholed", lambda: R.is_blackholed(stub, ident)),
    ("blackhole_identity", lambda: R.blackhole_identity(stub, ident, until=1750000000.5, reason="spam")),
    ("blackhole_identity_forever", lambda: R.blackhole_identity(stub, ident)),
    ("unblackhole_identity", lambda: R.unblackhole_identity(stub, ident)),
    ("used_destination_data", lambda: R._used_destination_data(stub, dest)),
    ("retain_destination_data", lambda: R._retain_destination_data(stub, dest)),
    ("unretain_destination_data", lambda: R._unretain_destination_data(stub, dest)),
    ("retain_identity", lambda: R._retain_identity(stub, ident)),
]

out = []
for name, call in calls:
    del sent[:]
    call()
    assert len(sent) == 1, (name, sent)
    request = mp.unpackb(sent[0])
    out.append({
        "name": name,
        "msgpack": sent[0].hex(),
        "pickle": bytes(ForkingPickler.dumps(request)).hex(),
        "repr": repr(request),
    })

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.json"), "w") as f:
    f.write('{"reference": %s,\n"requests": [\n' % json.dumps(RNS.__version__))
    f.write(",\n".join(json.dumps(r) for r in out))
    f.write("]}\n")
