// SPDX-License-Identifier: MIT
/*
 * edu-suite DEVICE [--qemu-7.2]: every register-level behaviour of QEMU's
 * educational PCI device (QEMU docs/specs/edu.rst), run through the client
 * library against whatever DEVICE names: uvfio's edu served by uvfiod
 * ("unix:PATH"), or QEMU's edu bound to the kernel's vfio-pci ("vfio:BDF").
 * Only the public client API and VFIO semantics are used, nothing that is
 * particular to uvfio.  Prints TAP; exits 0 iff every test passed.
 *
 * --qemu-7.2 skips the transfers that end exactly at the end of the DMA
 * buffer: QEMU 7.2's edu aborts on them (an off-by-one in its range check).
 *
 * Waiting (for the status and command registers, for an eventfd) is a
 * bounded number of 1 ms polls, never a timed assertion.
 *
 * Registers are read 4 bytes at a time: vfio-pci before Linux 6.14 splits
 * an 8-byte access of a BAR into two 4-byte ones on x86, and edu has no
 * register at the upper half of its 64-bit DMA registers, so what an
 * 8-byte access does depends on the kernel.  8-byte writes of values below
 * 4 GiB (as the DMA setup does) mean the same on every kernel.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/client.h>
#include <uvfio/dma.h>

#include "suite.h"

/* What the spec and QEMU's hw/misc/edu.c say; kept apart from edu.h on
 * purpose, so that the suite checks the device against the spec. */
#define BAR0 0
#define CONFIG 7 /* vfio-pci's config region index */
#define INTX 0
#define MSI 1

#define REG_ID 0x00
#define REG_LIVENESS 0x04
#define REG_FACT 0x08
#define REG_STATUS 0x20
#define REG_IRQ_STATUS 0x24
#define REG_IRQ_RAISE 0x60
#define REG_IRQ_ACK 0x64
#define REG_DMA_SRC 0x80
#define REG_DMA_DST 0x88
#define REG_DMA_CNT 0x90
#define REG_DMA_CMD 0x98

#define STATUS_COMPUTING 0x01
#define STATUS_IRQFACT 0x80
#define IRQ_FACT 0x001
#define IRQ_DMA 0x100
#define DMA_RUN 0x1
#define DMA_TO_RAM 0x2
#define DMA_IRQ 0x4
#define DMA_BUF 0x40000
#define DMA_BUF_SIZE 4096

#define CMD_MEM 0x2
#define CMD_MASTER 0x4

/* IOVAs below 256 MiB: the edu's default DMA mask is 28 bits. */
#define PAGE 4096
#define IOVA_RAM 0x100000ull /* RAM_PAGES pages, mapped with an fd */
#define RAM_PAGES 4
#define IOVA_MSG 0x200000ull /* MSG_PAGES pages, mapped without an fd */
#define MSG_PAGES 2
#define IOVA_GONE 0x300000ull /* mapped, then unmapped */

#define POLL_TRIES 5000 /* of 1 ms each */

struct suite {
	struct uvfio_client *c;
	bool qemu72;
	struct uvfio_device_info info;
	struct uvfio_client_buffer ram, msg, gone;
	bool ram_mapped;
	int intx_fd, msi_fd;
	const char *skip_reason;
};

/* Little-endian values of @len bytes, as PCI has them. */
static int rd(struct suite *t, uint32_t index, uint64_t off, size_t len,
	      uint64_t *val)
{
	uint8_t b[8] = { 0 };

	*val = 0;
	if (region_rw(t->c, index, off, b, len, false))
		return -1;
	for (size_t i = 0; i < len; i++)
		*val |= (uint64_t)b[i] << (8 * i);
	return 0;
}

static int wr(struct suite *t, uint32_t index, uint64_t off, size_t len,
	      uint64_t val)
{
	uint8_t b[8];

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(val >> (8 * i));
	return region_rw(t->c, index, off, b, len, true);
}

static int rd32(struct suite *t, uint64_t off, uint32_t *val)
{
	uint64_t v;
	int ret = rd(t, BAR0, off, 4, &v);

	*val = (uint32_t)v;
	return ret;
}

static int wr32(struct suite *t, uint64_t off, uint32_t val)
{
	return wr(t, BAR0, off, 4, val);
}

static int wr64(struct suite *t, uint64_t off, uint64_t val)
{
	return wr(t, BAR0, off, 8, val);
}

/* Expect register @off (4 bytes) to read @want. */
static int expect32(struct suite *t, uint64_t off, uint32_t want)
{
	uint32_t v;

	if (rd32(t, off, &v))
		return -1;
	if (v == want)
		return 0;
	diag("register 0x%llx reads 0x%08x, expected 0x%08x",
	     (unsigned long long)off, v, want);
	return -1;
}

