// SPDX-License-Identifier: MIT
/*
 * edu's migration: arcs, saving and loading its state as sections of the
 * core's stream (README.md, "Migration").
 *
 *   EDU_SEC_REGS (1): 64 bytes, the eight registers in offset order, each
 *     a little-endian u64: liveness (as read), fact, status, irq_status,
 *     dma_src, dma_dst, dma_cnt, dma_cmd
 *   EDU_SEC_BUF (2): a little-endian u32 offset into the buffer, then the
 *     bytes of whole 512-byte blocks from there
 *
 * INITIAL and FINAL hold the registers and the whole buffer; DIRTY the
 * registers if they changed and each block a DMA wrote.  Loading checks
 * every value and stages a complete state; the FINAL phase alone must
 * rebuild the device, and commit takes nothing else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/migration.h>

#include "edu-internal.h"

#define EDU_SEC_REGS 1
#define EDU_SEC_BUF 2
#define EDU_NR_REGS 8
#define EDU_REGS_WIRE (EDU_NR_REGS * 8)
#define EDU_BUF_HDR 4
#define EDU_SECTION_OVERHEAD 24 /* the stream's framing of one section */

#define EDU_STATUS_BITS (EDU_STATUS_COMPUTING | EDU_STATUS_IRQFACT)

/* What a load has staged so far. */
struct edu_staged {
	struct edu_state s;
	enum uvfio_mig_phase phase; /* of the last section */
	bool final_regs;	    /* the FINAL phase has the registers */
	uint8_t final_blocks;	    /* and these blocks of the buffer */
};

static struct edu *dev_edu(struct uvfio_device *dev)
{
	return uvfio_pci_priv(uvfio_device_priv(dev));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool active(enum uvfio_device_mig_state st)
{
	return st == UVFIO_DEVICE_STATE_RUNNING ||
	       st == UVFIO_DEVICE_STATE_PRE_COPY;
}

/*
 * Every arc that leaves RUNNING or PRE_COPY stops the device (->RUNNING_P2P
 * and ->PRE_COPY_P2P included: edu cannot tell peer-to-peer DMA from any
 * other); every arc back runs it and finishes what waited.
 */
static int edu_arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		   enum uvfio_device_mig_state to)
{
	struct edu *edu = dev_edu(dev);

	if (active(from) && !active(to))
		edu_quiesce(edu);
	else if (!active(from) && active(to))
		edu_resume(edu);
	return 0;
}

/* ---- saving ---- */

static int put_regs(struct uvfio_mig_save *s, const struct edu_state *st)
{
	const uint64_t v[EDU_NR_REGS] = {
		st->liveness, st->fact,	   st->status,	st->irq_status,
		st->dma_src,  st->dma_dst, st->dma_cnt, st->dma_cmd,
	};
	uint8_t wire[EDU_REGS_WIRE];

	for (int i = 0; i < EDU_NR_REGS; i++)
		put_u64(wire + 8 * i, v[i]);
	return uvfio_mig_put_section(s, EDU_SEC_REGS, wire, sizeof(wire));
}

static int put_blocks(struct uvfio_mig_save *s, const struct edu_state *st,
		      unsigned int first, unsigned int n)
{
	uint8_t wire[EDU_BUF_HDR + EDU_DMA_SIZE];
	uint32_t off = first * EDU_BLOCK_SIZE;
	size_t len = (size_t)n * EDU_BLOCK_SIZE;

	for (int i = 0; i < EDU_BUF_HDR; i++)
		wire[i] = (uint8_t)(off >> (8 * i));
	memcpy(wire + EDU_BUF_HDR, st->dma_buf + off, len);
	return uvfio_mig_put_section(s, EDU_SEC_BUF, wire, EDU_BUF_HDR + len);
}

static int edu_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		    enum uvfio_mig_phase phase)
{
	struct edu *edu = dev_edu(dev);
	int ret = 0;

	if (phase != UVFIO_MIG_DIRTY) {
		ret = put_regs(s, &edu->s);
		if (!ret)
			ret = put_blocks(s, &edu->s, 0, EDU_NR_BLOCKS);
	} else {
		if (edu->regs_dirty)
			ret = put_regs(s, &edu->s);
		for (unsigned int b = 0; b < EDU_NR_BLOCKS && !ret; b++)
			if (edu->dirty_blocks & (1u << b))
				ret = put_blocks(s, &edu->s, b, 1);
	}
	if (!ret) {
		edu->regs_dirty = false;
		edu->dirty_blocks = 0;
	}
	return ret;
}

