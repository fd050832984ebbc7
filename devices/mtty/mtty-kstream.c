// SPDX-License-Identifier: MIT
/*
 * mtty's migration in the kernel mtty's own format (stream=kernel;
 * README.md, "The kernel's stream"), so that a port's state moves between
 * the kernel's mtty and this one in both directions.
 *
 * The kernel's data fd carries its struct mtty_data as it lies in memory:
 * a 24-byte header, then one 36-byte struct serial_port per port, in the
 * layout of a little-endian 64-bit machine (x86-64, arm64):
 *
 *   header: u64 magic, u32 major 1, u32 minor 0, u32 nr_ports, u32 flags 0
 *   port:   uart_reg[8] @0, fifo[16] @8, head @24, tail @25, count @26,
 *           dlab @27, overrun @28, (pad @29), u16 divisor @30, fcr @32,
 *           max_fifo_size @33, intr_trigger_level @34, (pad @35)
 *
 * The session goes as the kernel's: PRE_COPY's initial data is the
 * header alone, with nothing dirty after it; STOP_COPY adds the ports (and
 * the header, if no pre-copy produced it).  Loading checks the header once
 * its 24 bytes are in, as the kernel does, and each port once its 36 are,
 * which the kernel does not.  The errors are the kernel's: -EFAULT for a
 * header it refuses, -ENOMEM for bytes past the end, -EINVAL at
 * RESUMING -> STOP for a stream that is short.  Unlike the kernel's, a
 * refused write refuses the stream for good (the kernel takes more bytes
 * after -ENOMEM, and even loads a stream whose header it refused).
 */
#include <errno.h>
#include <string.h>

#include <linux/serial_reg.h>

#include <uvfio/migration.h>

#include "mtty-internal.h"

#define KS_MAGIC 0x7e9d09898c3e2c4eull
#define KS_MAJOR 1
#define KS_MINOR 0
#define KS_HEADER 24
#define KS_PORT 36
#define KS_MAX MTTY_KSTREAM_MAX
_Static_assert(KS_MAX == KS_HEADER + MTTY_MAX_PORTS * KS_PORT, "sizes");

/* Header offsets. */
enum { H_MAGIC = 0, H_MAJOR = 8, H_MINOR = 12, H_NR_PORTS = 16, H_FLAGS = 20 };

/* Port offsets: struct serial_port with its natural alignment. */
enum {
	P_REGS = 0,
	P_FIFO = P_REGS + MTTY_NR_REGS,
	P_HEAD = P_FIFO + MTTY_FIFO_SIZE,
	P_TAIL,
	P_COUNT,
	P_DLAB,
	P_OVERRUN,
	P_PAD1,
	P_DIVISOR,
	P_FCR = P_DIVISOR + 2,
	P_MAX_FIFO,
	P_TRIGGER,
	P_PAD2,
	P_END,
};
_Static_assert(P_DIVISOR == 30 && P_END == KS_PORT, "serial_port layout");

static size_t ks_size(const struct mtty *m)
{
	return KS_HEADER + (size_t)m->nr_ports * KS_PORT;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- saving ---- */

static void encode_port(const struct mtty_port *p, uint8_t w[KS_PORT])
{
	memset(w, 0, KS_PORT);
	memcpy(w + P_REGS, p->uart_reg, MTTY_NR_REGS);
	memcpy(w + P_FIFO, p->fifo, MTTY_FIFO_SIZE);
	w[P_HEAD] = p->head;
	w[P_TAIL] = p->tail;
	w[P_COUNT] = p->count;
	w[P_DLAB] = p->dlab;
	w[P_OVERRUN] = p->overrun;
	put_le(w + P_DIVISOR, p->divisor, 2);
	w[P_FCR] = p->fcr;
	w[P_MAX_FIFO] = p->max_fifo_size;
	w[P_TRIGGER] = p->intr_trigger_level;
}

static int ks_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		   enum uvfio_mig_phase phase)
{
	struct mtty *m = dev_mtty(dev);
	uint8_t w[KS_MAX];
	size_t len = 0;

	if (!uvfio_mig_raw_offset(s)) {
		memset(w, 0, KS_HEADER);
		put_le(w + H_MAGIC, KS_MAGIC, 8);
		put_le(w + H_MAJOR, KS_MAJOR, 4);
		put_le(w + H_MINOR, KS_MINOR, 4);
		put_le(w + H_NR_PORTS, m->nr_ports, 4);
		len = KS_HEADER;
	}
	if (phase == UVFIO_MIG_FINAL) {
		for (unsigned int i = 0; i < m->nr_ports; i++, len += KS_PORT)
			encode_port(&m->port[i], w + len);
	}
	return uvfio_mig_put_raw(s, w, len);
}

static uint64_t ks_state_size(struct uvfio_device *dev)
{
	return ks_size(dev_mtty(dev));
}

/* ---- loading ---- */

