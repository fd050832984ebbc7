// SPDX-License-Identifier: MIT
/*
 * mtty's migration (README.md, "Migration"): the flags of the kernel's
 * mtty (STOP_COPY | P2P | PRE_COPY), its state carried as sections of the
 * core's stream rather than the kernel's raw struct dump.
 *
 *   MTTY_SEC_CARD (1), 4 bytes: nr_ports, flags (bit 0: interrupt events
 *     held back while stopped), 2 reserved bytes (0)
 *   MTTY_SEC_PORT (2), 34 bytes: the port's index, flags (bit 0 DLAB,
 *     1 overrun, 2 THRI raised, 3 modem status raised), uart_reg[8],
 *     fifo[16], head, tail, count, fcr, max_fifo_size,
 *     intr_trigger_level, divisor (little-endian u16)
 *
 * INITIAL and FINAL hold the card and every port; DIRTY the card if it
 * changed and each port that did.  Loading checks every value against
 * what a port can hold and stages a complete card; the FINAL phase alone
 * must rebuild it, and commit takes nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/serial_reg.h>

#include <uvfio/migration.h>

#include "mtty-internal.h"

#define MTTY_SEC_CARD 1
#define MTTY_SEC_PORT 2
#define MTTY_CARD_WIRE 4
#define MTTY_SECTION_OVERHEAD 24 /* the stream's framing of one section */

#define CARD_IRQ_DEFERRED 0x01

#define PORT_DLAB 0x01
#define PORT_OVERRUN 0x02
#define PORT_THRI 0x04
#define PORT_MSI 0x08
#define PORT_FLAGS (PORT_DLAB | PORT_OVERRUN | PORT_THRI | PORT_MSI)

/* Wire offsets of a port. */
enum {
	W_INDEX = 0,
	W_FLAGS = 1,
	W_REGS = 2,
	W_FIFO = W_REGS + MTTY_NR_REGS,
	W_HEAD = W_FIFO + MTTY_FIFO_SIZE,
	W_TAIL,
	W_COUNT,
	W_FCR,
	W_MAX_FIFO,
	W_TRIGGER,
	W_DIVISOR,
	W_END = W_DIVISOR + 2,
};
_Static_assert(W_END == MTTY_PORT_WIRE, "port wire layout");

/* What a load has staged so far. */
struct mtty_staged {
	struct mtty_port port[MTTY_MAX_PORTS];
	bool irq_deferred;
	bool final_card;     /* the FINAL phase has the card */
	uint8_t final_ports; /* and these ports */
};

static bool active(enum uvfio_device_mig_state st)
{
	return st == UVFIO_DEVICE_STATE_RUNNING ||
	       st == UVFIO_DEVICE_STATE_PRE_COPY;
}

/*
 * The kernel's mtty makes every arc but the data-session ones a no-op:
 * its interrupts come only from register accesses, which a stopped VM
 * does not make.  Here a stop also holds back the interrupts of accesses
 * made while stopped, as the kernel asks of a device in STOP.
 */
int mtty_mig_arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		 enum uvfio_device_mig_state to)
{
	struct mtty *m = dev_mtty(dev);

	if (active(from) && !active(to))
		mtty_quiesce(m);
	else if (!active(from) && active(to))
		mtty_resume(m);
	return 0;
}

/* ---- saving ---- */

void mtty_port_to_wire(const struct mtty_port *p, unsigned int index,
		       uint8_t w[MTTY_PORT_WIRE])
{
	w[W_INDEX] = (uint8_t)index;
	w[W_FLAGS] = (uint8_t)((p->dlab ? PORT_DLAB : 0) |
			       (p->overrun ? PORT_OVERRUN : 0) |
			       (p->thri_pending ? PORT_THRI : 0) |
			       (p->msi_pending ? PORT_MSI : 0));
	memcpy(w + W_REGS, p->uart_reg, MTTY_NR_REGS);
	memcpy(w + W_FIFO, p->fifo, MTTY_FIFO_SIZE);
	w[W_HEAD] = p->head;
	w[W_TAIL] = p->tail;
	w[W_COUNT] = p->count;
	w[W_FCR] = p->fcr;
	w[W_MAX_FIFO] = p->max_fifo_size;
	w[W_TRIGGER] = p->intr_trigger_level;
	w[W_DIVISOR] = (uint8_t)p->divisor;
	w[W_DIVISOR + 1] = (uint8_t)(p->divisor >> 8);
}

