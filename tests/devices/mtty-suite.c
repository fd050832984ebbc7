// SPDX-License-Identifier: MIT
/*
 * mtty-suite DEVICE: the behaviour of the kernel's mtty sample driver
 * (samples/vfio-mdev/mtty.c) as a VFIO user sees it, run through the client
 * library against whatever DEVICE names: uvfio's mtty served by uvfiod
 * ("unix:PATH"), or the kernel's mtty ("mdev:UUID").  Only the public
 * client API and VFIO semantics are used.  One or two ports: a device has
 * two when BAR1 has a size.  Prints TAP; exits 0 iff no test failed.
 *
 * Known gaps: a check whose result is exactly what uvfio's PCI core is
 * known to give instead of the kernel's value (devices/mtty/README.md,
 * "What the PCI core cannot express") is reported as "not ok ... # TODO",
 * which TAP counts as an expected failure.  Any other value fails.  On the
 * kernel's mtty those checks pass.
 *
 * --linux-6.1 takes the kernel's mtty as Linux 6.1 has it: it reports a
 * REQ vector, and a port that interrupts while no trigger is set (or
 * after one was disabled) makes it dereference a NULL or freed eventfd,
 * an oops: the checks that raise or route interrupts are skipped.
 *
 * Interrupts: the kernel's mtty and uvfio both signal an eventfd before
 * the register access that causes it returns, so "no interrupt" is checked
 * right after the access, without waiting.  "An interrupt" is waited for
 * in a bounded number of 1 ms polls, never timed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/serial_reg.h>

#include <uvfio/client.h>

#include "suite.h"

/* What the kernel's mtty has; kept apart from devices/mtty on purpose. */
#define CONFIG UVFIO_PCI_CONFIG_REGION_INDEX
#define INTX UVFIO_PCI_INTX_IRQ_INDEX
#define MSI UVFIO_PCI_MSI_IRQ_INDEX
#define CONFIG_SIZE 0xff
#define BAR_SIZE 8
#define ID_DWORD 0x32534348u  /* vendor 0x4348, device 0x3253 */
#define CLASS_REV 0x07000210u /* class 0x070002, revision 0x10 */
#define IO_BAR 0x00000001u
#define IO_BAR_SIZED 0xfffffff9u /* 8 bytes of I/O */

#define LSR_EMPTY (UART_LSR_TEMT | UART_LSR_THRE)
#define MSR_IDLE                                                      \
	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS | UART_MSR_DDSR | \
	 UART_MSR_DCTS)
#define IIR(id) (0xc0 | (id))
#define FCR_FIFO_CLEAR 0x07 /* FIFO on, both cleared: what the rig used */

#define POLL_TRIES 2000 /* of 1 ms each */

struct suite {
	struct uvfio_client *c;
	unsigned int ports;
	unsigned int port; /* of the per-port test running */
	int intx_fd, msi_fd;
	const char *why; /* SKIP or KNOWN reason */
	bool linux61;	 /* --linux-6.1 */
};

/* A known gap of uvfio's PCI core: @cond says the value is exactly it. */
#define GAP(cond, reason)                \
	do {                             \
		if (cond) {              \
			t->why = reason; \
			return KNOWN;    \
		}                        \
	} while (0)

/* Config space, little-endian, 1, 2 or 4 bytes. */
static int cfg_rd(struct suite *t, unsigned int off, size_t len, uint32_t *v)
{
	uint8_t b[4] = { 0 };

	*v = 0;
	if (region_rw(t->c, CONFIG, off, b, len, false))
		return -1;
	for (size_t i = 0; i < len; i++)
		*v |= (uint32_t)b[i] << (8 * i);
	return 0;
}

static int cfg_wr(struct suite *t, unsigned int off, size_t len, uint32_t v)
{
	uint8_t b[4];

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return region_rw(t->c, CONFIG, off, b, len, true);
}

/* UART register @reg of port t->port (BAR t->port), one byte. */
static int urd(struct suite *t, unsigned int reg, uint8_t *v)
{
	return region_rw(t->c, t->port, reg, v, 1, false);
}

static int uwr(struct suite *t, unsigned int reg, uint8_t v)
{
	return region_rw(t->c, t->port, reg, &v, 1, true);
}

static int uexpect(struct suite *t, unsigned int reg, uint8_t want,
		   const char *what)
{
	uint8_t v;

	if (urd(t, reg, &v))
		return -1;
	if (v == want)
		return 0;
	diag("port %u: %s (offset %u) reads 0x%02x, expected 0x%02x", t->port,
	     what, reg, v, want);
	return -1;
}

static int uwrite_str(struct suite *t, const char *s)
{
	for (; *s; s++)
		if (uwr(t, UART_TX, (uint8_t)*s))
			return -1;
	return 0;
}

