#!/usr/bin/env python3
"""Write the seed corpus of fuzz-pci-config: record sequences (see
fuzz/fuzz-pci-config.c) that drive the edu and the mtty as their drivers
do: registers, config space, DMA, interrupts, migration and dirty-logging
features; and that walk the full function's capabilities and BARs.  Run from the repository root:
python3 fuzz/make-pci-config-seeds.py"""
import os
import struct

OUT = "fuzz/corpus/pci-config"
EDU, MTTY, FULL, VF = 0, 1, 0x10, 0x30
SRIOV = 0x11c  # the full function's SR-IOV capability, after DSN and VSEC
CONFIG = 7
DMA_IOVA = 0x100000
# SET_IRQS flags
NONE, BOOL, EVENTFD, MASK, UNMASK, TRIGGER = 1, 2, 4, 8, 16, 32
INTX, MSI = 0, 1
GET, SET, PROBE = 1, 2, 4


def rec(dev, op, region, arg, length, offset, data=b""):
    return struct.pack("<BBBBI", dev | op << 1, region, arg, length,
                       offset) + data


def rd(dev, region, off, n):
    return rec(dev, 0, region, 0, n, off)


def wr(dev, region, off, value, n):
    return rec(dev, 0, region, 1, n, off, value.to_bytes(n, "little"))


def irqs(dev, index, flags, start, picks=b"", count=None):
    return rec(dev, 6, index, flags, len(picks) if count is None else count,
               start, picks)


def feature(dev, num, ops, payload=b""):
    return rec(dev, 7, num, ops, len(payload), 0, payload)


def config_dump(dev, size=256):
    return b"".join(rd(dev, CONFIG, off, 4) for off in range(0, size - 3, 4))


edu_dma = (wr(EDU, CONFIG, 4, 0x0006, 2)
           + wr(EDU, 0, 0x80, DMA_IOVA, 8) + wr(EDU, 0, 0x88, 0x40000, 8)
           + wr(EDU, 0, 0x90, 64, 8) + wr(EDU, 0, 0x98, 1, 8)
           + wr(EDU, 0, 0x80, 0x40000, 8) + wr(EDU, 0, 0x88, DMA_IOVA + 256, 8)
           + wr(EDU, 0, 0x98, 7, 8) + rd(EDU, 0, 0x24, 4)
           + wr(EDU, 0, 0x64, 0x100, 4))

uart = b""
for port in (0, 1):
    uart += (wr(MTTY, port, 3, 0x83, 1) + wr(MTTY, port, 0, 0x0c, 1)
             + wr(MTTY, port, 1, 0, 1) + wr(MTTY, port, 3, 0x03, 1)
             + wr(MTTY, port, 2, 0xc7, 1) + wr(MTTY, port, 1, 0x0f, 1)
             + wr(MTTY, port, 4, 0x0b, 1))
    for c in b"hello":
        uart += wr(MTTY, port, 0, c, 1)
    uart += b"".join(rd(MTTY, port, off, 1) for off in range(8))
    uart += rd(MTTY, port, 0, 1) * 6 + rd(MTTY, port, 0, 8)

# The full function: its config space with every capability (extended ones
# included), each dword written all-ones and read back, memory decode on,
# every BAR and the ROM, MSI-X through eventfds.
full = config_dump(FULL, 0x180) + wr(FULL, CONFIG, 4, 0x0007, 2)
for off in range(0x10, 0x28, 4):
    full += wr(FULL, CONFIG, off, 0xffffffff, 4) + rd(FULL, CONFIG, off, 4)
for off in range(0x40, 0x100, 4):
    full += wr(FULL, CONFIG, off, 0xffffffff, 4) + rd(FULL, CONFIG, off, 4)
full += (rd(FULL, 0, 0, 8) + wr(FULL, 0, 8, 0x1122334455667788, 8)
         + wr(FULL, 2, 0, 0xfee00000, 4) + wr(FULL, 2, 8, 0x41, 4)
         + wr(FULL, 2, 12, 0, 4) + rd(FULL, 2, 2048, 8)
         + wr(FULL, 2, 3000, 0xab, 1) + wr(FULL, 4, 0, 0x5a, 1)
         + rd(FULL, 4, 0, 4) + rd(FULL, 6, 0, 64)
         + irqs(FULL, 2, EVENTFD | TRIGGER, 0, b"\0\1\2\3"))

# Its VFs: two made through NumVFs and VF Enable | VF MSE, the first one's
# config space and BARs, then VF Enable cleared.
sriov = (rd(FULL, CONFIG, SRIOV, 64) + wr(FULL, CONFIG, SRIOV + 0x10, 2, 2)
         + wr(FULL, CONFIG, SRIOV + 0x08, 0x9, 2) + config_dump(VF, 0x110)
         + rd(VF, 2, 0, 8) + wr(VF, 2, 8, 0x1234, 4) + rd(VF, 4, 0, 16)
         + irqs(VF, 2, EVENTFD | TRIGGER, 0, b"\0\1")
         + wr(FULL, CONFIG, SRIOV + 0x08, 0, 2) + rd(VF, CONFIG, 0, 4))

