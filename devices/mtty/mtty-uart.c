// SPDX-License-Identifier: MIT
/*
 * mtty's 16550: each byte written to THR loops back into a receive FIFO
 * that RX reads.  There is no line, no baud rate and no timer: the divisor
 * is stored and read back, nothing else depends on it.
 *
 * Register semantics follow the kernel's mtty sample.  Where that sample
 * keeps an interrupt condition alive that a 16550 clears (THRI, modem
 * status, overrun), the condition here clears as on a 16550, so that a
 * level-triggered INTx drops once a guest's 8250 driver has handled it.
 * README.md lists each difference.
 */
#include <string.h>

#include <linux/serial_reg.h>

#include "mtty-uart.h"

#define FIFO_MASK (MTTY_FIFO_SIZE - 1)
#define IER_READ_MASK 0x0f /* the kernel's mtty reads IER & 0x0f */
#define IIR_FIFO_BITS 0xc0 /* "16550 compatible": always set */
#define IIR_MASK 0x0f

void mtty_port_init(struct mtty_port *p)
{
	memset(p, 0, sizeof(*p));
	p->max_fifo_size = MTTY_FIFO_SIZE;
}

static bool fifo_empty(const struct mtty_port *p)
{
	return p->count == 0;
}

static void fifo_clear(struct mtty_port *p)
{
	p->head = 0;
	p->tail = 0;
	p->count = 0;
}

/* Room for one more byte.  Bounded by the array whatever the state says. */
static bool fifo_has_room(const struct mtty_port *p)
{
	return p->count < p->max_fifo_size && p->count < MTTY_FIFO_SIZE;
}

/*
 * Received data available: at or above the trigger level.  The level is 0
 * until FCR is first written; the kernel's mtty then raises no RDI event
 * (it fires when the count reaches the level), and here no RDI is pending
 * either.
 */
static bool rdi_pending(const struct mtty_port *p)
{
	return (p->uart_reg[UART_IER] & UART_IER_RDI) &&
	       p->intr_trigger_level && p->count >= p->intr_trigger_level;
}

uint8_t mtty_port_iir(const struct mtty_port *p)
{
	uint8_t ier = p->uart_reg[UART_IER];
	uint8_t id;

	if ((ier & UART_IER_RLSI) && p->overrun)
		id = UART_IIR_RLSI;
	else if (rdi_pending(p))
		id = UART_IIR_RDI;
	else if ((ier & UART_IER_THRI) && p->thri_pending && fifo_empty(p))
		id = UART_IIR_THRI;
	else if ((ier & UART_IER_MSI) && p->msi_pending)
		id = UART_IIR_MSI;
	else
		id = UART_IIR_NO_INT;
	return id | IIR_FIFO_BITS;
}

bool mtty_port_irq_pending(const struct mtty_port *p)
{
	return !(mtty_port_iir(p) & UART_IIR_NO_INT);
}

static unsigned int write_thr(struct mtty_port *p, uint8_t val)
{
	uint8_t ier = p->uart_reg[UART_IER];

	if (p->dlab) {
		/* The kernel's mtty ORs the byte in; LCR.DLAB zeroes it. */
		p->divisor |= val;
		return 0;
	}
	p->thri_pending = false;
	if (!fifo_has_room(p)) {
		p->overrun = true;
		return (ier & UART_IER_RLSI) ? 1 : 0;
	}
	p->fifo[p->head & FIFO_MASK] = val;
	p->head = (p->head + 1) & FIFO_MASK;
	p->count++;
	p->overrun = false;
	return (ier & UART_IER_RDI) && p->count == p->intr_trigger_level;
}

static unsigned int write_ier(struct mtty_port *p, uint8_t val)
{
	if (p->dlab) {
		p->divisor |= (uint16_t)(val << 8);
		return 0;
	}
	p->uart_reg[UART_IER] = val;
	if (!(val & UART_IER_THRI)) {
		p->thri_pending = false;
		return 0;
	}
	if (!fifo_empty(p))
		return 0;
	p->thri_pending = true;
	return 1;
}

