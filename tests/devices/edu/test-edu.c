// SPDX-License-Identifier: MIT
/*
 * The edu device in-process: config space, registers, access sizes,
 * factorial, interrupts (INTx and MSI on eventfds), DMA through fd-mapped
 * and message-based windows, refused DMA, reset, and migration between two
 * instances (round trips, pre-copy, the stop rule, refused streams).
 * Driven through the device core's calls, as a transport would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/dma.h>
#include <uvfio/migration.h>

#include "../device-test.h"
#include "edu/edu.h"

#define BAR0 UVFIO_PCI_BAR0_REGION_INDEX
#define CONFIG UVFIO_PCI_CONFIG_REGION_INDEX
#define INTX UVFIO_PCI_INTX_IRQ_INDEX
#define MSI UVFIO_PCI_MSI_IRQ_INDEX
#define MSIX UVFIO_PCI_MSIX_IRQ_INDEX

#define RW (UVFIO_DMA_READ | UVFIO_DMA_WRITE)
#define IOVA 0x100000ull
#define RAM_SIZE 0x4000
#define MSG_IOVA 0x200000ull

struct fx {
	struct uvfio_pci *pci;
	struct uvfio_device *dev;
	struct uvfio_dma *dma;
	int memfd;
	uint8_t *ram; /* the guest memory mapped at IOVA */
	int intx, msi;
	struct dev_log log;
	/* message-based memory at MSG_IOVA */
	uint8_t msg_mem[2 * 4096];
	unsigned int msg_calls;
	unsigned int msg_fail_at; /* fail the n-th call (1-based), 0 never */
};

static int msg_handler(void *opaque, uint64_t iova, void *buf, size_t len,
		       bool is_write)
{
	struct fx *f = opaque;

	if (++f->msg_calls == f->msg_fail_at)
		return -EIO;
	assert_true(iova >= MSG_IOVA);
	assert_true(iova - MSG_IOVA + len <= sizeof(f->msg_mem));
	if (is_write)
		memcpy(f->msg_mem + (iova - MSG_IOVA), buf, len);
	else
		memcpy(buf, f->msg_mem + (iova - MSG_IOVA), len);
	return 0;
}

static struct fx *fx_new(const char *name)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pci = edu_new(name);
	assert_non_null(f->pci);
	f->dev = uvfio_pci_device(f->pci);
	f->dma = uvfio_device_dma(f->dev);
	dev_log_attach(f->dev, &f->log);
	uvfio_dma_set_msg_handler(f->dma, msg_handler, f);
	f->ram = guest_ram(RAM_SIZE, &f->memfd);
	assert_int_equal(uvfio_dma_map(f->dma, IOVA, RAM_SIZE, RW, f->memfd, 0),
			 0);
	f->intx = test_eventfd();
	f->msi = test_eventfd();
	return f;
}

static void fx_free(struct fx *f)
{
	uvfio_pci_destroy(f->pci);
	guest_ram_free(f->ram, RAM_SIZE, f->memfd);
	close(f->intx);
	close(f->msi);
	free(f);
}

static int setup(void **state)
{
	*state = fx_new("edu0");
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* ---- helpers ---- */

static uint64_t rd(struct fx *f, unsigned int region, uint64_t off, size_t len)
{
	return region_rd(f->dev, region, off, len);
}

static void wr(struct fx *f, unsigned int region, uint64_t off, size_t len,
	       uint64_t v)
{
	region_wr(f->dev, region, off, len, v);
}

static uint32_t reg(struct fx *f, uint64_t off)
{
	return (uint32_t)rd(f, BAR0, off, 4);
}

static void set_reg(struct fx *f, uint64_t off, uint32_t v)
{
	wr(f, BAR0, off, 4, v);
}

static void set_master(struct fx *f, bool on)
{
	uint64_t cmd = rd(f, CONFIG, 0x04, 2);

	cmd = on ? cmd | 0x6 : cmd & ~(uint64_t)0x4;
	wr(f, CONFIG, 0x04, 2, cmd);
}

/* Start a transfer and leave it be (a stopped edu holds it). */
static void dma_start(struct fx *f, uint64_t src, uint64_t dst, uint64_t cnt,
		      uint64_t cmd)
{
	wr(f, BAR0, EDU_REG_DMA_SRC, 8, src);
	wr(f, BAR0, EDU_REG_DMA_DST, 8, dst);
	wr(f, BAR0, EDU_REG_DMA_CNT, 8, cnt);
	wr(f, BAR0, EDU_REG_DMA_CMD, 8, cmd);
}

/* Start a transfer; edu finishes it before the write returns. */
static void dma(struct fx *f, uint64_t src, uint64_t dst, uint64_t cnt,
		uint64_t cmd)
{
	dma_start(f, src, dst, cnt, cmd);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), cmd & ~1ull);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

static void assert_all(const uint8_t *p, uint8_t byte, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], byte);
}

/* The device buffer's bytes [@off, @off + @len), read back through RAM. */
static void read_buffer(struct fx *f, uint64_t off, uint8_t *out, size_t len)
{
	assert_true(len <= RAM_SIZE - 0x3000);
	dma(f, EDU_DMA_START + off, IOVA + 0x3000, len,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	memcpy(out, f->ram + 0x3000, len);
}

/* ---- identity and config space ---- */

static unsigned int find_cap(struct fx *f, uint8_t id)
{
	unsigned int ptr = (unsigned int)rd(f, CONFIG, 0x34, 1);

	for (int i = 0; i < 48 && ptr >= 0x40; i++) {
		ptr &= 0xfc;
		if (rd(f, CONFIG, ptr, 1) == id)
			return ptr;
		ptr = (unsigned int)rd(f, CONFIG, ptr + 1, 1);
	}
	return 0;
}

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_region_info bar = { .argsz = sizeof(bar), .index = BAR0 };
	struct uvfio_region_info cfg = { .argsz = sizeof(cfg),
					 .index = CONFIG };
	struct uvfio_irq_info irq = { .argsz = sizeof(irq) };
	unsigned int msi;

	assert_int_equal(uvfio_device_get_info(f->dev, &info), 0);
	assert_int_equal(info.flags, UVFIO_DEVICE_FLAGS_PCI);
	assert_int_equal(info.num_regions, UVFIO_PCI_NUM_REGIONS);
	assert_int_equal(info.num_irqs, UVFIO_PCI_NUM_IRQS);

	assert_int_equal(uvfio_device_get_region_info(f->dev, &bar), 0);
	assert_int_equal(bar.size, EDU_BAR_SIZE);
	/* Registers trap: not mappable. */
	assert_int_equal(bar.flags, UVFIO_REGION_INFO_FLAG_READ |
					    UVFIO_REGION_INFO_FLAG_WRITE);
	assert_int_equal(uvfio_device_get_region_info(f->dev, &cfg), 0);
	assert_int_equal(cfg.size, 256);

	assert_int_equal(rd(f, CONFIG, 0x00, 2), EDU_VENDOR_ID);
	assert_int_equal(rd(f, CONFIG, 0x02, 2), EDU_DEVICE_ID);
	assert_int_equal(rd(f, CONFIG, 0x08, 4), 0x00ff0010);
	assert_int_equal(rd(f, CONFIG, 0x2c, 2), 0x1af4);
	assert_int_equal(rd(f, CONFIG, 0x2e, 2), 0x1100);
	assert_int_equal(rd(f, CONFIG, 0x3d, 1), 1);
	/* BAR0: 32-bit non-prefetchable memory of 1 MiB */
	assert_int_equal(rd(f, CONFIG, 0x10, 4) & 0xf, 0);
	wr(f, CONFIG, 0x10, 4, 0xffffffff);
	assert_int_equal(rd(f, CONFIG, 0x10, 4), 0xfff00000);
	for (unsigned int b = 1; b < 6; b++)
		assert_int_equal(rd(f, CONFIG, 0x10 + 4 * b, 4), 0);

	/* The only capability: MSI, 64-bit, 1 vector, no masking. */
	assert_true(rd(f, CONFIG, 0x06, 2) & 0x10);
	msi = find_cap(f, 0x05);
	assert_int_equal(msi, 0x40);
	assert_int_equal(rd(f, CONFIG, msi + 1, 1), 0);
	assert_int_equal(rd(f, CONFIG, msi + 2, 2) & 0x18e, 0x80);

	irq.index = INTX;
	assert_int_equal(uvfio_device_get_irq_info(f->dev, &irq), 0);
	assert_int_equal(irq.count, 1);
	assert_int_equal(irq.flags, UVFIO_IRQ_INFO_EVENTFD |
					    UVFIO_IRQ_INFO_MASKABLE |
					    UVFIO_IRQ_INFO_AUTOMASKED);
	irq.index = MSI;
	assert_int_equal(uvfio_device_get_irq_info(f->dev, &irq), 0);
	assert_int_equal(irq.count, 1);
	irq.index = MSIX;
	assert_int_equal(uvfio_device_get_irq_info(f->dev, &irq), 0);
	assert_int_equal(irq.count, 0);
}

