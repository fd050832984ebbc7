// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the migration loaders of ram (RAM_SIZE bytes), edu, a
 * two-port mtty and a qacc VF, fed arbitrary section payloads behind valid
 * framing.
 *
 * An input is a selector byte, then records {u16 type, u8 phase, u16 len,
 * len bytes} (little-endian; the last record takes what is left).  The
 * selector picks the device (% 4: ram, edu, mtty, qacc's VF); with bit 7
 * the stream
 * has no END, with bit 6 it is written in 7-byte pieces.  The records
 * become sections (phase 1 + phase % 3) of a stream with the device's own
 * header, which the device loads: RESUMING, write, RUNNING.  When RUNNING
 * is refused, everything a driver can read of the device (config space,
 * registers, ram's memory) must be as before: a refused load leaves the
 * device untouched.  Then the device is reset and destroyed.
 *
 * With FUZZ_DEVICE_LOAD_SEEDS=DIR set, the target first writes seeds to
 * DIR: each device's real stop-copy and pre-copy streams, from a state
 * set through its registers, as records (fuzz/make-load-seeds.sh).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edu/edu.h"
#include "migration/stream.h"
#include "mtty/mtty.h"
#include "qacc/qacc.h"
#include "ram/ram.h"
#include "fuzz-util.h"

#define RAM_SIZE 4096 /* a stop-copy of it fits one record */
#define SNAP_MAX (RAM_SIZE + 4096)

#define NR_DEVICES 4

struct dut {
	struct uvfio_pci *pf; /* qacc's: the VF is its */
	struct uvfio_pci *pci;
	struct uvfio_device *dev;
	struct uvfio_mig_identity id;
};

struct snap {
	size_t len;
	uint8_t b[SNAP_MAX];
};

static void make(unsigned int which, struct dut *d)
{
	static const struct uvfio_mig_identity ids[NR_DEVICES] = {
		{ .type = "ram", .compat = "ram-1/4096" },
		{ EDU_VENDOR_ID, EDU_DEVICE_ID, EDU_SUBSYSTEM_VENDOR_ID,
		  EDU_SUBSYSTEM_ID, EDU_REVISION, "edu", "edu-1" },
		{ MTTY_VENDOR_ID, MTTY_DEVICE_ID, MTTY_SUBSYSTEM_VENDOR_ID,
		  MTTY_SUBSYSTEM_ID, MTTY_REVISION, "mtty", "mtty-1-2" },
		{ QACC_VENDOR_ID, QACC_VF_DEVICE_ID, QACC_SUBSYSTEM_VENDOR_ID,
		  QACC_SUBSYSTEM_ID, QACC_REVISION, "qacc-vf", "qacc-vf-1" },
	};

	d->pf = which == 3 ? qacc_new("fuzz-qacc", 1) : NULL;
	if (d->pf && uvfio_pci_sriov_configure(d->pf, 1))
		abort();
	d->pci = which == 1 ? edu_new("fuzz-edu") :
		 which == 2 ? mtty_new("fuzz-mtty", 2, MTTY_STREAM_UVFIO) :
		 d->pf	    ? uvfio_pci_sriov_vf(d->pf, 0) :
			      NULL;
	d->dev = d->pci ? uvfio_pci_device(d->pci) :
			  ram_device_new("fuzz-ram", RAM_SIZE);
	if (!d->dev)
		abort();
	d->id = ids[which];
	uvfio_device_set_log(d->dev, fuzz_quiet, NULL, UVFIO_LOG_DEBUG);
}

static void destroy(struct dut *d)
{
	if (d->pf)
		uvfio_pci_destroy(d->pf);
	else if (d->pci)
		uvfio_pci_destroy(d->pci);
	else
		uvfio_device_destroy(d->dev);
}

/* Read [@off, @end) of region @region in @step-byte pieces into @s. */
static void grab(struct uvfio_device *dev, unsigned int region, uint64_t off,
		 uint64_t end, size_t step, struct snap *s)
{
	for (; off < end; off += step) {
		uint8_t *p = s->b + s->len;
		ssize_t n;

		if (s->len + step + 1 > SNAP_MAX)
			abort();
		memset(p, 0, step);
		n = uvfio_device_region_access(dev, region, off, p, step,
					       false);
		p[step] = n == (ssize_t)step; /* the outcome counts too */
		s->len += step + 1;
	}
}

/* Everything a driver can read without changing anything. */
static void snapshot(struct dut *d, struct snap *s)
{
	s->len = 0;
	if (!d->pci) {
		grab(d->dev, RAM_REGION_INDEX, 0, RAM_SIZE, RAM_SIZE, s);
		return;
	}
	grab(d->dev, UVFIO_PCI_CONFIG_REGION_INDEX, 0, 0xff, 1, s);
	if (!strcmp(d->id.type, "edu")) {
		grab(d->dev, EDU_BAR, 0, 0x80, 4, s);
		grab(d->dev, EDU_BAR, 0x80, 0xa0, 8, s);
	} else if (d->pf) {
		grab(d->dev, QACC_BAR, 0, QACC_REGS_END, 4, s);
	} else {
		grab(d->dev, 0, 0, MTTY_BAR_SIZE, 1, s);
		grab(d->dev, 1, 0, MTTY_BAR_SIZE, 1, s);
	}
}

static void write_stream(struct uvfio_device *dev, const struct mig_buf *b,
			 size_t piece)
{
	uint64_t session = uvfio_migration_session(dev);

	for (size_t off = 0; off < b->len; off += piece) {
		size_t n = b->len - off < piece ? b->len - off : piece;

		if (uvfio_migration_write(dev, session, b->data + off, n) < 0)
			return;
	}
}

/* ---- Seeds: real streams of each device, as records ---- */

static void poke(struct uvfio_device *dev, unsigned int region, uint64_t off,
		 uint64_t v, size_t len)
{
	if (uvfio_device_region_access(dev, region, off, &v, len, true) !=
	    (ssize_t)len)
		abort();
}

/* A state worth saving, set through the registers. */
static void stir(struct dut *d, int round)
{
	static const uint8_t mtty[][3] = {
		{ 0, 3, 0x83 }, { 0, 0, 0x0c }, { 0, 3, 0x03 }, { 0, 1, 0x0f },
		{ 0, 4, 0x0b }, { 0, 7, 0x5a }, { 0, 0, 'h' },	{ 0, 0, 'i' },
		{ 1, 3, 0x1b }, { 1, 0, 'x' },	{ 1, 0, 'y' },	{ 1, 0, 'z' },
	};

	if (!d->pci) {
		for (int i = 0; i < 64; i++)
			poke(d->dev, RAM_REGION_INDEX, i * 61, i + round, 1);
	} else if (!strcmp(d->id.type, "edu")) {
		poke(d->dev, UVFIO_PCI_CONFIG_REGION_INDEX, 4, 6, 2);
		poke(d->dev, EDU_BAR, EDU_REG_LIVENESS, 0x12345678 + round, 4);
		poke(d->dev, EDU_BAR, EDU_REG_FACT, 5 + round, 4);
		poke(d->dev, EDU_BAR, EDU_REG_STATUS, EDU_STATUS_IRQFACT, 4);
		poke(d->dev, EDU_BAR, EDU_REG_IRQ_RAISE, 0x10, 4);
		poke(d->dev, EDU_BAR, EDU_REG_DMA_SRC, 0x1000, 8);
		poke(d->dev, EDU_BAR, EDU_REG_DMA_DST, EDU_DMA_START, 8);
		poke(d->dev, EDU_BAR, EDU_REG_DMA_CNT, 32, 8);
	} else if (d->pf) {
		/* Rings set up and enabled; then a doorbell, which halts the
		 * queue (no guest memory is mapped): both are states. */
		poke(d->dev, UVFIO_PCI_CONFIG_REGION_INDEX, 4, 6, 2);
		if (!round) {
			poke(d->dev, QACC_BAR, QACC_REG_QSIZE, 16, 4);
			poke(d->dev, QACC_BAR, QACC_REG_SQ_BASE, 0x10000, 8);
			poke(d->dev, QACC_BAR, QACC_REG_CQ_BASE, 0x20000, 8);
			poke(d->dev, QACC_BAR, QACC_REG_CTRL,
			     QACC_CTRL_ENABLE | QACC_CTRL_IRQ, 4);
		} else {
			poke(d->dev, QACC_BAR, QACC_REG_SQ_TAIL, 3, 4);
		}
	} else {
		poke(d->dev, UVFIO_PCI_CONFIG_REGION_INDEX, 0x3c, 10, 1);
		for (size_t i = round ? 6 : 0; i < sizeof(mtty) / 3; i++)
			poke(d->dev, mtty[i][0], mtty[i][1], mtty[i][2], 1);
	}
}

struct seed {
	size_t len;
	uint8_t b[65536];
};

static void drain(struct uvfio_device *dev, struct seed *s)
{
	uint64_t session = uvfio_migration_session(dev);
	ssize_t n;

	while ((n = uvfio_migration_read(dev, session, s->b + s->len,
					 sizeof(s->b) - s->len)) > 0)
		s->len += (size_t)n;
}

static int to_record(void *opaque, uint16_t type, enum uvfio_mig_phase phase,
		     const void *data, size_t len)
{
	struct seed *r = opaque;
	uint8_t h[5] = { type, type >> 8, phase - 1, len, len >> 8 };

	if (len > 0xffff || r->len + 5 + len > sizeof(r->b))
		abort();
	memcpy(r->b + r->len, h, 5);
	memcpy(r->b + r->len + 5, data, len);
	r->len += 5 + len;
	return 0;
}

static void write_seed(const char *dir, unsigned int which, bool precopy)
{
	static struct seed stream, rec;
	static const char *const names[NR_DEVICES] = { "ram", "edu", "mtty",
						       "qacc-vf" };
	struct mig_parser *p;
	char why[256], path[4096];
	struct dut d;
	FILE *f;

	make(which, &d);
	stir(&d, 0);
	stream.len = 0;
	if (precopy) {
		if (fuzz_set_state(d.dev, UVFIO_DEVICE_STATE_PRE_COPY))
			abort();
		drain(d.dev, &stream);
		stir(&d, 1);
		drain(d.dev, &stream);
	}
	if (fuzz_set_state(d.dev, UVFIO_DEVICE_STATE_STOP_COPY))
		abort();
	drain(d.dev, &stream);
	rec.b[0] = (uint8_t)which;
	rec.len = 1;
	p = mig_parser_new(&d.id, to_record, &rec);
	if (!p || mig_parser_feed(p, stream.b, stream.len, why, sizeof(why)) ||
	    !mig_parser_complete(p))
		abort();
	mig_parser_free(p);
	snprintf(path, sizeof(path), "%s/%s-%s", dir, names[which],
		 precopy ? "pre-copy" : "stop-copy");
	f = fopen(path, "wb");
	if (!f || fwrite(rec.b, 1, rec.len, f) != rec.len || fclose(f))
		abort();
	destroy(&d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_DEVICE_LOAD_SEEDS");

	(void)argc, (void)argv;
	for (unsigned int i = 0; dir && i < 2 * NR_DEVICES; i++)
		write_seed(dir, i / 2, i % 2);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snap before, after;
	struct mig_buf b;
	struct dut d;
	uint32_t seq = 0;
	uint8_t sel;

	if (!size)
		return 0;
	sel = *data++;
	size--;
	make(sel % NR_DEVICES, &d);
	mig_buf_init(&b);
	if (mig_stream_put_header(&b, &d.id))
		abort();
	while (size >= 5) {
		uint16_t type = (uint16_t)(data[0] | data[1] << 8);
		uint8_t phase = 1 + data[2] % 3;
		size_t len = (size_t)(data[3] | data[4] << 8);

		data += 5;
		size -= 5;
		len = len < size ? len : size;
		if (!mig_stream_put_section(&b, seq, type, phase, data, len))
			seq++;
		data += len;
		size -= len;
	}
	if (!(sel & 0x80) && mig_stream_put_end(&b, seq))
		abort();

	/* The first pass may change what reads change (a FIFO, IIR). */
	snapshot(&d, &before);
	snapshot(&d, &before);
	if (fuzz_set_state(d.dev, UVFIO_DEVICE_STATE_RESUMING))
		abort();
	write_stream(d.dev, &b, sel & 0x40 ? 7 : b.len);
	if (fuzz_set_state(d.dev, UVFIO_DEVICE_STATE_RUNNING)) {
		if (uvfio_migration_state(d.dev) != UVFIO_DEVICE_STATE_RESUMING)
			abort();
		snapshot(&d, &after);
		if (after.len != before.len ||
		    memcmp(after.b, before.b, after.len))
			abort(); /* a refused load changed the device */
	} else {
		snapshot(&d, &after); /* the loaded state, read back */
	}
	if (uvfio_device_reset(d.dev) ||
	    uvfio_migration_state(d.dev) != UVFIO_DEVICE_STATE_RUNNING)
		abort();
	mig_buf_release(&b);
	destroy(&d);
	return 0;
}