static int check_header(struct uvfio_device *dev, const uint8_t *h)
{
	const struct mtty *m = dev_mtty(dev);
	uint64_t magic = get_le(h + H_MAGIC, 8);
	uint32_t major = (uint32_t)get_le(h + H_MAJOR, 4);
	uint32_t minor = (uint32_t)get_le(h + H_MINOR, 4);
	uint32_t nr_ports = (uint32_t)get_le(h + H_NR_PORTS, 4);
	uint32_t flags = (uint32_t)get_le(h + H_FLAGS, 4);

	/* The kernel's mtty answers -EFAULT to a header it refuses. */
	if (magic != KS_MAGIC)
		return mtty_refuse_errno(
			dev, -EFAULT,
			"kernel stream magic 0x%016llx, expected 0x%016llx",
			(unsigned long long)magic, KS_MAGIC);
	if (major != KS_MAJOR || minor != KS_MINOR)
		return mtty_refuse_errno(
			dev, -EFAULT,
			"kernel stream version %u.%u, expected %u.%u", major,
			minor, KS_MAJOR, KS_MINOR);
	if (nr_ports != m->nr_ports)
		return mtty_refuse_errno(
			dev, -EFAULT,
			"kernel stream of %u ports, this card has %u", nr_ports,
			m->nr_ports);
	if (flags)
		return mtty_refuse_errno(dev, -EFAULT,
					 "kernel stream flags 0x%x, must be 0",
					 flags);
	return 0;
}

/*
 * The kernel's port has no THRI or modem-status latch: its IIR shows THRI
 * whenever IER.THRI is set and the FIFO is empty, and never shows modem
 * status.  A loaded port has THRI raised in exactly that condition, so
 * that the guest reads what it would have read on the kernel's card.
 */
static int decode_port(struct uvfio_device *dev, const uint8_t *w,
		       unsigned int i, struct mtty_port *p)
{
	if (w[P_DLAB] > 1 || w[P_OVERRUN] > 1)
		return mtty_refuse(
			dev, "port %u: dlab %u, overrun %u, must be 0 or 1", i,
			w[P_DLAB], w[P_OVERRUN]);
	if (w[P_PAD1] || w[P_PAD2])
		return mtty_refuse(
			dev, "port %u: padding bytes 0x%02x 0x%02x, must be 0",
			i, w[P_PAD1], w[P_PAD2]);
	memset(p, 0, sizeof(*p));
	memcpy(p->uart_reg, w + P_REGS, MTTY_NR_REGS);
	memcpy(p->fifo, w + P_FIFO, MTTY_FIFO_SIZE);
	p->head = w[P_HEAD];
	p->tail = w[P_TAIL];
	p->count = w[P_COUNT];
	p->dlab = w[P_DLAB];
	p->overrun = w[P_OVERRUN];
	p->divisor = (uint16_t)get_le(w + P_DIVISOR, 2);
	p->fcr = w[P_FCR];
	p->max_fifo_size = w[P_MAX_FIFO];
	p->intr_trigger_level = w[P_TRIGGER];
	p->thri_pending = (p->uart_reg[UART_IER] & UART_IER_THRI) && !p->count;
	return mtty_port_check(dev, p, i);
}

static int ks_load_raw(struct uvfio_device *dev, const void *data, size_t len)
{
	struct mtty *m = dev_mtty(dev);
	struct mtty_kload *kl = &m->kload;
	size_t before = kl->filled, total = ks_size(m);
	int ret = 0;

	/* The kernel's mtty answers -ENOMEM to bytes past its struct. */
	if (len > total - before)
		return mtty_refuse_errno(
			dev, -ENOMEM,
			"a write of %zu bytes at %zu, past the %zu of a %u-port kernel stream",
			len, before, total, m->nr_ports);
	if (!len)
		return 0;
	memcpy(kl->buf + before, data, len);
	kl->filled += len;
	if (before < KS_HEADER && kl->filled >= KS_HEADER)
		ret = check_header(dev, kl->buf);
	for (unsigned int i = 0; i < m->nr_ports && !ret; i++) {
		size_t end = KS_HEADER + (i + 1) * (size_t)KS_PORT;

		if (before < end && kl->filled >= end)
			ret = decode_port(dev, kl->buf + end - KS_PORT, i,
					  &kl->port[i]);
	}
	return ret;
}

void mtty_kstream_drop(struct mtty *m)
{
	m->kload.filled = 0;
}

static void ks_load_abort(struct uvfio_device *dev)
{
	mtty_kstream_drop(dev_mtty(dev));
}

static int ks_load_commit(struct uvfio_device *dev)
{
	struct mtty *m = dev_mtty(dev);

	if (m->kload.filled != ks_size(m)) {
		uvfio_err(
			dev,
			"mtty: migration stream incomplete: %zu bytes of the %zu of a %u-port kernel stream",
			m->kload.filled, ks_size(m), m->nr_ports);
		return -EINVAL;
	}
	mtty_mig_apply(m, m->kload.port, false);
	mtty_kstream_drop(m);
	return 0;
}

const struct uvfio_migration_ops mtty_kstream_ops = {
	.flags = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		 UVFIO_MIGRATION_PRE_COPY,
	.arc = mtty_mig_arc,
	.save = ks_save,
	.state_size = ks_state_size,
	.load_raw = ks_load_raw,
	.load_commit = ks_load_commit,
	.load_abort = ks_load_abort,
};
