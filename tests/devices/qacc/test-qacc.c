// SPDX-License-Identifier: MIT
/*
 * qacc in-process, through the device core's calls as a transport makes
 * them: the PF and its VFs, the admin queue, and a VF's migration, its
 * stream refused whenever it holds a queue no guest could have made.
 * (tests/devices/qacc-suite.c drives qacc over vfio-user, and
 * qacc-migrate.c migrates a VF under load between two uvfiods.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/dma.h>
#include <uvfio/pci.h>

#include "../device-test.h"
#include "qacc/qacc-internal.h"

#define BAR0 UVFIO_PCI_BAR0_REGION_INDEX
#define CONFIG UVFIO_PCI_CONFIG_REGION_INDEX
#define RAM_SIZE (1u << 20)
#define IOVA 0x40000000ull
#define SQ 0x0
#define CQ 0x8000
#define DATA 0x10000
#define QSIZE 8
#define READ_PIECE 13
#define NR_REGS 14 /* 4-byte registers 0x00 to 0x34 */

struct fx {
	struct uvfio_pci *pf;
	struct uvfio_device *vf[2];
	struct dev_log log[2];
	int memfd;
	uint8_t *ram;
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pf = qacc_new("acc", 2);
	assert_non_null(f->pf);
	uvfio_device_set_log(uvfio_pci_device(f->pf), NULL, NULL, 0);
	assert_int_equal(uvfio_pci_sriov_configure(f->pf, 2), 0);
	f->ram = guest_ram(RAM_SIZE, &f->memfd);
	/* Both VFs see the same guest memory, as a migration's two sides. */
	for (int i = 0; i < 2; i++) {
		f->vf[i] = uvfio_pci_device(uvfio_pci_sriov_vf(f->pf, i));
		dev_log_attach(f->vf[i], &f->log[i]);
		assert_int_equal(uvfio_dma_map(uvfio_device_dma(f->vf[i]), IOVA,
					       RAM_SIZE,
					       UVFIO_DMA_READ | UVFIO_DMA_WRITE,
					       f->memfd, 0),
				 0);
	}
	return f;
}

static void fx_free(struct fx *f)
{
	uvfio_pci_destroy(f->pf);
	guest_ram_free(f->ram, RAM_SIZE, f->memfd);
	free(f);
}

