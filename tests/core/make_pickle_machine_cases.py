#!/usr/bin/python3
"""Writes pickle_machine_cases.inc for tst_pickle_machine: objects pickled by CPython's own `pickle`
module at every protocol (0-5), each with the text the test expects our machine to rebuild.

The expected text is rendered here from the Python object, never from our C++ code, in the
same canonical notation the test's renderer uses:

  None True False 12 -3 1.5 inf nan        ints in decimal, floats as Python's repr()
  complex(1.0, 2.0)                        complex numbers
  'text' b'bytes'                          only printable ASCII is literal; everything else is
                                           \\xNN, \\uNNNN or \\UNNNNNNNN (bytes: \\xNN)
  (1,) [1, 2] {k: v}                       tuple, list, dict in order
  {1, 2} frozenset({1}) set()              set items sorted by their rendering
  OrderedDict({...}) with {...}            class-named dicts, then their attributes if any
  slice(1, 2, None)
  [...]                                    a container already on the current path (a cycle)

Run it with Debian's /usr/bin/python3 from the repository root:
  tests/core/make_pickle_machine_cases.py > tests/core/pickle_machine_cases.inc
"""

import collections
import io
import os
import pickle
import sys


# ---- the canonical rendering ---------------------------------------------------------------------

def quote(text):
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append("\\x%02x" % code)
        elif code <= 0xFFFF:
            out.append("\\u%04x" % code)
        else:
            out.append("\\U%08x" % code)
    return "'" + "".join(out) + "'"


def quote_bytes(data):
    out = []
    for byte in data:
        ch = chr(byte)
        if ch in "\\'":
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append("\\x%02x" % byte)
    return "b'" + "".join(out) + "'"


class Persistent:
    """Stands for an object pickled by persistent id; the test's loader returns
    ('persistent', pid) for it."""

    def __init__(self, pid):
        self.pid = pid


def render(obj, path=()):
    if obj is None or obj is True or obj is False:
        return repr(obj)
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, complex):
        return "complex(%r, %r)" % (obj.real, obj.imag)
    if isinstance(obj, str):
        return quote(obj)
    if isinstance(obj, (bytes, bytearray)):
        return quote_bytes(bytes(obj))
    if isinstance(obj, slice):
        return "slice(%s, %s, %s)" % (render(obj.start), render(obj.stop), render(obj.step))
    if isinstance(obj, Persistent):
        return render(("persistent", obj.pid), path)
    brackets = {tuple: "()", list: "[]", dict: "{}", set: "{}", frozenset: "{}"}
    kind = next((k for k in brackets if isinstance(obj, k)), None)
    if kind is None:
        raise TypeError("no rendering for %r" % type(obj))
    if id(obj) in path:
        return brackets[kind][0] + "..." + brackets[kind][1]
    inner = path + (id(obj),)
    if kind is tuple:
        items = [render(item, inner) for item in obj]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if kind is list:
        return "[" + ", ".join(render(item, inner) for item in obj) + "]"
    if kind is dict:
        text = "{" + ", ".join("%s: %s" % (render(k, inner), render(v, inner)) for k, v in obj.items()) + "}"
        if type(obj) is not dict:
            text = "%s(%s)" % (type(obj).__name__, text)
            if vars(obj):
                text += " with " + render(dict(vars(obj)), inner)
        return text
    items = sorted(render(item, inner) for item in obj)
    if kind is set:
        return "{" + ", ".join(items) + "}" if items else "set()"
    return "frozenset({" + ", ".join(items) + "})" if items else "frozenset()"


# ---- the objects -----------------------------------------------------------------------------------

def scalars(protocol):
    return [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
            2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64, 10**30, -(10**30), 0x1950A86A20F9469CFC6C,
            -(2**200) + 12345]


def floats(protocol):
    return [0.0, -0.0, 1.5, 0.1, 100.0, 1e15, 1e16, 1e-05, 0.0001, 123456789.125, 5e-324,
            1.7976931348623157e308, float("inf"), float("-inf"), float("nan"), 1 / 3, 1e22, 2.5e-08, -7.25]


def strings(protocol):
    return ["", "ascii", "quote ' and \"", "back\\slash", "new\nline\r\ttab", "nul\x00end", "\x1a",
            "literal \\u0041 escape", "\\\\u0041", "\u00e9 \u00fc \u00df", "\u65e5\u672c\u8a9e",
            "\U0001f600 astral", "x" * 300]


def byte_strings(protocol):
    return [b"", b"\x00\x01\xff", b"abc", bytes(range(256)), bytearray(b"xy"), bytearray()]


def nested(protocol):
    return {"a": [1, (2, 3), {"b": None}], "c": (), "d": (1,), "e": [[[]]], "f": {}, "t3": (1, 2, 3),
            "t4": (1, 2, 3, 4), 7: "int key", (1, 2): "tuple key", None: "none key", 2.5: "float key",
            b"k": "bytes key"}


