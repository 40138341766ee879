# Regenerates the libbz2-compressed samples the tests read, with the
# bz2 module of CPython (libbz2): python3 gen.py
import bz2, hashlib, random

r = random.Random(4)
words = [b"the ", b"quick ", b"brown ", b"fox ", b"jumps ", b"over ", b"lazy ", b"dog ", b"reticulum ", b"mehr\n"]

def text(n):
    out = bytearray()
    while len(out) < n:
        out += r.choice(words)
    return bytes(out[:n])

cases = {
    "empty": (b"", 9),
    "byte": (b"a", 9),
    "runs": (b"".join(bytes([c]) * k for c, k in [(97, 4), (98, 5), (99, 255), (100, 256), (101, 259), (102, 1000), (0, 3), (0, 4)]), 9),
    "text-multiblock": (text(250_000), 1),
    "zeros-1MB": (bytes(1 << 20), 9),
    "binary": (bytes(r.getrandbits(8) & 0x0F for _ in range(20000)), 9),
}
with open("SHA256SUMS", "w") as f:
    for name, (data, level) in cases.items():
        open(name + ".bz2", "wb").write(bz2.compress(data, level))
        f.write("%s  %s %d\n" % (hashlib.sha256(data).hexdigest(), name, len(data)))
    # Two streams back to back.
    a, b = text(3000), b"second stream"
    open("concat.bz2", "wb").write(bz2.compress(a) + bz2.compress(b))
    f.write("%s  %s %d\n" % (hashlib.sha256(a + b).hexdigest(), "concat", len(a + b)))
