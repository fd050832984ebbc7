#!/usr/bin/env python3
"""Write the seed corpus of fuzz-server: one valid message stream per
command, each opening with QEMU's VERSION.  Run from the repository root:
python3 fuzz/make-seeds.py"""
import os
import struct

OUT = "fuzz/corpus/server"
QEMU_CAPS = (b'{"capabilities":{"migration":{"pgsize":4096,'
             b'"max_bitmap_size":268435456},"max_msg_fds":16,'
             b'"max_data_xfer_size":1048576,"pgsizes":4096,'
             b'"max_dma_maps":65535,"write_multiple":true}}\0')
TWIN_CAPS = b'{"capabilities":{"twin_socket":{"supported":true}}}\0'


def msg(mid, cmd, payload=b"", flags=0):
    return struct.pack("<HHII I", mid, cmd, 16 + len(payload), flags, 0) \
        + payload


def version(caps=QEMU_CAPS):
    return msg(0, 1, struct.pack("<HH", 0, 0) + caps)


def region_write(mid, region, off, value):
    return msg(mid, 10, struct.pack("<QII", off, region, 8)
               + struct.pack("<Q", value))


SEEDS = {
    "version": version(),
    "version-twin": version(TWIN_CAPS),
    "dma-map": msg(1, 2, struct.pack("<IIQQQ", 32, 3, 0, 0x1000, 0x2000)),
    "dma-unmap": msg(1, 2, struct.pack("<IIQQQ", 32, 3, 0, 0x1000, 0x2000))
    + msg(2, 3, struct.pack("<IIQQ", 24, 0, 0x1000, 0x2000)),
    "dma-unmap-all": msg(1, 3, struct.pack("<IIQQ", 24, 2, 0, 0)),
    "device-info": msg(1, 4, struct.pack("<IIII", 16, 0, 0, 0)),
    "region-info": msg(1, 5, struct.pack("<IIIIQQ", 256, 0, 1, 0, 0, 0)),
    "region-io-fds": msg(1, 6, struct.pack("<IIII", 16, 0, 0, 0)),
    "irq-info": msg(1, 7, struct.pack("<IIII", 16, 0, 1, 0)),
    "set-irqs-bool": msg(1, 8, struct.pack("<IIIII", 21, 0x22, 1, 0, 1)
                         + b"\1"),
    "set-irqs-deassign": msg(1, 8, struct.pack("<IIIII", 20, 0x24, 1, 0, 2)),
    "region-read": msg(1, 9, struct.pack("<QII", 0x40, 0, 8)),
    "region-write": region_write(1, 0, 0x40, 7),
    "region-write-posted": msg(1, 10, struct.pack("<QII", 0x40, 0, 4)
                               + b"abcd", flags=0x10),
    "reset": msg(1, 13),
    "write-multi": msg(1, 15, struct.pack("<Q", 1)
                       + struct.pack("<QII", 0x40, 0, 8) + b"12345678"),
    "feature-get": msg(1, 16, struct.pack("<II", 16, 0x4000 | (1 << 16))),
    "feature-set": msg(1, 16, struct.pack("<IIQ", 16, 0x4000 | (1 << 17),
                                          5)),
    "feature-probe": msg(1, 16, struct.pack("<II", 8, 1 | (1 << 18))),
    "mig-data-read": msg(1, 17, struct.pack("<II", 8, 64)),
    "mig-data-write": msg(1, 18, struct.pack("<II", 12, 4) + b"data"),
    # The device DMAs through messages and gets its reply in the stream.
    "doorbell-dma": msg(1, 2, struct.pack("<IIQQQ", 32, 3, 0, 0x1000, 0x2000))
    + region_write(2, 0, 0x100, 0x1000) + region_write(3, 0, 0x108, 16)
    + region_write(4, 0, 0x110, 1) + msg(0, 12, struct.pack("<QQ", 0x1000,
                                                              16), flags=1)
    + region_write(5, 0, 0x110, 2) + msg(1, 11, struct.pack("<QQ", 0x1000, 16)
                                         + bytes(range(16)), flags=1),
}

os.makedirs(OUT, exist_ok=True)
for name, body in SEEDS.items():
    first = body if name.startswith("version") else version() + body
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(first)
print(f"{len(SEEDS)} seeds in {OUT}")
