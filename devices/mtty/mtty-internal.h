/* SPDX-License-Identifier: MIT */
/*
 * mtty's private state, shared by the card (mtty.c) and its migration
 * (mtty-mig.c).  Everything here is used under the device lock.
 */
#ifndef UVFIO_DEVICES_MTTY_INTERNAL_H
#define UVFIO_DEVICES_MTTY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mtty-uart.h"
#include "mtty.h"

/* One port as the migration stream carries it (mtty-mig.c). */
#define MTTY_PORT_WIRE 34

struct mtty_staged;

struct mtty {
	struct uvfio_pci *pci;
	unsigned int nr_ports;
	bool intx_asserted; /* what we last told the PCI core */
	/*
	 * Stopped (any migration state but RUNNING and PRE_COPY): register
	 * accesses work, interrupt events are not delivered and the INTx
	 * line is left alone; irq_deferred remembers that events happened,
	 * for mtty_resume().
	 */
	bool quiesced;
	bool irq_deferred;
	/* Changed since the last save (pre-copy): a bit per port, the card. */
	uint8_t dirty_ports;
	bool card_dirty;
	struct mtty_port port[MTTY_MAX_PORTS];
	/* A loaded state waiting for commit (mtty-mig.c). */
	struct mtty_staged *staged;
};

/* mtty.c: stop (no interrupts) and run again. */
void mtty_quiesce(struct mtty *m);
void mtty_resume(struct mtty *m);
/* Whether any port's IIR reports an interrupt. */
bool mtty_any_pending(const struct mtty *m);

/* mtty-mig.c */
void mtty_port_to_wire(const struct mtty_port *p, unsigned int index,
		       uint8_t wire[MTTY_PORT_WIRE]);
int mtty_mig_init(struct mtty *m);
void mtty_mig_release(struct mtty *m);

#endif /* UVFIO_DEVICES_MTTY_INTERNAL_H */
