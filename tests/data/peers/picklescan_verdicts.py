#!/usr/bin/python3
"""picklescan's own verdict on each of its samples in tests/data/peers/picklescan: the Dangerous
globals it names and whether it calls the file infected, from its scanner itself
(mmaitre314/picklescan, commit f15d54da3dec9aa28a87ede82f87882bb80f1023, src/picklescan).

Names are also given as CPython 3 reads them: a protocol 0-2 pickle's Python 2 names
(__builtin__.eval, httplib.HTTPSConnection) are mapped by CPython's own _compat_pickle tables,
as pickle.load(fix_imports=True) and torch.load do; picklescan's "unknown" part (a name only
known at run time) is our "?".
Run: PYTHONPATH=<picklescan checkout>/src /usr/bin/python3 tests/data/peers/picklescan_verdicts.py"""
import _compat_pickle
import json
import os

from picklescan.scanner import SafetyLevel, scan_file_path

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "picklescan")


def python3_name(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    if module == "unknown" or module.isdigit():
        module = "?"
    if name == "unknown":
        name = "?"
    return f"{module}.{name}"


def main():
    verdicts = {}
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".json"):
            continue
        result = scan_file_path(os.path.join(HERE, name))
        dangerous = sorted({python3_name(g.module, g.name) for g in result.globals if g.safety == SafetyLevel.Dangerous})
        verdicts[name] = {"infected": bool(result.infected_files), "scan_err": bool(result.scan_err), "dangerous": dangerous}
    with open(os.path.join(HERE, "picklescan_verdicts.json"), "w") as f:
        json.dump({"picklescan": "f15d54da3dec9aa28a87ede82f87882bb80f1023", "files": verdicts}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(len(verdicts), "samples,", sum(v["infected"] for v in verdicts.values()), "infected")


if __name__ == "__main__":
    main()