static int setup(void **state)
{
	*state = fx_new();
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* ---- helpers ---- */

static uint32_t reg(struct uvfio_device *dev, uint64_t off)
{
	return (uint32_t)region_rd(dev, BAR0, off, 4);
}

static void set_reg(struct uvfio_device *dev, uint64_t off, uint32_t v)
{
	region_wr(dev, BAR0, off, 4, v);
}

static void read_regs(struct uvfio_device *dev, uint32_t *regs)
{
	for (int i = 0; i < NR_REGS; i++)
		regs[i] = reg(dev, 4 * (uint64_t)i);
}

static void assert_regs(struct uvfio_device *dev, const uint32_t *regs)
{
	uint32_t now[NR_REGS];

	read_regs(dev, now);
	assert_memory_equal(now, regs, sizeof(now));
}

static void idle(struct uvfio_device *dev)
{
	qacc_engine_wait_idle(uvfio_pci_priv(uvfio_device_priv(dev)));
}

static void bus_master(struct uvfio_device *dev)
{
	region_wr(dev, CONFIG, 0x04, 2, region_rd(dev, CONFIG, 0x04, 2) | 0x6);
}

static void rings_on(struct fx *f, struct uvfio_device *dev)
{
	memset(f->ram + CQ, 0, QSIZE * QACC_CPL_SIZE);
	bus_master(dev);
	set_reg(dev, QACC_REG_QSIZE, QSIZE);
	region_wr(dev, BAR0, QACC_REG_SQ_BASE, 8, IOVA + SQ);
	region_wr(dev, BAR0, QACC_REG_CQ_BASE, 8, IOVA + CQ);
	set_reg(dev, QACC_REG_CTRL, QACC_CTRL_ENABLE);
	assert_int_equal(reg(dev, QACC_REG_STATUS),
			 QACC_STATUS_READY | QACC_STATUS_IDLE);
}

/* A FILL of 64 bytes of @tag's pattern into its own slot, at @slot. */
static void put_fill(struct fx *f, unsigned int slot, uint64_t tag)
{
	struct qacc_desc d = {
		.opcode = QACC_OP_FILL,
		.len = 64,
		.src = tag * 0x0101010101010101ull,
		.dst = IOVA + DATA + 64 * tag,
		.tag = tag,
	};

	memcpy(f->ram + SQ + slot * QACC_DESC_SIZE, &d, sizeof(d));
}

static void assert_cpl(struct fx *f, unsigned int slot, uint64_t tag,
		       uint16_t phase)
{
	struct qacc_cpl c;

	memcpy(&c, f->ram + CQ + slot * QACC_CPL_SIZE, sizeof(c));
	assert_int_equal(c.tag, tag);
	assert_int_equal(c.status, QACC_ST_OK);
	assert_int_equal(c.phase, phase);
	for (int i = 0; i < 64; i++)
		assert_int_equal(f->ram[DATA + 64 * tag + i], (uint8_t)tag);
}

/* ---- the functions ---- */

static int probe(struct uvfio_device *dev, uint16_t feature)
{
	struct uvfio_device_feature fe = {
		.argsz = sizeof(fe),
		.flags = UVFIO_DEVICE_FEATURE_PROBE | UVFIO_DEVICE_FEATURE_GET |
			 feature,
	};

	return uvfio_device_feature(dev, &fe);
}

static void test_functions(void **state)
{
	struct fx *f = *state;
	struct uvfio_device *pf = uvfio_pci_device(f->pf);
	struct qacc_admin_cmd cmd = { .op = QACC_ADMIN_SUSPEND_VF, .vf = 2 };
	uint64_t flags;

	/* The PF does not migrate; its VFs do, through it. */
	assert_int_equal(probe(pf, UVFIO_DEVICE_FEATURE_MIGRATION), -ENOTTY);
	assert_int_equal(probe(f->vf[0], UVFIO_DEVICE_FEATURE_MIGRATION), 0);
	flags = feature_u64(f->vf[0], UVFIO_DEVICE_FEATURE_MIGRATION);
	assert_int_equal(flags, UVFIO_MIGRATION_STOP_COPY |
					UVFIO_MIGRATION_P2P |
					UVFIO_MIGRATION_PRE_COPY);
	assert_int_equal(region_rd(f->vf[0], CONFIG, 0x00, 4), 0x51441234);
	assert_int_equal(region_rd(f->vf[0], CONFIG, 0x3d, 1), 0); /* no INTx */
	assert_int_equal(reg(f->vf[1], QACC_REG_ID), QACC_ID_VALUE);
	/* The admin queue names VFs that exist, and is the PF's alone. */
	assert_int_equal(qacc_admin_exec(uvfio_pci_priv(f->pf), &cmd), -ENODEV);
	cmd.vf = 0;
	assert_int_equal(qacc_admin_exec(uvfio_pci_priv(uvfio_pci_of(f->vf[0])),
					 &cmd),
			 -EOPNOTSUPP);
}

/* Work rung while stopped waits; the destination does it, once. */
static void test_mig_round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t stream[STREAM_MAX];
	uint32_t regs[NR_REGS];
	size_t len;

	rings_on(f, f->vf[0]);
	put_fill(f, 0, 1);
	put_fill(f, 1, 2);
	set_reg(f->vf[0], QACC_REG_SQ_TAIL, 2);
	idle(f->vf[0]);
	assert_int_equal(reg(f->vf[0], QACC_REG_DONE), 2);

	mig_go(f->vf[0], ST_STOP);
	for (unsigned int i = 2; i < 5; i++)
		put_fill(f, i, i + 1);
	set_reg(f->vf[0], QACC_REG_SQ_TAIL, 5);
	idle(f->vf[0]);
	assert_int_equal(reg(f->vf[0], QACC_REG_SQ_HEAD), 2);
	assert_int_equal(reg(f->vf[0], QACC_REG_STATUS),
			 QACC_STATUS_READY | QACC_STATUS_IDLE);
	read_regs(f->vf[0], regs);
	len = mig_save(f->vf[0], stream, READ_PIECE);

	bus_master(f->vf[1]);
	mig_load(f->vf[1], stream, len);
	assert_regs(f->vf[1], regs);
	mig_go(f->vf[1], ST_RUNNING);
	idle(f->vf[1]);
	assert_int_equal(reg(f->vf[1], QACC_REG_SQ_HEAD), 5);
	assert_int_equal(reg(f->vf[1], QACC_REG_CQ_TAIL), 5);
	assert_int_equal(reg(f->vf[1], QACC_REG_DONE), 5);
	for (unsigned int i = 0; i < 5; i++)
		assert_cpl(f, i, i + 1, 1);
	/* The source, stopped, did none of them. */
	mig_go(f->vf[0], ST_STOP);
	assert_int_equal(reg(f->vf[0], QACC_REG_DONE), 2);
}

