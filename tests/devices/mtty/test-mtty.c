// SPDX-License-Identifier: MIT
/*
 * mtty in-process: the 16550 logic of one port (mtty-uart.h) register by
 * register, then the PCI function through the device core (identity,
 * config-space quirks, regions, irqs, BAR accesses, interrupt delivery on
 * eventfds, two ports, reset), then migration between two cards (round
 * trips, pre-copy, the stop rule, refused streams).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include <uvfio/device.h>
#include <uvfio/migration.h>

#include "../device-test.h"
#include "mtty-card.h"
#include "mtty/mtty-uart.h"
#include "mtty/mtty.h"

/* ---- One port ---- */

static uint8_t rd(struct mtty_port *p, unsigned int reg)
{
	uint8_t v = 0xee;

	mtty_port_read(p, reg, &v);
	return v;
}

/* Read @reg and return the number of events the read caused. */
static unsigned int rd_ev(struct mtty_port *p, unsigned int reg, uint8_t *v)
{
	return mtty_port_read(p, reg, v);
}

static unsigned int wr(struct mtty_port *p, unsigned int reg, uint8_t v)
{
	return mtty_port_write(p, reg, v);
}

static void port_fresh(struct mtty_port *p)
{
	mtty_port_init(p);
}

#define LSR_EMPTY (UART_LSR_TEMT | UART_LSR_THRE)
#define MSR_IDLE                                                      \
	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS | UART_MSR_DDSR | \
	 UART_MSR_DCTS)
#define IIR_NONE (0xc0 | UART_IIR_NO_INT)

static void test_power_on(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	assert_int_equal(p.max_fifo_size, 16);
	assert_int_equal(p.intr_trigger_level, 0);
	assert_int_equal(rd(&p, UART_LSR), LSR_EMPTY);
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	assert_int_equal(rd(&p, UART_MSR), MSR_IDLE);
	assert_int_equal(rd(&p, UART_IER), 0);
	assert_int_equal(rd(&p, UART_LCR), 0);
	assert_int_equal(rd(&p, UART_MCR), 0);
	assert_int_equal(rd(&p, UART_SCR), 0);
	/* An empty FIFO reads 0. */
	assert_int_equal(rd(&p, UART_RX), 0);
	assert_false(mtty_port_irq_pending(&p));
}

static void test_loopback(void **state)
{
	static const char msg[] = "VFIO!";
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x07);
	for (size_t i = 0; i < 5; i++)
		wr(&p, UART_TX, (uint8_t)msg[i]);
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR);
	for (size_t i = 0; i < 5; i++) {
		assert_true(rd(&p, UART_LSR) & UART_LSR_DR);
		assert_int_equal(rd(&p, UART_RX), (uint8_t)msg[i]);
	}
	assert_int_equal(rd(&p, UART_LSR), LSR_EMPTY);
}

static void test_fifo_depth_16(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	for (unsigned int i = 0; i < 16; i++)
		wr(&p, UART_TX, (uint8_t)('a' + i));
	/* Full, not overrun; a full FIFO still shows data (DR). */
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR);
	wr(&p, UART_TX, 'X');
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR | UART_LSR_OE);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(rd(&p, UART_RX), 'a' + i);
	assert_int_equal(rd(&p, UART_LSR), LSR_EMPTY);
	/* Wraps around the ring. */
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 11; i++)
			wr(&p, UART_TX, (uint8_t)(round * 16 + i));
		for (unsigned int i = 0; i < 11; i++)
			assert_int_equal(rd(&p, UART_RX), round * 16 + i);
	}
}

static void test_fifo_depth_1(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x00); /* FIFO disabled: a one-byte holding reg */
	assert_int_equal(p.max_fifo_size, 1);
	wr(&p, UART_TX, 'A');
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR);
	wr(&p, UART_TX, 'B');
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(&p, UART_RX), 'A');
	assert_int_equal(rd(&p, UART_LSR), LSR_EMPTY);
	/* Enabling the FIFO again gives 16. */
	wr(&p, UART_FCR, UART_FCR_ENABLE_FIFO);
	assert_int_equal(p.max_fifo_size, 16);
}

static void test_fcr_clear(void **state)
{
	static const uint8_t clear[] = { UART_FCR_CLEAR_RCVR,
					 UART_FCR_CLEAR_XMIT,
					 UART_FCR_CLEAR_RCVR |
						 UART_FCR_CLEAR_XMIT };
	struct mtty_port p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(clear); i++) {
		port_fresh(&p);
		wr(&p, UART_FCR, UART_FCR_ENABLE_FIFO);
		wr(&p, UART_TX, 1);
		wr(&p, UART_TX, 2);
		wr(&p, UART_FCR, UART_FCR_ENABLE_FIFO);
		assert_int_equal(p.count, 2); /* no clear bit: kept */
		wr(&p, UART_FCR, UART_FCR_ENABLE_FIFO | clear[i]);
		assert_int_equal(p.count, 0);
		assert_int_equal(rd(&p, UART_LSR), LSR_EMPTY);
		assert_int_equal(p.fcr, UART_FCR_ENABLE_FIFO | clear[i]);
	}
}

static void test_trigger_levels(void **state)
{
	static const uint8_t trig[] = { UART_FCR_TRIGGER_1, UART_FCR_TRIGGER_4,
					UART_FCR_TRIGGER_8,
					UART_FCR_TRIGGER_14 };
	struct mtty_port p;

	(void)state;
	/* Before any FCR write the level is 0: no RDI event, no RDI. */
	port_fresh(&p);
	wr(&p, UART_IER, UART_IER_RDI);
	assert_int_equal(wr(&p, UART_TX, 'x'), 0);
	assert_int_equal(wr(&p, UART_TX, 'y'), 0);
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	/* Any level asked for is 1 (no receive timeout to back a higher). */
	for (size_t i = 0; i < ARRAY_SIZE(trig); i++) {
		port_fresh(&p);
		wr(&p, UART_FCR, 0x07 | trig[i]);
		assert_int_equal(p.intr_trigger_level, 1);
		wr(&p, UART_IER, UART_IER_RDI);
		assert_int_equal(wr(&p, UART_TX, 'a'), 1);
		assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RDI);
		assert_int_equal(wr(&p, UART_TX, 'b'), 0);
		assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RDI);
		rd(&p, UART_RX);
		assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RDI);
		rd(&p, UART_RX);
		assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
		/* Level 1 again: the next byte is an event again. */
		assert_int_equal(wr(&p, UART_TX, 'c'), 1);
	}
	/* With the FIFO disabled too. */
	port_fresh(&p);
	wr(&p, UART_FCR, UART_FCR_TRIGGER_14);
	assert_int_equal(p.intr_trigger_level, 1);
}

static void test_iir_priority(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	/* FIFO disabled: the second byte overruns. */
	wr(&p, UART_FCR, UART_FCR_CLEAR_RCVR);
	wr(&p, UART_IER,
	   UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI);
	wr(&p, UART_MCR, UART_MCR_DTR); /* modem status pending */
	/* THRI (raised by the IER write on an empty FIFO) over MSI. */
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_THRI);
	/* That read acknowledged THRI: MSI shows. */
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_MSI);
	/* RDI over MSI. */
	wr(&p, UART_TX, 'a');
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RDI);
	/* RLSI over RDI. */
	wr(&p, UART_TX, 'b');
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RLSI);
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RLSI);
	/* Reading LSR reports OE once and ends RLSI. */
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RDI);
	/* Draining raises THRI again. */
	assert_int_equal(rd(&p, UART_RX), 'a');
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_THRI);
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_MSI);
	/* Reading MSR ends the modem-status interrupt. */
	rd(&p, UART_MSR);
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	assert_false(mtty_port_irq_pending(&p));
}