/* Poll until the bits @mask of register @off (@len bytes) are clear. */
static int wait_clear(struct suite *t, uint64_t off, size_t len, uint64_t mask)
{
	uint64_t v = 0;

	for (int i = 0; i < POLL_TRIES; i++) {
		if (rd(t, BAR0, off, len, &v))
			return -1;
		if (!(v & mask))
			return 0;
		sleep_1ms();
	}
	diag("register 0x%llx still reads 0x%llx after %d polls (mask 0x%llx)",
	     (unsigned long long)off, (unsigned long long)v, POLL_TRIES,
	     (unsigned long long)mask);
	return -1;
}

/* ---- Interrupts ---- */

static int ev_wait(int fd, const char *what)
{
	if (ev_poll(fd, POLL_TRIES))
		return 0;
	diag("no %s interrupt after %d polls", what, POLL_TRIES);
	return -1;
}

/* ---- DMA ---- */

static uint8_t *ram_page(struct suite *t, unsigned int page)
{
	return (uint8_t *)t->ram.addr + (size_t)page * PAGE;
}

/* Program a transfer, start it and wait for RUN to clear. */
static int dma(struct suite *t, uint64_t src, uint64_t dst, uint64_t cnt,
	       uint64_t cmd)
{
	TRY(wr64(t, REG_DMA_SRC, src) || wr64(t, REG_DMA_DST, dst) ||
	    wr64(t, REG_DMA_CNT, cnt) || wr64(t, REG_DMA_CMD, cmd));
	return wait_clear(t, REG_DMA_CMD, 4, DMA_RUN);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

static int same(const uint8_t *got, const uint8_t *want, size_t len,
		const char *what)
{
	for (size_t i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			diag("%s: byte %zu is 0x%02x, expected 0x%02x", what, i,
			     got[i], want[i]);
			return -1;
		}
	}
	return 0;
}

static int all(const uint8_t *p, size_t len, uint8_t byte, const char *what)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != byte) {
			diag("%s: byte %zu is 0x%02x, expected 0x%02x", what, i,
			     p[i], byte);
			return -1;
		}
	}
	return 0;
}

/* RAM page @from at @from_off -> buffer at @buf_off -> RAM page @to. */
static int round_trip(struct suite *t, unsigned int from, size_t from_off,
		      uint64_t buf_off, size_t cnt, unsigned int to,
		      unsigned int seed)
{
	fill(ram_page(t, from) + from_off, cnt, seed);
	memset(ram_page(t, to), 0xaa, PAGE);
	TRY(dma(t, IOVA_RAM + (uint64_t)from * PAGE + from_off,
		DMA_BUF + buf_off, cnt, DMA_RUN));
	TRY(dma(t, DMA_BUF + buf_off, IOVA_RAM + (uint64_t)to * PAGE, cnt,
		DMA_RUN | DMA_TO_RAM));
	TRY(same(ram_page(t, to), ram_page(t, from) + from_off, cnt,
		 "copied back"));
	return all(ram_page(t, to) + cnt, PAGE - cnt, 0xaa, "past the copy");
}

/* ---- Tests: identity and config space ---- */

static enum result test_device_info(struct suite *t)
{
	struct uvfio_irq_info irq = { .argsz = sizeof(irq), .index = MSI };

	CHECK(t->info.flags & UVFIO_DEVICE_FLAGS_PCI, "flags 0x%x",
	      t->info.flags);
	CHECK(t->info.num_regions >= 9, "%u regions", t->info.num_regions);
	CHECK(t->info.num_irqs >= 2, "%u irq indexes", t->info.num_irqs);
	CHECK(!uvfio_client_irq_info(t->c, &irq), "MSI irq info");
	CHECK(irq.count == 1 && (irq.flags & UVFIO_IRQ_INFO_EVENTFD),
	      "MSI: count %u flags 0x%x", irq.count, irq.flags);
	irq = (struct uvfio_irq_info){ .argsz = sizeof(irq), .index = INTX };
	CHECK(!uvfio_client_irq_info(t->c, &irq), "INTx irq info");
	CHECK(irq.count == 1 && (irq.flags & (UVFIO_IRQ_INFO_EVENTFD |
					      UVFIO_IRQ_INFO_MASKABLE |
					      UVFIO_IRQ_INFO_AUTOMASKED)) ==
					(UVFIO_IRQ_INFO_EVENTFD |
					 UVFIO_IRQ_INFO_MASKABLE |
					 UVFIO_IRQ_INFO_AUTOMASKED),
	      "INTx: count %u flags 0x%x", irq.count, irq.flags);
	return PASS;
}

