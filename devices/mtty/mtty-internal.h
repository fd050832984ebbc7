/* SPDX-License-Identifier: MIT */
/*
 * mtty's private state, shared by the card (mtty.c) and its migration
 * (mtty-mig.c).  Everything here is used under the device lock.
 */
#ifndef UVFIO_DEVICES_MTTY_INTERNAL_H
#define UVFIO_DEVICES_MTTY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uvfio/migration.h>

#include "mtty-uart.h"
#include "mtty.h"

/* One port as the migration stream carries it (mtty-mig.c). */
#define MTTY_PORT_WIRE 34

struct mtty_staged;

/* The kernel mtty's stream of a two-port card: header and ports. */
#define MTTY_KSTREAM_MAX (24 + MTTY_MAX_PORTS * 36)

/* A load of the kernel's stream in progress (mtty-kstream.c). */
struct mtty_kload {
	uint8_t buf[MTTY_KSTREAM_MAX]; /* the bytes so far */
	size_t filled;
	struct mtty_port port[MTTY_MAX_PORTS]; /* the ports checked so far */
};

struct mtty {
	struct uvfio_pci *pci;
	unsigned int nr_ports;
	enum mtty_stream stream;
	bool intx_asserted; /* what we last told the PCI core */
	/*
	 * Stopped (any migration state but RUNNING and PRE_COPY): register
	 * accesses work, interrupt events are not delivered and the INTx
	 * line is left alone; irq_deferred remembers that events happened,
	 * for mtty_resume().
	 */
	bool quiesced;
	bool irq_deferred;
	/* Changed since the last save (pre-copy; uvfio's stream only). */
	uint8_t dirty_ports;
	bool card_dirty;
	struct mtty_port port[MTTY_MAX_PORTS];
	/* A loaded state waiting for commit (mtty-mig.c, mtty-kstream.c). */
	struct mtty_staged *staged;
	struct mtty_kload kload;
};

static inline struct mtty *dev_mtty(struct uvfio_device *dev)
{
	return uvfio_pci_priv(uvfio_device_priv(dev));
}

/* Refuse a loaded stream: log why, and fail with @err (-EINVAL). */
#define mtty_refuse_errno(dev, err, ...) \
	(uvfio_err(dev, "mtty: migration stream refused: " __VA_ARGS__), (err))
#define mtty_refuse(dev, ...) mtty_refuse_errno(dev, -EINVAL, __VA_ARGS__)

/* mtty.c: stop (no interrupts) and run again. */
void mtty_quiesce(struct mtty *m);
void mtty_resume(struct mtty *m);
/* Whether any port's IIR reports an interrupt. */
bool mtty_any_pending(const struct mtty *m);

/* mtty-mig.c: uvfio's stream, and what both streams share. */
void mtty_port_to_wire(const struct mtty_port *p, unsigned int index,
		       uint8_t wire[MTTY_PORT_WIRE]);
int mtty_mig_init(struct mtty *m);
void mtty_mig_release(struct mtty *m);
int mtty_mig_arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		 enum uvfio_device_mig_state to);
/* Whether a decoded port holds only values a port can hold (-EINVAL). */
int mtty_port_check(struct uvfio_device *dev, const struct mtty_port *p,
		    unsigned int index);
/* Make checked, loaded ports the card's (at commit). */
void mtty_mig_apply(struct mtty *m, const struct mtty_port *ports,
		    bool irq_deferred);

/* mtty-kstream.c: the kernel mtty's stream. */
extern const struct uvfio_migration_ops mtty_kstream_ops;
/* Drop a load in progress. */
void mtty_kstream_drop(struct mtty *m);

#endif /* UVFIO_DEVICES_MTTY_INTERNAL_H */
