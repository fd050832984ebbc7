/* SPDX-License-Identifier: MIT */
/*
 * Devices by name: "TYPE,id=NAME[,key=value...]" as uvfiod's --device and
 * its config file spell them.
 */
#ifndef UVFIO_DEVICES_REGISTRY_H
#define UVFIO_DEVICES_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <uvfio/device.h>

#define DEVICE_SPEC_MAX_OPTS 16

struct device_spec {
	char *buf; /* the parsed copy the pointers below point into */
	const char *type;
	const char *id;
	unsigned int nr_opts;
	struct {
		const char *key;
		const char *value;
	} opts[DEVICE_SPEC_MAX_OPTS];
};

/*
 * Parse @text.  Returns 0, or -EINVAL with a message in @err naming what is
 * wrong.  Free with device_spec_free().
 */
int device_spec_parse(const char *text, struct device_spec *spec, char *err,
		      size_t err_len);
void device_spec_free(struct device_spec *spec);

/*
 * Create and realize the device @spec describes.  Every option must be
 * known to the type.  NULL with a message in @err.
 */
struct uvfio_device *device_spec_create(const struct device_spec *spec,
					char *err, size_t err_len);

/* Parse "4096", "64K", "256M", "1G" (binary units) into @out. */
int parse_size(const char *text, uint64_t *out);

/* The types, for --help: a NULL-terminated list of "name: summary". */
extern const char *const device_type_help[];

#endif /* UVFIO_DEVICES_REGISTRY_H */