static void test_bad_name(void **state)
{
	(void)state;
	errno = 0;
	assert_null(edu_new(""));
	assert_int_equal(errno, EINVAL);
}

/* ---- registers ---- */

static void test_id_liveness(void **state)
{
	struct fx *f = *state;

	assert_int_equal(reg(f, EDU_REG_ID), 0x010000ed);
	set_reg(f, EDU_REG_ID, 0);
	assert_int_equal(reg(f, EDU_REG_ID), 0x010000ed);
	assert_int_equal(reg(f, EDU_REG_LIVENESS), 0);
	set_reg(f, EDU_REG_LIVENESS, 0x12345678);
	assert_int_equal(reg(f, EDU_REG_LIVENESS), 0xedcba987);
	set_reg(f, EDU_REG_LIVENESS, 0xffffffff);
	assert_int_equal(reg(f, EDU_REG_LIVENESS), 0);
	/* Unknown registers read all-ones and ignore writes. */
	set_reg(f, 0x10, 5);
	assert_int_equal(reg(f, 0x10), 0xffffffff);
	assert_int_equal(reg(f, 0x28), 0xffffffff);
	assert_int_equal(reg(f, 0x60), 0xffffffff);
	assert_int_equal(reg(f, 0xa0), 0xffffffff);
	/* The DMA buffer is not visible through BAR0. */
	assert_int_equal(reg(f, EDU_DMA_START), 0xffffffff);
	assert_int_equal(rd(f, BAR0, EDU_BAR_SIZE - 8, 8), ~0ull);
}

static void test_access_sizes(void **state)
{
	struct fx *f = *state;
	uint8_t b[16];
	uint64_t v[2];

	set_reg(f, EDU_REG_LIVENESS, 0x0f0f0f0f);
	/* Below 0x80, only 4-byte accesses. */
	assert_int_equal(rd(f, BAR0, EDU_REG_ID, 8), ~0ull);
	assert_int_equal(rd(f, BAR0, EDU_REG_ID, 2), 0xffff);
	assert_int_equal(rd(f, BAR0, EDU_REG_ID, 1), 0xff);
	assert_int_equal(rd(f, BAR0, EDU_REG_ID + 1, 1), 0xff);
	wr(f, BAR0, EDU_REG_LIVENESS, 2, 0);
	wr(f, BAR0, EDU_REG_LIVENESS, 1, 0);
	wr(f, BAR0, EDU_REG_ID, 8, 0);
	assert_int_equal(reg(f, EDU_REG_LIVENESS), 0xf0f0f0f0);
	/* Split as vfio-pci splits: 8 bytes at 4 are two 4-byte reads. */
	set_reg(f, EDU_REG_FACT, 3);
	assert_int_equal(rd(f, BAR0, EDU_REG_LIVENESS, 8),
			 0xf0f0f0f0ull | 6ull << 32);
	/* Unaligned 4 bytes: two 2-byte pieces, all-ones. */
	assert_int_equal(rd(f, BAR0, EDU_REG_ID + 2, 4), 0xffffffff);

	/* From 0x80: 4 or 8 bytes; a register's upper half is no register. */
	wr(f, BAR0, EDU_REG_DMA_SRC, 8, 0x0123456789abcdefull);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 8),
			 0x0123456789abcdefull);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 4), 0x89abcdef);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC + 4, 4), 0xffffffff);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 2), 0xffff);
	wr(f, BAR0, EDU_REG_DMA_SRC + 4, 4, 0x5555);
	wr(f, BAR0, EDU_REG_DMA_SRC, 2, 0x5555);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 8),
			 0x0123456789abcdefull);
	/* A 4-byte write sets the whole register. */
	wr(f, BAR0, EDU_REG_DMA_SRC, 4, 0x11223344);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 8), 0x11223344);

	/* 16 bytes: two registers. */
	v[0] = 0x1000;
	v[1] = 0x2000;
	memcpy(b, v, sizeof(b));
	assert_int_equal(uvfio_device_region_access(f->dev, BAR0,
						    EDU_REG_DMA_SRC, b,
						    sizeof(b), true),
			 16);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 8), 0x1000);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_DST, 8), 0x2000);
	memset(b, 0, sizeof(b));
	assert_int_equal(uvfio_device_region_access(f->dev, BAR0,
						    EDU_REG_DMA_SRC, b,
						    sizeof(b), false),
			 16);
	memcpy(v, b, sizeof(b));
	assert_int_equal(v[0], 0x1000);
	assert_int_equal(v[1], 0x2000);

	/* Past the BAR: the core refuses. */
	assert_int_equal(uvfio_device_region_access(
				 f->dev, BAR0, EDU_BAR_SIZE - 4, b, 8, false),
			 -EINVAL);
}

static uint32_t naive_factorial(uint32_t n)
{
	uint32_t r = 1;

	while (n > 0)
		r *= n--;
	return r;
}

static void test_factorial(void **state)
{
	static const uint32_t ns[] = { 0, 1, 2, 5, 10, 12, 13, 20, 33, 34, 35 };
	struct fx *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		set_reg(f, EDU_REG_FACT, ns[i]);
		assert_int_equal(reg(f, EDU_REG_STATUS) & EDU_STATUS_COMPUTING,
				 0);
		assert_int_equal(reg(f, EDU_REG_FACT), naive_factorial(ns[i]));
	}
	assert_int_equal(naive_factorial(33), 2147483648u);
	/* Bounded for any n: n! mod 2^32 is 0 from 34 on. */
	set_reg(f, EDU_REG_FACT, 0xffffffff);
	assert_int_equal(reg(f, EDU_REG_FACT), 0);
	set_reg(f, EDU_REG_FACT, 12);
	assert_int_equal(reg(f, EDU_REG_FACT), 479001600);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
}

static void test_status(void **state)
{
	struct fx *f = *state;

	assert_int_equal(reg(f, EDU_REG_STATUS), 0);
	set_reg(f, EDU_REG_STATUS, 0xffffffff);
	assert_int_equal(reg(f, EDU_REG_STATUS), EDU_STATUS_IRQFACT);
	set_reg(f, EDU_REG_STATUS, EDU_STATUS_COMPUTING);
	assert_int_equal(reg(f, EDU_REG_STATUS), 0);
	set_reg(f, EDU_REG_IRQ_STATUS, 0x55);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
}

/* ---- interrupts ---- */

