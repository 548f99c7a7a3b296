#!/usr/bin/python3
"""The hostile corpus, and torch's own weights_only verdict on every fixture.

Run with Debian's /usr/bin/python3 (python3-torch 1.13):

    /usr/bin/python3 tests/data/hostile/make_hostile_fixtures.py

1. Writes tests/data/hostile/*: pickles written opcode by opcode (never by pickling live objects)
   whose payloads would create /tmp/statelens-canary-<stem> if anything ran them; zip archives
   with compressed, duplicate, escaping and lying records; safetensors files that each break one
   rule of the format. Every file is under 64 KiB.
2. Records, for every file of the corpus and every fixture under tests/data, what
   torch.load(f, weights_only=True) does (it loads, or the exception and its message) in
   tests/data/hostile/weights_only_expected.json. Each load runs in a forked child under a memory
   limit and a timeout; the hostile files are only ever given to the weights-only unpickler, which
   refuses their globals before calling anything. The script fails if any canary exists afterwards.
3. Writes tests/data/hostile/manifest.json: per hostile file, the unsafe globals we must list and
   whether opening must succeed (a safe listing) or fail with a clear error.
"""

import glob
import importlib.util
import io
import json
import marshal
import os
import pickletools
import resource
import signal
import struct
import sys
import warnings
import zipfile
import zlib

import torch

warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
CANARY = "/tmp/statelens-canary-"

spec = importlib.util.spec_from_file_location("generate_fixtures", os.path.join(DATA, "generate_fixtures.py"))
gf = importlib.util.module_from_spec(spec)
saved_argv = sys.argv
sys.argv = [sys.argv[0]]
spec.loader.exec_module(gf)
sys.argv = saved_argv
PickleWriter, write_torch_zip, write_legacy, st_pack = gf.PickleWriter, gf.write_torch_zip, gf.write_legacy, gf.st_pack

WEIGHT = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
MANIFEST = {}  # stem+ext -> {"attack": ..., "open": "ok"|"error", "error": substring, "unsafe": [...]}


def canary(stem):
    return CANARY + stem


def path_of(name):
    return os.path.join(HERE, name)


def record(name, attack, open_ok, unsafe=(), error=None, reads_differently=False):
    assert os.path.getsize(path_of(name)) < 64 * 1024, name
    MANIFEST[name] = {"attack": attack, "open": "ok" if open_ok else "error", "error": error, "unsafe": sorted(unsafe),
                      "reads_differently": reads_differently}


# ---- pickles ---------------------------------------------------------------------------------

def with_weight(payload, protocol=2, key="0", check=True):
    """{'weight': tensor(2x3), 'payload': <payload>}: a real tensor beside the attack."""
    pw = PickleWriter(protocol)
    pw.raw(b"}").memoize().mark()
    pw.str("weight").tensor_v2("FloatStorage", key, 6, 0, (2, 3), (3, 1))
    pw.str("payload")
    payload(pw)
    pw.raw(b"u.")
    data = pw.bytes()
    if check:
        pickletools.dis(data, out=io.StringIO())  # marks and stack effects are sound
    return data


def zip_with(stem, data_pkl, attack, open_ok=True, unsafe=(), error=None, extra=(), reads_differently=False):
    name = stem + ".pt"
    write_torch_zip(path_of(name), [("data.pkl", data_pkl), ("data/0", WEIGHT)] + list(extra))
    record(name, attack, open_ok, unsafe, error, reads_differently)


def touch(stem):
    return "touch " + canary(stem)


def open_code(stem):
    return "open(%r, 'w').close()" % canary(stem)


