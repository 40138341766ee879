#!/usr/bin/env python3
"""Time the Python reference on the operations `make bench` measures, so
docs/PERFORMANCE.md can put the two side by side on the same machine.

Usage: python3 scripts/bench/reference.py /path/to/Reticulum
Uses only local computation; no network, no Reticulum instance.
"""
import os
import sys
import timeit

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else ".")
import RNS  # noqa: E402
from RNS.Cryptography import Token  # noqa: E402


def per_op(stmt, number):
    best = min(timeit.repeat(stmt, number=number, repeat=3))
    return best / number * 1e9


def main():
    # Destinations register with a running Transport; there is none here.
    RNS.Transport.register_destination = staticmethod(lambda d: None)
    ident = RNS.Identity.from_bytes(bytes(range(64)))
    dest = RNS.Destination(ident, RNS.Destination.IN, RNS.Destination.SINGLE, "example_utilities", "announcesample", "fruits")
    announce = dest.announce(app_data=b"Fruit seller: apples, pears", send=False)
    announce.pack()
    raw_announce = announce.raw

    # A 200-byte SINGLE DATA packet, as BenchmarkDecodeHash uses.
    raw_data = bytes([0, 0]) + dest.hash + bytes([0]) + os.urandom(200)

    def decode_hash():
        p = RNS.Packet(None, raw_data)
        p.unpack()

    def validate():
        p = RNS.Packet(None, raw_announce)
        p.unpack()
        assert RNS.Identity.validate_announce(p, only_validate_signature=True)

    token = Token(os.urandom(64))
    plaintext = os.urandom(464)
    tok = token.encrypt(plaintext)

    rows = [
        ("packet decode+hash (200 B payload)", per_op(decode_hash, 20000)),
        ("announce validation", per_op(validate, 500)),
        ("Token encrypt 464 B", per_op(lambda: token.encrypt(plaintext), 5000)),
        ("Token decrypt 464 B", per_op(lambda: token.decrypt(tok), 5000)),
    ]
    print(f"Python {sys.version.split()[0]}, RNS {RNS._version.__version__}")
    for name, ns in rows:
        print(f"{name:40s} {ns:12.0f} ns/op")


if __name__ == "__main__":
    main()