static void test_intx(void **state)
{
	struct fx *f = *state;

	/* No eventfd yet: the cause is kept all the same. */
	set_reg(f, EDU_REG_IRQ_RAISE, 0x40);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0x40);
	/* Still asserted: binding delivers it. */
	irq_bind(f->dev, INTX, f->intx);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	set_reg(f, EDU_REG_IRQ_ACK, 0x40);
	intx_unmask(f->dev);
	assert_int_equal(test_eventfd_count(f->intx), 0);

	/* Raising 0 with nothing pending raises nothing. */
	set_reg(f, EDU_REG_IRQ_RAISE, 0);
	assert_int_equal(test_eventfd_count(f->intx), 0);

	set_reg(f, EDU_REG_IRQ_RAISE, 0x1);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	/* Automasked and asserted: more causes add no interrupt. */
	set_reg(f, EDU_REG_IRQ_RAISE, 0x4);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0x5);
	set_reg(f, EDU_REG_IRQ_ACK, 0x1);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0x4);
	/* A cause left: UNMASK delivers again. */
	intx_unmask(f->dev);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	set_reg(f, EDU_REG_IRQ_ACK, 0xffffffff);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
	intx_unmask(f->dev);
	assert_int_equal(test_eventfd_count(f->intx), 0);

	set_reg(f, EDU_REG_IRQ_RAISE, 0x2);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	set_reg(f, EDU_REG_IRQ_ACK, 0x2);
	intx_unmask(f->dev);
	assert_int_equal(test_eventfd_count(f->intx), 0);
	assert_int_equal(test_eventfd_count(f->msi), 0);
}

static void test_fact_irq(void **state)
{
	struct fx *f = *state;

	irq_bind(f->dev, INTX, f->intx);
	set_reg(f, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	set_reg(f, EDU_REG_FACT, 7);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	assert_int_equal(reg(f, EDU_REG_FACT), 5040);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_FACT);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_FACT);
	intx_unmask(f->dev);
	set_reg(f, EDU_REG_STATUS, 0);
	set_reg(f, EDU_REG_FACT, 4);
	assert_int_equal(reg(f, EDU_REG_FACT), 24);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
	assert_int_equal(test_eventfd_count(f->intx), 0);
}

static void test_msi(void **state)
{
	struct fx *f = *state;

	irq_bind(f->dev, INTX, f->intx);
	/* One of INTx and MSI at a time. */
	assert_int_equal(irq_set(f->dev, MSI,
				 UVFIO_IRQ_SET_DATA_EVENTFD |
					 UVFIO_IRQ_SET_ACTION_TRIGGER,
				 1, f->msi),
			 -EINVAL);
	irq_disable(f->dev, INTX);
	irq_bind(f->dev, MSI, f->msi);

	set_reg(f, EDU_REG_IRQ_RAISE, 0x1);
	assert_int_equal(test_eventfd_count(f->msi), 1);
	/* A message per raise while a cause is pending. */
	set_reg(f, EDU_REG_IRQ_RAISE, 0x2);
	assert_int_equal(test_eventfd_count(f->msi), 1);
	set_reg(f, EDU_REG_IRQ_RAISE, 0);
	assert_int_equal(test_eventfd_count(f->msi), 1);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0x3);
	set_reg(f, EDU_REG_IRQ_ACK, 0x3);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
	set_reg(f, EDU_REG_IRQ_RAISE, 0);
	assert_int_equal(test_eventfd_count(f->msi), 0);

	/* DMA completion by MSI. */
	set_master(f, true);
	dma(f, IOVA, EDU_DMA_START, 16, EDU_DMA_RUN | EDU_DMA_IRQ);
	assert_int_equal(test_eventfd_count(f->msi), 1);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	assert_int_equal(test_eventfd_count(f->intx), 0);
}

/* ---- DMA ---- */

static void test_dma(void **state)
{
	struct fx *f = *state;

	set_master(f, true);
	fill(f->ram, 4096, 1);
	memset(f->ram + 0x1000, 0xaa, 0x1000);
	dma(f, IOVA, EDU_DMA_START, 2048, EDU_DMA_RUN);
	dma(f, EDU_DMA_START, IOVA + 0x1000, 2048,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_memory_equal(f->ram + 0x1000, f->ram, 2048);
	assert_all(f->ram + 0x1800, 0xaa, 2048);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), EDU_DMA_TO_RAM);

	/* The whole buffer, and a transfer ending exactly at its end. */
	fill(f->ram, 4096, 2);
	dma(f, IOVA, EDU_DMA_START, 4096, EDU_DMA_RUN);
	dma(f, EDU_DMA_START, IOVA + 0x1000, 4096,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_memory_equal(f->ram + 0x1000, f->ram, 4096);
	fill(f->ram, 4096, 3);
	dma(f, IOVA + 0x10, EDU_DMA_START + 4096 - 100, 100, EDU_DMA_RUN);
	dma(f, EDU_DMA_START + 4096 - 100, IOVA + 0x2000, 100,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_memory_equal(f->ram + 0x2000, f->ram + 0x10, 100);
	/* Across the end of a page. */
	dma(f, IOVA + 0xff0, EDU_DMA_START, 0x20, EDU_DMA_RUN);
	dma(f, EDU_DMA_START, IOVA + 0x2ff8, 0x20,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_memory_equal(f->ram + 0x2ff8, f->ram + 0xff0, 0x20);
	/* A zero count completes, moving nothing. */
	dma(f, IOVA, EDU_DMA_START + 4096, 0, EDU_DMA_RUN);
	assert_int_equal(f->log.warnings, 0);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
}

/* edu's DMA into guest memory shows in the device's dirty log. */
static void test_dma_dirty_log(void **state)
{
	struct fx *f = *state;
	/* vfio-user's layout: page_size, num_ranges, reserved, ranges. */
	struct {
		struct uvfio_device_feature hdr;
		uint64_t page_size;
		uint32_t num_ranges, reserved;
		struct uvfio_device_feature_dma_logging_range range;
	} start = { { .argsz = sizeof(start),
		      .flags = UVFIO_DEVICE_FEATURE_SET |
			       UVFIO_DEVICE_FEATURE_DMA_LOGGING_START },
		    4096,
		    1,
		    0,
		    { .iova = IOVA, .length = RAM_SIZE } };
	/* vfio-user's layout: iova, length, page_size, then the bitmap. */
	struct {
		struct uvfio_device_feature hdr;
		uint64_t iova, length, page_size;
		uint64_t bitmap[RAM_SIZE / 4096 / 64 + 1];
	} report = { { .argsz = sizeof(report),
		       .flags = UVFIO_DEVICE_FEATURE_GET |
				UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT },
		     IOVA,
		     RAM_SIZE,
		     4096,
		     { 0 } };

	set_master(f, true);
	assert_int_equal(uvfio_device_feature(f->dev, &start.hdr), 0);
	/* Reading guest memory dirties nothing; writing pages 2-3 does. */
	dma(f, IOVA, EDU_DMA_START, 4096, EDU_DMA_RUN);
	dma(f, EDU_DMA_START, IOVA + 0x2800, 0x1000,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(uvfio_device_feature(f->dev, &report.hdr), 0);
	assert_int_equal(report.bitmap[0], 0xcull);
	/* Reported pages are cleared. */
	memset(report.bitmap, 0, sizeof(report.bitmap));
	assert_int_equal(uvfio_device_feature(f->dev, &report.hdr), 0);
	assert_int_equal(report.bitmap[0], 0);
	start.hdr.flags = UVFIO_DEVICE_FEATURE_SET |
			  UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP;
	start.hdr.argsz = sizeof(start.hdr);
	assert_int_equal(uvfio_device_feature(f->dev, &start.hdr), 0);
}

static void test_dma_irq_intx(void **state)
{
	struct fx *f = *state;

	set_master(f, true);
	irq_bind(f->dev, INTX, f->intx);
	dma(f, IOVA, EDU_DMA_START, 8, EDU_DMA_RUN | EDU_DMA_IRQ);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), EDU_DMA_IRQ);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	intx_unmask(f->dev);
	assert_int_equal(test_eventfd_count(f->intx), 0);
}

static void test_dma_messages(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64], want[64];

	set_master(f, true);
	assert_int_equal(uvfio_dma_map(f->dma, MSG_IOVA, 4096, RW, -1, 0), 0);
	assert_int_equal(
		uvfio_dma_map(f->dma, MSG_IOVA + 4096, 4096, RW, -1, 0), 0);
	fill(f->msg_mem, sizeof(f->msg_mem), 4);
	dma(f, MSG_IOVA + 100, EDU_DMA_START, 3000, EDU_DMA_RUN);
	dma(f, EDU_DMA_START, MSG_IOVA + 4096 + 50, 3000,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_memory_equal(f->msg_mem + 4096 + 50, f->msg_mem + 100, 3000);
	assert_true(f->msg_calls >= 2);

	/* Failing halfway (the second window): the buffer keeps its bytes. */
	memcpy(want, f->msg_mem + 100, sizeof(want));
	f->msg_calls = 0;
	f->msg_fail_at = 2;
	dma(f, MSG_IOVA + 4096 - 32, EDU_DMA_START, 64,
	    EDU_DMA_RUN | EDU_DMA_IRQ);
	assert_int_equal(f->msg_calls, 2);
	assert_int_equal(f->log.warnings, 1);
	assert_non_null(strstr(f->log.last, "failed"));
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	f->msg_fail_at = 0;
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, want, sizeof(buf));
}

