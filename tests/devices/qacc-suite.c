// SPDX-License-Identifier: MIT
/*
 * The qacc suite, a client of a qacc PF served over vfio-user (uvfiod's
 * "qacc" device): it enables 4 VFs through the PF (the administrator's
 * sriov_numvfs), opens them with the PF's VF token, and runs the ring
 * tests on the PF and the 4 VFs at once, one thread per function: ring
 * operations, interrupts, CRC32C against a software CRC, DMA refused
 * outside the mappings, bad descriptors and doorbells.  Then the kernel's
 * sriov_numvfs answers, and the VFs going.  TAP output.
 *
 * Usage: qacc-suite unix:DIR/NAME.sock
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "qacc/qacc-guest.h"
#include "suite.h"

#define NR_VFS 4
#define NR_FNS (1 + NR_VFS)
#define QSIZE 16

struct fn_run {
	char label[8];
	struct uvfio_client *c;
	struct qacc_guest g;
	uint64_t seed;
	enum result res[16];
	char log[4096]; /* diagnostics, printed after the threads */
	size_t log_len;
};

static __thread struct fn_run *cur;

/* Diagnostics of a function's thread go to its own log. */
#define FDIAG(...)                                                             \
	do {                                                                   \
		if (cur->log_len < sizeof(cur->log))                           \
			cur->log_len += (size_t)snprintf(                      \
				cur->log + cur->log_len,                       \
				sizeof(cur->log) - cur->log_len,               \
				"# %s: ", cur->label);                         \
		if (cur->log_len < sizeof(cur->log))                           \
			cur->log_len += (size_t)snprintf(                      \
				cur->log + cur->log_len,                       \
				sizeof(cur->log) - cur->log_len, __VA_ARGS__); \
		if (cur->log_len < sizeof(cur->log))                           \
			cur->log[cur->log_len++] = '\n';                       \
	} while (0)

#define FCHECK(cond, ...)                                      \
	do {                                                   \
		if (!(cond)) {                                 \
			FDIAG("line %d: %s", __LINE__, #cond); \
			FDIAG(__VA_ARGS__);                    \
			return FAIL;                           \
		}                                              \
	} while (0)

static uint64_t next_rand(struct fn_run *r)
{
	r->seed ^= r->seed << 13;
	r->seed ^= r->seed >> 7;
	r->seed ^= r->seed << 17;
	return r->seed;
}

static void fill_random(struct fn_run *r, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)next_rand(r);
}

static uint32_t reg(struct fn_run *r, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	qg_reg_read(&r->g, off, &v);
	return v;
}

static struct qacc_desc desc(uint8_t op, uint32_t len, uint64_t src,
			     uint64_t dst, uint64_t tag)
{
	return (struct qacc_desc){
		.opcode = op, .len = len, .src = src, .dst = dst, .tag = tag
	};
}

static enum result run_op(struct fn_run *r, struct qacc_desc d, uint16_t want,
			  uint32_t *result)
{
	struct qacc_cpl cpl;

	FCHECK(!qg_run(&r->g, &d, &cpl), "submitting op %u failed", d.opcode);
	FCHECK(cpl.tag == d.tag, "completion tag 0x%llx, submitted 0x%llx",
	       (unsigned long long)cpl.tag, (unsigned long long)d.tag);
	FCHECK(cpl.status == want, "op %u len %u: status %u, expected %u",
	       d.opcode, d.len, cpl.status, want);
	if (result)
		*result = cpl.result;
	return PASS;
}

/* ---- the tests of one function ---- */

static enum result t_registers(struct fn_run *r)
{
	struct qacc_guest *g = &r->g;

	/* Before setup: the power-on values. */
	g->c = r->c;
	FCHECK(reg(r, QACC_REG_ID) == QACC_ID_VALUE, "ID 0x%x",
	       reg(r, QACC_REG_ID));
	FCHECK(reg(r, QACC_REG_QSIZE) == QACC_QSIZE_DEFAULT, "QSIZE %u",
	       reg(r, QACC_REG_QSIZE));
	FCHECK(reg(r, QACC_REG_STATUS) == QACC_STATUS_IDLE, "STATUS 0x%x",
	       reg(r, QACC_REG_STATUS));
	/* A size that is no power of two is ignored. */
	qg_reg_write(g, QACC_REG_QSIZE, 3);
	FCHECK(reg(r, QACC_REG_QSIZE) == QACC_QSIZE_DEFAULT, "QSIZE %u",
	       reg(r, QACC_REG_QSIZE));
	if (qg_setup(g, r->c, NULL, QSIZE, QACC_CTRL_ENABLE | QACC_CTRL_IRQ))
		return FAIL;
	FCHECK(reg(r, QACC_REG_STATUS) ==
		       (QACC_STATUS_READY | QACC_STATUS_IDLE),
	       "STATUS 0x%x after setup", reg(r, QACC_REG_STATUS));
	FCHECK(reg(r, QACC_REG_QSIZE) == QSIZE, "QSIZE %u",
	       reg(r, QACC_REG_QSIZE));
	return PASS;
}

