// SPDX-License-Identifier: MIT
/*
 * uvfio-vmm-demo: a small VMM on the public client library.  It opens an
 * edu and an mtty on one uvfiod (A) and their twins on another (B), runs a
 * guest on A's devices (vmm-guest.c: edu factorials and DMA to and from
 * guest memory, mtty receiving bytes), and live-migrates both devices to B
 * while the guest runs, with the flow of `uvfioctl migrate`
 * (migrate-flow.c): the guest pauses only for stop-copy, then resumes on
 * B's devices.  A vfio-user device takes one client at a time, so the VMM
 * runs the guest and drives the migration on the same handles, as a real
 * VMM does.
 *
 * Then it checks that B continues exactly where A stopped: every register
 * of edu and mtty on B equals A's at the stop, and what the guest last did
 * (its model); edu's buffer on B holds what A's held; mtty's FIFO on B
 * holds the bytes A held, and new bytes follow them; the guest's next
 * rounds work on B.  Exit 0 when all of that holds, 1 naming the mismatch,
 * 2 for a wrong command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uvfio/client.h>
#include <uvfio/migration.h>

#include "mig-text.h"
#include "migrate-flow.h"
#include "vmm-guest.h"

#define PROG "uvfio-vmm-demo"

struct vmm {
	const char *name[4]; /* edu A, edu B, mtty A, mtty B */
	struct uvfio_client *edu_a, *edu_b, *tty_a, *tty_b;
	struct guest g;
	struct mflow_dev devs[2];
	struct mflow f;
	unsigned int run_ms;
	bool tamper;

	uint64_t rounds_seen; /* guest rounds at the last report */
	uint64_t stop_round;  /* the last round on A */
	double t_stop;	      /* the guest paused */
	char mismatch[1024];  /* what the check found */
};

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* ---- the migration's hooks ---- */

static void on_iteration(void *opaque, const struct mflow *f,
			 const struct mflow_iteration *it)
{
	struct vmm *v = opaque;
	uint64_t rounds = guest_rounds(&v->g);
	char a[32], b[32], c[32], d[32];

	printf("  pre-copy %u: %s (edu %s, mtty %s) in %.2f ms; %s still to "
	       "copy, predicted downtime %.2f ms; the guest ran %" PRIu64
	       " round%s meanwhile\n",
	       it->n, human_size(it->bytes, a),
	       human_size(f->devs[0].iteration_bytes, b),
	       human_size(f->devs[1].iteration_bytes, c), it->ms,
	       human_size(it->remaining, d), it->expected_ms,
	       rounds - v->rounds_seen,
	       rounds - v->rounds_seen == 1 ? "" : "s");
	v->rounds_seen = rounds;
}

/* The vCPUs stop (between two rounds: the guest's operations are
 * atomic to it). */
static void on_stop(void *opaque)
{
	struct vmm *v = opaque;

	guest_pause(&v->g); /* a failure is reported after the migration */
	v->t_stop = now_ms();
	v->stop_round = v->g.m.round;
}

/*
 * Before B's devices run, the VMM's own part of their state: guest memory
 * in edu's IOMMU (a resumed edu with a transfer pending does it the moment
 * it runs), and config space, which the VMM migrates itself as with
 * vfio-pci (edu needs Command's MEM and BUS_MASTER).
 */
static int on_restore(void *opaque, char *err, size_t len)
{
	struct vmm *v = opaque;
	char e[GUEST_ERR_LEN];
	uint64_t cmd;

	if (guest_map(&v->g, v->edu_b, e) ||
	    reg_read(v->edu_a, "edu A", CONFIG_REGION, PCI_COMMAND, 2, &cmd,
		     e) ||
	    reg_write(v->edu_b, "edu B", CONFIG_REGION, PCI_COMMAND, 2, cmd,
		      e)) {
		snprintf(err, len, "%s", e);
		return -1;
	}
	return 0;
}

static const struct mflow_hooks hooks = {
	.iteration = on_iteration,
	.stop = on_stop,
	.restore = on_restore,
};

/* ---- the check ---- */

