#!/usr/bin/python3
"""modelscan's own test samples, written here the way its test suite writes them, with the verdict
its asserts give for each (modelscan_expected.json).

Source: protectai/modelscan, commit 8b8ed4bf78a863fcf3b664888dc7ff6ae22f5230 (2025-08-06),
tests/test_modelscan.py (fixtures file_path, zip_file_path, pytorch_file_path, numpy_file_path;
asserts in test_scan_file_path, test_scan_pytorch, test_scan_numpy, test_scan_directory_path) and
tests/test_utils.py (PickleInject, DillInject). unsafe_zip_pytorch.pt and password_protected.zip are
that commit's tests/data files, copied byte for byte.

Nothing here is ever unpickled: each sample is made by pickle.dumps of an object whose __reduce__
names the callable (pickling never calls it) or from the opcodes the tests spell out.
The Keras and TensorFlow samples are out of scope (issue 24). modelscan's test.zip (zip_file_path)
is malicious1.zip again and is not repeated.

Names in "dangerous" are modelscan's asserted (module, name) pairs as CPython 3 resolves them:
a protocol 0-2 pickle's Python 2 names (__builtin__.eval, httplib.HTTPSConnection) through
CPython's own _compat_pickle tables, as pickle.load(fix_imports=True) and torch.load do.

Needs Debian's python3-torch, python3-numpy, python3-requests and python3-dill (0.3.6 here;
modelscan's CI used a later dill, whose bytes for these objects may differ).
Run: /usr/bin/python3 tests/data/peers/modelscan/make_modelscan_samples.py"""
import _compat_pickle
import bdb
import http.client
import io
import json
import os
import pickle
import socket
import struct
import subprocess
import sys
import types
import zipfile

import dill
import numpy as np
import requests
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
COMMIT = "8b8ed4bf78a863fcf3b664888dc7ff6ae22f5230"

# aiohttp is not installed here: a stand-in module of the same name, so that pickle writes the
# reference modelscan's Malicious5 gets (pickle only checks that the name resolves to the object).
aiohttp_client = types.ModuleType("aiohttp.client")


class ClientSession:
    pass


ClientSession.__module__ = "aiohttp.client"
aiohttp_client.ClientSession = ClientSession
sys.modules["aiohttp"] = types.ModuleType("aiohttp")
sys.modules["aiohttp.client"] = aiohttp_client
sys.modules["aiohttp"].ClientSession = ClientSession


# test_modelscan.py, lines 48-99.
class Malicious1:
    def __reduce__(self):
        return eval, ("print('456')",)


class Malicious2:
    def __reduce__(self):
        return os.system, ("ls -la",)


class Malicious3:
    def __reduce__(self):
        return http.client.HTTPSConnection, ("github.com",)


class Malicious4:
    def __reduce__(self):
        return requests.get, ("https://github.com",)


class Malicious5:
    def __reduce__(self):
        return ClientSession, tuple()


class Malicious6:
    def __reduce__(self):
        return socket.create_connection, (("github.com", 80),)


class Malicious7:
    def __reduce__(self):
        return subprocess.run, (["ls", "-l"],)


class Malicious8:
    def __reduce__(self):
        return sys.exit, (0,)


class Malicious15:
    def __reduce__(self):
        bd = bdb.Bdb()
        return bdb.Bdb.run, (bd, 'import os\nos.system("whoami")')


def malicious12_gen():  # lines 102-133: pickle.loads of a second pickle that calls os.system
    p = pickle.PROTO + b"\x05"
    p += pickle.GLOBAL + b"pickle\nloads\n"
    p2 = (pickle.PROTO + b"\x05" + pickle.GLOBAL + b"os\nsystem\n" + pickle.UNICODE + b"echo pwned!!!\n"
          + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP)
    p += pickle.BINBYTES + len(p2).to_bytes(4, "little") + p2
    p += pickle.TUPLE1 + pickle.REDUCE + pickle.POP + pickle.NONE + pickle.STOP
    return p


def malicious13_gen():  # lines 136-145: a dotted name, eval.__call__
    p = pickle.PROTO + b"\x05"
    p += pickle.GLOBAL + b"builtins\neval.__call__\n"
    p += pickle.UNICODE + b'__import__("os").system("echo pwned!!!")\n'
    p += pickle.TUPLE1 + pickle.REDUCE + pickle.STOP
    return p