/* RUNNING_P2P and PRE_COPY_P2P take MMIO but no work. */
static void test_mig_p2p(void **state)
{
	struct fx *f = *state;

	rings_on(f, f->vf[0]);
	mig_go(f->vf[0], ST_RUNNING_P2P);
	put_fill(f, 0, 1);
	set_reg(f->vf[0], QACC_REG_SQ_TAIL, 1);
	idle(f->vf[0]);
	assert_int_equal(reg(f->vf[0], QACC_REG_SQ_TAIL), 1);
	assert_int_equal(reg(f->vf[0], QACC_REG_SQ_HEAD), 0);
	mig_go(f->vf[0], ST_RUNNING);
	idle(f->vf[0]);
	assert_int_equal(reg(f->vf[0], QACC_REG_SQ_HEAD), 1);
	assert_cpl(f, 0, 1, 1);

	mig_go(f->vf[0], ST_PRE_COPY);
	mig_go(f->vf[0], ST_PRE_COPY_P2P);
	put_fill(f, 1, 2);
	set_reg(f->vf[0], QACC_REG_SQ_TAIL, 2);
	idle(f->vf[0]);
	assert_int_equal(reg(f->vf[0], QACC_REG_SQ_HEAD), 1);
}

/* Pre-copy: the queue, then again when it changed. */
static void test_mig_precopy(void **state)
{
	struct fx *f = *state;
	uint8_t buf[STREAM_MAX];

	rings_on(f, f->vf[0]);
	mig_go(f->vf[0], ST_PRE_COPY);
	assert_true(mig_read(f->vf[0], buf, sizeof(buf), READ_PIECE) > 64);
	assert_int_equal(mig_precopy_dirty(f->vf[0]), 0);
	put_fill(f, 0, 1);
	set_reg(f->vf[0], QACC_REG_SQ_TAIL, 1);
	idle(f->vf[0]);
	assert_true(mig_precopy_dirty(f->vf[0]) > 0);
	assert_true(mig_read(f->vf[0], buf, sizeof(buf), READ_PIECE) > 64);
	assert_int_equal(mig_precopy_dirty(f->vf[0]), 0);
}

/* ---- refused streams ---- */

struct kept {
	struct uvfio_device *dev;
	uint32_t regs[NR_REGS];
};

static void assert_kept(void *opaque)
{
	struct kept *k = opaque;

	assert_regs(k->dev, k->regs);
}

/*
 * VF 0's stream, its queue enabled, busy and wrapped.  VF 1, the
 * destination, is as at power-on, which is also what the reset that ends
 * a refused load leaves (an FLR empties the queue).
 */
static size_t busy_stream(struct fx *f, uint8_t *stream, uint8_t *queue)
{
	struct sec secs[4];
	size_t len;

	rings_on(f, f->vf[0]);
	for (unsigned int i = 0; i < QSIZE + 3; i++) {
		put_fill(f, i % QSIZE, i + 1);
		set_reg(f->vf[0], QACC_REG_SQ_TAIL, (i + 1) % QSIZE);
		idle(f->vf[0]);
		set_reg(f->vf[0], QACC_REG_CQ_HEAD, (i + 1) % QSIZE);
	}
	len = mig_save(f->vf[0], stream, READ_PIECE);
	/* The queue, then END. */
	assert_int_equal(parse(stream, len, secs, 4), 2);
	assert_int_equal(secs[0].type, QACC_SEC_QUEUE);
	assert_int_equal(secs[0].len, QACC_QUEUE_WIRE);
	memcpy(queue, secs[0].data, QACC_QUEUE_WIRE);
	return len;
}

static void test_mig_corruption(void **state)
{
	struct fx *f = *state;
	static uint8_t stream[STREAM_MAX];
	uint8_t queue[QACC_QUEUE_WIRE];
	struct refusal r;
	struct kept k = { .dev = f->vf[1] };
	size_t len = busy_stream(f, stream, queue);

	read_regs(f->vf[1], k.regs);
	refusal_init(&r, f->vf[1], &f->log[1], READ_PIECE, assert_kept, &k);
	refused_corruptions(&r, stream, len);
	assert_int_equal(r.count, 4 * len + 1);
	refusal_free(&r);
	mig_load(f->vf[1], stream, len);
}