static void test_dma_unmapped(void **state)
{
	struct fx *f = *state;
	uint8_t before[RAM_SIZE], buf[256], want[256];

	set_master(f, true);
	fill(f->ram, 256, 5);
	dma(f, IOVA, EDU_DMA_START, 256, EDU_DMA_RUN);
	memcpy(want, f->ram, sizeof(want));
	memcpy(before, f->ram, sizeof(before));

	/* Buffer -> nowhere, and -> a range that leaves the window. */
	dma(f, EDU_DMA_START, 0x800000, 256,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	assert_int_equal(f->log.warnings, 1);
	assert_non_null(strstr(f->log.last, "Bad address"));
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	dma(f, EDU_DMA_START, IOVA + RAM_SIZE - 128, 256,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(f->log.warnings, 2);
	assert_memory_equal(f->ram, before, RAM_SIZE);

	/* Nowhere -> buffer: the buffer keeps its bytes. */
	dma(f, 0x800000, EDU_DMA_START, 256, EDU_DMA_RUN);
	dma(f, IOVA + RAM_SIZE - 128, EDU_DMA_START, 256, EDU_DMA_RUN);
	assert_int_equal(f->log.warnings, 4);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, want, sizeof(buf));

	/* Unmapped after use: nothing reaches the old memory. */
	assert_int_equal(uvfio_dma_unmap(f->dma, IOVA, RAM_SIZE), 0);
	memset(f->ram, 0x5a, RAM_SIZE);
	dma(f, EDU_DMA_START, IOVA, 256, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_all(f->ram, 0x5a, RAM_SIZE);
	assert_int_equal(uvfio_dma_map(f->dma, IOVA, RAM_SIZE, RW, f->memfd, 0),
			 0);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, want, sizeof(buf));
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
}

static void test_dma_read_only(void **state)
{
	struct fx *f = *state;

	set_master(f, true);
	assert_int_equal(uvfio_dma_unmap(f->dma, IOVA, RAM_SIZE), 0);
	assert_int_equal(uvfio_dma_map(f->dma, IOVA, RAM_SIZE, UVFIO_DMA_READ,
				       f->memfd, 0),
			 0);
	fill(f->ram, 64, 6);
	memset(f->ram + 0x1000, 0xaa, 64);
	dma(f, IOVA, EDU_DMA_START, 64, EDU_DMA_RUN);
	assert_int_equal(f->log.warnings, 0);
	dma(f, EDU_DMA_START, IOVA + 0x1000, 64, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(f->log.warnings, 1);
	assert_all(f->ram + 0x1000, 0xaa, 64);
}

static void test_dma_out_of_range(void **state)
{
	static const struct {
		uint64_t buf, cnt;
	} bad[] = {
		{ EDU_DMA_START + 4000, 200 },
		{ EDU_DMA_START - 1, 16 },
		{ EDU_DMA_START + 4096, 1 },
		{ EDU_DMA_START, 4097 },
		{ 0, 16 },
		{ ~0ull - 8, 16 },
		{ EDU_DMA_START + 16, ~0ull - 8 },
	};
	struct fx *f = *state;
	uint8_t buf[4096], want[4096];

	set_master(f, true);
	fill(f->ram, 4096, 7);
	dma(f, IOVA, EDU_DMA_START, 4096, EDU_DMA_RUN);
	memcpy(want, f->ram, sizeof(want));
	fill(f->ram, 4096, 8);
	memset(f->ram + 0x1000, 0xaa, 0x1000);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		dma(f, IOVA, bad[i].buf, bad[i].cnt, EDU_DMA_RUN | EDU_DMA_IRQ);
		assert_int_equal(f->log.warnings, 2 * i + 1);
		assert_non_null(strstr(f->log.last, "outside the buffer"));
		dma(f, bad[i].buf, IOVA + 0x1000, bad[i].cnt,
		    EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
		assert_int_equal(f->log.warnings, 2 * i + 2);
		/* Completed all the same, interrupt included. */
		assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
		set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	}
	assert_all(f->ram + 0x1000, 0xaa, 0x1000);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, want, sizeof(buf));
}

static void test_dma_bus_master(void **state)
{
	struct fx *f = *state;
	uint8_t buf[32];

	/* Master off (edu's power-on command has no bus master). */
	set_master(f, false);
	fill(f->ram, 32, 9);
	memset(f->ram + 0x1000, 0xaa, 32);
	dma(f, IOVA, EDU_DMA_START, 32, EDU_DMA_RUN | EDU_DMA_IRQ);
	assert_int_equal(f->log.warnings, 1);
	assert_non_null(strstr(f->log.last, "Bus Master"));
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	dma(f, EDU_DMA_START, IOVA + 0x1000, 32, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(f->log.warnings, 2);
	assert_all(f->ram + 0x1000, 0xaa, 32);

	set_master(f, true);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_all(buf, 0, sizeof(buf));
	dma(f, IOVA, EDU_DMA_START, 32, EDU_DMA_RUN);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, f->ram, sizeof(buf));
	assert_int_equal(f->log.warnings, 2);
}

static void test_dma_mask(void **state)
{
	struct fx *f = *state;
	uint8_t buf[16];

	set_master(f, true);
	fill(f->ram, 16, 10);
	/* 28 address bits: the upper ones are dropped, as QEMU's edu does. */
	dma(f, (1ull << 28) | IOVA, EDU_DMA_START, 16, EDU_DMA_RUN);
	assert_int_equal(f->log.warnings, 1);
	assert_non_null(strstr(f->log.last, "clamped"));
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, f->ram, sizeof(buf));
}

static void test_dma_regs(void **state)
{
	struct fx *f = *state;

	wr(f, BAR0, EDU_REG_DMA_SRC, 8, 0xffffffff00000000ull);
	wr(f, BAR0, EDU_REG_DMA_SRC, 4, 0x1234);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_SRC, 8), 0x1234);
	wr(f, BAR0, EDU_REG_DMA_DST, 8, 0x5678);
	wr(f, BAR0, EDU_REG_DMA_CNT, 8, 0x9abc);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_DST, 8), 0x5678);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CNT, 8), 0x9abc);
	/* A command without RUN is ignored; nothing started. */
	wr(f, BAR0, EDU_REG_DMA_CMD, 8, EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), 0);
	assert_int_equal(f->log.warnings, 0);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
}

/* ---- reset ---- */

/*
 * No RESET flag (QEMU's edu behind vfio-pci has no reset method), but the
 * reset works, as migration needs: edu's registers and buffer stay, as
 * with QEMU's edu, which has no reset handler.
 */
static void test_reset(void **state)
{
	struct fx *f = *state;
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	uint8_t buf[64];

	assert_int_equal(uvfio_device_get_info(f->dev, &info), 0);
	assert_int_equal(info.flags & UVFIO_DEVICE_FLAGS_RESET, 0);
	set_master(f, true);
	fill(f->ram, 64, 11);
	dma(f, IOVA, EDU_DMA_START, 64, EDU_DMA_RUN);
	set_reg(f, EDU_REG_LIVENESS, 1);
	set_reg(f, EDU_REG_IRQ_RAISE, 0x10);
	assert_int_equal(uvfio_device_reset(f->dev), 0);
	assert_int_equal(reg(f, EDU_REG_LIVENESS), 0xfffffffe);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0x10);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, f->ram, sizeof(buf));
	assert_int_equal(uvfio_migration_state(f->dev),
			 UVFIO_DEVICE_STATE_RUNNING);
}

