#!/usr/bin/env bash
# Seed corpora for the fuzzers, made from the test fixtures: fuzz/make_seeds.sh [BUILD_DIR]
# writes BUILD_DIR/fuzz-seeds/<fuzzer>/ (default build-fuzz). Seeds are regenerated each time and
# never committed; what the fuzzers learn goes to BUILD_DIR/fuzz-corpus/<fuzzer>/ (run_fuzzers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-fuzz}"
out="$build/fuzz-seeds"
rm -rf "$out"
mkdir -p "$out"
python3 - "$out" <<'PY'
import hashlib, io, os, pickletools, sys, tarfile, zipfile

out = sys.argv[1]
data = "tests/data"
MAX = 160 * 1024   # larger fixtures slow every execution down; the small ones cover the same code

def files(*roots):
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in sorted(names):
                path = os.path.join(folder, name)
                if not name.endswith((".py", ".md", ".tsv")) and not name.endswith(".expected.json"):
                    yield path

def put(fuzzer, blob, hint):
    if not blob or len(blob) > MAX:
        return
    folder = os.path.join(out, fuzzer)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(blob).hexdigest()[:16] + "-" + os.path.basename(hint).replace(" ", "_")[:40]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(blob)

def pickles(blob):
    """The pickles back to back in `blob` (the legacy format has five), split at each STOP."""
    start = 0
    while start < len(blob):
        try:
            stop = None
            for op, _, pos in pickletools.genops(io.BytesIO(blob[start:])):
                if op.name == "STOP":
                    stop = pos + 1
                    break
        except Exception:
            stop = None
        if not stop:
            return
        yield blob[start:start + stop]
        start += stop

everything = list(files(data, "resources/sample"))
for path in everything:
    blob = open(path, "rb").read()
    is_zip = blob[:4] == b"PK\x03\x04"
    if is_zip:
        try:
            z = zipfile.ZipFile(io.BytesIO(blob))
            names = z.namelist()
        except Exception:
            names = []
        pt2 = any(n.endswith("/archive_format") and z.read(n).strip() == b"pt2" for n in names)
        script = any(n.endswith("/constants.pkl") for n in names)
        put("fuzz_zip_records", blob, path)
        if pt2:
            put("fuzz_pt2", blob, path)
        if script:
            put("fuzz_torchscript", blob, path)
        for n in names:
            try:
                member = z.read(n)
            except Exception:
                continue
            if n.endswith(".pkl"):
                put("fuzz_pickle_machine", member, path + "-" + n.split("/")[-1])
            if script and "/code/" in n and n.endswith(".py"):
                put("fuzz_torchscript", member, n)
            if n.endswith(".json") and pt2:
                put("fuzz_pt2", blob, path)  # the archive itself carries the JSON
            if n.endswith(".pt") and member[:2] == b"PK":
                put("fuzz_zip_records", member, n)  # nested torch.save archives in .pt2 files
    elif blob[:1] == b"\x80" or blob[:1] in (b"(", b"c", b"]", b"}"):
        put("fuzz_legacy", blob, path)
        for part in pickles(blob):
            put("fuzz_pickle_machine", part, path)
    elif blob[:2] in (b"\x78\x5e", b"\x78\x9c", b"\x78\x01", b"\x78\xda") or blob[:3] == b"\x1f\x8b\x08":
        put("fuzz_legacy", blob, path)  # joblib's compressed pickles
    elif blob[:6] == b"\x93NUMPY":
        put("fuzz_legacy", blob, path)  # .npy: the harness reads it with the NumPy reader
    elif path.endswith(".safetensors"):
        put("fuzz_safetensors", blob, path)
    elif path.endswith(".index.json"):
        put("fuzz_shard_index", blob, path)
    else:
        try:
            tarfile.open(fileobj=io.BytesIO(blob))
            put("fuzz_legacy", blob, path)
            with tarfile.open(fileobj=io.BytesIO(blob)) as t:
                for m in t.getmembers():
                    if m.name.endswith("pickle") and m.isfile():
                        for part in pickles(t.extractfile(m).read()):
                            put("fuzz_pickle_machine", part, path + "-pickle")
        except Exception:
            pass
    # Broken and hostile fixtures of every kind seed the reader they were made for.
    if "broken_" in path or "hostile" in path:
        if path.endswith(".safetensors"):
            put("fuzz_safetensors", blob, path)
        elif not is_zip and not path.endswith(".json"):
            put("fuzz_legacy", blob, path)

# A minimal shard index naming shards the harness's scratch folder holds.
put("fuzz_shard_index", b'{"metadata": {"total_size": 64}, "weight_map": {"a": "model-00001-of-00002.safetensors", '
    b'"b": "pytorch_model-00002-of-00002.bin"}}', "mixed.index.json")

for fuzzer in sorted(os.listdir(out)):
    print(f"{fuzzer}: {len(os.listdir(os.path.join(out, fuzzer)))} seeds")
PY
