// SPDX-License-Identifier: MIT
/*
 * Device lifetime, configuration and VFIO_DEVICE_GET_INFO.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"

#define NAME_MAX_LEN 64
#define INFO_CAPS_LIMIT 65536

/* Bus-type flags a device may claim; RESET and CAPS are derived. */
#define DEVICE_BUS_FLAGS                                        \
	(UVFIO_DEVICE_FLAGS_PCI | UVFIO_DEVICE_FLAGS_PLATFORM | \
	 UVFIO_DEVICE_FLAGS_AMBA | UVFIO_DEVICE_FLAGS_CCW |     \
	 UVFIO_DEVICE_FLAGS_AP | UVFIO_DEVICE_FLAGS_FSL_MC |    \
	 UVFIO_DEVICE_FLAGS_CDX)

static bool name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, NAME_MAX_LEN + 1);
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)name[i]))
			return false;
	return true;
}

struct uvfio_device *uvfio_device_new(const char *name,
				      const struct uvfio_device_ops *ops,
				      void *priv)
{
	struct uvfio_device *dev;

	if (!name_valid(name) || !ops) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->name = strdup(name);
	if (!dev->name) {
		free(dev);
		return NULL;
	}
	dev->dma = uvfio_dma_new();
	if (!dev->dma) {
		free(dev->name);
		free(dev);
		return NULL;
	}
	dev->ops = ops;
	dev->priv = priv;
	uvfio_capchain_init(&dev->info_caps, INFO_CAPS_LIMIT);
	pthread_mutex_init(&dev->lock, NULL);
	pthread_mutex_init(&dev->irq_lock, NULL);
	uvfio_log_init(dev);
	return dev;
}

void uvfio_device_destroy(struct uvfio_device *dev)
{
	if (!dev)
		return;
	/* Migration first: ending a session may call into the driver. */
	if (dev->mig_release)
		dev->mig_release(dev);
	if (dev->ops->release)
		dev->ops->release(dev);
	uvfio_irqs_release(dev);
	/* The dirty log hooks the DMA space: it goes first. */
	if (dev->dirty_release)
		dev->dirty_release(dev);
	uvfio_dma_destroy(dev->dma);
	uvfio_regions_release(dev);
	free(dev->features);
	uvfio_capchain_release(&dev->info_caps);
	pthread_mutex_destroy(&dev->irq_lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev->name);
	free(dev);
}

void *uvfio_device_priv(const struct uvfio_device *dev)
{
	return dev->priv;
}

const char *uvfio_device_name(const struct uvfio_device *dev)
{
	return dev->name;
}

struct uvfio_dma *uvfio_device_dma(const struct uvfio_device *dev)
{
	return dev->dma;
}

void uvfio_device_lock(struct uvfio_device *dev)
{
	pthread_mutex_lock(&dev->lock);
}

void uvfio_device_unlock(struct uvfio_device *dev)
{
	pthread_mutex_unlock(&dev->lock);
}

int uvfio_grow_slots(void **array, unsigned int *nr, unsigned int index,
		     size_t elem_size)
{
	uint8_t *grown;

	if (index < *nr)
		return 0;
	grown = realloc(*array, (size_t)(index + 1) * elem_size);
	if (!grown)
		return -ENOMEM;
	memset(grown + (size_t)*nr * elem_size, 0,
	       (size_t)(index + 1 - *nr) * elem_size);
	*array = grown;
	*nr = index + 1;
	return 0;
}

int uvfio_device_set_flags(struct uvfio_device *dev, uint32_t flags)
{
	if (dev->realized)
		return -EBUSY;
	if (flags & ~DEVICE_BUS_FLAGS) {
		uvfio_err(
			dev,
			"device flags 0x%x: only bus-type flags 0x%x may be set",
			flags, DEVICE_BUS_FLAGS);
		return -EINVAL;
	}
	dev->flags = flags;
	return 0;
}

int uvfio_device_set_reset_flag(struct uvfio_device *dev, bool shown)
{
	if (dev->realized)
		return -EBUSY;
	dev->hide_reset_flag = !shown;
	return 0;
}

int uvfio_device_set_num_regions(struct uvfio_device *dev,
				 unsigned int num_regions)
{
	if (dev->realized)
		return -EBUSY;
	if (num_regions > UVFIO_MAX_REGIONS)
		return -EINVAL;
	dev->num_regions = num_regions;
	return 0;
}

int uvfio_device_set_num_irqs(struct uvfio_device *dev, unsigned int num_irqs)
{
	if (dev->realized)
		return -EBUSY;
	if (num_irqs > UVFIO_MAX_IRQ_INDEXES)
		return -EINVAL;
	dev->num_irqs = num_irqs;
	return 0;
}

