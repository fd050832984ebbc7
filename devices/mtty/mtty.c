// SPDX-License-Identifier: MIT
/*
 * mtty on the PCI core: identity, config-space quirks, one 8-byte I/O BAR
 * per port, and interrupt delivery.  The 16550 itself is mtty-uart.c.
 *
 * Interrupts.  The kernel's mtty signals its eventfd at a few register
 * events (mtty-uart.h counts them).  With MSI enabled, each event here is
 * one MSI, so an MSI client sees exactly what it sees on the kernel.  With
 * INTx the line is a level: asserted while a port's IIR reports an
 * interrupt, deasserted once none does.  A guest's 8250 driver (and QEMU's
 * vfio-user client, which ends an interrupt at the next BAR access and
 * unmasks) needs that: a condition still pending is delivered again on
 * UNMASK instead of being lost.
 *
 * Stopped for migration (every state but RUNNING and PRE_COPY), the card
 * raises no interrupt: register accesses work, their events wait, and
 * mtty_resume() delivers them.  mtty-mig.c has the migration itself.
 *
 * Everything runs in PCI core callbacks, under the device lock: no locking
 * of our own, no threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mtty-internal.h"

/* Config registers mtty's config write handler acts on. */
#define CFG_BAR0 0x10
#define CFG_BAR1 0x14
#define CFG_INTERRUPT_LINE 0x3c
#define CFG_STATUS 0x06

/*
 * How the kernel's mtty splits a region access: 4 bytes where aligned and
 * available, else 2, else 1.  Each piece is one register access, at the
 * piece's offset, with the piece's first byte.
 */
static size_t access_piece(uint64_t pos, size_t left)
{
	if (left >= 4 && !(pos % 4))
		return 4;
	if (left >= 2 && !(pos % 2))
		return 2;
	return 1;
}

static void intx_set(struct mtty *m, bool level)
{
	if (level == m->intx_asserted)
		return;
	if (level)
		uvfio_pci_irq_raise(m->pci, 0);
	else
		uvfio_pci_irq_lower(m->pci);
	m->intx_asserted = level;
}

bool mtty_any_pending(const struct mtty *m)
{
	for (unsigned int i = 0; i < m->nr_ports; i++)
		if (mtty_port_irq_pending(&m->port[i]))
			return true;
	return false;
}

static bool msi_enabled(struct mtty *m)
{
	return uvfio_device_irq_enabled(uvfio_pci_device(m->pci),
					UVFIO_PCI_MSI_IRQ_INDEX) > 0;
}

/* After a BAR access that caused @events interrupt events. */
static void mtty_update_irq(struct mtty *m, unsigned int events)
{
	if (m->quiesced) {
		if (events && !m->irq_deferred) {
			m->irq_deferred = true;
			m->card_dirty = true;
		}
		return;
	}
	if (msi_enabled(m)) {
		/* A function with MSI enabled does not use INTx. */
		intx_set(m, false);
		while (events--)
			uvfio_pci_irq_raise(m->pci, 0);
		return;
	}
	intx_set(m, mtty_any_pending(m));
}

void mtty_quiesce(struct mtty *m)
{
	m->quiesced = true;
}

/*
 * Running again.  With MSI, one message stands for every event held back
 * (as a masked MSI vector holds one pending message); with INTx the line
 * follows the ports' conditions, as after any access.  After a load, the
 * loaded conditions count as held back (mtty-mig.c).
 */
void mtty_resume(struct mtty *m)
{
	bool deferred = m->irq_deferred;

	m->quiesced = false;
	if (deferred)
		m->card_dirty = true;
	m->irq_deferred = false;
	if (msi_enabled(m)) {
		intx_set(m, false);
		if (deferred)
			uvfio_pci_irq_raise(m->pci, 0);
		return;
	}
	intx_set(m, mtty_any_pending(m));
}

static ssize_t mtty_bar_access(struct uvfio_pci *pci, unsigned int bar,
			       uint64_t offset, void *buf, size_t len,
			       bool is_write)
{
	struct mtty *m = uvfio_pci_priv(pci);
	uint8_t before[MTTY_PORT_WIRE], after[MTTY_PORT_WIRE];
	/* Only uvfio's stream has a DIRTY phase to feed. */
	bool track = m->stream == MTTY_STREAM_UVFIO;
	struct mtty_port *port;
	unsigned int events = 0;
	uint8_t *p = buf;
	size_t done = 0;

	if (bar >= m->nr_ports || offset >= MTTY_BAR_SIZE ||
	    len > MTTY_BAR_SIZE - offset)
		return -EINVAL;
	port = &m->port[bar];
	if (track)
		mtty_port_to_wire(port, bar, before);
	while (done < len) {
		unsigned int reg = (unsigned int)(offset + done);
		size_t n = access_piece(offset + done, len - done);

		if (is_write) {
			events += mtty_port_write(port, reg, p[done]);
		} else {
			/* The rest of a wider piece reads as 0. */
			memset(p + done, 0, n);
			events += mtty_port_read(port, reg, p + done);
		}
		done += n;
	}
	/* Reads change a port too (RX, IIR, LSR, MSR): compare. */
	if (track) {
		mtty_port_to_wire(port, bar, after);
		if (memcmp(before, after, sizeof(before)))
			m->dirty_ports |= (uint8_t)(1u << bar);
	}
	mtty_update_irq(m, events);
	return (ssize_t)len;
}