static void mismatch(struct vmm *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mismatch(struct vmm *v, const char *fmt, ...)
{
	size_t len = strlen(v->mismatch);
	va_list ap;

	if (len && len < sizeof(v->mismatch) - 2) {
		strcpy(v->mismatch + len, "; ");
		len += 2;
	}
	if (len >= sizeof(v->mismatch) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(v->mismatch + len, sizeof(v->mismatch) - len, fmt, ap);
	va_end(ap);
}

struct reg {
	const char *name;
	uint32_t region;
	uint64_t off;
	size_t len;
};

enum {
	E_ID,
	E_LIVENESS,
	E_FACT,
	E_STATUS,
	E_IRQ,
	E_DMA_SRC,
	E_DMA_DST,
	E_DMA_CNT,
	E_DMA_CMD,
	E_COMMAND,
	E_NR
};

static const struct reg edu_regs[E_NR] = {
	[E_ID] = { "identification", EDU_BAR, EDU_ID, 4 },
	[E_LIVENESS] = { "liveness", EDU_BAR, EDU_LIVENESS, 4 },
	[E_FACT] = { "factorial", EDU_BAR, EDU_FACT, 4 },
	[E_STATUS] = { "status", EDU_BAR, EDU_STATUS, 4 },
	[E_IRQ] = { "interrupt status", EDU_BAR, EDU_IRQ_STATUS, 4 },
	[E_DMA_SRC] = { "DMA source", EDU_BAR, EDU_DMA_SRC, 8 },
	[E_DMA_DST] = { "DMA destination", EDU_BAR, EDU_DMA_DST, 8 },
	[E_DMA_CNT] = { "DMA count", EDU_BAR, EDU_DMA_CNT, 8 },
	[E_DMA_CMD] = { "DMA command", EDU_BAR, EDU_DMA_CMD, 8 },
	[E_COMMAND] = { "config Command", CONFIG_REGION, PCI_COMMAND, 2 },
};

/* mtty: no RX (reading it takes a byte; the FIFO is checked apart). */
enum { T_IER, T_LCR, T_MCR, T_SCR, T_IIR, T_LSR, T_MSR, T_NR };

static const struct reg tty_regs[T_NR] = {
	[T_IER] = { "IER", TTY_BAR, TTY_IER, 1 },
	[T_LCR] = { "LCR", TTY_BAR, TTY_LCR, 1 },
	[T_MCR] = { "MCR", TTY_BAR, TTY_MCR, 1 },
	[T_SCR] = { "SCR", TTY_BAR, TTY_SCR, 1 },
	[T_IIR] = { "IIR", TTY_BAR, TTY_IIR, 1 },
	[T_LSR] = { "LSR", TTY_BAR, TTY_LSR, 1 },
	[T_MSR] = { "MSR", TTY_BAR, TTY_MSR, 1 },
};

static int snapshot(struct uvfio_client *c, const char *dev,
		    const struct reg *regs, unsigned int nr, uint64_t *val)
{
	char e[GUEST_ERR_LEN];

	for (unsigned int i = 0; i < nr; i++)
		if (reg_read(c, dev, regs[i].region, regs[i].off, regs[i].len,
			     &val[i], e))
			return die("%s", e);
	return 0;
}

/*
 * B against A, and A against what the guest did last (UINT64_MAX: no
 * expectation).  How B compares, in words.
 */
static const char *compare(struct vmm *v, const char *dev,
			   const struct reg *regs, unsigned int nr,
			   const uint64_t *a, const uint64_t *b,
			   const uint64_t *model)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < nr; i++) {
		if (a[i] != b[i]) {
			mismatch(v, "%s %s: B 0x%" PRIx64 ", A 0x%" PRIx64, dev,
				 regs[i].name, b[i], a[i]);
			bad++;
		}
		if (model && model[i] != UINT64_MAX && a[i] != model[i]) {
			mismatch(v,
				 "%s %s: A 0x%" PRIx64 ", the guest's last "
				 "operation left 0x%" PRIx64,
				 dev, regs[i].name, a[i], model[i]);
			bad++;
		}
	}
	return bad ? "DIFFER (below)" : "equal A's";
}

