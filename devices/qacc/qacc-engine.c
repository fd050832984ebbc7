// SPDX-License-Identifier: MIT
/*
 * A qacc function's queue: its registers and the engine that runs it.
 *
 * Each function has its own engine thread, so a doorbell only records the
 * new tail and wakes it: the server's worker, shared with other devices,
 * never waits for the guest's work.  The engine takes one descriptor at a
 * time (the one "in hand"), does it through the DMA layer with the queue
 * lock dropped, and posts its completion, raises the interrupt and moves
 * the ring on with the lock held.  Whoever must see the queue still (the
 * admin queue suspending a VF, a disable, a reset) waits for the
 * descriptor in hand, never for more: a descriptor is done once, and is
 * either behind SQ_HEAD with its completion posted or ahead of it and not
 * started.
 *
 * Lock order: the device lock, then fn->lock; the engine takes only
 * fn->lock (and, raising an interrupt, the device's irq lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>
#include <uvfio/dma.h>

#include "qacc-internal.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static struct uvfio_dma *fn_dma(const struct qacc_fn *fn)
{
	return uvfio_device_dma(uvfio_pci_device(fn->pci));
}

static bool qsize_valid(uint32_t qsize)
{
	return qsize >= QACC_QSIZE_MIN && qsize <= QACC_QSIZE_MAX &&
	       !(qsize & (qsize - 1));
}

/* Rings the engine can run: aligned, and not wrapping the address space. */
static bool rings_valid(const struct qacc_queue *q)
{
	return qsize_valid(q->qsize) && !(q->sq_base % QACC_DESC_SIZE) &&
	       !(q->cq_base % QACC_CPL_SIZE) &&
	       q->sq_base <= UINT64_MAX - (uint64_t)q->qsize * QACC_DESC_SIZE &&
	       q->cq_base <= UINT64_MAX - (uint64_t)q->qsize * QACC_CPL_SIZE;
}

static bool enabled(const struct qacc_queue *q)
{
	return (q->ctrl & QACC_CTRL_ENABLE) && !q->error;
}

static bool can_take(const struct qacc_fn *fn)
{
	const struct qacc_queue *q = &fn->q;

	return enabled(q) && !fn->suspended && fn->bus_master &&
	       q->sq_head != q->sq_tail &&
	       (q->cq_tail + 1) % q->qsize != q->cq_head;
}

/* ---- Operations ---- */

static uint16_t do_op(struct qacc_fn *fn, const uint8_t *d, uint32_t *result)
{
	uint8_t op = d[0], flags = d[1];
	uint32_t len = get32(d + 4);
	uint64_t src = get64(d + 8), dst = get64(d + 16);
	struct uvfio_dma *dma = fn_dma(fn);

	if (op < QACC_OP_COPY || op > QACC_OP_CRC32C)
		return QACC_ST_BAD_OPCODE;
	if (flags || d[2] || d[3] || !len || len > QACC_MAX_LEN ||
	    (op == QACC_OP_CRC32C && dst))
		return QACC_ST_BAD_FIELD;
	switch (op) {
	case QACC_OP_COPY:
		if (uvfio_dma_read(dma, src, fn->buf, len) ||
		    uvfio_dma_write(dma, dst, fn->buf, len))
			return QACC_ST_DMA_ERROR;
		break;
	case QACC_OP_FILL:
		/* The pattern, then doubling copies: a guest's ring of long
		 * fills costs memset's time, not a byte loop's. */
		for (uint32_t i = 0; i < 8 && i < len; i++)
			fn->buf[i] = (uint8_t)(src >> (8 * i));
		for (uint32_t done = 8; done < len; done *= 2)
			memcpy(fn->buf + done, fn->buf,
			       done < len - done ? done : len - done);
		if (uvfio_dma_write(dma, dst, fn->buf, len))
			return QACC_ST_DMA_ERROR;
		break;
	case QACC_OP_CRC32C:
		if (uvfio_dma_read(dma, src, fn->buf, len))
			return QACC_ST_DMA_ERROR;
		/* ISA-L neither pre- nor post-inverts. */
		*result = ~crc32_iscsi(fn->buf, (int)len, ~0u);
		break;
	}
	return QACC_ST_OK;
}

enum run_outcome { RUN_POSTED, RUN_NO_FETCH, RUN_NO_POST };

/* The descriptor at @q's head, done and its completion posted. */
static enum run_outcome run_one(struct qacc_fn *fn, const struct qacc_queue *q)
{
	uint8_t d[QACC_DESC_SIZE], cpl[QACC_CPL_SIZE];
	uint32_t result = 0;
	uint16_t status;

