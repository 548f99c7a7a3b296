#!/usr/bin/python3
"""Rebuild the attack (and benign) pickles of trailofbits/fickling's own test suite as files.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision, python3-numpy):

    /usr/bin/python3 tests/data/peers/fickling/make_fickling_samples.py [--full]

fickling itself is NOT needed and not imported. Its tests mostly build `fickling.fickle.Pickled`
opcode lists and hand them to `check_safety` without ever serialising them; the bytes written
here are what `Pickled(...).dumps()` emits for those lists (this file carries a small copy of
fickling's opcode encoders, `_reframed_opcodes()`, `insert_python()`, `append_python()` and
`insert_magic_int()`, transcribed from fickling/fickle.py at the commit below). Where fickling's
own encoder is broken (STRING/UNICODE/INST, see `String`, `Unicode`, `Inst`) the bytes are the
valid form CPython writes, which is what the test means.

NOTHING IS EVER UNPICKLED OR CALLED. Pickles are built from opcodes by hand or with
`pickle.dumps` of objects whose `__reduce__` names a callable (pickling only writes its name).
The expected values (fickling_expected.json) come from `pickletools.genops`, from a transcription of
`_pickle.c`'s file-reading code run on the bytes (class CReader: it only splits bytes into
opcodes), and from the tests' own assertions.

Source: https://github.com/trailofbits/fickling commit FICKLING_COMMIT below.
"""
from __future__ import annotations

import base64
import io
import json
import os
import pickle
import pickletools
import shutil
import struct
import sys
import tempfile
import zipfile
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from pathlib import Path

FICKLING_REPO = "trailofbits/fickling"
FICKLING_COMMIT = "854c99acd2637f97162dd2e1aa2dab4e8d55d77d"
HERE = Path(__file__).resolve().parent
FULL = "--full" in sys.argv  # also write the >20 KB originals where a smaller equivalent is used

# ---------------------------------------------------------------------------------------------
# A copy of fickling.fickle's opcode encoders (fickling/fickle.py, class per opcode). Each class
# emits exactly the bytes fickling's `encode()` emits, except where noted.
# ---------------------------------------------------------------------------------------------


class Opcode:
    name = "?"
    code = b""

    def __init__(self, arg=None, pos=None, data=None):
        self.arg = arg
        self.pos = pos
        self._data = data

    @property
    def data(self) -> bytes:
        return self._data if self._data is not None else self.encode()

    def encode(self) -> bytes:
        return self.code + self.encode_body()

    def encode_body(self) -> bytes:
        return b""


def _simple(name, code):
    return type(name, (Opcode,), {"name": name, "code": code})


class Proto(Opcode):
    name, code = "PROTO", b"\x80"

    @staticmethod
    def create(v):
        return Proto(v)

    def encode_body(self):
        return bytes([self.arg])


class Frame(Opcode):
    name, code = "FRAME", b"\x95"

    @staticmethod
    def create(n):
        return Frame(n)

    def encode_body(self):
        return int(self.arg).to_bytes(8, "little", signed=False)


class Global(Opcode):
    name, code = "GLOBAL", b"c"

    @staticmethod
    def create(module, attr):
        return Global(f"{module} {attr}")

    def encode(self):  # fickle.py Global.encode
        module, attr = self.arg.split(" ")[:2]
        return f"c{module}\n{attr}\n".encode()


class Inst(Opcode):
    # fickle.py Inst.encode refers to a missing `self.classname` (AttributeError); the bytes
    # are the INST line pair CPython reads.
    name, code = "INST", b"i"

    @staticmethod
    def create(module, classname):
        return Inst(f"{module} {classname}")

    def encode(self):
        module, cls = self.arg.split(" ")[:2]
        return f"i{module}\n{cls}\n".encode()


class _Len(Opcode):
    nbytes = 1

    def payload(self):
        a = self.arg
        return a.encode("utf-8") if isinstance(a, str) else a

    def encode(self):
        body = self.payload()
        fmt = {1: "<B", 4: "<I", 8: "<Q"}[self.nbytes]
        return self.code + struct.pack(fmt, len(body)) + body


class ShortBinUnicode(_Len):
    name, code, nbytes = "SHORT_BINUNICODE", b"\x8c", 1


class BinUnicode(_Len):
    name, code, nbytes = "BINUNICODE", b"X", 4


class ShortBinBytes(_Len):
    name, code, nbytes = "SHORT_BINBYTES", b"C", 1


class Unicode(Opcode):
    # fickle.py Unicode.encode_body compares str characters with ints and raises TypeError for a
    # str argument; the bytes are protocol 0's raw-unicode-escape line, as CPython writes it.
    name, code = "UNICODE", b"V"

    def encode_body(self):
        s = self.arg.replace("\\", "\\u005c").replace("\0", "\\u0000").replace("\n", "\\u000a")
        s = s.replace("\r", "\\u000d").replace("\x1a", "\\u001a")
        return s.encode("raw-unicode-escape") + b"\n"


class String(Opcode):
    # fickle.py String.encode_body returns repr(arg) with no newline (an unterminated line that
    # no unpickler reads); the bytes are the `S'...'\n` line the test means.
    name, code = "STRING", b"S"

    def encode_body(self):
        return repr(self.arg).encode("utf-8") + b"\n"


class Put(Opcode):
    name, code = "PUT", b"p"

    def encode_body(self):
        return f"{self.arg}\n".encode()


class Get(Opcode):
    name, code = "GET", b"g"

    @staticmethod
    def create(memo_id):
        return Get(f"{memo_id}\n".encode())

    def encode_body(self):
        return f"{int(self.arg)}\n".encode()


class BinPut(Opcode):
    name, code = "BINPUT", b"q"

    def encode_body(self):
        return bytes([self.arg])


class BinGet(Opcode):
    name, code = "BINGET", b"h"

    def encode_body(self):
        return bytes([self.arg])


class BinInt1(Opcode):
    name, code = "BININT1", b"K"

    def encode_body(self):
        return struct.pack("<B", self.arg)


class BinInt2(Opcode):
    name, code = "BININT2", b"M"

    def encode_body(self):
        return struct.pack("<H", self.arg)


class Int(Opcode):
    name, code = "INT", b"I"

    def encode_body(self):
        return f"{int(self.arg)}\n".encode()


StackGlobal = _simple("STACK_GLOBAL", b"\x93")
EmptyTuple = _simple("EMPTY_TUPLE", b")")
TupleOne = _simple("TUPLE1", b"\x85")
TupleTwo = _simple("TUPLE2", b"\x86")
TupleThree = _simple("TUPLE3", b"\x87")
Tuple = _simple("TUPLE", b"t")
AddItems = _simple("ADDITEMS", b"\x90")
Reduce = _simple("REDUCE", b"R")
Mark = _simple("MARK", b"(")
Pop = _simple("POP", b"0")
PopMark = _simple("POP_MARK", b"1")
Obj = _simple("OBJ", b"o")
NoneOpcode = _simple("NONE", b"N")
NewTrue = _simple("NEWTRUE", b"\x88")
Build = _simple("BUILD", b"b")
Stop = _simple("STOP", b".")
EmptySet = _simple("EMPTY_SET", b"\x8f")
EmptyList = _simple("EMPTY_LIST", b"]")
EmptyDict = _simple("EMPTY_DICT", b"}")
Memoize = _simple("MEMOIZE", b"\x94")
Append = _simple("APPEND", b"a")
Appends = _simple("APPENDS", b"e")
List = _simple("LIST", b"l")
Dict = _simple("DICT", b"d")
Dup = _simple("DUP", b"2")
SetItem = _simple("SETITEM", b"s")


class op:  # `import fickling.fickle as op` in the tests
    pass


for _name, _cls in list(globals().items()):
    if isinstance(_cls, type) and issubclass(_cls, Opcode) and _cls is not Opcode:
        setattr(op, _name, _cls)


def constant_opcode_new(obj):
    """fickle.py ConstantOpcode.new: the lowest-priority subclass whose validate() accepts obj.
    Priorities: BinInt1 100, BinInt2 101, BinInt/Long1/Long4 (their signed ranges are empty),
    Int 105 (accepts anything int() accepts), BinFloat 200, ShortBinUnicode 5000, BinUnicode ..."""
    if isinstance(obj, int) and 0 <= obj <= 255:
        return BinInt1(obj)
    if isinstance(obj, int) and 0 <= obj <= 65535:
        return BinInt2(obj)
    try:
        int(obj)
        return Int(obj)
    except (ValueError, TypeError):
        pass
    if isinstance(obj, str):
        return ShortBinUnicode(obj) if len(obj.encode()) <= 255 else BinUnicode(obj)
    if isinstance(obj, bytes) and len(obj) <= 255:
        return ShortBinBytes(obj)
    raise ValueError(obj)


