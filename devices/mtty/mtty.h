/* SPDX-License-Identifier: MIT */
/*
 * mtty: a PCI serial card with one or two 16550 ports, behaviour-compatible
 * with the Linux kernel's mdev sample driver samples/vfio-mdev/mtty.c.  See
 * devices/mtty/README.md.
 */
#ifndef UVFIO_DEVICES_MTTY_H
#define UVFIO_DEVICES_MTTY_H

#include <uvfio/pci.h>

/* PCI identity, as the kernel's mtty builds its config space. */
#define MTTY_VENDOR_ID 0x4348
#define MTTY_DEVICE_ID 0x3253
#define MTTY_SUBSYSTEM_VENDOR_ID 0x4348
#define MTTY_SUBSYSTEM_ID 0x3253
#define MTTY_CLASS_CODE 0x070002 /* simple comms, serial, 16550 */
#define MTTY_REVISION 0x10
#define MTTY_CONFIG_SIZE 0xff /* the CONFIG region's size, as mtty's */

#define MTTY_MAX_PORTS 2
#define MTTY_BAR_SIZE 8 /* one I/O BAR per port: BAR0, BAR1 */

/* The format of the migration data (README.md, "Migration"). */
enum mtty_stream {
	MTTY_STREAM_UVFIO,  /* the core's framed stream, every field */
	MTTY_STREAM_KERNEL, /* the kernel mtty's struct mtty_data */
};

/*
 * Create and realize an mtty function named @name (the device core's
 * naming rules) with @ports ports (1 or 2) that migrates in @stream's
 * format.  Destroy it with uvfio_pci_destroy().  NULL with errno set
 * (EINVAL, ENOMEM).
 */
struct uvfio_pci *mtty_new(const char *name, unsigned int ports,
			   enum mtty_stream stream);

#endif /* UVFIO_DEVICES_MTTY_H */