def pickles():
    s = "global_os_system"
    zip_with(s, with_weight(lambda pw: pw.glob("os", "system").str(touch(s)).raw(b"\x85R")),
             "GLOBAL os.system + REDUCE", unsafe=["os.system"])
    s = "global_eval"
    zip_with(s, with_weight(lambda pw: pw.glob("builtins", "eval").str(open_code(s)).raw(b"\x85R")),
             "GLOBAL builtins.eval + REDUCE", unsafe=["builtins.eval"])
    s = "global_exec"
    zip_with(s, with_weight(lambda pw: pw.glob("builtins", "exec").str(open_code(s)).raw(b"\x85R")),
             "GLOBAL builtins.exec + REDUCE", unsafe=["builtins.exec"])
    s = "subprocess_run"
    zip_with(s, with_weight(lambda pw: pw.glob("subprocess", "run").raw(b"]").mark().str("touch").str(canary(s))
                            .raw(b"e\x85R")),
             "GLOBAL subprocess.run + REDUCE", unsafe=["subprocess.run"])
    s = "stack_global_system"
    zip_with(s, with_weight(lambda pw: pw.glob("posix", "system").str(touch(s)).raw(b"\x85R"), protocol=4),
             "protocol 4 STACK_GLOBAL posix.system (module and name from the memo)", unsafe=["posix.system"])
    s = "inst_system"
    zip_with(s, with_weight(lambda pw: pw.mark().str(touch(s)).raw(b"ios\nsystem\n")),
             "INST os.system (protocol 0 call of a class-like)", unsafe=["os.system"])
    s = "obj_popen"
    zip_with(s, with_weight(lambda pw: pw.mark().glob("subprocess", "Popen").raw(b"]").mark().str("touch")
                            .str(canary(s)).raw(b"eo")),
             "OBJ subprocess.Popen", unsafe=["subprocess.Popen"])
    code = marshal.dumps(compile(open_code("marshal_function"), "<hostile>", "exec"))  # marshalled, never run
    s = "marshal_function"

    def marshal_payload(pw):
        # types.FunctionType(marshal.loads(code), {})() : a function made from bytes, then called
        pw.glob("types", "FunctionType").glob("marshal", "loads").raw(b"C" + bytes([len(code)]) if len(code) < 256
                                                                          else b"B" + struct.pack("<I", len(code)))
        pw.raw(code).raw(b"\x85R").raw(b"}").raw(b"\x86R").raw(b")R")
    zip_with(s, with_weight(marshal_payload, protocol=3), "marshal.loads + types.FunctionType, then the function called",
             unsafe=["types.FunctionType", "marshal.loads"])
    s = "newobj_popen"
    zip_with(s, with_weight(lambda pw: pw.glob("subprocess", "Popen").raw(b"]").mark().str("touch").str(canary(s))
                            .raw(b"e\x85\x81")),
             "NEWOBJ subprocess.Popen", unsafe=["subprocess.Popen"])
    s = "newobj_ex_partial"
    zip_with(s, with_weight(lambda pw: pw.glob("functools", "partial").glob("posix", "system").str(touch(s))
                            .raw(b"\x86}\x92)R"), protocol=4),
             "NEWOBJ_EX functools.partial(posix.system, ...) then called", unsafe=["functools.partial", "posix.system"])
    s = "build_setstate"
    zip_with(s, with_weight(lambda pw: pw.glob("argparse", "Namespace").raw(b")\x81").none().raw(b"}")
                            .str("__setstate__").glob("posix", "system").raw(b"s\x86b").str(touch(s)).raw(b"b")),
             "BUILD installs __setstate__ = posix.system, a second BUILD calls it",
             unsafe=["argparse.Namespace", "posix.system"])
    s = "newobj_allowed_class"
    zip_with(s, with_weight(lambda pw: pw.glob("collections", "OrderedDict").raw(b")\x81")),
             "NEWOBJ of an allowed class other than Parameter (torch's NEWOBJ rule)")
    s = "build_on_dict"
    zip_with(s, with_weight(lambda pw: pw.raw(b"}").raw(b"}").str("__class__").str("x").raw(b"sb")),
             "BUILD on a plain dict (torch's BUILD rule)")
    s = "append_to_dict"
    zip_with(s, with_weight(lambda pw: pw.raw(b"}").none().raw(b"a")), "APPEND to a dict (torch's APPEND rule)",
             open_ok=False, error="APPEND")
    s = "reduce_string"
    zip_with(s, with_weight(lambda pw: pw.str("os.system").str(touch(s)).raw(b"\x85R")),
             "REDUCE of a str naming os.system (no GLOBAL at all)")
    s = "persid_int"
    zip_with(s, with_weight(lambda pw: pw.int(7).raw(b"Q")), "BINPERSID of an int", open_ok=False, error="persistent")
    s = "persid_module"
    zip_with(s, with_weight(lambda pw: pw.str("module").str("x").raw(b"\x86Q")),
             "BINPERSID of a ('module', ...) id", open_ok=False, error="persistent")
    s = "recursive_list"
    zip_with(s, with_weight(lambda pw: pw.raw(b"]q\x07h\x07a")), "a list that contains itself (memo)")
    s = "recursive_dict"
    zip_with(s, with_weight(lambda pw: pw.raw(b"}q\x07").str("self").raw(b"h\x07s")), "a dict that contains itself")

    def laughs(pw):
        # level 0 = [weight]; level k = [level k-1, level k-1] (one list, memoized, referenced twice):
        # 40 levels nested in place, 2^40 paths to one tensor in a few hundred bytes
        def level(k):
            pw.raw(b"]").mark()
            if k == 0:
                pw.tensor_v2("FloatStorage", "0", 6, 0, (2, 3), (3, 1))
            else:
                level(k - 1)
                index = struct.pack("<I", 1000 + k - 1)
                pw.raw(b"r" + index + b"j" + index)
            pw.raw(b"e")
        level(40)
    s = "memo_laughs"
    zip_with(s, with_weight(laughs), "billion laughs: 40 levels of memo references, 2^40 paths to one tensor")
    s = "memo_missing"
    zip_with(s, with_weight(lambda pw: pw.raw(b"j" + struct.pack("<I", 123456)), check=False), "BINGET of a memo entry never put",
             open_ok=False, error="memo")
    s = "memo_huge_index"
    zip_with(s, with_weight(lambda pw: pw.none().raw(b"r\xff\xff\xff\xff").raw(b"j\xff\xff\xff\xff").raw(b"\x86")),
             "LONG_BINPUT/LONG_BINGET at index 2^32-1")
    # legacy layout: the magic/protocol/sys_info pickles, the object, the keys, the storages
    s = "legacy_eval"
    obj = PickleWriter(2)
    obj.raw(b"}").mark().str("weight").tensor_v2("FloatStorage", "140230000000064", 6, 0, (2, 3), (3, 1), legacy=True)
    obj.str("payload").glob("__builtin__", "eval").str(open_code(s)).raw(b"\x85R").raw(b"u.")
    write_legacy(path_of(s + ".pt"), obj.bytes(), [("140230000000064", 4, WEIGHT)])
    record(s + ".pt", "legacy layout, protocol 2 object pickle calling __builtin__.eval", True, ["builtins.eval"])


