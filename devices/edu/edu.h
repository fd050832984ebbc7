/* SPDX-License-Identifier: MIT */
/*
 * edu: QEMU's educational PCI device (QEMU docs/specs/edu.rst), register
 * compatible, on the PCI core.  See devices/edu/README.md.
 */
#ifndef UVFIO_DEVICES_EDU_H
#define UVFIO_DEVICES_EDU_H

#include <uvfio/pci.h>

/* PCI identity, as QEMU's edu has it. */
#define EDU_VENDOR_ID 0x1234
#define EDU_DEVICE_ID 0x11e8
#define EDU_SUBSYSTEM_VENDOR_ID 0x1af4 /* QEMU's default subsystem */
#define EDU_SUBSYSTEM_ID 0x1100
#define EDU_CLASS_CODE 0x00ff00 /* base 0x00, subclass 0xff */
#define EDU_REVISION 0x10

#define EDU_BAR 0
#define EDU_BAR_SIZE (1u << 20)

/* BAR0 registers.  Below 0x80 only 4-byte accesses; 4 or 8 from 0x80. */
#define EDU_REG_ID 0x00		/* RO: 0xRRrr00ed, version 1.0 */
#define EDU_REG_LIVENESS 0x04	/* RW: reads ~(value written) */
#define EDU_REG_FACT 0x08	/* RW: write n, read n! (mod 2^32) */
#define EDU_REG_STATUS 0x20	/* RW: EDU_STATUS_* */
#define EDU_REG_IRQ_STATUS 0x24 /* RO: interrupt causes */
#define EDU_REG_IRQ_RAISE 0x60	/* WO: irq_status |= value */
#define EDU_REG_IRQ_ACK 0x64	/* WO: irq_status &= ~value */
#define EDU_REG_DMA_SRC 0x80	/* RW, 64-bit */
#define EDU_REG_DMA_DST 0x88	/* RW, 64-bit */
#define EDU_REG_DMA_CNT 0x90	/* RW, 64-bit */
#define EDU_REG_DMA_CMD 0x98	/* RW, 64-bit: EDU_DMA_* */

#define EDU_ID_VALUE 0x010000edu

#define EDU_STATUS_COMPUTING 0x01 /* factorial in progress (RO) */
#define EDU_STATUS_IRQFACT 0x80	  /* raise EDU_IRQ_FACT when it is done */

#define EDU_IRQ_FACT 0x001 /* irq_status bit of a finished factorial */
#define EDU_IRQ_DMA 0x100  /* irq_status bit of a finished DMA */

#define EDU_DMA_RUN 0x1	   /* start; clears when the transfer is over */
#define EDU_DMA_TO_RAM 0x2 /* direction: 0 RAM -> buffer, 1 buffer -> RAM */
#define EDU_DMA_IRQ 0x4	   /* raise EDU_IRQ_DMA when the transfer is over */

/* The DMA buffer, addressed by the DMA registers (not through BAR0). */
#define EDU_DMA_START 0x40000
#define EDU_DMA_SIZE 4096
/* The device has 28 address lines, as QEMU's edu by default (dma_mask). */
#define EDU_DMA_MASK ((1ull << 28) - 1)

/*
 * Create and realize an edu function named @name (the device core's naming
 * rules).  Destroy it with uvfio_pci_destroy().  NULL with errno set.
 */
struct uvfio_pci *edu_new(const char *name);

#endif /* UVFIO_DEVICES_EDU_H */
