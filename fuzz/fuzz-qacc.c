// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: a qacc PF and its one VF driven by a guest that writes
 * anything into its rings, its registers and its Command register, resets
 * the functions, enables and disables the VF and its MSI-X vector.
 * Whatever the guest does, the host must not crash, hang, leak or corrupt
 * its own memory.
 *
 * Each function has its own 128 KiB of a sealed memfd as guest memory: in
 * its DMA space read-write at RW_IOVA, and its first 64 KiB again
 * read-only at RO_IOVA, right after, so that a read may span both windows
 * and a write into the second fails.  A function's engine only reaches its
 * own memory, so what one function's engine writes cannot be blamed on the
 * other.  The harness writes guest memory only while the function's engine
 * is idle (it waits first): the engine then takes nothing until the next
 * register write, so runs are reproducible but for register writes racing
 * the engine, which is the point of those.
 *
 * An input is a sequence of operations (little-endian; fields missing at
 * the end of the input read as 0).  The operation byte: bits 0-3 the
 * operation, bit 4 the VF (the PF when no VF exists), bits 5-7 a variant.
 *   0  MEM_WRITE  u24 offset, u8 len, then len bytes into the function's
 *                 memory, unmodified (garbage descriptors get through)
 *   1  MEM_SET    u24 offset, u16 len, u8 byte
 *   2  DESC       u16 slot, then a descriptor (below) written at that slot
 *                 of the submission ring (if it is in the read-write
 *                 window; else at slot * 32 of the memory)
 *   3  SUBMIT     u16 ignored, a descriptor written at the SQ_TAIL slot,
 *                 then SQ_TAIL moved on by one
 *   4  REG32      u8 reg, u32 value: a 4-byte write at (reg % 17) * 4;
 *                 variant bit 5: value & 0xfff, bit 6: an address in the
 *                 windows, bit 7: value & ~31
 *   5  REG64      u8 reg, u64 value: an 8-byte write at SQ_BASE, CQ_BASE,
 *                 DONE (reg & 3) or (reg >> 2) % 17 * 4; variant bit 5: an
 *                 address in the windows, bit 6: value & ~31
 *   6  ACCESS     u16 offset, u8 len, then for a write len bytes: any BAR0
 *                 access of 1 to 8 bytes (bit 5: write; bits 6-7: offset
 *                 among the registers, the MSI-X table, the PBA, or
 *                 anywhere); a read of the registers is checked against
 *                 qacc.c's rule (aligned 4 bytes, or 8 at a 64-bit
 *                 register, else all-ones)
 *   7  CONFIG     a config-space write (or, variant 7, read) around
 *                 Command: variant picks offset and length, the bytes
 *                 follow
 *   8  RESET      uvfio_device_reset()
 *   9  WAIT       wait until idle and check (bit 5: both functions)
 *   10 SRIOV      uvfio_pci_sriov_configure(): bit 5 enable (bit 6: ask
 *                 for 2 VFs, one more than TotalVFs), else disable
 *   11 IRQ        SET_IRQS on MSI-X: bits 5-6 pick trigger with an
 *                 eventfd, trigger off, mask, unmask
 *   12 RING       u8 n: bit 5 set: CQ_HEAD := CQ_TAIL (consume the
 *                 completions), else SQ_TAIL moved on by 1 + n
 *   13 MIG        SET MIG_DEVICE_STATE (a VF's migration suspends its
 *                 engine): RUNNING, STOP, RUNNING_P2P, PRE_COPY,
 *                 STOP_COPY, PRE_COPY_P2P, RESUMING, RUNNING by variant
 *   14 REG32, 15 SUBMIT: as above
 * A descriptor is: u8 opcode, u8 flags, u16 rsvd, u32 len, u64 src,
 * u64 dst; the tag is a counter.  Unless variant bit 7, the opcode is
 * COPY, FILL or CRC32C and flags and rsvd are 0; unless bit 6, src and
 * dst are addresses in the windows (FILL's pattern is raw but for the
 * length of a FILL descriptor in it, see fill_pattern(); CRC32C's dst 0);
 * unless bit 5, len is 1 to LEN_CLAMP, so that runs stay fast.
 *
 * Oracle, read through the registers after each wait until idle: STATUS
 * has IDLE and no unknown bit, READY exactly when enabled without ERROR;
 * QSIZE a power of two from 2 to 4096; the ring positions inside the ring
 * (all 0 while disabled); DONE never decreases but at a reset; CQ_TAIL is
 * the completions posted since the rings were last emptied, modulo
 * QSIZE, and SQ_HEAD the same (one ahead when a completion could not be
 * posted); with the queue ready, bus mastering on, room in the
 * completion ring and the engine not suspended by migration, SQ_HEAD
 * reached SQ_TAIL; the last completion posted since the guest last wrote
 * its memory has a known status, the right phase and byte 15 clear.  A
 * read of the registers follows README.md: the ID, 0 where nothing is,
 * all-ones for an access of the wrong size or alignment.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/dma.h>

#include "qacc/qacc-internal.h"
#include "fuzz-util.h"

#define FN_MEM (128u << 10)	   /* each function's guest memory */
#define MEM_SIZE (2 * FN_MEM)	   /* the PF's, then the VF's */
#define RW_IOVA 0x100000ull	   /* all of it, read-write */
#define RO_IOVA (RW_IOVA + FN_MEM) /* its first RO_SIZE, read-only */
#define RO_SIZE (64u << 10)
#define SPAN ((uint64_t)FN_MEM + RO_SIZE) /* what the windows cover */
#define LEN_CLAMP (64u << 10)
#define PATTERN_LEN 256

#define CFG_COMMAND 0x04
#define CFG_COMMAND_MASTER 0x04

#define check(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

/* A function and what the harness knows of its queue. */
struct fn_state {
	struct uvfio_pci *pci;
	struct uvfio_device *dev;
	struct qacc_fn *fn;
	uint8_t *mem;	    /* its guest memory, as the harness sees it */
	uint64_t done_base; /* DONE when its rings were last empty */
	uint64_t last_done; /* DONE when last read */
	uint64_t memw_done; /* DONE when the guest last wrote its memory */
};

struct run {
	struct fuzz_input in;
	uint8_t *ram;
	struct uvfio_pci *pf;
	struct fn_state f[2];
	bool has_vf;
	uint64_t tag;
};

static int irq_fd = -1;

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static void put_le(uint8_t *b, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* ---- Registers ---- */

static ssize_t bar_access(struct fn_state *f, uint64_t off, void *buf,
			  size_t len, bool is_write)
{
	return uvfio_device_region_access(f->dev, UVFIO_PCI_BAR0_REGION_INDEX,
					  off, buf, len, is_write);
}

/*
 * A register as a driver reads it; with memory decoding off (the guest
 * cleared Command.Memory, or VF MSE) straight from the device, as the
 * access would have, under the device lock.
 */
static uint32_t reg_read(struct fn_state *f, uint64_t off)
{
	uint8_t b[4];
	uint32_t v;

	if (bar_access(f, off, b, 4, false) == 4)
		return le32(b);
	uvfio_device_lock(f->dev);
	v = qacc_reg_read(f->fn, off);
	uvfio_device_unlock(f->dev);
	return v;
}

/* Only while the engine is idle: the halves could tear otherwise. */
static uint64_t reg_read64(struct fn_state *f, uint64_t off)
{
	return reg_read(f, off) | (uint64_t)reg_read(f, off + 4) << 32;
}

static void reg_write(struct fn_state *f, uint64_t off, uint64_t v, size_t n)
{
	uint8_t b[8];

	put_le(b, v, n);
	bar_access(f, off, b, n, true);
}

static bool command_master(struct fn_state *f)
{
	uint8_t b[2] = { 0, 0 };

	uvfio_device_region_access(f->dev, UVFIO_PCI_CONFIG_REGION_INDEX,
				   CFG_COMMAND, b, 2, false);
	return b[0] & CFG_COMMAND_MASTER;
}

/* ---- The model ---- */

static uint64_t read_done(struct fn_state *f)
{
	uint64_t done = reg_read64(f, QACC_REG_DONE);

	check(done >= f->last_done);
	f->last_done = done;
	return done;
}

/*
 * After anything that may have changed the queue: disabled, its rings
 * are empty and DONE stays put (nothing but a register write enables
 * it), so the completions of the next enable count from here.
 */
static void refresh(struct fn_state *f)
{
	if (!(reg_read(f, QACC_REG_CTRL) & QACC_CTRL_ENABLE))
		f->done_base = read_done(f);
}

/* Stopped by migration (the VF's admin queue): doorbells wait. */
static bool suspended(struct fn_state *f)
{
	bool ret;

	pthread_mutex_lock(&f->fn->lock);
	ret = f->fn->suspended;
	pthread_mutex_unlock(&f->fn->lock);
	return ret;
}

static void check_last_cpl(struct fn_state *f, uint32_t qsize, uint64_t n)
{
	uint64_t cq_base = reg_read64(f, QACC_REG_CQ_BASE);
	uint64_t k = n - 1; /* the last completion since enable */
	uint64_t at = cq_base + (k % qsize) * QACC_CPL_SIZE;
	const uint8_t *cpl;
	uint16_t status;

	/* Posted, so in the read-write window (16-aligned: all of it). */
	check(at >= RW_IOVA && at - RW_IOVA <= FN_MEM - QACC_CPL_SIZE);
	cpl = f->mem + (at - RW_IOVA);
	status = (uint16_t)(cpl[12] | cpl[13] << 8);
	check(status <= QACC_ST_DMA_ERROR);
	check(cpl[14] == (uint8_t)(1 ^ ((k / qsize) & 1)));
	check(cpl[15] == 0);
}

static void check_idle(struct fn_state *f)
{
	uint32_t status = reg_read(f, QACC_REG_STATUS);
	uint32_t ctrl = reg_read(f, QACC_REG_CTRL);
	uint32_t qsize = reg_read(f, QACC_REG_QSIZE);
	uint32_t sq_tail = reg_read(f, QACC_REG_SQ_TAIL);
	uint32_t sq_head = reg_read(f, QACC_REG_SQ_HEAD);
	uint32_t cq_head = reg_read(f, QACC_REG_CQ_HEAD);
	uint32_t cq_tail = reg_read(f, QACC_REG_CQ_TAIL);
	bool on = ctrl & QACC_CTRL_ENABLE, ready = status & QACC_STATUS_READY,
	     error = status & QACC_STATUS_ERROR;
	uint64_t done = read_done(f), n;

	check(reg_read(f, QACC_REG_ID) == QACC_ID_VALUE);
	check(!(status & ~(uint32_t)(QACC_STATUS_READY | QACC_STATUS_ERROR |
				     QACC_STATUS_IDLE)));
	check(status & QACC_STATUS_IDLE);
	check(!(ctrl & ~(uint32_t)QACC_CTRL_MASK));
	check(qsize >= QACC_QSIZE_MIN && qsize <= QACC_QSIZE_MAX &&
	      !(qsize & (qsize - 1)));
	check(sq_tail < qsize && sq_head < qsize && cq_head < qsize &&
	      cq_tail < qsize);
	check(!(ready && error));
	check(ready == (on && !error));
	if (!on) {
		check(!sq_tail && !sq_head && !cq_head && !cq_tail);
		check(done == f->done_base);
		return;
	}
	check(done >= f->done_base);
	n = done - f->done_base;
	check(cq_tail == n % qsize);
	if (ready)
		check(sq_head == cq_tail);
	else
		check(sq_head == cq_tail || sq_head == (cq_tail + 1) % qsize);
	if (ready && command_master(f) && !suspended(f) &&
	    (cq_tail + 1) % qsize != cq_head)
		check(sq_head == sq_tail);
	/* Nothing wrote over it since: not the guest, not the engine. */
	if (n && done > f->memw_done)
		check_last_cpl(f, qsize, n);
}

static void wait_idle(struct fn_state *f)
{
	qacc_engine_wait_idle(f->fn);
	check_idle(f);
}

/* The guest writes its memory: with its engine idle, see above. */
static uint8_t *mem_begin(struct fn_state *f)
{
	wait_idle(f);
	return f->mem;
}

static void mem_end(struct fn_state *f)
{
	f->memw_done = read_done(f);
}

/* ---- Functions ---- */

static void fn_setup(struct fn_state *f, struct uvfio_pci *pci, int memfd,
		     uint8_t *ram, unsigned int index)
{
	struct uvfio_dma *dma;

	memset(f, 0, sizeof(*f));
	f->pci = pci;
	f->dev = uvfio_pci_device(pci);
	f->fn = uvfio_pci_priv(pci);
	f->mem = ram + (size_t)index * FN_MEM;
	uvfio_device_set_log(f->dev, fuzz_quiet, NULL, UVFIO_LOG_DEBUG);
	dma = uvfio_device_dma(f->dev);
	if (uvfio_dma_map(dma, RW_IOVA, FN_MEM,
			  UVFIO_DMA_READ | UVFIO_DMA_WRITE, memfd,
			  (uint64_t)index * FN_MEM) ||
	    uvfio_dma_map(dma, RO_IOVA, RO_SIZE, UVFIO_DMA_READ, memfd,
			  (uint64_t)index * FN_MEM))
		abort();
}

static struct fn_state *pick(struct run *r, uint8_t op)
{
	return (op & 0x10) && r->has_vf ? &r->f[1] : &r->f[0];
}

/* ---- Operations ---- */

static void op_mem_write(struct run *r, struct fn_state *f)
{
	uint32_t off = (uint32_t)(fuzz_take(&r->in, 3) % FN_MEM);
	uint8_t buf[256];
	size_t len = (size_t)fuzz_take(&r->in, 1);
	uint8_t *mem;

	fuzz_take_bytes(&r->in, buf, len);
	if (len > FN_MEM - off)
		len = FN_MEM - off;
	mem = mem_begin(f);
	memcpy(mem + off, buf, len);
	mem_end(f);
}

static void op_mem_set(struct run *r, struct fn_state *f)
{
	uint32_t off = (uint32_t)(fuzz_take(&r->in, 3) % FN_MEM);
	size_t len = (size_t)fuzz_take(&r->in, 2);
	uint8_t byte = (uint8_t)fuzz_take(&r->in, 1);
	uint8_t *mem;

	if (len > FN_MEM - off)
		len = FN_MEM - off;
	mem = mem_begin(f);
	memset(mem + off, byte, len);
	mem_end(f);
}

static uint64_t near(uint64_t v)
{
	return RW_IOVA + v % SPAN;
}

/*
 * A FILL pattern that is itself the start of a FILL descriptor fills the
 * ring with such descriptors when FILL's destination is the ring: each
 * fills the engine's buffer, up to 1 MiB a byte at a time, before its
 * unmapped destination refuses it.  Slow (about 45 ms per MiB with the
 * sanitizers), so the length in a sane pattern is at most PATTERN_LEN.
 */
static uint64_t fill_pattern(uint64_t src)
{
	uint64_t len = src >> 32;

	return (src & 0xffffffff) | (len % (PATTERN_LEN + 1)) << 32;
}

/* A descriptor from the input, made mostly sane unless the variant says. */
static void make_desc(struct run *r, uint8_t variant, uint8_t d[32])
{
	uint8_t opcode = (uint8_t)fuzz_take(&r->in, 1),
		flags = (uint8_t)fuzz_take(&r->in, 1);
	uint16_t rsvd = (uint16_t)fuzz_take(&r->in, 2);
	uint32_t len = (uint32_t)fuzz_take(&r->in, 4);
	uint64_t src = fuzz_take(&r->in, 8), dst = fuzz_take(&r->in, 8);

	if (!(variant & 4)) {
		opcode = (uint8_t)(QACC_OP_COPY + opcode % 3);
		flags = 0;
		rsvd = 0;
	}
	if (!(variant & 2)) {
		if (opcode != QACC_OP_FILL)
			src = near(src);
		else if ((src & 0xffffffff) == QACC_OP_FILL)
			src = fill_pattern(src);
		dst = opcode == QACC_OP_CRC32C ? 0 : RW_IOVA + dst % FN_MEM;
	}
	if (!(variant & 1))
		len = 1 + len % LEN_CLAMP;
	d[0] = opcode;
	d[1] = flags;
	put_le(d + 2, rsvd, 2);
	put_le(d + 4, len, 4);
	put_le(d + 8, src, 8);
	put_le(d + 16, dst, 8);
	put_le(d + 24, ++r->tag, 8);
}

static void op_desc(struct run *r, struct fn_state *f, uint8_t variant,
		    bool submit)
{
	uint16_t slot_in = (uint16_t)fuzz_take(&r->in, 2);
	uint8_t d[QACC_DESC_SIZE];
	uint64_t sq_base, at;
	uint32_t qsize, slot;
	size_t off;
	uint8_t *mem;

	make_desc(r, variant, d);
	mem = mem_begin(f);
	sq_base = reg_read64(f, QACC_REG_SQ_BASE);
	qsize = reg_read(f, QACC_REG_QSIZE);
	slot = submit ? reg_read(f, QACC_REG_SQ_TAIL) : slot_in % qsize;
	at = sq_base + (uint64_t)slot * QACC_DESC_SIZE;
	if (at >= RW_IOVA && at - RW_IOVA <= FN_MEM - QACC_DESC_SIZE)
		off = (size_t)(at - RW_IOVA);
	else
		off = ((size_t)slot * QACC_DESC_SIZE) % FN_MEM;
	memcpy(mem + off, d, sizeof(d));
	mem_end(f);
	if (submit) {
		reg_write(f, QACC_REG_SQ_TAIL, (slot + 1) % qsize, 4);
		refresh(f);
	}
}

static void op_reg32(struct run *r, struct fn_state *f, uint8_t variant)
{
	uint64_t off = (fuzz_take(&r->in, 1) % 17) * 4;
	uint32_t v = (uint32_t)fuzz_take(&r->in, 4);

	if (variant & 1)
		v &= 0xfff;
	if (variant & 2)
		v = (uint32_t)near(v);
	if (variant & 4)
		v &= ~31u;
	reg_write(f, off, v, 4);
	refresh(f);
}

static void op_reg64(struct run *r, struct fn_state *f, uint8_t variant)
{
	static const uint64_t regs[] = { QACC_REG_SQ_BASE, QACC_REG_CQ_BASE,
					 QACC_REG_DONE };
	uint8_t reg = (uint8_t)fuzz_take(&r->in, 1);
	uint64_t v = fuzz_take(&r->in, 8);
	uint64_t off = (reg & 3) < 3 ? regs[reg & 3] : (reg >> 2) % 17 * 4;

	if (variant & 1)
		v = near(v);
	if (variant & 2)
		v &= ~31ull;
	reg_write(f, off, v, 8);
	refresh(f);
}

static bool reg_is_64bit(uint64_t off)
{
	return off == QACC_REG_SQ_BASE || off == QACC_REG_CQ_BASE ||
	       off == QACC_REG_DONE;
}

static void op_access(struct run *r, struct fn_state *f, uint8_t variant)
{
	uint16_t raw = (uint16_t)fuzz_take(&r->in, 2);
	size_t len = 1 + fuzz_take(&r->in, 1) % 8;
	bool is_write = variant & 1;
	uint64_t off;
	uint8_t buf[8];
	ssize_t ret;

	switch (variant >> 1) {
	case 0:
		off = raw % (QACC_REGS_END + 12);
		break;
	case 1:
		off = QACC_MSIX_TABLE + raw % 20;
		break;
	case 2:
		off = QACC_MSIX_PBA + raw % 16;
		break;
	default:
		off = raw % QACC_BAR_SIZE;
		break;
	}
	if (off + len > QACC_BAR_SIZE)
		off = QACC_BAR_SIZE - len;
	if (is_write) {
		fuzz_take_bytes(&r->in, buf, len);
		bar_access(f, off, buf, len, true);
		refresh(f);
		return;
	}
	memset(buf, 0x5a, sizeof(buf));
	ret = bar_access(f, off, buf, len, false);
	if (ret != (ssize_t)len || off + len > QACC_MSIX_TABLE)
		return;
	if ((len == 4 && !(off % 4)) || (len == 8 && reg_is_64bit(off))) {
		if (off == QACC_REG_ID)
			check(le32(buf) == QACC_ID_VALUE);
		if (off >= QACC_REGS_END) /* offsets not listed read 0 */
			check(!le32(buf));
		return;
	}
	for (size_t i = 0; i < len; i++)
		check(buf[i] == 0xff);
}

static void op_config(struct run *r, struct fn_state *f, uint8_t variant)
{
	static const uint8_t where[8][2] = { { 4, 2 }, { 4, 1 }, { 4, 4 },
					     { 3, 2 }, { 0, 8 }, { 5, 1 },
					     { 2, 4 }, { 4, 2 } };
	uint8_t buf[8];
	size_t len = where[variant][1];

	if (variant == 7) {
		uvfio_device_region_access(f->dev,
					   UVFIO_PCI_CONFIG_REGION_INDEX, 4,
					   buf, 2, false);
		return;
	}
	fuzz_take_bytes(&r->in, buf, len);
	uvfio_device_region_access(f->dev, UVFIO_PCI_CONFIG_REGION_INDEX,
				   where[variant][0], buf, len, true);
}

static void op_reset(struct fn_state *f)
{
	if (uvfio_device_reset(f->dev))
		return;
	/* Back to power-on: DONE is 0 again. */
	f->last_done = 0;
	f->memw_done = 0;
	refresh(f);
}

static void op_sriov(struct run *r, uint8_t variant, int memfd)
{
	struct uvfio_pci *vf;

	if (!(variant & 1)) {
		uvfio_pci_sriov_configure(r->pf, 0);
		if (!uvfio_pci_sriov_vf(r->pf, 0))
			r->has_vf = false;
		return;
	}
	uvfio_pci_sriov_configure(r->pf, variant & 2 ? 2 : 1);
	vf = uvfio_pci_sriov_vf(r->pf, 0);
	if (vf && !r->has_vf) {
		fn_setup(&r->f[1], vf, memfd, r->ram, 1);
		r->has_vf = true;
	}
	check(!vf == !r->has_vf);
}

static void op_irq(struct fn_state *f, uint8_t variant)
{
	static const uint32_t how[4] = {
		UVFIO_IRQ_SET_DATA_EVENTFD | UVFIO_IRQ_SET_ACTION_TRIGGER,
		UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_TRIGGER,
		UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_MASK,
		UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_UNMASK,
	};
	uint8_t buf[sizeof(struct uvfio_irq_set) + sizeof(int32_t)];
	struct uvfio_irq_set *set = (void *)buf;
	uint32_t flags = how[variant & 3];
	int32_t fd = irq_fd;

	*set = (struct uvfio_irq_set){
		.argsz = sizeof(*set),
		.flags = flags,
		.index = UVFIO_PCI_MSIX_IRQ_INDEX,
		.count = (variant & 3) == 1 ? 0 : 1,
	};
	if (flags & UVFIO_IRQ_SET_DATA_EVENTFD) {
		memcpy(set->data, &fd, sizeof(fd));
		set->argsz += sizeof(fd);
	}
	uvfio_device_set_irqs(f->dev, set);
}

static void op_mig(struct fn_state *f, uint8_t variant)
{
	static const uint32_t states[8] = {
		UVFIO_DEVICE_STATE_RUNNING,	UVFIO_DEVICE_STATE_STOP,
		UVFIO_DEVICE_STATE_RUNNING_P2P, UVFIO_DEVICE_STATE_PRE_COPY,
		UVFIO_DEVICE_STATE_STOP_COPY,	UVFIO_DEVICE_STATE_PRE_COPY_P2P,
		UVFIO_DEVICE_STATE_RESUMING,	UVFIO_DEVICE_STATE_RUNNING,
	};

	fuzz_set_state(f->dev, states[variant]);
}

static void op_ring(struct run *r, struct fn_state *f, uint8_t variant)
{
	uint32_t n = (uint32_t)fuzz_take(&r->in, 1);
	uint32_t qsize = reg_read(f, QACC_REG_QSIZE);

	if (variant & 1)
		reg_write(f, QACC_REG_CQ_HEAD, reg_read(f, QACC_REG_CQ_TAIL),
			  4);
	else
		reg_write(f, QACC_REG_SQ_TAIL,
			  (reg_read(f, QACC_REG_SQ_TAIL) + 1 + n) % qsize, 4);
	refresh(f);
}

static void init(void)
{
	irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (irq_fd < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .in = { data, size } };
	uint64_t drained;
	int memfd;

	if (irq_fd < 0)
		init();
	memfd = memfd_create("fuzz-qacc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		abort();
	r.ram = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
		     0);
	r.pf = qacc_new("fz", 1);
	if (r.ram == MAP_FAILED || !r.pf)
		abort();
	fn_setup(&r.f[0], r.pf, memfd, r.ram, 0);
	if (uvfio_pci_sriov_configure(r.pf, 1) < 0 ||
	    !uvfio_pci_sriov_vf(r.pf, 0))
		abort();
	fn_setup(&r.f[1], uvfio_pci_sriov_vf(r.pf, 0), memfd, r.ram, 1);
	r.has_vf = true;

	while (r.in.left) {
		uint8_t op = (uint8_t)fuzz_take(&r.in, 1), variant = op >> 5;
		struct fn_state *f = pick(&r, op);

		switch (op & 0xf) {
		case 0:
			op_mem_write(&r, f);
			break;
		case 1:
			op_mem_set(&r, f);
			break;
		case 2:
			op_desc(&r, f, variant, false);
			break;
		case 3:
		case 15:
			op_desc(&r, f, variant, true);
			break;
		case 4:
		case 14:
			op_reg32(&r, f, variant);
			break;
		case 5:
			op_reg64(&r, f, variant);
			break;
		case 6:
			op_access(&r, f, variant);
			break;
		case 7:
			op_config(&r, f, variant);
			break;
		case 8:
			op_reset(f);
			break;
		case 9:
			wait_idle(f);
			if ((variant & 1) && r.has_vf)
				wait_idle(f == &r.f[0] ? &r.f[1] : &r.f[0]);
			break;
		case 10:
			op_sriov(&r, variant, memfd);
			break;
		case 11:
			op_irq(f, variant);
			break;
		case 12:
			op_ring(&r, f, variant);
			break;
		case 13:
			op_mig(f, variant);
			break;
		}
	}

	wait_idle(&r.f[0]);
	if (r.has_vf)
		wait_idle(&r.f[1]);
	uvfio_pci_destroy(r.pf);
	munmap(r.ram, MEM_SIZE);
	close(memfd);
	while (read(irq_fd, &drained, sizeof(drained)) == sizeof(drained))
		;
	return 0;
}