static enum result t_copy(struct fn_run *r)
{
	const size_t len = 256 * 1024;
	uint8_t *src = qg_data(&r->g, 0), *dst = qg_data(&r->g, 1u << 20);

	fill_random(r, src, len);
	memset(dst, 0, len + 1);
	TRY(run_op(r,
		   desc(QACC_OP_COPY, len, qg_data_iova(0),
			qg_data_iova(1u << 20), 0x100),
		   QACC_ST_OK, NULL));
	FCHECK(!memcmp(src, dst, len), "copied bytes differ");
	FCHECK(dst[len] == 0, "copy wrote past its length");
	return PASS;
}

static enum result t_fill(struct fn_run *r)
{
	const size_t len = 100003;
	const uint64_t pat = 0x0807060504030201ull;
	uint8_t *dst = qg_data(&r->g, 0);

	memset(dst, 0xee, len + 1);
	TRY(run_op(r, desc(QACC_OP_FILL, len, pat, qg_data_iova(0), 0x200),
		   QACC_ST_OK, NULL));
	for (size_t i = 0; i < len; i++)
		FCHECK(dst[i] == (uint8_t)(i % 8 + 1), "byte %zu is 0x%x", i,
		       dst[i]);
	FCHECK(dst[len] == 0xee, "fill wrote past its length");
	return PASS;
}

static enum result t_crc32c(struct fn_run *r)
{
	static const size_t lens[] = { 1, 4095, 65536, QACC_MAX_LEN };
	uint8_t *src = qg_data(&r->g, 0);
	uint32_t crc;

	/* The check value of the CRC-32C catalogue. */
	memcpy(src, "123456789", 9);
	TRY(run_op(r, desc(QACC_OP_CRC32C, 9, qg_data_iova(0), 0, 0x300),
		   QACC_ST_OK, &crc));
	FCHECK(crc == 0xe3069283, "CRC32C(\"123456789\") = 0x%08x", crc);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		fill_random(r, src, lens[i]);
		TRY(run_op(r,
			   desc(QACC_OP_CRC32C, (uint32_t)lens[i],
				qg_data_iova(0), 0, 0x301 + i),
			   QACC_ST_OK, &crc));
		FCHECK(crc == qg_crc32c(src, lens[i]),
		       "CRC32C of %zu bytes: 0x%08x, software 0x%08x", lens[i],
		       crc, qg_crc32c(src, lens[i]));
	}
	return PASS;
}

/* Batches that fill the ring, many times round: tags in order, DONE. */
static enum result t_ring_wrap(struct fn_run *r)
{
	struct qacc_guest *g = &r->g;
	uint32_t done0 = reg(r, QACC_REG_DONE), total = 0;
	uint64_t tag = 0x1000, want = 0x1000;

	for (int round = 0; round < 5; round++) {
		struct qacc_cpl cpl;
		uint32_t n = QSIZE - 1; /* one slot stays empty */

		for (uint32_t i = 0; i < n; i++) {
			struct qacc_desc d = desc(QACC_OP_FILL, 64, tag,
						  qg_data_iova(64 * (tag % 64)),
						  tag);

			qg_put(g, &d);
			tag++;
		}
		FCHECK(!qg_ring(g), "doorbell");
		for (uint32_t i = 0; i < n; i++) {
			while (!qg_take(g, &cpl))
				sched_yield();
			FCHECK(cpl.tag == want && cpl.status == QACC_ST_OK,
			       "completion %u: tag 0x%llx status %u, wanted "
			       "tag 0x%llx",
			       total, (unsigned long long)cpl.tag, cpl.status,
			       (unsigned long long)want);
			want++;
			total++;
		}
		FCHECK(!qg_ack(g), "CQ_HEAD");
	}
	FCHECK(reg(r, QACC_REG_DONE) - done0 == total, "DONE moved by %u",
	       reg(r, QACC_REG_DONE) - done0);
	FCHECK(reg(r, QACC_REG_SQ_HEAD) == g->sq_tail &&
		       reg(r, QACC_REG_CQ_TAIL) == g->cq_head,
	       "SQ_HEAD %u CQ_TAIL %u, guest at %u/%u",
	       reg(r, QACC_REG_SQ_HEAD), reg(r, QACC_REG_CQ_TAIL), g->sq_tail,
	       g->cq_head);
	return PASS;
}