class Pickled(list):
    """fickle.py Pickled, the parts the tests use to make bytes."""

    @staticmethod
    def load(data: bytes, start: int = 0) -> "Pickled":
        """fickle.py Pickled.load: one opcode per genops entry, its original bytes and offset."""
        stream = io.BytesIO(data)
        stream.seek(start)
        ops = list(pickletools.genops(stream))
        out = Pickled()
        for k, (info, arg, pos) in enumerate(ops):
            end = ops[k + 1][2] if k + 1 < len(ops) else pos + 1
            o = Opcode(arg, pos, data[pos:end])
            o.name = info.name
            out.append(o)
        out.end = ops[-1][2] + 1
        return out

    def _reframed_opcodes(self):  # fickle.py Pickled._reframed_opcodes
        i = 0
        while i < len(self):
            o = self[i]
            if o.name != "FRAME" or o.pos is None or o.arg is None:
                yield o.data
                i += 1
                continue
            frame_end = o.pos + len(o.data) + o.arg
            body = []
            j = i + 1
            while j < len(self):
                m = self[j]
                if m.pos is not None and m.pos >= frame_end:
                    break
                body.append(m.data)
                j += 1
            yield Frame.create(sum(len(b) for b in body)).data
            yield from body
            i = j

    def dumps(self) -> bytes:  # reframe=True, the default
        return b"".join(self._reframed_opcodes())

    def _encode_python_obj(self, obj):  # fickle.py Pickled._encode_python_obj
        if isinstance(obj, (int, float, str, bytes)):
            return [constant_opcode_new(obj)]
        if isinstance(obj, list):
            res = [Mark()]
            for item in obj:
                res += self._encode_python_obj(item)
            res.append(List())
            return res
        raise ValueError(obj)

    def _memo_len(self):  # len(Interpreter(self).memory) after run()
        memo = set()
        for o in self:
            if o.name == "MEMOIZE":
                memo.add(len(memo))
            elif o.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo.add(int(o.arg))
        return len(memo)

    def insert_python(self, *args, module="builtins", attr="eval", run_first=True,
                      use_output_as_unpickle_result=False):  # fickle.py Pickled.insert_python
        assert self[-1].name == "STOP"
        i = 0
        while self[i].name in ("PROTO", "FRAME"):
            i += 1
        self.insert(i, Global.create(module, attr))
        i += 1
        self.insert(i, Mark())
        i += 1
        for arg in args:
            for k, o in enumerate(self._encode_python_obj(arg)):
                self.insert(i + k, o)
            i += len(self._encode_python_obj(arg))
        self.insert(i, Tuple())
        i += 1
        if run_first:
            self.insert(i, Reduce())
            if use_output_as_unpickle_result:
                self.insert(-1, Pop())
            else:
                self.insert(-1, Put(321987))
                self.insert(-1, Pop())
                self.insert(-1, Pop())
                self.insert(-1, Get.create(321987))
            return
        if use_output_as_unpickle_result:
            self.insert(-1, Pop())
            self.insert(-1, Reduce())
        else:
            memo_id = self._memo_len()
            self.insert(-1, Memoize())
            self.insert(-1, Pop())
            self.insert(-1, Reduce())
            self.insert(-1, Pop())
            self.insert(-1, Get.create(memo_id))

    insert_python_eval = insert_python

    def insert_python_exec(self, *args, run_first=True, use_output_as_unpickle_result=False):
        self.insert_python(*args, module="builtins", attr="exec", run_first=run_first,
                           use_output_as_unpickle_result=use_output_as_unpickle_result)

    def append_python(self, *args, module="builtins", attr="eval", pop_result=False):
        self.insert(-1, Global.create(module, attr))
        self.insert(-1, Mark())
        for arg in args:
            self.insert(-1, constant_opcode_new(arg))
        self.insert(-1, Tuple())
        self.insert(-1, Reduce())
        if pop_result:
            self.insert(-1, Pop())

    def insert_magic_int(self, magic, index=-1):
        self.insert(index, Int(magic))
        self.insert(-1 if index == -1 else index + 1, Pop())


def P(ops) -> bytes:
    """Pickled([...]).dumps() for a hand-built opcode list (no positions: FRAMEs emitted as given)."""
    return Pickled(ops).dumps()


# ---------------------------------------------------------------------------------------------
# Reading without running: genops (a linear reader) and CPython's C unpickler's file reads.
# ---------------------------------------------------------------------------------------------

PREFETCH = 8192 * 16


class Truncated(Exception):
    pass


class CReader:
    """_pickle.c's input handling (_Unpickler_Read, _Unpickler_Readline, _Unpickler_ReadFromFile,
    _Unpickler_SkipConsumed, load_frame) transcribed to Python, as in CPython 3.11 (before
    python/cpython#154848's fix): a FRAME's bytes become the buffer; a read that does not fit
    what is left of it drops the rest and reads afresh from the file. Splits bytes only."""

    def __init__(self, f):
        self.f = f
        self.peek = getattr(f, "peek", None)
        self.buf, self.idx, self.pref = b"", 0, 0

    def _set(self, data):
        self.buf, self.idx, self.pref = data, 0, len(data)
        return len(data)

    def _from_file(self, n):
        consumed = self.idx - self.pref
        if consumed > 0:
            self.f.read(consumed)
            self.pref = self.idx
        if n == -1:
            return self._set(self.f.readline())
        if self.peek is not None and n < PREFETCH:
            got = self._set(self.peek(PREFETCH))
            self.pref = 0
            if n <= got:
                return n
        return self._set(self.f.read(n))

    def read(self, n):
        if n <= len(self.buf) - self.idx:
            s = self.buf[self.idx:self.idx + n]
            self.idx += n
            return s
        if self._from_file(n) < n:
            raise Truncated(f"read({n})")
        self.idx = n
        return self.buf[:n]

    def readline(self):
        j = self.buf.find(b"\n", self.idx)
        if j >= 0:
            s = self.buf[self.idx:j + 1]
            self.idx = j + 1
            return s
        got = self._from_file(-1)
        if got == 0 or self.buf[got - 1:got] != b"\n":
            raise Truncated("readline")
        self.idx = got
        return self.buf[:got]

    def ops(self):
        """The opcodes, as (name, arg), up to STOP."""
        out = []
        while True:
            code = self.read(1)
            info = pickletools.code2op.get(code.decode("latin-1"))
            if info is None:
                raise ValueError(f"unknown opcode {code!r}")
            a = info.arg
            raw = b""
            if a is not None:
                if a.n >= 0:
                    raw = self.read(a.n)
                elif a.n == pickletools.UP_TO_NEWLINE:
                    raw = self.readline()
                    if info.name in ("GLOBAL", "INST"):
                        raw += self.readline()
                else:
                    width = {pickletools.TAKEN_FROM_ARGUMENT1: 1, pickletools.TAKEN_FROM_ARGUMENT4: 4,
                             pickletools.TAKEN_FROM_ARGUMENT4U: 4,
                             pickletools.TAKEN_FROM_ARGUMENT8U: 8}[a.n]
                    head = self.read(width)
                    size = int.from_bytes(head, "little", signed=(a.n == pickletools.TAKEN_FROM_ARGUMENT4))
                    raw = head + self.read(size)
            arg = a.reader(io.BytesIO(raw)) if a is not None else None
            if info.name == "FRAME":
                self.read(arg)  # load_frame: read the frame into the buffer, then rewind
                self.idx -= arg
            out.append((info.name, arg))
            if info.name == "STOP":
                return out


def linear_ops(data, start=0):
    """genops from `start` to STOP: (ops, end offset, error)."""
    out = []
    try:
        for info, arg, pos in pickletools.genops(io.BytesIO(data[start:])):
            out.append((info.name, arg))
            if info.name == "STOP":
                return out, start + pos + 1, None
    except Exception as e:  # noqa: BLE001
        return out, None, f"{type(e).__name__}: {e}"
    return out, None, "no STOP"


STR_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING",
           "SHORT_BINSTRING"}
BYTES_OPS = {"SHORT_BINBYTES", "BINBYTES", "BINBYTES8"}
OPINFO = {o.name: o for o in pickletools.opcodes}
_OPAQUE = object()
_MARK = object()


def simulate(ops):
    """Run the stack machine symbolically: which globals would find_class be asked for, as
    CPython names them (_compat_pickle applied while the protocol is < 3). Nothing is imported.
    Returns (globals, nested pickles (bytes constants that are pickles), error)."""
    stack, memo, found, nested = [], {}, [], []
    proto = 0

    def pop():
        if not stack:
            raise IndexError("stack underflow")
        return stack.pop()

    def pop_mark():
        while True:
            v = pop()
            if v is _MARK:
                return

    def name(module, attr):
        if proto < 3:
            if (module, attr) in NAME_MAPPING:
                module, attr = NAME_MAPPING[(module, attr)]
            elif module in IMPORT_MAPPING:
                module = IMPORT_MAPPING[module]
        return f"{module}.{attr}"

    try:
        for opname, arg in ops:
            info = OPINFO[opname]
            if opname == "PROTO":
                proto = arg
            elif opname == "FRAME":
                pass
            elif opname in STR_OPS:
                stack.append(arg if isinstance(arg, str) else arg.decode("latin-1"))
            elif opname in BYTES_OPS:
                stack.append(("bytes", arg))
                if arg[:1] == b"\x80" and arg[-1:] == b".":
                    nested.append(arg)
            elif opname in ("GLOBAL", "INST"):
                module, attr = arg.split(" ", 1)
                found.append(name(module, attr))
                if opname == "INST":
                    pop_mark()
                stack.append(_OPAQUE)
            elif opname == "STACK_GLOBAL":
                attr, module = pop(), pop()
                m = module if isinstance(module, str) else "?"
                a = attr if isinstance(attr, str) else "?"
                found.append(name(m, a) if "?" not in (m, a) else f"{m}.{a}")
                if "?" in (m, a):
                    raise TypeError("STACK_GLOBAL of a value only known at run time")
                stack.append(_OPAQUE)
            elif opname in ("EXT1", "EXT2", "EXT4"):
                found.append(f"<{opname} code {arg}>")
                stack.append(_OPAQUE)
            elif opname in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = stack[-1]
            elif opname == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif opname in ("GET", "BINGET", "LONG_BINGET"):
                if int(arg) not in memo:
                    raise KeyError(f"memo entry {arg} missing")
                stack.append(memo[int(arg)])
            elif opname == "MARK":
                stack.append(_MARK)
            elif opname == "POP":
                pop()
            elif opname == "POP_MARK":
                pop_mark()
            elif opname == "DUP":
                stack.append(stack[-1])
            elif opname == "STOP":
                break
            else:
                before = info.stack_before
                if pickletools.markobject in before:
                    k = before.index(pickletools.markobject)
                    pop_mark()
                    for _ in range(k):
                        pop()
                else:
                    for _ in before:
                        pop()
                stack.extend(_OPAQUE for _ in info.stack_after)
    except Exception as e:  # noqa: BLE001
        return found, nested, f"{type(e).__name__}: {e}"
    return found, nested, None


BENIGN = {
    # plain data: containers, scalars, and what picklers emit to rebuild them
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset",
    "builtins.int", "builtins.float", "builtins.complex", "builtins.str", "builtins.bytes",
    "builtins.bytearray", "builtins.bool", "collections.OrderedDict", "_codecs.encode",
    "copyreg._reconstructor",
    # asserted harmless by the fickling tests themselves
    "builtins.len", "decimal.Decimal", "__future__.annotations",
    # tensors and arrays
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_tensor", "numpy.core.multiarray._reconstruct", "numpy.ndarray",
    "numpy.dtype",
}


def is_benign(g):
    return g in BENIGN or (g.startswith("torch.") and g.endswith("Storage") and g.count(".") == 1)


def is_inert_class(g):
    """Module classes of a whole-model torch.save: not on any weights allow list, but rebuilding
    them (NEWOBJ + BUILD) runs no code of the file's choosing."""
    return g.startswith(("torch.nn.modules.", "torchvision.models.", "torchvision.ops."))