static void test_iir_needs_ier(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x07);
	wr(&p, UART_TX, 'a');
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	wr(&p, UART_IER, UART_IER_RDI);
	/* A condition already there shows once its enable bit is set. */
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_RDI);
	assert_true(mtty_port_irq_pending(&p));
	/* mtty_port_iir() has no side effect. */
	wr(&p, UART_IER, UART_IER_THRI);
	rd(&p, UART_RX);
	assert_int_equal(mtty_port_iir(&p), 0xc0 | UART_IIR_THRI);
	assert_int_equal(mtty_port_iir(&p), 0xc0 | UART_IIR_THRI);
}

static void test_thri(void **state)
{
	struct mtty_port p;
	uint8_t v;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x07);
	/* Enabling THRI with the FIFO empty: an event, THRI pending. */
	assert_int_equal(wr(&p, UART_IER, UART_IER_THRI), 1);
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_THRI);
	/* Cleared by that IIR read... */
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	/* ...and raised again by writing IER (the 8250 driver's THRE test). */
	wr(&p, UART_IER, 0);
	assert_int_equal(wr(&p, UART_IER, UART_IER_THRI), 1);
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_THRI);
	/* A THR write ends it (and fills the FIFO). */
	assert_int_equal(wr(&p, UART_IER, UART_IER_THRI), 1);
	wr(&p, UART_TX, 'z');
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	/* Not raised while the FIFO holds data. */
	assert_int_equal(wr(&p, UART_IER, UART_IER_THRI), 0);
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
	/* Draining the FIFO raises it. */
	assert_int_equal(rd_ev(&p, UART_RX, &v), 1);
	assert_int_equal(v, 'z');
	assert_int_equal(rd(&p, UART_IIR), 0xc0 | UART_IIR_THRI);
	/* Clearing IER.THRI drops it. */
	assert_int_equal(rd_ev(&p, UART_RX, &v), 1); /* empty read: again */
	wr(&p, UART_IER, 0);
	wr(&p, UART_IER, UART_IER_RDI);
	assert_int_equal(rd(&p, UART_IIR), IIR_NONE);
}

static void test_lsr(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x06); /* depth 1 */
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);
	wr(&p, UART_TX, 1);
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR);
	wr(&p, UART_TX, 2);
	assert_true(p.overrun);
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR | UART_LSR_OE);
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR);
	/* A byte accepted also ends the overrun (the kernel's rule). */
	wr(&p, UART_TX, 3);
	assert_true(p.overrun);
	rd(&p, UART_RX);
	wr(&p, UART_TX, 4);
	assert_false(p.overrun);
	/* Writes to LSR and MSR are ignored. */
	wr(&p, UART_LSR, 0xff);
	wr(&p, UART_MSR, 0x00);
	assert_int_equal(rd(&p, UART_LSR), UART_LSR_DR);
	assert_int_equal(rd(&p, UART_MSR), MSR_IDLE);
}

static void test_msr(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x07);
	assert_int_equal(rd(&p, UART_MSR), MSR_IDLE);
	/* Auto flow control: CTS while the FIFO has room. */
	wr(&p, UART_MCR, UART_MCR_AFE);
	for (unsigned int i = 0; i < 15; i++)
		wr(&p, UART_TX, (uint8_t)i);
	assert_int_equal(rd(&p, UART_MSR), MSR_IDLE);
	wr(&p, UART_TX, 15);
	assert_int_equal(rd(&p, UART_MSR),
			 UART_MSR_DCD | UART_MSR_DSR | UART_MSR_DDSR);
	rd(&p, UART_RX);
	assert_int_equal(rd(&p, UART_MSR), MSR_IDLE);
	/* Without AFE, CTS whatever the FIFO. */
	wr(&p, UART_TX, 0);
	wr(&p, UART_MCR, 0);
	assert_int_equal(rd(&p, UART_MSR), MSR_IDLE);
	/* A depth-1 FIFO holding a byte is full. */
	wr(&p, UART_FCR, 0x06);
	wr(&p, UART_TX, 0);
	wr(&p, UART_MCR, UART_MCR_AFE);
	assert_int_equal(rd(&p, UART_MSR),
			 UART_MSR_DCD | UART_MSR_DSR | UART_MSR_DDSR);
	/* MCR reads back as written. */
	wr(&p, UART_MCR, 0x3f);
	assert_int_equal(rd(&p, UART_MCR), 0x3f);
}

