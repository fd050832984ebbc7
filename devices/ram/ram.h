/* SPDX-License-Identifier: MIT */
#ifndef UVFIO_DEVICES_RAM_H
#define UVFIO_DEVICES_RAM_H

#include <stdint.h>

#include <uvfio/device.h>

#define RAM_REGION_INDEX 0

/*
 * A device that is nothing but @size bytes of memory in region 0,
 * mmappable whole.  Reset zeroes it.  Returns a realized device, or NULL
 * with errno set.
 */
struct uvfio_device *ram_device_new(const char *name, uint64_t size);

#endif /* UVFIO_DEVICES_RAM_H */
