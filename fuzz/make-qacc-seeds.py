#!/usr/bin/env python3
"""Write the seed corpus of fuzz-qacc: operation sequences (see
fuzz/fuzz-qacc.c) that set up a function's rings as its driver does, enable
it, submit COPY, FILL and CRC32C descriptors, ring the doorbell, wait and
consume the completions; on the PF, the VF and both, across ring wraps,
resets, VF disable and enable, MSI-X, a VF's migration states, and with bad descriptors and rings
the device must refuse.  Run from the repository root:
python3 fuzz/make-qacc-seeds.py"""
import os
import struct

OUT = "fuzz/corpus/qacc"
FN_MEM = 128 << 10
RW = 0x100000
RO = RW + FN_MEM

# Operations
MEM_WRITE, MEM_SET, DESC, SUBMIT, REG32, REG64, ACCESS, CONFIG = range(8)
RESET, WAIT, SRIOV, IRQ, RING, MIG = range(8, 14)
# MIG variants: the migration state set
RUNNING, STOP, RUNNING_P2P, PRE_COPY, STOP_COPY = range(5)
# Registers
CTRL, QSIZE, SQ_BASE, CQ_BASE, SQ_TAIL, CQ_HEAD = 0x04, 0x0c, 0x10, 0x18, 0x20, 0x28
COPY, FILL, CRC = 0, 1, 2  # opcode % 3 in the sane variant


def op(code, vf=False, variant=0):
    return bytes([code | (0x10 if vf else 0) | variant << 5])


def mem_write(off, data, vf=False):
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += (op(MEM_WRITE, vf) + (off + i).to_bytes(3, "little")
                + bytes([len(chunk)]) + chunk)
    return out


def mem_set(off, n, byte, vf=False):
    return op(MEM_SET, vf) + off.to_bytes(3, "little") + struct.pack(
        "<HB", n, byte)


def desc(kind, length, src, dst, vf=False, slot=None, variant=0,
         flags=0, rsvd=0):
    """A sane descriptor: src and dst offsets into the windows (FILL's src
    is its pattern), length 1 to 64 KiB; SUBMIT at SQ_TAIL unless a slot is
    given.  variant 7 writes every field as given."""
    code = SUBMIT if slot is None else DESC
    if not variant & 1:
        length -= 1
    return (op(code, vf, variant) + struct.pack("<H", slot or 0)
            + struct.pack("<BBHIQQ", kind, flags, rsvd, length, src, dst))


