#!/usr/bin/env python3
"""Write the seed corpus of fuzz-mig-stream: valid migration streams
(docs/migration-stream.md) of several shapes, for the identity the fuzz
target expects.  The CRC32C comes from ISA-L, as in the library.  Run from
the repository root: python3 fuzz/make-mig-seeds.py"""
import ctypes
import ctypes.util
import os
import struct

OUT = "fuzz/corpus/mig-stream"

_isal = ctypes.CDLL(ctypes.util.find_library("isal") or "libisal.so.2")
_isal.crc32_iscsi.restype = ctypes.c_uint
_isal.crc32_iscsi.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]


def crc32c(data):
    return _isal.crc32_iscsi(data, len(data), 0xffffffff) ^ 0xffffffff


assert crc32c(b"123456789") == 0xe3069283

INITIAL, DIRTY, FINAL = 1, 2, 3
EDU = (0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, b"edu", b"edu-1")
LONG = (0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, b"t" * 64, b"c" * 64)


def header(ident=EDU, minor=0, ext=b""):
    vendor, device, svendor, subsys, rev, typ, compat = ident
    hlen = 28 + len(typ) + len(compat) + len(ext) + 4
    h = (b"uvfioMIG" + struct.pack("<HHIHHHHBBBB", 1, minor, hlen, vendor,
                                   device, svendor, subsys, rev, len(typ),
                                   len(compat), 0)
         + typ + compat + ext)
    return h + struct.pack("<I", crc32c(h))


def section(seq, typ, phase, payload=b"", kind=1):
    s = struct.pack("<HHBBHIQ", kind, typ, phase, 0, 0, seq,
                    len(payload)) + payload
    return s + struct.pack("<I", crc32c(s))


def end(seq):
    return section(seq, 0, 0, kind=2)


def data(n, seed):
    return bytes((i * 7 + seed * 13 + (i >> 8)) & 0xff for i in range(n))


def stream(sections, ident=EDU, minor=0, ext=b""):
    out = header(ident, minor, ext)
    for seq, (typ, phase, payload) in enumerate(sections):
        out += section(seq, typ, phase, payload)
    return out + end(len(sections))


SEEDS = {
    "stop-copy": stream([(1, FINAL, data(256, 1)), (2, FINAL, data(64, 2))]),
    "pre-copy": stream([(1, INITIAL, data(300, 3)), (1, DIRTY, data(40, 4)),
                        (1, DIRTY, data(40, 5)), (1, FINAL, data(300, 6)),
                        (2, FINAL, data(16, 7))]),
    "empty-sections": stream([(1, INITIAL, b""), (1, DIRTY, b""),
                              (0xffff, FINAL, b"")]),
    "end-only": stream([]),
    "many-sections": stream([(1, INITIAL, data(8, 8))]
                            + [(i % 3 + 1, DIRTY, data(4, i))
                               for i in range(40)]
                            + [(1, FINAL, data(8, 9))]),
    "max-names": stream([(1, FINAL, data(32, 10))], ident=LONG),
    "minor1-extension": stream([(1, FINAL, data(32, 11))], minor=1,
                               ext=b"\xa5" * 16),
    "device-refuses": stream([(1, INITIAL, data(16, 12)),
                              (0xdead, FINAL, data(16, 13))]),
    "header-only": header(),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, blob in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