/* Read @n bytes from RX and compare them with @want. */
static int uread_expect(struct suite *t, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t v;

		if (urd(t, UART_RX, &v))
			return -1;
		if (v != want[i]) {
			diag("port %u: byte %zu of the FIFO is 0x%02x, expected 0x%02x",
			     t->port, i, v, want[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * A quiet port: no interrupt enabled, DLAB off, modem lines low, FIFO on
 * and empty, trigger level 1, no overrun (the kernel's mtty ends an
 * overrun only when a byte is accepted, hence the extra byte).
 */
static int quiesce(struct suite *t)
{
	uint8_t v;

	if (uwr(t, UART_IER, 0) || uwr(t, UART_LCR, UART_LCR_WLEN8) ||
	    uwr(t, UART_MCR, 0) || uwr(t, UART_FCR, FCR_FIFO_CLEAR) ||
	    uwr(t, UART_TX, 0) || uwr(t, UART_FCR, FCR_FIFO_CLEAR))
		return -1;
	return urd(t, UART_LSR, &v) || urd(t, UART_MSR, &v) ||
	       urd(t, UART_IIR, &v);
}

/* ---- Interrupts ---- */

/* Wait (bounded) for @fd and expect exactly @want signals. */
static int ev_expect(int fd, uint64_t want, const char *what)
{
	uint64_t n = ev_poll(fd, POLL_TRIES);

	if (n == want)
		return 0;
	if (!n)
		diag("no %s interrupt after %d polls", what, POLL_TRIES);
	else
		diag("%s: %llu interrupts, expected %llu", what,
		     (unsigned long long)n, (unsigned long long)want);
	return -1;
}

/*
 * With INTx enabled: every port quiet, the line unmasked, no signal left
 * over.  (UNMASK needs INTx enabled, on the kernel as here.)
 */
static int intx_rearm(struct suite *t)
{
	unsigned int port = t->port;

	for (t->port = 0; t->port < t->ports; t->port++)
		if (quiesce(t))
			return -1;
	t->port = port;
	if (intx_unmask(t->c))
		return -1;
	return ev_none(t->intx_fd, "INTx (after quiescing)");
}

/* ---- Device, regions, irqs ---- */

static enum result test_device_info(struct suite *t)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	int ret = uvfio_client_device_info(t->c, &info);

	CHECK(!ret, "GET_INFO: %s", strerror(-ret));
	CHECK(info.flags == UVFIO_DEVICE_FLAGS_PCI,
	      "flags 0x%x, expected PCI only (no RESET)", info.flags);
	CHECK(info.num_regions == 9 && info.num_irqs == 5,
	      "%u regions, %u irqs", info.num_regions, info.num_irqs);
	return PASS;
}

static int region(struct suite *t, uint32_t index, uint64_t *size,
		  uint32_t *flags, uint64_t *offset)
{
	struct uvfio_region_info *r = NULL;
	int ret = uvfio_client_region_info(t->c, index, &r);

	if (ret) {
		diag("GET_REGION_INFO %u: %s", index, strerror(-ret));
		return -1;
	}
	*size = r->size;
	*flags = r->flags;
	*offset = r->offset;
	free(r);
	return 0;
}

#define RW (UVFIO_REGION_INFO_FLAG_READ | UVFIO_REGION_INFO_FLAG_WRITE)

/*
 * Region @index has @want bytes and READ|WRITE (the kernel's mtty sets
 * both on every region, empty ones included).  The offset is the
 * transport's business (vfio-user servers send their own), not checked.
 */
static enum result expect_region(struct suite *t, uint32_t index, uint64_t want)
{
	uint64_t size, off;
	uint32_t flags;

	TRY(region(t, index, &size, &flags, &off));
	CHECK(size == want, "region %u: size 0x%llx, expected 0x%llx", index,
	      (unsigned long long)size, (unsigned long long)want);
	if (flags == RW)
		return PASS;
	diag("region %u: flags 0x%x, expected 0x%x", index, flags, RW);
	GAP(!size && !flags, "core: a region never added has flags 0");
	return FAIL;
}

static enum result test_region_config(struct suite *t)
{
	return expect_region(t, CONFIG, CONFIG_SIZE);
}

static enum result test_region_bar0(struct suite *t)
{
	return expect_region(t, 0, BAR_SIZE);
}

static enum result test_region_bar1(struct suite *t)
{
	return expect_region(t, 1, t->ports == 2 ? BAR_SIZE : 0);
}

static enum result test_regions_empty(struct suite *t)
{
	static const uint32_t empty[] = { 2, 3, 4, 5, 6, 8 };
	enum result worst = PASS;

	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		enum result r = expect_region(t, empty[i], 0);

		if (r == FAIL)
			return FAIL;
		if (r == KNOWN)
			worst = KNOWN;
	}
	return worst;
}

static enum result expect_irq(struct suite *t, uint32_t index, int want_ret,
			      uint32_t count, uint32_t flags)
{
	struct uvfio_irq_info info = { .argsz = sizeof(info), .index = index };
	int ret = uvfio_client_irq_info(t->c, &info);

	if (want_ret) {
		CHECK(ret == want_ret,
		      "GET_IRQ_INFO %u: %d (count %u flags 0x%x)", index, ret,
		      info.count, info.flags);
		return PASS;
	}
	CHECK(!ret, "GET_IRQ_INFO %u: %s", index, strerror(-ret));
	CHECK(info.count == count && info.flags == flags,
	      "irq %u: count %u flags 0x%x", index, info.count, info.flags);
	return PASS;
}

static enum result test_irq_intx(struct suite *t)
{
	return expect_irq(t, INTX, 0, 1,
			  UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_MASKABLE |
				  UVFIO_IRQ_INFO_AUTOMASKED);
}

static enum result test_irq_msi(struct suite *t)
{
	return expect_irq(t, MSI, 0, 1,
			  UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_NORESIZE);
}

/* Absent indexes; uvfio's core gives @gap_count vectors there instead. */
static enum result expect_irq_absent(struct suite *t, uint32_t index,
				     int gap_count)
{
	struct uvfio_irq_info info = { .argsz = sizeof(info), .index = index };
	int ret = uvfio_client_irq_info(t->c, &info);

	if (ret == -EINVAL)
		return PASS;
	diag("GET_IRQ_INFO %u: %d, count %u flags 0x%x (expected -EINVAL)",
	     index, ret, info.count, info.flags);
	GAP(!ret && gap_count >= 0 && info.count == (uint32_t)gap_count,
	    "core: vfio-pci's MSI-X and REQ indexes always exist");
	return FAIL;
}

static enum result test_irq_msix(struct suite *t)
{
	return expect_irq_absent(t, UVFIO_PCI_MSIX_IRQ_INDEX, 0);
}

static enum result test_irq_err(struct suite *t)
{
	return expect_irq_absent(t, UVFIO_PCI_ERR_IRQ_INDEX, -1);
}

static enum result test_irq_req(struct suite *t)
{
	if (t->linux61) {
		t->why = "Linux 6.1's mtty reports a REQ vector (later ones "
			 "do not)";
		return SKIP;
	}
	return expect_irq_absent(t, UVFIO_PCI_REQ_IRQ_INDEX, 1);
}

static enum result test_irq_beyond(struct suite *t)
{
	return expect_irq(t, 5, -EINVAL, 0, 0);
}

/* ---- Config space ---- */

static enum result expect_cfg(struct suite *t, unsigned int off, size_t len,
			      uint32_t want)
{
	uint32_t v;

	TRY(cfg_rd(t, off, len, &v));
	CHECK(v == want, "config 0x%02x reads 0x%x, expected 0x%x", off, v,
	      want);
	return PASS;
}

static enum result test_cfg_id(struct suite *t)
{
	return expect_cfg(t, 0x00, 4, ID_DWORD);
}

static enum result test_cfg_command(struct suite *t)
{
	return expect_cfg(t, 0x04, 2, 0x0001);
}

static enum result test_cfg_status(struct suite *t)
{
	uint32_t v;

	TRY(cfg_rd(t, 0x06, 2, &v));
	if (v == 0x0200)
		return PASS;
	diag("Status reads 0x%04x, expected 0x0200", v);
	GAP(!(v & ~0x0018u), "core: Status has no DEVSEL bits and shows "
			     "Capabilities List and the INTx level");
	return FAIL;
}

static enum result test_cfg_class(struct suite *t)
{
	return expect_cfg(t, 0x08, 4, CLASS_REV);
}

static enum result test_cfg_bars(struct suite *t)
{
	for (unsigned int bar = 0; bar < 6; bar++) {
		uint32_t want = bar < t->ports ? IO_BAR : 0, v;

		TRY(cfg_rd(t, 0x10 + 4 * bar, 4, &v));
		CHECK(v == want, "BAR%u reads 0x%08x, expected 0x%08x", bar, v,
		      want);
	}
	return PASS;
}

static enum result test_cfg_subsystem(struct suite *t)
{
	return expect_cfg(t, 0x2c, 4, ID_DWORD);
}

static enum result test_cfg_cap_ptr(struct suite *t)
{
	uint32_t v, status;

	TRY(cfg_rd(t, 0x34, 1, &v));
	if (!v)
		return PASS;
	TRY(cfg_rd(t, 0x06, 2, &status));
	diag("capability pointer 0x%02x, expected 0", v);
	GAP(v == 0x40 && (status & 0x0010),
	    "core: MSI needs an MSI capability (at 0x40)");
	return FAIL;
}

static enum result test_cfg_pin(struct suite *t)
{
	return expect_cfg(t, 0x3d, 1, 1);
}

/* Bytes the core's MSI capability (10 bytes at 0x40) may hold. */
static bool msi_cap_at_0x40(const uint8_t *b)
{
	return b[0] == 0x05;
}

static enum result test_cfg_vendor_bytes(struct suite *t)
{
	static const uint8_t want[16] = { 0x23, 0, 0, 0x80, 0x23, 0, 0, 0,
					  0x23, 0, 0, 0,    0x23, 0, 0, 0 };
	uint8_t b[16];

	TRY(region_rw(t->c, CONFIG, 0x40, b, sizeof(b), false));
	if (!memcmp(b, want, sizeof(b)))
		return PASS;
	diag("0x40: %02x %02x %02x %02x %02x ... %02x", b[0], b[1], b[2], b[3],
	     b[4], b[12]);
	GAP(msi_cap_at_0x40(b) && !b[12] && !b[13],
	    "core: no way to set config bytes outside capabilities");
	return FAIL;
}

static enum result test_cfg_string(struct suite *t)
{
	static const char want[] = "PCI Serial/UART"; /* 0x60-0x6e */
	uint8_t b[sizeof(want) - 1];
	bool zero = true;

	TRY(region_rw(t->c, CONFIG, 0x60, b, sizeof(b), false));
	if (!memcmp(b, want, sizeof(b)))
		return PASS;
	for (size_t i = 0; i < sizeof(b); i++)
		zero = zero && !b[i];
	diag("0x60 does not hold \"%s\"", want);
	GAP(zero, "core: no way to set config bytes outside capabilities");
	return FAIL;
}

static enum result test_cfg_writes_ignored(struct suite *t)
{
	uint32_t status, v;

	TRY(cfg_rd(t, 0x06, 2, &status));
	TRY(cfg_wr(t, 0x04, 2, 0x0407));
	TRY(cfg_wr(t, 0x06, 2, 0xffff));
	TRY(cfg_wr(t, 0x3d, 1, 0x04));
	TRY(cfg_rd(t, 0x04, 2, &v));
	CHECK(v == 0x0001, "Command reads 0x%04x after a write", v);
	TRY(cfg_rd(t, 0x06, 2, &v));
	CHECK(v == status, "Status 0x%04x became 0x%04x", status, v);
	TRY(cfg_rd(t, 0x3d, 1, &v));
	CHECK(v == 1, "interrupt pin reads %u after a write", v);
	return PASS;
}

static enum result test_cfg_line(struct suite *t)
{
	uint32_t old, v;

	TRY(cfg_rd(t, 0x3c, 1, &old));
	TRY(cfg_wr(t, 0x3c, 1, 0x0a));
	TRY(cfg_rd(t, 0x3c, 1, &v));
	TRY(cfg_wr(t, 0x3c, 1, old));
	CHECK(v == 0x0a, "interrupt line reads 0x%02x after writing 0x0a", v);
	return PASS;
}

static enum result expect_sizing(struct suite *t, unsigned int bar,
				 uint32_t want)
{
	unsigned int off = 0x10 + 4 * bar;
	uint32_t old, v, back;

	TRY(cfg_rd(t, off, 4, &old));
	TRY(cfg_wr(t, off, 4, 0xffffffff));
	TRY(cfg_rd(t, off, 4, &v));
	TRY(cfg_wr(t, off, 4, old));
	TRY(cfg_rd(t, off, 4, &back));
	CHECK(v == want, "BAR%u sizes as 0x%08x, expected 0x%08x", bar, v,
	      want);
	CHECK(back == old, "BAR%u restored to 0x%08x, reads 0x%08x", bar, old,
	      back);
	return PASS;
}

static enum result test_cfg_sizing(struct suite *t)
{
	enum result r = expect_sizing(t, 0, IO_BAR_SIZED);

	if (r == PASS)
		r = expect_sizing(t, 1, t->ports == 2 ? IO_BAR_SIZED : 0);
	if (r == PASS)
		r = expect_sizing(t, 2, 0);
	return r;
}

/* ---- One port (t->port) ---- */

static enum result test_uart_regs(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwr(t, UART_SCR, 0x5a));
	TRY(uexpect(t, UART_SCR, 0x5a, "SCR"));
	TRY(uwr(t, UART_LCR, 0x1b));
	TRY(uexpect(t, UART_LCR, 0x1b, "LCR"));
	TRY(uwr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1));
	TRY(uexpect(t, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1, "MCR"));
	/* IER reads its low nibble. */
	TRY(uwr(t, UART_IER, 0xf0));
	TRY(uexpect(t, UART_IER, 0x00, "IER"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_uart_dlab(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwr(t, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8));
	TRY(uwr(t, UART_DLL, 0x0c));
	TRY(uwr(t, UART_DLM, 0x00));
	TRY(uexpect(t, UART_DLL, 0x0c, "DLL"));
	TRY(uexpect(t, UART_DLM, 0x00, "DLM"));
	TRY(uwr(t, UART_LCR, UART_LCR_WLEN8));
	/* Back to the FIFO and IER, untouched by the divisor writes. */
	TRY(uexpect(t, UART_IER, 0, "IER"));
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR"));
	return PASS;
}

static enum result test_uart_idle(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR (idle)"));
	TRY(uexpect(t, UART_IIR, IIR(UART_IIR_NO_INT), "IIR (idle)"));
	return PASS;
}

static enum result test_uart_loopback(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwrite_str(t, "VFIO!"));
	TRY(uexpect(t, UART_LSR, UART_LSR_DR, "LSR (data)"));
	TRY(uread_expect(t, (const uint8_t *)"VFIO!", 5));
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR (drained)"));
	return PASS;
}

static enum result test_uart_fifo_16(struct suite *t)
{
	uint8_t lsr;

	TRY(quiesce(t));
	for (unsigned int i = 0; i < 16; i++)
		TRY(uwr(t, UART_TX, (uint8_t)('a' + i)));
	TRY(urd(t, UART_LSR, &lsr));
	CHECK(!(lsr & UART_LSR_OE), "LSR 0x%02x: overrun at 16 bytes", lsr);
	TRY(uwr(t, UART_TX, 'X'));
	TRY(urd(t, UART_LSR, &lsr));
	CHECK(lsr & UART_LSR_OE, "LSR 0x%02x: no overrun at 17 bytes", lsr);
	TRY(quiesce(t));
	return PASS;
}

static enum result test_uart_fifo_order(struct suite *t)
{
	static const char msg[] = "0123456789abcde";

	TRY(quiesce(t));
	TRY(uwrite_str(t, msg));
	TRY(uread_expect(t, (const uint8_t *)msg, sizeof(msg) - 1));
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR (drained)"));
	return PASS;
}

static enum result test_uart_fifo_1(struct suite *t)
{
	uint8_t lsr;

	TRY(quiesce(t));
	TRY(uwr(t, UART_FCR, 0x00)); /* FIFO off: one byte */
	TRY(uwr(t, UART_TX, 'A'));
	TRY(urd(t, UART_LSR, &lsr));
	CHECK(lsr == UART_LSR_DR, "LSR 0x%02x with one byte", lsr);
	TRY(uwr(t, UART_TX, 'B'));
	TRY(urd(t, UART_LSR, &lsr));
	CHECK((lsr & (UART_LSR_DR | UART_LSR_OE)) ==
		      (UART_LSR_DR | UART_LSR_OE),
	      "LSR 0x%02x after the second byte", lsr);
	TRY(uread_expect(t, (const uint8_t *)"A", 1));
	TRY(urd(t, UART_LSR, &lsr));
	CHECK(!(lsr & UART_LSR_DR), "LSR 0x%02x after the read", lsr);
	TRY(quiesce(t));
	return PASS;
}

static enum result test_uart_fcr_clear(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwrite_str(t, "xyz"));
	TRY(uwr(t, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR));
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR (after FCR clear)"));
	return PASS;
}