# ---- zip containers --------------------------------------------------------------------------

def benign_pickle():
    return with_weight(lambda pw: pw.none())


def zipfile_archive(name, entries, compress=()):
    """Python's zipfile (no 64-byte alignment): [(name, bytes)], names in `compress` deflated, and
    the `version` record torch 1.13's reader insists on."""
    with zipfile.ZipFile(path_of(name), "w") as z:
        for entry, data in list(entries) + [("archive/version", b"3\n")]:
            info = zipfile.ZipInfo(entry)
            info.compress_type = zipfile.ZIP_DEFLATED if entry in compress else zipfile.ZIP_STORED
            z.writestr(info, data)


def patch_sizes(name, entry, compressed=None, uncompressed=None):
    """Rewrites the sizes of `entry` in its local header and central directory record."""
    data = bytearray(open(path_of(name), "rb").read())
    raw = entry.encode()
    for sig, size_at, name_len_at, header in ((b"PK\x03\x04", 18, 26, 30), (b"PK\x01\x02", 20, 28, 46)):
        at = 0
        while True:
            at = data.find(sig, at)
            if at < 0:
                break
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + header:at + header + n] == raw:
                if compressed is not None:
                    struct.pack_into("<I", data, at + size_at, compressed)
                if uncompressed is not None:
                    struct.pack_into("<I", data, at + size_at + 4, uncompressed)
            at += 4
    open(path_of(name), "wb").write(bytes(data))


def zip64_lie(name, entry, uncompressed):
    """Gives `entry`'s central record a ZIP64 extra field claiming `uncompressed` bytes."""
    data = bytearray(open(path_of(name), "rb").read())
    raw = entry.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        n, m, k = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + n] == raw:
            extra = struct.pack("<HHQ", 1, 8, uncompressed)
            struct.pack_into("<I", data, at + 24, 0xFFFFFFFF)
            struct.pack_into("<H", data, at + 30, m + len(extra))
            data[at + 46 + n + m:at + 46 + n + m] = extra
            # the end records point after the central directory: it grew by len(extra)
            eocd = data.rfind(b"PK\x05\x06")
            size = struct.unpack_from("<I", data, eocd + 12)[0]
            struct.pack_into("<I", data, eocd + 12, size + len(extra))
            break
        at = data.find(b"PK\x01\x02", at + 4)
    open(path_of(name), "wb").write(bytes(data))


