#!/usr/bin/env python3
"""libuvfio exports exactly the UVFIO_API functions of the public headers.

The three lists must agree: what the headers declare UVFIO_API, what
lib/libuvfio.map exports, and what the built libuvfio.so defines.

Usage: check-exports.py LIBUVFIO_SO MAP_FILE HEADER...
"""
import re
import subprocess
import sys

DECL = re.compile(r"\bUVFIO_API\b[^;(]*?\b([A-Za-z_]\w*)\s*\(")


def declared(headers):
    names = set()
    for path in headers:
        with open(path, encoding="utf-8") as f:
            text = "\n".join(l for l in f if not l.lstrip().startswith("#"))
        names.update(DECL.findall(text))
    return names


def mapped(path):
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"#.*", "", f.read())
    glob = text.split("global:", 1)[1].split("local:", 1)[0]
    return {n.strip() for n in glob.split(";") if n.strip()}


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    return {l.split()[-1].split("@")[0] for l in out.splitlines()
            if l.split() and l.split()[-2] in "TWDBR"}


def main():
    lib, mapfile, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    want = declared(headers)
    checks = [("lib/libuvfio.map", mapped(mapfile)),
              ("libuvfio.so", exported(lib) - {"UVFIO_0.1"})]
    bad = False
    for what, have in checks:
        for n in sorted(want - have):
            print(f"{n}: declared UVFIO_API but missing from {what}")
            bad = True
        for n in sorted(have - want):
            print(f"{n}: in {what} but not declared UVFIO_API")
            bad = True
    print(f"{len(want)} public functions checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