/* Take the bytes in A's FIFO (A is stopped and stays so). */
static int drain(struct uvfio_client *c, const char *dev, uint8_t *fifo,
		 unsigned int *n)
{
	char e[GUEST_ERR_LEN];
	uint64_t lsr, b;

	for (*n = 0; *n <= TTY_FIFO; (*n)++) {
		if (reg_read(c, dev, TTY_BAR, TTY_LSR, 1, &lsr, e))
			return die("%s", e);
		if (!(lsr & LSR_DR))
			return 0;
		if (*n == TTY_FIFO)
			break;
		if (reg_read(c, dev, TTY_BAR, TTY_RX, 1, &b, e))
			return die("%s", e);
		fifo[*n] = (uint8_t)b;
	}
	return die("%s: more than %u bytes in a %u-byte FIFO", dev, TTY_FIFO,
		   TTY_FIFO);
}

static void show_bytes(char *out, size_t len, const uint8_t *b, unsigned int n)
{
	size_t at = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < n && at + 4 < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%02x",
				       i ? " " : "", b[i]);
}

/*
 * The state at the stop: B's registers against A's (A stays in STOP, so
 * it shows what it held when it stopped), both against the guest's model,
 * and A's FIFO (taken out of A into @fifo).
 */
static int check_state(struct vmm *v, uint8_t *fifo, unsigned int *nfifo)
{
	const struct guest_model *m = &v->g.m;
	uint64_t ea[E_NR], eb[E_NR], ta[T_NR], tb[T_NR];
	uint32_t count = m->tx - m->rx;
	uint64_t em[E_NR] = {
		[E_ID] = EDU_ID_VALUE,
		[E_LIVENESS] = (uint32_t)~m->liveness,
		[E_FACT] = edu_factorial(m->fact_n),
		[E_STATUS] = 0,
		[E_IRQ] = m->irq_pending,
		[E_DMA_SRC] = m->dma_src,
		[E_DMA_DST] = m->dma_dst,
		[E_DMA_CNT] = m->dma_cnt,
		[E_DMA_CMD] = m->dma_cmd,
		[E_COMMAND] = UINT64_MAX, /* the PCI core's */
	};
	uint64_t tm[T_NR] = {
		[T_IER] = 0x01,
		[T_LCR] = 0x03,
		[T_MCR] = 0x0b,
		[T_SCR] = m->scr,
		[T_IIR] = count ? IIR_RDI : IIR_NONE,
		[T_LSR] = count ? LSR_DR : LSR_EMPTY,
		[T_MSR] = UINT64_MAX,
	};
	const char *same;
	char hex[64];

	if (snapshot(v->edu_a, "edu A", edu_regs, E_NR, ea) ||
	    snapshot(v->edu_b, "edu B", edu_regs, E_NR, eb) ||
	    snapshot(v->tty_a, "mtty A", tty_regs, T_NR, ta) ||
	    snapshot(v->tty_b, "mtty B", tty_regs, T_NR, tb))
		return -1;
	same = compare(v, "edu", edu_regs, E_NR, ea, eb, em);
	if ((ea[E_COMMAND] & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) !=
	    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		mismatch(v,
			 "edu config Command on A: 0x%" PRIx64
			 " lacks MEM|BUS_MASTER",
			 ea[E_COMMAND]);
	printf("  edu registers on B %s: liveness 0x%08" PRIx64
	       ", factorial 0x%08" PRIx64 " (%u!), status 0x%" PRIx64
	       ", interrupt status 0x%" PRIx64 " (the last DMA's, not yet "
	       "acknowledged)\n"
	       "      DMA 0x%" PRIx64 " -> 0x%" PRIx64 ", %" PRIu64
	       " bytes, command 0x%" PRIx64 "; config Command 0x%04" PRIx64
	       "\n",
	       same, eb[E_LIVENESS], eb[E_FACT], m->fact_n, eb[E_STATUS],
	       eb[E_IRQ], eb[E_DMA_SRC], eb[E_DMA_DST], eb[E_DMA_CNT],
	       eb[E_DMA_CMD], eb[E_COMMAND]);
	same = compare(v, "mtty", tty_regs, T_NR, ta, tb, tm);
	printf("  mtty registers on B %s: IER %02" PRIx64 " IIR %02" PRIx64
	       " LCR %02" PRIx64 " MCR %02" PRIx64 " LSR %02" PRIx64
	       " MSR %02" PRIx64 " SCR %02" PRIx64 "\n",
	       same, tb[T_IER], tb[T_IIR], tb[T_LCR], tb[T_MCR], tb[T_LSR],
	       tb[T_MSR], tb[T_SCR]);

	if (drain(v->tty_a, "mtty A", fifo, nfifo))
		return -1;
	show_bytes(hex, sizeof(hex), fifo, *nfifo);
	printf("  mtty FIFO on A at the stop: %u byte%s (%s)\n", *nfifo,
	       *nfifo == 1 ? "" : "s", hex);
	if (*nfifo != count)
		mismatch(v, "mtty FIFO on A: %u bytes, the guest left %u",
			 *nfifo, count);
	for (unsigned int i = 0; i < *nfifo && i < count; i++)
		if (fifo[i] != (uint8_t)(m->rx + i)) {
			mismatch(v,
				 "mtty FIFO on A: byte %u is 0x%02x, the guest "
				 "sent 0x%02x",
				 i, fifo[i], (uint8_t)(m->rx + i));
			break;
		}
	return 0;
}

/*
 * B continues: its buffer holds A's; its FIFO holds A's bytes and new ones
 * follow them; the guest's next round works.
 */
static int check_continuation(struct vmm *v, const uint8_t *fifo,
			      unsigned int nfifo)
{
	struct guest *g = &v->g;
	struct guest_model *m = &g->m;
	uint8_t *scratch = (uint8_t *)g->mem.addr + GUEST_SCRATCH;
	uint8_t got[TTY_FIFO], want[TTY_FIFO];
	unsigned int fresh = 3, n = nfifo + fresh;
	char e[GUEST_ERR_LEN], hex[64];
	uint64_t b;

	/* edu's buffer, out through B's DMA (no interrupt asked for). */
	memset(scratch, 0x5a, EDU_BUF_SIZE);
	if (edu_dma(g, EDU_BUF_ADDR, GUEST_IOVA + GUEST_SCRATCH, EDU_BUF_SIZE,
		    EDU_DMA_TO_RAM))
		return die("%s", g->err);
	for (size_t i = 0; i < EDU_BUF_SIZE; i++)
		if (scratch[i] != m->buf[i]) {
			mismatch(v,
				 "edu buffer on B: byte 0x%zx is 0x%02x, A "
				 "held 0x%02x",
				 i, scratch[i], m->buf[i]);
			return 0;
		}
	printf("  edu buffer on B, read by B's DMA: the %u bytes A held\n",
	       EDU_BUF_SIZE);

	/* mtty: new bytes behind the old ones, all read back in order. */
	if (n > TTY_FIFO)
		n = TTY_FIFO, fresh = TTY_FIFO - nfifo;
	memcpy(want, fifo, nfifo);
	for (unsigned int i = 0; i < fresh; i++) {
		want[nfifo + i] = (uint8_t)(m->tx + i);
		if (reg_write(v->tty_b, "mtty B", TTY_BAR, TTY_RX, 1,
			      want[nfifo + i], e))
			return die("%s", e);
	}
	for (unsigned int i = 0; i < n; i++) {
		if (reg_read(v->tty_b, "mtty B", TTY_BAR, TTY_RX, 1, &b, e))
			return die("%s", e);
		got[i] = (uint8_t)b;
	}
	if (reg_read(v->tty_b, "mtty B", TTY_BAR, TTY_LSR, 1, &b, e))
		return die("%s", e);
	show_bytes(hex, sizeof(hex), got, n);
	if (memcmp(got, want, n)) {
		char w[64];

		show_bytes(w, sizeof(w), want, n);
		mismatch(v,
			 "mtty FIFO on B after %u new bytes: %s, expected A's "
			 "%u then the new ones: %s",
			 fresh, hex, nfifo, w);
		return 0;
	}
	if (b != LSR_EMPTY) {
		mismatch(v,
			 "mtty LSR on B 0x%02" PRIx64 " with the FIFO read "
			 "empty, expected 0x%02x",
			 b, LSR_EMPTY);
		return 0;
	}
	printf("  mtty FIFO on B: A's %u byte%s, then %u new ones (%s); then "
	       "empty\n",
	       nfifo, nfifo == 1 ? "" : "s", fresh, hex);
	m->tx += fresh;
	m->rx = m->tx;
	m->tty_bytes += fresh;

	/* The guest's next round, on B. */
	if (guest_round(g)) {
		mismatch(v, "the guest's next round: %s", g->err);
		return 0;
	}
	printf("  the guest's round %" PRIu64 " on B: interrupt 0x%x from A "
	       "acknowledged, %u! = 0x%08x, DMA in and out, mtty bytes in "
	       "sequence\n",
	       m->round, EDU_IRQ_DMA, m->fact_n, edu_factorial(m->fact_n));
	return 0;
}

/* Make B differ from A, to show that the check notices. */
static int tamper(struct vmm *v)
{
	char e[GUEST_ERR_LEN];

	printf("  (--tamper: writing B's edu liveness and mtty SCR behind the "
	       "guest's back)\n");
	if (reg_write(v->edu_b, "edu B", EDU_BAR, EDU_LIVENESS, 4, 0x0badf00d,
		      e) ||
	    reg_write(v->tty_b, "mtty B", TTY_BAR, TTY_SCR, 1,
		      (uint8_t)~v->g.m.scr, e))
		return die("%s", e);
	return 0;
}

/* ---- the run ---- */

static struct uvfio_client *open_dev(const char *name)
{
	struct uvfio_client *c = uvfio_client_open(name, NULL);

	if (!c)
		die("%s: %s", name, strerror(errno));
	return c;
}

/* The guest needs A's devices running (one migrated away stays in STOP). */
static int must_run(struct uvfio_client *c, const char *name)
{
	enum uvfio_device_mig_state state;
	int ret = uvfio_client_mig_get_state(c, &state);

	if (ret)
		return die("%s: migration state: %s", name, strerror(-ret));
	if (state != UVFIO_DEVICE_STATE_RUNNING)
		return die("%s is in %s; the guest needs it RUNNING", name,
			   uvfio_mig_state_name(state));
	return 0;
}

static const char *flag_text(uint64_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 flags & UVFIO_MIGRATION_STOP_COPY ? "STOP_COPY" : "",
		 flags & UVFIO_MIGRATION_P2P ? "|P2P" : "",
		 flags & UVFIO_MIGRATION_PRE_COPY ? "|PRE_COPY" : "");
	return buf;
}