static void test_dlab(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_FCR, 0x07);
	wr(&p, UART_IER, 0x05);
	wr(&p, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	assert_int_equal(rd(&p, UART_LCR), UART_LCR_DLAB | UART_LCR_WLEN8);
	wr(&p, UART_DLL, 0x0c);
	wr(&p, UART_DLM, 0x01);
	assert_int_equal(rd(&p, UART_DLL), 0x0c);
	assert_int_equal(rd(&p, UART_DLM), 0x01);
	assert_int_equal(p.divisor, 0x010c);
	/* Divisor bytes are ORed in (the kernel's mtty), DLAB zeroes them. */
	wr(&p, UART_DLL, 0x30);
	assert_int_equal(rd(&p, UART_DLL), 0x3c);
	wr(&p, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(rd(&p, UART_DLL), 0);
	assert_int_equal(rd(&p, UART_DLM), 0);
	/* Under DLAB nothing reaches the FIFO, IER is untouched. */
	assert_int_equal(p.count, 0);
	assert_int_equal(p.uart_reg[UART_IER], 0x05);
	wr(&p, UART_LCR, UART_LCR_WLEN8);
	assert_false(p.dlab);
	assert_int_equal(rd(&p, UART_IER), 0x05);
	wr(&p, UART_TX, 'q');
	assert_int_equal(rd(&p, UART_RX), 'q');
}

static void test_ier_scr(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	wr(&p, UART_IER, 0xf0);
	assert_int_equal(rd(&p, UART_IER), 0); /* reads IER & 0x0f */
	wr(&p, UART_IER, 0xff);
	assert_int_equal(rd(&p, UART_IER), 0x0f);
	wr(&p, UART_SCR, 0xa5);
	assert_int_equal(rd(&p, UART_SCR), 0xa5);
}

static void test_events(void **state)
{
	struct mtty_port p;
	uint8_t v;

	(void)state;
	/* RDI: when the count reaches the trigger level, with IER.RDI. */
	port_fresh(&p);
	wr(&p, UART_FCR, 0x07);
	assert_int_equal(wr(&p, UART_TX, 'a'), 0); /* IER.RDI clear */
	rd(&p, UART_RX);
	wr(&p, UART_IER, UART_IER_RDI);
	assert_int_equal(wr(&p, UART_TX, 'a'), 1);
	assert_int_equal(wr(&p, UART_TX, 'b'), 0);
	/* Overflow: an event only with IER.RLSI. */
	for (unsigned int i = 2; i < 16; i++)
		assert_int_equal(wr(&p, UART_TX, 'c'), 0);
	assert_int_equal(wr(&p, UART_TX, 'd'), 0);
	wr(&p, UART_IER, UART_IER_RLSI);
	assert_int_equal(wr(&p, UART_TX, 'd'), 1);
	assert_int_equal(wr(&p, UART_TX, 'd'), 1);
	/* THRI on IER write only with the FIFO empty. */
	assert_int_equal(wr(&p, UART_IER, UART_IER_THRI), 0);
	/* RX reads: an event when the FIFO is (left) empty with THRI. */
	for (unsigned int i = 0; i < 15; i++)
		assert_int_equal(rd_ev(&p, UART_RX, &v), 0);
	assert_int_equal(rd_ev(&p, UART_RX, &v), 1);
	assert_int_equal(wr(&p, UART_IER, UART_IER_THRI), 1);
	wr(&p, UART_IER, 0);
	assert_int_equal(rd_ev(&p, UART_RX, &v), 0);
	/* MCR with IER.MSI: OUT2 is one event, RTS/DTR another. */
	assert_int_equal(wr(&p, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR), 0);
	assert_false(p.msi_pending);
	wr(&p, UART_IER, UART_IER_MSI);
	assert_int_equal(wr(&p, UART_MCR, 0), 0);
	assert_int_equal(wr(&p, UART_MCR, UART_MCR_LOOP), 0);
	assert_int_equal(wr(&p, UART_MCR, UART_MCR_OUT2), 1);
	assert_int_equal(wr(&p, UART_MCR, UART_MCR_DTR), 1);
	assert_int_equal(wr(&p, UART_MCR, UART_MCR_RTS), 1);
	assert_int_equal(wr(&p, UART_MCR, UART_MCR_RTS | UART_MCR_OUT2), 2);
	assert_true(p.msi_pending);
	/* Nothing else causes events. */
	assert_int_equal(wr(&p, UART_LCR, 0x03), 0);
	assert_int_equal(wr(&p, UART_SCR, 0x03), 0);
	assert_int_equal(wr(&p, UART_FCR, 0x07), 0);
	assert_int_equal(rd_ev(&p, UART_IIR, &v), 0);
	assert_int_equal(rd_ev(&p, UART_LSR, &v), 0);
	assert_int_equal(rd_ev(&p, UART_MSR, &v), 0);
}

/* A state that says more than the FIFO holds must not reach past it. */
static void test_corrupt_state_bounded(void **state)
{
	struct mtty_port p;

	(void)state;
	port_fresh(&p);
	p.max_fifo_size = 200;
	p.head = 250;
	p.tail = 77;
	for (unsigned int i = 0; i < 40; i++)
		wr(&p, UART_TX, (uint8_t)i);
	assert_true(p.count <= MTTY_FIFO_SIZE);
	for (unsigned int i = 0; i < 40; i++)
		rd(&p, UART_RX);
	assert_int_equal(p.count, 0);
}

/* ---- The PCI function ---- */

#define CONFIG UVFIO_PCI_CONFIG_REGION_INDEX

static struct uvfio_pci *make(unsigned int ports)
{
	struct uvfio_pci *pci = mtty_new("mtty-test", ports, MTTY_STREAM_UVFIO);

	assert_non_null(pci);
	return pci;
}

static uint32_t cfg_read(struct uvfio_device *dev, unsigned int off, size_t len)
{
	uint32_t v = 0;

	assert_int_equal(uvfio_device_region_access(dev, CONFIG, off, &v, len,
						    false),
			 (ssize_t)len);
	return v;
}

static void cfg_write(struct uvfio_device *dev, unsigned int off, uint32_t v,
		      size_t len)
{
	assert_int_equal(uvfio_device_region_access(dev, CONFIG, off, &v, len,
						    true),
			 (ssize_t)len);
}

static void test_new_bad_ports(void **state)
{
	(void)state;
	errno = 0;
	assert_null(mtty_new("m", 0, MTTY_STREAM_UVFIO));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(mtty_new("m", 3, MTTY_STREAM_UVFIO));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(mtty_new("", 1, MTTY_STREAM_UVFIO));
	assert_int_equal(errno, EINVAL);
}

static void test_info_and_regions(void **state)
{
	(void)state;
	for (unsigned int ports = 1; ports <= 2; ports++) {
		struct uvfio_pci *pci = make(ports);
		struct uvfio_device *dev = uvfio_pci_device(pci);
		struct uvfio_device_info info = { .argsz = sizeof(info) };

		assert_int_equal(uvfio_device_get_info(dev, &info), 0);
		assert_int_equal(info.flags, UVFIO_DEVICE_FLAGS_PCI);
		assert_int_equal(info.num_regions, 9);
		assert_int_equal(info.num_irqs, 5);
		for (uint32_t i = 0; i < 9; i++) {
			struct uvfio_region_info r = { .argsz = sizeof(r),
						       .index = i };
			uint64_t size = 0;

			if (i == CONFIG)
				size = MTTY_CONFIG_SIZE;
			else if (i < ports)
				size = MTTY_BAR_SIZE;
			assert_int_equal(uvfio_device_get_region_info(dev, &r),
					 0);
			assert_int_equal(r.size, size);
			assert_int_equal(r.offset, (uint64_t)i << 40);
			if (size)
				assert_int_equal(
					r.flags,
					UVFIO_REGION_INFO_FLAG_READ |
						UVFIO_REGION_INFO_FLAG_WRITE);
		}
		uvfio_pci_destroy(pci);
	}
}

static void test_config_space(void **state)
{
	struct uvfio_pci *pci;
	struct uvfio_device *dev;

	(void)state;
	pci = make(1);
	dev = uvfio_pci_device(pci);
	assert_int_equal(cfg_read(dev, 0x00, 4), 0x32534348);
	assert_int_equal(cfg_read(dev, 0x04, 2), 0x0001);
	assert_int_equal(cfg_read(dev, 0x08, 4), 0x07000210);
	assert_int_equal(cfg_read(dev, 0x10, 4), 0x00000001);
	for (unsigned int off = 0x14; off <= 0x24; off += 4)
		assert_int_equal(cfg_read(dev, off, 4), 0);
	assert_int_equal(cfg_read(dev, 0x2c, 4), 0x32534348);
	assert_int_equal(cfg_read(dev, 0x3d, 1), 1);
	/* The region ends at 0xff. */
	assert_int_equal(cfg_read(dev, 0xfe, 1), 0);
	{
		uint8_t b;

		assert_int_equal(uvfio_device_region_access(dev, CONFIG, 0xff,
							    &b, 1, false),
				 -EINVAL);
	}
	/* Command, Status, the pin: writes ignored. */
	cfg_write(dev, 0x04, 0x0407, 2);
	assert_int_equal(cfg_read(dev, 0x04, 2), 0x0001);
	cfg_write(dev, 0x04, 0xffffffff, 4);
	assert_int_equal(cfg_read(dev, 0x04, 2), 0x0001);
	cfg_write(dev, 0x3d, 4, 1);
	assert_int_equal(cfg_read(dev, 0x3d, 1), 1);
	/* The interrupt line is stored. */
	cfg_write(dev, 0x3c, 0x0b, 1);
	assert_int_equal(cfg_read(dev, 0x3c, 1), 0x0b);
	cfg_write(dev, 0x3c, 0xffff0a, 4);
	assert_int_equal(cfg_read(dev, 0x3c, 4), 0x0100 | 0x0a);
	/* Other header bytes do not change. */
	cfg_write(dev, 0x0c, 0xffffffff, 4);
	assert_int_equal(cfg_read(dev, 0x0c, 4), 0);
	/* BAR0 sizing: 8 bytes of I/O. */
	cfg_write(dev, 0x10, 0xffffffff, 4);
	assert_int_equal(cfg_read(dev, 0x10, 4), 0xfffffff9);
	cfg_write(dev, 0x10, 0xc000, 4);
	assert_int_equal(cfg_read(dev, 0x10, 4), 0xc001);
	/* No BAR1 with one port, nor BAR2-5. */
	for (unsigned int off = 0x14; off <= 0x24; off += 4) {
		cfg_write(dev, off, 0xffffffff, 4);
		assert_int_equal(cfg_read(dev, off, 4), 0);
	}
	uvfio_pci_destroy(pci);

	pci = make(2);
	dev = uvfio_pci_device(pci);
	assert_int_equal(cfg_read(dev, 0x14, 4), 0x00000001);
	cfg_write(dev, 0x14, 0xffffffff, 4);
	assert_int_equal(cfg_read(dev, 0x14, 4), 0xfffffff9);
	uvfio_pci_destroy(pci);
}

static void test_irq_info(void **state)
{
	struct uvfio_pci *pci = make(1);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	struct uvfio_irq_info info = { .argsz = sizeof(info) };

	(void)state;
	info.index = UVFIO_PCI_INTX_IRQ_INDEX;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), 0);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.flags, UVFIO_IRQ_INFO_EVENTFD |
					     UVFIO_IRQ_INFO_MASKABLE |
					     UVFIO_IRQ_INFO_AUTOMASKED);
	info.index = UVFIO_PCI_MSI_IRQ_INDEX;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), 0);
	assert_int_equal(info.count, 1);
	assert_int_equal(info.flags,
			 UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_NORESIZE);
	info.index = UVFIO_PCI_ERR_IRQ_INDEX;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), -EINVAL);
	info.index = 5;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), -EINVAL);
	uvfio_pci_destroy(pci);
}

