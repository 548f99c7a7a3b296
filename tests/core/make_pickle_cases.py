#!/usr/bin/python3
"""Writes pickle_cases.inc: objects pickled by Python's own pickle module at protocols 0-5, each
with the rendering the C++ test expects (computed here, from the Python object, never from our
machine's output). Run: /usr/bin/python3 tests/core/make_pickle_cases.py
"""
import collections
import os
import pickle
import struct


def render(obj):
    if obj is None:
        return "None"
    if obj is True:
        return "True"
    if obj is False:
        return "False"
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, str):
        return "'" + obj + "'"
    if isinstance(obj, (bytes, bytearray)):
        return "b'" + bytes(obj).hex() + "'"
    if isinstance(obj, tuple):
        return "(" + ", ".join(render(x) for x in obj) + ")"
    if isinstance(obj, list):
        return "[" + ", ".join(render(x) for x in obj) + "]"
    if isinstance(obj, (set, frozenset)):
        return "{" + ", ".join(render(x) for x in obj) + "}"
    if isinstance(obj, dict):
        body = "{" + ", ".join(render(k) + ": " + render(v) for k, v in obj.items()) + "}"
        return ("OrderedDict(" + body + ")") if isinstance(obj, collections.OrderedDict) else body
    raise TypeError(type(obj))


def cases():
    shared = [1, 2]
    nested = {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**63 - 1, -2**63],
        "big": [2**64, -2**70, 2**200],
        "floats": [0.0, -0.0, 1.5, 0.1, 1e300, -2.5e-310],
        "text": ["", "ascii", "ключ ✓", "x" * 300],
        "bytes": [b"", b"\x00\xff", bytes(range(256))],
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
        "none_bools": [None, True, False],
        "int_keys": {1: "one", 2: "two"},
        "sets": [{3}, frozenset({4})],
        "aliases": [shared, shared],
        "deep": [[[[["bottom"]]]]],
    }
    ordered = collections.OrderedDict([("w", 1), ("b", 2)])
    many = {f"k{i}": i for i in range(2500)}  # SETITEMS batches of 1000
    for protocol in range(6):
        yield f"nested protocol {protocol}", pickle.dumps(nested, protocol=protocol), render(nested)
        yield f"ordered dict protocol {protocol}", pickle.dumps(ordered, protocol=protocol), render(ordered)
    yield "2500 keys in batches", pickle.dumps(many, protocol=2), render(many)
    import numpy
    scalars = [numpy.float64(1.5), numpy.float32(0.25), numpy.int64(-7), numpy.bool_(True)]
    for protocol in (2, 4):
        yield f"numpy scalars protocol {protocol}", pickle.dumps(scalars, protocol=protocol), render([s.item() for s in scalars])
    yield "bytearray protocol 5", pickle.dumps(bytearray(b"ab"), protocol=5), render(bytearray(b"ab"))
    repeated = {"a": 1}
    yield "dict key set twice", b"\x80\x02}q\x00(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bK\x02X\x01\x00\x00\x00aK\x03u.", render({"a": 3, "b": 2})


def text(s):
    return b"X" + struct.pack("<I", len(s)) + s


# Hostile streams: (name, bytes, substring the error message must contain).
HOSTILE = [
    ("empty", b"", "truncated"),
    ("no stop", b"\x80\x02]", "truncated"),
    ("2^62-byte unicode claim", b"\x80\x04\x8d" + struct.pack("<Q", 1 << 62) + b"abc.", "runs past the end"),
    ("2^62-byte bytes claim", b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"abc.", "runs past the end"),
    ("stack underflow", b"\x80\x02a.", "underflow"),
    ("unknown opcode", b"\x80\x02\xff.", "unknown opcode 0xff"),
    ("memo miss", b"\x80\x02h\x07.", "memo entry 7"),
    ("setitems on a list", b"\x80\x02](K\x01K\x02u.", "SETITEMS"),
    ("tuple without mark", b"\x80\x02K\x01t.", "MARK"),
    ("extension code", b"\x80\x02\x82\x01.", "extension"),
    ("out-of-band buffer", b"\x80\x05\x97.", "out-of-band"),
    ("protocol 9", b"\x80\x09N.", "protocol 9"),
    ("persistent id without loader", b"\x80\x02K\x01Q.", "persistent id"),
    ("huge LONG4", b"\x80\x02\x8b\xff\xff\xff\x7f", "integer of"),
    ("text line without newline", b"I12", "truncated"),
]

# Unsafe globals reached through every opcode that can name or call one: (name, bytes, global).
INERT = [
    ("GLOBAL + REDUCE", b"\x80\x02cposix\nsystem\n" + text(b"true") + b"\x85R.", "posix.system"),
    ("python 2 builtins", b"\x80\x02c__builtin__\neval\n" + text(b"1") + b"\x85R.", "builtins.eval"),
    ("STACK_GLOBAL", b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.", "os.system"),
    ("INST", b"(" + text(b"true") + b"isubprocess\nPopen\n.", "subprocess.Popen"),
    ("OBJ", b"(csubprocess\ncall\n" + text(b"true") + b"o.", "subprocess.call"),
    ("NEWOBJ_EX", b"\x80\x04csubprocess\nPopen\n)}\x92.", "subprocess.Popen"),
    ("BUILD __setstate__", b"\x80\x02cos\n_wrap_close\n)\x81}" + text(b"a") + b"K\x01sb.", "os._wrap_close"),
    ("marshal + FunctionType", b"\x80\x02ctypes\nFunctionType\ncmarshal\nloads\nC\x01\x00\x85R}\x86R.", "types.FunctionType"),
]

# Streams whose shape a test checks by hand.
SHAPES = [
    ("memo alias", b"\x80\x02]q\x00(]q\x01K\x07ah\x01e.", ""),
    ("ordered dict with _metadata", b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01" + text(b"w") + b"K\x01s}" + text(b"_metadata") + b"}sb.", ""),
    ("two pickles back to back", b"\x80\x02K\x05.\x80\x02K\x06.", ""),
]


def c_string(data):
    return '"' + "".join(f"\\x{b:02x}" for b in data) + '"'


def write(path, rows):
    with open(path, "w") as f:
        f.write("// Generated by make_pickle_cases.py. Do not edit.\n")
        for name, data, expected in rows:
            escaped = expected.replace("\\", "\\\\").replace('"', '\\"')
            f.write(f'{{"{name}", QByteArray({c_string(data)}, {len(data)}), QStringLiteral("{escaped}")}},\n')


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write(os.path.join(here, "pickle_cases.inc"), cases())
    write(os.path.join(here, "pickle_hostile.inc"), HOSTILE)
    write(os.path.join(here, "pickle_inert.inc"), INERT)
    write(os.path.join(here, "pickle_shapes.inc"), SHAPES)


if __name__ == "__main__":
    main()