int uvfio_device_add_info_cap(struct uvfio_device *dev, uint16_t id,
			      uint16_t version, const void *body, size_t len)
{
	if (dev->realized)
		return -EBUSY;
	if (len && !body)
		return -EINVAL;
	return uvfio_capchain_add(&dev->info_caps, id, version, body, len);
}

static unsigned int effective_count(unsigned int override, unsigned int slots)
{
	return override > slots ? override : slots;
}

int uvfio_device_realize(struct uvfio_device *dev)
{
	int ret;

	if (dev->realized)
		return -EBUSY;
	if (dev->num_regions && dev->num_regions < dev->nr_region_slots) {
		uvfio_err(dev,
			  "num_regions %u is below the highest region index %u",
			  dev->num_regions, dev->nr_region_slots - 1);
		return -EINVAL;
	}
	if (dev->num_irqs && dev->num_irqs < dev->nr_irq_slots) {
		uvfio_err(dev, "num_irqs %u is below the highest irq index %u",
			  dev->num_irqs, dev->nr_irq_slots - 1);
		return -EINVAL;
	}
	ret = uvfio_regions_realize(dev);
	if (ret)
		return ret;
	dev->realized = true;
	return 0;
}

int uvfio_device_get_info(struct uvfio_device *dev,
			  struct uvfio_device_info *info)
{
	struct uvfio_device_info out = { 0 };
	uint32_t argsz;

	if (!info)
		return -EFAULT;
	if (!dev->realized)
		return -ENODEV;
	argsz = info->argsz;
	if (argsz < UVFIO_DEVICE_INFO_MINSZ)
		return -EINVAL;

	out.argsz = argsz;
	out.flags = dev->flags;
	if (dev->ops->reset && !dev->hide_reset_flag)
		out.flags |= UVFIO_DEVICE_FLAGS_RESET;
	out.num_regions =
		effective_count(dev->num_regions, dev->nr_region_slots);
	out.num_irqs = effective_count(dev->num_irqs, dev->nr_irq_slots);
	if (uvfio_capchain_emit(&dev->info_caps, info, sizeof(out), &out.argsz,
				&out.cap_offset))
		out.flags |= UVFIO_DEVICE_FLAGS_CAPS;
	/* As the kernel, write back no more than the caller's buffer holds. */
	memcpy(info, &out, argsz < sizeof(out) ? argsz : sizeof(out));
	return 0;
}

int uvfio_device_hold(struct uvfio_device *dev)
{
	unsigned int h = __atomic_load_n(&dev->holders, __ATOMIC_ACQUIRE);

	do {
		if (h & DEVICE_GOING)
			return -ENODEV;
	} while (!__atomic_compare_exchange_n(&dev->holders, &h, h + 1, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return 0;
}

void uvfio_device_unhold(struct uvfio_device *dev)
{
	__atomic_sub_fetch(&dev->holders, 1, __ATOMIC_ACQ_REL);
}

bool uvfio_device_going(struct uvfio_device *dev)
{
	unsigned int none = 0;

	return __atomic_compare_exchange_n(&dev->holders, &none, DEVICE_GOING,
					   false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

void uvfio_device_ungo(struct uvfio_device *dev)
{
	__atomic_and_fetch(&dev->holders, ~DEVICE_GOING, __ATOMIC_ACQ_REL);
}

int device_open_plain(struct uvfio_device *dev, const uint8_t *vf_token)
{
	if (vf_token) {
		uvfio_warn(dev,
			   "VF token incorrectly provided, not a PF or VF");
		return -EINVAL;
	}
	return 0;
}

int uvfio_device_open(struct uvfio_device *dev, const uint8_t *vf_token)
{
	if (!dev->realized)
		return -ENODEV;
	if (dev->ops->open)
		return dev->ops->open(dev, vf_token);
	return device_open_plain(dev, vf_token);
}

void uvfio_device_close(struct uvfio_device *dev)
{
	if (dev->ops->close)
		dev->ops->close(dev);
}

int uvfio_device_reset(struct uvfio_device *dev)
{
	int ret;

	if (!dev->realized)
		return -ENODEV;
	if (!dev->ops->reset)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = dev->ops->reset(dev);
	/* A reset ends migration sessions and returns to RUNNING (the only
	 * way out of ERROR). */
	if (!ret && dev->mig_reset)
		dev->mig_reset(dev);
	pthread_mutex_unlock(&dev->lock);
	/* -EINVAL is the answer of a function without a reset method. */
	if (ret == -EINVAL)
		uvfio_dbg(dev, "reset refused: no reset method");
	else if (ret)
		uvfio_err(dev, "reset failed: %s", strerror(-ret));
	return ret;
}
