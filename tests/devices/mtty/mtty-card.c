// SPDX-License-Identifier: MIT
/*
 * The mtty unit tests' card (mtty-card.h).
 */
#include <stdlib.h>

#include <linux/serial_reg.h>

#include "mtty-card.h"

struct card *card_new(const char *name, unsigned int ports,
		      enum mtty_stream stream)
{
	struct card *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->pci = mtty_new(name, ports, stream);
	assert_non_null(c->pci);
	c->dev = uvfio_pci_device(c->pci);
	c->ports = ports;
	dev_log_attach(c->dev, &c->log);
	return c;
}

void card_free(struct card *c)
{
	uvfio_pci_destroy(c->pci);
	free(c);
}

uint8_t bar_rd(struct uvfio_device *dev, unsigned int bar, unsigned int reg)
{
	uint8_t v = 0xee;

	assert_int_equal(
		uvfio_device_region_access(dev, bar, reg, &v, 1, false), 1);
	return v;
}

void bar_wr(struct uvfio_device *dev, unsigned int bar, unsigned int reg,
	    uint8_t v)
{
	assert_int_equal(uvfio_device_region_access(dev, bar, reg, &v, 1, true),
			 1);
}

size_t read_divisor_and_fifo(struct card *c, unsigned int bar, uint8_t lcr,
			     uint8_t *out)
{
	size_t n = 0;

	if (lcr & UART_LCR_DLAB) {
		out[n++] = bar_rd(c->dev, bar, UART_DLL);
		out[n++] = bar_rd(c->dev, bar, UART_DLM);
		bar_wr(c->dev, bar, UART_LCR, lcr & (uint8_t)~UART_LCR_DLAB);
	}
	for (int i = 0; i < 17; i++) {
		out[n++] = bar_rd(c->dev, bar, UART_LSR);
		out[n++] = bar_rd(c->dev, bar, UART_RX);
	}
	return n;
}