	if (uvfio_dma_read(fn_dma(fn),
			   q->sq_base + (uint64_t)q->sq_head * QACC_DESC_SIZE,
			   d, sizeof(d)))
		return RUN_NO_FETCH;
	status = do_op(fn, d, &result);
	memcpy(cpl, d + 24, 8); /* the tag */
	put32(cpl + 8, result);
	cpl[12] = (uint8_t)status;
	cpl[13] = (uint8_t)(status >> 8);
	cpl[14] = (uint8_t)q->cq_phase;
	cpl[15] = 0;
	if (uvfio_dma_write(fn_dma(fn),
			    q->cq_base + (uint64_t)q->cq_tail * QACC_CPL_SIZE,
			    cpl, sizeof(cpl)))
		return RUN_NO_POST;
	return RUN_POSTED;
}

static void finish_one(struct qacc_fn *fn, enum run_outcome outcome)
{
	struct qacc_queue *q = &fn->q;

	if (outcome == RUN_NO_FETCH) {
		uvfio_warn(uvfio_pci_device(fn->pci),
			   "qacc: submission ring at 0x%llx unreachable: "
			   "queue halted",
			   (unsigned long long)q->sq_base);
		q->error = true;
		return;
	}
	/* Done, so never again: the head moves even if nobody hears of it. */
	q->sq_head = (q->sq_head + 1) % q->qsize;
	if (outcome == RUN_NO_POST) {
		uvfio_warn(uvfio_pci_device(fn->pci),
			   "qacc: completion ring at 0x%llx unreachable: "
			   "queue halted",
			   (unsigned long long)q->cq_base);
		q->error = true;
		return;
	}
	q->cq_tail = (q->cq_tail + 1) % q->qsize;
	if (!q->cq_tail)
		q->cq_phase ^= 1;
	q->done++;
	/* Before the descriptor is out of hand: a suspended VF is silent. */
	if (q->ctrl & QACC_CTRL_IRQ)
		uvfio_pci_irq_raise(fn->pci, 0);
}

static void *engine_main(void *arg)
{
	struct qacc_fn *fn = arg;

	pthread_mutex_lock(&fn->lock);
	while (!fn->exit) {
		struct qacc_queue snap;
		enum run_outcome outcome;

		if (!can_take(fn)) {
			pthread_cond_wait(&fn->wake, &fn->lock);
			continue;
		}
		fn->busy = true;
		snap = fn->q;
		pthread_mutex_unlock(&fn->lock);
		outcome = run_one(fn, &snap);
		pthread_mutex_lock(&fn->lock);
		/* In hand, the ring could not change: see wait_in_hand(). */
		finish_one(fn, outcome);
		fn->changes++;
		fn->busy = false;
		pthread_cond_broadcast(&fn->idle);
	}
	pthread_mutex_unlock(&fn->lock);
	return NULL;
}

int qacc_engine_start(struct qacc_fn *fn)
{
	int ret;

	fn->buf = malloc(QACC_MAX_LEN);
	if (!fn->buf)
		return -ENOMEM;
	fn->q.qsize = QACC_QSIZE_DEFAULT;
	fn->q.cq_phase = 1;
	ret = pthread_create(&fn->thread, NULL, engine_main, fn);
	if (ret)
		return -ret;
	fn->thread_started = true;
	return 0;
}

void qacc_engine_stop(struct qacc_fn *fn)
{
	if (fn->thread_started) {
		pthread_mutex_lock(&fn->lock);
		fn->exit = true;
		pthread_cond_signal(&fn->wake);
		pthread_mutex_unlock(&fn->lock);
		pthread_join(fn->thread, NULL);
		fn->thread_started = false;
	}
	free(fn->buf);
	fn->buf = NULL;
}

/* Under fn->lock: let the descriptor in hand finish. */
static void wait_in_hand(struct qacc_fn *fn)
{
	while (fn->busy)
		pthread_cond_wait(&fn->idle, &fn->lock);
}

/* Empty rings, as after power-on: under fn->lock, nothing in hand. */
static void clear_rings(struct qacc_queue *q)
{
	q->sq_tail = q->sq_head = q->cq_head = q->cq_tail = 0;
	q->cq_phase = 1;
	q->error = false;
}

/* ---- Registers ---- */

