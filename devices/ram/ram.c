// SPDX-License-Identifier: MIT
/*
 * ram: a memory-only device.  Its memory is its whole state, which makes it
 * the device for measuring bulk paths (mmap access, migration throughput).
 *
 * Migration: the state is the memory, saved as sections of at most
 * RAM_CHUNK bytes, each an 8-byte offset then the bytes.  Stop-copy saves
 * a section at a time as the reader takes them, so that the source never
 * holds a second copy of its memory.  Loading stages a complete copy
 * (sections in order, each inside the region, the FINAL phase covering it
 * all) and commits it at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/migration.h>

#include "ram.h"

#define RAM_SECTION 1
/*
 * Small enough that most sections arrive whole in one MIG_DATA_WRITE
 * (QEMU's and uvfioctl's are 1 MiB), which the loader takes without a
 * copy; large enough that the 32 bytes around each are nothing.
 */
#define RAM_CHUNK (64u << 10)
/* Each section's offset and the stream's framing (header and CRC). */
#define RAM_SECTION_EXTRA (8 + 24)

struct ram {
	uint64_t size;
	uint8_t *staged;      /* a loaded state waiting for commit */
	uint64_t staged_next; /* where the next section must start */
	enum uvfio_mig_phase staged_phase;
};

static uint8_t *ram_mem(struct uvfio_device *dev)
{
	return uvfio_region_memory(dev, RAM_REGION_INDEX);
}

static int ram_reset(struct uvfio_device *dev)
{
	struct ram *r = uvfio_device_priv(dev);

	memset(ram_mem(dev), 0, r->size);
	return 0;
}

static void ram_release(struct uvfio_device *dev)
{
	struct ram *r = uvfio_device_priv(dev);

	free(r->staged);
	free(r);
}

static const struct uvfio_device_ops ram_ops = {
	.reset = ram_reset,
	.release = ram_release,
};

/* Nothing runs inside ram: every arc is a no-op. */
static int ram_arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		   enum uvfio_device_mig_state to)
{
	(void)dev, (void)from, (void)to;
	return 0;
}

/* Pre-copy phases whole; FINAL a section per call. */
static int ram_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		    enum uvfio_mig_phase phase)
{
	struct ram *r = uvfio_device_priv(dev);
	uint64_t *next = uvfio_mig_save_cursor(s);
	uint64_t off = phase == UVFIO_MIG_FINAL ? *next : 0;

	while (off < r->size) {
		uint64_t n = r->size - off < RAM_CHUNK ? r->size - off :
							 RAM_CHUNK;
		uint8_t head[8];
		struct iovec iov[2] = {
			{ .iov_base = head, .iov_len = sizeof(head) },
			{ .iov_base = ram_mem(dev) + off, .iov_len = n },
		};
		int ret;

		for (int i = 0; i < 8; i++)
			head[i] = (uint8_t)(off >> (8 * i));
		ret = uvfio_mig_put_sectionv(s, RAM_SECTION, iov, 2);
		if (ret)
			return ret;
		off += n;
		if (phase == UVFIO_MIG_FINAL && off < r->size) {
			*next = off;
			return UVFIO_MIG_SAVE_MORE;
		}
	}
	return 0;
}

static uint64_t ram_state_size(struct uvfio_device *dev)
{
	struct ram *r = uvfio_device_priv(dev);

	return r->size + (r->size / RAM_CHUNK + 1) * RAM_SECTION_EXTRA;
}

/* Sections come in order, each phase from offset 0. */
static int ram_load_section(struct uvfio_device *dev, uint16_t type,
			    enum uvfio_mig_phase phase, const void *data,
			    size_t len)
{
	struct ram *r = uvfio_device_priv(dev);
	const uint8_t *p = data;
	uint64_t off = 0;

	if (type != RAM_SECTION || len <= 8) {
		uvfio_err(dev, "ram: section type %u of %zu bytes is not ram's",
			  type, len);
		return -EINVAL;
	}
	for (int i = 0; i < 8; i++)
		off |= (uint64_t)p[i] << (8 * i);
	if (phase != r->staged_phase) {
		r->staged_phase = phase;
		r->staged_next = 0;
	}
	if (off != r->staged_next || len - 8 > r->size - off) {
		uvfio_err(
			dev,
			"ram: section at 0x%llx of %zu bytes, expected one at 0x%llx within 0x%llx",
			(unsigned long long)off, len - 8,
			(unsigned long long)r->staged_next,
			(unsigned long long)r->size);
		return -EINVAL;
	}
	if (!r->staged) {
		r->staged = malloc(r->size);
		if (!r->staged)
			return -ENOMEM;
	}
	memcpy(r->staged + off, p + 8, len - 8);
	r->staged_next = off + len - 8;
	return 0;
}

static void ram_load_abort(struct uvfio_device *dev)
{
	struct ram *r = uvfio_device_priv(dev);

	free(r->staged);
	r->staged = NULL;
	r->staged_next = 0;
	r->staged_phase = 0;
}

static int ram_load_commit(struct uvfio_device *dev)
{
	struct ram *r = uvfio_device_priv(dev);

	if (!r->staged || r->staged_phase != UVFIO_MIG_FINAL ||
	    r->staged_next != r->size) {
		uvfio_err(
			dev,
			"ram: the stream's final state covers 0x%llx of 0x%llx bytes",
			(unsigned long long)(r->staged_phase ==
							     UVFIO_MIG_FINAL ?
						     r->staged_next :
						     0),
			(unsigned long long)r->size);
		return -EINVAL;
	}
	memcpy(ram_mem(dev), r->staged, r->size);
	ram_load_abort(dev);
	return 0;
}

static const struct uvfio_migration_ops ram_mig_ops = {
	.flags = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		 UVFIO_MIGRATION_PRE_COPY,
	.arc = ram_arc,
	.save = ram_save,
	.state_size = ram_state_size,
	.load_section = ram_load_section,
	.load_commit = ram_load_commit,
	.load_abort = ram_load_abort,
};

struct uvfio_device *ram_device_new(const char *name, uint64_t size)
{
	const struct uvfio_region_desc mem = {
		.size = size,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	struct uvfio_mig_identity id = { .type = "ram" };
	char compat[48];
	struct uvfio_device *dev;
	struct ram *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return NULL;
	r->size = size;
	dev = uvfio_device_new(name, &ram_ops, r);
	if (!dev) {
		free(r);
		return NULL;
	}
	ret = uvfio_device_add_region(dev, RAM_REGION_INDEX, &mem);
	/* The size is part of compatibility: only a ram of the same size
	 * accepts a stream. */
	snprintf(compat, sizeof(compat), "ram-1/%llu",
		 (unsigned long long)size);
	id.compat = compat;
	if (!ret)
		ret = uvfio_migration_init(dev, &ram_mig_ops, &id);
	if (!ret)
		ret = uvfio_device_realize(dev);
	if (ret) {
		uvfio_device_destroy(dev);
		errno = -ret;
		return NULL;
	}
	return dev;
}