static enum result test_regions(struct suite *t)
{
	const uint32_t rw = UVFIO_REGION_INFO_FLAG_READ |
			    UVFIO_REGION_INFO_FLAG_WRITE;
	struct uvfio_region_info *bar = NULL, *cfg = NULL;
	enum result r = FAIL;
	int ret;

	ret = uvfio_client_region_info(t->c, BAR0, &bar);
	if (ret) {
		diag("BAR0 region info: %s", strerror(-ret));
		goto out;
	}
	ret = uvfio_client_region_info(t->c, CONFIG, &cfg);
	if (ret) {
		diag("config region info: %s", strerror(-ret));
		goto out;
	}
	if (bar->size != 1 << 20 || (bar->flags & rw) != rw)
		diag("BAR0: size 0x%llx flags 0x%x",
		     (unsigned long long)bar->size, bar->flags);
	else if (cfg->size < 256 || (cfg->flags & rw) != rw)
		diag("config: size 0x%llx flags 0x%x",
		     (unsigned long long)cfg->size, cfg->flags);
	else
		r = PASS;
out:
	free(bar);
	free(cfg);
	return r;
}

static enum result test_ids(struct suite *t)
{
	uint64_t v;

	TRY(rd(t, CONFIG, 0x00, 4, &v));
	CHECK(v == 0x11e81234, "vendor:device dword 0x%08llx",
	      (unsigned long long)v);
	return PASS;
}

static enum result test_class(struct suite *t)
{
	uint64_t rev_class, subsys;

	TRY(rd(t, CONFIG, 0x08, 4, &rev_class));
	TRY(rd(t, CONFIG, 0x2c, 4, &subsys));
	CHECK((rev_class & 0xff) == 0x10, "revision 0x%02llx",
	      (unsigned long long)(rev_class & 0xff));
	CHECK(rev_class >> 8 == 0x00ff00, "class 0x%06llx",
	      (unsigned long long)(rev_class >> 8));
	CHECK(subsys == 0x11001af4, "subsystem dword 0x%08llx",
	      (unsigned long long)subsys);
	return PASS;
}

static enum result test_bar_pin(struct suite *t)
{
	uint64_t bar, pin;

	TRY(rd(t, CONFIG, 0x10, 4, &bar));
	TRY(rd(t, CONFIG, 0x3d, 1, &pin));
	/* memory space, 32-bit, not prefetchable */
	CHECK((bar & 0xf) == 0, "BAR0 register 0x%08llx",
	      (unsigned long long)bar);
	CHECK(pin == 1, "interrupt pin %llu", (unsigned long long)pin);
	return PASS;
}

static enum result test_msi_cap(struct suite *t)
{
	uint64_t status, ptr, id = 0, ctrl;

	TRY(rd(t, CONFIG, 0x06, 2, &status));
	CHECK(status & 0x10, "status 0x%04llx: no capability list",
	      (unsigned long long)status);
	TRY(rd(t, CONFIG, 0x34, 1, &ptr));
	for (int i = 0; i < 48 && ptr >= 0x40; i++) {
		ptr &= 0xfc;
		TRY(rd(t, CONFIG, ptr, 1, &id));
		if (id == 0x05)
			break;
		TRY(rd(t, CONFIG, ptr + 1, 1, &ptr));
	}
	CHECK(ptr >= 0x40 && id == 0x05, "no MSI capability");
	TRY(rd(t, CONFIG, ptr + 2, 2, &ctrl));
	/* 64-bit address, Multiple Message Capable = 1 vector, no masking */
	CHECK((ctrl & 0x80) && !(ctrl & 0x0e) && !(ctrl & 0x100),
	      "MSI at 0x%02llx: message control 0x%04llx",
	      (unsigned long long)ptr, (unsigned long long)ctrl);
	return PASS;
}

/* vfio-pci does not enable bus mastering: the user must. */
static enum result test_command(struct suite *t)
{
	uint64_t cmd;

	TRY(rd(t, CONFIG, 0x04, 2, &cmd));
	TRY(wr(t, CONFIG, 0x04, 2, cmd | CMD_MEM | CMD_MASTER));
	TRY(rd(t, CONFIG, 0x04, 2, &cmd));
	CHECK((cmd & (CMD_MEM | CMD_MASTER)) == (CMD_MEM | CMD_MASTER),
	      "command 0x%04llx", (unsigned long long)cmd);
	return PASS;
}

/* ---- Tests: registers ---- */

static enum result test_id(struct suite *t)
{
	TRY(expect32(t, REG_ID, 0x010000ed));
	return PASS;
}