static int migrate(struct vmm *v)
{
	struct mflow *f = &v->f;
	char a[32], b[32], c[32];
	double t_ready;

	v->devs[0] = (struct mflow_dev){ .name = "edu",
					 .src = v->edu_a,
					 .dst = v->edu_b };
	v->devs[1] = (struct mflow_dev){ .name = "mtty",
					 .src = v->tty_a,
					 .dst = v->tty_b };
	f->devs = v->devs;
	f->nr_devs = 2;
	f->hooks = &hooks;
	f->opaque = v;
	v->rounds_seen = guest_rounds(&v->g);
	printf("\nmigrate A -> B: B's devices to RESUMING, A's to PRE_COPY; "
	       "the guest keeps running\n");
	if (mflow_run(f)) {
		if (f->stopped)
			guest_resume(&v->g); /* on A, RUNNING again */
		guest_stop(&v->g);
		die("migration failed: %s", f->error);
		if (f->recovery[0])
			die("%s", f->recovery);
		return -1;
	}
	t_ready = now_ms();
	printf("  pre-copy ended: %s (%u iteration%s, %s)\n",
	       mig_stop_text(f->stop_reason), f->iterations,
	       f->iterations == 1 ? "" : "s", human_size(f->precopy_bytes, a));
	printf("  vCPUs stop after round %" PRIu64 "; A's devices %sto "
	       "STOP_COPY: %s more (edu %s, mtty %s)\n",
	       v->stop_round, f->p2p ? "through PRE_COPY_P2P " : "",
	       human_size(f->bytes - f->precopy_bytes, a),
	       human_size(v->devs[0].stopcopy_bytes, b),
	       human_size(v->devs[1].stopcopy_bytes, c));
	printf("  B's devices committed (STOP); guest memory mapped into B's "
	       "edu, Command copied; B's devices %sRUNNING; A's left in %s\n",
	       f->p2p ? "RUNNING_P2P, " : "",
	       uvfio_mig_state_name(v->devs[0].src_state));
	printf("  moved %s in %.1f ms; downtime %.2f ms (A's devices stopping "
	       "to B's running; limit %u ms), vCPUs paused %.2f ms\n",
	       human_size(f->bytes, a), f->total_ms, f->downtime_ms,
	       f->downtime_limit_ms, t_ready - v->t_stop);
	if (f->warning[0])
		die("warning: %s", f->warning);
	if (v->g.failed) {
		guest_stop(&v->g);
		return die("the guest failed on A before the stop: %s",
			   v->g.err);
	}
	return 0;
}