static void test_bar_access(void **state)
{
	static const char msg[] = "VFIO!";
	struct uvfio_pci *pci = make(1);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	uint8_t buf[8];
	uint32_t v;

	(void)state;
	bar_wr(dev, 0, UART_FCR, 0x07);
	for (size_t i = 0; i < 5; i++)
		bar_wr(dev, 0, UART_TX, (uint8_t)msg[i]);
	assert_int_equal(bar_rd(dev, 0, UART_LSR), UART_LSR_DR);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(bar_rd(dev, 0, UART_RX), (uint8_t)msg[i]);
	assert_int_equal(bar_rd(dev, 0, UART_LSR), LSR_EMPTY);
	/* A dword write at 0 is one THR write of its first byte. */
	v = 0x44434241;
	assert_int_equal(uvfio_device_region_access(dev, 0, 0, &v, 4, true), 4);
	assert_int_equal(bar_rd(dev, 0, UART_RX), 'A');
	assert_int_equal(bar_rd(dev, 0, UART_LSR), LSR_EMPTY);
	/* An 8-byte read is two dword pieces: RX and MCR, zero-padded. */
	bar_wr(dev, 0, UART_TX, 'Z');
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(uvfio_device_region_access(dev, 0, 0, buf, 8, false),
			 8);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(buf[1] | buf[2] | buf[3], 0);
	assert_int_equal(buf[4], 0); /* MCR */
	assert_int_equal(buf[5] | buf[6] | buf[7], 0);
	/* Outside the BAR: refused by the core. */
	assert_int_equal(uvfio_device_region_access(dev, 0, 7, buf, 2, false),
			 -EINVAL);
	uvfio_pci_destroy(pci);
}

static void test_msi(void **state)
{
	struct uvfio_pci *pci = make(1);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	int fd = test_eventfd();

	(void)state;
	irq_bind(dev, UVFIO_PCI_MSI_IRQ_INDEX, fd);
	/* No FCR write yet: trigger level 0, no RDI event. */
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	bar_wr(dev, 0, UART_TX, 'x');
	assert_int_equal(test_eventfd_count(fd), 0);
	bar_wr(dev, 0, UART_FCR, 0x07);
	/* "VFIO!": one MSI, when the first byte reaches the level. */
	for (const char *s = "VFIO!"; *s; s++)
		bar_wr(dev, 0, UART_TX, (uint8_t)*s);
	assert_int_equal(test_eventfd_count(fd), 1);
	/* An MSI per event, even while the condition is pending. */
	bar_wr(dev, 0, UART_IER, UART_IER_MSI);
	bar_wr(dev, 0, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	assert_int_equal(test_eventfd_count(fd), 2);
	bar_wr(dev, 0, UART_MCR, UART_MCR_RTS);
	assert_int_equal(test_eventfd_count(fd), 1);
	/* THRI: IER write on an empty FIFO, and draining the FIFO. */
	bar_wr(dev, 0, UART_FCR, 0x07);
	bar_wr(dev, 0, UART_IER, UART_IER_THRI);
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_wr(dev, 0, UART_TX, 'y');
	bar_rd(dev, 0, UART_RX);
	assert_int_equal(test_eventfd_count(fd), 1);
	/* Overrun with RLSI. */
	bar_wr(dev, 0, UART_IER, UART_IER_RLSI);
	bar_wr(dev, 0, UART_FCR, 0x06);
	bar_wr(dev, 0, UART_TX, '1');
	assert_int_equal(test_eventfd_count(fd), 0);
	bar_wr(dev, 0, UART_TX, '2');
	assert_int_equal(test_eventfd_count(fd), 1);
	/* No INTx level meanwhile. */
	assert_int_equal(cfg_read(dev, 0x06, 2) & 0x0008, 0);
	close(fd);
	uvfio_pci_destroy(pci);
}

static void test_intx_level(void **state)
{
	struct uvfio_pci *pci = make(1);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	int fd = test_eventfd();

	(void)state;
	irq_bind(dev, UVFIO_PCI_INTX_IRQ_INDEX, fd);
	bar_wr(dev, 0, UART_FCR, 0x07);
	/* THRI: asserted by the IER write, dropped by reading IIR. */
	bar_wr(dev, 0, UART_IER, UART_IER_THRI);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dev, 0, UART_IIR), 0xc0 | UART_IIR_THRI);
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* RDI: while the FIFO holds data, UNMASK delivers it again. */
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	bar_wr(dev, 0, UART_TX, 'a');
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_wr(dev, 0, UART_TX, 'b');
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 1);
	/* Automasked: a drain and new data deliver nothing... */
	bar_rd(dev, 0, UART_RX);
	bar_rd(dev, 0, UART_RX);
	bar_wr(dev, 0, UART_TX, 'c');
	assert_int_equal(test_eventfd_count(fd), 0);
	bar_rd(dev, 0, UART_RX);
	/* ...and once drained the UNMASK has nothing to deliver. */
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* Modem status: ends with the MSR read. */
	bar_wr(dev, 0, UART_IER, UART_IER_MSI);
	bar_wr(dev, 0, UART_MCR, UART_MCR_DTR);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(cfg_read(dev, 0x06, 2) & 0x0008, 0x0008);
	bar_rd(dev, 0, UART_MSR);
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* A condition becoming pending without an event (enabling RDI on
	 * data already there) asserts the line too. */
	bar_wr(dev, 0, UART_IER, 0);
	bar_wr(dev, 0, UART_TX, 'd');
	assert_int_equal(test_eventfd_count(fd), 0);
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_rd(dev, 0, UART_RX);
	intx_unmask(dev);
	close(fd);
	uvfio_pci_destroy(pci);
}

static void test_two_ports(void **state)
{
	struct uvfio_pci *pci = make(2);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	int fd = test_eventfd();

	(void)state;
	for (unsigned int bar = 0; bar < 2; bar++)
		bar_wr(dev, bar, UART_FCR, 0x07);
	bar_wr(dev, 0, UART_TX, '0');
	bar_wr(dev, 1, UART_TX, '1');
	bar_wr(dev, 1, UART_TX, '2');
	assert_int_equal(bar_rd(dev, 0, UART_RX), '0');
	assert_int_equal(bar_rd(dev, 0, UART_LSR), LSR_EMPTY);
	assert_int_equal(bar_rd(dev, 1, UART_RX), '1');
	assert_int_equal(bar_rd(dev, 1, UART_RX), '2');
	bar_wr(dev, 1, UART_SCR, 0x11);
	assert_int_equal(bar_rd(dev, 0, UART_SCR), 0);
	/* The line is the OR of both ports. */
	irq_bind(dev, UVFIO_PCI_INTX_IRQ_INDEX, fd);
	bar_wr(dev, 1, UART_IER, UART_IER_RDI);
	bar_wr(dev, 1, UART_TX, 'x');
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_wr(dev, 0, UART_IER, UART_IER_THRI);
	assert_int_equal(bar_rd(dev, 1, UART_RX), 'x');
	intx_unmask(dev); /* port 0's THRI still pending */
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dev, 0, UART_IIR), 0xc0 | UART_IIR_THRI);
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	close(fd);
	uvfio_pci_destroy(pci);
}