static enum result test_liveness(struct suite *t)
{
	static const uint32_t vals[] = { 0x12345678, 0, 0xffffffff,
					 0xdeadbeef };

	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		TRY(wr32(t, REG_LIVENESS, vals[i]));
		TRY(expect32(t, REG_LIVENESS, ~vals[i]));
	}
	return PASS;
}

static enum result test_unimplemented(struct suite *t)
{
	/* No register there: all-ones, and writes change nothing. */
	TRY(expect32(t, 0x10, 0xffffffff));
	TRY(expect32(t, 0x28, 0xffffffff));
	TRY(expect32(t, REG_IRQ_RAISE, 0xffffffff));
	TRY(expect32(t, REG_DMA_SRC + 4, 0xffffffff));
	TRY(expect32(t, REG_DMA_CMD + 4, 0xffffffff));
	/* The DMA buffer is not visible through BAR0. */
	TRY(expect32(t, DMA_BUF, 0xffffffff));
	TRY(wr32(t, 0x10, 0));
	TRY(expect32(t, 0x10, 0xffffffff));
	TRY(wr32(t, REG_ID, 0));
	TRY(expect32(t, REG_ID, 0x010000ed));
	return PASS;
}

static uint32_t factorial(uint32_t n)
{
	uint32_t r = 1;

	while (n > 0)
		r *= n--;
	return r;
}

static enum result test_factorial(struct suite *t)
{
	static const uint32_t ns[] = { 0, 1, 5, 10, 12, 13, 20, 33 };
	uint32_t v;

	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		TRY(wait_clear(t, REG_STATUS, 4, STATUS_COMPUTING));
		TRY(wr32(t, REG_FACT, ns[i]));
		TRY(wait_clear(t, REG_STATUS, 4, STATUS_COMPUTING));
		TRY(rd32(t, REG_FACT, &v));
		CHECK(v == factorial(ns[i]), "%u! read as %u, expected %u",
		      ns[i], v, factorial(ns[i]));
	}
	return PASS;
}

static enum result test_status(struct suite *t)
{
	TRY(wait_clear(t, REG_STATUS, 4, STATUS_COMPUTING));
	TRY(wr32(t, REG_STATUS, STATUS_IRQFACT | STATUS_COMPUTING));
	TRY(expect32(t, REG_STATUS, STATUS_IRQFACT));
	TRY(wr32(t, REG_STATUS, 0));
	TRY(expect32(t, REG_STATUS, 0));
	return PASS;
}

/* ---- Tests: interrupts ---- */

static enum result test_intx(struct suite *t)
{
	/* Whatever an earlier user left pending goes first. */
	TRY(wr32(t, REG_IRQ_ACK, 0xffffffff));
	TRY(expect32(t, REG_IRQ_STATUS, 0));
	TRY(bind_eventfd(t->c, INTX, t->intx_fd));
	TRY(wr32(t, REG_IRQ_RAISE, 0x1));
	TRY(ev_wait(t->intx_fd, "INTx"));
	TRY(expect32(t, REG_IRQ_STATUS, 0x1));
	return PASS;
}

static enum result test_intx_ack(struct suite *t)
{
	/* Still asserted and automasked: a second cause adds no interrupt. */
	TRY(wr32(t, REG_IRQ_RAISE, 0x4));
	TRY(expect32(t, REG_IRQ_STATUS, 0x5));
	TRY(wr32(t, REG_IRQ_ACK, 0x1));
	TRY(expect32(t, REG_IRQ_STATUS, 0x4));
	TRY(wr32(t, REG_IRQ_ACK, 0x4));
	TRY(expect32(t, REG_IRQ_STATUS, 0));
	/* Deasserted: the unmask delivers nothing. */
	TRY(intx_unmask(t->c));
	TRY(ev_none(t->intx_fd, "INTx"));
	return PASS;
}

static enum result test_intx_again(struct suite *t)
{
	TRY(wr32(t, REG_IRQ_RAISE, 0x2));
	TRY(ev_wait(t->intx_fd, "second INTx"));
	TRY(expect32(t, REG_IRQ_STATUS, 0x2));
	TRY(wr32(t, REG_IRQ_ACK, 0x2));
	TRY(intx_unmask(t->c));
	TRY(ev_none(t->intx_fd, "INTx"));
	return PASS;
}

static enum result test_intx_level(struct suite *t)
{
	TRY(wr32(t, REG_IRQ_RAISE, 0x8));
	TRY(ev_wait(t->intx_fd, "INTx"));
	/* Not acked: still asserted, so the unmask delivers it again. */
	TRY(intx_unmask(t->c));
	TRY(ev_wait(t->intx_fd, "INTx after UNMASK"));
	TRY(wr32(t, REG_IRQ_ACK, 0x8));
	TRY(intx_unmask(t->c));
	TRY(ev_none(t->intx_fd, "INTx"));
	return PASS;
}

