/* SPDX-License-Identifier: MIT */
/*
 * Builder for the capability chains of VFIO info replies.
 *
 * A chain is kept with @next offsets relative to the chain's own start, as
 * the kernel's vfio_info_cap does, and rebased when placed after the fixed
 * part of a reply.
 */
#ifndef UVFIO_CORE_CAPCHAIN_H
#define UVFIO_CORE_CAPCHAIN_H

#include <stddef.h>
#include <stdint.h>

struct uvfio_capchain {
	uint8_t *buf;
	size_t size;
	size_t last;  /* offset of the last header; meaningless if size == 0 */
	size_t limit; /* maximum size, bounded by the reply format */
};

/* An empty chain that may grow to @limit bytes. */
void uvfio_capchain_init(struct uvfio_capchain *c, size_t limit);
void uvfio_capchain_release(struct uvfio_capchain *c);

/*
 * Append capability @id/@version with @len bytes of @body (may be NULL when
 * @len is 0), padded to 8 bytes as the kernel pads them.  Returns 0, -ENOSPC
 * past the limit, or -ENOMEM.
 */
int uvfio_capchain_add(struct uvfio_capchain *c, uint16_t id, uint16_t version,
		       const void *body, size_t len);

/*
 * Place the chain after the @fixed-byte struct at the start of an info reply
 * of *@argsz bytes, following the kernel: if it fits, copy it with offsets
 * rebased and set *@cap_offset to @fixed; if not, set *@argsz to the size
 * needed and *@cap_offset to 0.  Returns 1 if the chain is non-empty (the
 * caller sets its CAPS flag), else 0.
 */
int uvfio_capchain_emit(const struct uvfio_capchain *c, void *info,
			size_t fixed, uint32_t *argsz, uint32_t *cap_offset);

#endif /* UVFIO_CORE_CAPCHAIN_H */