static void test_reset(void **state)
{
	struct uvfio_pci *pci = make(1);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	int fd = test_eventfd();

	(void)state;
	irq_bind(dev, UVFIO_PCI_INTX_IRQ_INDEX, fd);
	bar_wr(dev, 0, UART_FCR, 0x07);
	bar_wr(dev, 0, UART_SCR, 0x42);
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	bar_wr(dev, 0, UART_TX, 'R');
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(uvfio_device_reset(dev), 0);
	assert_int_equal(cfg_read(dev, 0x00, 4), 0x32534348);
	/* The reset dropped the line: an UNMASK delivers nothing. */
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* The ports keep their state, as with the kernel's mtty, and the
	 * line comes back with the next access. */
	assert_int_equal(bar_rd(dev, 0, UART_SCR), 0x42);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dev, 0, UART_IER), UART_IER_RDI);
	assert_int_equal(bar_rd(dev, 0, UART_LSR), UART_LSR_DR);
	assert_int_equal(bar_rd(dev, 0, UART_RX), 'R');
	intx_unmask(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	close(fd);
	uvfio_pci_destroy(pci);
}

/* ---- Migration: helpers ---- */

/* Migration data is read in odd pieces of this size. */
#define READ_PIECE 13

#define SEC_CARD 1
#define SEC_PORT 2
#define PORT_WIRE 34
#define MSI_INDEX UVFIO_PCI_MSI_IRQ_INDEX
#define INTX_INDEX UVFIO_PCI_INTX_IRQ_INDEX

/* The registers a read does not change, every port. */
static size_t quiet_regs(struct card *c, uint8_t *out)
{
	size_t n = 0;

	for (unsigned int bar = 0; bar < c->ports; bar++) {
		uint8_t lcr = bar_rd(c->dev, bar, UART_LCR);

		out[n++] = lcr;
		out[n++] = bar_rd(c->dev, bar, UART_MCR);
		out[n++] = bar_rd(c->dev, bar, UART_SCR);
		out[n++] = bar_rd(c->dev, bar, UART_IER); /* or DLM */
		if (lcr & UART_LCR_DLAB)
			out[n++] = bar_rd(c->dev, bar, UART_DLL);
	}
	return n;
}

/*
 * Everything a guest can read, every port, in an order that shows all of
 * it: IIR (twice: the first read may acknowledge THRI), LSR (twice: OE
 * reads once), MSR, the divisor, then every byte of the FIFO.  Reads
 * change the card; two cards in the same state give the same bytes and
 * end in the same state.
 */
static size_t drain_regs(struct card *c, uint8_t *out)
{
	size_t n = quiet_regs(c, out);

	for (unsigned int bar = 0; bar < c->ports; bar++) {
		uint8_t lcr = bar_rd(c->dev, bar, UART_LCR);

		out[n++] = bar_rd(c->dev, bar, UART_IIR);
		out[n++] = bar_rd(c->dev, bar, UART_IIR);
		out[n++] = bar_rd(c->dev, bar, UART_LSR);
		out[n++] = bar_rd(c->dev, bar, UART_LSR);
		out[n++] = bar_rd(c->dev, bar, UART_MSR);
		n += read_divisor_and_fifo(c, bar, lcr, out + n);
		out[n++] = bar_rd(c->dev, bar, UART_IIR);
	}
	return n;
}

static void assert_same_cards(struct card *a, struct card *b)
{
	uint8_t ra[256], rb[256];
	size_t na = drain_regs(a, ra), nb = drain_regs(b, rb);

	assert_int_equal(na, nb);
	assert_memory_equal(ra, rb, na);
}

/* ---- Migration ---- */

static void test_mig_features(void **state)
{
	struct card *c = card_new("mtty-a", 2, MTTY_STREAM_UVFIO);

	(void)state;
	assert_int_equal(feature_u64(c->dev, UVFIO_DEVICE_FEATURE_MIGRATION),
			 UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
				 UVFIO_MIGRATION_PRE_COPY);
	assert_true(feature_u64(c->dev, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE) >=
		    4 + 2 * PORT_WIRE);
	assert_int_equal(mig_get(c->dev), ST_RUNNING);
	card_free(c);
}

/*
 * Ports in states that need every field: a wrapped FIFO, an overrun, the
 * divisor behind DLAB, a FIFO of 1, the trigger level never set, THRI and
 * modem status raised.
 */
static void make_busy(struct card *c, unsigned int seed)
{
	struct uvfio_device *dev = c->dev;

	/* Port 0: a wrapped FIFO of 15 bytes, RDI and modem status. */
	bar_wr(dev, 0, UART_FCR, 0x07);
	bar_wr(dev, 0, UART_IER, 0x0f);
	for (unsigned int i = 0; i < 10; i++)
		bar_wr(dev, 0, UART_TX, (uint8_t)(seed * 16 + i));
	for (unsigned int i = 0; i < 4; i++)
		bar_rd(dev, 0, UART_RX);
	for (unsigned int i = 0; i < 9; i++)
		bar_wr(dev, 0, UART_TX, (uint8_t)(seed * 32 + i));
	bar_wr(dev, 0, UART_MCR, UART_MCR_DTR | UART_MCR_OUT2);
	bar_wr(dev, 0, UART_SCR, (uint8_t)(0x5a + seed));
	bar_wr(dev, 0, UART_LCR, 0x03);
	if (c->ports < 2)
		return;
	/* Port 1: full and overrun, then the divisor behind DLAB. */
	bar_wr(dev, 1, UART_FCR, 0xc1);
	bar_wr(dev, 1, UART_IER, UART_IER_RLSI);
	for (unsigned int i = 0; i < 17; i++)
		bar_wr(dev, 1, UART_TX, (uint8_t)(seed + i));
	bar_wr(dev, 1, UART_LCR, UART_LCR_DLAB | 0x03);
	bar_wr(dev, 1, UART_DLL, (uint8_t)(0x0c + seed));
	bar_wr(dev, 1, UART_DLM, 0x01);
	bar_wr(dev, 1, UART_SCR, 0xa5);
	bar_wr(dev, 1, UART_MCR, UART_MCR_AFE | UART_MCR_RTS);
}

/* A one-port state: trigger level 0, THRI raised, a FIFO of 1 byte. */
static void make_thri(struct card *c)
{
	bar_wr(c->dev, 0, UART_IER, UART_IER_THRI | UART_IER_RDI);
	bar_wr(c->dev, 0, UART_SCR, 0x33);
}