/* ---- migration: helpers ---- */

/* Migration data is read in odd pieces of this size. */
#define READ_PIECE 333

#define SEC_REGS 1
#define SEC_BUF 2

/* Every register, as the guest reads it. */
#define NR_REGS 9
static void read_regs(struct fx *f, uint64_t r[NR_REGS])
{
	static const uint64_t off32[] = { EDU_REG_ID, EDU_REG_LIVENESS,
					  EDU_REG_FACT, EDU_REG_STATUS,
					  EDU_REG_IRQ_STATUS };
	static const uint64_t off64[] = { EDU_REG_DMA_SRC, EDU_REG_DMA_DST,
					  EDU_REG_DMA_CNT, EDU_REG_DMA_CMD };

	for (size_t i = 0; i < ARRAY_SIZE(off32); i++)
		r[i] = reg(f, off32[i]);
	for (size_t i = 0; i < ARRAY_SIZE(off64); i++)
		r[5 + i] = rd(f, BAR0, off64[i], 8);
}

static void assert_regs(struct fx *f, const uint64_t want[NR_REGS])
{
	uint64_t r[NR_REGS];

	read_regs(f, r);
	for (int i = 0; i < NR_REGS; i++)
		if (r[i] != want[i])
			fail_msg("register %d: 0x%llx, expected 0x%llx", i,
				 (unsigned long long)r[i],
				 (unsigned long long)want[i]);
}

/* The whole buffer (through guest memory; changes the DMA registers). */
static void read_whole_buffer(struct fx *f, uint8_t out[EDU_DMA_SIZE])
{
	set_master(f, true);
	read_buffer(f, 0, out, EDU_DMA_SIZE);
}

/* ---- migration ---- */

static void test_mig_features(void **state)
{
	struct fx *f = *state;

	assert_int_equal(feature_u64(f->dev, UVFIO_DEVICE_FEATURE_MIGRATION),
			 UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
				 UVFIO_MIGRATION_PRE_COPY);
	assert_true(feature_u64(f->dev, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE) >=
		    64 + 4 + EDU_DMA_SIZE);
	assert_int_equal(mig_get(f->dev), ST_RUNNING);
}

/* Registers worth migrating: every one differs from power-on. */
static void make_busy(struct fx *f, unsigned int seed)
{
	set_master(f, true);
	fill(f->ram, EDU_DMA_SIZE, seed);
	dma(f, IOVA, EDU_DMA_START, EDU_DMA_SIZE, EDU_DMA_RUN);
	set_reg(f, EDU_REG_LIVENESS, 0x12345678 + seed);
	set_reg(f, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	set_reg(f, EDU_REG_FACT, 10 + seed);
	set_reg(f, EDU_REG_IRQ_RAISE, 0x20u << seed);
	/* A finished transfer with a command word QEMU's edu keeps whole. */
	dma(f, EDU_DMA_START + 512, IOVA + 0x2000, 100,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ | 0x100000);
	/* Idle DMA registers hold whatever the guest wrote. */
	wr(f, BAR0, EDU_REG_DMA_SRC, 8, 0xfedcba9876543210ull + seed);
	wr(f, BAR0, EDU_REG_DMA_DST, 8, 0x0123456789abcdefull);
	wr(f, BAR0, EDU_REG_DMA_CNT, 8, 0x12345 + seed);
}

static void test_mig_round_trip(void **state)
{
	struct fx *src = *state, *dst = fx_new("edu1");
	static uint8_t stream[STREAM_MAX];
	uint8_t want[EDU_DMA_SIZE], got[EDU_DMA_SIZE];
	uint64_t regs[NR_REGS];
	struct sec secs[8];
	size_t len;

	make_busy(src, 1);
	memcpy(want, src->ram, sizeof(want));
	read_regs(src, regs);
	assert_int_equal(regs[4], EDU_IRQ_FACT | EDU_IRQ_DMA | 0x40);
	len = mig_save(src->dev, stream, READ_PIECE);
	/* Header, the registers, the whole buffer, END. */
	assert_int_equal(parse(stream, len, secs, 8), 3);
	assert_int_equal(secs[0].type, SEC_REGS);
	assert_int_equal(secs[0].len, 64);
	assert_int_equal(secs[0].phase, UVFIO_MIG_FINAL);
	assert_int_equal(secs[1].type, SEC_BUF);
	assert_int_equal(secs[1].len, 4 + EDU_DMA_SIZE);
	assert_int_equal(le(secs[1].data, 4), 0);
	assert_memory_equal(secs[1].data + 4, want, EDU_DMA_SIZE);
	assert_int_equal(secs[2].kind, 2);
	/* Saving changed nothing. */
	assert_regs(src, regs);

	irq_bind(dst->dev, INTX, dst->intx);
	mig_load(dst->dev, stream, len);
	assert_regs(dst, regs);
	/* Stopped: the pending causes are not signalled yet... */
	assert_int_equal(test_eventfd_count(dst->intx), 0);
	/* ...running, they are, once. */
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(dst->intx), 1);
	assert_regs(dst, regs);
	read_whole_buffer(dst, got);
	assert_memory_equal(got, want, sizeof(got));

	/* The source is unchanged too, and runs on. */
	mig_go(src->dev, ST_RUNNING);
	assert_regs(src, regs);
	read_whole_buffer(src, got);
	assert_memory_equal(got, want, sizeof(got));
	assert_int_equal(dst->log.warnings + src->log.warnings, 0);
	fx_free(dst);
}

/* MSI: one message at RUNNING for loaded causes; none without causes. */
static void test_mig_irq_reraise(void **state)
{
	struct fx *src = *state, *dst = fx_new("edu1");
	static uint8_t stream[STREAM_MAX];
	size_t len;

	set_reg(src, EDU_REG_IRQ_RAISE, 0x4);
	len = mig_save(src->dev, stream, READ_PIECE);
	irq_bind(dst->dev, MSI, dst->msi);
	mig_load(dst->dev, stream, len);
	assert_int_equal(test_eventfd_count(dst->msi), 0);
	mig_go(dst->dev, ST_RUNNING_P2P);
	assert_int_equal(test_eventfd_count(dst->msi), 0);
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(dst->msi), 1);
	assert_int_equal(reg(dst, EDU_REG_IRQ_STATUS), 0x4);

	/* Nothing pending: nothing signalled, and INTx drops. */
	mig_go(src->dev, ST_RUNNING);
	set_reg(src, EDU_REG_IRQ_ACK, 0x4);
	len = mig_save(src->dev, stream, READ_PIECE);
	irq_disable(dst->dev, MSI);
	irq_bind(dst->dev, INTX, dst->intx);
	set_reg(dst, EDU_REG_IRQ_RAISE, 0x4);
	assert_int_equal(test_eventfd_count(dst->intx), 1);
	assert_int_equal(rd(dst, CONFIG, 0x06, 2) & 0x0008, 0x0008);
	mig_load(dst->dev, stream, len);
	/* Stopped, the line stays as it was. */
	assert_int_equal(rd(dst, CONFIG, 0x06, 2) & 0x0008, 0x0008);
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(reg(dst, EDU_REG_IRQ_STATUS), 0);
	assert_int_equal(rd(dst, CONFIG, 0x06, 2) & 0x0008, 0);
	intx_unmask(dst->dev);
	assert_int_equal(test_eventfd_count(dst->intx), 0);
	assert_int_equal(test_eventfd_count(dst->msi), 0);
	fx_free(dst);
}

/*
 * The sections of phase @phase from stream offset @from on: the blocks of
 * the buffer they hold, and whether the registers are among them.
 */
