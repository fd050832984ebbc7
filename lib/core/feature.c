// SPDX-License-Identifier: MIT
/*
 * The VFIO_DEVICE_FEATURE multiplexer: the kernel core's header checks
 * (vfio_ioctl_device_feature) and per-feature checks (vfio_check_feature)
 * in front of handlers registered by feature number.
 */
#include <errno.h>
#include <stdlib.h>

#include "device-internal.h"

#define FEATURE_HDR_SIZE offsetof(struct uvfio_device_feature, data)
#define FEATURE_OPS (UVFIO_DEVICE_FEATURE_GET | UVFIO_DEVICE_FEATURE_SET)
#define FEATURE_FLAGS \
	(UVFIO_DEVICE_FEATURE_MASK | FEATURE_OPS | UVFIO_DEVICE_FEATURE_PROBE)

static const struct uvfio_feature_entry *feature_find(struct uvfio_device *dev,
						      uint16_t feature)
{
	for (unsigned int i = 0; i < dev->nr_features; i++)
		if (dev->features[i].feature == feature)
			return &dev->features[i];
	return NULL;
}

int uvfio_device_add_feature(struct uvfio_device *dev, uint16_t feature,
			     uint32_t ops, size_t minsz, uvfio_feature_fn fn,
			     void *opaque)
{
	struct uvfio_feature_entry *grown;

	if (dev->realized)
		return -EBUSY;
	if (!fn || !ops || (ops & ~FEATURE_OPS))
		return -EINVAL;
	if (feature_find(dev, feature))
		return -EEXIST;
	grown = realloc(dev->features,
			(dev->nr_features + 1) * sizeof(*dev->features));
	if (!grown)
		return -ENOMEM;
	grown[dev->nr_features] = (struct uvfio_feature_entry){
		.feature = feature,
		.ops = ops,
		.minsz = minsz,
		.fn = fn,
		.opaque = opaque,
	};
	dev->features = grown;
	dev->nr_features++;
	return 0;
}

/*
 * vfio_check_feature(): 1 to run the handler, 0 for a successful PROBE,
 * or -EINVAL.
 */
static int feature_check(uint32_t flags, size_t size, uint32_t supported,
			 size_t minsz)
{
	if ((flags & FEATURE_OPS) & ~supported)
		return -EINVAL;
	if (flags & UVFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & FEATURE_OPS))
		return -EINVAL;
	if (size < minsz)
		return -EINVAL;
	return 1;
}

int uvfio_device_feature(struct uvfio_device *dev,
			 struct uvfio_device_feature *feature)
{
	const struct uvfio_feature_entry *entry;
	uint32_t flags;
	size_t size;
	int ret;

	if (!feature)
		return -EFAULT;
	if (!dev->realized)
		return -ENODEV;
	flags = feature->flags;
	if (feature->argsz < FEATURE_HDR_SIZE || (flags & ~FEATURE_FLAGS))
		return -EINVAL;
	/* GET and SET together only make sense as a PROBE of both. */
	if ((flags & FEATURE_OPS) == FEATURE_OPS &&
	    !(flags & UVFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;

	entry = feature_find(dev, flags & UVFIO_DEVICE_FEATURE_MASK);
	if (!entry)
		return -ENOTTY;
	size = feature->argsz - FEATURE_HDR_SIZE;
	ret = feature_check(flags, size, entry->ops, entry->minsz);
	if (ret <= 0)
		return ret;

	pthread_mutex_lock(&dev->lock);
	ret = entry->fn(dev, flags & FEATURE_OPS, feature->data, size,
			entry->opaque);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
