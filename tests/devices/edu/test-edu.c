// SPDX-License-Identifier: MIT
/*
 * The edu device in-process: config space, registers, access sizes,
 * factorial, interrupts (INTx and MSI on eventfds), DMA through fd-mapped
 * and message-based windows, refused DMA, and reset.  Driven through the
 * device core's calls, as a transport would.
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

#include "edu/edu.h"
#include "test-util.h"

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
	unsigned int warnings;
	char last[512];
	/* message-based memory at MSG_IOVA */
	uint8_t msg_mem[2 * 4096];
	unsigned int msg_calls;
	unsigned int msg_fail_at; /* fail the n-th call (1-based), 0 never */
};

static void sink(void *opaque, enum uvfio_log_level level, const char *name,
		 const char *msg)
{
	struct fx *f = opaque;

	(void)name;
	if (level <= UVFIO_LOG_WARNING) {
		f->warnings++;
		snprintf(f->last, sizeof(f->last), "%s", msg);
	}
}

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

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->pci = edu_new("edu0");
	assert_non_null(f->pci);
	f->dev = uvfio_pci_device(f->pci);
	f->dma = uvfio_device_dma(f->dev);
	uvfio_device_set_log(f->dev, sink, f, UVFIO_LOG_DEBUG);
	uvfio_dma_set_msg_handler(f->dma, msg_handler, f);
	f->memfd = memfd_create("edu-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, RAM_SIZE), 0);
	/* As a transport would insist on: the memory cannot shrink. */
	assert_int_equal(
		fcntl(f->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->memfd, 0);
	assert_true(f->ram != MAP_FAILED);
	assert_int_equal(uvfio_dma_map(f->dma, IOVA, RAM_SIZE, RW, f->memfd, 0),
			 0);
	f->intx = test_eventfd();
	f->msi = test_eventfd();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	uvfio_pci_destroy(f->pci);
	munmap(f->ram, RAM_SIZE);
	close(f->memfd);
	close(f->intx);
	close(f->msi);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static uint64_t rd(struct fx *f, unsigned int region, uint64_t off, size_t len)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	assert_true(len <= 8);
	assert_int_equal(uvfio_device_region_access(f->dev, region, off, b, len,
						    false),
			 (ssize_t)len);
	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void wr(struct fx *f, unsigned int region, uint64_t off, size_t len,
	       uint64_t v)
{
	uint8_t b[8];

	assert_true(len <= 8);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	assert_int_equal(uvfio_device_region_access(f->dev, region, off, b, len,
						    true),
			 (ssize_t)len);
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

static void set_irqs(struct fx *f, unsigned int index, uint32_t flags,
		     uint32_t count, int fd, int expect)
{
	bool with_fd = flags & UVFIO_IRQ_SET_DATA_EVENTFD;
	size_t size = sizeof(struct uvfio_irq_set) + (with_fd ? 4 : 0);
	struct uvfio_irq_set *set = calloc(1, size);
	int32_t fd32 = fd;

	assert_non_null(set);
	*set = (struct uvfio_irq_set){ .argsz = (uint32_t)size,
				       .flags = flags,
				       .index = index,
				       .count = count };
	if (with_fd)
		memcpy(set->data, &fd32, sizeof(fd32));
	assert_int_equal(uvfio_device_set_irqs(f->dev, set), expect);
	free(set);
}

static void bind(struct fx *f, unsigned int index, int fd)
{
	set_irqs(f, index,
		 UVFIO_IRQ_SET_DATA_EVENTFD | UVFIO_IRQ_SET_ACTION_TRIGGER, 1,
		 fd, 0);
}

static void unmask_intx(struct fx *f)
{
	set_irqs(f, INTX, UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_UNMASK,
		 1, -1, 0);
}

/* Start a transfer; edu finishes it before the write returns. */
static void dma(struct fx *f, uint64_t src, uint64_t dst, uint64_t cnt,
		uint64_t cmd)
{
	wr(f, BAR0, EDU_REG_DMA_SRC, 8, src);
	wr(f, BAR0, EDU_REG_DMA_DST, 8, dst);
	wr(f, BAR0, EDU_REG_DMA_CNT, 8, cnt);
	wr(f, BAR0, EDU_REG_DMA_CMD, 8, cmd);
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
	bind(f, INTX, f->intx);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	set_reg(f, EDU_REG_IRQ_ACK, 0x40);
	unmask_intx(f);
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
	unmask_intx(f);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	set_reg(f, EDU_REG_IRQ_ACK, 0xffffffff);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
	unmask_intx(f);
	assert_int_equal(test_eventfd_count(f->intx), 0);

	set_reg(f, EDU_REG_IRQ_RAISE, 0x2);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	set_reg(f, EDU_REG_IRQ_ACK, 0x2);
	unmask_intx(f);
	assert_int_equal(test_eventfd_count(f->intx), 0);
	assert_int_equal(test_eventfd_count(f->msi), 0);
}

static void test_fact_irq(void **state)
{
	struct fx *f = *state;

	bind(f, INTX, f->intx);
	set_reg(f, EDU_REG_STATUS, EDU_STATUS_IRQFACT);
	set_reg(f, EDU_REG_FACT, 7);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	assert_int_equal(reg(f, EDU_REG_FACT), 5040);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_FACT);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_FACT);
	unmask_intx(f);
	set_reg(f, EDU_REG_STATUS, 0);
	set_reg(f, EDU_REG_FACT, 4);
	assert_int_equal(reg(f, EDU_REG_FACT), 24);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
	assert_int_equal(test_eventfd_count(f->intx), 0);
}

static void test_msi(void **state)
{
	struct fx *f = *state;

	bind(f, INTX, f->intx);
	/* One of INTx and MSI at a time. */
	set_irqs(f, MSI,
		 UVFIO_IRQ_SET_DATA_EVENTFD | UVFIO_IRQ_SET_ACTION_TRIGGER, 1,
		 f->msi, -EINVAL);
	set_irqs(f, INTX,
		 UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_TRIGGER, 0, -1,
		 0);
	bind(f, MSI, f->msi);

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
	assert_int_equal(f->warnings, 0);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
}

static void test_dma_irq_intx(void **state)
{
	struct fx *f = *state;

	set_master(f, true);
	bind(f, INTX, f->intx);
	dma(f, IOVA, EDU_DMA_START, 8, EDU_DMA_RUN | EDU_DMA_IRQ);
	assert_int_equal(test_eventfd_count(f->intx), 1);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	assert_int_equal(rd(f, BAR0, EDU_REG_DMA_CMD, 8), EDU_DMA_IRQ);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	unmask_intx(f);
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
	assert_int_equal(f->warnings, 1);
	assert_non_null(strstr(f->last, "failed"));
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
	assert_int_equal(f->warnings, 1);
	assert_non_null(strstr(f->last, "Bad address"));
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	dma(f, EDU_DMA_START, IOVA + RAM_SIZE - 128, 256,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(f->warnings, 2);
	assert_memory_equal(f->ram, before, RAM_SIZE);

	/* Nowhere -> buffer: the buffer keeps its bytes. */
	dma(f, 0x800000, EDU_DMA_START, 256, EDU_DMA_RUN);
	dma(f, IOVA + RAM_SIZE - 128, EDU_DMA_START, 256, EDU_DMA_RUN);
	assert_int_equal(f->warnings, 4);
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
	assert_int_equal(f->warnings, 0);
	dma(f, EDU_DMA_START, IOVA + 0x1000, 64, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(f->warnings, 1);
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
		assert_int_equal(f->warnings, 2 * i + 1);
		assert_non_null(strstr(f->last, "outside the buffer"));
		dma(f, bad[i].buf, IOVA + 0x1000, bad[i].cnt,
		    EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
		assert_int_equal(f->warnings, 2 * i + 2);
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
	assert_int_equal(f->warnings, 1);
	assert_non_null(strstr(f->last, "Bus Master"));
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	set_reg(f, EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	dma(f, EDU_DMA_START, IOVA + 0x1000, 32, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	assert_int_equal(f->warnings, 2);
	assert_all(f->ram + 0x1000, 0xaa, 32);

	set_master(f, true);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_all(buf, 0, sizeof(buf));
	dma(f, IOVA, EDU_DMA_START, 32, EDU_DMA_RUN);
	read_buffer(f, 0, buf, sizeof(buf));
	assert_memory_equal(buf, f->ram, sizeof(buf));
	assert_int_equal(f->warnings, 2);
}

static void test_dma_mask(void **state)
{
	struct fx *f = *state;
	uint8_t buf[16];

	set_master(f, true);
	fill(f->ram, 16, 10);
	/* 28 address bits: the upper ones are dropped, as QEMU's edu does. */
	dma(f, (1ull << 28) | IOVA, EDU_DMA_START, 16, EDU_DMA_RUN);
	assert_int_equal(f->warnings, 1);
	assert_non_null(strstr(f->last, "clamped"));
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
	assert_int_equal(f->warnings, 0);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0);
}

/* ---- reset ---- */

/* As QEMU's edu behind vfio-pci: no reset method, no reset. */
static void test_no_reset(void **state)
{
	struct fx *f = *state;

	set_reg(f, EDU_REG_LIVENESS, 1);
	set_reg(f, EDU_REG_IRQ_RAISE, 0x10);
	assert_int_equal(uvfio_device_reset(f->dev), -EINVAL);
	assert_int_equal(reg(f, EDU_REG_LIVENESS), 0xfffffffe);
	assert_int_equal(reg(f, EDU_REG_IRQ_STATUS), 0x10);
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
		T(test_dma_irq_intx),
		T(test_dma_messages),
		T(test_dma_unmapped),
		T(test_dma_read_only),
		T(test_dma_out_of_range),
		T(test_dma_bus_master),
		T(test_dma_mask),
		T(test_dma_regs),
		T(test_no_reset),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