static void round_trip(unsigned int ports, void (*busy)(struct card *))
{
	struct card *src = card_new("mtty-src", ports, MTTY_STREAM_UVFIO);
	struct card *dst = card_new("mtty-dst", ports, MTTY_STREAM_UVFIO);
	uint8_t stream[STREAM_MAX], again[STREAM_MAX];
	struct sec secs[8];
	int fd = test_eventfd();
	size_t len, n;

	irq_bind(dst->dev, INTX_INDEX, fd);
	busy(src);
	len = mig_save(src->dev, stream, READ_PIECE);
	n = parse(stream, len, secs, 8);
	assert_int_equal(n, 2 + ports);
	assert_int_equal(secs[0].type, SEC_CARD);
	assert_int_equal(secs[0].len, 4);
	assert_int_equal(secs[0].data[0], ports);
	for (unsigned int i = 0; i < ports; i++) {
		assert_int_equal(secs[1 + i].type, SEC_PORT);
		assert_int_equal(secs[1 + i].len, PORT_WIRE);
		assert_int_equal(secs[1 + i].data[0], i);
		assert_int_equal(secs[1 + i].phase, UVFIO_MIG_FINAL);
	}
	assert_int_equal(secs[n - 1].kind, 2);

	mig_load(dst->dev, stream, len);
	/* Stopped: a pending condition is not raised yet... */
	assert_int_equal(test_eventfd_count(fd), 0);
	/* ...running, it is. */
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(fd), 1);
	/* The destination saves what the source did, byte for byte. */
	assert_int_equal(mig_save(dst->dev, again, READ_PIECE), len);
	assert_memory_equal(again, stream, len);
	mig_go(dst->dev, ST_RUNNING);
	/* And a guest reads the same from both, to the last FIFO byte. */
	assert_same_cards(src, dst);
	assert_int_equal(src->log.len + dst->log.len, 0);
	close(fd);
	card_free(src);
	card_free(dst);
}

static void busy_seed1(struct card *c)
{
	make_busy(c, 1);
}

static void test_mig_round_trip(void **state)
{
	(void)state;
	round_trip(2, busy_seed1);
	round_trip(1, busy_seed1);
	round_trip(1, make_thri);
}

/* MSI: one message at RUNNING for a pending condition, none without. */
static void test_mig_msi_reraise(void **state)
{
	struct card *src = card_new("mtty-src", 1, MTTY_STREAM_UVFIO);
	struct card *dst = card_new("mtty-dst", 1, MTTY_STREAM_UVFIO);
	uint8_t stream[STREAM_MAX];
	int fd = test_eventfd();
	size_t len;

	(void)state;
	irq_bind(dst->dev, MSI_INDEX, fd);
	bar_wr(src->dev, 0, UART_FCR, 0x07);
	bar_wr(src->dev, 0, UART_IER, UART_IER_RDI);
	bar_wr(src->dev, 0, UART_TX, 'm');
	len = mig_save(src->dev, stream, READ_PIECE);
	mig_load(dst->dev, stream, len);
	mig_go(dst->dev, ST_RUNNING_P2P);
	assert_int_equal(test_eventfd_count(fd), 0);
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dst->dev, 0, UART_IIR), 0xc0 | UART_IIR_RDI);
	assert_int_equal(bar_rd(dst->dev, 0, UART_RX), 'm');

	/* Nothing pending: nothing raised. */
	mig_go(src->dev, ST_RUNNING);
	assert_int_equal(bar_rd(src->dev, 0, UART_RX), 'm');
	len = mig_save(src->dev, stream, READ_PIECE);
	mig_load(dst->dev, stream, len);
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(fd), 0);
	close(fd);
	card_free(src);
	card_free(dst);
}

/* The ports a DIRTY round carries, as a mask; whether the card is in. */
static unsigned int ports_of(const uint8_t *s, size_t len, size_t from,
			     uint8_t phase, bool *card)
{
	struct sec secs[64];
	size_t n = parse(s, len, secs, 64);
	unsigned int mask = 0;

	*card = false;
	for (size_t i = 0; i < n; i++) {
		if (secs[i].kind != 1 || secs[i].off < from)
			continue;
		assert_int_equal(secs[i].phase, phase);
		if (secs[i].type == SEC_CARD)
			*card = true;
		else
			mask |= 1u << secs[i].data[0];
	}
	return mask;
}

static void dirty_round(struct card *c, uint8_t *stream, size_t *len,
			bool want_card, unsigned int want_ports)
{
	uint64_t expect =
		(want_card ? 24 + 4 : 0) +
		(uint64_t)__builtin_popcount(want_ports) * (24 + PORT_WIRE);
	size_t before = *len;
	bool card;

	assert_int_equal(mig_precopy_dirty(c->dev), expect);
	*len += mig_read(c->dev, stream + *len, STREAM_MAX - *len, READ_PIECE);
	assert_int_equal(ports_of(stream, *len, before, UVFIO_MIG_DIRTY, &card),
			 want_ports);
	assert_int_equal(card, want_card);
	assert_int_equal(mig_precopy_dirty(c->dev), 0);
}

static void test_mig_precopy(void **state)
{
	struct card *src = card_new("mtty-src", 2, MTTY_STREAM_UVFIO);
	struct card *dst = card_new("mtty-dst", 2, MTTY_STREAM_UVFIO);
	struct card *ref = card_new("mtty-ref", 2, MTTY_STREAM_UVFIO);
	uint8_t stream[STREAM_MAX], again[STREAM_MAX];
	size_t len, from;
	bool card;

	(void)state;
	make_busy(src, 2);
	mig_go(src->dev, ST_PRE_COPY);
	len = mig_read(src->dev, stream, STREAM_MAX, READ_PIECE);
	assert_int_equal(ports_of(stream, len, 0, UVFIO_MIG_INITIAL, &card), 3);
	assert_true(card);
	dirty_round(src, stream, &len, false, 0);
	/* Running in PRE_COPY: port 1 changes. */
	bar_wr(src->dev, 1, UART_SCR, 0x77);
	dirty_round(src, stream, &len, false, 1u << 1);
	/* Reads that change nothing; a write of the same value. */
	quiet_regs(src, stream + len);
	bar_wr(src->dev, 1, UART_SCR, 0x77);
	dirty_round(src, stream, &len, false, 0);
	/* Reading the FIFO changes port 0; both ports at once. */
	bar_rd(src->dev, 0, UART_RX);
	dirty_round(src, stream, &len, false, 1u << 0);
	bar_wr(src->dev, 0, UART_TX, 'p');
	bar_rd(src->dev, 1, UART_LSR); /* reads OE: clears the overrun */
	dirty_round(src, stream, &len, false, 3);
	/* An event while stopped changes the card. */
	mig_go(src->dev, ST_PRE_COPY_P2P);
	bar_wr(src->dev, 0, UART_TX, 'q'); /* no event: count 16 */
	dirty_round(src, stream, &len, false, 1u << 0);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_DTR | UART_MCR_OUT2);
	dirty_round(src, stream, &len, true, 0);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_RTS);
	dirty_round(src, stream, &len, false, 1u << 0);
	/* STOP_COPY: everything, then END. */
	from = len;
	mig_go(src->dev, ST_STOP_COPY);
	len += mig_read(src->dev, stream + len, STREAM_MAX - len, READ_PIECE);
	assert_int_equal(ports_of(stream, len, from, UVFIO_MIG_FINAL, &card),
			 3);
	assert_true(card);

	mig_load(dst->dev, stream, len);
	mig_go(dst->dev, ST_RUNNING);
	/* The destination holds what the source does, byte for byte. */
	mig_go(src->dev, ST_RUNNING);
	len = mig_save(src->dev, stream, READ_PIECE);
	assert_int_equal(mig_save(dst->dev, again, READ_PIECE), len);
	assert_memory_equal(again, stream, len);
	mig_go(dst->dev, ST_RUNNING);
	/* And what the source did, replayed on a third card. */
	make_busy(ref, 2);
	bar_wr(ref->dev, 1, UART_SCR, 0x77);
	bar_rd(ref->dev, 0, UART_RX);
	bar_wr(ref->dev, 0, UART_TX, 'p');
	bar_rd(ref->dev, 1, UART_LSR);
	bar_wr(ref->dev, 0, UART_TX, 'q');
	bar_wr(ref->dev, 0, UART_MCR, UART_MCR_RTS);
	assert_same_cards(dst, ref);
	card_free(src);
	card_free(dst);
	card_free(ref);
}

