#!/usr/bin/env python3
"""Mutation check: damaged copies of real checkpoints through `statelens-cli ls` and `stats`.

Makes COUNT mutated copies of the fixtures under tests/data that open cleanly (the broken, hostile
and fuzz fixtures are left out: they are damaged already), with a fixed seed so every run makes
the same files:

  flip      1-16 bit flips (mostly 1-4), 70 % of them in the first or last 4 KiB (headers, the zip directory)
  truncate  the file cut short, half the time inside its last 4 KiB (the zip central directory)
  splice    the head of one fixture joined to the tail of another
  zero      1-3 runs of 1-512 zero bytes, biased to the first and last 4 KiB
  index     a shard index mutated as above, in a folder with copies of its shards

then runs `statelens-cli ls FILE` and `statelens-cli stats FILE` on each with a timeout. It fails
when a run dies of a signal, runs past the timeout, prints a sanitizer report, exits with a code
other than 0, 1 or 2, or exits non-zero without exactly one line on stderr that names the file
("statelens-cli: FILE: problem"). Usage:

  python3 tests/robustness/mutate_checkpoints.py --cli build/bin/statelens-cli [--count 300]

ctest runs it on 60 copies (label `robustness`); the full check is --count 300.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

EXTENSIONS = (".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".pt2")
EDGE = 4096


def fixtures(data):
    found = []
    for folder, dirs, names in os.walk(data):
        rel = os.path.relpath(folder, data)
        top = rel.split(os.sep)[0]
        if top in ("hostile", "fuzz") or top.startswith("sharded"):
            dirs[:] = []
            continue
        if os.path.basename(folder) == "resnet18_sharded":
            continue
        for name in sorted(names):
            path = os.path.join(folder, name)
            if name.endswith(EXTENSIONS) and not name.startswith(("broken_", "hostile_")) and os.path.getsize(path) <= 2 << 20:
                found.append(path)
    return sorted(found)


def biased_position(rng, size):
    """A byte offset, 70 % of the time inside the first or last 4 KiB."""
    if size <= 0:
        return 0
    if rng.random() < 0.7:
        if rng.random() < 0.5:
            return rng.randrange(min(size, EDGE))
        return size - 1 - rng.randrange(min(size, EDGE))
    return rng.randrange(size)


def flip(rng, blob):
    data = bytearray(blob)
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 8, 16))):  # mostly few: deeper before a check fails
        if data:
            at = biased_position(rng, len(data))
            data[at] ^= 1 << rng.randrange(8)
    return bytes(data), "flip"


def truncate(rng, blob):
    size = len(blob)
    if size < 2:
        return blob, "truncate"
    if rng.random() < 0.5:
        cut = size - 1 - rng.randrange(min(size - 1, EDGE))
    else:
        cut = rng.randrange(size)
    return blob[:cut], "truncate"


def zero(rng, blob):
    data = bytearray(blob)
    for _ in range(rng.randint(1, 3)):
        if data:
            at = biased_position(rng, len(data))
            length = rng.randint(1, 512)
            data[at:at + length] = bytes(len(data[at:at + length]))
    return bytes(data), "zero"


def splice(rng, blob, other):
    head = rng.randrange(len(blob) + 1)
    tail = rng.randrange(len(other) + 1)
    return blob[:head] + other[tail:], "splice"


def mutate(rng, blob, pool):
    kind = rng.choice(("flip", "flip", "truncate", "splice", "zero"))
    if kind == "flip":
        return flip(rng, blob)
    if kind == "truncate":
        return truncate(rng, blob)
    if kind == "zero":
        return zero(rng, blob)
    return splice(rng, blob, open(rng.choice(pool), "rb").read())


def make_mutants(data, count, seed, out):
    rng = random.Random(seed)
    pool = fixtures(data)
    if not pool:
        sys.exit(f"mutate_checkpoints: no fixtures under {data}")
    indexes = [os.path.join(data, "sharded_st"), os.path.join(data, "sharded_bin")]
    mutants = []
    for n in range(count):
        if rng.random() < 0.05:
            # A shard index in a folder with its shards, so names that survive still resolve.
            source = rng.choice(indexes)
            folder = os.path.join(out, f"{n:03d}-index-{os.path.basename(source)}")
            shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.expected.json"))
            index = next(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".index.json"))
            blob, kind = [flip, truncate, zero][rng.randrange(3)](rng, open(index, "rb").read())
            with open(index, "wb") as f:
                f.write(blob)
            mutants.append((index, "index-" + kind, source))
            continue
        source = rng.choice(pool)
        blob, kind = mutate(rng, open(source, "rb").read(), pool)
        if rng.random() < 0.2:  # now and then a second mutation on top
            blob, second = mutate(rng, blob, pool)
            kind += "+" + second
        path = os.path.join(out, f"{n:03d}-{kind}-{os.path.basename(source)}")
        with open(path, "wb") as f:
            f.write(blob)
        mutants.append((path, kind, source))
    return mutants


def check(cli, path, verb, timeout):
    """Runs one verb; returns (problem or None, exit code, seconds)."""
    start = time.monotonic()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LC_ALL="C.UTF-8")
    try:
        run = subprocess.run([cli, verb, path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"hung: no exit after {timeout} s", None, time.monotonic() - start
    seconds = time.monotonic() - start
    err = run.stderr.decode("utf-8", "replace")
    code = run.returncode
    if code < 0:
        return f"killed by signal {-code}: {err.strip()[:300]}", code, seconds
    if "Sanitizer" in err or "runtime error:" in err:
        return "sanitizer report: " + err.strip()[:600], code, seconds
    if code not in (0, 1, 2):
        return f"exit code {code}: {err.strip()[:300]}", code, seconds
    if code != 0:
        lines = err.splitlines()
        prefix = f"statelens-cli: {path}: "
        if len(lines) != 1 or not lines[0].startswith(prefix) or len(lines[0]) == len(prefix):
            return f"exit {code} without a one-line message naming the file: {err.strip()[:300]!r}", code, seconds
    return None, code, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--cli", default=os.path.join(root, "build", "bin", "statelens-cli"))
    parser.add_argument("--data", default=os.path.join(root, "tests", "data"))
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", help="copy the failing mutants into this folder")
    args = parser.parse_args()
    if not os.access(args.cli, os.X_OK):
        sys.exit(f"mutate_checkpoints: {args.cli} is not an executable: build statelens-cli first")

    started = time.monotonic()
    out = tempfile.mkdtemp(prefix="statelens-mutants-")
    try:
        mutants = make_mutants(args.data, args.count, args.seed, out)
        jobs = [(path, kind, source, verb) for path, kind, source in mutants for verb in ("ls", "stats")]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda job: check(args.cli, job[0], job[3], args.timeout), jobs))

        failures = []
        codes = {}
        slowest = (0.0, "")
        for (path, kind, source, verb), (problem, code, seconds) in zip(jobs, results):
            codes.setdefault(verb, {}).setdefault(code, 0)
            codes[verb][code] += 1
            if seconds > slowest[0]:
                slowest = (seconds, f"{verb} {os.path.basename(path)}")
            if problem:
                failures.append((path, kind, source, verb, problem))
        kinds = {}
        for _, kind, _ in mutants:
            kinds[kind.split("+")[0]] = kinds.get(kind.split("+")[0], 0) + 1
        print(f"mutate_checkpoints: {len(mutants)} mutants of {len(fixtures(args.data))} fixtures (seed {args.seed}), "
              f"{len(jobs)} runs in {time.monotonic() - started:.1f} s")
        print("  mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        for verb in ("ls", "stats"):
            print(f"  {verb}: " + ", ".join(f"exit {c} x{n}" for c, n in sorted(codes.get(verb, {}).items(), key=lambda i: str(i[0]))))
        print(f"  slowest run: {slowest[0]:.2f} s ({slowest[1]})")
        for path, kind, source, verb, problem in failures:
            print(f"FAIL {verb} {os.path.basename(path)} ({kind} of {os.path.relpath(source, args.data)}): {problem}")
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                shutil.copy(path, args.keep)
        print(f"  failures: {len(failures)}")
        return 1 if failures else 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