static int put_card(struct uvfio_mig_save *s, const struct mtty *m)
{
	const uint8_t w[MTTY_CARD_WIRE] = {
		(uint8_t)m->nr_ports,
		m->irq_deferred ? CARD_IRQ_DEFERRED : 0,
	};

	return uvfio_mig_put_section(s, MTTY_SEC_CARD, w, sizeof(w));
}

static int put_port(struct uvfio_mig_save *s, const struct mtty *m,
		    unsigned int i)
{
	uint8_t w[MTTY_PORT_WIRE];

	mtty_port_to_wire(&m->port[i], i, w);
	return uvfio_mig_put_section(s, MTTY_SEC_PORT, w, sizeof(w));
}

static int mtty_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		     enum uvfio_mig_phase phase)
{
	struct mtty *m = dev_mtty(dev);
	bool all = phase != UVFIO_MIG_DIRTY;
	int ret = 0;

	if (all || m->card_dirty)
		ret = put_card(s, m);
	for (unsigned int i = 0; i < m->nr_ports && !ret; i++)
		if (all || (m->dirty_ports & (1u << i)))
			ret = put_port(s, m, i);
	if (!ret) {
		m->card_dirty = false;
		m->dirty_ports = 0;
	}
	return ret;
}

static uint64_t mtty_dirty_bytes(struct uvfio_device *dev)
{
	struct mtty *m = dev_mtty(dev);
	uint64_t n = 0;

	if (m->card_dirty)
		n += MTTY_SECTION_OVERHEAD + MTTY_CARD_WIRE;
	for (unsigned int i = 0; i < m->nr_ports; i++)
		if (m->dirty_ports & (1u << i))
			n += MTTY_SECTION_OVERHEAD + MTTY_PORT_WIRE;
	return n;
}

static uint64_t mtty_state_size(struct uvfio_device *dev)
{
	return MTTY_CARD_WIRE +
	       (uint64_t)dev_mtty(dev)->nr_ports * MTTY_PORT_WIRE;
}

/* ---- loading ---- */

static int load_card(struct uvfio_device *dev, struct mtty_staged *st,
		     const uint8_t *w, size_t len)
{
	const struct mtty *m = dev_mtty(dev);

	if (len != MTTY_CARD_WIRE)
		return mtty_refuse(dev,
				   "card section of %zu bytes, expected %u",
				   len, MTTY_CARD_WIRE);
	if (w[0] != m->nr_ports)
		return mtty_refuse(dev, "nr_ports %u, this card has %u", w[0],
				   m->nr_ports);
	if (w[1] & ~CARD_IRQ_DEFERRED)
		return mtty_refuse(dev,
				   "card flags 0x%02x, only 0x%02x is defined",
				   w[1], CARD_IRQ_DEFERRED);
	if (w[2] || w[3])
		return mtty_refuse(
			dev, "card reserved bytes 0x%02x 0x%02x, must be 0",
			w[2], w[3]);
	st->irq_deferred = w[1] & CARD_IRQ_DEFERRED;
	return 0;
}

/* The registers a port never stores: RX/TX, IIR/FCR, LSR and MSR. */
static const unsigned int unstored_regs[] = { UART_RX, UART_IIR, UART_LSR,
					      UART_MSR };

/*
 * Every value a port can hold, and no other (the invariants of
 * mtty-uart.c): the FIFO indices inside the FIFO and consistent with the
 * count; the FIFO size 1 or 16 and the trigger level 0 or 1, as the last
 * FCR write (or none) sets them; DLAB as LCR says; THRI raised only with
 * IER.THRI and an empty FIFO; unstored registers 0.
 */
