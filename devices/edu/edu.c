// SPDX-License-Identifier: MIT
/*
 * edu: QEMU's educational PCI device, register compatible with QEMU's
 * hw/misc/edu.c (docs/specs/edu.rst), on the PCI core.
 *
 * The factorial and the DMA engine complete inside the register write that
 * starts them, under the device lock.  A guest cannot tell (it polls the
 * status and command registers, or waits for the interrupt), and DMA done
 * there reaches every kind of window: a message-based window on a
 * vfio-user connection without a twin socket can only be reached from the
 * connection's own thread, i.e. from inside a region access.  So there is
 * no thread and no timer, and while the device runs the state (struct
 * edu_state) never holds work in progress.
 *
 * Stopped for migration (edu_quiesce: every state but RUNNING and
 * PRE_COPY), edu does no DMA and raises no interrupt, as the kernel asks
 * of a device in STOP and, since edu cannot tell peer-to-peer DMA from
 * any other, in the P2P states.  Registers are still read and written; a
 * factorial or a transfer started then waits (status COMPUTING and
 * dma_cmd RUN stay set, and travel in the migration stream), and so does
 * the signal of a raise, until edu_resume().  edu-mig.c has the
 * migration itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/dma.h>
#include <uvfio/migration.h>

#include "edu-internal.h"

static struct uvfio_device *edu_dev(const struct edu *edu)
{
	return uvfio_pci_device(edu->pci);
}

/* Pre-copy: buffer bytes [@off, @off + @len) changed. */
static void edu_mark_dirty(struct edu *edu, uint64_t off, uint64_t len)
{
	for (uint64_t b = off / EDU_BLOCK_SIZE;
	     len && b <= (off + len - 1) / EDU_BLOCK_SIZE; b++)
		edu->dirty_blocks |= (uint8_t)(1u << b);
}

/* ---- Interrupts ---- */

/*
 * As QEMU's edu: any raise with a non-zero irq_status signals (an MSI each
 * time; INTx stays asserted), and INTx drops when every cause is acked.
 * Stopped, the causes are recorded and the line is left alone: the signal
 * (one, however many raises) and the drop wait for edu_resume().
 */
static void edu_raise_irq(struct edu *edu, uint32_t causes)
{
	edu->s.irq_status |= causes;
	if (!edu->s.irq_status)
		return;
	if (edu->quiesced)
		edu->irq_deferred = true;
	else
		uvfio_pci_irq_raise(edu->pci, 0);
}

static void edu_lower_irq(struct edu *edu, uint32_t causes)
{
	edu->s.irq_status &= ~causes;
	if (!edu->s.irq_status && !edu->quiesced)
		uvfio_pci_irq_lower(edu->pci);
}

/* ---- Factorial ---- */

/*
 * n! modulo 2^32, as QEMU computes it.  34! holds 2^32, so the product is 0
 * from there on: stop as soon as it is, which bounds the loop for any n.
 */
static uint32_t edu_factorial(uint32_t n)
{
	uint32_t r = 1;

	while (n > 0 && r)
		r *= n--;
	return r;
}

static void edu_fact_finish(struct edu *edu)
{
	struct edu_state *s = &edu->s;

	s->fact = edu_factorial(s->fact);
	s->status &= ~EDU_STATUS_COMPUTING;
	if (s->status & EDU_STATUS_IRQFACT)
		edu_raise_irq(edu, EDU_IRQ_FACT);
}

/* Stopped, the factorial waits: fact reads n and COMPUTING stays set. */
static void edu_fact_start(struct edu *edu, uint32_t n)
{
	struct edu_state *s = &edu->s;

	s->fact = n;
	s->status |= EDU_STATUS_COMPUTING;
	if (!edu->quiesced)
		edu_fact_finish(edu);
}

/* ---- DMA ---- */

/*
 * Move the bytes of the transfer the DMA registers describe, or nothing:
 * 0, or a negative errno after a warning naming what was wrong.
 */