def analyze_pickle_stream(data: bytes, what: str):
    """All pickles of a stream (the first as pickle.load reads it; later ones as a sweep reads
    them): per reading, the globals named."""
    res = {"globals": [], "notes": [], "nested": []}
    seen = []

    def add(g, reading):
        if g not in seen:
            seen.append(g)
        res["globals"].append((g, reading))

    start, k = 0, 0
    while start < len(data):
        ops, end, err = linear_ops(data, start)
        label = what if k == 0 else f"{what} pickle #{k + 1} (after the first STOP)"
        found, nested, simerr = simulate(ops)
        for g in found:
            add(g, "linear")
        res["nested"] += nested
        if err:
            res["notes"].append(f"{label}: a linear reader (pickletools) stops: {err}")
        if simerr:
            res["notes"].append(f"{label}: the unpickler stops: {simerr}")
        linear = set(found)
        for mode, f in (("C Unpickler on io.BytesIO (torch.load's way)", io.BytesIO(data[start:])),
                        ("C Unpickler on a buffered file", io.BufferedReader(io.BytesIO(data[start:]), 8192))):
            try:
                cops = CReader(f).ops()
                cerr = None
            except Exception as e:  # noqa: BLE001
                cops, cerr = None, f"{type(e).__name__}: {e}"
            if cops is None:
                if not err:
                    res["notes"].append(f"{label}: {mode} stops reading: {cerr}")
                continue
            if cops != ops:
                cfound, _, _ = simulate(cops)
                extra = [g for g in cfound if g not in linear]
                res["notes"].append(
                    f"{label}: {mode} reads other opcodes than a linear reader (FRAME straddle)"
                    + (f" and reaches {', '.join(extra)}" if extra else ""))
                for g in extra:
                    add(g, mode)
        if end is None:
            break
        start, k = end, k + 1
    res["unique"] = seen
    return res


def frame_notes(data: bytes):
    """FRAME lengths that do not match the opcodes after them (linear reading)."""
    notes = []
    try:
        ops = list(pickletools.genops(io.BytesIO(data)))
    except Exception:  # noqa: BLE001
        return notes
    ends = [ops[k + 1][2] if k + 1 < len(ops) else ops[k][2] + 1 for k in range(len(ops))]
    for k, (info, arg, pos) in enumerate(ops):
        if info.name != "FRAME":
            continue
        fend = pos + 9 + arg
        if fend > len(data):
            notes.append(f"FRAME at byte {pos} declares {arg} bytes, more than the {len(data) - pos - 9} "
                         "left: CPython's unpicklers refuse it (pickle data was truncated) before "
                         "running anything")
            continue
        for j in range(k + 1, len(ops)):
            if ops[j][2] < fend < ends[j]:
                notes.append(f"FRAME at byte {pos} declares {arg} bytes, ending inside "
                             f"{ops[j][0].name} at byte {ops[j][2]}")
                break
            if ops[j][2] >= fend:
                break
    return notes


# ---------------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------------

SAMPLES = []
SKIPPED = []


def sample(file, data, source, line, verdict, notes="", malicious=None, subtest=None,
           runtime_only=(), analyze=None):
    SAMPLES.append(dict(file=file, data=data, source=source, line=line, verdict=verdict,
                        notes=notes, malicious=malicious, subtest=subtest,
                        runtime_only=list(runtime_only), analyze=analyze))


BYP = "test/test_bypasses.py"
GT = "> LIKELY_SAFE"

# --- test/test_bypasses.py -----------------------------------------------------------------

# test_bypasses.py:14 test_missing_pty_unsafe_imports_ghsa
sample("test_missing_pty_unsafe_imports_ghsa.pkl", P([
    op.Proto.create(4), op.Frame(26), op.ShortBinUnicode("pty"), op.Memoize(),
    op.ShortBinUnicode("spawn"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinUnicode("id"), op.Memoize(), op.TupleOne(), op.Memoize(), op.Reduce(),
    op.Memoize(), op.ShortBinUnicode("gottem"), op.Memoize(), op.Build(), op.Stop()]),
    BYP, 14, GT, "GHSA-r7v6-mfhq-g3m2: pty.spawn('id')")

# test_bypasses.py:40 test_missing_pty_unsafe_imports_pr
sample("test_missing_pty_unsafe_imports_pr.pkl", P([
    op.Mark(), op.Global("pty spawn"), op.String("id"), op.Obj(), op.Stop()]),
    BYP, 40, GT, "fickling PR 108: protocol 0 OBJ calling pty.spawn('id'); STRING written "
    "as the valid S'id'\\n line (fickling's String encoder drops the newline)")

# test_bypasses.py:53 test_missing_marshal_and_types
_code = compile('import os\nos.system("id")', "<string>", "exec")
import marshal  # noqa: E402

sample("test_missing_marshal_and_types.pkl", P([
    op.Proto(4), op.Frame(0), op.ShortBinUnicode("marshal"), op.ShortBinUnicode("loads"),
    op.StackGlobal(), op.Memoize(), op.BinGet(0), op.ShortBinBytes(marshal.dumps(_code)),
    op.TupleOne(), op.Reduce(), op.Memoize(), op.ShortBinUnicode("types"),
    op.ShortBinUnicode("FunctionType"), op.StackGlobal(), op.Memoize(), op.BinGet(2),
    op.BinGet(1), op.EmptyDict(), op.TupleTwo(), op.Reduce(), op.Memoize(), op.BinGet(3),
    op.EmptyTuple(), op.Reduce(), op.Memoize(), op.ShortBinUnicode("gottem"), op.Build(),
    op.Stop()]),
    BYP, 53, GT, "GHSA-565g-hwwr-4pp3: types.FunctionType(marshal.loads(code), {})(); the code "
    f"object is marshalled by Python {sys.version_info[0]}.{sys.version_info[1]} (the test uses "
    "the running Python's). Note the test's BINGET 0 right after STACK_GLOBAL+MEMOIZE pushes "
    "marshal.loads again, so the stack is not what the comments suggest; the globals are the same")


# test_bypasses.py:92 test_missing_runpy
sample("test_missing_runpy.pkl", P([
    op.Proto.create(5), op.Frame(46), op.ShortBinUnicode("runpy"), op.Memoize(),
    op.ShortBinUnicode("run_path"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinUnicode("/tmp/malicious.py"), op.Memoize(), op.TupleOne(), op.Memoize(),
    op.Reduce(), op.Memoize(), op.Stop()]),
    BYP, 92, GT + "; UnsafeImports 'from runpy import run_path'", "GHSA-wfq2-52f7-7qvj")

# test_bypasses.py:120 test_missing_cprofile
sample("test_missing_cprofile.pkl", P([
    op.Proto.create(5), op.Frame(58), op.ShortBinUnicode("cProfile"), op.Memoize(),
    op.ShortBinUnicode("run"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinUnicode("print('CPROFILE_RCE_CONFIRMED')"), op.Memoize(), op.TupleOne(),
    op.Memoize(), op.Reduce(), op.Memoize(), op.Stop()]),
    BYP, 120, GT + "; UnsafeImports 'from cProfile import run'", "GHSA-p523-jq9w-64x9")


# test_bypasses.py:149 test_missing_ctypes
sample("test_missing_ctypes.pkl", P([
    op.Proto.create(5), op.ShortBinUnicode("builtins"), op.Memoize(),
    op.ShortBinUnicode("getattr"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinUnicode("ctypes"), op.Memoize(), op.ShortBinUnicode("CDLL"), op.Memoize(),
    op.StackGlobal(), op.Memoize(), op.ShortBinUnicode("libc.dylib"), op.Memoize(),
    op.TupleOne(), op.Memoize(), op.Reduce(), op.Memoize(), op.ShortBinUnicode("system"),
    op.Memoize(), op.TupleTwo(), op.Memoize(), op.Reduce(), op.Memoize(),
    op.ShortBinBytes(b"id"), op.Memoize(), op.TupleOne(), op.Memoize(), op.Reduce(),
    op.Memoize(), op.Stop()]),
    BYP, 149, GT + "; UnsafeImports 'from ctypes import CDLL'",
    "getattr(ctypes.CDLL('libc.dylib'), 'system')(b'id')")

# test_bypasses.py:194 test_missing_pydoc
sample("test_missing_pydoc.pkl", P([
    op.Proto.create(5), op.ShortBinUnicode("pydoc"), op.Memoize(), op.ShortBinUnicode("locate"),
    op.Memoize(), op.StackGlobal(), op.Memoize(), op.ShortBinUnicode("os.system"), op.Memoize(),
    op.TupleOne(), op.Memoize(), op.Reduce(), op.Memoize(), op.ShortBinUnicode("id"),
    op.Memoize(), op.TupleOne(), op.Memoize(), op.Reduce(), op.Memoize(), op.Stop()]),
    BYP, 194, GT + "; UnsafeImports 'from pydoc import locate'",
    "pydoc.locate('os.system')('id'): os.system is reached at run time",
    runtime_only=["os.system"])

# test_bypasses.py:227 test_missing_importlib
sample("test_missing_importlib.pkl", P([
    op.Proto.create(5), op.ShortBinUnicode("builtins"), op.Memoize(),
    op.ShortBinUnicode("getattr"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinUnicode("importlib"), op.Memoize(), op.ShortBinUnicode("import_module"),
    op.Memoize(), op.StackGlobal(), op.Memoize(), op.ShortBinUnicode("os"), op.Memoize(),
    op.TupleOne(), op.Memoize(), op.Reduce(), op.Memoize(), op.ShortBinUnicode("system"),
    op.Memoize(), op.TupleTwo(), op.Memoize(), op.Reduce(), op.Memoize(),
    op.ShortBinUnicode("id"), op.Memoize(), op.TupleOne(), op.Memoize(), op.Reduce(),
    op.Memoize(), op.Stop()]),
    BYP, 227, GT + "; UnsafeImports 'from importlib import import_module'",
    "getattr(importlib.import_module('os'), 'system')('id')", runtime_only=["os.system"])

# test_bypasses.py:272 test_missing_code
sample("test_missing_code.pkl", P([
    op.Proto.create(5), op.ShortBinUnicode("builtins"), op.Memoize(),
    op.ShortBinUnicode("getattr"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinUnicode("code"), op.Memoize(), op.ShortBinUnicode("InteractiveInterpreter"),
    op.Memoize(), op.StackGlobal(), op.Memoize(), op.EmptyTuple(), op.Memoize(), op.Reduce(),
    op.Memoize(), op.ShortBinUnicode("runsource"), op.Memoize(), op.TupleTwo(), op.Memoize(),
    op.Reduce(), op.Memoize(), op.ShortBinUnicode('import os; os.system("id")'), op.Memoize(),
    op.TupleOne(), op.Memoize(), op.Reduce(), op.Memoize(), op.Stop()]),
    BYP, 272, GT + "; UnsafeImports 'from code import InteractiveInterpreter'",
    "getattr(code.InteractiveInterpreter(), 'runsource')(...)")

# test_bypasses.py:315 test_missing_multiprocessing
sample("test_missing_multiprocessing.pkl", P([
    op.Proto.create(5), op.Frame(74), op.ShortBinUnicode("multiprocessing.util"), op.Memoize(),
    op.ShortBinUnicode("spawnv_passfds"), op.Memoize(), op.StackGlobal(), op.Memoize(),
    op.ShortBinBytes(b"/bin/sh"), op.Memoize(), op.EmptyList(), op.Memoize(), op.Mark(),
    op.BinGet(3), op.ShortBinBytes(b"-c"), op.Memoize(), op.ShortBinBytes(b"id"), op.Memoize(),
    op.Appends(), op.EmptyTuple(), op.TupleThree(), op.Memoize(), op.Reduce(), op.Memoize(),
    op.Stop()]),
    BYP, 315, GT + "; UnsafeImports 'from multiprocessing.util import spawnv_passfds'", "")

# test_bypasses.py:353 test_builtins_import_bypass
sample("test_builtins_import_bypass.pkl", P([
    op.Global("builtins __import__"), op.String("os"), op.TupleOne(), op.Reduce(), op.Put(0),
    op.Pop(), op.Global("builtins getattr"), op.Get(0), op.String("system"), op.TupleTwo(),
    op.Reduce(), op.Put(1), op.Pop(), op.Get(1), op.String("whoami"), op.TupleOne(),
    op.Reduce(), op.Stop()]),
    BYP, 353, GT + "; UnsafeImports 'from builtins import getattr'",
    "GHSA-h4rm-mm56-xf63: getattr(__import__('os'), 'system')('whoami'); no PROTO (protocol 0 "
    "reading with protocol 2 TUPLE1/TUPLE2)", runtime_only=["os.system"])

# test_bypasses.py:383 test_safe_builtins_not_flagged
sample("benign_test_safe_builtins_not_flagged.pkl", P([
    op.Global("builtins len"), op.EmptyList(), op.TupleOne(), op.Reduce(), op.Stop()]),
    BYP, 383, "no UnsafeImports / UnsafeImportsML finding", "len([])")

# test_bypasses.py:400 test_safe_builtin_dict_not_flagged
sample("benign_test_safe_builtin_dict_not_flagged.pkl", P([
    op.Global("builtins dict"), op.EmptyTuple(), op.Reduce(), op.Stop()]),
    BYP, 400, "no UnsafeImports / UnsafeImportsML finding", "dict()")

# test_bypasses.py:415 test_unsafe_builtins_still_flagged
sample("test_unsafe_builtins_still_flagged.pkl", P([
    op.Global("builtins getattr"), op.String("os"), op.String("system"), op.TupleTwo(),
    op.Reduce(), op.Stop()]),
    BYP, 415, GT + "; UnsafeImports finding", "getattr('os', 'system') (AttributeError at run "
    "time, but builtins.getattr is what a scanner must flag)")

# test_bypasses.py:433 test_unsafe_builtin_eval_still_flagged
sample("test_unsafe_builtin_eval_still_flagged.pkl", P([
    op.Global("builtins eval"), op.String("print('hello')"), op.TupleOne(), op.Reduce(),
    op.Stop()]),
    BYP, 433, GT + "; UnsafeImports finding", "eval(\"print('hello')\")")

# test_bypasses.py:451 test_operator_methodcaller
sample("test_operator_methodcaller.pkl", P([
    op.Global.create("builtins", "__import__"), op.Mark(), op.Unicode("os"), op.Tuple(),
    op.Reduce(), op.Put(0), op.Pop(), op.Global.create("_operator", "methodcaller"), op.Mark(),
    op.Unicode("system"), op.Unicode('echo "pwned by _operator.methodcaller"'), op.Tuple(),
    op.Reduce(), op.Mark(), op.Get(0), op.Tuple(), op.Reduce(), op.Stop()]),
    BYP, 451, GT + "; UnsafeImports and NonStandardImports 'from _operator import methodcaller'",
    "GHSA-955r-x9j8-7rhh (picklescan): methodcaller('system', ...)(__import__('os')); UNICODE "
    "lines written as CPython writes them (fickling's Unicode encoder raises on str)",
    runtime_only=["os.system"])

# test_bypasses.py:482 test_distutils_write_file
sample("test_distutils_write_file.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("distutils.file_util"),
    op.ShortBinUnicode("write_file"), op.StackGlobal(), op.ShortBinUnicode("/tmp/malicious.txt"),
    op.Mark(), op.ShortBinUnicode("malicious content"), op.List(), op.TupleTwo(), op.Reduce(),
    op.Stop()]), BYP, 482, GT, "GHSA-m273-6v24-x4m4 (picklescan): writes a file")

# test_bypasses.py:502 test_io_fileio
sample("test_io_fileio.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("_io"), op.ShortBinUnicode("FileIO"),
    op.StackGlobal(), op.ShortBinUnicode("/etc/passwd"), op.TupleOne(), op.Reduce(),
    op.Stop()]), BYP, 502, GT, "opens /etc/passwd")

# test_bypasses.py:520 test_numpy_f2py_getlincoef
sample("test_numpy_f2py_getlincoef.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("numpy.f2py.crackfortran"),
    op.ShortBinUnicode("getlincoef"), op.StackGlobal(),
    op.ShortBinUnicode("__import__('os').system('id')"), op.EmptyDict(), op.TupleTwo(),
    op.Reduce(), op.Stop()]), BYP, 520, GT, "GHSA-r8g5-cgf2-4m4m (picklescan): getlincoef evals "
    "its first argument")

