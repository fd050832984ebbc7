// SPDX-License-Identifier: MIT
/*
 * Fault injection into the device: every callback a device can fail (BAR
 * access, config write, reset, a device feature, and the migration arcs,
 * saves, section loads and commit) fails in turn, one call at a time,
 * while a client drives the device over vfio-user through a session that
 * reaches every one of them: register access, a reset, a feature, and a
 * migration with pre-copy from one device to another.
 *
 * For the Nth callback of the session failing, for every N:
 *   - the client call during which it failed returns an error: no
 *     failure is swallowed;
 *   - the destination holds its own registers, or none (reset), or the
 *     source's as saved, and the last only if it committed the stream:
 *     never part of it (the state is saved in two sections);
 *   - once the client has gone, a new one gets the whole session through
 *     on both devices, and no descriptor is left behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "test-util.h"

#define NREGS 4
#define FLAKY_FEATURE 0x7f00
#define STREAM_MAX 65536

/* The callbacks a device can fail, as counted below. */
enum site {
	SITE_BAR,
	SITE_CONFIG,
	SITE_RESET,
	SITE_FEATURE,
	SITE_ARC,
	SITE_SAVE,
	SITE_LOAD,
	SITE_COMMIT,
	NR_SITES
};

static const char *const site_names[NR_SITES] = {
	"bar_access", "config_write", "reset",	      "feature",
	"arc",	      "save",	      "load_section", "load_commit",
};

/* The steps of a session: which client call a callback ran under. */
enum step {
	STEP_SRC_COMMAND,
	STEP_SRC_RESET,
	STEP_SRC_WRITE,
	STEP_SRC_READ,
	STEP_FEATURE_SET,
	STEP_FEATURE_GET,
	STEP_PRE_COPY,
	STEP_PRE_COPY_READ,
	STEP_STOP_COPY,
	STEP_STOP_COPY_READ,
	STEP_SRC_STOP,
	STEP_DST_COMMAND,
	STEP_DST_WRITE,
	STEP_RESUMING,
	STEP_STREAM_WRITE,
	STEP_DST_RUNNING,
	STEP_DST_READ,
	STEP_SRC_RUNNING,
	NR_STEPS,
	STEP_NONE = NR_STEPS /* between sessions: closing, checking */
};

/*
 * The injector.  Callbacks run in the server's threads, one at a time:
 * each waits for the client call that causes it.
 */
static struct {
	int calls;   /* fallible callbacks so far */
	int fail_at; /* the call that fails (1 = first); 0: none */
	int step;    /* the client call under way */
	int failed_step, failed_site;
	unsigned int sites_failed; /* bit per site, over the whole test */
} inj;

static int fault(enum site site)
{
	int n = __atomic_add_fetch(&inj.calls, 1, __ATOMIC_SEQ_CST);

	if (n != inj.fail_at)
		return 0;
	inj.failed_step = __atomic_load_n(&inj.step, __ATOMIC_SEQ_CST);
	inj.failed_site = (int)site;
	inj.sites_failed |= 1u << site;
	return -EIO;
}

/* ---- The device: 4 registers in BAR 0, saved in two sections ---- */

struct flaky {
	uint32_t regs[NREGS];
	uint32_t staged[NREGS];
	unsigned int staged_mask; /* bit 0: regs 0-1 staged, bit 1: 2-3 */
	uint32_t saved[NREGS];	  /* what the last FINAL save put out */
	uint32_t feature;
};

static struct flaky *flaky_of(struct uvfio_device *dev)
{
	return uvfio_pci_priv(uvfio_device_priv(dev));
}

static ssize_t flaky_bar(struct uvfio_pci *pci, unsigned int bar, uint64_t off,
			 void *buf, size_t len, bool is_write)
{
	struct flaky *f = uvfio_pci_priv(pci);
	int ret = fault(SITE_BAR);

	(void)bar;
	if (ret)
		return ret;
	if (is_write)
		memcpy((uint8_t *)f->regs + off, buf, len);
	else
		memcpy(buf, (uint8_t *)f->regs + off, len);
	return (ssize_t)len;
}

static int flaky_config_write(struct uvfio_pci *pci, unsigned int off,
			      const void *buf, size_t len)
{
	(void)pci, (void)off, (void)buf, (void)len;
	return fault(SITE_CONFIG); /* 0: the core applies the write */
}

static int flaky_reset(struct uvfio_pci *pci)
{
	struct flaky *f = uvfio_pci_priv(pci);
	int ret = fault(SITE_RESET);

	if (!ret)
		memset(f->regs, 0, sizeof(f->regs));
	return ret;
}

