#!/usr/bin/env python3
"""Count the tests of one or more meson test runs and print the closing line.

A cmocka program counts as the cases it ran, from its per-case lines
("[       OK ] name", "[  FAILED  ] name", "[  SKIPPED ] name" closing a
"[ RUN      ] name"), not from its summary: a program that crashes (a
sanitizer abort) prints no summary, and the cases it passed still count.
A "[ RUN      ]" with no result after it (the case that crashed) counts as
one failure; a program that failed without any failing case counts as one
failure more.  A TAP script counts its "ok" / "not ok" lines ("# SKIP"
and "# TODO" ones as skipped).  Any other test counts as one.  This needs cmocka's
standard output format (CMOCKA_MESSAGE_OUTPUT unset).

Usage: count-results.py BUILD_DIR...   Exit status 1 if anything failed.
"""
import json
import os
import re
import sys

CASE = re.compile(r"^\[\s*(RUN|OK|FAILED|SKIPPED)\s*\] (\S.*?)\s*$")
RESULTS = {"OK": "passed", "FAILED": "failed", "SKIPPED": "skipped"}
TAP = re.compile(r"^(not )?ok \d+\b(.*)$")


def tap_cases(out):
    """Counts of a TAP script's result lines, or None if it has none."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    seen = False
    for line in out.splitlines():
        m = TAP.match(line)
        if not m:
            continue
        seen = True
        # "not ok ... # TODO" is an expected failure in TAP: not counted
        # as a failure (meson agrees), reported among the skipped.
        if re.search(r"#\s*TODO", m.group(2), re.I):
            counts["skipped"] += 1
        elif m.group(1):
            counts["failed"] += 1
        elif re.search(r"#\s*SKIP", m.group(2), re.I):
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts if seen else None


def cases(out):
    """Per-case counts of one cmocka program's output, or None if it has
    no cmocka case lines."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    running = None
    seen = False
    for line in out.splitlines():
        m = CASE.match(line)
        if not m:
            continue
        tag, name = m.group(1), m.group(2)
        if tag == "RUN":
            seen = True
            if running is not None:  # the previous case never finished
                counts["failed"] += 1
            running = name
        elif name == running:
            # Summary lines ("[  FAILED  ] 1 test(s), listed below:" and
            # the list of names after it) close no open case: ignored.
            counts[RESULTS[tag]] += 1
            running = None
    if running is not None:
        counts["failed"] += 1
    return counts if seen else None


def count(build):
    """Counts of BUILD's test log, and of its memcheck setup's if any."""
    logs = os.path.join(build, "meson-logs")
    path = os.path.join(logs, "testlog.json")
    if not os.path.exists(path):
        print(f"{build}: no test log (did the build fail?)")
        return 0, 1, 0
    passed, failed, skipped = count_log(build, path)
    path = os.path.join(logs, "testlog-memcheck.json")
    if os.path.exists(path):
        p, f, s = count_log(build + " (memcheck)", path)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    return passed, failed, skipped


def count_log(build, path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            # cmocka prints the per-case lines on stdout, its summary on
            # stderr; stdout first keeps each case's lines in order.
            out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
            ok = t["result"] == "OK"
            c = cases(out)
            if c is None:
                c = tap_cases(t.get("stdout") or "")
            if t["result"] == "SKIP":
                skipped += 1
            elif c is not None:
                passed += c["passed"]
                failed += c["failed"] + (0 if ok or c["failed"] else 1)
                skipped += c["skipped"]
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
    # CI reads the last line and wants exactly "N passed, M failed".
    print(f"{total[2]} skipped")
    print(f"{total[0]} passed, {total[1]} failed")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