static unsigned int blocks_of(const struct sec *secs, size_t n, uint8_t phase,
			      size_t from, bool *regs)
{
	unsigned int mask = 0;

	*regs = false;
	for (size_t i = 0; i < n; i++) {
		if (secs[i].kind != 1 || secs[i].off < from)
			continue;
		assert_int_equal(secs[i].phase, phase);
		if (secs[i].type == SEC_REGS) {
			*regs = true;
			continue;
		}
		assert_int_equal(secs[i].type, SEC_BUF);
		for (size_t b = 0; b < (secs[i].len - 4) / 512; b++)
			mask |= 1u << (le(secs[i].data, 4) / 512 + b);
	}
	return mask;
}

/*
 * One pre-copy round: what changed comes as DIRTY sections (the registers
 * if any changed, the blocks a DMA wrote), appended to @stream.
 */
static void dirty_round(struct fx *f, uint8_t *stream, size_t *len,
			bool want_regs, unsigned int want_blocks)
{
	uint64_t expect =
		(want_regs ? 24 + 64 : 0) +
		(uint64_t)__builtin_popcount(want_blocks) * (24 + 4 + 512);
	size_t n, before = *len;
	struct sec secs[64];
	bool regs;

	assert_int_equal(mig_precopy_dirty(f->dev), expect);
	*len += mig_read(f->dev, stream + *len, STREAM_MAX - *len, READ_PIECE);
	if (!expect) {
		assert_int_equal(*len, before);
		return;
	}
	/* This round's sections: they start at @before. */
	n = parse(stream, *len, secs, 64);
	assert_int_equal(blocks_of(secs, n, UVFIO_MIG_DIRTY, before, &regs),
			 want_blocks);
	assert_int_equal(regs, want_regs);
	assert_int_equal(mig_precopy_dirty(f->dev), 0);
	assert_int_equal(uvfio_migration_read(f->dev,
					      uvfio_migration_session(f->dev),
					      stream + *len, 16),
			 -ENOMSG);
}

static void test_mig_precopy(void **state)
{
	struct fx *src = *state, *dst = fx_new("edu1");
	static uint8_t stream[STREAM_MAX];
	uint8_t got[EDU_DMA_SIZE];
	struct uvfio_precopy_info info = { .argsz = sizeof(info) };
	uint64_t regs[NR_REGS];
	struct sec secs[64];
	size_t len, n, final_from;
	bool has_regs;

	make_busy(src, 2);
	mig_go(src->dev, ST_PRE_COPY);
	assert_int_equal(uvfio_migration_precopy_info(
				 src->dev, uvfio_migration_session(src->dev),
				 &info),
			 0);
	assert_true(info.initial_bytes > 64 + EDU_DMA_SIZE);
	assert_int_equal(info.dirty_bytes, 0);
	len = mig_read(src->dev, stream, STREAM_MAX, READ_PIECE);
	assert_int_equal(len, info.initial_bytes);
	n = parse(stream, len, secs, 64);
	assert_int_equal(blocks_of(secs, n, UVFIO_MIG_INITIAL, 0, &has_regs),
			 0xff);
	assert_true(has_regs);
	dirty_round(src, stream, &len, false, 0);

	/* Still running in PRE_COPY: a DMA into block 3 happens. */
	fill(src->ram, 16, 20);
	dma(src, IOVA, EDU_DMA_START + 3 * 512 + 100, 16, EDU_DMA_RUN);
	dirty_round(src, stream, &len, true, 1u << 3);
	/* A register alone. */
	set_reg(src, EDU_REG_LIVENESS, 0xabcdef);
	dirty_round(src, stream, &len, true, 0);
	/* Reads, and a DMA out of the buffer, leave the buffer clean. */
	read_regs(src, regs);
	dirty_round(src, stream, &len, false, 0);
	dma(src, EDU_DMA_START, IOVA + 0x3000, 64,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	dirty_round(src, stream, &len, true, 0);
	/* Across blocks 5 and 6, and the last byte of the buffer. */
	fill(src->ram, 0x300, 21);
	dma(src, IOVA, EDU_DMA_START + 5 * 512 + 400, 0x200, EDU_DMA_RUN);
	dma(src, IOVA + 0x200, EDU_DMA_START + EDU_DMA_SIZE - 1, 1,
	    EDU_DMA_RUN);
	dirty_round(src, stream, &len, true, (1u << 5) | (1u << 6) | (1u << 7));
	set_reg(src, EDU_REG_IRQ_RAISE, 0x8);
	dirty_round(src, stream, &len, true, 0);
	/* PRE_COPY_P2P stops the device: a transfer waits (registers
	 * only), and happens back in PRE_COPY (its block). */
	mig_go(src->dev, ST_PRE_COPY_P2P);
	fill(src->ram, 32, 22);
	dma_start(src, IOVA, EDU_DMA_START + 700, 32, EDU_DMA_RUN);
	dirty_round(src, stream, &len, true, 0);
	mig_go(src->dev, ST_PRE_COPY);
	assert_int_equal(rd(src, BAR0, EDU_REG_DMA_CMD, 8), 0);
	dirty_round(src, stream, &len, true, 1u << 1);

	/* STOP_COPY: the same session ends with everything, then END. */
	read_regs(src, regs);
	mig_go(src->dev, ST_STOP_COPY);
	final_from = len;
	len += mig_read(src->dev, stream + len, STREAM_MAX - len, READ_PIECE);
	n = parse(stream, len, secs, 64);
	assert_int_equal(blocks_of(secs, n, UVFIO_MIG_FINAL, final_from,
				   &has_regs),
			 0xff);
	assert_true(has_regs);
	assert_int_equal(secs[n - 1].kind, 2);

	mig_load(dst->dev, stream, len);
	mig_go(dst->dev, ST_RUNNING);
	assert_regs(dst, regs);
	mig_go(src->dev, ST_RUNNING);
	read_whole_buffer(src, got);
	read_whole_buffer(dst, stream);
	assert_memory_equal(got, stream, EDU_DMA_SIZE);
	fx_free(dst);
}

/*
 * Stopped, edu does no DMA and raises no interrupt, but answers config
 * space and its registers; the work a guest starts waits, travels in the
 * stream, and the destination does it once running.
 */
static void test_mig_quiesce(void **state)
{
	struct fx *src = *state, *dst = fx_new("edu1");
	static uint8_t stream[STREAM_MAX];
	uint8_t want[256];
	uint64_t regs[NR_REGS];
	struct sec secs[8];
	size_t len;

	set_master(src, true);
	irq_bind(src->dev, INTX, src->intx);
	fill(src->ram, 256, 30);
	memcpy(want, src->ram, sizeof(want));
	dma(src, IOVA, EDU_DMA_START, 256, EDU_DMA_RUN);
	memset(src->ram + 0x1000, 0xaa, 256);

	mig_go(src->dev, ST_RUNNING_P2P);
	/* A transfer to guest memory: held, RUN stays, registers frozen. */
	dma_start(src, EDU_DMA_START, IOVA + 0x1000, 256,
		  EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	assert_int_equal(rd(src, BAR0, EDU_REG_DMA_CMD, 8),
			 EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	wr(src, BAR0, EDU_REG_DMA_CNT, 8, 8);
	assert_int_equal(rd(src, BAR0, EDU_REG_DMA_CNT, 8), 256);
	assert_all(src->ram + 0x1000, 0xaa, 256);
	/* A factorial: held, fact reads n, COMPUTING set, more writes wait. */
	set_reg(src, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	set_reg(src, EDU_REG_FACT, 5);
	set_reg(src, EDU_REG_FACT, 6);
	assert_int_equal(reg(src, EDU_REG_FACT), 5);
	assert_int_equal(reg(src, EDU_REG_STATUS),
			 EDU_STATUS_IRQFACT | EDU_STATUS_COMPUTING);
	/* A raise: recorded, not signalled; acknowledged before it is. */
	set_reg(src, EDU_REG_IRQ_RAISE, 0x2);
	assert_int_equal(reg(src, EDU_REG_IRQ_STATUS), 0x2);
	set_reg(src, EDU_REG_IRQ_ACK, 0x2);
	assert_int_equal(test_eventfd_count(src->intx), 0);
	/* Config space still answers, and takes writes. */
	assert_int_equal(rd(src, CONFIG, 0x00, 2), EDU_VENDOR_ID);
	set_master(src, false);
	assert_int_equal(rd(src, CONFIG, 0x04, 2) & 0x4, 0);
	set_master(src, true);
	mig_go(src->dev, ST_STOP);
	assert_int_equal(test_eventfd_count(src->intx), 0);
	assert_int_equal(src->log.warnings, 0);

	read_regs(src, regs);
	len = mig_save(src->dev, stream, READ_PIECE);
	parse(stream, len, secs, 8);
	assert_int_equal(le(secs[0].data + 16, 8),
			 EDU_STATUS_IRQFACT | EDU_STATUS_COMPUTING);
	assert_int_equal(le(secs[0].data + 56, 8) & EDU_DMA_RUN, EDU_DMA_RUN);

	/* The destination: loaded and stopped, still nothing happens. */
	set_master(dst, true);
	irq_bind(dst->dev, INTX, dst->intx);
	memset(dst->ram + 0x1000, 0x55, 256);
	mig_load(dst->dev, stream, len);
	assert_regs(dst, regs);
	mig_go(dst->dev, ST_RUNNING_P2P);
	assert_all(dst->ram + 0x1000, 0x55, 256);
	assert_int_equal(test_eventfd_count(dst->intx), 0);
	/* Running: the transfer, the factorial, one interrupt. */
	mig_go(dst->dev, ST_RUNNING);
	assert_memory_equal(dst->ram + 0x1000, want, 256);
	assert_int_equal(reg(dst, EDU_REG_FACT), 120);
	assert_int_equal(reg(dst, EDU_REG_STATUS), EDU_STATUS_IRQFACT);
	assert_int_equal(rd(dst, BAR0, EDU_REG_DMA_CMD, 8),
			 EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	assert_int_equal(reg(dst, EDU_REG_IRQ_STATUS),
			 EDU_IRQ_FACT | EDU_IRQ_DMA);
	assert_int_equal(test_eventfd_count(dst->intx), 1);
	assert_int_equal(dst->log.warnings, 0);

	/* The source never moved a byte while stopped... */
	assert_all(src->ram + 0x1000, 0xaa, 256);
	assert_int_equal(test_eventfd_count(src->intx), 0);
	/* ...and, migration given up, finishes the same work itself. */
	mig_go(src->dev, ST_RUNNING);
	assert_memory_equal(src->ram + 0x1000, want, 256);
	assert_int_equal(reg(src, EDU_REG_FACT), 120);
	assert_int_equal(reg(src, EDU_REG_IRQ_STATUS),
			 EDU_IRQ_FACT | EDU_IRQ_DMA);
	assert_int_equal(test_eventfd_count(src->intx), 1);
	fx_free(dst);
}

/* Stopped, a transfer outside the buffer completes at once, moving nothing. */
static void test_mig_quiesce_bad_dma(void **state)
{
	struct fx *f = *state;

	set_master(f, true);
	irq_bind(f->dev, MSI, f->msi);
	mig_go(f->dev, ST_STOP);
	dma_start(f, IOVA, EDU_DMA_START + 4000, 200,
		  EDU_DMA_RUN | EDU_DMA_IRQ);
	assert_int_equal(f->log.warnings, 1);
	assert_non_null(strstr(f->log.last, "outside the buffer"));
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), EDU_DMA_IRQ);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	/* Another raise while stopped: still one message at RUNNING. */
	set_reg(f, EDU_REG_IRQ_RAISE, 0x1);
	assert_int_equal(test_eventfd_count(f->msi), 0);
	mig_go(f->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(f->msi), 1);
	/* Running again, raises signal at once. */
	set_reg(f, EDU_REG_IRQ_RAISE, 0x1);
	assert_int_equal(test_eventfd_count(f->msi), 1);
}

/* A reset ends a stop and drops the work it held, signalling nothing. */
static void test_mig_reset(void **state)
{
	struct fx *f = *state;
	static uint8_t stream[STREAM_MAX];
	size_t len;

	set_master(f, true);
	irq_bind(f->dev, MSI, f->msi);
	mig_go(f->dev, ST_STOP);
	set_reg(f, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	set_reg(f, EDU_REG_FACT, 4);
	dma_start(f, IOVA, EDU_DMA_START, 0, EDU_DMA_RUN);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), EDU_DMA_RUN);
	assert_int_equal(uvfio_device_reset(f->dev), 0);
	assert_int_equal(mig_get(f->dev), ST_RUNNING);
	assert_int_equal(reg(f, EDU_REG_STATUS), EDU_STATUS_IRQFACT);
	assert_int_equal(reg(f, EDU_REG_FACT), 4);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), 0);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
	assert_int_equal(test_eventfd_count(f->msi), 0);
	/* Running: work is done at once again. */
	set_reg(f, EDU_REG_FACT, 4);
	assert_int_equal(reg(f, EDU_REG_FACT), 24);
	assert_int_equal(test_eventfd_count(f->msi), 1);

	/* Out of RESUMING with a partial stream, and out of STOP_COPY. */
	len = mig_save(f->dev, stream, READ_PIECE);
	mig_go(f->dev, ST_STOP);
	assert_int_equal(mig_feed(f->dev, stream, len / 2), (ssize_t)(len / 2));
	assert_int_equal(mig_set(f->dev, ST_STOP), -EINVAL);
	assert_int_equal(uvfio_device_reset(f->dev), 0);
	assert_int_equal(mig_get(f->dev), ST_RUNNING);
	mig_go(f->dev, ST_STOP_COPY);
	assert_int_equal(uvfio_device_reset(f->dev), 0);
	assert_int_equal(mig_get(f->dev), ST_RUNNING);
	assert_int_equal(reg(f, EDU_REG_FACT), 24);
}

