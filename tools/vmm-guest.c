// SPDX-License-Identifier: MIT
/*
 * uvfio-vmm-demo's guest: a vCPU thread driving edu and mtty, and the
 * model of what they must show.  See vmm-guest.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <uvfio/dma.h>

#include "vmm-guest.h"

/* ---- register access ---- */

static const char *region_name(uint32_t region)
{
	static const char *const names[] = { "BAR0", "BAR1", "BAR2", "BAR3",
					     "BAR4", "BAR5", "ROM",  "config" };

	return region < sizeof(names) / sizeof(names[0]) ? names[region] :
							   "region";
}

int reg_read(struct uvfio_client *c, const char *dev, uint32_t region,
	     uint64_t off, size_t len, uint64_t *val, char *err)
{
	uint8_t b[8] = { 0 };
	ssize_t n;

	if (len > sizeof(b))
		len = sizeof(b);
	n = uvfio_client_region_read(c, region, off, b, len);
	if (n != (ssize_t)len) {
		snprintf(err, GUEST_ERR_LEN,
			 "%s: reading %zu bytes at %s 0x%" PRIx64 ": %s", dev,
			 len, region_name(region), off,
			 n < 0 ? strerror((int)-n) : "short read");
		return -1;
	}
	*val = 0;
	for (size_t i = 0; i < len; i++)
		*val |= (uint64_t)b[i] << (8 * i);
	return 0;
}

int reg_write(struct uvfio_client *c, const char *dev, uint32_t region,
	      uint64_t off, size_t len, uint64_t val, char *err)
{
	uint8_t b[8];
	ssize_t n;

	if (len > sizeof(b))
		len = sizeof(b);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(val >> (8 * i));
	n = uvfio_client_region_write(c, region, off, b, len);
	if (n != (ssize_t)len) {
		snprintf(err, GUEST_ERR_LEN,
			 "%s: writing 0x%" PRIx64
			 " (%zu bytes) at %s 0x%" PRIx64 ": %s",
			 dev, val, len, region_name(region), off,
			 n < 0 ? strerror((int)-n) : "short write");
		return -1;
	}
	return 0;
}