static int edu_dma_transfer(struct edu *edu)
{
	struct uvfio_device *dev = edu_dev(edu);
	struct edu_state *s = &edu->s;
	bool to_ram = s->dma_cmd & EDU_DMA_TO_RAM;
	uint64_t buf_addr = to_ram ? s->dma_src : s->dma_dst;
	uint64_t ram = to_ram ? s->dma_dst : s->dma_src;
	uint64_t cnt = s->dma_cnt;
	uint8_t bounce[EDU_DMA_SIZE];
	uint64_t off;
	int ret;

	if (!edu_dma_range_ok(buf_addr, cnt)) {
		uvfio_warn(
			dev,
			"DMA of 0x%llx bytes at buffer address 0x%llx is outside the buffer 0x%x-0x%x: nothing transferred",
			(unsigned long long)cnt, (unsigned long long)buf_addr,
			EDU_DMA_START, EDU_DMA_START + EDU_DMA_SIZE - 1);
		return -EINVAL;
	}
	off = buf_addr - EDU_DMA_START;
	if (!cnt)
		return 0;
	if (!uvfio_pci_bus_master(edu->pci)) {
		uvfio_warn(
			dev,
			"DMA of %llu bytes with Command.Bus Master clear: nothing transferred",
			(unsigned long long)cnt);
		return -EPERM;
	}
	if (ram & ~EDU_DMA_MASK) {
		uvfio_warn(dev,
			   "DMA address 0x%llx clamped to 0x%llx (28 bits)",
			   (unsigned long long)ram,
			   (unsigned long long)(ram & EDU_DMA_MASK));
		ram &= EDU_DMA_MASK;
	}
	if (to_ram) {
		ret = uvfio_dma_write(uvfio_device_dma(dev), ram,
				      s->dma_buf + off, cnt);
	} else {
		/* A message-based read may fail halfway: keep the buffer. */
		ret = uvfio_dma_read(uvfio_device_dma(dev), ram, bounce, cnt);
		if (!ret) {
			memcpy(s->dma_buf + off, bounce, cnt);
			edu_mark_dirty(edu, off, cnt);
		}
	}
	if (ret)
		uvfio_warn(
			dev,
			"DMA of %llu bytes %s 0x%llx failed: %s; nothing transferred",
			(unsigned long long)cnt, to_ram ? "to" : "from",
			(unsigned long long)ram, strerror(-ret));
	return ret;
}

/*
 * A transfer always completes: RUN clears and the DMA interrupt is raised
 * if asked for, also when nothing could be moved (as QEMU's edu, whose
 * failed pci_dma_read/write still completes), so a driver never hangs.
 */
static void edu_dma_finish(struct edu *edu)
{
	struct edu_state *s = &edu->s;

	edu_dma_transfer(edu);
	s->dma_cmd &= ~(uint64_t)EDU_DMA_RUN;
	if (s->dma_cmd & EDU_DMA_IRQ)
		edu_raise_irq(edu, EDU_IRQ_DMA);
}

/*
 * Stopped, a transfer waits with RUN set, unless its buffer range is
 * already wrong: that one completes at once, moving nothing (its
 * interrupt waits like any other).  So a waiting transfer always lies
 * inside the buffer, which a loaded state must respect too.
 */
static void edu_dma_start(struct edu *edu, uint64_t cmd)
{
	struct edu_state *s = &edu->s;

	s->dma_cmd = cmd;
	if (!edu->quiesced ||
	    !edu_dma_range_ok(edu_dma_buf_addr(s), s->dma_cnt))
		edu_dma_finish(edu);
}

/* ---- Stop and run (migration) ---- */

void edu_quiesce(struct edu *edu)
{
	edu->quiesced = true;
}

/*
 * Running again: the factorial, then the transfer, then one signal (an
 * INTx assertion or an MSI) for the raises made while stopped and by that
 * work, if a cause is still pending; else INTx drops.  After a load, the
 * loaded causes count as raised while stopped.
 */
void edu_resume(struct edu *edu)
{
	struct edu_state *s = &edu->s;

	if (s->status & EDU_STATUS_COMPUTING) {
		edu_fact_finish(edu);
		edu->regs_dirty = true;
	}
	if (s->dma_cmd & EDU_DMA_RUN) {
		edu_dma_finish(edu);
		edu->regs_dirty = true;
	}
	edu->quiesced = false;
	if (!s->irq_status)
		uvfio_pci_irq_lower(edu->pci);
	else if (edu->irq_deferred)
		uvfio_pci_irq_raise(edu->pci, 0);
	edu->irq_deferred = false;
}