int mtty_port_check(struct uvfio_device *dev, const struct mtty_port *p,
		    unsigned int i)
{
	const uint8_t *r = p->uart_reg;
	unsigned int head = p->head, tail = p->tail, count = p->count;
	unsigned int fcr = p->fcr, size = p->max_fifo_size;
	unsigned int trig = p->intr_trigger_level;
	unsigned int want_size;

	for (size_t k = 0; k < sizeof(unstored_regs) / sizeof(*unstored_regs);
	     k++)
		if (r[unstored_regs[k]])
			return mtty_refuse(
				dev,
				"port %u: uart_reg[%u] 0x%02x, must be 0 (not a stored register)",
				i, unstored_regs[k], r[unstored_regs[k]]);
	if (p->dlab != !!(r[UART_LCR] & UART_LCR_DLAB))
		return mtty_refuse(dev, "port %u: DLAB %u but LCR 0x%02x", i,
				   p->dlab, r[UART_LCR]);
	if (head >= MTTY_FIFO_SIZE || tail >= MTTY_FIFO_SIZE ||
	    count > MTTY_FIFO_SIZE)
		return mtty_refuse(
			dev,
			"port %u: FIFO head %u, tail %u, count %u outside a %u-byte FIFO",
			i, head, tail, count, MTTY_FIFO_SIZE);
	if ((tail + count) % MTTY_FIFO_SIZE != head)
		return mtty_refuse(
			dev,
			"port %u: FIFO head %u, tail %u and count %u disagree",
			i, head, tail, count);
	if (size != 1 && size != MTTY_FIFO_SIZE)
		return mtty_refuse(dev,
				   "port %u: FIFO size %u, must be 1 or %u", i,
				   size, MTTY_FIFO_SIZE);
	if (trig > 1)
		return mtty_refuse(dev,
				   "port %u: trigger level %u, must be 0 or 1",
				   i, trig);
	/* Level 0: FCR never written, so 0 and the power-on FIFO size. */
	want_size = (!trig || (fcr & UART_FCR_ENABLE_FIFO)) ? MTTY_FIFO_SIZE :
							      1;
	if ((!trig && fcr) || size != want_size)
		return mtty_refuse(
			dev,
			"port %u: FCR 0x%02x, FIFO size %u and trigger level %u disagree",
			i, fcr, size, trig);
	if (p->thri_pending && (!(r[UART_IER] & UART_IER_THRI) || count))
		return mtty_refuse(
			dev,
			"port %u: THRI raised with IER 0x%02x and %u bytes in the FIFO",
			i, r[UART_IER], count);
	return 0;
}

static int load_port(struct uvfio_device *dev, struct mtty_staged *st,
		     const uint8_t *w, size_t len, unsigned int *index)
{
	const struct mtty *m = dev_mtty(dev);
	struct mtty_port port = { 0 }, *p = &port;
	unsigned int i;

	if (len != MTTY_PORT_WIRE)
		return mtty_refuse(dev,
				   "port section of %zu bytes, expected %u",
				   len, MTTY_PORT_WIRE);
	i = w[W_INDEX];
	if (i >= m->nr_ports)
		return mtty_refuse(dev, "port index %u, this card has %u ports",
				   i, m->nr_ports);
	if (w[W_FLAGS] & ~PORT_FLAGS)
		return mtty_refuse(
			dev, "port %u: flags 0x%02x, only 0x%02x are defined",
			i, w[W_FLAGS], PORT_FLAGS);
	memcpy(p->uart_reg, w + W_REGS, MTTY_NR_REGS);
	memcpy(p->fifo, w + W_FIFO, MTTY_FIFO_SIZE);
	p->head = w[W_HEAD];
	p->tail = w[W_TAIL];
	p->count = w[W_COUNT];
	p->dlab = w[W_FLAGS] & PORT_DLAB;
	p->overrun = w[W_FLAGS] & PORT_OVERRUN;
	p->thri_pending = w[W_FLAGS] & PORT_THRI;
	p->msi_pending = w[W_FLAGS] & PORT_MSI;
	p->divisor = (uint16_t)(w[W_DIVISOR] | w[W_DIVISOR + 1] << 8);
	p->fcr = w[W_FCR];
	p->max_fifo_size = w[W_MAX_FIFO];
	p->intr_trigger_level = w[W_TRIGGER];
	if (mtty_port_check(dev, p, i))
		return -EINVAL;
	st->port[i] = port;
	*index = i;
	return 0;
}

