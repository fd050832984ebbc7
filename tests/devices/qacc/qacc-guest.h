/* SPDX-License-Identifier: MIT */
/*
 * A guest's qacc driver over the client library, shared by the qacc
 * suite and the VF migration test: guest memory (a sealed memfd mapped
 * for DMA), the rings in it, submission, and completions read the way a
 * guest reads them (the phase bit, or the MSI-X vector's eventfd).
 * Everything goes through the public client API and VFIO semantics.
 */
#ifndef UVFIO_TESTS_QACC_GUEST_H
#define UVFIO_TESTS_QACC_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <uvfio/client.h>
#include <uvfio/dma.h>

#include "qacc/qacc.h"

/* Guest memory: the rings, then data, at IOVA QG_IOVA. */
#define QG_IOVA 0x10000000ull
#define QG_MEM_SIZE (8u << 20)
#define QG_SQ_OFF 0x0
#define QG_CQ_OFF 0x20000
#define QG_DATA_OFF 0x40000

struct qacc_guest {
	struct uvfio_client *c;
	struct uvfio_client_buffer mem;
	int msix_fd; /* blocking eventfd of MSI-X vector 0 */
	uint32_t qsize;
	uint32_t sq_tail; /* our copy of what we rang */
	uint32_t cq_head, phase;
};

static inline uint8_t *qg_data(struct qacc_guest *g, uint64_t off)
{
	return (uint8_t *)g->mem.addr + QG_DATA_OFF + off;
}

static inline uint64_t qg_data_iova(uint64_t off)
{
	return QG_IOVA + QG_DATA_OFF + off;
}

/* The bitwise CRC32C, as RFC 3720 defines it: the suite's reference. */
uint32_t qg_crc32c(const void *data, size_t len);

int qg_reg_read(struct qacc_guest *g, uint32_t reg, uint32_t *val);
int qg_reg_write(struct qacc_guest *g, uint32_t reg, uint32_t val);

/*
 * Guest memory (allocated unless @shared is given, then mapped from it),
 * Bus Master and Memory on, MSI-X vector 0 on an eventfd, rings of @qsize
 * entries, enabled with @ctrl.  0, or -1 after a diagnostic.
 */
int qg_setup(struct qacc_guest *g, struct uvfio_client *c,
	     const struct uvfio_client_buffer *shared, uint32_t qsize,
	     uint32_t ctrl);
/* Undo qg_setup (the client stays open). */
void qg_teardown(struct qacc_guest *g);

/* Write @d into the next slot; qg_ring() tells the device. */
void qg_put(struct qacc_guest *g, const struct qacc_desc *d);
int qg_ring(struct qacc_guest *g);

/*
 * The next completion if the device posted it (the phase bit says so):
 * true and *@cpl, consumed (CQ_HEAD written back every @ack_every).
 */
bool qg_take(struct qacc_guest *g, struct qacc_cpl *cpl);
int qg_ack(struct qacc_guest *g);

/* Wait for MSI-X vector 0 (no deadline): its count, consumed. */
int qg_wait_irq(struct qacc_guest *g, uint64_t *count);

/*
 * Submit one descriptor and wait for its completion: through MSI-X if the
 * queue raises it, else by polling the phase bit.  0, or -1.
 */
int qg_run(struct qacc_guest *g, const struct qacc_desc *d,
	   struct qacc_cpl *cpl);

/* Open @name with VF token @token (NULL: none); NULL with errno set.
 * The verbose one says why in a TAP bail-out. */
struct uvfio_client *qg_open(const char *name, const char *token);
struct uvfio_client *qg_open_verbose(const char *name, const char *token);

/* uvfio's SRIOV_NUMVFS feature on PF @pf: 0 or a negative errno. */
int qg_set_numvfs(struct uvfio_client *pf, uint32_t n);

#endif /* UVFIO_TESTS_QACC_GUEST_H */