static enum result test_fact_irq(struct suite *t)
{
	uint32_t v;

	TRY(wait_clear(t, REG_STATUS, 4, STATUS_COMPUTING));
	TRY(wr32(t, REG_STATUS, STATUS_IRQFACT));
	TRY(wr32(t, REG_FACT, 7));
	TRY(ev_wait(t->intx_fd, "factorial INTx"));
	TRY(wait_clear(t, REG_STATUS, 4, STATUS_COMPUTING));
	TRY(rd32(t, REG_FACT, &v));
	CHECK(v == 5040, "7! read as %u", v);
	TRY(expect32(t, REG_IRQ_STATUS, IRQ_FACT));
	TRY(wr32(t, REG_IRQ_ACK, IRQ_FACT));
	TRY(intx_unmask(t->c));
	TRY(wr32(t, REG_STATUS, 0));
	TRY(expect32(t, REG_STATUS, 0));
	/* Without IRQFACT: no interrupt. */
	TRY(wr32(t, REG_FACT, 4));
	TRY(wait_clear(t, REG_STATUS, 4, STATUS_COMPUTING));
	TRY(expect32(t, REG_FACT, 24));
	TRY(expect32(t, REG_IRQ_STATUS, 0));
	TRY(ev_none(t->intx_fd, "INTx"));
	return PASS;
}

static enum result test_msi(struct suite *t)
{
	TRY(irq_disable(t->c, INTX));
	TRY(bind_eventfd(t->c, MSI, t->msi_fd));
	for (uint32_t cause = 0x1; cause <= 0x2; cause++) {
		TRY(wr32(t, REG_IRQ_RAISE, cause));
		TRY(ev_wait(t->msi_fd, "MSI"));
		TRY(expect32(t, REG_IRQ_STATUS, cause));
		TRY(wr32(t, REG_IRQ_ACK, cause));
		TRY(expect32(t, REG_IRQ_STATUS, 0));
	}
	TRY(ev_none(t->intx_fd, "INTx"));
	return PASS;
}

static enum result test_msi_each_raise(struct suite *t)
{
	TRY(wr32(t, REG_IRQ_RAISE, 0x10));
	TRY(ev_wait(t->msi_fd, "MSI"));
	/* A cause is pending: every raise sends a message. */
	TRY(wr32(t, REG_IRQ_RAISE, 0x20));
	TRY(ev_wait(t->msi_fd, "second MSI"));
	TRY(expect32(t, REG_IRQ_STATUS, 0x30));
	TRY(wr32(t, REG_IRQ_ACK, 0x30));
	TRY(expect32(t, REG_IRQ_STATUS, 0));
	TRY(ev_none(t->msi_fd, "MSI"));
	return PASS;
}

/* ---- Tests: DMA ---- */

static enum result test_dma_regs(struct suite *t)
{
	uint32_t cmd;
	uint64_t v;

	TRY(wr32(t, REG_DMA_SRC, 0x11223344));
	TRY(expect32(t, REG_DMA_SRC, 0x11223344));
	TRY(wr32(t, REG_DMA_DST, 0x55667788));
	TRY(expect32(t, REG_DMA_DST, 0x55667788));
	TRY(wr32(t, REG_DMA_CNT, 0x99));
	TRY(expect32(t, REG_DMA_CNT, 0x99));
	/* 8-byte accesses are accepted (the upper half: see the top). */
	TRY(wr64(t, REG_DMA_SRC, 0x12345678));
	TRY(expect32(t, REG_DMA_SRC, 0x12345678));
	TRY(rd(t, BAR0, REG_DMA_DST, 8, &v));
	CHECK((uint32_t)v == 0x55667788, "8-byte read of dst: 0x%016llx",
	      (unsigned long long)v);
	/* A command without RUN is ignored. */
	TRY(rd32(t, REG_DMA_CMD, &cmd));
	TRY(wr32(t, REG_DMA_CMD, (cmd ^ (DMA_TO_RAM | DMA_IRQ)) & ~1u));
	TRY(expect32(t, REG_DMA_CMD, cmd));
	return PASS;
}

static enum result test_dma(struct suite *t)
{
	TRY(round_trip(t, 0, 0, 0, 2048, 1, 1));
	/* RUN clears; direction and irq bits stay as written. */
	TRY(expect32(t, REG_DMA_CMD, DMA_TO_RAM));
	TRY(ev_none(t->msi_fd, "MSI"));
	return PASS;
}