def malicious11_body():  # lines 291-314: the imaginaryctf "Safe Pickle" STACK_GLOBAL over memo GETs
    return b"".join([
        pickle.UNICODE + b"os\n", pickle.PUT + b"2\n", pickle.POP,
        pickle.UNICODE + b"system\n", pickle.PUT + b"3\n", pickle.POP,
        pickle.UNICODE + b"torch\n", pickle.PUT + b"0\n", pickle.POP,
        pickle.UNICODE + b"LongStorage\n", pickle.PUT + b"1\n", pickle.POP,
        pickle.GET + b"2\n", pickle.GET + b"3\n", pickle.STACK_GLOBAL,
        pickle.MARK, pickle.UNICODE + b"cat flag.txt\n", pickle.TUPLE, pickle.REDUCE, pickle.STOP,
    ])


def malicious14_gen():  # lines 148-175: malicious11 followed by whitespace
    return malicious11_body() + b"\n\n\t\t"


# Sour Pickles (BlackHat US 2011), lines 263-273.
MALICIOUS0 = (b'c__builtin__\nglobals\n(tRp100\n0c__builtin__\ncompile\n(S\'fl=open("/etc/passwd");picklesmashed=fl.read();'
              + b"'\nS''\nS'exec'\ntRp101\n0c__builtin__\neval\n(g101\ng100\ntRp102\n0c__builtin__\ngetattr\n(c__builtin__\n"
              + b"dict\nS'get'\ntRp103\n0c__builtin__\napply\n(g103\n(g100\nS'picklesmashed'\nltRp104\n0g104\n.")


class PickleInject:
    """test_utils.py, PickleInject._Pickler: the payload saved before the user's object, inside one
    protocol 4 pickle (lines 60-85)."""

    class _Pickler(pickle._Pickler):
        def __init__(self, file, protocol, inj_objs):
            super().__init__(file, protocol)
            self.inj_objs = inj_objs

        def dump(self, obj):
            if self.proto >= 2:
                self.write(pickle.PROTO + struct.pack("<B", self.proto))
            if self.proto >= 4:
                self.framer.start_framing()
            for inj_obj in self.inj_objs:
                self.save(inj_obj)
            self.save(obj)
            self.write(pickle.STOP)
            self.framer.end_framing()

    class Exec:
        def __init__(self, args):
            self.args = args

        def __reduce__(self):
            return exec, (self.args,)


def python3_name(dotted):
    module, name = dotted.split(":")
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    return f"{module}.{name}"