static int mtty_load_section(struct uvfio_device *dev, uint16_t type,
			     enum uvfio_mig_phase phase, const void *data,
			     size_t len)
{
	struct mtty *m = dev_mtty(dev);
	struct mtty_staged *st = m->staged;
	unsigned int i;

	if (type != MTTY_SEC_CARD && type != MTTY_SEC_PORT)
		return mtty_refuse(dev, "unknown section type %u (%zu bytes)",
				   type, len);
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		m->staged = st;
	}
	if (type == MTTY_SEC_CARD) {
		if (load_card(dev, st, data, len))
			return -EINVAL;
		if (phase == UVFIO_MIG_FINAL)
			st->final_card = true;
		return 0;
	}
	if (load_port(dev, st, data, len, &i))
		return -EINVAL;
	if (phase == UVFIO_MIG_FINAL)
		st->final_ports |= (uint8_t)(1u << i);
	return 0;
}

void mtty_mig_release(struct mtty *m)
{
	free(m->staged);
	m->staged = NULL;
	mtty_kstream_drop(m);
}

static void mtty_load_abort(struct uvfio_device *dev)
{
	mtty_mig_release(dev_mtty(dev));
}

/*
 * The card is stopped (RESUMING -> STOP): nothing is signalled now.  A
 * condition the loaded ports report, or events held back on the source,
 * count as held back here, so mtty_resume() raises them once the card
 * runs.
 */
void mtty_mig_apply(struct mtty *m, const struct mtty_port *ports,
		    bool irq_deferred)
{
	for (unsigned int i = 0; i < m->nr_ports; i++)
		m->port[i] = ports[i];
	m->irq_deferred = irq_deferred || mtty_any_pending(m);
	m->card_dirty = true;
	m->dirty_ports = (uint8_t)((1u << m->nr_ports) - 1);
}

/* The FINAL phase must have brought the card and every port. */
static int mtty_load_commit(struct uvfio_device *dev)
{
	struct mtty *m = dev_mtty(dev);
	struct mtty_staged *st = m->staged;
	uint8_t all = (uint8_t)((1u << m->nr_ports) - 1);

	if (!st || !st->final_card || st->final_ports != all) {
		uvfio_err(
			dev,
			"mtty: migration stream incomplete: its final state has %s card and ports 0x%x of 0x%x",
			st && st->final_card ? "the" : "no",
			st ? st->final_ports : 0, all);
		return -EINVAL;
	}
	mtty_mig_apply(m, st->port, st->irq_deferred);
	mtty_mig_release(m);
	return 0;
}

static const struct uvfio_migration_ops mtty_mig_ops = {
	.flags = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		 UVFIO_MIGRATION_PRE_COPY,
	.arc = mtty_mig_arc,
	.save = mtty_save,
	.dirty_bytes = mtty_dirty_bytes,
	.state_size = mtty_state_size,
	.load_section = mtty_load_section,
	.load_commit = mtty_load_commit,
	.load_abort = mtty_load_abort,
};

/* The port count is part of compatibility: "mtty-1-<ports>". */
int mtty_mig_init(struct mtty *m)
{
	struct uvfio_mig_identity id = {
		.vendor = MTTY_VENDOR_ID,
		.device = MTTY_DEVICE_ID,
		.subsystem_vendor = MTTY_SUBSYSTEM_VENDOR_ID,
		.subsystem = MTTY_SUBSYSTEM_ID,
		.revision = MTTY_REVISION,
		.type = "mtty",
	};
	char compat[16];

	snprintf(compat, sizeof(compat), "mtty-1-%u", m->nr_ports);
	id.compat = compat;
	return uvfio_migration_init(uvfio_pci_device(m->pci),
				    m->stream == MTTY_STREAM_KERNEL ?
					    &mtty_kstream_ops :
					    &mtty_mig_ops,
				    &id);
}