/*
 * Stopped, the card raises no interrupt but answers its registers and
 * config space; what was held back is raised once it runs, on the source
 * or the destination.
 */
static void test_mig_quiesce(void **state)
{
	struct card *src = card_new("mtty-src", 1, MTTY_STREAM_UVFIO);
	struct card *dst = card_new("mtty-dst", 1, MTTY_STREAM_UVFIO);
	uint8_t stream[STREAM_MAX];
	struct sec secs[8];
	int intx = test_eventfd(), msi = test_eventfd(), dmsi = test_eventfd();
	size_t len;

	(void)state;
	/* INTx: a level, following the condition. */
	irq_bind(src->dev, INTX_INDEX, intx);
	bar_wr(src->dev, 0, UART_FCR, 0x07);
	bar_wr(src->dev, 0, UART_IER, UART_IER_RDI);
	mig_go(src->dev, ST_RUNNING_P2P);
	bar_wr(src->dev, 0, UART_TX, 'a');
	assert_int_equal(bar_rd(src->dev, 0, UART_IIR), 0xc0 | UART_IIR_RDI);
	assert_int_equal(cfg_read(src->dev, 0x00, 4), 0x32534348);
	assert_int_equal(test_eventfd_count(intx), 0);
	mig_go(src->dev, ST_STOP);
	assert_int_equal(test_eventfd_count(intx), 0);
	mig_go(src->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(intx), 1);
	/* A condition that ended while stopped raises nothing. */
	assert_int_equal(bar_rd(src->dev, 0, UART_RX), 'a');
	intx_unmask(src->dev);
	mig_go(src->dev, ST_STOP);
	bar_wr(src->dev, 0, UART_TX, 'b');
	assert_int_equal(bar_rd(src->dev, 0, UART_RX), 'b');
	mig_go(src->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(intx), 0);

	/* MSI: events held back are one message, even if the condition
	 * ended. */
	irq_disable(src->dev, INTX_INDEX);
	irq_bind(src->dev, MSI_INDEX, msi);
	bar_wr(src->dev, 0, UART_IER, UART_IER_MSI);
	mig_go(src->dev, ST_STOP);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_RTS);
	bar_rd(src->dev, 0, UART_MSR);
	assert_int_equal(test_eventfd_count(msi), 0);
	mig_go(src->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(msi), 1);
	assert_int_equal(bar_rd(src->dev, 0, UART_IIR), 0xc0 | UART_IIR_NO_INT);

	/* Held back on the source, raised by the destination. */
	mig_go(src->dev, ST_STOP);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_DTR);
	bar_rd(src->dev, 0, UART_MSR);
	len = mig_save(src->dev, stream, READ_PIECE);
	parse(stream, len, secs, 8);
	assert_int_equal(secs[0].data[1], 1); /* the card: events held */
	irq_bind(dst->dev, MSI_INDEX, dmsi);
	mig_load(dst->dev, stream, len);
	assert_int_equal(test_eventfd_count(dmsi), 0);
	mig_go(dst->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(dmsi), 1);
	/* The source, stopped, sent nothing; running again it does. */
	assert_int_equal(test_eventfd_count(msi), 0);
	mig_go(src->dev, ST_RUNNING);
	assert_int_equal(test_eventfd_count(msi), 1);
	/* A reset forgets what a stop held back. */
	mig_go(src->dev, ST_STOP);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_DTR);
	assert_int_equal(uvfio_device_reset(src->dev), 0);
	assert_int_equal(mig_get(src->dev), ST_RUNNING);
	assert_int_equal(test_eventfd_count(msi), 0);
	bar_wr(src->dev, 0, UART_MCR, UART_MCR_DTR);
	assert_int_equal(test_eventfd_count(msi), 1);
	close(intx);
	close(msi);
	close(dmsi);
	card_free(src);
	card_free(dst);
}

/*
 * mtty's part of the rule for a refused load (device-test.h has the
 * rest): the registers a read does not change stay, in RESUMING and after
 * the reset that leaves it.  The tests check the rest of what a guest
 * reads at the end, against a card that was never loaded.
 */
struct kept_quiet {
	struct card *c;
	uint8_t quiet[64];
	size_t len;
};

static void assert_quiet_kept(void *opaque)
{
	struct kept_quiet *k = opaque;
	uint8_t q[64];

	assert_int_equal(quiet_regs(k->c, q), k->len);
	assert_memory_equal(q, k->quiet, k->len);
}

static void refusal_start(struct refusal *r, struct kept_quiet *k,
			  struct card *dst)
{
	k->c = dst;
	k->len = quiet_regs(dst, k->quiet);
	refusal_init(r, dst->dev, &dst->log, READ_PIECE, assert_quiet_kept, k);
}

static void test_mig_corruption(void **state)
{
	struct card *src = card_new("mtty-src", 2, MTTY_STREAM_UVFIO);
	struct card *dst = card_new("mtty-dst", 2, MTTY_STREAM_UVFIO);
	struct card *ref = card_new("mtty-ref", 2, MTTY_STREAM_UVFIO);
	uint8_t stream[STREAM_MAX];
	struct kept_quiet kept;
	struct refusal r;
	size_t len;

	(void)state;
	make_busy(src, 3);
	len = mig_save(src->dev, stream, READ_PIECE);
	make_busy(dst, 4);
	make_busy(ref, 4);
	refusal_start(&r, &kept, dst);
	refused_corruptions(&r, stream, len);
	assert_int_equal(r.count, 4 * len + 1);
	refusal_free(&r);
	assert_same_cards(dst, ref);

	/* And the stream itself loads. */
	mig_go(src->dev, ST_RUNNING);
	mig_load(dst->dev, stream, len);
	mig_go(dst->dev, ST_RUNNING);
	assert_same_cards(dst, src);
	card_free(src);
	card_free(dst);
	card_free(ref);
}

/* A stream of the other port count, either way. */
static void test_mig_other_ports(void **state)
{
	(void)state;
	for (unsigned int ports = 1; ports <= 2; ports++) {
		struct card *src =
			card_new("mtty-src", ports, MTTY_STREAM_UVFIO);
		struct card *dst =
			card_new("mtty-dst", 3 - ports, MTTY_STREAM_UVFIO);
		struct card *ref =
			card_new("mtty-ref", 3 - ports, MTTY_STREAM_UVFIO);
		uint8_t stream[STREAM_MAX];
		struct kept_quiet kept;
		struct refusal r;
		size_t len;

		make_busy(src, 5);
		len = mig_save(src->dev, stream, READ_PIECE);
		make_busy(dst, 6);
		make_busy(ref, 6);
		refusal_start(&r, &kept, dst);
		/* The compat string of the card the stream came from. */
		refused_saying(&r, stream, len,
			       ports == 2 ? "\"mtty-1-2\"" : "\"mtty-1-1\"");
		refusal_free(&r);
		assert_same_cards(dst, ref);
		card_free(src);
		card_free(dst);
		card_free(ref);
	}
}

/* A stream of the card and both ports, all FINAL: refused for @says. */
static void refused_final(struct refusal *r, const uint8_t *real,
			  const uint8_t *card, const uint8_t *port0,
			  const uint8_t *port1, const char *says)
{
	static struct builder b;

	build_start(&b, real);
	build_data(&b, SEC_CARD, UVFIO_MIG_FINAL, card, 4);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port0, PORT_WIRE);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port1, PORT_WIRE);
	build_end(&b);
	refused_saying(r, b.s, b.len, says);
}