/*
 * edu's part of the rule for a refused load (device-test.h has the rest):
 * every register stays, in RESUMING and after the reset that leaves it;
 * and, at the end, the buffer.
 */
struct kept_regs {
	struct fx *f;
	uint64_t regs[NR_REGS];
};

static void assert_regs_kept(void *opaque)
{
	struct kept_regs *k = opaque;

	assert_regs(k->f, k->regs);
}

static void refusal_start(struct refusal *r, struct kept_regs *k,
			  struct fx *dst)
{
	k->f = dst;
	read_regs(dst, k->regs);
	refusal_init(r, dst->dev, &dst->log, READ_PIECE, assert_regs_kept, k);
}

static void refusal_done(struct refusal *r, struct fx *dst,
			 const uint8_t *own_buf)
{
	uint8_t got[EDU_DMA_SIZE];

	assert_int_equal(mig_save(dst->dev, r->check, READ_PIECE), r->own_len);
	assert_memory_equal(r->check, r->own, r->own_len);
	mig_go(dst->dev, ST_RUNNING);
	read_whole_buffer(dst, got);
	assert_memory_equal(got, own_buf, sizeof(got));
	refusal_free(r);
}

static void test_mig_corruption(void **state)
{
	struct fx *src = *state, *dst = fx_new("edu1");
	static uint8_t stream[STREAM_MAX];
	uint8_t own_buf[EDU_DMA_SIZE];
	uint64_t regs[NR_REGS];
	struct kept_regs kept;
	struct refusal r;
	size_t len;

	/* The source holds work back, so its stream has it. */
	make_busy(src, 3);
	mig_go(src->dev, ST_STOP);
	set_reg(src, EDU_REG_FACT, 7);
	dma_start(src, IOVA, EDU_DMA_START + 1000, 77, EDU_DMA_RUN);
	read_regs(src, regs);
	len = mig_save(src->dev, stream, READ_PIECE);
	assert_true(len > EDU_DMA_SIZE);

	make_busy(dst, 4);
	memcpy(own_buf, dst->ram, sizeof(own_buf));
	refusal_start(&r, &kept, dst);
	refused_corruptions(&r, stream, len);
	assert_int_equal(r.count, 4 * len + 1);
	refusal_done(&r, dst, own_buf);

	/* And the stream itself loads. */
	mig_load(dst->dev, stream, len);
	assert_regs(dst, regs);
	fx_free(dst);
}