uint32_t qacc_reg_read(struct qacc_fn *fn, uint64_t addr)
{
	const struct qacc_queue *q = &fn->q;
	uint32_t v = 0;

	pthread_mutex_lock(&fn->lock);
	switch (addr) {
	case QACC_REG_ID:
		v = QACC_ID_VALUE;
		break;
	case QACC_REG_CTRL:
		v = q->ctrl;
		break;
	case QACC_REG_STATUS:
		v = (enabled(q) ? QACC_STATUS_READY : 0) |
		    (q->error ? QACC_STATUS_ERROR : 0) |
		    (!fn->busy && !can_take(fn) ? QACC_STATUS_IDLE : 0);
		break;
	case QACC_REG_QSIZE:
		v = q->qsize;
		break;
	case QACC_REG_SQ_BASE:
	case QACC_REG_SQ_BASE + 4:
		v = (uint32_t)(q->sq_base >> (8 * (addr - QACC_REG_SQ_BASE)));
		break;
	case QACC_REG_CQ_BASE:
	case QACC_REG_CQ_BASE + 4:
		v = (uint32_t)(q->cq_base >> (8 * (addr - QACC_REG_CQ_BASE)));
		break;
	case QACC_REG_SQ_TAIL:
		v = q->sq_tail;
		break;
	case QACC_REG_SQ_HEAD:
		v = q->sq_head;
		break;
	case QACC_REG_CQ_HEAD:
		v = q->cq_head;
		break;
	case QACC_REG_CQ_TAIL:
		v = q->cq_tail;
		break;
	case QACC_REG_DONE:
	case QACC_REG_DONE + 4:
		v = (uint32_t)(q->done >> (8 * (addr - QACC_REG_DONE)));
		break;
	}
	pthread_mutex_unlock(&fn->lock);
	return v;
}

static void set_half(uint64_t *reg, uint64_t addr, uint64_t base, uint32_t v)
{
	unsigned int shift = addr == base ? 0 : 32;

	*reg = (*reg & ~(0xffffffffull << shift)) | (uint64_t)v << shift;
}

static void write_ctrl(struct qacc_fn *fn, uint32_t val)
{
	struct qacc_queue *q = &fn->q;
	bool was_on = q->ctrl & QACC_CTRL_ENABLE;

	q->ctrl = val & QACC_CTRL_MASK;
	if (was_on && !(q->ctrl & QACC_CTRL_ENABLE)) {
		/* Nothing new is taken now; the one in hand completes. */
		wait_in_hand(fn);
		clear_rings(q);
	} else if (!was_on && (q->ctrl & QACC_CTRL_ENABLE) && !rings_valid(q)) {
		uvfio_warn(uvfio_pci_device(fn->pci),
			   "qacc: enabled with rings of %u entries at 0x%llx "
			   "and 0x%llx: queue halted",
			   q->qsize, (unsigned long long)q->sq_base,
			   (unsigned long long)q->cq_base);
		q->error = true;
	}
}

/*
 * A doorbell value at or beyond the ring's size halts the queue, as a
 * controller does with an invalid doorbell write: the guest is lost.
 */
static void write_index(struct qacc_fn *fn, uint32_t *reg, uint32_t val)
{
	if (!enabled(&fn->q))
		return;
	if (val >= fn->q.qsize) {
		uvfio_warn(uvfio_pci_device(fn->pci),
			   "qacc: doorbell %u beyond the ring's %u entries: "
			   "queue halted",
			   val, fn->q.qsize);
		fn->q.error = true;
		return;
	}
	*reg = val;
}

void qacc_reg_write(struct qacc_fn *fn, uint64_t addr, uint32_t val)
{
	struct qacc_queue *q = &fn->q;
	bool off;

	pthread_mutex_lock(&fn->lock);
	off = !(q->ctrl & QACC_CTRL_ENABLE);
	switch (addr) {
	case QACC_REG_CTRL:
		write_ctrl(fn, val);
		break;
	case QACC_REG_QSIZE:
		/* Any other value is ignored: the ring size is always one
		 * the engine can run. */
		if (off && qsize_valid(val))
			q->qsize = val;
		break;
	case QACC_REG_SQ_BASE:
	case QACC_REG_SQ_BASE + 4:
		if (off)
			set_half(&q->sq_base, addr, QACC_REG_SQ_BASE, val);
		break;
	case QACC_REG_CQ_BASE:
	case QACC_REG_CQ_BASE + 4:
		if (off)
			set_half(&q->cq_base, addr, QACC_REG_CQ_BASE, val);
		break;
	case QACC_REG_SQ_TAIL:
		write_index(fn, &q->sq_tail, val);
		break;
	case QACC_REG_CQ_HEAD:
		write_index(fn, &q->cq_head, val);
		break;
	default:
		break; /* read-only or nothing */
	}
	fn->changes++;
	pthread_cond_signal(&fn->wake);
	pthread_mutex_unlock(&fn->lock);
}

/* ---- Control ---- */

void qacc_engine_suspend(struct qacc_fn *fn)
{
	pthread_mutex_lock(&fn->lock);
	fn->suspended = true;
	wait_in_hand(fn);
	pthread_mutex_unlock(&fn->lock);
}

void qacc_engine_resume(struct qacc_fn *fn)
{
	pthread_mutex_lock(&fn->lock);
	fn->suspended = false;
	pthread_cond_signal(&fn->wake);
	pthread_mutex_unlock(&fn->lock);
}

