// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as a migration stream
 * (docs/migration-stream.md), fed to the stream parser.
 *
 * Each input is parsed three ways:
 *  - in one piece, by a parser expecting the seeds' identity (an edu);
 *  - in pieces of 1..64 bytes (the size chosen by the input's last byte):
 *    the outcome must not depend on the segmentation (same error, same
 *    completeness, same sections handed on);
 *  - in one piece, by a parser expecting another identity with names of
 *    the maximum length.
 * A stream accepted as complete whose version is 1.0 must be exactly what
 * the writer produces for the sections that were handed on.  A section of
 * type 0xdead is refused by the "device", to exercise the callback error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration/stream.h"

static const struct uvfio_mig_identity edu = {
	.vendor = 0x1234,
	.device = 0x11e8,
	.subsystem_vendor = 0x1af4,
	.subsystem = 0x1100,
	.revision = 0x10,
	.type = "edu",
	.compat = "edu-1",
};

#define T64 "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
#define C64 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const struct uvfio_mig_identity longnames = {
	.vendor = 0x1234,
	.device = 0x11e8,
	.subsystem_vendor = 0x1af4,
	.subsystem = 0x1100,
	.revision = 0x10,
	.type = T64,
	.compat = C64,
};

struct outcome {
	int ret;
	bool complete;
	uint32_t sections;
	struct mig_buf again; /* the sections, written again */
};

static int section(void *opaque, uint16_t type, enum uvfio_mig_phase phase,
		   const void *data, size_t len)
{
	struct outcome *o = opaque;

	if (type == 0 || phase < UVFIO_MIG_INITIAL || phase > UVFIO_MIG_FINAL ||
	    len > UVFIO_MIG_SECTION_MAX || (len && !data))
		abort(); /* the parser let a bad section through */
	if (type == 0xdead)
		return -EIO;
	if (mig_stream_put_section(&o->again, o->sections, type, phase, data,
				   len))
		abort();
	o->sections++;
	return 0;
}

static void parse(const struct uvfio_mig_identity *id, const uint8_t *data,
		  size_t size, size_t chunk, struct outcome *o)
{
	struct mig_parser *p;
	char why[256];

	memset(o, 0, sizeof(*o));
	mig_buf_init(&o->again);
	if (mig_stream_put_header(&o->again, id))
		abort();
	p = mig_parser_new(id, section, o);
	if (!p)
		abort();
	for (size_t off = 0; off < size && !o->ret; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		why[0] = '\0';
		o->ret = mig_parser_feed(p, data + off, n, why, sizeof(why));
		if (o->ret && (!why[0] || strchr(why, '\n')))
			abort(); /* an error needs a one-line reason */
	}
	o->complete = mig_parser_complete(p);
	if (o->ret) {
		if (o->complete)
			abort();
		/* Poisoned. */
		if (mig_parser_feed(p, NULL, 0, why, sizeof(why)) != o->ret)
			abort();
	}
	mig_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces, other;
	size_t chunk = 1 + (size ? data[size - 1] % 64 : 0);

	parse(&edu, data, size, size ? size : 1, &whole);
	parse(&edu, data, size, chunk, &pieces);
	if (whole.ret != pieces.ret || whole.complete != pieces.complete ||
	    whole.sections != pieces.sections ||
	    whole.again.len != pieces.again.len ||
	    memcmp(whole.again.data, pieces.again.data, whole.again.len))
		abort();
	if (whole.complete && size >= 12 && data[10] == 0 && data[11] == 0) {
		/* Version 1.0 has one encoding: the writer's. */
		if (mig_stream_put_end(&whole.again, whole.sections) ||
		    whole.again.len != size ||
		    memcmp(whole.again.data, data, size))
			abort();
	}
	mig_buf_release(&whole.again);
	mig_buf_release(&pieces.again);

	parse(&longnames, data, size, size ? size : 1, &other);
	mig_buf_release(&other.again);
	return 0;
}