# test_bypasses.py:538 test_network_protocol_ssrf (six subtests)
for _n, (_module, _cls, _port) in enumerate([
        ("smtplib", "SMTP", 25), ("imaplib", "IMAP4", 143), ("ftplib", "FTP", 21),
        ("poplib", "POP3", 110), ("telnetlib", "Telnet", 23), ("nntplib", "NNTP", 119)], 1):
    sample(f"test_network_protocol_ssrf_{_n}.pkl", P([
        op.Proto.create(4), op.Global.create(_module, _cls), op.ShortBinUnicode("127.0.0.1"),
        op.BinInt2(_port), op.TupleTwo(), op.Reduce(), op.EmptyDict(), op.Build(), op.Stop()]),
        BYP, 538, GT, f"{_module}.{_cls}('127.0.0.1', {_port}) connects out (SSRF)",
        subtest=f"module={_module}")

# test_bypasses.py:570 test_asyncio_subprocess
sample("test_asyncio_subprocess.pkl", P([
    op.Proto.create(4), op.Frame(81), op.ShortBinUnicode("asyncio.unix_events"), op.Memoize(),
    op.ShortBinUnicode("_UnixSubprocessTransport._start"), op.Memoize(), op.StackGlobal(),
    op.Memoize(), op.Mark(), op.EmptyDict(), op.Memoize(), op.ShortBinUnicode("whoami"),
    op.Memoize(), op.NewTrue(), op.NoneOpcode(), op.NoneOpcode(), op.NoneOpcode(),
    op.BinInt1(0), op.Tuple(), op.Memoize(), op.Reduce(), op.Memoize(), op.Stop()]),
    BYP, 570, GT, "GHSA-f7qq-56ww-84cr (picklescan): dotted name resolved by protocol 4's "
    "attribute walk, runs a subprocess")

# test_bypasses.py:603 test_obj_pop_call_invisibility
sample("test_obj_pop_call_invisibility.pkl", P([
    op.Proto.create(4), op.Mark(), op.ShortBinUnicode("smtplib"), op.ShortBinUnicode("SMTP"),
    op.StackGlobal(), op.ShortBinUnicode("127.0.0.1"), op.Obj(), op.Pop(), op.NoneOpcode(),
    op.Stop()]), BYP, 603, GT, "GHSA-mxhj-88fx-4pcv: OBJ call whose result is popped; the "
    "pickle's value is None")

# test_bypasses.py:626 test_missing_uuid, :649 test_missing_aix_support, :671 test_missing_osx_support
# test_bypasses.py:626/649/671# test_bypasses.py:626/649/671 test_missing_uuid / _aix_support / _osx_support
sample("test_missing_uuid.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("uuid"), op.ShortBinUnicode("_get_command_stdout"),
    op.StackGlobal(), op.ShortBinUnicode("echo"), op.ShortBinUnicode("PROOF_OF_CONCEPT"),
    op.TupleTwo(), op.Reduce(), op.Stop()]), BYP, 626,
    GT + "; UnsafeImports 'from uuid import _get_command_stdout'",
    "GHSA-5hwf-rc88-82xm: runs subprocess.Popen")
sample("test_missing_aix_support.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("_aix_support"), op.ShortBinUnicode("_read_cmd_output"),
    op.StackGlobal(), op.ShortBinUnicode("echo PROOF_OF_CONCEPT"), op.TupleOne(), op.Reduce(),
    op.Stop()]), BYP, 649, GT + "; UnsafeImports 'from _aix_support import _read_cmd_output'",
    "GHSA-5hwf-rc88-82xm: runs os.system")
sample("test_missing_osx_support.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("_osx_support"), op.ShortBinUnicode("_find_build_tool"),
    op.StackGlobal(), op.ShortBinUnicode("x; echo INJECTED #"), op.TupleOne(), op.Reduce(),
    op.Stop()]), BYP, 671, GT + "; UnsafeImports 'from _osx_support import _find_build_tool'",
    "GHSA-5hwf-rc88-82xm: command injection via os.system")

# test_bypasses.py:693 test_dotted_attr_via_stdlib_module
sample("test_dotted_attr_via_stdlib_module.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("pathlib"), op.ShortBinUnicode("os.system"),
    op.StackGlobal(), op.EmptyTuple(), op.Reduce(), op.Stop()]), BYP, 693,
    GT + "; UnsafeImports 'from pathlib import os.system'",
    "GHSA-5j3x-jp52-966f: protocol 4 walks pathlib -> .os -> .system, i.e. posix.system")

# test_bypasses.py:713 test_ml_allowlist_not_shadowed_by_unsafe_imports_ml
sample("test_ml_allowlist_not_shadowed_by_unsafe_imports_ml.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("ast"), op.ShortBinUnicode("parse"),
    op.StackGlobal(), op.Stop()]), BYP, 713,
    GT + " under Analyzer([UnsafeImportsML(), MLAllowlist()]); MLAllowlist finding",
    "GHSA-cffv-grgg-g429: imports ast.parse, never calls it (outside any ML allow list)")

# test_bypasses.py:736 test_private_stdlib_interpreters_blocklisted (two subtests)
for _n, _module in enumerate(("_interpreters", "_xxsubinterpreters"), 1):
    sample(f"test_private_stdlib_interpreters_blocklisted_{_n}.pkl", P([
        op.Proto.create(4), op.ShortBinUnicode(_module), op.ShortBinUnicode("create"),
        op.StackGlobal(), op.EmptyTuple(), op.Reduce(), op.Stop()]), BYP, 736,
        f">= LIKELY_OVERTLY_MALICIOUS; UnsafeImports 'from {_module} import create'",
        "GHSA-6ggj-6f2q-f7mx: creates a sub-interpreter", subtest=f"module={_module}")