class _Stand:
    """What the recording unpickler hands out for every global and persistent id: calling it,
    setting its state and filling it do nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Stand()

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def __setitem__(self, key, value):
        pass


def cpython_file_globals(data, loads=1):
    """The globals CPython's C Unpickler reaches reading `data` from io.BytesIO, the way torch.load
    reads data.pkl, for `loads` pickles in a row (a second pickle.load on the same stream). Its
    find_class records the name and hands out _Stand: nothing is imported or run. The truth for the
    readings our scan sweeps without running (reads across a FRAME's end, bytes after STOP)."""
    import _pickle
    names = []

    class Recorder(_pickle.Unpickler):
        def find_class(self, module, name):
            names.append(module + "." + name)
            return _Stand

        def persistent_load(self, pid):
            return _Stand()

    stream = io.BytesIO(data)
    try:
        for _ in range(loads):
            Recorder(stream).load()
    except Exception:  # noqa: BLE001 - what was reached before the error is the answer
        pass
    return names


def frames():
    """Pickles that CPython's unpicklers read differently (python/cpython#154848). The straddle
    follows trailofbits/fickling test/test_bypasses.py::test_frame_boundary_divergence (commit
    99464b5): a FRAME of 2 bytes holds BINBYTES and the first byte of its length. Read linearly
    (pickletools, a frame-ignoring reader) the length is 0x107 and the call is inert bytes; _pickle.c
    before 3.13.15/3.14.7 reading a file (torch.load wraps data.pkl in io.BytesIO) drops the rest of
    the frame, reads the length 1 from after it and runs the GLOBAL/REDUCE that follows. No global
    is listed: the scan must still refuse to call the file safe. fickling's 128 KiB padding (which
    defeats a peeking file object's buffer) is left out: io.BytesIO does not peek."""
    s = "frame_straddle_system"
    hidden = b"cposix\nsystem\nV" + touch(s).encode() + b"\n\x85R"
    straddle = (b"(\x95" + struct.pack("<Q", 2) + b"B\x07\x01\x00\x00" + b"\x00\x00"
                + (hidden + b"(").ljust(256 + 5, b"N") + b"1N")
    data = with_weight(lambda pw: pw.raw(straddle))
    assert "posix.system" in cpython_file_globals(data), "this Python's _pickle no longer reads across frames"
    assert sys.version_info < (3, 13), "regenerate with a Python whose _pickle reads across frames (Debian 12's 3.11)"
    zip_with(s, data, "BINBYTES' length straddles a FRAME's end: old _pickle.c reads a hidden posix.system (fickling)",
             unsafe=["posix.system"], reads_differently=True)
    s = "frame_reopened"
    reopened = b"(\x95" + struct.pack("<Q", 11) + b"N\x95" + struct.pack("<Q", 2) + b"N1N"
    zip_with(s, with_weight(lambda pw: pw.raw(reopened)),
             "a FRAME starts before the previous frame is used up (pickle.py refuses it)", reads_differently=True)


def differentials():
    """Files that readers take differently (issue 24 item 1, docs/scan-differentials.md): each
    opens, lists its tensor, and is never called safe."""
    # A memo key stored twice: CPython keeps the later value, pickletools refuses.
    s = "memo_key_twice"
    data = with_weight(lambda pw: pw.str("first").raw(b"q\x07" + b"0").str("second").raw(b"q\x07"), check=False)
    try:
        pickletools.dis(data, out=io.StringIO())
        sys.exit("pickletools accepted a memo key stored twice")
    except ValueError:
        pass
    zip_with(s, data, "BINPUT 7 twice (pickletools refuses, CPython keeps the later value)", reads_differently=True)
    # PROTO in the middle: CPython switches protocols there.
    s = "proto_not_first"
    zip_with(s, with_weight(lambda pw: pw.raw(b"\x80\x02N")), "a second PROTO after the first opcodes", reads_differently=True)
    # A second pickle after data.pkl's STOP: torch.load never reads it, a second pickle.load does.
    s = "pickle_after_stop"
    second = PickleWriter(2).glob("posix", "system").str(touch(s)).raw(b"\x85R.").bytes()
    data = benign_pickle() + second
    reached = cpython_file_globals(data, loads=2)
    assert "posix.system" in reached and "posix.system" not in cpython_file_globals(data, loads=1), reached
    zip_with(s, data, "a second pickle after data.pkl's STOP calls posix.system (a second pickle.load runs it)",
             unsafe=["posix.system"], reads_differently=True)
    # A deflated data.pkl whose CRC is wrong: torch's miniz (no CRC checks) reads it, zipfile refuses.
    s = "zip_bad_crc"
    name = s + ".pt"
    zipfile_archive(name, [("archive/data.pkl", with_weight(lambda pw: pw.glob("posix", "system").str(touch(s)).raw(b"\x85R"))),
                           ("archive/data/0", WEIGHT)], compress={"archive/data.pkl"})
    patch_crc(name, "archive/data.pkl")
    try:
        zipfile.ZipFile(path_of(name)).read("archive/data.pkl")
        sys.exit("zipfile read a record whose CRC is wrong")
    except zipfile.BadZipFile:
        pass
    record(name, "deflated data.pkl with a wrong CRC calling posix.system (torch reads it, zipfile refuses)", True,
           unsafe=["posix.system"], reads_differently=True)
    # General-purpose flag 0x20 (compressed patched data) on data.pkl: zipfile refuses it.
    s = "zip_flag_patched"
    name = s + ".pt"
    zipfile_archive(name, [("archive/data.pkl", benign_pickle()), ("archive/data/0", WEIGHT)])
    patch_flags(name, "archive/data.pkl", 0x20)
    try:
        zipfile.ZipFile(path_of(name)).read("archive/data.pkl")
        sys.exit("zipfile read a record flagged as patched data")
    except NotImplementedError:
        pass
    record(name, "data.pkl flagged 0x20 (compressed patched data): zipfile refuses it, we read it", True, reads_differently=True)
    # A directory entry whose local header lies inside another record's bytes.
    s = "zip_overlapping_records"
    name = s + ".pt"
    zipfile_archive(name, [("archive/data.pkl", benign_pickle()), ("archive/data/0", WEIGHT)])
    add_overlapping_entry(name, "archive/data.pkl", "archive/twin.pkl")
    record(name, "a second directory entry pointing into data.pkl's record (overlapping records)", True, reads_differently=True)


def raw_pickles():
    """Raw pickles (pickle.dump of anything, no torch layout) of protocol 0, which have no PROTO and
    read like text: a scanner that takes them for a text file never looks inside (issue 24 item 3)."""
    s = "raw_protocol0_system"
    name = s + ".pkl"
    data = b"cposix\nsystem\n(S'" + touch(s).encode() + b"'\ntR."
    assert cpython_file_globals(data) == ["posix.system"]
    open(path_of(name), "wb").write(data)
    record(name, "a protocol 0 raw pickle calling posix.system (reads like text)", False, unsafe=["posix.system"],
           error="a pickle file holding no tensors or arrays")
    s = "raw_protocol1_eval"
    name = s + ".pkl"
    data = b"cbuiltins\neval\nq\x00(X" + struct.pack("<I", len(open_code(s))) + open_code(s).encode() + b"tR."
    assert cpython_file_globals(data) == ["builtins.eval"]
    open(path_of(name), "wb").write(data)
    record(name, "a protocol 1 raw pickle calling builtins.eval (binary opcodes, no PROTO)", False,
           unsafe=["builtins.eval"], error="a pickle file holding no tensors or arrays")


def patch_field(name, entry, local_at, central_at, change):
    """Rewrites a 16- or 32-bit field of `entry` (offsets in its local header and its central
    directory record; the width follows the field: 4 bytes at the CRC, 2 at the flags) as
    change(old value)."""
    data = bytearray(open(path_of(name), "rb").read())
    raw = entry.encode()
    fmt = "<I" if local_at == 14 else "<H"
    for sig, field_at, name_len_at, header in ((b"PK\x03\x04", local_at, 26, 30), (b"PK\x01\x02", central_at, 28, 46)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + header:at + header + n] == raw:
                struct.pack_into(fmt, data, at + field_at, change(struct.unpack_from(fmt, data, at + field_at)[0]))
            at = data.find(sig, at + 4)
    open(path_of(name), "wb").write(bytes(data))


def patch_crc(name, entry):
    """Flips every bit of `entry`'s CRC."""
    patch_field(name, entry, 14, 16, lambda crc: crc ^ 0xFFFFFFFF)


def patch_flags(name, entry, flags):
    """Sets general-purpose flag bits of `entry`."""
    patch_field(name, entry, 6, 8, lambda old: old | flags)


def add_overlapping_entry(name, target, alias):
    """Appends a central directory entry named `alias` that copies `target`'s (same local header):
    two directory entries over one record's bytes."""
    data = bytearray(open(path_of(name), "rb").read())
    eocd = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<HIL", data, eocd + 10)
    at = offset
    while at < offset + size:
        n, m, k = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + n] == target.encode():
            copy = bytearray(data[at:at + 46 + n + m + k])
            copy[46:46 + n] = alias.encode().ljust(n, b"_")[:n]
            break
        at += 46 + n + m + k
    data[offset + size:offset + size] = copy
    struct.pack_into("<HHI", data, eocd + len(copy) + 8, count + 1, count + 1, size + len(copy))
    open(path_of(name), "wb").write(bytes(data))


