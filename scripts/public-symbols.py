#!/usr/bin/env python3
"""Print the functions the public headers declare with UVFIO_API, one a line.

Usage: public-symbols.py HEADER...
"""
import re
import sys

DECL = re.compile(r"\bUVFIO_API\b[^;(]*?\b([A-Za-z_]\w*)\s*\(")

names = set()
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = "\n".join(l for l in f if not l.lstrip().startswith("#"))
    names.update(DECL.findall(text))
print("\n".join(sorted(names)))