# test_bypasses.py:762 test_private_stdlib_allowlist
def _import_global(module, name):
    return P([op.Proto.create(4), op.ShortBinUnicode(module), op.ShortBinUnicode(name),
              op.StackGlobal(), op.Stop()])


sample("benign_test_private_stdlib_allowlist_1.pkl", _import_global("_codecs", "encode"), BYP,
       762, "LIKELY_SAFE; no NonStandardImports", "the bare function _codecs.encode, not called",
       subtest="allowed=_codecs.encode")
sample("benign_test_private_stdlib_allowlist_2.pkl", _import_global("__future__", "annotations"),
       BYP, 762, "LIKELY_SAFE; no NonStandardImports", "the inert __future__.annotations flag",
       subtest="allowed=__future__.annotations")
sample("test_private_stdlib_allowlist.pkl", _import_global("__future__", "_ssl.RAND_bytes"), BYP,
       783, ">= LIKELY_UNSAFE; NonStandardImports 'from __future__ import _ssl.RAND_bytes'",
       "anti-widening case: a dotted name under an allowed module (attribute walk from "
       "__future__; never called)")

# test_bypasses.py:791 test_frame_boundary_divergence
_hidden = pickle.GLOBAL + b"os\nsystem\n" + pickle.UNICODE + b"echo pwned\n" + pickle.TUPLE1 + pickle.REDUCE


def _divergence(pad):
    return (pickle.PROTO + b"\x05" + pickle.NONE + pickle.UNICODE + b"a" * pad + b"\n"
            + pickle.POP + pickle.MARK + pickle.FRAME + struct.pack("<Q", 2) + pickle.BINBYTES
            + b"\x07\x01\x00\x00" + b"\x00\x00" + (_hidden + pickle.MARK).ljust(256 + 5, pickle.NONE)
            + pickle.POP_MARK + pickle.STOP)


sample("test_frame_boundary_divergence.pkl", _divergence(16), BYP, 791,
       GT + "; no GLOBAL in fickling's (linear) reading",
       "python/cpython#154848. SMALLER EQUIVALENT: the UNICODE padding is 16 'a's, not the "
       "test's 8192*16-17 (131 KB; write it with --full). The padding only matters to a C "
       "Unpickler reading a buffered file (it pushes the FRAME past the 128 KiB prefetch); on "
       "io.BytesIO (torch.load's way) the 2-byte FRAME ends inside BINBYTES's length either way, "
       "the rest of the buffer is dropped and the hidden GLOBAL os.system + REDUCE run")
if FULL:
    sample("test_frame_boundary_divergence_full.pkl", _divergence(8192 * 16 - 17), BYP, 791,
           GT + "; no GLOBAL in fickling's (linear) reading", "the test's exact 131 KB bytes")


# test_bypasses.py:826 test_frame_boundary_straddle_variants (seven subtests)
def _framed(body, declared_length):
    return pickle.PROTO + b"\x05" + pickle.FRAME + struct.pack("<Q", declared_length) + body


for _n, (_desc, _payload) in enumerate((
        ("BINBYTES", _framed(pickle.BINBYTES + struct.pack("<I", 20) + b"A" * 20, 5)),
        ("SHORT_BINUNICODE", _framed(b"\x8c\x14" + b"A" * 20, 3)),
        ("GLOBAL module", _framed(pickle.GLOBAL + b"macos\nsystem\n", 4)),
        ("GLOBAL attr", _framed(pickle.GLOBAL + b"os\nsystem\n", 7)),
        ("UNICODE", _framed(pickle.UNICODE + b"hello world\n", 5)),
        ("BININT", _framed(pickle.BININT + struct.pack("<i", 7), 2)),
        ("frame opening inside another frame",
         pickle.PROTO + b"\x05" + pickle.FRAME + struct.pack("<Q", 30) + pickle.NONE
         + pickle.FRAME + struct.pack("<Q", 2) + pickle.NONE)), 1):
    sample(f"test_frame_boundary_straddle_variants_{_n}.pkl", _payload + pickle.STOP, BYP, 826,
           GT, f"subtest {_desc!r}: a FRAME whose declared length ends inside an opcode",
           subtest=_desc)


# test_bypasses.py:853 test_well_formed_frames_are_not_flagged (5 objects x protocols 2, 4, 5)
def _dumps_small_frames(obj, protocol, target=1024):
    """pickle.dumps with CPython's own (pure-Python) pickler and a smaller frame target, so the
    shapes of the test's 100 KB / 1 MB objects (unframed large bytes between frames, several full
    frames) come out at a few KB."""
    saved = pickle._Framer._FRAME_SIZE_TARGET
    pickle._Framer._FRAME_SIZE_TARGET = target
    try:
        f = io.BytesIO()
        pickle._Pickler(f, protocol).dump(obj)
        return f.getvalue()
    finally:
        pickle._Framer._FRAME_SIZE_TARGET = saved


_n = 0
for _desc, _obj, _small, _orig in (
        ("small list", [1, 2, 3, 4], None, None),
        ("large unframed bytes", b"x" * 2000, True, 'b"x" * 100000'),
        ("interleaved framed and unframed", [1, b"y" * 2000, 2], True, '[1, b"y" * 100000, 2]'),
        ("several full frames", list(range(1500)), True, "list(range(200000))"),
        ("nested containers", {"a": [1, 2, {"b": (3, 4)}], "c": [5, 6]}, None, None)):
    for _protocol in (2, 4, 5):
        _n += 1
        _data = _dumps_small_frames(_obj, _protocol) if _small else pickle.dumps(_obj, protocol=_protocol)
        if not _small:
            assert _data == _dumps_small_frames(_obj, _protocol, 64 * 1024)
        sample(f"benign_test_well_formed_frames_are_not_flagged_{_n}.pkl", _data, BYP, 853,
               "LIKELY_SAFE; no frame violation",
               f"subtest '{_desc}, protocol {_protocol}'" + (
                   f"; SMALLER EQUIVALENT of {_orig}: same shape, written by pickle._Pickler with "
                   "a 1 KiB frame target instead of 64 KiB" if _small else ""),
               subtest=f"{_desc}, protocol {_protocol}")

# test_bypasses.py:874 test_all_unsafe_modules_detected: UnsafeImportsML.UNSAFE_MODULES
# (fickling/analysis.py:308), func "dangerous" (none of them is a builtins module name)
for _n, _module in enumerate(["torch.hub", "torch._dynamo", "torch._inductor", "torch.jit",
                              "torch.compile", "numpy.f2py", "numpy.distutils"], 1):
    sample(f"test_all_unsafe_modules_detected_{_n}.pkl", P([
        op.Proto.create(4), op.Global.create(_module, "dangerous"), op.EmptyTuple(), op.Reduce(),
        op.Stop()]), BYP, 874, GT, f"{_module}.dangerous() (a made-up name in a module fickling "
        "blocks whole)", subtest=f"module={_module}")

# test_bypasses.py:897 test_all_unsafe_imports_detected: UnsafeImportsML.UNSAFE_IMPORTS
# (fickling/analysis.py:325)
for _n, (_module, _func) in enumerate([
        ("torch", "load"), ("torch", "compile"), ("torch.storage", "_load_from_bytes"),
        ("torch.utils._config_module", "ConfigModule"),
        ("torch.distributed.elastic.rendezvous.api", "basichandlers"),
        ("numpy.testing._private.utils", "runstring"), ("_io", "FileIO"), ("_io", "open"),
        ("io", "FileIO"), ("io", "open")], 1):
    sample(f"test_all_unsafe_imports_detected_{_n}.pkl", P([
        op.Proto.create(4), op.Global.create(_module, _func), op.EmptyTuple(), op.Reduce(),
        op.Stop()]), BYP, 897, GT, f"{_module}.{_func}()", subtest=f"module={_module}, func={_func}")

# --- test/test_crashes.py ---------------------------------------------------------------------
CR = "test/test_crashes.py"

# test_crashes.py:55/73 test_stable_diffusion (the b64 bytes of its @unparse_test decorator)
sample("benign_test_stable_diffusion.pkl", base64.b64decode(
    """gAJ9cQAoWA8AAABzdHJpbmdfdG9fdG9rZW5xAX1xAlgBAAAAKnEDY3RvcmNoLl91dGlscwpfcmVi
dWlsZF90ZW5zb3JfdjIKcQQoKFgHAAAAc3RvcmFnZXEFY3RvcmNoCkxvbmdTdG9yYWdlCnEGWAEA
AAAwcQdYAwAAAGNwdXEIS010cQlRSwEpKYljY29sbGVjdGlvbnMKT3JkZXJlZERpY3QKcQopUnEL
dHEMUnENc1gPAAAAc3RyaW5nX3RvX3BhcmFtcQ5jdG9yY2gubm4ubW9kdWxlcy5jb250YWluZXIK
UGFyYW1ldGVyRGljdApxDymBcRB9cREoWAgAAAB0cmFpbmluZ3ESiFgLAAAAX3BhcmFtZXRlcnNx
E2gKKVJxFGgDY3RvcmNoLl91dGlscwpfcmVidWlsZF9wYXJhbWV0ZXIKcRVoBCgoaAVjdG9yY2gK
RmxvYXRTdG9yYWdlCnEWWAEAAAAxcRdYBgAAAGN1ZGE6MHEYTQADdHEZUUsASwFNAAOGcRpNAANL
AYZxG4loCilScRx0cR1ScR6IaAopUnEfh3EgUnEhc1gIAAAAX2J1ZmZlcnNxImgKKVJxI1gbAAAA
X25vbl9wZXJzaXN0ZW50X2J1ZmZlcnNfc2V0cSRjX19idWlsdGluX18Kc2V0CnElXXEmhXEnUnEo
WA8AAABfYmFja3dhcmRfaG9va3NxKWgKKVJxKlgWAAAAX2lzX2Z1bGxfYmFja3dhcmRfaG9va3Er
TlgOAAAAX2ZvcndhcmRfaG9va3NxLGgKKVJxLVgSAAAAX2ZvcndhcmRfcHJlX2hvb2tzcS5oCilS
cS9YEQAAAF9zdGF0ZV9kaWN0X2hvb2tzcTBoCilScTFYGgAAAF9sb2FkX3N0YXRlX2RpY3RfcHJl
X2hvb2tzcTJoCilScTNYGwAAAF9sb2FkX3N0YXRlX2RpY3RfcG9zdF9ob29rc3E0aAopUnE1WAgA
AABfbW9kdWxlc3E2aAopUnE3WAUAAABfa2V5c3E4fXE5aANOc3VidS4="""), CR, 73,
    "none asserted (crash regression: fickling must decompile it)",
    "fickling issue 22: a data.pkl of a Stable Diffusion checkpoint (tensors, ParameterDict "
    "module, __builtin__.set); its storages are persistent ids with no records (no zip)")