def containers():
    pkl = benign_pickle()
    name = "zip_deflated_pickle.pt"
    zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT)],
                    compress={"archive/data.pkl"})
    record(name, "data.pkl deflated (torch never compresses; torch's reader inflates it)", True)
    name = "zip_deflated_storage.pt"
    zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT)],
                    compress={"archive/data/0"})
    record(name, "a tensor record deflated (listed; stats reports that tensor's error)", True)
    # zip bombs: a small deflated data.pkl that claims a huge size, and one that expands past its claim
    name = "zip_bomb_claims_huge.pt"
    zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT)], compress={"archive/data.pkl"})
    patch_sizes(name, "archive/data.pkl", uncompressed=0xFFFFFFF0)
    record(name, "deflated data.pkl claiming 4 GiB from a few hundred bytes", False, error="data.pkl")
    name = "zip_bomb_expands.pt"
    bomb = pkl[:-1] + b"0" * (24 << 20) + b"."  # valid opcodes? no: POPs of nothing; never reached
    zipfile_archive(name, [("archive/data.pkl", bomb), ("archive/data/0", WEIGHT)], compress={"archive/data.pkl"})
    patch_sizes(name, "archive/data.pkl", uncompressed=len(pkl))
    record(name, "deflated data.pkl that inflates to 24 MiB while claiming %d bytes" % len(pkl), False, error="data.pkl")
    name = "zip64_lying_size.pt"
    zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT)])
    zip64_lie(name, "archive/data/0", 1 << 62)
    record(name, "a ZIP64 extra field claiming 2^62 bytes for data/0", True)
    name = "zip64_lying_pickle.pt"
    zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT)])
    zip64_lie(name, "archive/data.pkl", 1 << 62)
    record(name, "a ZIP64 extra field claiming 2^62 bytes for data.pkl", False, error="data.pkl")
    name = "zip_slip_names.pt"
    zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT),
                           ("../../tmp/statelens-canary-zip_slip_names", b"x")])
    record(name, "a record named ../../tmp/statelens-canary-... (zip slip)", False, error="outside the archive folder")
    name = "zip_slip_key.pt"
    key = "../../../../tmp/statelens-canary-zip_slip_key"
    zipfile_archive(name, [("archive/data.pkl", with_weight(lambda pw: pw.none(), key=key)),
                           ("archive/data/" + key, WEIGHT)])
    record(name, "a storage key climbing out of data/ (read in place, never extracted)", True)
    name = "zip_duplicate_pickle.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zipfile_archive(name, [("archive/data.pkl", pkl), ("archive/data/0", WEIGHT),
                               ("archive/data.pkl", with_weight(lambda pw: pw.glob("posix", "system")
                                                                .str(touch("zip_duplicate_pickle")).raw(b"\x85R")))])
    record(name, "two data.pkl records, the second hostile (scanners and loaders may pick different ones; the scan "
                 "sweeps both)", False, unsafe=["posix.system"], error="appears twice")
    name = "byteorder_big.pt"
    write_torch_zip(path_of(name), [("data.pkl", pkl), ("byteorder", b"big"), ("data/0", struct.pack(">6f", 1, 2, 3, 4, 5, 6))])
    record(name, "a big-endian archive (byteorder record 'big'; torch 1.13 ignores the record)", True)
    name = "byteorder_bogus.pt"
    write_torch_zip(path_of(name), [("data.pkl", pkl), ("byteorder", b"middle"), ("data/0", WEIGHT)])
    record(name, "byteorder record 'middle'", False, error="byteorder")