static enum result test_uart_msr(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uexpect(t, UART_MSR, MSR_IDLE, "MSR"));
	/* With auto flow control, no CTS while the FIFO is full. */
	TRY(uwr(t, UART_MCR, UART_MCR_AFE));
	TRY(uwrite_str(t, "0123456789abcdef"));
	TRY(uexpect(t, UART_MSR, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_DDSR,
		    "MSR (AFE, FIFO full)"));
	TRY(uwr(t, UART_FCR, FCR_FIFO_CLEAR));
	TRY(uexpect(t, UART_MSR, MSR_IDLE, "MSR (AFE, FIFO empty)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_uart_iir(struct suite *t)
{
	TRY(quiesce(t));
	/* THR empty with IER.THRI. */
	TRY(uwr(t, UART_IER, UART_IER_THRI));
	TRY(uexpect(t, UART_IIR, IIR(UART_IIR_THRI), "IIR (THRI)"));
	/* Data at the trigger level with IER.RDI. */
	TRY(uwr(t, UART_IER, UART_IER_RDI | UART_IER_THRI));
	TRY(uwr(t, UART_TX, 'r'));
	TRY(uexpect(t, UART_IIR, IIR(UART_IIR_RDI), "IIR (RDI)"));
	/* An overrun, with IER.RLSI, above RDI. */
	TRY(uwr(t, UART_FCR, 0x00));
	TRY(uwr(t, UART_IER, UART_IER_RDI | UART_IER_RLSI));
	TRY(uwr(t, UART_TX, 's'));
	TRY(uexpect(t, UART_IIR, IIR(UART_IIR_RLSI), "IIR (RLSI)"));
	TRY(quiesce(t));
	TRY(uexpect(t, UART_IIR, IIR(UART_IIR_NO_INT), "IIR (quiet)"));
	return PASS;
}

static enum result test_ports_apart(struct suite *t)
{
	if (t->ports < 2) {
		t->why = "one port";
		return SKIP;
	}
	for (t->port = 0; t->port < 2; t->port++)
		TRY(quiesce(t));
	t->port = 0;
	TRY(uwrite_str(t, "zero"));
	t->port = 1;
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR of port 1"));
	TRY(uwrite_str(t, "one"));
	TRY(uread_expect(t, (const uint8_t *)"one", 3));
	t->port = 0;
	TRY(uread_expect(t, (const uint8_t *)"zero", 4));
	TRY(uexpect(t, UART_LSR, LSR_EMPTY, "LSR of port 0"));
	return PASS;
}

/* ---- Interrupts ---- */

static enum result test_msi_rdi(struct suite *t)
{
	TRY(quiesce(t));
	TRY(bind_eventfd(t->c, MSI, t->msi_fd));
	TRY(ev_none(t->msi_fd, "MSI (bind)"));
	TRY(uwr(t, UART_IER, UART_IER_RDI));
	TRY(uwrite_str(t, "VFIO!"));
	/* One: when the count reaches the trigger level (1). */
	TRY(ev_expect(t->msi_fd, 1, "MSI (RDI)"));
	TRY(uread_expect(t, (const uint8_t *)"VFIO!", 5));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_msi_thri(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwr(t, UART_IER, UART_IER_THRI));
	TRY(ev_expect(t->msi_fd, 1, "MSI (IER.THRI, FIFO empty)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_msi_drain(struct suite *t)
{
	uint8_t v;

	TRY(quiesce(t));
	TRY(uwr(t, UART_TX, 'd'));
	TRY(uwr(t, UART_IER, UART_IER_THRI));
	TRY(ev_none(t->msi_fd, "MSI (IER.THRI, FIFO not empty)"));
	TRY(urd(t, UART_RX, &v));
	TRY(ev_expect(t->msi_fd, 1, "MSI (FIFO drained)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_msi_overrun(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwr(t, UART_FCR, 0x00));
	TRY(uwr(t, UART_IER, UART_IER_RLSI));
	TRY(uwr(t, UART_TX, '1'));
	TRY(ev_none(t->msi_fd, "MSI (no overrun yet)"));
	TRY(uwr(t, UART_TX, '2'));
	TRY(ev_expect(t->msi_fd, 1, "MSI (overrun)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_msi_mcr(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwr(t, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR));
	TRY(ev_none(t->msi_fd, "MSI (MCR without IER.MSI)"));
	TRY(uwr(t, UART_IER, UART_IER_MSI));
	TRY(uwr(t, UART_MCR, UART_MCR_OUT2));
	TRY(ev_expect(t->msi_fd, 1, "MSI (MCR.OUT2)"));
	TRY(uwr(t, UART_MCR, UART_MCR_DTR));
	TRY(ev_expect(t->msi_fd, 1, "MSI (MCR.DTR)"));
	/* OUT2 and RTS are two events. */
	TRY(uwr(t, UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS));
	TRY(ev_expect(t->msi_fd, 2, "MSI (MCR.OUT2|RTS)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_msi_quiet(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwrite_str(t, "quiet"));
	TRY(uwr(t, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR));
	TRY(ev_none(t->msi_fd, "MSI (IER 0)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_msi_loopback(struct suite *t)
{
	TRY(set_irqs(t->c, MSI,
		     UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_TRIGGER, 1,
		     -1));
	TRY(ev_expect(t->msi_fd, 1, "MSI (SET_IRQS loopback)"));
	return PASS;
}

static enum result test_msi_port1(struct suite *t)
{
	if (t->ports < 2) {
		t->why = "one port";
		return SKIP;
	}
	t->port = 1;
	TRY(quiesce(t));
	TRY(uwr(t, UART_IER, UART_IER_RDI));
	TRY(uwr(t, UART_TX, '1'));
	TRY(ev_expect(t->msi_fd, 1, "MSI (port 1 RDI)"));
	TRY(quiesce(t));
	t->port = 0;
	return PASS;
}

static enum result test_msi_off(struct suite *t)
{
	TRY(irq_disable(t->c, MSI));
	TRY(quiesce(t));
	TRY(uwr(t, UART_IER, UART_IER_THRI));
	TRY(ev_none(t->msi_fd, "MSI (disabled)"));
	TRY(quiesce(t));
	return PASS;
}

static enum result test_intx_rdi(struct suite *t)
{
	for (t->port = 0; t->port < t->ports; t->port++)
		TRY(quiesce(t));
	t->port = 0;
	TRY(bind_eventfd(t->c, INTX, t->intx_fd));
	TRY(ev_none(t->intx_fd, "INTx (bind)"));
	TRY(uwr(t, UART_IER, UART_IER_RDI));
	TRY(uwr(t, UART_TX, 'i'));
	TRY(ev_expect(t->intx_fd, 1, "INTx (RDI)"));
	return PASS;
}

/* After test_intx_rdi: masked until UNMASK. */
static enum result test_intx_automask(struct suite *t)
{
	uint8_t v;

	TRY(urd(t, UART_RX, &v));
	TRY(uwr(t, UART_TX, 'j'));
	TRY(ev_none(t->intx_fd, "INTx (automasked)"));
	TRY(urd(t, UART_RX, &v));
	TRY(intx_unmask(t->c));
	TRY(ev_none(t->intx_fd, "INTx (UNMASK, nothing pending)"));
	TRY(uwr(t, UART_TX, 'k'));
	TRY(ev_expect(t->intx_fd, 1, "INTx (after UNMASK)"));
	TRY(intx_rearm(t));
	return PASS;
}

static enum result test_intx_thri(struct suite *t)
{
	TRY(intx_rearm(t));
	TRY(uwr(t, UART_IER, UART_IER_THRI));
	TRY(ev_expect(t->intx_fd, 1, "INTx (THRI)"));
	TRY(uexpect(t, UART_IIR, IIR(UART_IIR_THRI), "IIR (THRI)"));
	TRY(intx_rearm(t));
	return PASS;
}

static enum result test_intx_mcr(struct suite *t)
{
	TRY(intx_rearm(t));
	TRY(uwr(t, UART_IER, UART_IER_MSI));
	TRY(uwr(t, UART_MCR, UART_MCR_DTR | UART_MCR_RTS));
	TRY(ev_expect(t->intx_fd, 1, "INTx (MCR)"));
	TRY(intx_rearm(t));
	return PASS;
}

static enum result test_intx_port1(struct suite *t)
{
	if (t->ports < 2) {
		t->why = "one port";
		return SKIP;
	}
	TRY(intx_rearm(t));
	t->port = 1;
	TRY(uwr(t, UART_IER, UART_IER_RDI));
	TRY(uwr(t, UART_TX, '1'));
	TRY(ev_expect(t->intx_fd, 1, "INTx (port 1 RDI)"));
	t->port = 0;
	TRY(intx_rearm(t));
	return PASS;
}

static enum result test_intx_off(struct suite *t)
{
	TRY(irq_disable(t->c, INTX));
	TRY(uwr(t, UART_IER, UART_IER_THRI));
	TRY(ev_none(t->intx_fd, "INTx (disabled)"));
	TRY(quiesce(t));
	return PASS;
}

/* ---- Reset ---- */

static enum result test_reset(struct suite *t)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	int ret;

	TRY(quiesce(t));
	TRY(uwr(t, UART_SCR, 0x42));
	TRY(uwrite_str(t, "RST"));
	ret = uvfio_client_reset(t->c);
	CHECK(!ret, "VFIO_DEVICE_RESET: %s", strerror(-ret));
	ret = uvfio_client_device_info(t->c, &info);
	CHECK(!ret && info.flags == UVFIO_DEVICE_FLAGS_PCI,
	      "after reset: GET_INFO %d flags 0x%x", ret, info.flags);
	return expect_cfg(t, 0x00, 4, ID_DWORD);
}

/* The kernel's mtty resets migration state only: the ports stay. */
static enum result test_reset_keeps_ports(struct suite *t)
{
	TRY(uexpect(t, UART_SCR, 0x42, "SCR after reset"));
	TRY(uexpect(t, UART_LSR, UART_LSR_DR, "LSR after reset"));
	TRY(uread_expect(t, (const uint8_t *)"RST", 3));
	return PASS;
}

static enum result test_reset_works(struct suite *t)
{
	TRY(quiesce(t));
	TRY(uwrite_str(t, "VFIO!"));
	TRY(uread_expect(t, (const uint8_t *)"VFIO!", 5));
	TRY(quiesce(t));
	return PASS;
}

struct test {
	const char *name;
	enum result (*fn)(struct suite *t);
};

static const struct test device_tests[] = {
	{ "device info: PCI only, 9 regions, 5 irqs", test_device_info },
	{ "region CONFIG: 0xff bytes, read/write", test_region_config },
	{ "region BAR0: 8 bytes, read/write", test_region_bar0 },
	{ "region BAR1: 8 bytes with two ports, else empty", test_region_bar1 },
	{ "regions BAR2-5, ROM, VGA: empty, read/write flags",
	  test_regions_empty },
	{ "irq INTx: 1, EVENTFD|MASKABLE|AUTOMASKED", test_irq_intx },
	{ "irq MSI: 1, EVENTFD|NORESIZE", test_irq_msi },
	{ "irq MSI-X: GET_IRQ_INFO -EINVAL", test_irq_msix },
	{ "irq ERR: GET_IRQ_INFO -EINVAL", test_irq_err },
	{ "irq REQ: GET_IRQ_INFO -EINVAL", test_irq_req },
	{ "irq index 5: GET_IRQ_INFO -EINVAL", test_irq_beyond },
	{ "config: dword 0 is 0x32534348", test_cfg_id },
	{ "config: Command 0x0001", test_cfg_command },
	{ "config: Status 0x0200", test_cfg_status },
	{ "config: revision 0x10, class 0x070002", test_cfg_class },
	{ "config: I/O BAR per port, other BARs 0", test_cfg_bars },
	{ "config: subsystem 0x32534348", test_cfg_subsystem },
	{ "config: capability pointer 0", test_cfg_cap_ptr },
	{ "config: interrupt pin A", test_cfg_pin },
	{ "config: vendor bytes at 0x40-0x4f", test_cfg_vendor_bytes },
	{ "config: \"PCI Serial/UART\" at 0x60", test_cfg_string },
	{ "config: writes to Command, Status and pin ignored",
	  test_cfg_writes_ignored },
	{ "config: interrupt line stored", test_cfg_line },
	{ "config: BAR sizing, 8 bytes of I/O per port", test_cfg_sizing },
};

static const struct test port_tests[] = {
	{ "SCR, LCR, MCR read back; IER reads its low nibble", test_uart_regs },
	{ "divisor latch", test_uart_dlab },
	{ "idle: LSR THRE|TEMT, IIR no interrupt", test_uart_idle },
	{ "loopback: \"VFIO!\" reads back, DR clears", test_uart_loopback },
	{ "FIFO holds 16 bytes, the 17th overruns", test_uart_fifo_16 },
	{ "FIFO keeps order", test_uart_fifo_order },
	{ "FCR=0: one byte, the second overruns", test_uart_fifo_1 },
	{ "FCR clear empties the FIFO", test_uart_fcr_clear },
	{ "MSR: DCD|DSR|CTS, no CTS with AFE and a full FIFO", test_uart_msr },
	{ "IIR: THRI, RDI, RLSI over RDI", test_uart_iir },
};

static const struct test late_tests[] = {
	{ "two ports are apart", test_ports_apart },
	{ "MSI fires when bytes are written to THR with IER.RDI set and FCR=0x07",
	  test_msi_rdi },
	{ "MSI on IER.THRI with the FIFO empty", test_msi_thri },
	{ "MSI when reading RX empties the FIFO with IER.THRI",
	  test_msi_drain },
	{ "MSI on overrun with IER.RLSI", test_msi_overrun },
	{ "MSI on MCR OUT2, RTS/DTR with IER.MSI", test_msi_mcr },
	{ "no MSI with IER 0", test_msi_quiet },
	{ "MSI loopback through SET_IRQS", test_msi_loopback },
	{ "MSI from port 1", test_msi_port1 },
	{ "MSI disabled: no signal", test_msi_off },
	{ "INTx fires on RDI", test_intx_rdi },
	{ "INTx is automasked until UNMASK", test_intx_automask },
	{ "INTx on IER.THRI, IIR reports THRI", test_intx_thri },
	{ "INTx on MCR with IER.MSI", test_intx_mcr },
	{ "INTx from port 1", test_intx_port1 },
	{ "INTx disabled: no signal", test_intx_off },
	{ "VFIO_DEVICE_RESET works, not advertised", test_reset },
	{ "reset keeps the ports' state", test_reset_keeps_ports },
	{ "loopback after reset", test_reset_works },
};

static unsigned int n_run, n_failed;

/* The checks that raise or route interrupts (skipped by --linux-6.1). */
static bool raises_irq(const struct test *test)
{
	static enum result (*const fns[])(struct suite *) = {
		test_uart_iir,	test_msi_rdi,	   test_msi_thri,
		test_msi_drain, test_msi_overrun,  test_msi_mcr,
		test_msi_quiet, test_msi_loopback, test_msi_port1,
		test_msi_off,	test_intx_rdi,	   test_intx_automask,
		test_intx_thri, test_intx_mcr,	   test_intx_port1,
		test_intx_off,
	};

	for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
		if (test->fn == fns[i])
			return true;
	return false;
}

static void run(struct suite *t, const struct test *test, unsigned int port,
		bool per_port)
{
	enum result r;
	char name[160];

	t->why = NULL;
	t->port = port;
	if (per_port)
		snprintf(name, sizeof(name), "port %u: %s", port, test->name);
	else
		snprintf(name, sizeof(name), "%s", test->name);
	if (per_port && port >= t->ports) {
		t->why = "one port";
		r = SKIP;
	} else if (t->linux61 && raises_irq(test)) {
		t->why =
			"Linux 6.1's mtty dereferences a NULL or freed eventfd "
			"when a port interrupts with no trigger set (later "
			"kernels check)";
		r = SKIP;
	} else {
		r = test->fn(t);
	}
	tap_result(++n_run, name, r, t->why);
	n_failed += r == FAIL;
}

static int setup(struct suite *t, const char *name)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	uint64_t size, off;
	uint32_t flags;

	if (suite_open(name, &t->c, &t->intx_fd, &t->msi_fd))
		return -1;
	/* The kernel's mtty checks irq indexes against a GET_INFO done. */
	if (uvfio_client_device_info(t->c, &info)) {
		printf("Bail out! GET_INFO failed\n");
		return -1;
	}
	if (region(t, 1, &size, &flags, &off)) {
		printf("Bail out! no region info for BAR1\n");
		return -1;
	}
	t->ports = size ? 2 : 1;
	diag("%s: %u port%s", name, t->ports, t->ports == 2 ? "s" : "");
	return 0;
}

static void teardown(struct suite *t)
{
	if (t->c) {
		msi_off_quietly(t->c);
		uvfio_client_close(t->c);
	}
	close_eventfds(t->intx_fd, t->msi_fd);
}

int main(int argc, char **argv)
{
	struct suite t = { .intx_fd = -1, .msi_fd = -1 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	t.linux61 = argc == 3 && !strcmp(argv[2], "--linux-6.1");
	if (argc < 2 || argc > 3 || argv[1][0] == '-' ||
	    (argc == 3 && !t.linux61)) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: mtty-suite DEVICE [--linux-6.1]\n"
			"  DEVICE: unix:PATH (vfio-user), mdev:UUID\n"
			"  --linux-6.1: the kernel's mtty as Linux 6.1 has it\n");
		return argc == 2 ? 0 : 2;
	}
	printf("1..%zu\n", ARRAY_SIZE(device_tests) +
				   2 * ARRAY_SIZE(port_tests) +
				   ARRAY_SIZE(late_tests));
	if (setup(&t, argv[1])) {
		teardown(&t);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(device_tests); i++)
		run(&t, &device_tests[i], 0, false);
	for (unsigned int port = 0; port < 2; port++)
		for (size_t i = 0; i < ARRAY_SIZE(port_tests); i++)
			run(&t, &port_tests[i], port, true);
	for (size_t i = 0; i < ARRAY_SIZE(late_tests); i++)
		run(&t, &late_tests[i], 0, false);
	teardown(&t);
	return n_failed ? 1 : 0;
}
