#!/usr/bin/env python3
"""Count the tests of one or more meson test runs and print the closing line.

A cmocka program counts as the cases it ran (its "[  PASSED  ] N" and
"[  FAILED  ] N" lines); any other test counts as one.  A program that
failed without a cmocka summary (a crash, a sanitizer abort) counts as one
failure more than it reported.

Usage: count-results.py BUILD_DIR...   Exit status 1 if anything failed.
"""
import json
import os
import re
import sys

PASSED = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
FAILED = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)
SKIPPED = re.compile(r"^\[  SKIPPED \] (\d+) test", re.M)


def count(build):
    passed = failed = skipped = 0
    path = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        print(f"{build}: no test log (did the build fail?)")
        return 0, 1, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            ok = t["result"] == "OK"
            p = sum(map(int, PASSED.findall(out)))
            x = sum(map(int, FAILED.findall(out)))
            s = sum(map(int, SKIPPED.findall(out)))
            if t["result"] == "SKIP":
                skipped += 1
            elif p or x:
                passed += p
                failed += x + (0 if ok or x else 1)
                skipped += s
            elif ok:
                passed += 1
            else:
                failed += 1
            if not ok and t["result"] != "SKIP":
                print(f"{build}: {t['name']}: {t['result']}")
    return passed, failed, skipped


def main():
    total = [0, 0, 0]
    for build in sys.argv[1:]:
        p, f, s = count(build)
        print(f"{build}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