/* A stream whose framing is sound, with values edu cannot hold. */
static void test_mig_bad_values(void **state)
{
	static const struct {
		unsigned int reg;
		uint64_t value;
		const char *says;
	} bad_regs[] = {
		{ 0, 1ull << 32, "liveness 0x100000000" },
		{ 1, ~0ull, "fact 0xffffffffffffffff" },
		{ 2, 0x02, "status 0x2" },
		{ 2, 0x100, "status 0x100" },
		{ 3, 1ull << 40, "irq_status 0x10000000000" },
		/* RUN with a count past the buffer, RAM -> buffer */
		{ 7, EDU_DMA_RUN, "dma_cnt 0x1001" },
		/* RUN, buffer -> RAM from below the buffer */
		{ 7, EDU_DMA_RUN | EDU_DMA_TO_RAM, "buffer address 0x3ffff" },
	};
	struct fx *src = *state, *dst = fx_new("edu1");
	static uint8_t stream[STREAM_MAX];
	static struct builder b;
	uint8_t own_buf[EDU_DMA_SIZE], regs[64], blk[4 + EDU_DMA_SIZE];
	struct kept_regs kept;
	struct refusal r;
	struct sec secs[8];
	size_t len;

	make_busy(src, 5);
	len = mig_save(src->dev, stream, READ_PIECE);
	assert_int_equal(parse(stream, len, secs, 8), 3);
	memcpy(regs, secs[0].data, 64);
	memcpy(blk, secs[1].data, sizeof(blk));
	make_busy(dst, 6);
	memcpy(own_buf, dst->ram, sizeof(own_buf));
	refusal_start(&r, &kept, dst);

	for (size_t i = 0; i < ARRAY_SIZE(bad_regs); i++) {
		uint8_t v[64];

		memcpy(v, regs, 64);
		put_le(v + 8 * bad_regs[i].reg, bad_regs[i].value, 8);
		if (bad_regs[i].reg == 7) {
			put_le(v + 32, EDU_DMA_START - 1, 8); /* src */
			put_le(v + 40, EDU_DMA_START, 8);     /* dst */
			put_le(v + 48,
			       bad_regs[i].value & EDU_DMA_TO_RAM ?
				       16 :
				       EDU_DMA_SIZE + 1,
			       8);
		}
		build_start(&b, stream);
		build_data(&b, SEC_REGS, UVFIO_MIG_FINAL, v, 64);
		build_data(&b, SEC_BUF, UVFIO_MIG_FINAL, blk, sizeof(blk));
		build_end(&b);
		refused_saying(&r, b.s, b.len, bad_regs[i].says);
	}

	/* Sections of the wrong size, place or type. */
	{
		static const struct {
			uint16_t type;
			size_t len;
			uint32_t off;
			const char *says;
		} bad_secs[] = {
			{ SEC_REGS, 63, 0, "register section of 63 bytes" },
			{ SEC_REGS, 65, 0, "register section of 65 bytes" },
			{ SEC_BUF, 3, 0, "buffer section of 3 bytes" },
			{ SEC_BUF, 4, 0, "offset 0x0 of 0 bytes" },
			{ SEC_BUF, 4 + 511, 0, "offset 0x0 of 511 bytes" },
			{ SEC_BUF, 4 + 512, 100, "offset 0x64 of 512" },
			{ SEC_BUF, 4 + 512, 4096, "offset 0x1000 of 512" },
			{ SEC_BUF, 4 + 1024, 3584, "offset 0xe00 of 1024" },
			{ SEC_BUF, 4 + 512, 0xfffffe00,
			  "offset 0xfffffe00 of 512" },
			{ 3, 8, 0, "unknown section type 3" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad_secs); i++) {
			uint8_t v[4 + 1024] = { 0 };

			put_le(v, bad_secs[i].off, 4);
			if (bad_secs[i].type == SEC_REGS)
				memcpy(v, regs, 64);
			build_start(&b, stream);
			build_data(&b, SEC_REGS, UVFIO_MIG_INITIAL, regs, 64);
			build_data(&b, bad_secs[i].type, UVFIO_MIG_DIRTY, v,
				   bad_secs[i].len);
			build_data(&b, SEC_REGS, UVFIO_MIG_FINAL, regs, 64);
			build_data(&b, SEC_BUF, UVFIO_MIG_FINAL, blk,
				   sizeof(blk));
			build_end(&b);
			refused_saying(&r, b.s, b.len, bad_secs[i].says);
		}
	}

	/* A final state short of a block, or of the registers. */
	build_start(&b, stream);
	build_data(&b, SEC_REGS, UVFIO_MIG_INITIAL, regs, 64);
	build_data(&b, SEC_BUF, UVFIO_MIG_INITIAL, blk, sizeof(blk));
	build_data(&b, SEC_REGS, UVFIO_MIG_FINAL, regs, 64);
	build_data(&b, SEC_BUF, UVFIO_MIG_FINAL, blk, 4 + 7 * 512);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "blocks 0x7f of 0xff");
	build_start(&b, stream);
	build_data(&b, SEC_REGS, UVFIO_MIG_DIRTY, regs, 64);
	build_data(&b, SEC_BUF, UVFIO_MIG_FINAL, blk, sizeof(blk));
	build_end(&b);
	refused_saying(&r, b.s, b.len, "has no registers");
	build_start(&b, stream);
	build_end(&b);
	refused(&r, b.s, b.len);
	refusal_done(&r, dst, own_buf);

	/* Built the same way, a final state in pieces, in any order, loads. */
	{
		uint8_t half[4 + EDU_DMA_SIZE / 2];
		uint8_t got[EDU_DMA_SIZE];
		uint64_t want[NR_REGS];

		build_start(&b, stream);
		build_data(&b, SEC_BUF, UVFIO_MIG_INITIAL, blk, sizeof(blk));
		put_le(half, EDU_DMA_SIZE / 2, 4);
		memcpy(half + 4, blk + 4 + EDU_DMA_SIZE / 2, EDU_DMA_SIZE / 2);
		build_data(&b, SEC_BUF, UVFIO_MIG_FINAL, half, sizeof(half));
		build_data(&b, SEC_BUF, UVFIO_MIG_FINAL, blk, sizeof(half));
		build_data(&b, SEC_REGS, UVFIO_MIG_FINAL, regs, 64);
		build_end(&b);
		dev_log_clear(&dst->log);
		mig_load(dst->dev, b.s, b.len);
		assert_int_equal(dst->log.len, 0);
		mig_go(src->dev, ST_RUNNING);
		read_regs(src, want);
		mig_go(dst->dev, ST_RUNNING);
		assert_regs(dst, want);
		read_whole_buffer(dst, got);
		assert_memory_equal(got, blk + 4, EDU_DMA_SIZE);
	}
	fx_free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_identity),
		cmocka_unit_test(test_bad_name),
		T(test_id_liveness),
		T(test_access_sizes),
		T(test_factorial),
		T(test_status),
		T(test_intx),
		T(test_fact_irq),
		T(test_msi),
		T(test_dma),
		T(test_dma_dirty_log),
		T(test_dma_irq_intx),
		T(test_dma_messages),
		T(test_dma_unmapped),
		T(test_dma_read_only),
		T(test_dma_out_of_range),
		T(test_dma_bus_master),
		T(test_dma_mask),
		T(test_dma_regs),
		T(test_reset),
		T(test_mig_features),
		T(test_mig_round_trip),
		T(test_mig_irq_reraise),
		T(test_mig_precopy),
		T(test_mig_quiesce),
		T(test_mig_quiesce_bad_dma),
		T(test_mig_reset),
		T(test_mig_corruption),
		T(test_mig_bad_values),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
