// SPDX-License-Identifier: MIT
/*
 * ram: a memory-only device.  Its memory is its whole state, which makes it
 * the device for measuring bulk paths (mmap access, migration throughput).
 */
#include <errno.h>
#include <string.h>

#include "ram.h"

static int ram_reset(struct uvfio_device *dev)
{
	struct uvfio_region_info info = { .argsz = sizeof(info),
					  .index = RAM_REGION_INDEX };
	int ret = uvfio_device_get_region_info(dev, &info);

	if (ret)
		return ret;
	memset(uvfio_region_memory(dev, RAM_REGION_INDEX), 0, info.size);
	return 0;
}

static const struct uvfio_device_ops ram_ops = {
	.reset = ram_reset,
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
	struct uvfio_device *dev = uvfio_device_new(name, &ram_ops, NULL);
	int ret;

	if (!dev)
		return NULL;
	ret = uvfio_device_add_region(dev, RAM_REGION_INDEX, &mem);
	if (!ret)
		ret = uvfio_device_realize(dev);
	if (ret) {
		uvfio_device_destroy(dev);
		errno = -ret;
		return NULL;
	}
	return dev;
}
