// SPDX-License-Identifier: MIT
/*
 * A guest's qacc driver over the client library: see qacc-guest.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../suite.h"
#include "qacc-guest.h"

#define CFG_COMMAND 0x04
#define CFG_COMMAND_MEMORY 0x2
#define CFG_COMMAND_MASTER 0x4

uint32_t qg_crc32c(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}

int qg_reg_read(struct qacc_guest *g, uint32_t reg, uint32_t *val)
{
	return region_rw(g->c, UVFIO_PCI_BAR0_REGION_INDEX, reg, val, 4, false);
}

int qg_reg_write(struct qacc_guest *g, uint32_t reg, uint32_t val)
{
	return region_rw(g->c, UVFIO_PCI_BAR0_REGION_INDEX, reg, &val, 4, true);
}

static int command_on(struct uvfio_client *c)
{
	uint16_t cmd;

	if (region_rw(c, UVFIO_PCI_CONFIG_REGION_INDEX, CFG_COMMAND, &cmd, 2,
		      false))
		return -1;
	cmd |= CFG_COMMAND_MEMORY | CFG_COMMAND_MASTER;
	return region_rw(c, UVFIO_PCI_CONFIG_REGION_INDEX, CFG_COMMAND, &cmd, 2,
			 true);
}

int qg_setup(struct qacc_guest *g, struct uvfio_client *c,
	     const struct uvfio_client_buffer *shared, uint32_t qsize,
	     uint32_t ctrl)
{
	int ret;

	memset(g, 0, sizeof(*g));
	g->c = c;
	g->msix_fd = -1;
	g->qsize = qsize;
	g->phase = 1;
	if (shared) {
		g->mem = *shared;
	} else if ((ret = uvfio_client_buffer_alloc(QG_MEM_SIZE, &g->mem))) {
		diag("guest memory: %s", strerror(-ret));
		return -1;
	}
	ret = uvfio_client_dma_map(c, QG_IOVA, g->mem.size,
				   UVFIO_DMA_READ | UVFIO_DMA_WRITE, g->mem.fd,
				   0, g->mem.addr);
	if (ret) {
		diag("DMA map: %s", strerror(-ret));
		return -1;
	}
	g->msix_fd = eventfd(0, EFD_CLOEXEC);
	if (g->msix_fd < 0 || command_on(c) ||
	    bind_eventfd(c, UVFIO_PCI_MSIX_IRQ_INDEX, g->msix_fd))
		return -1;
	if (qg_reg_write(g, QACC_REG_QSIZE, qsize) ||
	    qg_reg_write(g, QACC_REG_SQ_BASE,
			 (uint32_t)(QG_IOVA + QG_SQ_OFF)) ||
	    qg_reg_write(g, QACC_REG_SQ_BASE + 4,
			 (uint32_t)((QG_IOVA + QG_SQ_OFF) >> 32)) ||
	    qg_reg_write(g, QACC_REG_CQ_BASE,
			 (uint32_t)(QG_IOVA + QG_CQ_OFF)) ||
	    qg_reg_write(g, QACC_REG_CQ_BASE + 4,
			 (uint32_t)((QG_IOVA + QG_CQ_OFF) >> 32)) ||
	    qg_reg_write(g, QACC_REG_CTRL, ctrl))
		return -1;
	/* A guest clears its completion ring: phase 0 is "not yet". */
	memset((uint8_t *)g->mem.addr + QG_CQ_OFF, 0,
	       (size_t)qsize * QACC_CPL_SIZE);
	return 0;
}

void qg_teardown(struct qacc_guest *g)
{
	if (g->msix_fd >= 0) {
		irq_disable(g->c, UVFIO_PCI_MSIX_IRQ_INDEX);
		close(g->msix_fd);
	}
	uvfio_client_dma_unmap_all(g->c);
	g->msix_fd = -1;
}

void qg_put(struct qacc_guest *g, const struct qacc_desc *d)
{
	uint8_t *sq = (uint8_t *)g->mem.addr + QG_SQ_OFF;

	memcpy(sq + (size_t)g->sq_tail * QACC_DESC_SIZE, d, sizeof(*d));
	g->sq_tail = (g->sq_tail + 1) % g->qsize;
}

int qg_ring(struct qacc_guest *g)
{
	/* The descriptors are in memory before the doorbell says so. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return qg_reg_write(g, QACC_REG_SQ_TAIL, g->sq_tail);
}

bool qg_take(struct qacc_guest *g, struct qacc_cpl *cpl)
{
	volatile struct qacc_cpl *e =
		(volatile struct qacc_cpl *)((uint8_t *)g->mem.addr +
					     QG_CQ_OFF) +
		g->cq_head;

	if ((e->phase & 1) != g->phase)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	cpl->tag = e->tag;
	cpl->result = e->result;
	cpl->status = e->status;
	cpl->phase = e->phase;
	g->cq_head = (g->cq_head + 1) % g->qsize;
	if (!g->cq_head)
		g->phase ^= 1;
	return true;
}

int qg_ack(struct qacc_guest *g)
{
	return qg_reg_write(g, QACC_REG_CQ_HEAD, g->cq_head);
}

int qg_wait_irq(struct qacc_guest *g, uint64_t *count)
{
	struct pollfd p = { .fd = g->msix_fd, .events = POLLIN };
	eventfd_t v = 0;

	/* The server shares the eventfd's file (SCM_RIGHTS) and may make it
	 * non-blocking: wait with poll(). */
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	if (eventfd_read(g->msix_fd, &v))
		return -1;
	*count = v;
	return 0;
}

int qg_run(struct qacc_guest *g, const struct qacc_desc *d,
	   struct qacc_cpl *cpl)
{
	uint32_t ctrl;

	qg_put(g, d);
	if (qg_ring(g) || qg_reg_read(g, QACC_REG_CTRL, &ctrl))
		return -1;
	while (!qg_take(g, cpl)) {
		uint64_t v;

		/* No deadline: a completion that never comes hangs the
		 * test, and the harness's timeout reports it. */
		if (ctrl & QACC_CTRL_IRQ)
			qg_wait_irq(g, &v);
		else
			sched_yield();
	}
	return qg_ack(g);
}

struct uvfio_client *qg_open(const char *name, const char *token)
{
	const struct uvfio_client_opts opts = { .vf_token = token };

	errno = 0;
	return uvfio_client_open(name, &opts);
}

struct uvfio_client *qg_open_verbose(const char *name, const char *token)
{
	struct uvfio_client *c = qg_open(name, token);

	if (!c)
		printf("Bail out! %s: %s\n", name, strerror(errno));
	return c;
}

int qg_set_numvfs(struct uvfio_client *pf, uint32_t n)
{
	struct {
		struct uvfio_device_feature hdr;
		uint32_t numvfs;
	} f = {
		.hdr = { .argsz = sizeof(f),
			 .flags = UVFIO_DEVICE_FEATURE_SET |
				  UVFIO_DEVICE_FEATURE_SRIOV_NUMVFS },
		.numvfs = n,
	};

	return uvfio_client_feature(pf, &f.hdr);
}