static enum result test_dma_offset(struct suite *t)
{
	fill(ram_page(t, 0), PAGE, 2);
	memset(ram_page(t, 2), 0xaa, PAGE);
	/* 4-byte register writes; offsets in the page and in the buffer. */
	TRY(wr32(t, REG_DMA_SRC, (uint32_t)IOVA_RAM + 0x123));
	TRY(wr32(t, REG_DMA_DST, DMA_BUF + 0x800));
	TRY(wr32(t, REG_DMA_CNT, 0x100));
	TRY(wr32(t, REG_DMA_CMD, DMA_RUN));
	TRY(wait_clear(t, REG_DMA_CMD, 4, DMA_RUN));
	TRY(wr32(t, REG_DMA_SRC, DMA_BUF + 0x800));
	TRY(wr32(t, REG_DMA_DST, (uint32_t)IOVA_RAM + 2 * PAGE + 0x10));
	TRY(wr32(t, REG_DMA_CNT, 0x100));
	TRY(wr32(t, REG_DMA_CMD, DMA_RUN | DMA_TO_RAM));
	TRY(wait_clear(t, REG_DMA_CMD, 4, DMA_RUN));
	TRY(all(ram_page(t, 2), 0x10, 0xaa, "before the copy"));
	TRY(same(ram_page(t, 2) + 0x10, ram_page(t, 0) + 0x123, 0x100,
		 "copied back"));
	TRY(all(ram_page(t, 2) + 0x110, PAGE - 0x110, 0xaa, "after the copy"));
	return PASS;
}

static enum result test_dma_irq(struct suite *t)
{
	fill(ram_page(t, 0), 64, 3);
	TRY(dma(t, IOVA_RAM, DMA_BUF, 64, DMA_RUN | DMA_IRQ));
	TRY(ev_wait(t->msi_fd, "DMA MSI"));
	TRY(expect32(t, REG_IRQ_STATUS, IRQ_DMA));
	TRY(wr32(t, REG_IRQ_ACK, IRQ_DMA));
	TRY(expect32(t, REG_IRQ_STATUS, 0));
	TRY(dma(t, DMA_BUF, IOVA_RAM + PAGE, 64,
		DMA_RUN | DMA_TO_RAM | DMA_IRQ));
	TRY(ev_wait(t->msi_fd, "DMA MSI"));
	TRY(expect32(t, REG_IRQ_STATUS, IRQ_DMA));
	TRY(wr32(t, REG_IRQ_ACK, IRQ_DMA));
	TRY(same(ram_page(t, 1), ram_page(t, 0), 64, "copied back"));
	return PASS;
}

/* A window the client maps without a file descriptor (vfio-user: DMA
 * through messages; the kernel maps the memory all the same). */
static enum result test_dma_nofd(struct suite *t)
{
	uint8_t *m = t->msg.addr;
	enum result r = FAIL;
	int ret;

	ret = uvfio_client_dma_map(t->c, IOVA_MSG, t->msg.size,
				   UVFIO_DMA_READ | UVFIO_DMA_WRITE, -1, 0,
				   t->msg.addr);
	CHECK(!ret, "DMA_MAP without fd: %s", strerror(-ret));
	fill(m, PAGE, 4);
	memset(m + PAGE, 0xaa, PAGE);
	if (!dma(t, IOVA_MSG + 8, DMA_BUF + 16, 3000, DMA_RUN) &&
	    !dma(t, DMA_BUF + 16, IOVA_MSG + PAGE + 4, 3000,
		 DMA_RUN | DMA_TO_RAM) &&
	    !all(m + PAGE, 4, 0xaa, "before the copy") &&
	    !same(m + PAGE + 4, m + 8, 3000, "copied back") &&
	    !all(m + PAGE + 3004, PAGE - 3004, 0xaa, "after the copy"))
		r = PASS;
	ret = uvfio_client_dma_unmap(t->c, IOVA_MSG, t->msg.size);
	CHECK(!ret, "DMA_UNMAP: %s", strerror(-ret));
	return r;
}

static enum result test_dma_unmapped(struct suite *t)
{
	uint8_t *g = t->gone.addr;
	uint8_t before[RAM_PAGES * PAGE];
	int ret;

