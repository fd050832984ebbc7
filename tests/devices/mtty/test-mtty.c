// SPDX-License-Identifier: MIT
/*
 * mtty in-process: the 16550 logic of one port (mtty-uart.h) register by
 * register, then the PCI function through the device core (identity,
 * config-space quirks, regions, irqs, BAR accesses, interrupt delivery on
 * eventfds, two ports, reset).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include <uvfio/device.h>

#include "mtty/mtty-uart.h"
#include "mtty/mtty.h"
#include "test-util.h"

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
	struct uvfio_pci *pci = mtty_new("mtty-test", ports);

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

static uint8_t bar_rd(struct uvfio_device *dev, unsigned int bar,
		      unsigned int reg)
{
	uint8_t v = 0xee;

	assert_int_equal(
		uvfio_device_region_access(dev, bar, reg, &v, 1, false), 1);
	return v;
}

static void bar_wr(struct uvfio_device *dev, unsigned int bar, unsigned int reg,
		   uint8_t v)
{
	assert_int_equal(uvfio_device_region_access(dev, bar, reg, &v, 1, true),
			 1);
}

static int set_irqs(struct uvfio_device *dev, uint32_t flags, uint32_t index,
		    uint32_t count, const void *data, size_t data_len)
{
	struct uvfio_irq_set *req = calloc(1, sizeof(*req) + data_len);
	int ret;

	assert_non_null(req);
	req->argsz = (uint32_t)(sizeof(*req) + data_len);
	req->flags = flags;
	req->index = index;
	req->count = count;
	if (data_len)
		memcpy(req->data, data, data_len);
	ret = uvfio_device_set_irqs(dev, req);
	free(req);
	return ret;
}

static void bind_eventfd(struct uvfio_device *dev, uint32_t index, int fd)
{
	int32_t fds[1] = { fd };

	assert_int_equal(set_irqs(dev,
				  UVFIO_IRQ_SET_ACTION_TRIGGER |
					  UVFIO_IRQ_SET_DATA_EVENTFD,
				  index, 1, fds, sizeof(fds)),
			 0);
}

static void unmask_intx(struct uvfio_device *dev)
{
	assert_int_equal(set_irqs(dev,
				  UVFIO_IRQ_SET_ACTION_UNMASK |
					  UVFIO_IRQ_SET_DATA_NONE,
				  UVFIO_PCI_INTX_IRQ_INDEX, 1, NULL, 0),
			 0);
}

static void test_new_bad_ports(void **state)
{
	(void)state;
	errno = 0;
	assert_null(mtty_new("m", 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(mtty_new("m", 3));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(mtty_new("", 1));
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
	bind_eventfd(dev, UVFIO_PCI_MSI_IRQ_INDEX, fd);
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
	bind_eventfd(dev, UVFIO_PCI_INTX_IRQ_INDEX, fd);
	bar_wr(dev, 0, UART_FCR, 0x07);
	/* THRI: asserted by the IER write, dropped by reading IIR. */
	bar_wr(dev, 0, UART_IER, UART_IER_THRI);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dev, 0, UART_IIR), 0xc0 | UART_IIR_THRI);
	unmask_intx(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* RDI: while the FIFO holds data, UNMASK delivers it again. */
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	bar_wr(dev, 0, UART_TX, 'a');
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_wr(dev, 0, UART_TX, 'b');
	unmask_intx(dev);
	assert_int_equal(test_eventfd_count(fd), 1);
	/* Automasked: a drain and new data deliver nothing... */
	bar_rd(dev, 0, UART_RX);
	bar_rd(dev, 0, UART_RX);
	bar_wr(dev, 0, UART_TX, 'c');
	assert_int_equal(test_eventfd_count(fd), 0);
	bar_rd(dev, 0, UART_RX);
	/* ...and once drained the UNMASK has nothing to deliver. */
	unmask_intx(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* Modem status: ends with the MSR read. */
	bar_wr(dev, 0, UART_IER, UART_IER_MSI);
	bar_wr(dev, 0, UART_MCR, UART_MCR_DTR);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(cfg_read(dev, 0x06, 2) & 0x0008, 0x0008);
	bar_rd(dev, 0, UART_MSR);
	unmask_intx(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* A condition becoming pending without an event (enabling RDI on
	 * data already there) asserts the line too. */
	bar_wr(dev, 0, UART_IER, 0);
	bar_wr(dev, 0, UART_TX, 'd');
	assert_int_equal(test_eventfd_count(fd), 0);
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_rd(dev, 0, UART_RX);
	unmask_intx(dev);
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
	bind_eventfd(dev, UVFIO_PCI_INTX_IRQ_INDEX, fd);
	bar_wr(dev, 1, UART_IER, UART_IER_RDI);
	bar_wr(dev, 1, UART_TX, 'x');
	assert_int_equal(test_eventfd_count(fd), 1);
	bar_wr(dev, 0, UART_IER, UART_IER_THRI);
	assert_int_equal(bar_rd(dev, 1, UART_RX), 'x');
	unmask_intx(dev); /* port 0's THRI still pending */
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dev, 0, UART_IIR), 0xc0 | UART_IIR_THRI);
	unmask_intx(dev);
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
	bind_eventfd(dev, UVFIO_PCI_INTX_IRQ_INDEX, fd);
	bar_wr(dev, 0, UART_FCR, 0x07);
	bar_wr(dev, 0, UART_SCR, 0x42);
	bar_wr(dev, 0, UART_IER, UART_IER_RDI);
	bar_wr(dev, 0, UART_TX, 'R');
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(uvfio_device_reset(dev), 0);
	assert_int_equal(cfg_read(dev, 0x00, 4), 0x32534348);
	/* The reset dropped the line: an UNMASK delivers nothing. */
	unmask_intx(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	/* The ports keep their state, as with the kernel's mtty, and the
	 * line comes back with the next access. */
	assert_int_equal(bar_rd(dev, 0, UART_SCR), 0x42);
	assert_int_equal(test_eventfd_count(fd), 1);
	assert_int_equal(bar_rd(dev, 0, UART_IER), UART_IER_RDI);
	assert_int_equal(bar_rd(dev, 0, UART_LSR), UART_LSR_DR);
	assert_int_equal(bar_rd(dev, 0, UART_RX), 'R');
	unmask_intx(dev);
	assert_int_equal(test_eventfd_count(fd), 0);
	close(fd);
	uvfio_pci_destroy(pci);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