# test_crashes.py:76/81 test_pop_mark (bytes of mindspore issue 183, in its @unparse_test)
sample("test_pop_mark.pkl",
       b"\x80\x04\x95\x82\x00\x00\x00\x00\x00\x00\x00(\x8c\x05numpy\x8c\x06poly1d\x93\x94\x8c\x05numpy\x8c\x04size\x93\x94\x8c\x05numpy\x8c\x0c__builtins__\x93\x94h\x00N\x85R\x94h\x03\x94h\x02\x94h\x04(\x8c\x05shapeh\x05dbh\x01h\x04\x8c\x04eval\x86R\x8c\x1d__import__('os').system('id')\x85R1N.",
       CR, 81, "none asserted (crash regression: POP_MARK)",
       "mindspore issue 183: BUILD rebinds numpy.poly1d's `shape` to numpy.__builtins__ so "
       "numpy.size(...) returns the builtins dict's eval; runs __import__('os').system('id'), then "
       "POP_MARK drops it all", runtime_only=["builtins.eval"])

# test_crashes.py:85/86 test_obj
sample("test_obj.pkl", b'(cos\nsystem\nS"whoami"\no.', CR, 86,
       "none asserted (crash regression: OBJ)", "protocol 0 OBJ: os.system('whoami')")

# test_crashes.py:90 test_stack_global_dynamic_import
_alphabet = "Jw~[v5QpA(BY%aKnyT&*x0r9-OpfF}HN4$GU2VhS@XEq!Zt>6_R7#]1b{z3M^D?)d8eImgckPLiuoClW<js"
sample("test_stack_global_dynamic_import.pkl", P([
    Proto.create(4), Global.create("operator", "itemgetter"), BinPut(0), Pop(),
    Global.create("builtins", "getattr"), Mark(), ShortBinUnicode(""), ShortBinUnicode("join"),
    Tuple(), Reduce(), Memoize(), BinGet(0), Mark(), BinInt1(77), BinInt1(83), Tuple(), Reduce(),
    Mark(), BinUnicode(_alphabet), Tuple(), Reduce(), Memoize(), BinGet(1), Mark(), BinGet(2),
    Tuple(), Reduce(), Memoize(), BinGet(0), Mark(), BinInt1(83), BinInt1(16), BinInt1(83),
    BinInt1(47), BinInt1(67), BinInt1(69), Tuple(), Reduce(), Mark(), BinUnicode(_alphabet),
    Tuple(), Reduce(), Memoize(), BinGet(1), Mark(), BinGet(4), Tuple(), Reduce(), Memoize(),
    BinGet(3), BinGet(5), StackGlobal(), Stop()]), CR, 90,
    "none asserted (crash regression; fickling issue 125 CTF)",
    "STACK_GLOBAL of strings computed at run time with operator.itemgetter and ''.join: "
    "imports os.system (returned, not called); static readers see ?.?",
    runtime_only=["os.system"])

# test_crashes.py:160 test_missing_mark_before_tuple
sample("test_missing_mark_before_tuple.pkl", b"\x80\x04t.", CR, 160,
       GT + "; has_interpretation_error", "fickling issue 188: TUPLE with no MARK (CPython: "
       "UnpicklingError 'could not find MARK')")

# test_crashes.py:176 test_cyclic_pickle (two pickles; no severity asserted)
sample("benign_test_cyclic_pickle_1.pkl", P([
    Proto(2), EmptyList(), Memoize(), Get(0), Append(), Stop()]), CR, 176,
    "none asserted (check_safety returns; has_cycles)", "fickling issue 196: L = []; L.append(L)")
sample("benign_test_cyclic_pickle_2.pkl", P([
    Proto(2), EmptyDict(), Memoize(), ShortBinUnicode("self"), Get(0), SetItem(), Stop()]), CR,
    202, "none asserted (has_cycles)", "d = {}; d['self'] = d")

# test_crashes.py:216 test_impossible_cyclic_pickle
sample("test_impossible_cyclic_pickle_1.pkl", P([
    Proto(2), EmptyDict(), Memoize(), Get(0), ShortBinUnicode("value"), SetItem(), Stop()]), CR,
    216, GT + "; has_interpretation_error", "d[d] = 'value' (CPython: TypeError unhashable)")
sample("test_impossible_cyclic_pickle_2.pkl", P([
    Proto(4), EmptySet(), Memoize(), Mark(), Get(0), AddItems(), Stop()]), CR, 240,
    GT + "; has_interpretation_error", "s.add(s) (CPython: TypeError unhashable)")

# --- test/test_pickle.py ----------------------------------------------------------------------
PK = "test/test_pickle.py"
L1234 = pickle.dumps([1, 2, 3, 4])  # DEFAULT_PROTOCOL: 4 on Python 3.8-3.13

# test_pickle.py:89 test_call
sample("test_call.pkl", P([
    Global.create("builtins", "eval"), Mark(), Unicode("(lambda:1234)()"), Tuple(), Reduce(),
    Stop()]), PK, 89, "none asserted (get_result runs it: 1234)", "eval('(lambda:1234)()')")

# test_pickle.py:102 test_inst
sample("benign_test_inst.pkl", P([Mark(), Unicode("1234"), Inst.create("builtins", "int"), Stop()]),
       PK, 102, "none asserted (get_result: 1234)",
       "INST builtins.int('1234'); INST written as CPython reads it (fickling's Inst encoder "
       "raises AttributeError)")


def _injected(data, how):
    p = Pickled.load(data)
    how(p)
    return p.dumps()


# test_pickle.py:118 test_insert
sample("test_insert.pkl", _injected(L1234, lambda p: p.insert_python_eval(
    "[5, 6, 7, 8]", use_output_as_unpickle_result=True)), PK, 118,
    "none asserted (pickle.loads gives [5, 6, 7, 8])", "eval injected first, its result returned")

# test_pickle.py:134 test_insert_list_arg
sample("benign_test_insert_list_arg.pkl", _injected(L1234, lambda p: p.insert_python(
    [1, 2, ["a", "b"], 3], module="builtins", attr="tuple", use_output_as_unpickle_result=True,
    run_first=False)), PK, 134, "none asserted (pickle.loads gives (1, 2, ['a', 'b'], 3))",
    "builtins.tuple([...]) injected, run last")

# test_pickle.py:156 test_insert_run_last
sample("test_insert_run_last.pkl", _injected(L1234, lambda p: p.insert_python_eval(
    "[5, 6, 7, 8]", run_first=False, use_output_as_unpickle_result=False)), PK, 156,
    "none asserted (pickle.loads gives [1, 2, 3, 4])", "eval run last, original result kept")

# test_pickle.py:175 test_insert_run_last_replace_output
sample("test_insert_run_last_replace_output.pkl", _injected(L1234, lambda p: p.insert_python_eval(
    "[5, 6, 7, 8]", run_first=False, use_output_as_unpickle_result=True)), PK, 175,
    "none asserted (pickle.loads gives [5, 6, 7, 8])", "eval run last, its result returned")

# test_pickle.py:186 test_unused_variables
sample("test_unused_variables.pkl", _injected(L1234, lambda p: p.insert_python_eval(
    "[5, 6, 7, 8]", run_first=False)), PK, 186, "OVERTLY_MALICIOUS",
    "eval run last, its result discarded (unused variable)")

# test_pickle.py:199 test_variable_used_only_in_result
sample("test_variable_used_only_in_result.pkl", _injected(L1234, lambda p: p.insert_python_eval(
    "[5, 6, 7, 8]", run_first=False, use_output_as_unpickle_result=True)), PK, 199,
    "none asserted (no unused variable)", "same bytes as test_insert_run_last_replace_output")

# test_pickle.py:209 test_variable_used_only_inside_a_tuple
sample("benign_test_variable_used_only_inside_a_tuple.pkl", P([
    Proto.create(2), EmptyList(), ShortBinUnicode("decimal"), ShortBinUnicode("Decimal"),
    StackGlobal(), EmptyTuple(), Reduce(), TupleOne(), Build(), Stop()]), PK, 209, "LIKELY_SAFE",
    "decimal.Decimal(); BUILD of a list with a tuple state (CPython: the list has no "
    "__setstate__/__dict__, so BUILD fails at run time)")

# test_pickle.py:230 test_variable_used_only_in_an_assignment_target
sample("benign_test_variable_used_only_in_an_assignment_target.pkl", P([
    Proto.create(2), EmptyDict(), ShortBinUnicode("a"), ShortBinUnicode("1"), SetItem(),
    ShortBinUnicode("decimal"), ShortBinUnicode("Decimal"), StackGlobal(), ShortBinUnicode("1"),
    TupleOne(), Reduce(), ShortBinUnicode("2"), SetItem(), Stop()]), PK, 230, "LIKELY_SAFE",
    "{'a': '1', Decimal('1'): '2'}")

# test_pickle.py:256 test_injection_recomputes_frame_lengths (four subtests, protocol 5)
L1234_5 = pickle.dumps([1, 2, 3, 4], protocol=5)
for _n, (_desc, _inject, _mal) in enumerate((
        ("insert_python_eval",
         lambda p: p.insert_python_eval("[5, 6, 7, 8]", use_output_as_unpickle_result=True), True),
        ("insert_python run last",
         lambda p: p.insert_python_eval("[5, 6, 7, 8]", run_first=False,
                                        use_output_as_unpickle_result=False), True),
        ("append_python", lambda p: p.append_python("[9]", pop_result=True), True),
        ("insert_magic_int", lambda p: p.insert_magic_int(0xDEADBEEF), False)), 1):
    sample(("" if _mal else "benign_") + f"test_injection_recomputes_frame_lengths_{_n}.pkl",
           _injected(L1234_5, _inject), PK, 256,
           "none asserted (pickle._loads reads it: the FRAME length was recomputed)",
           f"subtest {_desc!r}", subtest=_desc)

# test_pickle.py:301 test_injection_preserves_unframed_regions
sample("test_injection_preserves_unframed_regions.pkl",
       _injected(_dumps_small_frames([1, b"y" * 2000, 2], 5), lambda p: p.insert_python_eval(
           "None", run_first=False, use_output_as_unpickle_result=False)), PK, 301,
       "none asserted (pickle._loads gives the object back)",
       "eval('None') run last into a framed / unframed / framed pickle. SMALLER EQUIVALENT: "
       "[1, b'y' * 2000, 2] written with a 1 KiB frame target instead of b'y' * 100000 with "
       "64 KiB (same layout: the bytes sit between two frames)")