/* The first failure, as "round N on A: what". */
static int gfail(struct guest *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int gfail(struct guest *g, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (g->err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(g->err, sizeof(g->err), "round %" PRIu64 " on %.8s: %s",
		 g->m.round + 1, g->side, what);
	return -1;
}

static int edu_rd(struct guest *g, uint64_t off, size_t len, uint64_t *v)
{
	char e[GUEST_ERR_LEN];

	if (reg_read(g->edu, "edu", EDU_BAR, off, len, v, e))
		return gfail(g, "%s", e);
	return 0;
}

static int edu_wr(struct guest *g, uint64_t off, size_t len, uint64_t v)
{
	char e[GUEST_ERR_LEN];

	if (reg_write(g->edu, "edu", EDU_BAR, off, len, v, e))
		return gfail(g, "%s", e);
	return 0;
}

static int tty_rd(struct guest *g, uint64_t off, uint8_t *v)
{
	char e[GUEST_ERR_LEN];
	uint64_t x = 0;

	if (reg_read(g->tty, "mtty", TTY_BAR, off, 1, &x, e))
		return gfail(g, "%s", e);
	*v = (uint8_t)x;
	return 0;
}

static int tty_wr(struct guest *g, uint64_t off, uint8_t v)
{
	char e[GUEST_ERR_LEN];

	if (reg_write(g->tty, "mtty", TTY_BAR, off, 1, v, e))
		return gfail(g, "%s", e);
	return 0;
}

/* ---- memory ---- */

int guest_init(struct guest *g)
{
	int ret;

	memset(g, 0, sizeof(*g));
	g->mem.fd = -1;
	ret = uvfio_client_buffer_alloc(GUEST_MEM_SIZE, &g->mem);
	if (ret)
		return ret;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	return 0;
}

void guest_destroy(struct guest *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	uvfio_client_buffer_free(&g->mem);
}

int guest_map(struct guest *g, struct uvfio_client *edu, char *err)
{
	int ret = uvfio_client_dma_map(edu, GUEST_IOVA, GUEST_MEM_SIZE,
				       UVFIO_DMA_READ | UVFIO_DMA_WRITE,
				       g->mem.fd, 0, g->mem.addr);

	if (ret)
		snprintf(err, GUEST_ERR_LEN,
			 "edu: DMA_MAP of guest memory at 0x%llx: %s",
			 GUEST_IOVA, strerror(-ret));
	return ret ? -1 : 0;
}

static uint8_t *mem(struct guest *g, size_t off)
{
	return (uint8_t *)g->mem.addr + off;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- edu ---- */

uint32_t edu_factorial(uint32_t n)
{
	uint32_t r = 1;

	while (n > 0 && r)
		r *= n--;
	return r;
}

int edu_dma(struct guest *g, uint64_t src, uint64_t dst, uint64_t cnt,
	    uint64_t flags)
{
	uint64_t cmd = 0;

	if (edu_wr(g, EDU_DMA_SRC, 8, src) || edu_wr(g, EDU_DMA_DST, 8, dst) ||
	    edu_wr(g, EDU_DMA_CNT, 8, cnt) ||
	    edu_wr(g, EDU_DMA_CMD, 8, EDU_DMA_RUN | flags) ||
	    edu_rd(g, EDU_DMA_CMD, 8, &cmd))
		return -1;
	if (cmd != flags)
		return gfail(g,
			     "edu DMA command reads 0x%" PRIx64
			     " after the transfer, expected 0x%" PRIx64,
			     cmd, flags);
	g->m.dma_src = src;
	g->m.dma_dst = dst;
	g->m.dma_cnt = cnt;
	g->m.dma_cmd = flags;
	g->m.dma_bytes += cnt;
	return 0;
}

/* Where two buffers first differ, in a message. */
static int buf_mismatch(struct guest *g, const char *what, const uint8_t *got,
			const uint8_t *want, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (got[i] != want[i])
			return gfail(
				g, "%s: byte 0x%zx is 0x%02x, expected 0x%02x",
				what, i, got[i], want[i]);
	return 0;
}

static int edu_boot(struct guest *g)
{
	char e[GUEST_ERR_LEN];
	uint64_t v = 0;

	if (edu_rd(g, EDU_ID, 4, &v))
		return -1;
	if (v != EDU_ID_VALUE)
		return gfail(g, "edu identification 0x%" PRIx64 ", not edu's",
			     v);
	/* Memory decoding and bus mastering, through config space. */
	if (reg_read(g->edu, "edu", CONFIG_REGION, PCI_COMMAND, 2, &v, e) ||
	    reg_write(g->edu, "edu", CONFIG_REGION, PCI_COMMAND, 2,
		      v | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, e))
		return gfail(g, "%s", e);
	/* No factorial interrupt; nothing pending. */
	if (edu_wr(g, EDU_STATUS, 4, 0) ||
	    edu_wr(g, EDU_IRQ_ACK, 4, 0xffffffff) ||
	    edu_rd(g, EDU_IRQ_STATUS, 4, &v))
		return -1;
	if (v)
		return gfail(g,
			     "edu interrupt status 0x%" PRIx64
			     " after acknowledging everything",
			     v);
	g->m.irq_pending = 0;
	/* The whole buffer gets a known pattern. */
	for (uint32_t i = 0; i < EDU_BUF_SIZE / 4; i++)
		put_le32(mem(g, GUEST_DMA_OUT + 4 * i), g->m.pattern++);
	if (edu_dma(g, GUEST_IOVA + GUEST_DMA_OUT, EDU_BUF_ADDR, EDU_BUF_SIZE,
		    0))
		return -1;
	memcpy(g->m.buf, mem(g, GUEST_DMA_OUT), EDU_BUF_SIZE);
	return 0;
}

static int edu_round(struct guest *g, uint64_t r)
{
	struct guest_model *m = &g->m;
	uint32_t live = (uint32_t)(r * 0x9e3779b9u), n = 1 + (uint32_t)(r % 16);
	size_t len = 512 * (1 + r % 4), off = 512 * ((r * 3) % 8);
	uint64_t v = 0;

	/* The interrupt handler for the last round's DMA completion. */
	if (edu_rd(g, EDU_IRQ_STATUS, 4, &v))
		return -1;
	if (v != m->irq_pending)
		return gfail(g,
			     "edu interrupt status 0x%" PRIx64
			     ", expected 0x%x",
			     v, m->irq_pending);
	if (v && edu_wr(g, EDU_IRQ_ACK, 4, v))
		return -1;
	m->irq_pending = 0;

	if (edu_wr(g, EDU_LIVENESS, 4, live) || edu_rd(g, EDU_LIVENESS, 4, &v))
		return -1;
	if (v != (uint32_t)~live)
		return gfail(g,
			     "edu liveness reads 0x%" PRIx64
			     " after 0x%x was written, expected 0x%x",
			     v, live, ~live);
	m->liveness = live;

	if (edu_wr(g, EDU_FACT, 4, n) || edu_rd(g, EDU_STATUS, 4, &v))
		return -1;
	if (v & EDU_STATUS_COMPUTING)
		return gfail(g,
			     "edu still computing %u! (status 0x%" PRIx64 ")",
			     n, v);
	if (edu_rd(g, EDU_FACT, 4, &v))
		return -1;
	if (v != edu_factorial(n))
		return gfail(g,
			     "edu computed %u! = 0x%" PRIx64 ", expected 0x%x",
			     n, v, edu_factorial(n));
	m->fact_n = n;

	/* Guest memory -> a part of the buffer, then all of it back. */
	if (off + len > EDU_BUF_SIZE)
		off = EDU_BUF_SIZE - len;
	for (size_t i = 0; i < len / 4; i++)
		put_le32(mem(g, GUEST_DMA_OUT + 4 * i), m->pattern++);
	if (edu_dma(g, GUEST_IOVA + GUEST_DMA_OUT, EDU_BUF_ADDR + off, len,
		    EDU_DMA_IRQ))
		return -1;
	memcpy(m->buf + off, mem(g, GUEST_DMA_OUT), len);
	memset(mem(g, GUEST_DMA_IN), 0xa5, EDU_BUF_SIZE);
	if (edu_dma(g, EDU_BUF_ADDR, GUEST_IOVA + GUEST_DMA_IN, EDU_BUF_SIZE,
		    EDU_DMA_TO_RAM | EDU_DMA_IRQ) ||
	    buf_mismatch(g, "edu buffer read back by DMA", mem(g, GUEST_DMA_IN),
			 m->buf, EDU_BUF_SIZE))
		return -1;
	/* Its completion interrupt is handled next round. */
	m->irq_pending = EDU_IRQ_DMA;
	return 0;
}

/* ---- mtty ---- */

static int tty_boot(struct guest *g)
{
	/* FIFO on and both cleared (16 bytes, trigger level 1), 8N1,
	 * DTR|RTS|OUT2, then the received-data interrupt only. */
	if (tty_wr(g, TTY_IIR, 0x07) || tty_wr(g, TTY_LCR, 0x03) ||
	    tty_wr(g, TTY_MCR, 0x0b) || tty_wr(g, TTY_IER, 0x01))
		return -1;
	g->m.tx = g->m.rx = 0;
	return 0;
}

static int tty_round(struct guest *g, uint64_t r)
{
	struct guest_model *m = &g->m;
	uint32_t count = m->tx - m->rx, w = 1 + (uint32_t)(r % 5);
	uint32_t keep = 1 + (uint32_t)(r % 7);
	uint8_t v, want;

	if (tty_wr(g, TTY_SCR, (uint8_t)r))
		return -1;
	m->scr = (uint8_t)r;
	if (w > TTY_FIFO - count)
		w = TTY_FIFO - count;
	for (uint32_t i = 0; i < w; i++) {
		if (tty_wr(g, TTY_RX, (uint8_t)m->tx))
			return -1;
		m->tx++;
		m->tty_bytes++;
	}
	count = m->tx - m->rx;
	want = count ? LSR_DR : LSR_EMPTY;
	if (tty_rd(g, TTY_LSR, &v))
		return -1;
	if (v != want)
		return gfail(g,
			     "mtty LSR 0x%02x with %u bytes queued, "
			     "expected 0x%02x",
			     v, count, want);
	want = count ? IIR_RDI : IIR_NONE;
	if (tty_rd(g, TTY_IIR, &v))
		return -1;
	if (v != want)
		return gfail(g,
			     "mtty IIR 0x%02x with %u bytes queued, "
			     "expected 0x%02x",
			     v, count, want);
	while (m->tx - m->rx > keep) {
		if (tty_rd(g, TTY_RX, &v))
			return -1;
		if (v != (uint8_t)m->rx)
			return gfail(g, "mtty received 0x%02x, expected 0x%02x",
				     v, (uint8_t)m->rx);
		m->rx++;
	}
	return 0;
}

/* ---- rounds ---- */

int guest_boot(struct guest *g)
{
	if (edu_boot(g) || tty_boot(g))
		return -1;
	return 0;
}

int guest_round(struct guest *g)
{
	uint64_t r = g->m.round + 1;

	if (edu_round(g, r) || tty_round(g, r))
		return -1;
	__atomic_store_n(&g->m.round, r, __ATOMIC_RELAXED);
	return 0;
}

/* ---- the vCPU thread ---- */

static void *vcpu(void *opaque)
{
	struct guest *g = opaque;
	struct timespec pace = { .tv_nsec = (long)g->pace_us * 1000 };

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (g->pause && !g->quit) {
			g->paused = true;
			pthread_cond_broadcast(&g->cond);
			pthread_cond_wait(&g->cond, &g->lock);
		}
		g->paused = false;
		if (g->quit)
			break;
		pthread_mutex_unlock(&g->lock);
		if (guest_round(g)) {
			pthread_mutex_lock(&g->lock);
			g->failed = true;
			break;
		}
		if (g->pace_us)
			nanosleep(&pace, NULL);
		pthread_mutex_lock(&g->lock);
	}
	/* Stopped for good: as paused for whoever waits. */
	g->paused = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int guest_start(struct guest *g)
{
	int ret;

	g->pause = g->quit = g->paused = g->failed = false;
	ret = pthread_create(&g->thread, NULL, vcpu, g);
	if (ret)
		return -ret;
	g->running = true;
	return 0;
}

int guest_pause(struct guest *g)
{
	int failed;

	pthread_mutex_lock(&g->lock);
	g->pause = true;
	while (g->running && !g->paused)
		pthread_cond_wait(&g->cond, &g->lock);
	failed = g->failed;
	pthread_mutex_unlock(&g->lock);
	return failed ? -1 : 0;
}

void guest_resume(struct guest *g)
{
	pthread_mutex_lock(&g->lock);
	g->pause = false;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

void guest_stop(struct guest *g)
{
	if (!g->running)
		return;
	pthread_mutex_lock(&g->lock);
	g->quit = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	g->running = false;
}

uint64_t guest_rounds(struct guest *g)
{
	return __atomic_load_n(&g->m.round, __ATOMIC_RELAXED);
}

void guest_switch(struct guest *g, struct uvfio_client *edu,
		  struct uvfio_client *tty, const char *side)
{
	g->edu = edu;
	g->tty = tty;
	g->side = side;
}
