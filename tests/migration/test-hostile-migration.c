// SPDX-License-Identifier: MIT
/*
 * Migration under a hostile guest, over vfio-user, through the client
 * library only.
 *
 * A server holds an edu and a ram as the source and another pair as the
 * destination.  While the sources are in PRE_COPY, three threads hammer
 * them through the same client handles the migration uses (a device
 * takes one client; a hostile guest reaches it through its VMM, whose
 * handle is thread-safe), as fast as they can:
 *
 *   regs: edu liveness, status, interrupt raise/ack, the DMA registers
 *         one by one (engine idle), transfers that must move nothing
 *         (buffer range outside the buffer, guest address unmapped),
 *         posted writes
 *   dma:  edu DMA from fd-mapped guest memory into the buffer and back,
 *         each round trip checked
 *   ram:  ram writes through messages, posted writes and the client's
 *         mapping, each checked; edu factorials, each checked
 *   other: another edu and ram of the same server, which no migration
 *         touches: factorials and ram writes, each checked
 *
 * The main thread is the VMM: pre-copy runs at most a fixed number of
 * iterations, each reading until the device has nothing more now or a
 * byte bound is reached (a device that keeps producing data cannot keep
 * an iteration going), and writing what it read into the destination
 * (in RESUMING from the start).  Then the vCPUs stop (the hammers are
 * joined), the sources go to STOP_COPY, the rest is copied, the
 * destination runs, and its whole visible state (every edu register, the
 * edu buffer as DMA shows it, the ram's memory) must equal the sources'
 * state read right after the stop.
 *
 * In a second plan the guest never stops: through STOP_COPY and STOP the
 * three hammers busy-loop on the stopped sources (registers, factorials
 * and transfers that must wait, status polls, ram writes of every kind;
 * they pause only across the SET into STOP_COPY, so that no operation
 * checked on a running device ends on a stopped one), and the VMM waits for every hammer, the other devices' included, to
 * make progress after each piece of stop-copy it moves.  So a guest
 * cannot stall the migration, nor the other devices, in any state; the
 * destination runs and finishes the work the source's guest left pending.
 *
 * Every loop is bounded by a count, never by time; a hang is the test's
 * timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "edu/edu.h"
#include "ram/ram.h"
#include "test-util.h"

#define RAM_SIZE (1u << 20)
#define CONFIG UVFIO_PCI_CONFIG_REGION_INDEX
#define CMD_MEM 0x2
#define CMD_MASTER 0x4

/* Guest memory of each side: 64 KiB at an IOVA inside edu's 28 bits. */
#define GUEST_IOVA 0x100000ull
#define GUEST_SIZE (64u << 10)
#define AREA_A 0x0000	  /* the dma hammer's source */
#define AREA_B 0x2000	  /* where it reads the buffer back */
#define AREA_PROBE 0x8000 /* where the buffer is read for comparison */
#define UNMAPPED_IOVA 0x0f000000ull

#define NR_HAMMERS 4	/* regs, dma, ram, other */
#define OPS_PER_ITER 64 /* each hammer's operations per pre-copy iteration */
#define MAX_ITERS 5	/* pre-copy iterations, at most */
#define CHUNK (64u << 10)

enum { EDU_SRC, EDU_DST, RAM_SRC, RAM_DST, EDU_OTHER, RAM_OTHER, NR_DEVS };

struct fixture {
	char dir[64];
	char path[NR_DEVS][96];
	struct uvfio_pci *edu[NR_DEVS]; /* NULL for the rams */
	struct uvfio_device *dev[NR_DEVS];
	struct uvfio_server *srv;
	int errors;   /* error messages of any device (atomic) */
	int warnings; /* warnings of the source edu (atomic) */
};

static void sink(void *opaque, enum uvfio_log_level level, const char *name,
		 const char *msg)
{
	struct fixture *f = opaque;

	if (level <= UVFIO_LOG_ERR)
		__atomic_add_fetch(&f->errors, 1, __ATOMIC_RELAXED);
	else if (level == UVFIO_LOG_WARNING && !strcmp(name, "edu-src"))
		__atomic_add_fetch(&f->warnings, 1, __ATOMIC_RELAXED);
	if (level <= UVFIO_LOG_ERR || getenv("MIG_DEBUG"))
		fprintf(stderr, "%s: %s\n", name, msg);
}