	ret = uvfio_client_dma_map(t->c, IOVA_GONE, t->gone.size,
				   UVFIO_DMA_READ | UVFIO_DMA_WRITE, t->gone.fd,
				   0, t->gone.addr);
	CHECK(!ret, "DMA_MAP: %s", strerror(-ret));
	ret = uvfio_client_dma_unmap(t->c, IOVA_GONE, t->gone.size);
	CHECK(!ret, "DMA_UNMAP: %s", strerror(-ret));
	memset(g, 0x5a, t->gone.size);
	fill(ram_page(t, 0), PAGE, 5);
	TRY(dma(t, IOVA_RAM, DMA_BUF, 256, DMA_RUN));
	memcpy(before, t->ram.addr, sizeof(before));
	/* Buffer -> unmapped IOVA: the memory once mapped there stays. */
	TRY(dma(t, DMA_BUF, IOVA_GONE, 256, DMA_RUN | DMA_TO_RAM));
	TRY(all(g, t->gone.size, 0x5a, "unmapped memory"));
	TRY(same(t->ram.addr, before, sizeof(before), "mapped memory"));
	return PASS;
}

static enum result test_dma_unmapped_read(struct suite *t)
{
	uint8_t before[RAM_PAGES * PAGE];

	memcpy(before, t->ram.addr, sizeof(before));
	TRY(dma(t, IOVA_GONE + 0x100, DMA_BUF + 0x100, 256, DMA_RUN));
	TRY(same(t->ram.addr, before, sizeof(before), "mapped memory"));
	return PASS;
}

static enum result test_dma_after_fault(struct suite *t)
{
	TRY(expect32(t, REG_ID, 0x010000ed));
	TRY(round_trip(t, 0, 0x40, 0x200, 1024, 3, 6));
	return PASS;
}

static enum result test_dma_no_master(struct suite *t)
{
	enum result r = PASS;
	uint64_t cmd;

	fill(ram_page(t, 0), PAGE, 7);
	TRY(dma(t, IOVA_RAM, DMA_BUF, 512, DMA_RUN));
	memset(ram_page(t, 3), 0xaa, PAGE);
	TRY(rd(t, CONFIG, 0x04, 2, &cmd));
	TRY(wr(t, CONFIG, 0x04, 2, cmd & ~(uint64_t)CMD_MASTER));
	if (dma(t, DMA_BUF, IOVA_RAM + 3 * PAGE, 512, DMA_RUN | DMA_TO_RAM) ||
	    all(ram_page(t, 3), PAGE, 0xaa, "memory with bus master off"))
		r = FAIL;
	TRY(wr(t, CONFIG, 0x04, 2, cmd | CMD_MEM | CMD_MASTER));
	return r;
}

/* With --qemu-7.2: skip (and say why) a transfer to the buffer's end. */
static bool skip_on_qemu72(struct suite *t)
{
	if (t->qemu72)
		t->skip_reason = "QEMU 7.2's edu aborts on a transfer that "
				 "ends at the end of its buffer";
	return t->qemu72;
}

static enum result test_dma_end(struct suite *t)
{
	if (skip_on_qemu72(t))
		return SKIP;
	TRY(round_trip(t, 0, 0x10, DMA_BUF_SIZE - 512, 512, 2, 8));
	return PASS;
}

static enum result test_dma_whole(struct suite *t)
{
	if (skip_on_qemu72(t))
		return SKIP;
	TRY(round_trip(t, 0, 0, 0, DMA_BUF_SIZE, 1, 9));
	return PASS;
}

/* ---- Tests: reset ---- */

static enum result test_reset(struct suite *t)
{
	static const uint64_t regs[] = { REG_LIVENESS, REG_FACT, REG_STATUS,
					 REG_IRQ_STATUS };
	uint64_t cmd;
	int ret;

	if (!(t->info.flags & UVFIO_DEVICE_FLAGS_RESET)) {
		t->skip_reason = "the device has no reset";
		return SKIP;
	}
	TRY(wr32(t, REG_LIVENESS, 0x1234));
	TRY(wr32(t, REG_FACT, 6));
	TRY(wr32(t, REG_STATUS, STATUS_IRQFACT));
	TRY(wr64(t, REG_DMA_SRC, IOVA_RAM));
	ret = uvfio_client_reset(t->c);
	CHECK(!ret, "RESET: %s", strerror(-ret));
	TRY(expect32(t, REG_ID, 0x010000ed));
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		TRY(expect32(t, regs[i], 0));
	for (uint64_t off = REG_DMA_SRC; off <= REG_DMA_CMD; off += 8)
		TRY(expect32(t, off, 0));
	/* Usable again once the driver enables it. */
	TRY(rd(t, CONFIG, 0x04, 2, &cmd));
	TRY(wr(t, CONFIG, 0x04, 2, cmd | CMD_MEM | CMD_MASTER));
	TRY(round_trip(t, 0, 0, 0, 128, 1, 10));
	return PASS;
}