static void write_fcr(struct mtty_port *p, uint8_t val)
{
	p->fcr = val;
	if (val & (UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT))
		fifo_clear(p);
	/*
	 * The trigger level FCR asks for (1, 4, 8, 14) is not used: without
	 * a receive timeout, bytes below a higher level would never be
	 * signalled.  The kernel's mtty forces 1 for the same reason.
	 */
	p->intr_trigger_level = 1;
	p->max_fifo_size = (val & UART_FCR_ENABLE_FIFO) ? MTTY_FIFO_SIZE : 1;
}

static unsigned int write_mcr(struct mtty_port *p, uint8_t val)
{
	unsigned int events = 0;

	p->uart_reg[UART_MCR] = val;
	if (!(p->uart_reg[UART_IER] & UART_IER_MSI))
		return 0;
	/* Two separate events, as the kernel's mtty signals them. */
	if (val & UART_MCR_OUT2)
		events++;
	if (val & (UART_MCR_RTS | UART_MCR_DTR))
		events++;
	if (events)
		p->msi_pending = true;
	return events;
}

unsigned int mtty_port_write(struct mtty_port *p, unsigned int reg, uint8_t val)
{
	switch (reg) {
	case UART_TX:
		return write_thr(p, val);
	case UART_IER:
		return write_ier(p, val);
	case UART_FCR:
		write_fcr(p, val);
		return 0;
	case UART_LCR:
		p->dlab = val & UART_LCR_DLAB;
		if (p->dlab)
			p->divisor = 0;
		p->uart_reg[UART_LCR] = val;
		return 0;
	case UART_MCR:
		return write_mcr(p, val);
	case UART_SCR:
		p->uart_reg[UART_SCR] = val;
		return 0;
	default: /* LSR and MSR are read-only */
		return 0;
	}
}

static unsigned int read_rx(struct mtty_port *p, uint8_t *val)
{
	if (p->dlab) {
		*val = (uint8_t)p->divisor;
		return 0;
	}
	*val = 0;
	if (!fifo_empty(p)) {
		*val = p->fifo[p->tail & FIFO_MASK];
		p->tail = (p->tail + 1) & FIFO_MASK;
		p->count--;
	}
	/* The FIFO is (now) empty: "THR empty", as mtty ties the two. */
	if (fifo_empty(p) && (p->uart_reg[UART_IER] & UART_IER_THRI)) {
		p->thri_pending = true;
		return 1;
	}
	return 0;
}

static uint8_t read_lsr(struct mtty_port *p)
{
	uint8_t lsr = 0;

	if (!fifo_empty(p))
		lsr |= UART_LSR_DR;
	else
		lsr |= UART_LSR_TEMT | UART_LSR_THRE;
	if (p->overrun)
		lsr |= UART_LSR_OE;
	/* OE is reported once, as on a 16550. */
	p->overrun = false;
	return lsr;
}

static uint8_t read_msr(struct mtty_port *p)
{
	uint8_t msr = UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCD;

	/* With auto flow control, CTS only while the FIFO has room. */
	if (!(p->uart_reg[UART_MCR] & UART_MCR_AFE) ||
	    p->count < p->max_fifo_size)
		msr |= UART_MSR_CTS | UART_MSR_DCTS;
	p->msi_pending = false;
	return msr;
}

unsigned int mtty_port_read(struct mtty_port *p, unsigned int reg, uint8_t *val)
{
	switch (reg) {
	case UART_RX:
		return read_rx(p, val);
	case UART_IER:
		*val = p->dlab ? (uint8_t)(p->divisor >> 8) :
				 p->uart_reg[UART_IER] & IER_READ_MASK;
		return 0;
	case UART_IIR:
		*val = mtty_port_iir(p);
		/* Reading IIR that reports THRI acknowledges it. */
		if ((*val & IIR_MASK) == UART_IIR_THRI)
			p->thri_pending = false;
		return 0;
	case UART_LCR:
	case UART_MCR:
	case UART_SCR:
		*val = p->uart_reg[reg];
		return 0;
	case UART_LSR:
		*val = read_lsr(p);
		return 0;
	case UART_MSR:
		*val = read_msr(p);
		return 0;
	default:
		*val = 0;
		return 0;
	}
}