# ---- safetensors -----------------------------------------------------------------------------

def st(name, header, data, attack, error, pad=True, raw_header=None):
    head = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    with open(path_of(name), "wb") as f:
        f.write(st_pack(head, data, pad=pad))
    record(name, attack, False, error=error)


def safetensors():
    f32 = struct.pack("<4f", 1, 2, 3, 4)
    ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}
    with open(path_of("st_header_beyond_file.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 4096) + b'{"a":{}}')
    record("st_header_beyond_file.safetensors", "header length 4096 in a 16-byte file", False, error="")
    with open(path_of("st_header_too_large.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 200_000_000) + b"{" + b" " * 64)
    record("st_header_too_large.safetensors", "header length 200 MB (the limit is 100 MB)", False, error="")
    st("st_invalid_utf8.safetensors", None, f32, "header bytes not UTF-8", "", raw_header=b'{"a\xff":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}')
    st("st_invalid_json.safetensors", None, f32, "header not JSON", "", raw_header=b'{"a":{"dtype":"F32",')
    st("st_overlap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                  "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, f32[:12] + b"\0" * 4,
       "data_offsets overlap", "")
    st("st_out_of_order.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
                                       "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f32,
       "data_offsets listed out of order (valid: order is by offset)", "")
    MANIFEST["st_out_of_order.safetensors"]["open"] = "ok"  # the reference implementation sorts by offset
    st("st_out_of_bounds.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 1 << 40]}}, f32,
       "data_offsets beyond the file", "")
    st("st_dtype_unknown.safetensors", {"a": {"dtype": "F33", "shape": [4], "data_offsets": [0, 16]}}, f32,
       "dtype F33", "")
    st("st_shape_mismatch.safetensors", {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}, f32,
       "shape [3] of F32 over 16 bytes", "")
    st("st_duplicate_keys.safetensors", None, f32, "the same tensor name twice", "",
       raw_header=b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}')
    st("st_trailing_bytes.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f32,
       "8 bytes after the last tensor", "")
    st("st_negative_shape.safetensors", {"a": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}, f32,
       "a negative dimension", "")
    del ok


# ---- torch's verdicts ------------------------------------------------------------------------

UNSAFE_PREFIX = "Weights only load failed."


def torch_verdict(path, timeout=60):
    """torch.load(path, weights_only=True) in a forked child: 8 GiB of address space, `timeout` seconds."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
        signal.alarm(timeout)
        try:
            torch.load(path, weights_only=True)
            out = {"loads": True, "exception": None, "message": None}
        except BaseException as e:  # noqa: B902 - the verdict is whatever torch raises
            out = {"loads": False, "exception": type(e).__name__, "message": str(e)}
        os.write(write_end, json.dumps(out).encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if chunks:
        return json.loads(b"".join(chunks))
    return {"loads": False, "exception": "crash", "message": "child ended with status %d" % status}


def fixture_files():
    names = []
    for path in sorted(glob.glob(os.path.join(DATA, "**", "*"), recursive=True)):
        rel = os.path.relpath(path, DATA)
        if os.path.isdir(path) or rel.endswith((".json", ".py", ".md", ".tsv", ".inc")):
            continue
        names.append(rel)
    return names


def main():
    for old in glob.glob(CANARY + "*"):
        os.remove(old)
    for old in glob.glob(os.path.join(HERE, "*")):
        if old.endswith((".pt", ".pkl", ".safetensors")):
            os.remove(old)
    pickles()
    frames()
    differentials()
    raw_pickles()
    containers()
    safetensors()
    with open(path_of("manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1, sort_keys=True)
        f.write("\n")
    verdicts = {}
    for rel in fixture_files():
        verdicts[rel] = torch_verdict(os.path.join(DATA, rel))
    with open(path_of("weights_only_expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "unsafe_prefix": UNSAFE_PREFIX, "files": verdicts}, f, indent=1, sort_keys=True)
        f.write("\n")
    ran = glob.glob(CANARY + "*")
    if ran:
        sys.exit("canaries exist after the run: %s" % ran)
    loads = sum(v["loads"] for v in verdicts.values())
    print("%d hostile files, %d verdicts (%d load), no canary" % (len(MANIFEST), len(verdicts), loads))


if __name__ == "__main__":
    main()