static const struct {
	const char *name;
	enum result (*fn)(struct suite *t);
} tests[] = {
	{ "device info: PCI, 9 regions, INTx and one MSI vector",
	  test_device_info },
	{ "regions: BAR0 of 1 MiB and config space", test_regions },
	{ "config: vendor 0x1234, device 0x11e8", test_ids },
	{ "config: revision 0x10, class 0x00ff00, subsystem 1af4:1100",
	  test_class },
	{ "config: BAR0 32-bit memory, interrupt pin A", test_bar_pin },
	{ "config: MSI capability, 64-bit, 1 vector", test_msi_cap },
	{ "config: Command.MEM|BUSMASTER set", test_command },
	{ "identification register reads 0x010000ed", test_id },
	{ "liveness register inverts", test_liveness },
	{ "unimplemented offsets read all-ones, ID is read-only",
	  test_unimplemented },
	{ "factorial, polling the status register", test_factorial },
	{ "status: only bit 0x80 is writable", test_status },
	{ "INTx: raise via 0x60 signals the eventfd", test_intx },
	{ "INTx: causes OR into 0x24, ack via 0x64 deasserts", test_intx_ack },
	{ "INTx: second interrupt after ack and UNMASK", test_intx_again },
	{ "INTx: an unacked interrupt comes again on UNMASK", test_intx_level },
	{ "factorial interrupt with status 0x80", test_fact_irq },
	{ "MSI: INTx off, MSI on, two interrupts", test_msi },
	{ "MSI: every raise with a cause pending signals",
	  test_msi_each_raise },
	{ "DMA registers read back, command without RUN ignored",
	  test_dma_regs },
	{ "DMA RAM -> buffer -> RAM", test_dma },
	{ "DMA at offsets, 4-byte register writes", test_dma_offset },
	{ "DMA completion interrupt 0x100", test_dma_irq },
	{ "DMA through a window mapped without fd", test_dma_nofd },
	{ "DMA to an unmapped IOVA does not reach memory", test_dma_unmapped },
	{ "DMA from an unmapped IOVA completes", test_dma_unmapped_read },
	{ "device works after refused DMA", test_dma_after_fault },
	{ "no DMA with Command.Bus Master clear", test_dma_no_master },
	{ "DMA ending exactly at the end of the buffer", test_dma_end },
	{ "DMA of the whole 4 KiB buffer", test_dma_whole },
	{ "reset returns the registers to power-on values", test_reset },
};

static int setup(struct suite *t, const char *name)
{
	int ret;

	if (suite_open(name, &t->c, &t->intx_fd, &t->msi_fd))
		return -1;
	t->info.argsz = sizeof(t->info);
	ret = uvfio_client_device_info(t->c, &t->info);
	if (!ret)
		ret = uvfio_client_buffer_alloc(RAM_PAGES * PAGE, &t->ram);
	if (!ret)
		ret = uvfio_client_buffer_alloc(MSG_PAGES * PAGE, &t->msg);
	if (!ret)
		ret = uvfio_client_buffer_alloc(PAGE, &t->gone);
	if (!ret)
		ret = uvfio_client_dma_map(t->c, IOVA_RAM, t->ram.size,
					   UVFIO_DMA_READ | UVFIO_DMA_WRITE,
					   t->ram.fd, 0, t->ram.addr);
	if (ret) {
		printf("Bail out! setting up %s: %s\n", name, strerror(-ret));
		return -1;
	}
	t->ram_mapped = true;
	return 0;
}

static void teardown(struct suite *t)
{
	if (t->c) {
		msi_off_quietly(t->c);
		if (t->ram_mapped)
			uvfio_client_dma_unmap(t->c, IOVA_RAM, t->ram.size);
		uvfio_client_close(t->c);
	}
	if (t->ram.addr)
		uvfio_client_buffer_free(&t->ram);
	if (t->msg.addr)
		uvfio_client_buffer_free(&t->msg);
	if (t->gone.addr)
		uvfio_client_buffer_free(&t->gone);
	close_eventfds(t->intx_fd, t->msi_fd);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: edu-suite [--qemu-7.2] DEVICE\n"
		   "  DEVICE: unix:PATH (vfio-user), vfio:BDF, mdev:UUID\n");
}

int main(int argc, char **argv)
{
	struct suite t = { .intx_fd = -1, .msi_fd = -1 };
	const char *name = NULL;
	unsigned int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--qemu-7.2")) {
			t.qemu72 = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || name) {
			usage(stderr);
			return 2;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		usage(stderr);
		return 2;
	}

	printf("1..%zu\n", ARRAY_SIZE(tests));
	if (setup(&t, name)) {
		teardown(&t);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		enum result r;

		t.skip_reason = NULL;
		r = tests[i].fn(&t);
		tap_result(i + 1, tests[i].name, r, t.skip_reason);
		failed += r == FAIL;
	}
	teardown(&t);
	return failed ? 1 : 0;
}
