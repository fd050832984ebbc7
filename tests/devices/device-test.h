/* SPDX-License-Identifier: MIT */
/*
 * Shared by the devices' unit tests (edu/test-edu.c, mtty/test-mtty.c),
 * which drive a device through the device core's calls, as a transport
 * would: the device's log, interrupts, migration between two instances,
 * the migration stream as docs/migration-stream.md lays it out, and the
 * rule every refused stream must keep.
 */
#ifndef UVFIO_DEVICE_TEST_H
#define UVFIO_DEVICE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uvfio/device.h>
#include <uvfio/log.h>
#include <uvfio/migration.h>

#include "test-util.h"

/* ---- the device's log ---- */

/* What a device logged at warning level or worse. */
struct dev_log {
	unsigned int warnings;
	char last[512];	 /* the last warning */
	char text[8192]; /* every warning since the last dev_log_clear() */
	size_t len;
};

/* Send @dev's log to @log. */
void dev_log_attach(struct uvfio_device *dev, struct dev_log *log);
void dev_log_clear(struct dev_log *log);

/* ---- region access ---- */

/* @len (at most 8) bytes at @off of region @region, little-endian, whole. */
uint64_t region_rd(struct uvfio_device *dev, unsigned int region, uint64_t off,
		   size_t len);
void region_wr(struct uvfio_device *dev, unsigned int region, uint64_t off,
	       size_t len, uint64_t v);

/* ---- guest memory ---- */

/*
 * @size bytes of guest memory, mapped here: a memfd sealed against
 * shrinking and growing, as a transport insists on.  Its fd in *@fd.
 */
uint8_t *guest_ram(size_t size, int *fd);
void guest_ram_free(uint8_t *ram, size_t size, int fd);

/* ---- interrupts ---- */

/* SET_IRQS with an eventfd (if @flags has DATA_EVENTFD): its result. */
int irq_set(struct uvfio_device *dev, uint32_t index, uint32_t flags,
	    uint32_t count, int fd);
void irq_bind(struct uvfio_device *dev, uint32_t index, int fd);
void irq_disable(struct uvfio_device *dev, uint32_t index);
void intx_unmask(struct uvfio_device *dev);

/* ---- migration ---- */

#define ST_STOP UVFIO_DEVICE_STATE_STOP
#define ST_RUNNING UVFIO_DEVICE_STATE_RUNNING
#define ST_STOP_COPY UVFIO_DEVICE_STATE_STOP_COPY
#define ST_RESUMING UVFIO_DEVICE_STATE_RESUMING
#define ST_RUNNING_P2P UVFIO_DEVICE_STATE_RUNNING_P2P
#define ST_PRE_COPY UVFIO_DEVICE_STATE_PRE_COPY
#define ST_PRE_COPY_P2P UVFIO_DEVICE_STATE_PRE_COPY_P2P

/* The largest stream a test reads or builds. */
#define STREAM_MAX (64 * 1024)

/* GET of a feature that has one 64-bit value, asserted to succeed. */
uint64_t feature_u64(struct uvfio_device *dev, uint32_t feature);

int mig_set(struct uvfio_device *dev, uint32_t st);
uint32_t mig_get(struct uvfio_device *dev);
void mig_go(struct uvfio_device *dev, uint32_t st);

/*
 * Read what the session has now, in pieces of @piece bytes (each device's
 * test picks its own odd size); stops at 0 or -ENOMSG.
 */
size_t mig_read(struct uvfio_device *dev, uint8_t *out, size_t max,
		size_t piece);

/* The complete stop-copy stream of @dev, which is left in STOP_COPY. */
size_t mig_save(struct uvfio_device *dev, uint8_t *out, size_t piece);

/* Feed @len bytes to RESUMING: the write's result. */
ssize_t mig_feed(struct uvfio_device *dev, const uint8_t *s, size_t len);

/* Load a stream and commit it: the device is left in STOP. */
void mig_load(struct uvfio_device *dev, const uint8_t *s, size_t len);

/* PRE_COPY's dirty bytes (asserting there are no initial ones left). */
uint64_t mig_precopy_dirty(struct uvfio_device *dev);

/* ---- the stream, as docs/migration-stream.md lays it out ---- */

uint64_t le(const uint8_t *p, size_t n);
void put_le(uint8_t *p, uint64_t v, size_t n);

struct sec {
	size_t off; /* of the section header in the stream */
	uint16_t kind, type;
	uint8_t phase;
	size_t len;
	const uint8_t *data;
};

/* Split a well-formed stream into its sections; returns how many. */
size_t parse(const uint8_t *s, size_t len, struct sec *out, size_t max);

/* A stream builder: a copy of a real header, then sections, then END. */
struct builder {
	uint8_t s[STREAM_MAX];
	size_t len;
	uint32_t seq;
};

void build_start(struct builder *b, const uint8_t *real);
void build_data(struct builder *b, uint16_t type, uint8_t phase,
		const void *data, size_t len);
void build_end(struct builder *b);

/* ---- refused streams ---- */

/*
 * A refused load leaves the device as it was: what a guest reads (checked
 * by @assert_kept, the device's own rule) in RESUMING and after the reset
 * that leaves it, and the whole state (the device's own stop-copy stream,
 * byte for byte).
 */
struct refusal {
	struct uvfio_device *dev;
	struct dev_log *log;
	size_t piece;
	void (*assert_kept)(void *opaque);
	void *opaque;
	uint8_t *own; /* the stream @dev saved before */
	size_t own_len;
	uint8_t *check;
	unsigned int count; /* streams refused so far */
	/* What a refused write may answer, 0-terminated; NULL: -EINVAL */
	const int *errnos;
};

/* Save @dev's stream to compare against, and leave @dev RUNNING. */
void refusal_init(struct refusal *r, struct uvfio_device *dev,
		  struct dev_log *log, size_t piece,
		  void (*assert_kept)(void *opaque), void *opaque);
void refused(struct refusal *r, const uint8_t *s, size_t len);

/* Refused, and the log says why: @says. */
void refused_saying(struct refusal *r, const uint8_t *s, size_t len,
		    const char *says);

/*
 * Every corruption of @stream refused: each byte flipped three ways, every
 * cut short of the end, and a byte more after END (4 * @len + 1 streams).
 */
void refused_corruptions(struct refusal *r, const uint8_t *stream, size_t len);
void refusal_free(struct refusal *r);

#endif /* UVFIO_DEVICE_TEST_H */
