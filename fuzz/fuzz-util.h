/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: a device log that says nothing (refusals
 * are the point, not news) and a migration state SET.
 */
#ifndef UVFIO_FUZZ_UTIL_H
#define UVFIO_FUZZ_UTIL_H

#include <stdint.h>
#include <string.h>

#include <uvfio/device.h>
#include <uvfio/log.h>

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