def sets(protocol):
    return [set(), {1, 2, 3}, frozenset(), frozenset({"a", "b"}), {(1, 2)}, {None, "x"}]


def complexes(protocol):
    return [complex(1, 2), complex(-0.5, 0), complex(0, -1e300)]


def big_dict(protocol):  # more than CPython's 1000 items per SETITEMS/APPENDS batch
    return {i: None for i in range(1001)}


def big_list(protocol):
    return list(range(1001)) + [[i] for i in range(3)]


def deep(protocol):
    value = []
    for _ in range(150):
        value = [value]
    return value


def recursive(protocol):
    outer = [1]
    outer.append(outer)
    cycle = {"self": None}
    cycle["self"] = cycle
    return [outer, cycle]


def state_dict(protocol):
    sd = collections.OrderedDict([("conv.weight", 1), ("conv.bias", 2), ("bn.num_batches_tracked", 3)])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 1}), ("bn", {"version": 2})])
    return {"state_dict": sd, "epoch": 3, "plain": collections.OrderedDict()}


def counters(protocol):
    return [collections.Counter({"a": 2, "b": 1}), collections.Counter()]


def slices(protocol):
    return [slice(1, 10, 2), slice(None, 5, None), slice("a", None, -1)]


def persistent(protocol):
    # Protocol 0 writes persistent ids as text lines, so they must be ASCII strings there.
    if protocol == 0:
        return [Persistent("storage-0"), Persistent("storage-1"), Persistent("storage-0")]
    return [Persistent(("storage", "0", 4)), {"w": Persistent(("storage", "1", 2))}, Persistent("text-id")]


def shared(protocol):
    item = {"k": [1, "shared"]}
    return [item, item, (item,)]


ALL = range(0, pickle.HIGHEST_PROTOCOL + 1)

# (name, object for a protocol, protocols). The batched cases are big, so they are written only
# in a few protocols (text, binary, binary with framing).
CASES = [
    ("scalars", scalars, ALL), ("floats", floats, ALL), ("strings", strings, ALL),
    ("bytes", byte_strings, ALL), ("nested containers", nested, ALL), ("sets", sets, ALL),
    ("complex numbers", complexes, ALL), ("batched dict", big_dict, (0, 4)),
    ("batched list", big_list, (2,)), ("150 nested lists", deep, ALL),
    ("recursive containers", recursive, ALL), ("state dict with _metadata", state_dict, ALL),
    ("counters", counters, ALL), ("slices", slices, ALL), ("persistent ids", persistent, ALL),
    ("shared values", shared, ALL),
]

# Pickles whose values must alias through the memo: root[0] is root[1].
ALIAS_CASES = [("shared dict", shared, ALL)]


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Persistent) else None


def dumps(obj, protocol):
    buffer = io.BytesIO()
    Pickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


# ---- C++ output -------------------------------------------------------------------------------------

def c_literal(data, width=76):
    """Adjacent C string literals; octal escapes are always three digits, so they never swallow
    a following digit."""
    chunks, line = [], ""
    for byte in data:
        ch = chr(byte)
        piece = ch if 0x20 <= byte < 0x7F and ch not in '"\\?' else "\\%03o" % byte
        if len(line) + len(piece) > width:
            chunks.append('"%s"' % line)
            line = ""
        line += piece
    chunks.append('"%s"' % line)
    return "\n     ".join(chunks)


def main():
    # Sets pickle in iteration order, which for strings depends on the hash seed: fix it so that
    # the output is the same on every run.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    out = sys.stdout
    out.write("// Generated by tests/core/make_pickle_machine_cases.py with Python %s's pickle module. Do not edit.\n"
              % sys.version.split()[0])
    out.write("// Each row: name, protocol, the pickle's bytes and size, and the rendering of the Python object.\n\n")
    out.write("static const GeneratedCase kGeneratedCases[] = {\n")
    for name, make, protocols in CASES:
        for protocol in protocols:
            obj = make(protocol)
            data = dumps(obj, protocol)
            expected = render(obj).encode("ascii")
            out.write('    {"%s, protocol %d", %d,\n     %s,\n     %d,\n     %s},\n'
                      % (name, protocol, protocol, c_literal(data), len(data), c_literal(expected)))
    out.write("};\n\n")
    out.write("static const GeneratedCase kAliasCases[] = {\n")
    for name, make, protocols in ALIAS_CASES:
        for protocol in protocols:
            obj = make(protocol)
            data = dumps(obj, protocol)
            out.write('    {"%s, protocol %d", %d,\n     %s,\n     %d,\n     %s},\n'
                      % (name, protocol, protocol, c_literal(data), len(data), c_literal(render(obj).encode("ascii"))))
    out.write("};\n")


if __name__ == "__main__":
    main()
