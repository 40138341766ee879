#!/usr/bin/env python3
# Generates configobj_vectors.json: how the configuration parser vendored in
# the Python reference (RNS/vendor/configobj.py, Reticulum 1.4.2) reads a set
# of hand-picked and random documents. TestConfigObjVectors checks the Go
# parser against it.
#
# Usage: python3 gen_configobj_vectors.py /path/to/Reticulum > configobj_vectors.json
import importlib.util
import json
import random
import sys

spec = importlib.util.spec_from_file_location("configobj", sys.argv[1] + "/RNS/vendor/configobj.py")
co = importlib.util.module_from_spec(spec)
spec.loader.exec_module(co)


def tree(sec):
    return {"scalars": [[k, dict.__getitem__(sec, k)] for k in sec.scalars],
            "sections": [[k, tree(sec[k])] for k in sec.sections]}


def interpolated(sec, prefix, out):
    for k in sec.scalars:
        try:
            out[prefix + k] = sec[k]
        except Exception:
            out[prefix + k] = "!error"
    for k in sec.sections:
        interpolated(sec[k], prefix + k + "/", out)


def parse(text):
    try:
        c = co.ConfigObj(text.split("\n"))
    except co.ConfigObjError as e:
        errs = getattr(e, "errors", None) or [e]
        return {"error": errs[0].line_number}
    values = {}
    interpolated(c, "", values)
    return {"tree": tree(c), "values": values}


handpicked = [
    "k = a, b", "k = a,", "k = ,", "k = , # c", "k = \"a, b\"", "k = 'a' , \"b\"", "k = a # c", "k = a#c",
    "k = \"a#b\"", "k = \"a\"b\"", "k = it's", "k = \"\"", "k = ", "k = a,,b", "k = ,a", "k = a, \"b",
    "k = \"\"\"x\"\"\"", "k = '''a\nb\nc''' # d", "k = \"\"\"a", "[a]\n[[b]]\n[[[c]]]\nk = v", "[[a]]",
    "[a]\n[[[b]]]", "[a]\n[a]", "k = 1\nk = 2", "[ [ a ] ]", "[a]]", "[\"a b\"]", "[a] # c", "[]", "[]]",
    "\"q k\" = v", "  = v", "= v", "k", "k = %(a)s\na = b", "k = %(k)s", "k = %(x)s", "k = 100%",
    "[s]\nk = %(a)s\n[[DEFAULT]]\na = d", "a = top\n[s]\nk = %(a)s", "k = %(a)s, %(a)s\na = v",
]

rnd = random.Random(1)
toks = ['a', 'b', ' ', ',', '"', "'", '#', '=', '[', ']', 'x y', '"""', "'''", '\t', '\u00a0']
itoks = ['x', '%(a)s', '%(k)s', '%(b)s', '%(', ')s', '%', ' ', ',', 'a']


def rline(tk, n):
    return "".join(rnd.choice(tk) for _ in range(rnd.randint(0, n)))


docs = list(handpicked)
for i in range(400):
    docs.append("k = " + rline(toks, 10))
for i in range(200):
    docs.append("\n".join(rline(toks, 10) for _ in range(rnd.randint(1, 3))))
for i in range(250):
    docs.append("a = %s\n[s]\nk = %s\n  [[DEFAULT]]\n  b = %s\n  [[t]]\n  k = %s" %
                tuple(rline(itoks, 4) for _ in range(4)))

sys.stdout.write("[\n" + ",\n".join(json.dumps({"text": d, "want": parse(d)}, ensure_ascii=True) for d in docs) + "\n]\n")