static uint64_t edu_dirty_bytes(struct uvfio_device *dev)
{
	struct edu *edu = dev_edu(dev);
	uint64_t n = 0;

	if (edu->regs_dirty)
		n += EDU_SECTION_OVERHEAD + EDU_REGS_WIRE;
	for (unsigned int b = 0; b < EDU_NR_BLOCKS; b++)
		if (edu->dirty_blocks & (1u << b))
			n += EDU_SECTION_OVERHEAD + EDU_BUF_HDR +
			     EDU_BLOCK_SIZE;
	return n;
}

static uint64_t edu_state_size(struct uvfio_device *dev)
{
	(void)dev;
	return EDU_REGS_WIRE + EDU_BUF_HDR + EDU_DMA_SIZE;
}

/* ---- loading ---- */

/* A 32-bit register carried in 64 bits: the upper half must be 0. */
static int check_u32(struct uvfio_device *dev, const char *name, uint64_t v)
{
	if (v <= UINT32_MAX)
		return 0;
	uvfio_err(
		dev,
		"edu: migration stream refused: %s 0x%llx does not fit the 32-bit register",
		name, (unsigned long long)v);
	return -EINVAL;
}

/*
 * Every value a running or stopped edu can hold, and no other: the 32-bit
 * registers fit 32 bits, status has only COMPUTING and IRQFACT, and a
 * waiting transfer (RUN) lies inside the buffer.  The DMA registers are
 * otherwise free (the guest writes any value; a transfer checks them when
 * it starts), and so are the other command bits (QEMU's edu keeps the
 * whole word written).
 */
static int load_regs(struct uvfio_device *dev, struct edu_state *st,
		     const uint8_t *p, size_t len)
{
	static const char *const names[EDU_NR_REGS] = {
		"liveness", "fact",    "status",  "irq_status",
		"dma_src",  "dma_dst", "dma_cnt", "dma_cmd",
	};
	uint64_t v[EDU_NR_REGS];
	struct edu_state n;

	if (len != EDU_REGS_WIRE) {
		uvfio_err(
			dev,
			"edu: migration stream refused: register section of %zu bytes, expected %u",
			len, EDU_REGS_WIRE);
		return -EINVAL;
	}
	for (int i = 0; i < EDU_NR_REGS; i++)
		v[i] = get_u64(p + 8 * i);
	for (int i = 0; i < 4; i++)
		if (check_u32(dev, names[i], v[i]))
			return -EINVAL;
	if (v[2] & ~(uint64_t)EDU_STATUS_BITS) {
		uvfio_err(
			dev,
			"edu: migration stream refused: status 0x%llx has bits other than COMPUTING (0x%x) and IRQFACT (0x%x)",
			(unsigned long long)v[2], EDU_STATUS_COMPUTING,
			EDU_STATUS_IRQFACT);
		return -EINVAL;
	}
	n.liveness = (uint32_t)v[0];
	n.fact = (uint32_t)v[1];
	n.status = (uint32_t)v[2];
	n.irq_status = (uint32_t)v[3];
	n.dma_src = v[4];
	n.dma_dst = v[5];
	n.dma_cnt = v[6];
	n.dma_cmd = v[7];
	if ((n.dma_cmd & EDU_DMA_RUN) &&
	    !edu_dma_range_ok(edu_dma_buf_addr(&n), n.dma_cnt)) {
		uvfio_err(
			dev,
			"edu: migration stream refused: dma_cmd 0x%llx waits to move dma_cnt 0x%llx bytes at buffer address 0x%llx, outside the buffer 0x%x-0x%x",
			(unsigned long long)n.dma_cmd,
			(unsigned long long)n.dma_cnt,
			(unsigned long long)edu_dma_buf_addr(&n), EDU_DMA_START,
			EDU_DMA_START + EDU_DMA_SIZE - 1);
		return -EINVAL;
	}
	memcpy(st, &n, EDU_REGS_LEN);
	return 0;
}