static bool signalled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static enum result t_interrupts(struct fn_run *r)
{
	struct qacc_guest *g = &r->g;
	struct qacc_cpl cpl;
	struct qacc_desc d;
	eventfd_t v;
	uint64_t n;

	/* Without CTRL.IRQ: completions, and no interrupt. */
	FCHECK(!qg_reg_write(g, QACC_REG_CTRL, QACC_CTRL_ENABLE), "CTRL");
	while (signalled(g->msix_fd))
		eventfd_read(g->msix_fd, &v);
	TRY(run_op(r, desc(QACC_OP_FILL, 8, 1, qg_data_iova(0), 0x400),
		   QACC_ST_OK, NULL));
	FCHECK(!signalled(g->msix_fd), "MSI-X signalled with CTRL.IRQ clear");
	/* With it: the vector fires after the completion is in memory. */
	FCHECK(!qg_reg_write(g, QACC_REG_CTRL,
			     QACC_CTRL_ENABLE | QACC_CTRL_IRQ),
	       "CTRL");
	d = desc(QACC_OP_FILL, 8, 2, qg_data_iova(0), 0x401);
	qg_put(g, &d);
	FCHECK(!qg_ring(g), "doorbell");
	FCHECK(!qg_wait_irq(g, &n) && n >= 1, "no MSI-X");
	FCHECK(qg_take(g, &cpl) && cpl.tag == 0x401,
	       "the interrupt came before its completion");
	FCHECK(!qg_ack(g), "CQ_HEAD");
	return PASS;
}

static enum result t_dma_outside(struct fn_run *r)
{
	uint8_t *dst = qg_data(&r->g, 0);
	const uint64_t end = QG_IOVA + QG_MEM_SIZE;

	memset(dst, 0x5a, 4096);
	/* Source, destination, and a range running off the mapping. */
	TRY(run_op(r, desc(QACC_OP_COPY, 4096, 0x1000, qg_data_iova(0), 0x500),
		   QACC_ST_DMA_ERROR, NULL));
	TRY(run_op(r, desc(QACC_OP_COPY, 4096, qg_data_iova(0), end, 0x501),
		   QACC_ST_DMA_ERROR, NULL));
	TRY(run_op(r, desc(QACC_OP_FILL, 8192, 7, end - 4096, 0x502),
		   QACC_ST_DMA_ERROR, NULL));
	TRY(run_op(r, desc(QACC_OP_CRC32C, 8192, end - 4096, 0, 0x503),
		   QACC_ST_DMA_ERROR, NULL));
	for (int i = 0; i < 4096; i++)
		FCHECK(dst[i] == 0x5a, "a refused op wrote byte %d", i);
	FCHECK((reg(r, QACC_REG_STATUS) & QACC_STATUS_READY),
	       "the queue stopped after a refused buffer");
	return PASS;
}

static enum result t_bad_descriptors(struct fn_run *r)
{
	struct qacc_desc d;
	uint64_t iova = qg_data_iova(0);

	TRY(run_op(r, desc(0, 8, iova, iova, 0x600), QACC_ST_BAD_OPCODE, NULL));
	TRY(run_op(r, desc(4, 8, iova, iova, 0x601), QACC_ST_BAD_OPCODE, NULL));
	TRY(run_op(r, desc(0xff, 8, iova, iova, 0x602), QACC_ST_BAD_OPCODE,
		   NULL));
	TRY(run_op(r, desc(QACC_OP_COPY, 0, iova, iova, 0x603),
		   QACC_ST_BAD_FIELD, NULL));
	TRY(run_op(r, desc(QACC_OP_COPY, QACC_MAX_LEN + 1, iova, iova, 0x604),
		   QACC_ST_BAD_FIELD, NULL));
	TRY(run_op(r, desc(QACC_OP_CRC32C, 8, iova, iova, 0x605),
		   QACC_ST_BAD_FIELD, NULL));
	d = desc(QACC_OP_FILL, 8, 0, iova, 0x606);
	d.flags = 1;
	TRY(run_op(r, d, QACC_ST_BAD_FIELD, NULL));
	d = desc(QACC_OP_FILL, 8, 0, iova, 0x607);
	d.rsvd = 1;
	TRY(run_op(r, d, QACC_ST_BAD_FIELD, NULL));
	/* And the queue goes on. */
	TRY(run_op(r, desc(QACC_OP_FILL, 8, 0, iova, 0x608), QACC_ST_OK, NULL));
	return PASS;
}