def reg32(off, value, vf=False):
    return op(REG32, vf) + bytes([off // 4]) + struct.pack("<I", value)


def base(which, off, vf=False):
    """SQ_BASE (0) or CQ_BASE (1) at @off in the windows."""
    return op(REG64, vf, 1) + bytes([which]) + struct.pack("<Q", off)


def reg64_raw(which, value, vf=False):
    return op(REG64, vf) + bytes([which]) + struct.pack("<Q", value)


def command(value, vf=False):
    return op(CONFIG, vf) + struct.pack("<H", value)


def wait(vf=False, both=False):
    return op(WAIT, vf, 1 if both else 0)


def consume(vf=False):
    return op(RING, vf, 1) + b"\0"


def setup(vf=False, qsize=16, sq=0, cq=0x1000, ctrl=1):
    return (command(0x0006, vf) + base(0, sq, vf) + base(1, cq, vf)
            + reg32(QSIZE, qsize, vf) + reg32(CTRL, ctrl, vf))


def work(vf=False):
    return (mem_write(0x4000, bytes(range(64)) * 2, vf)
            + desc(COPY, 128, 0x4000, 0x5000, vf)
            + desc(FILL, 256, 0x0123456789abcdef, 0x6000, vf)
            + desc(CRC, 128, 0x4000, 0, vf)
            + desc(CRC, 32, 0x5000, 0, vf)
            + wait(vf) + consume(vf) + wait(vf))


def raw(kind, length, src, dst, flags=0, rsvd=0):
    return struct.pack("<BBHIQQQ", kind, flags, rsvd, length, src, dst, 0x77)


seeds = {}
seeds["pf-ops"] = setup() + work()
seeds["vf-ops"] = setup(vf=True) + work(vf=True)
seeds["both-irq"] = (op(IRQ, False, 0) + op(IRQ, True, 0)
                     + setup(ctrl=3) + setup(vf=True, ctrl=3)
                     + work() + work(vf=True) + wait(both=True))

wrap = setup(qsize=4, sq=0x200, cq=0x400)
for i in range(10):
    wrap += desc(i % 3, 16 + i, 0x4000 + i, 0x5000 + 64 * i if i % 3 != 2
                 else 0)
    if i % 2:
        wrap += wait() + consume()
seeds["wrap"] = wrap + wait()

# Refused descriptors, through raw memory writes: an unknown opcode, flags,
# reserved bits, length 0 and beyond the maximum, CRC32C with a dst, a
# write into the read-only window, a read across both windows, nothing
# mapped.
bad = b"".join([
    raw(7, 16, RW, RW),
    raw(1, 16, RW, RW + 64, flags=1),
    raw(1, 16, RW, RW + 64, rsvd=2),
    raw(2, 0, 0, RW),
    raw(1, (1 << 20) + 1, RW, RW + 0x100),
    raw(3, 16, RW, RW),
    raw(1, 64, RW, RO + 0x100),
    raw(3, 0x2000, RO - 0x1000, 0),
    raw(1, 16, 0xfff0000000000000, RW),
    raw(2, 1 << 20, 0x55, RW),
])
seeds["bad-descs"] = (setup(sq=0x8000, cq=0x9000) + mem_write(0x8000, bad)
                      + op(RING, False, 0) + bytes([9]) + wait()
                      + reg32(SQ_TAIL, 0x10000) + wait()
                      + reg32(CTRL, 0) + reg32(CTRL, 1) + work())

# Rings the engine cannot run: misaligned, unreachable, completions into
# the read-only window, a ring size refused, rings wrapping the address
# space or ending at its top.
seeds["bad-rings"] = (command(0x0006) + reg64_raw(0, RW + 8) + reg32(CTRL, 1)
                      + wait() + reg32(CTRL, 0) + reg64_raw(0, 0)
                      + reg32(CTRL, 1) + work() + reg32(CTRL, 0)
                      + base(0, 0) + base(1, FN_MEM + 0x100)
                      + reg32(QSIZE, 3) + reg32(QSIZE, 8192)
                      + reg32(CTRL, 1) + work() + reg32(CTRL, 0)
                      + base(1, 0x1000) + reg32(CTRL, 3) + work()
                      + reg32(CTRL, 0) + reg64_raw(0, 2**64 - 32)
                      + reg32(CTRL, 1) + wait() + reg32(CTRL, 0)
                      + base(0, 0) + reg64_raw(1, 2**64 - 16)
                      + reg32(CTRL, 1) + wait() + reg32(CTRL, 0)
                      + reg64_raw(1, 2**64 - 64 * 16)
                      + reg32(CTRL, 1) + work())

# A reset keeps config space, Bus Master included (docs/pci-core.md): the
# PF runs again without its driver setting Command again.
seeds["reset"] = (setup() + desc(FILL, 0x8000, 0xa5a5, 0x10000)
                  + op(RESET) + base(0, 0) + base(1, 0x1000)
                  + reg32(QSIZE, 16) + reg32(CTRL, 1) + work()
                  + setup(vf=True) + op(RESET, True) + command(0, True)
                  + setup(vf=True) + work(vf=True))

seeds["sriov-cycle"] = (setup(vf=True) + desc(COPY, 0x8000, 0, 0x10000, True)
                        + op(SRIOV) + work(vf=True) + op(SRIOV, False, 1)
                        + setup(vf=True) + work(vf=True)
                        + op(SRIOV, False, 3) + wait(both=True))

seeds["bus-master"] = (setup() + command(0x0002)
                       + desc(COPY, 64, 0x4000, 0x5000)
                       + wait() + command(0x0006) + wait() + consume()
                       + wait())

# A VF stopped by migration records its doorbells and runs them when it
# runs again; a reset returns it to RUNNING.
seeds["vf-migration"] = (setup(vf=True) + desc(COPY, 64, 0x4000, 0x5000, True)
                         + op(MIG, True, STOP)
                         + desc(FILL, 64, 0x11, 0x6000, True) + wait(vf=True)
                         + op(MIG, True, RUNNING) + wait(vf=True)
                         + op(MIG, True, PRE_COPY) + work(vf=True)
                         + op(MIG, True, STOP_COPY) + work(vf=True)
                         + op(RESET, True) + setup(vf=True) + work(vf=True))

seeds["access"] = (b"".join(op(ACCESS, False, 0) + struct.pack("<HB", o, n)
                            for o in (0, 2, 0x10, 0x14, 0x30, 0x3c)
                            for n in (0, 1, 3, 7))
                   + op(ACCESS, False, 1) + struct.pack("<HB", 0x10, 7)
                   + struct.pack("<Q", RW)
                   + op(ACCESS, False, 3) + struct.pack("<HB", 0, 3)
                   + b"\1\0\0\0"
                   + op(ACCESS, False, 5) + struct.pack("<HB", 0xc, 3)
                   + b"\1\0\0\0" + setup() + work())

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
