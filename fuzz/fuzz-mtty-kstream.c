// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: mtty's loader of the kernel mtty's stream
 * (stream=kernel), fed arbitrary bytes.
 *
 * An input is a selector byte, then the stream.  Bit 0 of the selector
 * picks one or two ports; bits 1-4 the size of the writes (1 to 16 bytes).
 * The card loads it: RESUMING, the writes (up to the first refused one),
 * RUNNING.  Refused: the card, given a state of its own first, still has
 * it: what a driver reads (all but RX, which would drain the FIFO) and,
 * after a reset, the card's own stop-copy stream, byte for byte.  Accepted: the stream was exactly the card's size, and the
 * card's own stop-copy stream is the input byte for byte (every field is
 * kept as loaded, the padding is 0).
 *
 * With FUZZ_MTTY_KSTREAM_SEEDS=DIR set, the target first writes seeds to
 * DIR: the stop-copy streams of a one- and a two-port card whose state was
 * set through the registers (fuzz/make-load-seeds.sh).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/migration.h>

#include "mtty/mtty.h"
#include "fuzz-util.h"

#define STREAM_MAX 256
#define SNAP_MAX 1024

struct snap {
	size_t len;
	uint8_t b[SNAP_MAX];
};

static struct uvfio_pci *make(unsigned int ports)
{
	struct uvfio_pci *pci =
		mtty_new("fuzz-kmtty", ports, MTTY_STREAM_KERNEL);

	if (!pci)
		abort();
	uvfio_device_set_log(uvfio_pci_device(pci), fuzz_quiet, NULL,
			     UVFIO_LOG_DEBUG);
	return pci;
}

/* Config space and every register of every port but RX, byte by byte. */
static void snapshot(struct uvfio_device *dev, unsigned int ports,
		     struct snap *s)
{
	s->len = 0;
	for (unsigned int r = 0; r <= ports; r++) {
		unsigned int region = r < ports ? r :
						  UVFIO_PCI_CONFIG_REGION_INDEX;
		unsigned int end = r < ports ? MTTY_BAR_SIZE : 0xff;

		for (unsigned int off = r < ports; off < end; off++) {
			uint8_t v = 0;

			if (s->len + 2 > SNAP_MAX)
				abort();
			s->b[s->len++] = uvfio_device_region_access(dev, region,
								    off, &v, 1,
								    false) == 1;
			s->b[s->len++] = v;
		}
	}
}

/* The whole stop-copy stream; the card is left in STOP_COPY. */
static size_t save(struct uvfio_device *dev, uint8_t *out)
{
	uint64_t session;
	size_t len = 0;
	ssize_t n;

	if (fuzz_set_state(dev, UVFIO_DEVICE_STATE_STOP_COPY))
		abort();
	session = uvfio_migration_session(dev);
	while ((n = uvfio_migration_read(dev, session, out + len,
					 STREAM_MAX - len)) > 0)
		len += (size_t)n;
	return len;
}

static void poke(struct uvfio_device *dev, unsigned int bar, unsigned int reg,
		 uint8_t v)
{
	if (uvfio_device_region_access(dev, bar, reg, &v, 1, true) != 1)
		abort();
}

/* A state of every field: FIFOs, an overrun, DLAB and a divisor. */
static void stir(struct uvfio_device *dev, unsigned int ports)
{
	static const uint8_t regs[][3] = {
		{ 0, 2, 0x07 }, { 0, 1, 0x0f }, { 0, 0, 'h' },	{ 0, 0, 'i' },
		{ 0, 4, 0x0b }, { 0, 7, 0x5a }, { 1, 2, 0x00 }, { 1, 0, 'x' },
		{ 1, 0, 'y' },	{ 1, 3, 0x83 }, { 1, 0, 0x0c }, { 1, 7, 0xa5 },
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(*regs); i++)
		if (regs[i][0] < ports)
			poke(dev, regs[i][0], regs[i][1], regs[i][2]);
}

static void write_seed(const char *dir, unsigned int ports)
{
	struct uvfio_pci *pci = make(ports);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	uint8_t seed[1 + STREAM_MAX];
	char path[4096];
	size_t len;
	FILE *f;

	stir(dev, ports);
	seed[0] = (uint8_t)((ports - 1) | (6 << 1));
	len = 1 + save(dev, seed + 1);
	snprintf(path, sizeof(path), "%s/mtty-%u-ports", dir, ports);
	f = fopen(path, "wb");
	if (!f || fwrite(seed, 1, len, f) != len || fclose(f))
		abort();
	uvfio_pci_destroy(pci);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_MTTY_KSTREAM_SEEDS");

	(void)argc, (void)argv;
	for (unsigned int ports = 1; dir && ports <= 2; ports++)
		write_seed(dir, ports);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snap before, after;
	static uint8_t own[STREAM_MAX], again[STREAM_MAX];
	size_t own_len;
	struct uvfio_device *dev;
	struct uvfio_pci *pci;
	unsigned int ports;
	uint64_t session;
	size_t piece;

	if (!size)
		return 0;
	ports = 1 + (data[0] & 1);
	piece = 1 + ((data[0] >> 1) & 15);
	data++;
	size--;
	pci = make(ports);
	dev = uvfio_pci_device(pci);
	stir(dev, ports);

	/* The first pass may change what reads change (IIR, LSR). */
	snapshot(dev, ports, &before);
	snapshot(dev, ports, &before);
	own_len = save(dev, own);
	if (fuzz_set_state(dev, UVFIO_DEVICE_STATE_RESUMING))
		abort();
	session = uvfio_migration_session(dev);
	for (size_t off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		if (uvfio_migration_write(dev, session, data + off, n) < 0)
			break;
	}
	if (fuzz_set_state(dev, UVFIO_DEVICE_STATE_RUNNING)) {
		if (uvfio_migration_state(dev) != UVFIO_DEVICE_STATE_RESUMING)
			abort();
		snapshot(dev, ports, &after);
		if (after.len != before.len ||
		    memcmp(after.b, before.b, after.len))
			abort(); /* a refused load changed the card */
		if (uvfio_device_reset(dev) || save(dev, again) != own_len ||
		    memcmp(again, own, own_len))
			abort(); /* and its state */
	} else if (size != 24 + 36 * ports || save(dev, again) != size ||
		   memcmp(again, data, size)) {
		abort(); /* accepted, but not kept as it came */
	}
	if (uvfio_device_reset(dev) ||
	    uvfio_migration_state(dev) != UVFIO_DEVICE_STATE_RUNNING)
		abort();
	uvfio_pci_destroy(pci);
	return 0;
}