void qacc_engine_reset(struct qacc_fn *fn)
{
	pthread_mutex_lock(&fn->lock);
	fn->q.ctrl = 0; /* takes nothing new */
	wait_in_hand(fn);
	memset(&fn->q, 0, sizeof(fn->q));
	fn->q.qsize = QACC_QSIZE_DEFAULT;
	clear_rings(&fn->q);
	/* Command, Bus Master included, is config space: the PCI core
	 * keeps it, as vfio-pci restores it around a reset. */
	fn->suspended = false;
	fn->changes++;
	pthread_mutex_unlock(&fn->lock);
}

void qacc_engine_set_bus_master(struct qacc_fn *fn, bool on)
{
	pthread_mutex_lock(&fn->lock);
	fn->bus_master = on;
	/* Cleared, no DMA goes on after the config write: the descriptor in
	 * hand completes first. */
	if (!on)
		wait_in_hand(fn);
	pthread_cond_signal(&fn->wake);
	pthread_mutex_unlock(&fn->lock);
}

void qacc_engine_wait_idle(struct qacc_fn *fn)
{
	pthread_mutex_lock(&fn->lock);
	while (fn->busy || can_take(fn))
		pthread_cond_wait(&fn->idle, &fn->lock);
	pthread_mutex_unlock(&fn->lock);
}

void qacc_engine_snapshot(struct qacc_fn *fn, struct qacc_queue *q,
			  uint64_t *changes)
{
	pthread_mutex_lock(&fn->lock);
	*q = fn->q;
	*changes = fn->changes;
	pthread_mutex_unlock(&fn->lock);
}

int qacc_engine_load(struct qacc_fn *fn, const struct qacc_queue *q)
{
	int ret = 0;

	pthread_mutex_lock(&fn->lock);
	if (!fn->suspended || fn->busy) {
		ret = -EBUSY;
	} else {
		fn->q = *q;
		fn->changes++;
	}
	pthread_mutex_unlock(&fn->lock);
	return ret;
}

/* ---- The queue's wire form (README.md, "Migration") ---- */

void qacc_queue_encode(const struct qacc_queue *q,
		       uint8_t wire[QACC_QUEUE_WIRE])
{
	memset(wire, 0, QACC_QUEUE_WIRE);
	put32(wire + 0, q->ctrl);
	put32(wire + 4, q->qsize);
	put64(wire + 8, q->sq_base);
	put64(wire + 16, q->cq_base);
	put32(wire + 24, q->sq_tail);
	put32(wire + 28, q->sq_head);
	put32(wire + 32, q->cq_head);
	put32(wire + 36, q->cq_tail);
	put32(wire + 40, q->cq_phase);
	put32(wire + 44, q->error);
	put64(wire + 48, q->done);
}

int qacc_queue_decode(const uint8_t *wire, size_t len, struct qacc_queue *q,
		      const char **why)
{
	uint32_t error;

	*why = NULL;
	if (len != QACC_QUEUE_WIRE) {
		*why = "queue section of the wrong length";
		return -EINVAL;
	}
	q->ctrl = get32(wire + 0);
	q->qsize = get32(wire + 4);
	q->sq_base = get64(wire + 8);
	q->cq_base = get64(wire + 16);
	q->sq_tail = get32(wire + 24);
	q->sq_head = get32(wire + 28);
	q->cq_head = get32(wire + 32);
	q->cq_tail = get32(wire + 36);
	q->cq_phase = get32(wire + 40);
	error = get32(wire + 44);
	q->error = error == 1;
	q->done = get64(wire + 48);
	if (get64(wire + 56))
		*why = "reserved bytes set";
	else if (q->ctrl & ~(uint32_t)QACC_CTRL_MASK)
		*why = "unknown control bits";
	else if (!qsize_valid(q->qsize))
		*why = "ring size not a power of two from 2 to 4096";
	else if (q->cq_phase > 1 || error > 1)
		*why = "phase or error flag not 0 or 1";
	else if (!(q->ctrl & QACC_CTRL_ENABLE) &&
		 (q->sq_tail || q->sq_head || q->cq_head || q->cq_tail ||
		  q->cq_phase != 1 || q->error))
		*why = "a disabled queue with ring positions";
	else if ((q->ctrl & QACC_CTRL_ENABLE) && !q->error && !rings_valid(q))
		*why = "enabled rings that are misaligned or wrap";
	else if (q->sq_tail >= q->qsize || q->sq_head >= q->qsize ||
		 q->cq_head >= q->qsize || q->cq_tail >= q->qsize)
		*why = "a ring position beyond the ring";
	return *why ? -EINVAL : 0;
}
