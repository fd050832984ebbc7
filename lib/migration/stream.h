/* SPDX-License-Identifier: MIT */
/*
 * The migration stream (docs/migration-stream.md): a header naming the
 * format version and the device's identity, then typed sections, each
 * with a sequence number and a CRC32C, then an END section.  All integers
 * little-endian, so a stream moves between machines.
 *
 * Writing appends to a byte queue; reading is an incremental parser that
 * validates everything before handing a section on, bounded in memory by
 * one section.
 */
#ifndef UVFIO_MIGRATION_STREAM_H
#define UVFIO_MIGRATION_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uvfio/migration.h>

#define MIG_STREAM_MAGIC "uvfioMIG" /* 8 bytes, no NUL */
#define MIG_STREAM_MAJOR 1
#define MIG_STREAM_MINOR 0
#define MIG_NAME_MAX 64 /* type and compat strings */

/* A growable byte queue: written at the end, read from @rpos. */
struct mig_buf {
	uint8_t *data;
	size_t len;  /* bytes written */
	size_t rpos; /* bytes consumed */
	size_t cap;
};

void mig_buf_init(struct mig_buf *b);
void mig_buf_release(struct mig_buf *b);
/* Unread bytes. */
size_t mig_buf_pending(const struct mig_buf *b);
/* Copy out up to @len unread bytes; returns how many. */
size_t mig_buf_read(struct mig_buf *b, void *out, size_t len);
/* Append @len bytes: 0 or -ENOMEM (nothing appended). */
int mig_buf_append(struct mig_buf *b, const void *data, size_t len);

/* Writers: 0, -EINVAL (bad arguments, e.g. names too long) or -ENOMEM. */
int mig_stream_put_header(struct mig_buf *b,
			  const struct uvfio_mig_identity *id);
int mig_stream_put_sectionv(struct mig_buf *b, uint32_t seq, uint16_t type,
			    enum uvfio_mig_phase phase, const struct iovec *iov,
			    unsigned int iovcnt);
int mig_stream_put_section(struct mig_buf *b, uint32_t seq, uint16_t type,
			   enum uvfio_mig_phase phase, const void *data,
			   size_t len);
int mig_stream_put_end(struct mig_buf *b, uint32_t seq);

/* Called for each section once it is complete and its CRC checked. */
typedef int (*mig_section_fn)(void *opaque, uint16_t type,
			      enum uvfio_mig_phase phase, const void *data,
			      size_t len);

struct mig_parser;

/*
 * A parser for streams of identity @expect (the pointer must stay valid).
 * NULL on allocation failure.
 */
struct mig_parser *mig_parser_new(const struct uvfio_mig_identity *expect,
				  mig_section_fn fn, void *opaque);
void mig_parser_free(struct mig_parser *p);

/*
 * Feed @len more bytes, in any segmentation.  Returns 0, or a negative
 * errno with a one-line reason in @why naming what is wrong and the
 * values (bad magic, another device, incompatible version, bad CRC,
 * section out of order, oversized section, bytes after END, ...), or the
 * section callback's error.  After an error the parser refuses all input.
 */
int mig_parser_feed(struct mig_parser *p, const void *data, size_t len,
		    char *why, size_t why_len);

/* The END section was seen (and nothing after it). */
bool mig_parser_complete(const struct mig_parser *p);

/* CRC32C (Castagnoli) of @len bytes, continuing from @crc (0 to start). */
uint32_t mig_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* UVFIO_MIGRATION_STREAM_H */