/* A stream whose framing is sound, with values a port cannot hold. */
static void test_mig_bad_values(void **state)
{
	static const struct {
		unsigned int at;
		uint8_t value;
		const char *says;
	} bad_port[] = {
		{ 0, 2, "port index 2, this card has 2 ports" },
		{ 1, 0x10, "port 1: flags 0x10" },
		{ 2 + UART_RX, 1, "uart_reg[0] 0x01" },
		{ 2 + UART_IIR, 0xc1, "uart_reg[2] 0xc1" },
		{ 2 + UART_LSR, 0x60, "uart_reg[5] 0x60" },
		{ 2 + UART_MSR, 0xb0, "uart_reg[6] 0xb0" },
		{ 2 + UART_LCR, 0x03, "DLAB 1 but LCR 0x03" },
		{ 26, 16, "head 16" },
		{ 27, 200, "tail 200" },
		{ 28, 17, "count 17" },
		{ 28, 3, "disagree" },
		{ 30, 8, "FIFO size 8" },
		{ 30, 0, "FIFO size 0" },
		{ 31, 2, "trigger level 2" },
		{ 29, 0x00, "FCR 0x00, FIFO size 16" },
	};
	struct card *src = card_new("mtty-src", 2, MTTY_STREAM_UVFIO);
	struct card *dst = card_new("mtty-dst", 2, MTTY_STREAM_UVFIO);
	struct card *ref = card_new("mtty-ref", 2, MTTY_STREAM_UVFIO);
	uint8_t stream[STREAM_MAX], card[4], port[2][PORT_WIRE];
	static struct builder b;
	struct kept_quiet kept;
	struct refusal r;
	struct sec secs[8];
	size_t len;

	(void)state;
	make_busy(src, 7);
	len = mig_save(src->dev, stream, READ_PIECE);
	assert_int_equal(parse(stream, len, secs, 8), 4);
	memcpy(card, secs[0].data, 4);
	memcpy(port[0], secs[1].data, PORT_WIRE);
	memcpy(port[1], secs[2].data, PORT_WIRE);
	/* Port 1 is full (head == tail, count 16), DLAB, FCR 0xc1. */
	assert_int_equal(port[1][26], port[1][27]);
	assert_int_equal(port[1][28], 16);
	assert_int_equal(port[1][1] & 1, 1);
	make_busy(dst, 8);
	make_busy(ref, 8);
	refusal_start(&r, &kept, dst);

	for (size_t i = 0; i < ARRAY_SIZE(bad_port); i++) {
		uint8_t v[PORT_WIRE];

		memcpy(v, port[1], PORT_WIRE);
		v[bad_port[i].at] = bad_port[i].value;
		refused_final(&r, stream, card, port[0], v, bad_port[i].says);
	}

	/* Port 0's own rules: trigger level 0 means FCR never written. */
	{
		uint8_t v[PORT_WIRE];

		memcpy(v, port[0], PORT_WIRE);
		v[31] = 0; /* trigger 0 with FCR 0x07 */
		refused_final(&r, stream, card, v, port[1],
			      "FCR 0x07, FIFO size 16 and trigger level 0 "
			      "disagree");
		/* THRI raised with data in the FIFO. */
		memcpy(v, port[0], PORT_WIRE);
		v[1] |= 0x04;
		refused_final(&r, stream, card, v, port[1],
			      "THRI raised with IER 0x0f and 15 bytes");
	}

	/* The card section. */
	{
		static const struct {
			unsigned int at;
			uint8_t value;
			const char *says;
		} bad_card[] = {
			{ 0, 1, "nr_ports 1, this card has 2" },
			{ 0, 0, "nr_ports 0, this card has 2" },
			{ 1, 0x02, "card flags 0x02" },
			{ 2, 1, "card reserved bytes 0x01 0x00" },
			{ 3, 0x80, "card reserved bytes 0x00 0x80" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad_card); i++) {
			uint8_t v[4];

			memcpy(v, card, 4);
			v[bad_card[i].at] = bad_card[i].value;
			build_start(&b, stream);
			build_data(&b, SEC_CARD, UVFIO_MIG_INITIAL, v, 4);
			build_data(&b, SEC_CARD, UVFIO_MIG_FINAL, card, 4);
			build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[0],
				   PORT_WIRE);
			build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[1],
				   PORT_WIRE);
			build_end(&b);
			refused_saying(&r, b.s, b.len, bad_card[i].says);
		}
	}

	/* Sizes and types. */
	build_start(&b, stream);
	build_data(&b, SEC_CARD, UVFIO_MIG_FINAL, card, 3);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "card section of 3 bytes");
	build_start(&b, stream);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[0], PORT_WIRE - 1);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "port section of 33 bytes");
	build_start(&b, stream);
	build_data(&b, 9, UVFIO_MIG_FINAL, card, 4);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "unknown section type 9");

	/* A final state short of a port, or of the card. */
	build_start(&b, stream);
	build_data(&b, SEC_PORT, UVFIO_MIG_INITIAL, port[1], PORT_WIRE);
	build_data(&b, SEC_CARD, UVFIO_MIG_FINAL, card, 4);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[0], PORT_WIRE);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "ports 0x1 of 0x3");
	build_start(&b, stream);
	build_data(&b, SEC_CARD, UVFIO_MIG_DIRTY, card, 4);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[1], PORT_WIRE);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[0], PORT_WIRE);
	build_end(&b);
	refused_saying(&r, b.s, b.len, "has no card");
	refusal_free(&r);
	assert_same_cards(dst, ref);

	/* Built the same way, in another order, a complete stream loads. */
	build_start(&b, stream);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[1], PORT_WIRE);
	build_data(&b, SEC_PORT, UVFIO_MIG_FINAL, port[0], PORT_WIRE);
	build_data(&b, SEC_CARD, UVFIO_MIG_FINAL, card, 4);
	build_end(&b);
	dev_log_clear(&dst->log);
	mig_load(dst->dev, b.s, b.len);
	assert_int_equal(dst->log.len, 0);
	mig_go(dst->dev, ST_RUNNING);
	mig_go(src->dev, ST_RUNNING);
	assert_same_cards(dst, src);
	card_free(src);
	card_free(dst);
	card_free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_on),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_fifo_depth_16),
		cmocka_unit_test(test_fifo_depth_1),
		cmocka_unit_test(test_fcr_clear),
		cmocka_unit_test(test_trigger_levels),
		cmocka_unit_test(test_iir_priority),
		cmocka_unit_test(test_iir_needs_ier),
		cmocka_unit_test(test_thri),
		cmocka_unit_test(test_lsr),
		cmocka_unit_test(test_msr),
		cmocka_unit_test(test_dlab),
		cmocka_unit_test(test_ier_scr),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_corrupt_state_bounded),
		cmocka_unit_test(test_new_bad_ports),
		cmocka_unit_test(test_info_and_regions),
		cmocka_unit_test(test_config_space),
		cmocka_unit_test(test_irq_info),
		cmocka_unit_test(test_bar_access),
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_intx_level),
		cmocka_unit_test(test_two_ports),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_mig_features),
		cmocka_unit_test(test_mig_round_trip),
		cmocka_unit_test(test_mig_msi_reraise),
		cmocka_unit_test(test_mig_precopy),
		cmocka_unit_test(test_mig_quiesce),
		cmocka_unit_test(test_mig_corruption),
		cmocka_unit_test(test_mig_other_ports),
		cmocka_unit_test(test_mig_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
