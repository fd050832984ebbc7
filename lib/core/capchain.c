// SPDX-License-Identifier: MIT
/*
 * Capability chains of info replies: building them (server side) and
 * walking them safely (client side, where the bytes are untrusted).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/device.h>

#include "capchain.h"

#define CAP_ALIGN 8

void uvfio_capchain_init(struct uvfio_capchain *c, size_t limit)
{
	memset(c, 0, sizeof(*c));
	c->limit = limit;
}

void uvfio_capchain_release(struct uvfio_capchain *c)
{
	free(c->buf);
	uvfio_capchain_init(c, c->limit);
}

int uvfio_capchain_add(struct uvfio_capchain *c, uint16_t id, uint16_t version,
		       const void *body, size_t len)
{
	struct uvfio_info_cap_header hdr = { .id = id, .version = version };
	size_t start = c->size, size;
	uint8_t *buf;

	/* Like the kernel, pad every cap so that the next one is aligned. */
	if (len > c->limit)
		return -ENOSPC;
	size = (sizeof(hdr) + len + CAP_ALIGN - 1) & ~(size_t)(CAP_ALIGN - 1);
	if (size > c->limit - start)
		return -ENOSPC;
	buf = realloc(c->buf, start + size);
	if (!buf)
		return -ENOMEM;
	memset(buf + start, 0, size);
	memcpy(buf + start, &hdr, sizeof(hdr));
	if (len)
		memcpy(buf + start + sizeof(hdr), body, len);
	if (start) {
		struct uvfio_info_cap_header *prev =
			(struct uvfio_info_cap_header *)(buf + c->last);
		prev->next = (uint32_t)start;
	}
	c->buf = buf;
	c->last = start;
	c->size = start + size;
	return 0;
}

int uvfio_capchain_emit(const struct uvfio_capchain *c, void *info,
			size_t fixed, uint32_t *argsz, uint32_t *cap_offset)
{
	uint8_t *dst = (uint8_t *)info + fixed;
	size_t off = 0;

	if (!c->size)
		return 0;
	if (*argsz < fixed + c->size) {
		*argsz = (uint32_t)(fixed + c->size);
		*cap_offset = 0;
		return 1;
	}
	memcpy(dst, c->buf, c->size);
	for (;;) {
		struct uvfio_info_cap_header *hdr =
			(struct uvfio_info_cap_header *)(dst + off);

		if (!hdr->next)
			break;
		off = hdr->next;
		hdr->next += (uint32_t)fixed;
	}
	*cap_offset = (uint32_t)fixed;
	return 1;
}

const struct uvfio_info_cap_header *
uvfio_info_cap_find(const void *info, size_t size, uint32_t cap_offset,
		    uint16_t id, size_t min_len)
{
	const uint8_t *base = info;
	size_t off = cap_offset;

	if (!info)
		return NULL;
	if (min_len < sizeof(struct uvfio_info_cap_header))
		min_len = sizeof(struct uvfio_info_cap_header);
	/*
	 * Offsets must strictly increase, so the walk ends within size / 4
	 * steps.  4-byte alignment, not 8: kernels before 6.6 placed the first
	 * device-info cap right after the 20-byte vfio_device_info and did not
	 * pad caps, so callers must memcpy u64 fields out of a cap.
	 */
	while (off) {
		struct uvfio_info_cap_header hdr;

		if (off % 4 || off > size || size - off < sizeof(hdr))
			return NULL;
		memcpy(&hdr, base + off, sizeof(hdr));
		if (hdr.id == id)
			return size - off >= min_len ?
				       (const struct uvfio_info_cap_header
						*)(base + off) :
				       NULL;
		if (hdr.next && hdr.next <= off)
			return NULL;
		off = hdr.next;
	}
	return NULL;
}