static int setup(void **state)
{
	static const char *const names[NR_DEVS] = { "edu-src",	 "edu-dst",
						    "ram-src",	 "ram-dst",
						    "edu-other", "ram-other" };
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	test_mkdtemp(f->dir, sizeof(f->dir), "hostile");
	for (int i = 0; i < NR_DEVS; i++) {
		if (i == EDU_SRC || i == EDU_DST || i == EDU_OTHER) {
			f->edu[i] = edu_new(names[i]);
			assert_non_null(f->edu[i]);
			f->dev[i] = uvfio_pci_device(f->edu[i]);
		} else {
			f->dev[i] = ram_device_new(names[i], RAM_SIZE);
			assert_non_null(f->dev[i]);
		}
		uvfio_device_set_log(f->dev[i], sink, f, UVFIO_LOG_DEBUG);
	}
	f->srv = test_serve(NULL, f->dir, f->dev, f->path, NR_DEVS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uvfio_server_destroy(f->srv);
	for (int i = 0; i < NR_DEVS; i++) {
		if (f->edu[i])
			uvfio_pci_destroy(f->edu[i]);
		else
			uvfio_device_destroy(f->dev[i]);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- small helpers, usable from any thread (no cmocka) ---- */

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64 */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int wr(struct uvfio_client *c, uint64_t off, uint64_t v, size_t len)
{
	uint8_t b[8];

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return uvfio_client_region_write(c, EDU_BAR, off, b, len) ==
			       (ssize_t)len ?
		       0 :
		       -EIO;
}

static int rd(struct uvfio_client *c, uint64_t off, size_t len, uint64_t *v)
{
	uint8_t b[8];

	if (uvfio_client_region_read(c, EDU_BAR, off, b, len) != (ssize_t)len)
		return -EIO;
	*v = 0;
	for (size_t i = 0; i < len; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	return 0;
}

/*
 * Program the DMA engine and start it in one region write (src, dst, cnt,
 * cmd: 32 bytes at 0x80), which edu takes under its lock as one access:
 * no other thread's register write can come between.
 */
static int dma(struct uvfio_client *c, uint64_t src, uint64_t dst, uint64_t cnt,
	       uint64_t cmd)
{
	const uint64_t v[4] = { src, dst, cnt, cmd };
	uint8_t b[32];

	for (int r = 0; r < 4; r++)
		for (int i = 0; i < 8; i++)
			b[8 * r + i] = (uint8_t)(v[r] >> (8 * i));
	return uvfio_client_region_write(c, EDU_BAR, EDU_REG_DMA_SRC, b,
					 sizeof(b)) == sizeof(b) ?
		       0 :
		       -EIO;
}

static uint32_t factorial(uint32_t n)
{
	uint32_t r = 1;

	while (n > 0 && r)
		r *= n--;
	return r;
}

/* ---- the hammers ---- */

struct rig;

struct hammer {
	struct rig *rig;
	int id;
	pthread_t thread;
	uint64_t seed;
	uint64_t ops;	     /* under rig->lock */
	uint8_t *buf, *back; /* CHUNK bytes each (the ram hammer) */
	char err[200];
};

struct rig {
	struct uvfio_client *edu, *ram; /* the sources' handles */
	struct uvfio_client *other_edu, *other_ram;
	uint8_t *guest;	  /* the source's guest memory */
	uint8_t *ram_map; /* the source ram, mapped */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;    /* atomic */
	bool stopped; /* atomic: the sources are stopped, the guest is not */
	bool park;    /* under lock: the sources' hammers wait */
	int parked;   /* under lock: how many do */
	struct hammer h[NR_HAMMERS];
};

#define FAIL(h, ...)                                                       \
	do {                                                               \
		if (!(h)->err[0])                                          \
			snprintf((h)->err, sizeof((h)->err), __VA_ARGS__); \
	} while (0)

/* edu registers, every kind of write a guest can make; no DMA moves. */
static void hammer_regs(struct hammer *h, uint64_t op)
{
	struct uvfio_client *c = h->rig->edu;
	uint64_t r = next_rand(&h->seed), v = 0;
	uint32_t lv = (uint32_t)r;

	switch (op % 8) {
	case 0: /* liveness: only this thread writes it */
		if (wr(c, EDU_REG_LIVENESS, lv, 4) ||
		    rd(c, EDU_REG_LIVENESS, 4, &v) || v != (uint32_t)~lv)
			FAIL(h, "liveness 0x%x read 0x%llx", lv,
			     (unsigned long long)v);
		break;
	case 1:
		if (wr(c, EDU_REG_STATUS, r & EDU_STATUS_IRQFACT, 4))
			FAIL(h, "status write");
		break;
	case 2:
		if (wr(c, EDU_REG_IRQ_RAISE, (uint32_t)r, 4))
			FAIL(h, "irq raise");
		break;
	case 3:
		if (wr(c, EDU_REG_IRQ_ACK, (uint32_t)(r >> 32), 4))
			FAIL(h, "irq ack");
		break;
	case 4: /* one DMA register; the engine is idle, so it is taken */
		if (wr(c, EDU_REG_DMA_SRC + 8 * (r % 3), r >> 8, 8))
			FAIL(h, "DMA register write");
		break;
	case 5: /* a command without RUN: ignored */
		if (wr(c, EDU_REG_DMA_CMD, r & ~(uint64_t)EDU_DMA_RUN, 8))
			FAIL(h, "DMA command write");
		break;
	case 6:		   /* transfers that must move nothing (warnings) */
		if (r & 1) /* the buffer side outside the buffer */
			v = (uint64_t)dma(c, GUEST_IOVA, 0x1000, 1 + r % 8192,
					  EDU_DMA_RUN);
		else /* the guest side unmapped */
			v = (uint64_t)dma(c, EDU_DMA_START, UNMAPPED_IOVA, 512,
					  EDU_DMA_RUN | EDU_DMA_TO_RAM);
		if (v)
			FAIL(h, "refused DMA write");
		break;
	default: /* posted, then read: ordered after it */
		if (uvfio_client_region_write_posted(
			    c, EDU_BAR, EDU_REG_LIVENESS, &lv, 4) ||
		    rd(c, EDU_REG_LIVENESS, 4, &v) || v != (uint32_t)~lv)
			FAIL(h, "posted liveness 0x%x read 0x%llx", lv,
			     (unsigned long long)v);
		break;
	}
}

/* edu DMA into the buffer and back out; only this thread moves bytes. */
static void hammer_dma(struct hammer *h, uint64_t op)
{
	struct rig *g = h->rig;
	uint64_t r = next_rand(&h->seed);
	uint32_t off = (uint32_t)(r % EDU_DMA_SIZE);
	uint32_t len = 1 + (uint32_t)((r >> 16) % (EDU_DMA_SIZE - off));

	for (uint32_t i = 0; i < len; i++)
		g->guest[AREA_A + i] = (uint8_t)(op * 7 + i * 31 + (r >> 40));
	memset(g->guest + AREA_B, 0, len);
	if (dma(g->edu, GUEST_IOVA + AREA_A, EDU_DMA_START + off, len,
		EDU_DMA_RUN) ||
	    dma(g->edu, EDU_DMA_START + off, GUEST_IOVA + AREA_B, len,
		EDU_DMA_RUN | EDU_DMA_TO_RAM)) {
		FAIL(h, "DMA write");
		return;
	}
	if (memcmp(g->guest + AREA_A, g->guest + AREA_B, len))
		FAIL(h,
		     "DMA round trip of %u bytes at buffer offset %u differs",
		     len, off);
}

/* ram through messages and through the mapping; edu factorials. */
static void hammer_ram(struct hammer *h, uint64_t op)
{
	struct rig *g = h->rig;
	uint8_t *buf = h->buf, *back = h->back;
	uint64_t r = next_rand(&h->seed), v = 0;
	size_t len = 1 + (size_t)(r % (op % 4 == 1 ? 4096 : CHUNK));
	size_t off = (size_t)((r >> 20) % (RAM_SIZE - len + 1));
	int ret = 0;

	if (op % 4 == 3) { /* only this thread writes the factorial */
		uint32_t n = (uint32_t)(r % 40);

		if (wr(g->edu, EDU_REG_FACT, n, 4) ||
		    rd(g->edu, EDU_REG_FACT, 4, &v) || v != factorial(n))
			FAIL(h, "%u! read 0x%llx, not 0x%x", n,
			     (unsigned long long)v, factorial(n));
		return;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(op + i * 13 + (r >> 48));
	if (op % 4 == 0)
		ret = uvfio_client_region_write(g->ram, RAM_REGION_INDEX, off,
						buf, len) == (ssize_t)len ?
			      0 :
			      -EIO;
	else if (op % 4 == 1)
		ret = uvfio_client_region_write_posted(g->ram, RAM_REGION_INDEX,
						       off, buf, len);
	else
		memcpy(g->ram_map + off, buf, len);
	if (ret ||
	    uvfio_client_region_read(g->ram, RAM_REGION_INDEX, off, back,
				     len) != (ssize_t)len ||
	    memcmp(buf, back, len))
		FAIL(h, "ram write of %zu bytes at 0x%zx (kind %d)", len, off,
		     (int)(op % 4));
}

/*
 * The guest carries on while its devices are stopped (STOP_COPY, STOP):
 * every access must still be answered, though the work it starts waits
 * until a device runs again, on whichever side that is.  The values are
 * not checked: a write then may or may not reach the stream.
 */
static void hammer_stopped(struct hammer *h, uint64_t op)
{
	struct rig *g = h->rig;
	uint64_t r = next_rand(&h->seed), v = 0;
	size_t len = 1 + (size_t)(r % 4096);
	size_t off = (size_t)((r >> 20) % (RAM_SIZE - len + 1));
	int ret = 0;

	if (h->id != 2) {
		switch (op % 4) {
		case 0: /* a factorial: pending until the device runs */
			ret = wr(g->edu, EDU_REG_FACT, (uint32_t)(r % 13), 4);
			break;
		case 1: /* a transfer: likewise */
			ret = dma(g->edu, GUEST_IOVA + AREA_A,
				  EDU_DMA_START + off % 2048, 1 + len % 2048,
				  EDU_DMA_RUN);
			break;
		case 2: /* the driver's poll for the factorial */
			ret = rd(g->edu, EDU_REG_STATUS, 4, &v);
			break;
		default: /* and for the transfer */
			ret = rd(g->edu, EDU_REG_DMA_CMD, 8, &v);
			break;
		}
	} else {
		memset(h->buf, (int)op, len);
		if (op % 3 == 0)
			ret = uvfio_client_region_write(g->ram,
							RAM_REGION_INDEX, off,
							h->buf,
							len) == (ssize_t)len ?
				      0 :
				      -EIO;
		else if (op % 3 == 1)
			ret = uvfio_client_region_write_posted(
				g->ram, RAM_REGION_INDEX, off, h->buf, len);
		else
			memcpy(g->ram_map + off, h->buf, len);
		if (!ret &&
		    uvfio_client_region_read(g->ram, RAM_REGION_INDEX, off,
					     h->back, len) != (ssize_t)len)
			ret = -EIO;
	}
	if (ret)
		FAIL(h, "access %llu to a stopped source failed",
		     (unsigned long long)op);
}

/* The other devices, which no migration touches: each answer checked. */
static void hammer_other(struct hammer *h, uint64_t op)
{
	struct rig *g = h->rig;
	uint64_t r = next_rand(&h->seed), v = 0;
	size_t len = 1 + (size_t)(r % 4096);
	size_t off = (size_t)((r >> 20) % (RAM_SIZE - len + 1));

	if (op % 2) {
		uint32_t n = (uint32_t)(r % 13);

		if (wr(g->other_edu, EDU_REG_FACT, n, 4) ||
		    rd(g->other_edu, EDU_REG_FACT, 4, &v) || v != factorial(n))
			FAIL(h, "other edu: %u! read 0x%llx", n,
			     (unsigned long long)v);
		return;
	}
	for (size_t i = 0; i < len; i++)
		h->buf[i] = (uint8_t)(op + i * 7);
	if (uvfio_client_region_write(g->other_ram, RAM_REGION_INDEX, off,
				      h->buf, len) != (ssize_t)len ||
	    uvfio_client_region_read(g->other_ram, RAM_REGION_INDEX, off,
				     h->back, len) != (ssize_t)len ||
	    memcmp(h->buf, h->back, len))
		FAIL(h, "other ram: write of %zu bytes at 0x%zx", len, off);
}

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct rig *g = h->rig;

	for (uint64_t op = 0; !__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE);
	     op++) {
		if (h->id == 3)
			hammer_other(h, op);
		else if (__atomic_load_n(&g->stopped, __ATOMIC_ACQUIRE))
			hammer_stopped(h, op);
		else if (h->id == 0)
			hammer_regs(h, op);
		else if (h->id == 1)
			hammer_dma(h, op);
		else
			hammer_ram(h, op);
		pthread_mutex_lock(&g->lock);
		h->ops++;
		pthread_cond_broadcast(&g->cond);
		while (g->park && h->id != 3) {
			g->parked++;
			pthread_cond_broadcast(&g->cond);
			pthread_cond_wait(&g->cond, &g->lock);
			g->parked--;
		}
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

/* Until every hammer has made @ops operations (no time limit: progress). */
static void wait_progress(struct rig *g, uint64_t ops)
{
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < NR_HAMMERS; i++)
		while (g->h[i].ops < ops)
			pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

/* Until every hammer has made @more operations beyond those made so far. */
static void wait_more(struct rig *g, uint64_t more)
{
	uint64_t now[NR_HAMMERS];

	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < NR_HAMMERS; i++)
		now[i] = g->h[i].ops;
	for (int i = 0; i < NR_HAMMERS; i++)
		while (g->h[i].ops < now[i] + more)
			pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

/*
 * Stop the sources with the guest in between two operations, so that
 * none it began on a running device ends on a stopped one (its checks
 * would not hold), then let it hammer the stopped sources.  The other
 * devices' hammer does not wait.
 */
static void stop_under_guest(struct rig *g, struct uvfio_client *const *src)
{
	pthread_mutex_lock(&g->lock);
	g->park = true;
	while (g->parked < NR_HAMMERS - 1)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	for (int i = 0; i < 2; i++)
		assert_int_equal(uvfio_client_mig_set_state(
					 src[i], UVFIO_DEVICE_STATE_STOP_COPY),
				 0);
	__atomic_store_n(&g->stopped, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&g->lock);
	g->park = false;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/* The vCPUs stop: the hammers end, each without a failure. */
static void stop_hammers(struct rig *g, uint64_t min_ops)
{
	__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_HAMMERS; i++) {
		assert_int_equal(pthread_join(g->h[i].thread, NULL), 0);
		if (g->h[i].err[0])
			print_error("hammer %d: %s\n", i, g->h[i].err);
		assert_string_equal(g->h[i].err, "");
		assert_true(g->h[i].ops >= min_ops);
	}
}

/* ---- the migration ---- */

struct mig {
	const char *name;
	struct uvfio_client *src, *dst;
	size_t bound; /* bytes per pre-copy iteration, at most */
	uint8_t *buf;
	uint64_t precopy_bytes, stop_bytes;
	int iterations, bound_hits, caught_up;
};

/*
 * One pre-copy iteration: read until nothing more is available now or
 * @m->bound bytes were read, writing each piece into the destination.
 * Each read returns at least one byte or ends the loop, so it runs at most
 * bound reads.
 */
static size_t precopy_iteration(struct mig *m)
{
	size_t got = 0;

	m->iterations++;
	while (got < m->bound) {
		size_t want = m->bound - got < CHUNK ? m->bound - got : CHUNK;
		ssize_t n = uvfio_client_mig_read(m->src, m->buf, want);

		assert_true(n >= 0);
		assert_true((size_t)n <= want);
		if (!n) {
			m->caught_up++;
			break;
		}
		assert_int_equal(uvfio_client_mig_write(m->dst, m->buf, n), n);
		got += (size_t)n;
	}
	if (got == m->bound)
		m->bound_hits++;
	assert_true(got <= m->bound);
	m->precopy_bytes += got;
	return got;
}

/*
 * Stop-copy: read to the end of the stream, bounded by what the device
 * estimated plus what pre-copy may have left unread.  With @g, the guest
 * hammers on meanwhile: after each piece, wait for all of it to progress.
 */
static void stop_copy_drain(struct mig *m, uint64_t estimate, struct rig *g)
{
	const uint64_t limit = 2 * estimate + m->bound + CHUNK;

	for (;;) {
		ssize_t n = uvfio_client_mig_read(m->src, m->buf, CHUNK);

		assert_true(n >= 0);
		if (!n)
			break;
		assert_int_equal(uvfio_client_mig_write(m->dst, m->buf, n), n);
		m->stop_bytes += (uint64_t)n;
		assert_true(m->stop_bytes <= limit);
		if (g)
			wait_more(g, 8);
	}
	assert_true(m->stop_bytes > 0);
}

static enum uvfio_device_mig_state state_of(struct uvfio_client *c)
{
	enum uvfio_device_mig_state s = UVFIO_DEVICE_STATE_ERROR;

	assert_int_equal(uvfio_client_mig_get_state(c, &s), 0);
	return s;
}

static void set_state(struct uvfio_client *c, enum uvfio_device_mig_state s)
{
	assert_int_equal(uvfio_client_mig_set_state(c, s), 0);
	assert_int_equal(state_of(c), s);
}

/* The registers a guest can read, in offset order. */
static const struct {
	uint32_t off, len;
} edu_regs[] = {
	{ EDU_REG_ID, 4 },	   { EDU_REG_LIVENESS, 4 },
	{ EDU_REG_FACT, 4 },	   { EDU_REG_STATUS, 4 },
	{ EDU_REG_IRQ_STATUS, 4 }, { EDU_REG_DMA_SRC, 8 },
	{ EDU_REG_DMA_DST, 8 },	   { EDU_REG_DMA_CNT, 8 },
	{ EDU_REG_DMA_CMD, 8 },
};
#define NR_REGS ARRAY_SIZE(edu_regs)

static void read_regs(struct uvfio_client *c, uint64_t *v)
{
	for (size_t i = 0; i < NR_REGS; i++)
		assert_int_equal(rd(c, edu_regs[i].off, edu_regs[i].len, &v[i]),
				 0);
}

static void assert_regs_equal(const uint64_t *want, const uint64_t *got)
{
	for (size_t i = 0; i < NR_REGS; i++) {
		if (want[i] != got[i])
			print_error(
				"edu register 0x%02x: 0x%llx, expected 0x%llx\n",
				edu_regs[i].off, (unsigned long long)got[i],
				(unsigned long long)want[i]);
		assert_int_equal(got[i], want[i]);
	}
}

/* The whole edu buffer into guest memory at AREA_PROBE. */
static void probe_buffer(struct uvfio_client *c, uint8_t *guest)
{
	uint64_t cmd = 0;

	memset(guest + AREA_PROBE, 0x5a, EDU_DMA_SIZE);
	assert_int_equal(dma(c, EDU_DMA_START, GUEST_IOVA + AREA_PROBE,
			     EDU_DMA_SIZE, EDU_DMA_RUN | EDU_DMA_TO_RAM),
			 0);
	assert_int_equal(rd(c, EDU_REG_DMA_CMD, 8, &cmd), 0);
	assert_int_equal(cmd & EDU_DMA_RUN, 0); /* done: the device runs */
}

/* What the VMM does for a device: bus master on, its guest memory mapped. */
static void attach_edu(struct uvfio_client *c,
		       const struct uvfio_client_buffer *guest)
{
	uint16_t cmd = 0;

	assert_int_equal(uvfio_client_region_read(c, CONFIG, 4, &cmd, 2), 2);
	cmd |= CMD_MEM | CMD_MASTER;
	assert_int_equal(uvfio_client_region_write(c, CONFIG, 4, &cmd, 2), 2);
	assert_int_equal(uvfio_client_dma_map(c, GUEST_IOVA, guest->size,
					      UVFIO_DMA_READ | UVFIO_DMA_WRITE,
					      guest->fd, 0, guest->addr),
			 0);
}

struct plan {
	size_t edu_bound, ram_bound; /* bytes per pre-copy iteration */
	int max_iters;
	bool guest_never_stops; /* hammers on through STOP_COPY and STOP */
};

static void hostile_migration(struct fixture *f, const struct plan *p)
{
	struct uvfio_client *c[NR_DEVS];
	struct uvfio_client_buffer guest[2];
	struct rig *g = calloc(1, sizeof(*g));
	struct mig m[2] = {
		{ .name = "edu", .bound = p->edu_bound },
		{ .name = "ram", .bound = p->ram_bound },
	};
	uint64_t flags, est[2], regs[NR_REGS], dregs[NR_REGS];
	uint8_t *snap = malloc(RAM_SIZE), *dram = malloc(RAM_SIZE);
	uint8_t *probe = malloc(EDU_DMA_SIZE);
	int iters = 0;

	assert_non_null(g);
	assert_non_null(snap);
	assert_non_null(dram);
	assert_non_null(probe);
	for (int i = 0; i < NR_DEVS; i++) {
		c[i] = uvfio_client_open(f->path[i], NULL);
		assert_non_null(c[i]);
		assert_int_equal(uvfio_client_mig_flags(c[i], &flags), 0);
		assert_int_equal(flags, UVFIO_MIGRATION_STOP_COPY |
						UVFIO_MIGRATION_P2P |
						UVFIO_MIGRATION_PRE_COPY);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
			uvfio_client_buffer_alloc(GUEST_SIZE, &guest[i]), 0);
		m[i].buf = malloc(CHUNK);
		assert_non_null(m[i].buf);
	}
	attach_edu(c[EDU_SRC], &guest[0]);
	attach_edu(c[EDU_DST], &guest[1]);
	m[0].src = c[EDU_SRC];
	m[0].dst = c[EDU_DST];
	m[1].src = c[RAM_SRC];
	m[1].dst = c[RAM_DST];

	/* The destination starts different and waits in RESUMING. */
	memset(dram, 0xee, RAM_SIZE);
	assert_int_equal(uvfio_client_region_write(c[RAM_DST], RAM_REGION_INDEX,
						   0, dram, RAM_SIZE),
			 RAM_SIZE);
	assert_int_equal(wr(c[EDU_DST], EDU_REG_LIVENESS, 0x12345678, 4), 0);
	set_state(c[EDU_DST], UVFIO_DEVICE_STATE_RESUMING);
	set_state(c[RAM_DST], UVFIO_DEVICE_STATE_RESUMING);

	g->edu = c[EDU_SRC];
	g->ram = c[RAM_SRC];
	g->other_edu = c[EDU_OTHER];
	g->other_ram = c[RAM_OTHER];
	/* The other edu needs only its registers: memory space on. */
	assert_int_equal(uvfio_client_region_write(c[EDU_OTHER], CONFIG, 4,
						   &(uint16_t){ CMD_MEM }, 2),
			 2);
	g->guest = guest[0].addr;
	assert_int_equal(uvfio_client_region_mmap(
				 c[RAM_SRC], RAM_REGION_INDEX, 0, RAM_SIZE,
				 PROT_READ | PROT_WRITE, (void **)&g->ram_map),
			 0);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);

	set_state(c[EDU_SRC], UVFIO_DEVICE_STATE_PRE_COPY);
	set_state(c[RAM_SRC], UVFIO_DEVICE_STATE_PRE_COPY);
	for (int i = 0; i < NR_HAMMERS; i++) {
		g->h[i] = (struct hammer){ .rig = g,
					   .id = i,
					   .seed = 0x9e3779b97f4a7c15ull *
						   (uint64_t)(i + 1),
					   .buf = malloc(CHUNK),
					   .back = malloc(CHUNK) };
		assert_non_null(g->h[i].buf);
		assert_non_null(g->h[i].back);
		assert_int_equal(pthread_create(&g->h[i].thread, NULL,
						hammer_main, &g->h[i]),
				 0);
	}

	/* Pre-copy, with the guest hammering between and during reads. */
	while (iters < p->max_iters) {
		size_t sent = 0;

		iters++;
		wait_progress(g, (uint64_t)iters * OPS_PER_ITER);
		for (int i = 0; i < 2; i++)
			sent += precopy_iteration(&m[i]);
		/* Converged: nothing changed since the last iteration. */
		if (!sent)
			break;
	}
	assert_true(iters <= p->max_iters);

	if (!p->guest_never_stops) {
		/* The vCPUs stop. */
		stop_hammers(g, (uint64_t)iters * OPS_PER_ITER);
		/* Hammering did not disturb the migration state. */
		assert_int_equal(state_of(c[EDU_SRC]),
				 UVFIO_DEVICE_STATE_PRE_COPY);
		assert_int_equal(state_of(c[RAM_SRC]),
				 UVFIO_DEVICE_STATE_PRE_COPY);
		/* The transfers that could move nothing were refused. */
		assert_true(__atomic_load_n(&f->warnings, __ATOMIC_RELAXED) >
			    0);
		/* The edu buffer as the source holds it (it runs still). */
		probe_buffer(c[EDU_SRC], guest[0].addr);
		memcpy(probe, (uint8_t *)guest[0].addr + AREA_PROBE,
		       EDU_DMA_SIZE);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(uvfio_client_mig_data_size(m[i].src, &est[i]),
				 0);

	if (p->guest_never_stops) {
		stop_under_guest(g, (struct uvfio_client *[]){ c[EDU_SRC],
							       c[RAM_SRC] });
	} else {
		set_state(c[EDU_SRC], UVFIO_DEVICE_STATE_STOP_COPY);
		set_state(c[RAM_SRC], UVFIO_DEVICE_STATE_STOP_COPY);
		/* The source's final state, right after the stop. */
		read_regs(c[EDU_SRC], regs);
		assert_int_equal(regs[0], EDU_ID_VALUE);
		assert_int_equal(uvfio_client_region_read(c[RAM_SRC],
							  RAM_REGION_INDEX, 0,
							  snap, RAM_SIZE),
				 RAM_SIZE);
		assert_memory_equal(snap, g->ram_map, RAM_SIZE);
	}
	for (int i = 0; i < 2; i++)
		stop_copy_drain(&m[i], est[i], p->guest_never_stops ? g : NULL);
	set_state(c[EDU_SRC], UVFIO_DEVICE_STATE_STOP);
	set_state(c[RAM_SRC], UVFIO_DEVICE_STATE_STOP);
	set_state(c[EDU_DST], UVFIO_DEVICE_STATE_RUNNING);
	set_state(c[RAM_DST], UVFIO_DEVICE_STATE_RUNNING);

	if (p->guest_never_stops) {
		/* Still hammering in STOP, the other devices still served. */
		wait_more(g, OPS_PER_ITER);
		stop_hammers(g, (uint64_t)iters * OPS_PER_ITER);
		/* The destination runs, and has done the work the guest
		 * left pending on the stopped source. */
		read_regs(c[EDU_DST], dregs);
		assert_int_equal(dregs[0], EDU_ID_VALUE);
		assert_int_equal(dregs[3] & EDU_STATUS_COMPUTING, 0);
		assert_int_equal(dregs[8] & EDU_DMA_RUN, 0);
	} else {
		/* The destination shows exactly the source's final state. */
		read_regs(c[EDU_DST], dregs);
		assert_regs_equal(regs, dregs);
		probe_buffer(c[EDU_DST], guest[1].addr);
		assert_memory_equal((uint8_t *)guest[1].addr + AREA_PROBE,
				    probe, EDU_DMA_SIZE);
		/* The probe wrote what the source's probe had left. */
		read_regs(c[EDU_DST], dregs);
		assert_regs_equal(regs, dregs);
		assert_int_equal(uvfio_client_region_read(c[RAM_DST],
							  RAM_REGION_INDEX, 0,
							  dram, RAM_SIZE),
				 RAM_SIZE);
		assert_memory_equal(dram, snap, RAM_SIZE);
	}
	assert_int_equal(__atomic_load_n(&f->errors, __ATOMIC_RELAXED), 0);

	print_message("    %d pre-copy iterations; hammer ops %llu/%llu/%llu, "
		      "other devices %llu\n",
		      iters, (unsigned long long)g->h[0].ops,
		      (unsigned long long)g->h[1].ops,
		      (unsigned long long)g->h[2].ops,
		      (unsigned long long)g->h[3].ops);
	for (int i = 0; i < 2; i++)
		print_message(
			"    %s: pre-copy %llu bytes (bound %zu: hit %d, caught up %d of %d), stop-copy %llu bytes\n",
			m[i].name, (unsigned long long)m[i].precopy_bytes,
			m[i].bound, m[i].bound_hits, m[i].caught_up,
			m[i].iterations, (unsigned long long)m[i].stop_bytes);

	/* A bound below the initial state holds on the first iteration. */
	for (int i = 0; i < 2; i++)
		if (m[i].bound < est[i])
			assert_true(m[i].bound_hits >= 1);

	munmap(g->ram_map, RAM_SIZE);
	for (int i = 0; i < NR_HAMMERS; i++) {
		free(g->h[i].buf);
		free(g->h[i].back);
	}
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	for (int i = 0; i < NR_DEVS; i++)
		uvfio_client_close(c[i]);
	for (int i = 0; i < 2; i++) {
		uvfio_client_buffer_free(&guest[i]);
		free(m[i].buf);
	}
	free(g);
	free(snap);
	free(dram);
	free(probe);
}

/* Bounds above each device's whole state: pre-copy may catch up. */
static void test_hostile_precopy(void **state)
{
	const struct plan p = {
		.edu_bound = 64u << 10,
		.ram_bound = 2 * RAM_SIZE,
		.max_iters = MAX_ITERS,
	};

	hostile_migration(*state, &p);
}

/*
 * Bounds below each device's initial state: every pre-copy iteration ends
 * by the bound, pre-copy never catches up, and stop-copy carries what it
 * left along with the final state.
 */
static void test_hostile_precopy_tight_bound(void **state)
{
	const struct plan p = {
		.edu_bound = 1024,
		.ram_bound = RAM_SIZE / 8,
		.max_iters = MAX_ITERS,
	};

	hostile_migration(*state, &p);
}

/*
 * The guest never stops: it busy-loops on the sources through STOP_COPY
 * and STOP, and the migration and the other devices go on regardless.
 */
static void test_guest_hammers_through_stop_copy(void **state)
{
	const struct plan p = {
		.edu_bound = 1024,
		.ram_bound = RAM_SIZE / 8,
		.max_iters = MAX_ITERS,
		.guest_never_stops = true,
	};

	hostile_migration(*state, &p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_precopy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_hostile_precopy_tight_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_guest_hammers_through_stop_copy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