# test_pickle.py:312 test_insert_stacked: three stacked pickles, eval injected into the second
# (fickling CLI --inject '(lambda:7654321)()' --inject-target 1 --replace-result)
sample("test_insert_stacked.pkl",
       pickle.dumps([1, 2, 3, 4]) + _injected(pickle.dumps(["a", "b", "c", "d"]), lambda p:
       p.insert_python_eval("(lambda:7654321)()", run_first=True,
                            use_output_as_unpickle_result=True)) + pickle.dumps(1234567), PK, 312,
       "none asserted (the second pickle's result is 7654321)",
       "stacked pickles; the eval sits in the SECOND pickle (a first-pickle-only reader misses it)")

# test_pickle.py:352 test_duplicate_proto
sample("benign_test_duplicate_proto.pkl", L1234, PK, 352, "LIKELY_SAFE", "pickle.dumps([1, 2, 3, 4])")
sample("test_duplicate_proto.pkl", _injected(L1234, lambda p: (
    p.insert(-1, Proto.create(1)), p.insert(-1, Proto.create(2)))), PK, 358, "LIKELY_UNSAFE",
    "PROTO 1 and PROTO 2 inserted before STOP (inside the recomputed frame)")

# test_pickle.py:363-449 test_ext1 / test_ext2 / test_ext4 / test_ext_with_function
sample("benign_test_ext1.pkl", bytes([0x80, 0x02, 0x82, 42, 0x29, 0x52, 0x2E]), PK, 363,
       "none asserted (with copyreg.add_extension('collections', 'OrderedDict', 42))",
       "EXT1 42: collections.OrderedDict() only where code 42 is registered; a default "
       "interpreter raises ValueError (unregistered extension code)")
sample("benign_test_ext2.pkl", bytes([0x80, 0x02, 0x83]) + struct.pack("<H", 1000)
       + bytes([0x29, 0x52, 0x2E]), PK, 395,
       "none asserted (with copyreg.add_extension('collections', 'Counter', 1000))",
       "EXT2 1000: collections.Counter() only where registered")
sample("benign_test_ext4.pkl", bytes([0x80, 0x02, 0x84]) + struct.pack("<I", 100000)
       + bytes([0x29, 0x52, 0x2E]), PK, 422,
       "none asserted (with copyreg.add_extension('collections', 'deque', 100000))",
       "EXT4 100000: collections.deque() only where registered")
sample("benign_test_ext_with_function.pkl", bytes([0x80, 0x02, 0x82, 200, 0x8C, 5]) + b"/home"
       + bytes([0x8C, 4]) + b"user" + bytes([0x86, 0x52, 0x2E]), PK, 449,
       "none asserted (with copyreg.add_extension('os.path', 'join', 200))",
       "EXT1 200: os.path.join('/home', 'user') only where registered: a scanner cannot name "
       "the callable from the file alone")

# --- test/test_expansion_attack_analysis.py ---------------------------------------------------
EX = "test/test_expansion_attack_analysis.py"
# test_expansion_attack_analysis.py:33 test_memo_expansion_detection, :58 test_dup_expansion_detection,
# :79 test_legitimate_data_not_flagged, :93 test_dup_nested_expansion_pattern,
# :131 test_memo_nested_expansion_pattern, :175 test_check_safety_catches_resource_exhaustion
sample("test_memo_expansion_detection.pkl", P(
    [Proto.create(4), EmptyList(), Memoize()] + [BinGet(0), Append()] * 60 + [Stop()]), EX, 33,
    ">= SUSPICIOUS", "1 PUT, 60 GETs (list appended to itself)")
sample("test_dup_expansion_detection.pkl", P(
    [Proto.create(4), EmptyList()] + [Dup()] * 150 + [Stop()]), EX, 58, ">= SUSPICIOUS",
    "150 DUPs")
sample("benign_test_legitimate_data_not_flagged.pkl", pickle.dumps(list(range(100))), EX, 79,
       "LIKELY_SAFE", "pickle.dumps(list(range(100)))")
sample("test_dup_nested_expansion_pattern.pkl", P([
    Proto.create(4), Mark(), Mark(), Mark(), ShortBinUnicode("lol"), Dup(), Dup(), Dup(), List(),
    Dup(), Dup(), Dup(), List(), Dup(), Dup(), Dup(), List(), Stop()]), EX, 93,
    GT + " under ExpansionAttackAnalysis(dup_count_threshold=5)",
    "globalLaughs.pt in small (3 layers x 3 DUPs, 64 'lol's); no global")
sample("test_memo_nested_expansion_pattern.pkl", P([
    Proto.create(4), Mark(), Mark(), Mark(), ShortBinUnicode("lol"), BinPut(0), BinGet(0),
    BinGet(0), BinGet(0), List(), BinPut(1), BinGet(1), BinGet(1), BinGet(1), List(), BinPut(2),
    BinGet(2), BinGet(2), BinGet(2), List(), Stop()]), EX, 131,
    GT + " under ExpansionAttackAnalysis(get_put_ratio_threshold=2, high_get_put_ratio_threshold=5)",
    "billionLaughsAlt.pkl in small (3 layers, BINPUT/BINGET)")
sample("test_check_safety_catches_resource_exhaustion.pkl", P(
    [Proto.create(4), EmptyList(), Memoize()] + [BinGet(0), Append()] * 200 + [Stop()]), EX, 175,
    ">= SUSPICIOUS", "1 PUT, 200 GETs")

# --- test/test_loads_api.py -------------------------------------------------------------------
LA = "test/test_loads_api.py"