static void flaky_release(struct uvfio_pci *pci)
{
	free(uvfio_pci_priv(pci));
}

static const struct uvfio_pci_ops flaky_pci_ops = {
	.bar_access = flaky_bar,
	.config_write = flaky_config_write,
	.reset = flaky_reset,
	.release = flaky_release,
};

static int flaky_feature(struct uvfio_device *dev, uint32_t flags, void *data,
			 size_t size, void *opaque)
{
	struct flaky *f = flaky_of(dev);
	int ret = fault(SITE_FEATURE);

	(void)size, (void)opaque;
	if (ret)
		return ret;
	if (flags & UVFIO_DEVICE_FEATURE_SET)
		memcpy(&f->feature, data, 4);
	else
		memcpy(data, &f->feature, 4);
	return 0;
}

static int flaky_arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		     enum uvfio_device_mig_state to)
{
	(void)dev, (void)from, (void)to;
	return fault(SITE_ARC);
}

static int flaky_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		      enum uvfio_mig_phase phase)
{
	struct flaky *f = flaky_of(dev);
	int ret = fault(SITE_SAVE);

	if (!ret)
		ret = uvfio_mig_put_section(s, 1, f->regs, 8);
	if (!ret)
		ret = uvfio_mig_put_section(s, 2, f->regs + 2, 8);
	if (!ret && phase == UVFIO_MIG_FINAL)
		memcpy(f->saved, f->regs, sizeof(f->saved));
	return ret;
}

static uint64_t flaky_state_size(struct uvfio_device *dev)
{
	(void)dev;
	return sizeof(((struct flaky *)NULL)->regs);
}

static int flaky_load_section(struct uvfio_device *dev, uint16_t type,
			      enum uvfio_mig_phase phase, const void *data,
			      size_t len)
{
	struct flaky *f = flaky_of(dev);
	int ret = fault(SITE_LOAD);

	(void)phase;
	if (ret)
		return ret;
	if ((type != 1 && type != 2) || len != 8)
		return -EINVAL;
	memcpy(f->staged + 2 * (type - 1), data, 8);
	f->staged_mask |= type;
	return 0;
}

static int flaky_load_commit(struct uvfio_device *dev)
{
	struct flaky *f = flaky_of(dev);
	int ret = fault(SITE_COMMIT);

	if (ret)
		return ret;
	if (f->staged_mask != 3)
		return -EINVAL;
	memcpy(f->regs, f->staged, sizeof(f->regs));
	f->staged_mask = 0;
	return 0;
}

static void flaky_load_abort(struct uvfio_device *dev)
{
	flaky_of(dev)->staged_mask = 0;
}

static const struct uvfio_migration_ops flaky_mig_ops = {
	.flags = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		 UVFIO_MIGRATION_PRE_COPY,
	.arc = flaky_arc,
	.save = flaky_save,
	.state_size = flaky_state_size,
	.load_section = flaky_load_section,
	.load_commit = flaky_load_commit,
	.load_abort = flaky_load_abort,
};

static struct uvfio_pci *flaky_new(const char *name)
{
	static const struct uvfio_pci_ids ids = { 0x1af4, 0x10f0,   0x1af4,
						  0x0001, 0xff0000, 1 };
	static const struct uvfio_mig_identity id = { 0x1af4,	0x10f0, 0x1af4,
						      0x0001,	1,	"flaky",
						      "flaky-1" };
	struct flaky *f = calloc(1, sizeof(*f));
	struct uvfio_pci *pci;
	struct uvfio_device *dev;

	assert_non_null(f);
	pci = uvfio_pci_new(name, &flaky_pci_ops, f, &ids,
			    UVFIO_PCI_CONFIG_SIZE);
	assert_non_null(pci);
	dev = uvfio_pci_device(pci);
	uvfio_device_set_log(dev, NULL, NULL, 0);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 16, 0), 0);
	assert_true(uvfio_pci_add_pm(pci) > 0); /* a reset method */
	assert_int_equal(
		uvfio_device_add_feature(dev, FLAKY_FEATURE,
					 UVFIO_DEVICE_FEATURE_GET |
						 UVFIO_DEVICE_FEATURE_SET,
					 4, flaky_feature, NULL),
		0);
	assert_int_equal(uvfio_migration_init(dev, &flaky_mig_ops, &id), 0);
	assert_int_equal(uvfio_pci_realize(pci), 0);
	return pci;
}

/* ---- The session ---- */

struct fixture {
	char dir[64];
	char path[2][96];
	struct uvfio_pci *pci[2]; /* source, destination */
	struct uvfio_device *dev[2];
	struct uvfio_server *srv;
	/* Descriptors while a session's clients are in: the server has
	 * dropped all earlier ones by then, so the count is exact. */
	int fds;
};