/* ---- Registers ---- */

/* The access sizes QEMU's edu accepts; anything else reads all-ones. */
static bool edu_access_valid(uint64_t addr, size_t size)
{
	if (addr < EDU_REG_DMA_SRC)
		return size == 4;
	return size == 4 || size == 8;
}

static uint64_t edu_reg_read(struct edu *edu, uint64_t addr, size_t size)
{
	const struct edu_state *s = &edu->s;

	if (!edu_access_valid(addr, size))
		return ~0ull;
	switch (addr) {
	case EDU_REG_ID:
		return EDU_ID_VALUE;
	case EDU_REG_LIVENESS:
		return s->liveness;
	case EDU_REG_FACT:
		return s->fact;
	case EDU_REG_STATUS:
		return s->status;
	case EDU_REG_IRQ_STATUS:
		return s->irq_status;
	case EDU_REG_DMA_SRC:
		return s->dma_src;
	case EDU_REG_DMA_DST:
		return s->dma_dst;
	case EDU_REG_DMA_CNT:
		return s->dma_cnt;
	case EDU_REG_DMA_CMD:
		return s->dma_cmd;
	default:
		return ~0ull;
	}
}

/* @val holds @size bytes, zero-extended (a 4-byte write clears the rest). */
static void edu_reg_write(struct edu *edu, uint64_t addr, uint64_t val,
			  size_t size)
{
	struct edu_state *s = &edu->s;
	uint64_t *dma_reg = NULL;

	if (!edu_access_valid(addr, size))
		return;
	switch (addr) {
	case EDU_REG_LIVENESS:
		s->liveness = ~(uint32_t)val;
		break;
	case EDU_REG_FACT:
		if (!(s->status & EDU_STATUS_COMPUTING))
			edu_fact_start(edu, (uint32_t)val);
		break;
	case EDU_REG_STATUS:
		/* Only IRQFACT is writable. */
		if (val & EDU_STATUS_IRQFACT)
			s->status |= EDU_STATUS_IRQFACT;
		else
			s->status &= ~EDU_STATUS_IRQFACT;
		break;
	case EDU_REG_IRQ_RAISE:
		edu_raise_irq(edu, (uint32_t)val);
		break;
	case EDU_REG_IRQ_ACK:
		edu_lower_irq(edu, (uint32_t)val);
		break;
	case EDU_REG_DMA_SRC:
		dma_reg = &s->dma_src;
		break;
	case EDU_REG_DMA_DST:
		dma_reg = &s->dma_dst;
		break;
	case EDU_REG_DMA_CNT:
		dma_reg = &s->dma_cnt;
		break;
	case EDU_REG_DMA_CMD:
		/* Only a write that starts a transfer counts. */
		if ((val & EDU_DMA_RUN) && !(s->dma_cmd & EDU_DMA_RUN))
			edu_dma_start(edu, val);
		break;
	default:
		break;
	}
	/* The DMA registers are frozen while a transfer runs. */
	if (dma_reg && !(s->dma_cmd & EDU_DMA_RUN))
		*dma_reg = val;
}

/*
 * Split an access the way vfio-pci splits a read/write of a BAR into bus
 * cycles: naturally aligned 8, 4, 2 or 1 bytes, largest first.  QEMU's edu
 * behind vfio-pci then sees each piece as one register access.
 */
static size_t edu_piece(uint64_t addr, size_t left)
{
	for (size_t size = 8; size > 1; size /= 2)
		if (left >= size && !(addr % size))
			return size;
	return 1;
}