class _Reduces:
    """Pickles as `func(*args)`: pickle writes func's module and name; it never calls it."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


# test_loads_api.py:23 test_loads_safe_data, :36 test_loads_unsafe_data (Payload, :10),
# :47 test_loads_matches_pickle_signature, :59 test_loads_with_custom_severity
sample("benign_test_loads_safe_data.pkl", pickle.dumps([1, 2, 3, {"key": "value"}]), LA, 23,
       "fickling.loads accepts it (LIKELY_SAFE)", "")
sample("test_loads_unsafe_data.pkl", pickle.dumps(_Reduces(os.system, ("echo 'malicious code'",))),
       LA, 36, "raises UnsafeFileError", "Payload: os.system, pickled by its module's real name "
       f"{os.system.__module__}.system")
sample("benign_test_loads_matches_pickle_signature.pkl", pickle.dumps({"a": 1, "b": 2}, protocol=2),
       LA, 47, "fickling.loads accepts it", "protocol 2 dict")
sample("test_loads_with_custom_severity.pkl",
       pickle.dumps(_Reduces(os.system, ("echo 'malicious code'",))), LA, 59,
       "loads under max_acceptable_severity=LIKELY_OVERTLY_MALICIOUS (so severity <= "
       "LIKELY_OVERTLY_MALICIOUS) and returns os.system's 0", "same bytes as test_loads_unsafe_data")

# --- test/test_unpickler.py -------------------------------------------------------------------
UP = "test/test_unpickler.py"
import numpy  # noqa: E402
import torch  # noqa: E402

# test_unpickler.py:44 setUp: Payload (:13), OuterPayload (:23), Bypass (:33); :62 test_safe_pickle,
# :69 test_simple_unsafe_pickle, :73 test_nested_unsafe_pickle, :78 test_allowed_unsafe_pickle
_payload = pickle.dumps(_Reduces(os.system, ("echo 'I should have been stopped by the hook'",)))
sample("benign_test_safe_pickle.pkl", pickle.dumps([1, 2, 3]), UP, 62,
       "loads under the fickling hook", "")
sample("test_simple_unsafe_pickle.pkl", _payload, UP, 69, "raises UnsafeFileError", "")
sample("test_nested_unsafe_pickle.pkl",
       pickle.dumps(_Reduces(pickle.loads, (pickle.dumps(_Reduces(torch.storage._load_from_bytes,
                                                                  (_payload,))),))), UP, 73,
       "raises UnsafeFileError (with pickle.loads / _pickle.loads allowed)",
       "OuterPayload(Bypass(Payload)): pickle.loads(BINBYTES) of a pickle calling "
       "torch.storage._load_from_bytes(BINBYTES) of a pickle calling os.system")
sample("test_allowed_unsafe_pickle.pkl",
       pickle.dumps(_Reduces(pickle.loads, (pickle.dumps(numpy.dtype(">i4")),))), UP, 78,
       "loads under the hook with also_allow=['pickle.loads', '_pickle.loads']",
       "pickle.loads of a nested numpy.dtype('>i4') pickle: harmless inside, but _pickle.loads "
       "would run any nested pickle")

# --- test/test_scanner_deactivation_analysis.py -----------------------------------------------
SD = "test/test_scanner_deactivation_analysis.py"
# test_scanner_deactivation_analysis.py:9 test_fickling_remove_hook, :27 test_fickling_deactivate_safe_ml,
# :45 test_fickling_remove_hook_via_global_opcode, :60 test_benign_import_not_flagged,
# :77 test_all_scanner_modules_covered
for _file, _line, _mod, _fn in (
        ("test_fickling_remove_hook", 9, "fickling.hook", "remove_hook"),
        ("test_fickling_deactivate_safe_ml", 27, "fickling.hook", "deactivate_safe_ml_environment")):
    sample(f"{_file}.pkl", P([
        op.Proto.create(4), op.ShortBinUnicode(_mod), op.ShortBinUnicode(_fn), op.StackGlobal(),
        op.EmptyTuple(), op.Reduce(), op.Stop()]), SD, _line,
        "OVERTLY_MALICIOUS; ScannerDeactivation finding", f"{_mod}.{_fn}()")
sample("test_fickling_remove_hook_via_global_opcode.pkl", P([
    op.Global.create("fickling.hook", "remove_hook"), op.EmptyTuple(), op.Reduce(), op.Stop()]),
    SD, 45, "OVERTLY_MALICIOUS; ScannerDeactivation finding", "protocol 0 GLOBAL")
sample("benign_test_benign_import_not_flagged.pkl", P([
    op.Proto.create(4), op.ShortBinUnicode("collections"), op.ShortBinUnicode("OrderedDict"),
    op.StackGlobal(), op.EmptyTuple(), op.Reduce(), op.Stop()]), SD, 60,
    "no ScannerDeactivation finding", "collections.OrderedDict()")
# ScannerDeactivation.SCANNER_MODULES (fickling/analysis.py:488) is a frozenset: sorted here
for _n, _module in enumerate(sorted(["fickling", "picklescan", "modelscan", "model_unpickler",
                                     "saferpickle", "modelaudit"]), 1):
    sample(f"test_all_scanner_modules_covered_{_n}.pkl", P([
        op.Proto.create(4), op.ShortBinUnicode(_module), op.ShortBinUnicode("some_func"),
        op.StackGlobal(), op.EmptyTuple(), op.Reduce(), op.Stop()]), SD, 77,
        "ScannerDeactivation finding", f"{_module}.some_func()", subtest=f"module={_module}")


# --- test/test_pytorch.py and test/test_polyglot.py: torch containers --------------------------
def _tiny_model():
    """SMALLER EQUIVALENT of torchvision's mobilenet_v2() (14 MB): one of its own blocks,
    InvertedResidual(2, 2, stride 1, expand ratio 1), so the whole-module pickle names the same
    kinds of classes (torchvision.models.mobilenetv2.*, torchvision.ops.misc.Conv2dNormActivation,
    torch.nn.modules.*) and tensors."""
    from torchvision.models.mobilenetv2 import InvertedResidual
    torch.manual_seed(0)
    return InvertedResidual(2, 2, 1, 1)


_tmp = Path(tempfile.mkdtemp(prefix="fickling_samples_"))
try:
    # test_pytorch.py:23 setUp: torch.save(model, tmp/"test_model.pth") -> records "test_model/..."
    _model_path = _tmp / "test_model.pth"
    torch.save(_tiny_model(), _model_path)

    # test_pytorch.py:53 test_injection_insertion -> fickling/pytorch.py inject_payload("insertion"):
    # insert_python_exec(payload) into */data.pkl, then every record copied into a new zipfile
    # (ZipFile "w", stored). fickling's writestr(name, ...) stamps the current time; fixed here.
    with zipfile.ZipFile(_model_path) as _zin:
        _buf = io.BytesIO()
        with zipfile.ZipFile(_buf, "w") as _zout:
            for _item in _zin.infolist():
                _raw = _zin.read(_item.filename)
                if _item.filename.endswith("/data.pkl"):
                    _p = Pickled.load(_raw)
                    _p.insert_python_exec("print('Hello, World!')")
                    _raw = _p.dumps()
                _zout.writestr(zipfile.ZipInfo(_item.filename, (1980, 1, 1, 0, 0, 0)), _raw)
    sample("test_injection_insertion.pt", _buf.getvalue(), "test/test_pytorch.py", 53,
           "none asserted (PyTorchModelWrapper.inject_payload must not fail)",
           "exec(\"print('Hello, World!')\") injected at the start of data.pkl of a whole-model "
           "torch.save (SMALLER EQUIVALENT model: mobilenet_v2's InvertedResidual block)")

    # test_pytorch.py:63 test_injection_combination -> torch.save(BaseInjection(pickled, payload),
    # tmp/"temp_filename"); BaseInjection.__reduce__ returns (eval, (payload,))
    _out = _tmp / "temp_filename"
    torch.save(_Reduces(eval, ("print('Hello, World!')",)), _out)
    sample("test_injection_combination.pt", _out.read_bytes(), "test/test_pytorch.py", 63,
           "none asserted (inject_payload must not fail)",
           "torch.save of BaseInjection: its __reduce__ makes data.pkl eval(\"print('Hello, "
           "World!')\") (protocol 2 writes builtins as __builtin__)")

    # test_polyglot.py:211 test_create_standard_torchscript_polyglot -> polyglot.py
    # create_standard_torchscript_polyglot: a copy of torch.save(model, "model_v1_3_dup.pth")
    # with the TorchScript file's constants.pkl and version appended (ZipFile "a").
    _dup = _tmp / "model_v1_3_dup.pth"
    torch.save(_tiny_model(), _dup)
    _ts = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.ReLU()), _ts)
    with zipfile.ZipFile(_ts) as _zts:
        _constants = _zts.read("archive/constants.pkl")
        _version = _zts.read("archive/version")
    _poly = _tmp / "test_polyglot.pt"
    shutil.copy(_dup, _poly)
    with zipfile.ZipFile(_poly, "a") as _zout:
        _zout.writestr(zipfile.ZipInfo("constants.pkl", (1980, 1, 1, 0, 0, 0)), _constants)
        _zout.writestr(zipfile.ZipInfo("version", (1980, 1, 1, 0, 0, 0)), _version)
    sample("test_create_standard_torchscript_polyglot.pt", _poly.read_bytes(),
           "test/test_polyglot.py", 211,
           "identify_pytorch_file_format includes 'PyTorch v1.3' and 'TorchScript v1.4'",
           "PyTorch v1.3 / TorchScript v1.4 polyglot: a whole-model torch.save plus top-level "
           "constants.pkl and version records. SMALLER EQUIVALENTS: the model is mobilenet_v2's "
           "InvertedResidual block; constants.pkl/version come from torch.jit.save(script(ReLU())) "
           "of torch 1.13 (the test's squeezenet fixture is not in the snapshot)")

    # test_polyglot.py:99 setUp (used by test_numpy_pickle, :177): np.save(tmp/"pickle.npy", {"test": [1, 2, 3]})
    _npy = _tmp / "pickle.npy"
    numpy.save(_npy, {"test": [1, 2, 3]})
    sample("benign_test_numpy_pickle.npy", _npy.read_bytes(), "test/test_polyglot.py", 177,
           "is_numpy=True, is_numpy_pickle=True (no safety verdict)",
           f"np.save of a dict: an object array whose data is a pickle (numpy {numpy.__version__})")
finally:
    shutil.rmtree(_tmp, ignore_errors=True)

SKIPPED += [
    ("test/test_pickle.py::test_int, test_lists, test_tuples, test_dicts, test_strings, test_bytes, "
     "test_dumps, test_stacked_pickles, test_dumps_is_byte_identical_without_edits",
     "round-trip tests of plain pickle.dumps data; no safety verdict and nothing suspicious"),
    ("test/test_crashes.py::TestInterpreterLimits (5 tests)",
     "fickling interpreter resource-limit unit tests, no check_safety verdict; the same "
     "GET/DUP shapes are covered by the expansion samples"),
    ("test/test_polyglot.py: mobilenet_v2 v1.3 / v0.1.10 files, legacy tar polymock, random zip, "
     "not_pickle.npy, tar/zip/7z wrappers of pickle.npy",
     "format-identification fixtures: a benign model (14 MB), a tar whose 'pickle' is the text "
     "'dummy content', random bytes, a numeric .npy; the 7z one needs py7zr (not installed). "
     "The one pickle among them (pickle.npy) is benign_test_numpy_pickle.npy"),
    ("test/test_polyglot.py / test_pytorch.py: squeezenet1_0_torchscript_v1_4.pt fixture",
     "a benign TorchScript model absent from the snapshot (large file); stood in for by a "
     "torch 1.13 TorchScript of ReLU in the polyglot sample"),
    ("test/test_pytorch.py::test_wrapper, test_torchscript_wrapper, test_pickled, "
     "test_torchscript_pickled, TestUnidentifiedFile",
     "load an untouched benign model or a missing file; no sample of their own"),
]


# ---------------------------------------------------------------------------------------------
# Write the files and fickling_expected.json
# ---------------------------------------------------------------------------------------------

def pickles_of(file, data):
    """(label, pickle bytes) for each pickle a loader would read in the file."""
    if file.endswith(".pt"):
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                if n.endswith(".pkl"):
                    out.append((n, z.read(n)))
        return out
    if file.endswith(".npy"):
        hl = struct.unpack("<H", data[8:10])[0]
        return [("npy array data", data[10 + hl:])]
    return [("pickle", data)]


def expected_entry(s):
    data = s["data"]
    all_globals, notes, nested_globals = [], [], []
    for label, pk in pickles_of(s["file"], data):
        r = analyze_pickle_stream(pk, label)
        for g in r["unique"]:
            if g not in all_globals:
                all_globals.append(g)
        notes += r["notes"]
        notes += [f"{label}: {n}" for n in frame_notes(pk)]
        todo = list(r["nested"])
        while todo:
            inner = todo.pop(0)
            ri = analyze_pickle_stream(inner, "nested pickle")
            for g in ri["unique"]:
                if g not in nested_globals:
                    nested_globals.append(g)
            todo += ri["nested"]
    def dangerous(gs):
        return [g for g in gs if not is_benign(g) and not is_inert_class(g)
                and not g.startswith("<EXT")]
    dg = dangerous(all_globals)
    ndg = [g for g in dangerous(nested_globals) if g not in dg]
    malicious = bool(dg or ndg or s["runtime_only"])
    if s["malicious"] is not None:
        malicious = s["malicious"]
    src = f"{s['source']}::{s['source_func']}"
    entry = {
        "file": s["file"],
        "source": src,
        "source_line": s["line"],
        "subtest": s["subtest"],
        "fickling_verdict": s["verdict"],
        "infected": malicious,
        "dangerous": dg + ndg,
        "nested_dangerous_globals": ndg,
        "runtime_only_globals": s["runtime_only"],
        "other_globals": [g for g in all_globals + nested_globals
                          if g not in dg and g not in ndg],
        "bytes": len(data),
        "notes": "; ".join([x for x in [s["notes"]] + notes if x]),
    }
    return entry


def main():
    for f in HERE.iterdir():
        if f.suffix in (".pkl", ".pt", ".npy"):
            f.unlink()
    names = set()
    expected = {}
    for s in SAMPLES:
        assert s["file"] not in names, s["file"]
        names.add(s["file"])
        # the test function a sample comes from: the name without benign_ and _<n>
        base = s["file"].rsplit(".", 1)[0]
        if base.startswith("benign_"):
            base = base[len("benign_"):]
        parts = base.rsplit("_", 1)
        s["source_func"] = parts[0] if len(parts) == 2 and parts[1].isdigit() else base
        if s["file"] == "test_frame_boundary_divergence_full.pkl":
            s["source_func"] = "test_frame_boundary_divergence"
        (HERE / s["file"]).write_bytes(s["data"])
        if len(s["data"]) >= 20 * 1024 and not s["file"].endswith("_full.pkl"):
            raise SystemExit(f"{s['file']} is {len(s['data'])} bytes")
        entry = expected_entry(s)
        expected[entry.pop("file")] = entry
    document = {"fickling": FICKLING_COMMIT, "files": expected}
    (HERE / "fickling_expected.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(expected)} samples to {HERE} (Python {sys.version.split()[0]}, "
          f"torch {torch.__version__}, numpy {numpy.__version__})")
    for what, why in SKIPPED:
        print(f"skipped: {what}: {why}")


if __name__ == "__main__":
    main()
