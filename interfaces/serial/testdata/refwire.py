# Runs the Python reference's KISSInterface and SerialInterface write and
# read code against a fake port and prints what they write and deliver.
# Used by the drivers' reference tests: PYTHONPATH=<reference> python3
# refwire.py < request.json. pyserial is not needed; the port is a fake.
import json
import sys

import RNS.Interfaces.KISSInterface as K
import RNS.Interfaces.SerialInterface as S


class FakePort:
    def __init__(self, data=b""):
        self.written = b""
        self.data = data
        self.is_open = True

    def write(self, b):
        self.written += b
        return len(b)

    @property
    def in_waiting(self):
        if not self.data:
            self.is_open = False
            return 0
        return len(self.data)

    def read(self, n):
        b, self.data = self.data[:n], self.data[n:]
        return b

    def close(self):
        self.is_open = False


class Owner:
    def __init__(self):
        self.got = []

    def inbound(self, data, iface):
        self.got.append(data.hex())


def instance(cls, port, owner):
    i = cls.__new__(cls)
    i.serial, i.owner, i.online, i.txb, i.rxb = port, owner, True, 0, 0
    i.HW_MTU, i.timeout, i.name = 564, 100, "ref"
    i.packet_queue, i.interface_ready = [], True
    i.reconnect_port = lambda: None
    return i


req = json.load(sys.stdin)
out = {}

# KISS: the setup commands configure_device writes, then data frames.
port, owner = FakePort(), Owner()
k = instance(K.KISSInterface, port, owner)
k.flow_control, k.interface_ready, k.beacon_d, k.first_tx, k.packet_queue = False, True, b"", None, []
t = req["tnc"]
k.setPreamble(t["preamble"])
k.setTxTail(t["txtail"])
k.setPersistence(t["persistence"])
k.setSlotTime(t["slottime"])
k.setFlowControl(False)
out["kiss_setup"] = port.written.hex()
port.written = b""
out["kiss_frames"] = []
for p in req["packets"]:
    k.process_outgoing(bytes.fromhex(p))
    out["kiss_frames"].append(port.written.hex())
    port.written = b""

# Serial: HDLC frames.
port = FakePort()
s = instance(S.SerialInterface, port, owner)
out["hdlc_frames"] = []
for p in req["packets"]:
    s.process_outgoing(bytes.fromhex(p))
    out["hdlc_frames"].append(port.written.hex())
    port.written = b""

# Readers: what each delivers from a byte stream.
for name, cls in (("kiss_read", K.KISSInterface), ("hdlc_read", S.SerialInterface)):
    owner = Owner()
    i = instance(cls, FakePort(bytes.fromhex(req[name])), owner)
    i.flow_control, i.beacon_i, i.beacon_d, i.first_tx = False, None, b"", None
    i.readLoop()
    out[name] = owner.got

json.dump(out, sys.stdout)
