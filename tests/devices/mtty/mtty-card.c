// SPDX-License-Identifier: MIT
/*
 * The mtty unit tests' card (mtty-card.h).
 */
#include <stdlib.h>

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