static int run(struct vmm *v)
{
	uint8_t fifo[TTY_FIFO];
	unsigned int nfifo = 0;
	char e[GUEST_ERR_LEN], fa[64], fb[64];
	uint64_t flags_a = 0, flags_b = 0, on_a, on_b;
	int ret;

	v->edu_a = open_dev(v->name[0]);
	v->edu_b = v->edu_a ? open_dev(v->name[1]) : NULL;
	v->tty_a = v->edu_b ? open_dev(v->name[2]) : NULL;
	v->tty_b = v->tty_a ? open_dev(v->name[3]) : NULL;
	if (!v->tty_b)
		return -1;
	if (must_run(v->edu_a, v->name[0]) || must_run(v->tty_a, v->name[2]))
		return -1;
	uvfio_client_mig_flags(v->edu_a, &flags_a);
	uvfio_client_mig_flags(v->tty_a, &flags_b);
	printf("a VMM with two devices on uvfiod A and their twins on uvfiod "
	       "B\n");
	printf("  edu   %s -> %s (%s)\n", v->name[0], v->name[1],
	       flag_text(flags_a, fa, sizeof(fa)));
	printf("  mtty  %s -> %s (%s)\n", v->name[2], v->name[3],
	       flag_text(flags_b, fb, sizeof(fb)));

	ret = guest_init(&v->g);
	if (ret)
		return die("guest memory: %s", strerror(-ret));
	guest_switch(&v->g, v->edu_a, v->tty_a, "A");
	v->g.pace_us = 500;
	if (guest_map(&v->g, v->edu_a, e))
		return die("%s", e);
	if (guest_boot(&v->g))
		return die("booting the guest: %s", v->g.err);
	printf("\nguest: %u KiB of memory (a memfd) at IOVA 0x%llx in A's edu; "
	       "drivers up (edu bus master, mtty FIFO on)\n",
	       GUEST_MEM_SIZE >> 10, GUEST_IOVA);
	ret = guest_start(&v->g);
	if (ret)
		return die("starting the vCPU thread: %s", strerror(-ret));
	sleep_ms(v->run_ms);
	printf("guest: %" PRIu64 " rounds on A so far (edu: factorial, "
	       "DMA in and out, checked; mtty: bytes out and back, checked)\n",
	       guest_rounds(&v->g));

	if (migrate(v))
		return -1;
	on_a = v->stop_round;

	printf("\ncheck: B continues exactly where A stopped\n");
	if (v->tamper && tamper(v))
		return -1;
	if (check_state(v, fifo, &nfifo))
		return -1;
	guest_switch(&v->g, v->edu_b, v->tty_b, "B");
	if (check_continuation(v, fifo, nfifo))
		return -1;
	if (v->mismatch[0]) {
		guest_stop(&v->g);
		return die("B does not continue where A stopped: %s",
			   v->mismatch);
	}

	guest_resume(&v->g);
	sleep_ms(v->run_ms);
	ret = guest_pause(&v->g);
	on_b = v->g.m.round - on_a;
	guest_stop(&v->g);
	if (ret)
		return die("the guest failed on B: %s", v->g.err);
	printf("\nguest: %" PRIu64 " more rounds on B, every check passed "
	       "(%" PRIu64 " rounds on A before; %" PRIu64
	       " bytes of DMA, %" PRIu64 " bytes through mtty in all)\n",
	       on_b, on_a, v->g.m.dma_bytes, v->g.m.tty_bytes);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [OPTIONS] EDU_A EDU_B MTTY_A MTTY_B\n"
		"\n"
		"A VMM: runs a guest on edu EDU_A and mtty MTTY_A, live-migrates\n"
		"both to EDU_B and MTTY_B while it runs (the guest pauses only\n"
		"for stop-copy), and checks that B continues exactly where A\n"
		"stopped.  Exit 0 if it does, 1 naming what differs.\n"
		"\n"
		"  -d, --downtime-limit MS  the downtime to aim for (300)\n"
		"  -i, --max-iterations N   at most N pre-copy iterations (10;\n"
		"                           0: stop-copy only)\n"
		"  -m, --min-iterations N   at least N, while there is data (3)\n"
		"  -p, --interval MS        the guest runs MS between iterations (50)\n"
		"  -r, --run MS             the guest runs MS before and after (200)\n"
		"  -T, --tamper             change B behind the guest's back\n"
		"                           after the migration: the check must fail\n"
		"  -h, --help               this text\n");
}