static uint64_t get_le(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static ssize_t edu_bar_access(struct uvfio_pci *pci, unsigned int bar,
			      uint64_t offset, void *buf, size_t len,
			      bool is_write)
{
	struct edu *edu = uvfio_pci_priv(pci);
	uint8_t before[EDU_REGS_LEN];
	uint8_t *p = buf;

	if (bar != EDU_BAR)
		return -EINVAL;
	if (is_write)
		memcpy(before, &edu->s, EDU_REGS_LEN);
	for (size_t done = 0, size; done < len; done += size) {
		uint64_t addr = offset + done;

		size = edu_piece(addr, len - done);
		if (is_write)
			edu_reg_write(edu, addr, get_le(p + done, size), size);
		else
			put_le(p + done, edu_reg_read(edu, addr, size), size);
	}
	/* Reads change nothing; a write may (pre-copy tracking). */
	if (is_write && memcmp(before, &edu->s, EDU_REGS_LEN))
		edu->regs_dirty = true;
	return (ssize_t)len;
}

/* ---- Lifetime ---- */

/*
 * VFIO_DEVICE_RESET.  edu has no reset method in vfio-pci's terms
 * (conventional PCI, neither FLR nor a PM capability), so GET_INFO shows
 * no RESET flag, as for QEMU's edu behind vfio-pci.  But migration needs
 * the reset: it is the kernel's only way out of ERROR and of a RESUMING
 * whose stream was refused.  So the reset works without being advertised
 * (UVFIO_PCI_RESET_SILENT), as the kernel's mdev drivers (mtty) do.
 *
 * It does what a reset does to QEMU's edu, which has no reset handler:
 * the registers and the buffer stay.  It ends a stop (the migration state
 * is RUNNING again) and drops the work the stop held back: COMPUTING and
 * RUN clear with nothing computed or moved, and no interrupt.  The PCI
 * core then drops INTx; a cause still pending asserts it again at the
 * next raise.
 */
static int edu_reset(struct uvfio_pci *pci)
{
	struct edu *edu = uvfio_pci_priv(pci);

	edu->s.status &= ~(uint32_t)EDU_STATUS_COMPUTING;
	edu->s.dma_cmd &= ~(uint64_t)EDU_DMA_RUN;
	edu->quiesced = false;
	edu->irq_deferred = false;
	edu->regs_dirty = true;
	return 0;
}

static void edu_release(struct uvfio_pci *pci)
{
	struct edu *edu = uvfio_pci_priv(pci);

	edu_mig_release(edu);
	free(edu);
}

static const struct uvfio_pci_ops edu_ops = {
	.bar_access = edu_bar_access,
	.reset = edu_reset,
	.release = edu_release,
};

static const struct uvfio_pci_ids edu_ids = {
	.vendor = EDU_VENDOR_ID,
	.device = EDU_DEVICE_ID,
	.subsystem_vendor = EDU_SUBSYSTEM_VENDOR_ID,
	.subsystem = EDU_SUBSYSTEM_ID,
	.class_code = EDU_CLASS_CODE,
	.revision = EDU_REVISION,
};

struct uvfio_pci *edu_new(const char *name)
{
	struct edu *edu = calloc(1, sizeof(*edu));
	struct uvfio_pci *pci;
	int ret, err;

	if (!edu)
		return NULL;
	pci = uvfio_pci_new(name, &edu_ops, edu, &edu_ids,
			    UVFIO_PCI_CONFIG_SIZE);
	if (!pci) {
		err = errno;
		free(edu);
		errno = err;
		return NULL;
	}
	edu->pci = pci;
	/* Registers trap: a 32-bit, non-prefetchable BAR, not mmappable. */
	ret = uvfio_pci_add_bar(pci, EDU_BAR, EDU_BAR_SIZE, 0);
	if (!ret)
		ret = uvfio_pci_set_intx_pin(pci, 1);
	if (!ret) {
		/* QEMU: msi_init(pdev, 0, 1, true, false) */
		ret = uvfio_pci_add_msi(pci, 1, true, false);
		if (ret > 0)
			ret = 0;
	}
	if (!ret)
		ret = uvfio_pci_set_reset_mode(pci, UVFIO_PCI_RESET_SILENT);
	if (!ret)
		ret = edu_mig_init(edu);
	/* edu writes guest memory: a VMM migrating it needs those pages. */
	if (!ret)
		ret = uvfio_dirty_log_init(uvfio_pci_device(pci));
	if (!ret)
		ret = uvfio_pci_realize(pci);
	if (ret) {
		uvfio_pci_destroy(pci); /* frees @edu through edu_release */
		errno = -ret;
		return NULL;
	}
	return pci;
}
