#!/usr/bin/env python3
"""Source coverage of each fuzz target's corpus, on the code it is for.

Runs every target of a coverage build (clang -fprofile-instr-generate
-fcoverage-mapping, make fuzz-coverage) once over its seeds and over the
corpus that make fuzz grew in the fuzzing build, then prints, per target,
the lines and branches covered of the files that target exists to test
(llvm-cov's source-based figures, not libFuzzer's edge count, whose total
is the whole library).

Usage: coverage.py [--files] COVERAGE_BUILD FUZZ_BUILD
  --files: each file's figures too
"""
import glob
import json
import os
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each target and the files it is meant to reach.
TARGETS = {
    "server": ["lib/vfio-user/server*.c", "lib/vfio-user/msg.c"],
    "mig-stream": ["lib/migration/stream.c"],
    "caps": ["lib/vfio-user/caps.c"],
    "pci-config": ["lib/pci/*.c"],
    "device-load": ["devices/ram/ram.c", "devices/edu/edu-mig.c",
                    "devices/mtty/mtty-mig.c", "devices/qacc/qacc-mig.c"],
    "mtty-kstream": ["devices/mtty/mtty-kstream.c"],
    "dirty": ["lib/migration/dirty.c"],
    "config": ["tools/uvfiod-config.c", "devices/registry.c"],
    "qacc": ["devices/qacc/*.c"],
}


def files_of(patterns):
    return {os.path.realpath(f) for p in patterns
            for f in glob.glob(os.path.join(SRC, p))}


def measure(cov_build, fuzz_build, name):
    out = os.path.join(cov_build, "fuzz", "coverage-" + name)
    os.makedirs(out, exist_ok=True)
    exe = os.path.join(cov_build, "fuzz", "fuzz-" + name)
    corpora = [os.path.join(SRC, "fuzz", "corpus", name)]
    grown = os.path.join(fuzz_build, "fuzz", "corpus-" + name)
    if os.path.isdir(grown):
        corpora.append(grown)
    inputs = sum(len(os.listdir(c)) for c in corpora)
    raw = os.path.join(out, "run.profraw")
    data = os.path.join(out, "run.profdata")
    env = dict(os.environ, LLVM_PROFILE_FILE=raw)
    subprocess.run([exe, "-runs=0", "-max_len=65536", "-timeout=60"] + corpora,
                   env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["llvm-profdata", "merge", "-sparse", "-o", data, raw],
                   check=True)
    report = subprocess.run(
        ["llvm-cov", "export", "-summary-only", exe, "-instr-profile=" + data],
        check=True, capture_output=True, text=True).stdout
    wanted = files_of(TARGETS[name])
    lines = [0, 0]
    branches = [0, 0]
    seen = {}
    for f in json.loads(report)["data"][0]["files"]:
        path = os.path.realpath(f["filename"])
        if path not in wanted:
            continue
        s = f["summary"]
        seen[path] = s
        lines[0] += s["lines"]["covered"]
        lines[1] += s["lines"]["count"]
        branches[0] += s["branches"]["covered"]
        branches[1] += s["branches"]["count"]
    if set(seen) != wanted:
        sys.exit(f"{name}: no coverage of {sorted(wanted - set(seen))}")
    per_file = {os.path.relpath(p, SRC): s for p, s in sorted(seen.items())}
    return inputs, lines, branches, per_file


def pct(pair):
    return 100.0 * pair[0] / pair[1] if pair[1] else 0.0


def main():
    args = sys.argv[1:]
    per_file = args[:1] == ["--files"]
    args = args[1:] if per_file else args
    if len(args) != 2:
        sys.exit(__doc__)
    cov_build, fuzz_build = args
    print(f"{'target':<13} {'inputs':>7} {'lines':>17} {'branches':>17}  files")
    for name in TARGETS:
        inputs, lines, branches, files = measure(cov_build, fuzz_build, name)
        print(f"{name:<13} {inputs:>7} "
              f"{lines[0]:>5}/{lines[1]:<5} {pct(lines):5.1f}% "
              f"{branches[0]:>5}/{branches[1]:<5} {pct(branches):5.1f}%  "
              + " ".join(files))
        if per_file:
            for f, s in files.items():
                print(f"  {f:<30} lines {s['lines']['covered']:>5}/"
                      f"{s['lines']['count']:<5} branches "
                      f"{s['branches']['covered']:>5}/"
                      f"{s['branches']['count']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