/* A doorbell beyond the ring halts the queue; a disable recovers it. */
static enum result t_bad_doorbell(struct fn_run *r)
{
	struct qacc_guest *g = &r->g;

	FCHECK(!qg_reg_write(g, QACC_REG_SQ_TAIL, QSIZE), "doorbell");
	FCHECK(reg(r, QACC_REG_STATUS) ==
		       (QACC_STATUS_ERROR | QACC_STATUS_IDLE),
	       "STATUS 0x%x after doorbell %u", reg(r, QACC_REG_STATUS), QSIZE);
	FCHECK(!qg_reg_write(g, QACC_REG_CTRL, 0), "CTRL");
	FCHECK(reg(r, QACC_REG_STATUS) == QACC_STATUS_IDLE,
	       "STATUS 0x%x after disable", reg(r, QACC_REG_STATUS));
	FCHECK(reg(r, QACC_REG_SQ_HEAD) == 0 && reg(r, QACC_REG_CQ_TAIL) == 0,
	       "disable left ring positions");
	memset((uint8_t *)g->mem.addr + QG_CQ_OFF, 0, QSIZE * QACC_CPL_SIZE);
	g->sq_tail = g->cq_head = 0;
	g->phase = 1;
	FCHECK(!qg_reg_write(g, QACC_REG_CTRL,
			     QACC_CTRL_ENABLE | QACC_CTRL_IRQ),
	       "CTRL");
	TRY(run_op(r, desc(QACC_OP_FILL, 8, 0, qg_data_iova(0), 0x700),
		   QACC_ST_OK, NULL));
	return PASS;
}

static const struct {
	const char *name;
	enum result (*fn)(struct fn_run *r);
} fn_tests[] = {
	{ "registers and setup", t_registers },
	{ "copy", t_copy },
	{ "fill", t_fill },
	{ "CRC32C against a software CRC", t_crc32c },
	{ "rings wrap, tags in order", t_ring_wrap },
	{ "MSI-X completion interrupts", t_interrupts },
	{ "DMA refused outside the mappings", t_dma_outside },
	{ "bad descriptors completed with errors", t_bad_descriptors },
	{ "a doorbell beyond the ring halts the queue", t_bad_doorbell },
};

#define NR_FN_TESTS ARRAY_SIZE(fn_tests)

static void *fn_main(void *arg)
{
	struct fn_run *r = arg;
	bool failed = false;

	cur = r;
	for (size_t i = 0; i < NR_FN_TESTS; i++) {
		r->res[i] = failed ? FAIL : fn_tests[i].fn(r);
		failed |= r->res[i] == FAIL && i == 0;
	}
	qg_teardown(&r->g);
	uvfio_client_buffer_free(&r->g.mem);
	return NULL;
}

/* ---- SR-IOV through the PF ---- */

static char vf_path[NR_VFS][300];

static bool exists(const char *name)
{
	struct stat st;

	return !stat(name + strlen("unix:"), &st);
}

static enum result t_enable(struct uvfio_client *pf)
{
	int ret = qg_set_numvfs(pf, NR_VFS);

	CHECK(!ret, "SRIOV_NUMVFS %u: %s", NR_VFS, strerror(-ret));
	for (int i = 0; i < NR_VFS; i++)
		CHECK(exists(vf_path[i]), "%s does not exist", vf_path[i]);
	return PASS;
}

static enum result t_token(const char *token)
{
	char wrong[37];
	struct uvfio_client *c;
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, wrong);
	c = qg_open(vf_path[0], NULL);
	CHECK(!c && errno == EACCES, "VF opened without a token: %s",
	      strerror(errno));
	c = qg_open(vf_path[0], wrong);
	CHECK(!c && errno == EACCES, "VF opened with a wrong token: %s",
	      strerror(errno));
	(void)token;
	return PASS;
}

static enum result t_numvfs_answers(struct uvfio_client *pf)
{
	int ret;