/*
 * The kernel's mtty ignores config writes except to the interrupt line
 * and BAR0/BAR1 (dword writes), whose sizing and type bits the PCI core's
 * emulation gives the same way.  A write that reaches one of those goes to
 * the core whole; any other write is dropped, so Command, Status and the
 * rest never change.
 */
static int mtty_config_write(struct uvfio_pci *pci, unsigned int offset,
			     const void *buf, size_t len)
{
	size_t done = 0;

	(void)pci;
	(void)buf;
	while (done < len) {
		unsigned int pos = offset + (unsigned int)done;
		size_t n = access_piece(pos, len - done);

		if (pos == CFG_INTERRUPT_LINE)
			return 0;
		if (n == 4 && (pos == CFG_BAR0 || pos == CFG_BAR1))
			return 0;
		done += n;
	}
	return 1;
}

/*
 * VFIO_DEVICE_RESET.  The kernel's mtty handles it without touching the
 * ports (its reset only concerns migration state), and so does this one:
 * it ends a stop (the migration state is RUNNING again) and forgets the
 * events held back.  The PCI core drops the INTx line after this; a
 * condition still pending raises it again at the next BAR access.
 */
static int mtty_reset(struct uvfio_pci *pci)
{
	struct mtty *m = uvfio_pci_priv(pci);

	m->intx_asserted = false;
	m->quiesced = false;
	m->irq_deferred = false;
	m->card_dirty = true;
	return 0;
}

static void mtty_release(struct uvfio_pci *pci)
{
	struct mtty *m = uvfio_pci_priv(pci);

	mtty_mig_release(m);
	free(m);
}

static const struct uvfio_pci_ops mtty_ops = {
	.bar_access = mtty_bar_access,
	.config_write = mtty_config_write,
	.reset = mtty_reset,
	.release = mtty_release,
};

static const struct uvfio_pci_ids mtty_ids = {
	.vendor = MTTY_VENDOR_ID,
	.device = MTTY_DEVICE_ID,
	.subsystem_vendor = MTTY_SUBSYSTEM_VENDOR_ID,
	.subsystem = MTTY_SUBSYSTEM_ID,
	.class_code = MTTY_CLASS_CODE,
	.revision = MTTY_REVISION,
};

/* Status 0x0200, the vendor bytes and the string the kernel's mtty has. */
static const uint8_t mtty_status[2] = { 0x00, 0x02 };
static const uint8_t mtty_vendor[13] = { [0x0] = 0x23,
					 [0x3] = 0x80,
					 [0x4] = 0x23,
					 [0x8] = 0x23,
					 [0xc] = 0x23 };
static const char mtty_string[] = "PCI Serial/UART";

static int mtty_configure(struct mtty *m)
{
	struct uvfio_pci *pci = m->pci;
	int ret = 0;

	for (unsigned int i = 0; i < m->nr_ports && !ret; i++)
		ret = uvfio_pci_add_bar(pci, i, MTTY_BAR_SIZE,
					UVFIO_PCI_BAR_IO);
	if (!ret)
		ret = uvfio_pci_set_intx_pin(pci, 1);
	/* Like the kernel's: MSI without a capability, no MSI-X or REQ. */
	if (!ret)
		ret = uvfio_pci_set_irq_count(pci, UVFIO_PCI_MSI_IRQ_INDEX, 1);
	if (!ret)
		ret = uvfio_pci_set_irq_count(pci, UVFIO_PCI_MSIX_IRQ_INDEX,
					      -1);
	if (!ret)
		ret = uvfio_pci_set_irq_count(pci, UVFIO_PCI_REQ_IRQ_INDEX, -1);
	if (!ret)
		ret = uvfio_pci_config_init(pci, CFG_STATUS, mtty_status,
					    sizeof(mtty_status));
	if (!ret)
		ret = uvfio_pci_config_init(pci, 0x40, mtty_vendor,
					    sizeof(mtty_vendor));
	if (!ret)
		ret = uvfio_pci_config_init(pci, 0x60, mtty_string,
					    sizeof(mtty_string) - 1);
	if (!ret)
		ret = uvfio_pci_set_reset_mode(pci, UVFIO_PCI_RESET_SILENT);
	if (!ret)
		ret = mtty_mig_init(m);
	if (!ret)
		ret = uvfio_pci_realize(pci);
	return ret;
}

struct uvfio_pci *mtty_new(const char *name, unsigned int ports,
			   enum mtty_stream stream)
{
	struct uvfio_pci *pci;
	struct mtty *m;
	int ret;

	if (ports < 1 || ports > MTTY_MAX_PORTS ||
	    (stream != MTTY_STREAM_UVFIO && stream != MTTY_STREAM_KERNEL)) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	pci = uvfio_pci_new(name, &mtty_ops, m, &mtty_ids, MTTY_CONFIG_SIZE);
	if (!pci) {
		ret = errno;
		free(m);
		errno = ret;
		return NULL;
	}
	/* From here on the function owns @m (mtty_release). */
	m->pci = pci;
	m->nr_ports = ports;
	m->stream = stream;
	for (unsigned int i = 0; i < MTTY_MAX_PORTS; i++)
		mtty_port_init(&m->port[i]);
	ret = mtty_configure(m);
	if (ret) {
		uvfio_pci_destroy(pci);
		errno = -ret;
		return NULL;
	}
	return pci;
}
