#!/usr/bin/env python3
"""Time the Python reference transport on what `make bench` measures for
rns/transport: relaying 464-byte link packets through the link table,
announce validation and path insertion, and path-table memory.

Usage: python3 scripts/bench/reference_transport.py /path/to/Reticulum
In-process only: interfaces are sinks, nothing touches a network.
"""
import sys, os, time
sys.path.insert(0, sys.argv[1])
import RNS
from RNS.Interfaces.Interface import Interface

class Sink(Interface):
    def __init__(self, name):
        self.mode = Interface.MODE_FULL; self.ifac_identity = None; self.ifac_size = 0
        self.rxb = 0; self.txb = 0; self.announce_rate_target = None; self.parent_interface = None
        self.name = name; self.OUT = True; self.IN = True; self.bitrate = 10**9; self.HW_MTU = 500
        self.sent = 0; self.online = True; self.ingress_control = False
        from collections import deque
        self.ia_freq_deque = deque(maxlen=100); self.oa_freq_deque = deque(maxlen=100)
        self.ip_freq_deque = deque(maxlen=100); self.op_freq_deque = deque(maxlen=100)
    def process_outgoing(self, data): self.sent += 1
    def __str__(self): return "Sink["+self.name+"]"

class Owner: is_connected_to_shared_instance = False
RNS.Transport.owner = Owner()
RNS.Reticulum._Reticulum__transport_enabled = True
RNS.Transport.ready = True
RNS.Transport.identity = RNS.Identity.from_bytes(bytes([9])*64)
a, b = Sink("a"), Sink("b")
RNS.Transport.interfaces = [a, b]
target = bytes([0xd0]) + bytes(15)
now = time.time()
RNS.Transport.path_table[target] = [now, target, 1, now+3600, [], b, bytes(32)]
hdr = bytes([0x52, 2]) + RNS.Transport.identity.hash + target + bytes([0])
lr = hdr + bytes([7])*64

RNS.Transport.inbound(lr, a)
assert b.sent == 1, b.sent
link_id = list(RNS.Transport.link_table.keys())[0]
N = 20000
pkts = [bytes([0x0c, 2]) + link_id + bytes([0]) + n.to_bytes(8, "big") + bytes(456) for n in range(N)]
t0 = time.perf_counter()
for p in pkts: RNS.Transport.inbound(p, a)
dt = time.perf_counter() - t0
print(f"relay link packets: {b.sent-1} of {N} forwarded, {N/dt:.0f} packets/s, {dt/N*1e9:.0f} ns/op")

# Announce validation + path-table insertion for new destinations.
import tempfile
tmp = tempfile.mkdtemp()
os.makedirs(tmp + "/announces")
RNS.Reticulum.cachepath = tmp
RNS.Reticulum.storagepath = tmp
RNS.Transport.register_destination = staticmethod(lambda d: None)
M = 500
raws = []
for i in range(M):
    ident = RNS.Identity.from_bytes(bytes([i % 256]) * 32 + i.to_bytes(32, "big"))
    d = RNS.Destination(ident, RNS.Destination.IN, RNS.Destination.SINGLE, "bench", "announce")
    p = d.announce(app_data=b"app", send=False); p.pack(); raws.append(p.raw)
before = len(RNS.Transport.path_table)
t0 = time.perf_counter()
for r in raws: RNS.Transport.inbound(r, a)
dt = time.perf_counter() - t0
print(f"announce validate+insert: {len(RNS.Transport.path_table)-before} of {M} paths added, {dt/M*1e9:.0f} ns/op")

# Memory per path-table entry at 100,000 entries (the announce itself is
# in the reference's disk cache, not in memory).
import tracemalloc, gc
RNS.Transport.path_table = {}
gc.collect()
tracemalloc.start()
s0 = tracemalloc.take_snapshot()
t = time.time()
for i in range(100000):
    h = i.to_bytes(16, "big")
    RNS.Transport.path_table[h] = [t, h, 3, t + 3600, [os.urandom(10)], a, os.urandom(32)]
gc.collect()
s1 = tracemalloc.take_snapshot()
total = sum(st.size_diff for st in s1.compare_to(s0, "filename"))
print(f"path table memory: {total/100000:.0f} B/entry at 100,000 entries (announce cached on disk)")