def main():
    samples = {}  # file -> (bytes, asserted "module:name" list or None for a benign file, source)

    def add(name, data, asserted, source, skipped=None):
        samples[name] = (data, asserted, source, skipped)

    fixture = "test_modelscan.py::file_path, asserts in test_scan_file_path"
    for version in (0, 3, 4):
        builtins = "__builtin__" if version < 3 else "builtins"
        add(f"benign0_v{version}.pkl", pickle.dumps(["a", "b", "c"], protocol=version), None, fixture)
        add(f"malicious1_v{version}.pkl", pickle.dumps(Malicious1(), protocol=version), [f"{builtins}:eval"], fixture)
        add(f"malicious2_v{version}.pkl", pickle.dumps(Malicious2(), protocol=version), ["posix:system"], fixture)
        add(f"benign0_v{version}.dill", dill.dumps(["a", "b", "c"], protocol=version), None, fixture)
        add(f"malicious1_v{version}.dill", dill.dumps(Malicious1(), protocol=version), [f"{builtins}:eval"], fixture)
    add("malicious0.pkl", MALICIOUS0,
        ["__builtin__:apply", "__builtin__:eval", "__builtin__:compile", "__builtin__:getattr"], fixture)
    add("malicious3.pkl", pickle.dumps(Malicious3(), protocol=0), ["httplib:HTTPSConnection"], fixture)
    add("malicious4.pickle", pickle.dumps(Malicious4(), protocol=4), ["requests.api:get"], fixture)
    add("malicious5.pickle", pickle.dumps(Malicious5(), protocol=4), ["aiohttp.client:ClientSession"], fixture)
    add("malicious6.pkl", pickle.dumps(["a", "b", "c"]) + pickle.dumps(Malicious4()), ["requests.api:get"], fixture)
    add("malicious7.pkl", pickle.dumps(Malicious6(), protocol=4), ["socket:create_connection"], fixture)
    add("malicious8.pkl", pickle.dumps(Malicious7(), protocol=4), ["subprocess:run"], fixture)
    add("malicious9.pkl", pickle.dumps(Malicious8(), protocol=4), ["sys:exit"], fixture)
    add("malicious10.pkl", b"(S'print(\"Injection running\")'\ni__builtin__\nexec\n.", ["__builtin__:exec"], fixture)
    add("malicious11.pkl", malicious11_body(), ["os:system"], fixture)
    add("malicious12.pkl", malicious12_gen(), ["pickle:loads"], fixture)
    add("malicious13.pkl", malicious13_gen(), ["builtins:eval.__call__"], fixture)
    add("malicious14.pkl", malicious14_gen(), ["os:system"], fixture)
    add("malicious15.pkl", pickle.dumps(Malicious15(), protocol=4), ["bdb:Bdb.run", "bdb:Bdb"], fixture)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed date so that the file is the same on every run.
        archive.writestr(zipfile.ZipInfo("data.pkl", date_time=(2025, 8, 6, 0, 0, 0)), pickle.dumps(Malicious1(), protocol=4))
    add("malicious1.zip", buffer.getvalue(), ["builtins:eval"], fixture)

    # pytorch_file_path, asserts in test_scan_pytorch: a PNG named .pt, and nn.Module().state_dict()
    # saved by torch in both formats.
    torch_source = "test_modelscan.py::pytorch_file_path, asserts in test_scan_pytorch"
    add("bad_pytorch.pt", b"\211PNG\r\n\032\n", None, torch_source, skipped="Invalid magic number")
    for name, zipped in (("safe_zip_pytorch.pt", True), ("safe_old_format_pytorch.pt", False)):
        # Saved to its path, as the test does: torch names the zip's folder after the file.
        torch.save(torch.nn.Module().state_dict(), os.path.join(HERE, name), _use_new_zipfile_serialization=zipped)
        with open(os.path.join(HERE, name), "rb") as f:
            add(name, f.read(), None, torch_source)

    # numpy_file_path, asserts in test_scan_numpy: np.save of a list, and that array pickled after
    # an exec payload by PickleInject (a raw pickle named .npy).
    numpy_source = "test_modelscan.py::numpy_file_path, asserts in test_scan_numpy"
    buffer = io.BytesIO()
    np.save(buffer, [[1, 2, 3], [4, 5, 6]])
    add("safe_numpy.npy", buffer.getvalue(), None, numpy_source)
    buffer = io.BytesIO()
    PickleInject._Pickler(buffer, 4, [PickleInject.Exec('print("Malicious code!")')]).dump(np.array([[1, 2, 3], [4, 5, 6]]))
    add("unsafe_numpy.npy", buffer.getvalue(), ["builtins:exec"], numpy_source)

    files = {}
    for name, (data, asserted, source, skipped) in sorted(samples.items()):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        files[name] = {"source": source, "infected": asserted is not None,
                       "asserted": asserted or [], "dangerous": sorted({python3_name(n) for n in asserted or []})}
        if skipped:  # modelscan's "skipped_files" entry: not scanned at all
            files[name]["skipped"] = skipped
    # Copied from the repository's tests/data at that commit.
    files["unsafe_zip_pytorch.pt"] = {"source": "tests/data/unsafe_zip_pytorch.pt, asserts in test_scan_pytorch", "infected": True,
                                      "asserted": ["posix:system"], "dangerous": ["posix.system"]}
    files["password_protected.zip"] = {"source": "tests/data/password_protected.zip, test_scan_directory_path",
                                       "infected": False, "asserted": [], "dangerous": [],
                                       "skipped": "Skipping zip file due to error: File 'test.txt' is encrypted, password required for extraction"}
    for name in ("unsafe_zip_pytorch.pt", "password_protected.zip"):
        assert os.path.exists(os.path.join(HERE, name)), name
    with open(os.path.join(HERE, "modelscan_expected.json"), "w") as f:
        json.dump({"modelscan": COMMIT, "files": files}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(len(files), "samples,", sum(v["infected"] for v in files.values()), "malicious")


if __name__ == "__main__":
    main()