static const uint32_t src_values[NREGS] = { 0x11111111, 0x22222222, 0x33333333,
					    0x44444444 };
static const uint32_t dst_values[NREGS] = { 0xd0d0d0d0, 0xd1d1d1d1, 0xd2d2d2d2,
					    0xd3d3d3d3 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	test_mkdtemp(f->dir, sizeof(f->dir), "cbfault");
	f->pci[0] = flaky_new("src");
	f->pci[1] = flaky_new("dst");
	for (int i = 0; i < 2; i++)
		f->dev[i] = uvfio_pci_device(f->pci[i]);
	f->srv = test_serve(NULL, f->dir, f->dev, f->path, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uvfio_server_destroy(f->srv);
	for (int i = 0; i < 2; i++)
		uvfio_pci_destroy(f->pci[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void begin(int step)
{
	__atomic_store_n(&inj.step, step, __ATOMIC_SEQ_CST);
}

static int set_command(struct uvfio_client *c)
{
	uint16_t cmd = 0x2; /* memory space */
	ssize_t n = uvfio_client_region_write(c, UVFIO_PCI_CONFIG_REGION_INDEX,
					      0x4, &cmd, 2);

	return n == 2 ? 0 : (int)n;
}

static int regs_io(struct uvfio_client *c, uint32_t *regs, bool is_write)
{
	ssize_t n = is_write ? uvfio_client_region_write(c, 0, 0, regs, 16) :
			       uvfio_client_region_read(c, 0, 0, regs, 16);

	return n == 16 ? 0 : (int)n;
}

static int feature(struct uvfio_client *c, uint32_t op, uint32_t *value)
{
	struct {
		struct uvfio_device_feature hdr;
		uint32_t value;
	} fe = { { sizeof(fe), op | FLAKY_FEATURE }, *value };
	int ret = uvfio_client_feature(c, &fe.hdr);

	*value = fe.value;
	return ret < 0 ? ret : 0;
}

/* Read until the device has no more now: 0, or the error. */
static int read_stream(struct uvfio_client *c, uint8_t *buf, size_t *len)
{
	ssize_t n;

	do {
		n = uvfio_client_mig_read(c, buf + *len, STREAM_MAX - *len);
		if (n > 0)
			*len += (size_t)n;
	} while (n > 0 && *len < STREAM_MAX);
	return n < 0 ? (int)n : 0;
}

static int write_stream(struct uvfio_client *c, const uint8_t *buf, size_t len)
{
	ssize_t n = len ? uvfio_client_mig_write(c, buf, len) : 0;

	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

static int set_state(struct uvfio_client *c, enum uvfio_device_mig_state s)
{
	return uvfio_client_mig_set_state(c, s);
}

/* Step STEP_@name: its result in res[], the callbacks it causes marked. */
#define STEP(name, call) (begin(STEP_##name), res[STEP_##name] = (call))

/*
 * One client session over both devices, each step's result in @res (0 or
 * a negative errno); every step runs whatever failed before it.
 */
static void session(struct fixture *f, int res[NR_STEPS])
{
	struct uvfio_client *src = uvfio_client_open(f->path[0], NULL);
	struct uvfio_client *dst = uvfio_client_open(f->path[1], NULL);
	static uint8_t stream[STREAM_MAX];
	uint32_t regs[NREGS], value = 0x5eed;
	size_t len = 0;

	assert_non_null(src);
	assert_non_null(dst);
	if (!f->fds)
		f->fds = test_count_fds();
	assert_int_equal(test_count_fds(), f->fds);
	STEP(SRC_COMMAND, set_command(src));
	STEP(SRC_RESET, uvfio_client_reset(src));
	memcpy(regs, src_values, sizeof(regs));
	STEP(SRC_WRITE, regs_io(src, regs, true));
	STEP(SRC_READ, regs_io(src, regs, false));
	STEP(FEATURE_SET, feature(src, UVFIO_DEVICE_FEATURE_SET, &value));
	STEP(FEATURE_GET, feature(src, UVFIO_DEVICE_FEATURE_GET, &value));
	STEP(PRE_COPY, set_state(src, UVFIO_DEVICE_STATE_PRE_COPY));
	STEP(PRE_COPY_READ, read_stream(src, stream, &len));
	STEP(STOP_COPY, set_state(src, UVFIO_DEVICE_STATE_STOP_COPY));
	STEP(STOP_COPY_READ, read_stream(src, stream, &len));
	STEP(SRC_STOP, set_state(src, UVFIO_DEVICE_STATE_STOP));
	STEP(DST_COMMAND, set_command(dst));
	memcpy(regs, dst_values, sizeof(regs));
	STEP(DST_WRITE, regs_io(dst, regs, true));
	STEP(RESUMING, set_state(dst, UVFIO_DEVICE_STATE_RESUMING));
	STEP(STREAM_WRITE, write_stream(dst, stream, len));
	STEP(DST_RUNNING, set_state(dst, UVFIO_DEVICE_STATE_RUNNING));
	STEP(DST_READ, regs_io(dst, regs, false));
	STEP(SRC_RUNNING, set_state(src, UVFIO_DEVICE_STATE_RUNNING));
	begin(STEP_NONE);
	/* The server ends what the client left: see uvfio_migration_client_gone */
	uvfio_client_close(src);
	uvfio_client_close(dst);
}

/* The registers of @dev, as they stand. */
static void regs_of(struct uvfio_device *dev, uint32_t *regs)
{
	uvfio_device_lock(dev);
	memcpy(regs, flaky_of(dev)->regs, NREGS * 4);
	uvfio_device_unlock(dev);
}

static bool regs_equal(const uint32_t *a, const uint32_t *b)
{
	return !memcmp(a, b, NREGS * 4);
}

/* A session in which nothing fails: everything succeeds, the destination
 * ends with the source's registers. */
static void assert_healthy(struct fixture *f)
{
	int res[NR_STEPS];
	uint32_t regs[NREGS];

	inj.fail_at = 0;
	session(f, res);
	for (int i = 0; i < NR_STEPS; i++) {
		if (res[i])
			print_error("healthy session: step %d: %s\n", i,
				    strerror(-res[i]));
		assert_int_equal(res[i], 0);
	}
	regs_of(f->dev[1], regs);
	assert_true(regs_equal(regs, src_values));
	assert_int_equal(uvfio_migration_state(f->dev[1]),
			 UVFIO_DEVICE_STATE_RUNNING);
}

/*
 * Wait until the server has dropped both clients of the last session (and
 * ended what they left): it takes one client per device at a time, so a
 * new one is let in only then.
 */
static void wait_dropped(struct fixture *f)
{
	struct uvfio_client_opts opts = { .timeout_ms = 10000 };

	for (int i = 0; i < 2; i++) {
		struct uvfio_client *c = uvfio_client_open(f->path[i], &opts);

		assert_non_null(c);
		uvfio_client_close(c);
	}
}

static void test_every_callback_fails_once(void **state)
{
	struct fixture *f = *state;
	int total, res[NR_STEPS];
	static const uint32_t zero[NREGS];

	/* Count the fallible callbacks of one session and its ending. */
	assert_healthy(f);
	wait_dropped(f);
	inj.calls = 0;
	assert_healthy(f);
	wait_dropped(f);
	total = inj.calls;
	assert_true(total > 20);

	for (int k = 1; k <= total; k++) {
		uint32_t dst[NREGS], saved[NREGS];

		inj.calls = 0;
		inj.fail_at = k;
		inj.failed_step = -1;
		memset(res, 0, sizeof(res));
		session(f, res);
		wait_dropped(f);
		assert_true(inj.calls >= k); /* the failure did happen */
		/* It reached the client, unless it was in no client call. */
		if (inj.failed_step != STEP_NONE) {
			if (!res[inj.failed_step])
				print_error("call %d (%s) failed in step %d, "
					    "which succeeded\n",
					    k, site_names[inj.failed_site],
					    inj.failed_step);
			assert_true(res[inj.failed_step] < 0);
		}
		/* The destination holds its own state, none, or the whole
		 * of the source's: the latter only through a commit. */
		regs_of(f->dev[1], dst);
		uvfio_device_lock(f->dev[0]);
		memcpy(saved, flaky_of(f->dev[0])->saved, sizeof(saved));
		uvfio_device_unlock(f->dev[0]);
		if (!res[STEP_DST_RUNNING] && !res[STEP_STREAM_WRITE] &&
		    !res[STEP_RESUMING])
			assert_true(regs_equal(dst, saved));
		else
			assert_true(regs_equal(dst, dst_values) ||
				    regs_equal(dst, zero) ||
				    regs_equal(dst, saved));
		/* Both devices serve a whole session again. */
		inj.fail_at = 0;
		assert_healthy(f);
		wait_dropped(f);
	}
	for (int s = 0; s < NR_SITES; s++) {
		if (!(inj.sites_failed & 1u << s))
			print_error("%s never failed\n", site_names[s]);
		assert_true(inj.sites_failed & 1u << s);
	}
	print_message("%d callbacks failed in turn\n", total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_callback_fails_once,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
