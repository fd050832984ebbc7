/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: their input, read from the front, a device
 * log that says nothing (refusals are the point, not news) and a
 * migration state SET.
 */
#ifndef UVFIO_FUZZ_UTIL_H
#define UVFIO_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <uvfio/device.h>
#include <uvfio/log.h>

/* An input, read from the front; past its end it reads as zeros. */
struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

/* The next @n bytes (at most 8) as a little-endian number. */
static inline uint64_t fuzz_take(struct fuzz_input *in, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* The next @n bytes into @out, zero-filled past the end: how many came. */
static inline size_t fuzz_take_bytes(struct fuzz_input *in, void *out, size_t n)
{
	size_t got = n < in->left ? n : in->left;

	memset(out, 0, n);
	memcpy(out, in->p, got);
	in->p += got;
	in->left -= got;
	return got;
}

static inline void fuzz_quiet(void *opaque, enum uvfio_log_level level,
			      const char *name, const char *msg)
{
	(void)opaque, (void)level, (void)name, (void)msg;
}

/* SET MIG_DEVICE_STATE to @state: the feature's result. */
static inline int fuzz_set_state(struct uvfio_device *dev, uint32_t state)
{
	uint64_t buf[2];
	struct uvfio_device_feature *hdr = (void *)buf;
	struct uvfio_device_feature_mig_state st = { state, -1 };

	hdr->argsz = sizeof(*hdr) + sizeof(st);
	hdr->flags = UVFIO_DEVICE_FEATURE_SET |
		     UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	memcpy(hdr->data, &st, sizeof(st));
	return uvfio_device_feature(dev, hdr);
}

#endif /* UVFIO_FUZZ_UTIL_H */