	ret = qg_set_numvfs(pf, NR_VFS);
	CHECK(ret == 0, "the same count again: %s", strerror(-ret));
	ret = qg_set_numvfs(pf, 2);
	CHECK(ret == -EBUSY, "another count while enabled: %s", strerror(-ret));
	ret = qg_set_numvfs(pf, NR_VFS + 1);
	CHECK(ret == -ERANGE, "beyond TotalVFs: %s", strerror(-ret));
	ret = qg_set_numvfs(pf, 0);
	CHECK(ret == -EBUSY, "disabling open VFs: %s", strerror(-ret));
	return PASS;
}

static enum result t_disable(struct uvfio_client *pf)
{
	int ret;

	/*
	 * A client's close reaches the server when its worker sees the
	 * hangup: until then the VF is open, and disabling is refused, as
	 * the kernel's waits for the VF's users.
	 */
	while ((ret = qg_set_numvfs(pf, 0)) == -EBUSY)
		sleep_1ms();

	CHECK(!ret, "disabling closed VFs: %s", strerror(-ret));
	for (int i = 0; i < NR_VFS; i++)
		CHECK(!exists(vf_path[i]), "%s is still there", vf_path[i]);
	CHECK(!qg_open(vf_path[0], NULL), "a VF opened after disable");
	return PASS;
}

int main(int argc, char **argv)
{
	struct fn_run runs[NR_FNS] = { 0 };
	pthread_t threads[NR_FNS];
	unsigned int n = 0, failed = 0;
	struct uvfio_client *pf;
	char token[37];
	size_t base;
	enum result r;
	uuid_t u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || strncmp(argv[1], "unix:", 5) ||
	    (base = strlen(argv[1])) < 10 ||
	    strcmp(argv[1] + base - 5, ".sock")) {
		fprintf(stderr, "usage: qacc-suite unix:DIR/NAME.sock\n");
		return 2;
	}
	for (int i = 0; i < NR_VFS; i++)
		snprintf(vf_path[i], sizeof(vf_path[i]), "%.*s-vf%d.sock",
			 (int)(base - 5), argv[1], i);
	printf("1..%zu\n", 4 + NR_FNS * NR_FN_TESTS);
	uuid_generate_random(u);
	uuid_unparse_lower(u, token);
	/* No VF is open: the PF's user sets the token by presenting it. */
	pf = qg_open(argv[1], token);
	if (!pf) {
		printf("Bail out! %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = t_enable(pf);
	tap_result(++n, "enable 4 VFs through the PF", r, NULL);
	failed += r == FAIL;
	r = r == PASS ? t_token(token) : FAIL;
	tap_result(++n, "VFs refuse a missing or wrong token", r, NULL);
	failed += r == FAIL;

	snprintf(runs[0].label, sizeof(runs[0].label), "pf");
	runs[0].c = pf;
	for (int i = 1; i < NR_FNS; i++) {
		snprintf(runs[i].label, sizeof(runs[i].label), "vf%d", i - 1);
		runs[i].c = qg_open(vf_path[i - 1], token);
		if (!runs[i].c) {
			printf("Bail out! %s: %s\n", vf_path[i - 1],
			       strerror(errno));
			return 1;
		}
	}
	for (int i = 0; i < NR_FNS; i++) {
		runs[i].seed = 0x9e3779b97f4a7c15ull * (unsigned int)(i + 1);
		pthread_create(&threads[i], NULL, fn_main, &runs[i]);
	}
	for (int i = 0; i < NR_FNS; i++)
		pthread_join(threads[i], NULL);
	for (int i = 0; i < NR_FNS; i++) {
		fwrite(runs[i].log, 1, runs[i].log_len, stdout);
		for (size_t t = 0; t < NR_FN_TESTS; t++) {
			char name[128];

			snprintf(name, sizeof(name), "%.7s: %.100s",
				 runs[i].label, fn_tests[t].name);
			tap_result(++n, name, runs[i].res[t], NULL);
			failed += runs[i].res[t] == FAIL;
		}
	}

	r = t_numvfs_answers(pf);
	tap_result(++n, "sriov_numvfs answers as the kernel's", r, NULL);
	failed += r == FAIL;
	for (int i = 1; i < NR_FNS; i++)
		uvfio_client_close(runs[i].c);
	r = t_disable(pf);
	tap_result(++n, "closed VFs go, with their sockets", r, NULL);
	failed += r == FAIL;
	uvfio_client_close(pf);
	return failed ? 1 : 0;
}