static int parse_num(const char *what, const char *text, unsigned int max,
		     unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v > max || text[0] == '-') {
		fprintf(stderr, PROG ": bad %s '%s' (0 to %u)\n", what, text,
			max);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "downtime-limit", required_argument, NULL, 'd' },
		{ "max-iterations", required_argument, NULL, 'i' },
		{ "min-iterations", required_argument, NULL, 'm' },
		{ "interval", required_argument, NULL, 'p' },
		{ "run", required_argument, NULL, 'r' },
		{ "tamper", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct vmm v; /* zeroed; large (the guest's model) */
	int opt, ret;

	v.f.downtime_limit_ms = 300;
	v.f.max_iterations = 10;
	v.f.min_iterations = 3;
	v.f.interval_ms = 50;
	v.run_ms = 200;
	while ((opt = getopt_long(argc, argv, "d:i:m:p:r:Th", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'd':
			ret = parse_num("downtime limit", optarg, 3600000,
					&v.f.downtime_limit_ms);
			break;
		case 'i':
			ret = parse_num("iteration count", optarg, 100000,
					&v.f.max_iterations);
			break;
		case 'm':
			ret = parse_num("iteration count", optarg, 100000,
					&v.f.min_iterations);
			break;
		case 'p':
			ret = parse_num("interval", optarg, 60000,
					&v.f.interval_ms);
			break;
		case 'r':
			ret = parse_num("run time", optarg, 600000, &v.run_ms);
			break;
		case 'T':
			v.tamper = true;
			ret = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (ret)
			return 2;
	}
	if (argc - optind != 4) {
		usage(stderr);
		return 2;
	}
	for (int i = 0; i < 4; i++)
		v.name[i] = argv[optind + i];

	ret = run(&v);
	guest_stop(&v.g);
	uvfio_client_close(v.edu_a);
	uvfio_client_close(v.edu_b);
	uvfio_client_close(v.tty_a);
	uvfio_client_close(v.tty_b);
	if (v.g.mem.addr)
		guest_destroy(&v.g);
	if (ret)
		return 1;
	printf(PROG ": migration verified: B continues exactly where A "
		    "stopped\n");
	return 0;
}