static void test_mig_bad_values(void **state)
{
	static const struct {
		unsigned int off, size;
		uint64_t value;
		const char *says;
	} bad[] = {
		{ 0, 4, 0x4 | QACC_CTRL_ENABLE, "unknown control bits" },
		{ 4, 4, 3, "ring size not a power of two" },
		{ 4, 4, 8192, "ring size not a power of two" },
		{ 4, 4, 1, "ring size not a power of two" },
		{ 8, 8, IOVA + SQ + 8, "misaligned or wrap" },
		{ 16, 8, IOVA + CQ + 4, "misaligned or wrap" },
		{ 16, 8, ~0ull << 4, "misaligned or wrap" },
		{ 24, 4, QSIZE, "a ring position beyond the ring" },
		{ 28, 4, 100, "a ring position beyond the ring" },
		{ 32, 4, QSIZE, "a ring position beyond the ring" },
		{ 36, 4, ~0u, "a ring position beyond the ring" },
		{ 40, 4, 2, "phase or error flag not 0 or 1" },
		{ 44, 4, 7, "phase or error flag not 0 or 1" },
		{ 56, 8, 1, "reserved bytes set" },
		/* Disabled, but with ring positions. */
		{ 0, 4, 0, "a disabled queue with ring positions" },
	};
	struct fx *f = *state;
	static uint8_t stream[STREAM_MAX];
	static struct builder b;
	uint8_t queue[QACC_QUEUE_WIRE], v[QACC_QUEUE_WIRE + 1];
	struct refusal r;
	struct kept k = { .dev = f->vf[1] };

	busy_stream(f, stream, queue);
	/* The stream has the queue at positions other than 0. */
	assert_true(le(queue + 28, 4) != 0);
	read_regs(f->vf[1], k.regs);
	refusal_init(&r, f->vf[1], &f->log[1], READ_PIECE, assert_kept, &k);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memcpy(v, queue, sizeof(queue));
		put_le(v + bad[i].off, bad[i].value, bad[i].size);
		build_start(&b, stream);
		build_data(&b, QACC_SEC_QUEUE, UVFIO_MIG_FINAL, v,
			   QACC_QUEUE_WIRE);
		build_end(&b);
		refused_saying(&r, b.s, b.len, bad[i].says);
	}
	/* Sections of the wrong length or type, and none (the core's). */
	memcpy(v, queue, sizeof(queue));
	build_start(&b, stream);
	build_data(&b, QACC_SEC_QUEUE, UVFIO_MIG_FINAL, v, QACC_QUEUE_WIRE - 1);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "wrong length");
	build_start(&b, stream);
	build_data(&b, QACC_SEC_QUEUE, UVFIO_MIG_FINAL, v, QACC_QUEUE_WIRE + 1);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "wrong length");
	build_start(&b, stream);
	build_data(&b, 2, UVFIO_MIG_FINAL, v, QACC_QUEUE_WIRE);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "unknown section type 2");
	build_start(&b, stream);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "the stream holds no FINAL state");
	refusal_free(&r);
}

/* ---- the admin queue ---- */

static void test_admin_load(void **state)
{
	struct fx *f = *state;
	struct qacc_fn *pf = uvfio_pci_priv(f->pf);
	uint8_t wire[QACC_QUEUE_WIRE];
	struct qacc_admin_cmd save = { .op = QACC_ADMIN_SAVE_VF,
				       .vf = 0,
				       .data = wire,
				       .len = sizeof(wire) };
	struct qacc_admin_cmd load = { .op = QACC_ADMIN_LOAD_VF,
				       .vf = 1,
				       .data = wire,
				       .len = sizeof(wire) };
	struct qacc_admin_cmd suspend = { .op = QACC_ADMIN_SUSPEND_VF,
					  .vf = 1 };

	rings_on(f, f->vf[0]);
	assert_int_equal(qacc_admin_exec(pf, &save), 0);
	assert_int_equal(save.len, QACC_QUEUE_WIRE);
	/* A running VF's queue is not replaced under its engine. */
	assert_int_equal(qacc_admin_exec(pf, &load), -EBUSY);
	assert_int_equal(qacc_admin_exec(pf, &suspend), 0);
	assert_int_equal(qacc_admin_exec(pf, &load), 0);
	assert_int_equal(reg(f->vf[1], QACC_REG_CTRL), QACC_CTRL_ENABLE);
	/* Nor with a queue no guest could have made. */
	wire[4] = 3;
	assert_int_equal(qacc_admin_exec(pf, &load), -EINVAL);
	save.len = QACC_QUEUE_WIRE - 1;
	assert_int_equal(qacc_admin_exec(pf, &save), -ENOSPC);
}

/* A reset ends a stop: the queue is as at power-on and runs. */
static void test_reset(void **state)
{
	struct fx *f = *state;

	rings_on(f, f->vf[0]);
	mig_go(f->vf[0], ST_STOP);
	assert_int_equal(uvfio_device_reset(f->vf[0]), 0);
	assert_int_equal(uvfio_migration_state(f->vf[0]), ST_RUNNING);
	assert_int_equal(reg(f->vf[0], QACC_REG_CTRL), 0);
	assert_int_equal(reg(f->vf[0], QACC_REG_QSIZE), QACC_QSIZE_DEFAULT);
	assert_int_equal(reg(f->vf[0], QACC_REG_DONE), 0);
	rings_on(f, f->vf[0]);
	put_fill(f, 0, 1);
	set_reg(f->vf[0], QACC_REG_SQ_TAIL, 1);
	idle(f->vf[0]);
	assert_cpl(f, 0, 1, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_functions),	T(test_mig_round_trip),
		T(test_mig_p2p),	T(test_mig_precopy),
		T(test_mig_corruption), T(test_mig_bad_values),
		T(test_admin_load),	T(test_reset),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
