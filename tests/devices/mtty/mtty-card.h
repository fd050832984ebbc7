/* SPDX-License-Identifier: MIT */
/*
 * An mtty card for the unit tests (test-mtty.c, test-mtty-kstream.c),
 * driven through the device core as a transport would, with a log of its
 * errors, and its BAR registers a byte at a time.
 */
#ifndef UVFIO_TEST_MTTY_CARD_H
#define UVFIO_TEST_MTTY_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "../device-test.h"
#include "mtty/mtty.h"

struct card {
	struct uvfio_pci *pci;
	struct uvfio_device *dev;
	unsigned int ports;
	struct dev_log log;
};

struct card *card_new(const char *name, unsigned int ports,
		      enum mtty_stream stream);
void card_free(struct card *c);

/* One register of port @bar, asserted to succeed. */
uint8_t bar_rd(struct uvfio_device *dev, unsigned int bar, unsigned int reg);
void bar_wr(struct uvfio_device *dev, unsigned int bar, unsigned int reg,
	    uint8_t v);

/*
 * The end of a guest's view of port @bar, whose LCR reads @lcr, into @out:
 * the divisor if DLAB is set (then cleared), then LSR and RX 17 times,
 * which drains the FIFO.  Returns the bytes written.
 */
size_t read_divisor_and_fifo(struct card *c, unsigned int bar, uint8_t lcr,
			     uint8_t *out);

#endif /* UVFIO_TEST_MTTY_CARD_H */