/* Whole blocks inside the buffer; returns the blocks written, or 0. */
static uint8_t load_blocks(struct uvfio_device *dev, struct edu_state *st,
			   const uint8_t *p, size_t len)
{
	uint32_t off = 0;
	size_t n;
	uint8_t mask = 0;

	if (len < EDU_BUF_HDR) {
		uvfio_err(
			dev,
			"edu: migration stream refused: buffer section of %zu bytes, shorter than its %u-byte offset",
			len, EDU_BUF_HDR);
		return 0;
	}
	for (int i = 0; i < EDU_BUF_HDR; i++)
		off |= (uint32_t)p[i] << (8 * i);
	n = len - EDU_BUF_HDR;
	if (!n || off % EDU_BLOCK_SIZE || n % EDU_BLOCK_SIZE ||
	    off > EDU_DMA_SIZE || n > EDU_DMA_SIZE - off) {
		uvfio_err(
			dev,
			"edu: migration stream refused: buffer section at offset 0x%x of %zu bytes; it must be whole %u-byte blocks inside the %u-byte buffer",
			off, n, EDU_BLOCK_SIZE, EDU_DMA_SIZE);
		return 0;
	}
	memcpy(st->dma_buf + off, p + EDU_BUF_HDR, n);
	for (size_t b = off / EDU_BLOCK_SIZE; b < (off + n) / EDU_BLOCK_SIZE;
	     b++)
		mask |= (uint8_t)(1u << b);
	return mask;
}

static int edu_load_section(struct uvfio_device *dev, uint16_t type,
			    enum uvfio_mig_phase phase, const void *data,
			    size_t len)
{
	struct edu *edu = dev_edu(dev);
	struct edu_staged *st = edu->staged;
	uint8_t blocks;

	if (type != EDU_SEC_REGS && type != EDU_SEC_BUF) {
		uvfio_err(
			dev,
			"edu: migration stream refused: unknown section type %u (%zu bytes)",
			type, len);
		return -EINVAL;
	}
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		edu->staged = st;
	}
	st->phase = phase;
	if (type == EDU_SEC_REGS) {
		if (load_regs(dev, &st->s, data, len))
			return -EINVAL;
		if (phase == UVFIO_MIG_FINAL)
			st->final_regs = true;
		return 0;
	}
	blocks = load_blocks(dev, &st->s, data, len);
	if (!blocks)
		return -EINVAL;
	if (phase == UVFIO_MIG_FINAL)
		st->final_blocks |= blocks;
	return 0;
}

void edu_mig_release(struct edu *edu)
{
	free(edu->staged);
	edu->staged = NULL;
}

static void edu_load_abort(struct uvfio_device *dev)
{
	edu_mig_release(dev_edu(dev));
}

/*
 * The FINAL phase must have brought the registers and every block.  The
 * device is stopped (RESUMING -> STOP): nothing is signalled now; the
 * loaded causes are signalled, and the loaded work finished, once it
 * runs.
 */
static int edu_load_commit(struct uvfio_device *dev)
{
	struct edu *edu = dev_edu(dev);
	struct edu_staged *st = edu->staged;

	if (!st || !st->final_regs || st->final_blocks != EDU_ALL_BLOCKS) {
		uvfio_err(
			dev,
			"edu: migration stream incomplete: its final state has %s registers and buffer blocks 0x%02x of 0x%02x",
			st && st->final_regs ? "the" : "no",
			st ? st->final_blocks : 0, EDU_ALL_BLOCKS);
		return -EINVAL;
	}
	edu->s = st->s;
	edu->irq_deferred = edu->s.irq_status != 0;
	edu->regs_dirty = true;
	edu->dirty_blocks = EDU_ALL_BLOCKS;
	edu_mig_release(edu);
	return 0;
}

static const struct uvfio_migration_ops edu_mig_ops = {
	.flags = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		 UVFIO_MIGRATION_PRE_COPY,
	.arc = edu_arc,
	.save = edu_save,
	.dirty_bytes = edu_dirty_bytes,
	.state_size = edu_state_size,
	.load_section = edu_load_section,
	.load_commit = edu_load_commit,
	.load_abort = edu_load_abort,
};

int edu_mig_init(struct edu *edu)
{
	const struct uvfio_mig_identity id = {
		.vendor = EDU_VENDOR_ID,
		.device = EDU_DEVICE_ID,
		.subsystem_vendor = EDU_SUBSYSTEM_VENDOR_ID,
		.subsystem = EDU_SUBSYSTEM_ID,
		.revision = EDU_REVISION,
		.type = "edu",
		.compat = "edu-1",
	};

	return uvfio_migration_init(uvfio_pci_device(edu->pci), &edu_mig_ops,
				    &id);
}