SEEDS = {
    "full": full,
    "full-sriov": sriov,
    "edu-id": rd(EDU, 0, 0, 4),
    "edu-regs": (wr(EDU, 0, 4, 0x12345678, 4) + rd(EDU, 0, 4, 4)
                 + wr(EDU, 0, 8, 10, 4) + rd(EDU, 0, 8, 4)
                 + wr(EDU, 0, 0x20, 0x80, 4) + wr(EDU, 0, 8, 5, 4)
                 + rd(EDU, 0, 0x20, 4) + rd(EDU, 0, 0x24, 4)
                 + wr(EDU, 0, 0x60, 0x1234, 4) + wr(EDU, 0, 0x64, 0x1234, 4)
                 + rd(EDU, 0, 4, 8) + rd(EDU, 0, 0x80, 8) + rd(EDU, 0, 2, 2)),
    "edu-dma": edu_dma,
    "edu-config": (config_dump(EDU) + wr(EDU, CONFIG, 0x10, 0xffffffff, 4)
                   + rd(EDU, CONFIG, 0x10, 4) + wr(EDU, CONFIG, 0x10, 0, 4)
                   + wr(EDU, CONFIG, 0x44, 0xfee00000, 4)
                   + wr(EDU, CONFIG, 0x48, 0, 4) + wr(EDU, CONFIG, 0x4c, 0x41, 2)
                   + wr(EDU, CONFIG, 0x42, 0x81, 2) + rd(EDU, CONFIG, 0x40, 16)
                   + wr(EDU, CONFIG, 0x3c, 11, 1) + rd(EDU, CONFIG, 0, 64)),
    "edu-irqs": (irqs(EDU, INTX, EVENTFD | TRIGGER, 0, b"\0")
                 + wr(EDU, 0, 0x60, 1, 4) + irqs(EDU, INTX, NONE | UNMASK, 0,
                                                   count=1)
                 + wr(EDU, 0, 0x64, 1, 4)
                 + irqs(EDU, INTX, NONE | TRIGGER, 0, count=0)
                 + wr(EDU, CONFIG, 0x42, 0x81, 2)
                 + irqs(EDU, MSI, EVENTFD | TRIGGER, 0, b"\1")
                 + irqs(EDU, MSI, BOOL | TRIGGER, 0, b"\1")
                 + irqs(EDU, MSI, NONE | MASK, 0, count=1)
                 + wr(EDU, 0, 0x60, 0x100, 4)
                 + irqs(EDU, MSI, NONE | UNMASK, 0, count=1)
                 + irqs(EDU, MSI, EVENTFD | TRIGGER, 0, b"\4")
                 + irqs(EDU, 4, EVENTFD | TRIGGER, 0, b"\2")
                 + irqs(EDU, MSI, NONE | TRIGGER, 0, count=0)),
    "mtty-uart": uart,
    "mtty-config": (config_dump(MTTY, 0xff) + rd(MTTY, CONFIG, 0xfc, 3)
                    + wr(MTTY, CONFIG, 0x10, 0xffffffff, 4)
                    + rd(MTTY, CONFIG, 0x10, 4)
                    + wr(MTTY, CONFIG, 0x14, 0xc000, 4)
                    + wr(MTTY, CONFIG, 0x3c, 5, 1) + rd(MTTY, CONFIG, 0, 64)),
    "mtty-irqs": (irqs(MTTY, INTX, EVENTFD | TRIGGER, 0, b"\0")
                  + wr(MTTY, 0, 1, 0x0f, 1) + wr(MTTY, 0, 0, 0x41, 1)
                  + rd(MTTY, 0, 2, 1) + rd(MTTY, 0, 0, 1)
                  + irqs(MTTY, INTX, NONE | UNMASK, 0, count=1)
                  + irqs(MTTY, INTX, NONE | TRIGGER, 0, count=0)
                  + irqs(MTTY, MSI, EVENTFD | TRIGGER, 0, b"\3")
                  + wr(MTTY, 1, 1, 0x0f, 1) + wr(MTTY, 1, 0, 0x42, 1)
                  + rd(MTTY, 1, 5, 1) + irqs(MTTY, MSI, EVENTFD | TRIGGER, 0,
                                             b"\4")),
    "features": (feature(EDU, 1, GET, bytes(8)) + feature(EDU, 2, GET,
                                                           bytes(8))
                 + feature(EDU, 9, GET, bytes(8)) + feature(EDU, 2, PROBE)
                 + feature(EDU, 2, SET, struct.pack("<Ii", 1, -1))
                 + rd(EDU, 0, 4, 4)
                 + feature(EDU, 2, SET, struct.pack("<Ii", 2, -1))
                 + feature(MTTY, 2, SET, struct.pack("<Ii", 4, -1))
                 + feature(MTTY, 2, SET, struct.pack("<Ii", 2, -1))
                 + feature(MTTY, 12, SET) + feature(EDU, 10, GET, bytes(8))),
    "dirty-log": (feature(EDU, 6, SET, struct.pack("<QII QQ", 4096, 1, 0,
                                                   DMA_IOVA, 0x10000))
                  + edu_dma
                  + feature(EDU, 8, GET, struct.pack("<QQQ", DMA_IOVA,
                                                     0x10000, 4096)
                            + bytes(8))
                  + feature(EDU, 7, SET)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, blob in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
