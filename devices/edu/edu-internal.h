/* SPDX-License-Identifier: MIT */
/*
 * edu's private state, shared by the device (edu.c) and its migration
 * (edu-mig.c).  Everything here is used under the device lock.
 */
#ifndef UVFIO_DEVICES_EDU_INTERNAL_H
#define UVFIO_DEVICES_EDU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edu.h"

/* The buffer is tracked and migrated in blocks (pre-copy dirty rounds). */
#define EDU_BLOCK_SIZE 512
#define EDU_NR_BLOCKS (EDU_DMA_SIZE / EDU_BLOCK_SIZE)
#define EDU_ALL_BLOCKS ((uint8_t)((1u << EDU_NR_BLOCKS) - 1))

/*
 * The whole device state (README.md): the registers as the guest sees
 * them (liveness holds the inverted value), then the buffer.  Status
 * COMPUTING and dma_cmd RUN are set only while the device is stopped and
 * holds a factorial or a transfer the guest started then (deferred work,
 * finished when the device runs again).
 */
struct edu_state {
	uint32_t liveness;
	uint32_t fact;
	uint32_t status;
	uint32_t irq_status;
	uint64_t dma_src;
	uint64_t dma_dst;
	uint64_t dma_cnt;
	uint64_t dma_cmd;
	uint8_t dma_buf[EDU_DMA_SIZE];
};

/* The registers: the bytes of struct edu_state before the buffer. */
#define EDU_REGS_LEN offsetof(struct edu_state, dma_buf)
_Static_assert(EDU_REGS_LEN == 48, "edu registers have no padding");

struct edu_staged;

struct edu {
	struct uvfio_pci *pci;
	struct edu_state s;
	/*
	 * Stopped (any migration state but RUNNING and PRE_COPY): no DMA and
	 * no interrupt.  Factorial and DMA started meanwhile wait, raises
	 * only set irq_status (irq_deferred remembers to signal).
	 */
	bool quiesced;
	bool irq_deferred;
	/* Changed since the last save (pre-copy). */
	bool regs_dirty;
	uint8_t dirty_blocks; /* bit n: buffer block n */
	/* A loaded state waiting for commit (edu-mig.c). */
	struct edu_staged *staged;
};

/* Whether the buffer range of a transfer lies inside the buffer. */
static inline bool edu_dma_range_ok(uint64_t buf_addr, uint64_t cnt)
{
	/* Ending exactly at the end of the buffer is fine (QEMU 7.2: not). */
	return buf_addr >= EDU_DMA_START && cnt <= EDU_DMA_SIZE &&
	       buf_addr - EDU_DMA_START <= EDU_DMA_SIZE - cnt;
}

/* The buffer side of the transfer the DMA registers describe. */
static inline uint64_t edu_dma_buf_addr(const struct edu_state *s)
{
	return (s->dma_cmd & EDU_DMA_TO_RAM) ? s->dma_src : s->dma_dst;
}

/* edu.c: stop (no DMA, no interrupts) and run again. */
void edu_quiesce(struct edu *edu);
void edu_resume(struct edu *edu);

/* edu-mig.c: give the function migration (before realize). */
int edu_mig_init(struct edu *edu);
/* Drop a staged load (reset, release). */
void edu_mig_release(struct edu *edu);

#endif /* UVFIO_DEVICES_EDU_INTERNAL_H */
