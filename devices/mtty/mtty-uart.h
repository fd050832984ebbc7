/* SPDX-License-Identifier: MIT */
/*
 * One 16550 port of mtty: registers, the loopback FIFO and interrupt
 * identification, as the kernel's samples/vfio-mdev/mtty.c has them (see
 * devices/mtty/README.md for the few places that differ and why).
 *
 * The port knows nothing of PCI or of the interrupt line.  A register
 * access returns the number of interrupt events it caused: the points
 * where the kernel's mtty calls mtty_trigger_interrupt().  Whether an
 * interrupt is pending (what IIR reports, and the INTx level) is
 * mtty_port_irq_pending().
 *
 * Not thread-safe: the caller serializes (mtty runs under the device lock).
 */
#ifndef UVFIO_DEVICES_MTTY_UART_H
#define UVFIO_DEVICES_MTTY_UART_H

#include <stdbool.h>
#include <stdint.h>

#define MTTY_FIFO_SIZE 16 /* a power of two: indices wrap with a mask */
#define MTTY_NR_REGS 8

/*
 * Everything one port is.  The first fields are those of the kernel's
 * struct serial_port, in its order (what its migration stream carries);
 * the last two are mtty-uvfio's own (README.md, "Differences").
 */
struct mtty_port {
	uint8_t uart_reg[MTTY_NR_REGS]; /* IER, LCR, MCR, SCR at their offsets */
	uint8_t fifo[MTTY_FIFO_SIZE]; /* loopback: written by TX, read by RX */
	uint8_t head, tail, count;
	bool dlab;    /* LCR.DLAB: offsets 0 and 1 are DLL and DLM */
	bool overrun; /* a byte was lost since LSR.OE was last read */
	uint16_t divisor;
	uint8_t fcr;		    /* the last FCR write */
	uint8_t max_fifo_size;	    /* 16 with FCR.ENABLE_FIFO, else 1 */
	uint8_t intr_trigger_level; /* 0 until FCR is written, then 1 */
	bool thri_pending; /* THR-empty interrupt raised, IIR not yet read */
	bool msi_pending;  /* modem-status interrupt raised, MSR not yet read */
};

/* The power-on state: everything 0, a 16-byte FIFO, trigger level 0. */
void mtty_port_init(struct mtty_port *p);

/*
 * Write @val to register @reg (0-7) / read register @reg into *@val.
 * Return the number of interrupt events the access caused (0-2).
 */
unsigned int mtty_port_write(struct mtty_port *p, unsigned int reg,
			     uint8_t val);
unsigned int mtty_port_read(struct mtty_port *p, unsigned int reg,
			    uint8_t *val);

/* IIR as a read would return it now, without the read's side effect. */
uint8_t mtty_port_iir(const struct mtty_port *p);

/* Whether IIR reports an interrupt: the port's INTx level. */
bool mtty_port_irq_pending(const struct mtty_port *p);

#endif /* UVFIO_DEVICES_MTTY_UART_H */
