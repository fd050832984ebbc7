// SPDX-License-Identifier: MIT
/*
 * Interrupts: GET_IRQ_INFO, SET_IRQS with the kernel's validation, eventfd
 * triggers, masking and device-raised interrupts.
 *
 * The per-index semantics follow vfio-pci's (vfio_pci_intrs.c), written
 * once for every index: an index is enabled by binding eventfds and only
 * disabled by TRIGGER|DATA_NONE with count 0; loopback (NONE/BOOL) needs it
 * enabled; MASK/UNMASK exist only where the index is MASKABLE.  Rules that
 * tie indices together (one of INTx/MSI/MSI-X at a time) belong to the bus
 * layer, through ops->irq_enable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "device-internal.h"

#define MAX_IRQ_VECTORS 2048 /* MSI-X's limit */
#define IRQ_SET_MINSZ offsetof(struct uvfio_irq_set, data)
#define IRQ_INFO_FLAGS                                      \
	(UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_MASKABLE | \
	 UVFIO_IRQ_INFO_AUTOMASKED | UVFIO_IRQ_INFO_NORESIZE)

static struct uvfio_irq *irq_get(struct uvfio_device *dev, unsigned int index)
{
	if (index >= dev->nr_irq_slots || !dev->irqs[index].present)
		return NULL;
	return &dev->irqs[index];
}

static unsigned int num_irqs(const struct uvfio_device *dev)
{
	return dev->num_irqs > dev->nr_irq_slots ? dev->num_irqs :
						   dev->nr_irq_slots;
}

int uvfio_device_add_irq(struct uvfio_device *dev, unsigned int index,
			 uint32_t count, uint32_t flags)
{
	struct uvfio_irq *irq;
	int ret;

	if (dev->realized)
		return -EBUSY;
	if (index >= UVFIO_MAX_IRQ_INDEXES || count > MAX_IRQ_VECTORS ||
	    (flags & ~IRQ_INFO_FLAGS) || !(flags & UVFIO_IRQ_INFO_EVENTFD) ||
	    ((flags & UVFIO_IRQ_INFO_AUTOMASKED) &&
	     !(flags & UVFIO_IRQ_INFO_MASKABLE))) {
		uvfio_err(dev, "irq index %u: count %u flags 0x%x invalid",
			  index, count, flags);
		return -EINVAL;
	}
	if (irq_get(dev, index))
		return -EEXIST;
	ret = uvfio_grow_slots((void **)&dev->irqs, &dev->nr_irq_slots, index,
			       sizeof(*dev->irqs));
	if (ret)
		return ret;
	irq = &dev->irqs[index];
	irq->vec = calloc(count ? count : 1, sizeof(*irq->vec));
	if (!irq->vec)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		irq->vec[i].trigger = -1;
	irq->count = count;
	irq->flags = flags;
	irq->present = true;
	return 0;
}

/* Drop every trigger and mask of @irq.  Caller holds irq_lock. */
static void irq_disable_locked(struct uvfio_irq *irq)
{
	for (uint32_t i = 0; i < irq->count; i++) {
		if (irq->vec[i].trigger >= 0)
			close(irq->vec[i].trigger);
		irq->vec[i] = (struct uvfio_irq_vector){ .trigger = -1 };
	}
	irq->nvec = 0;
}

void uvfio_irqs_release(struct uvfio_device *dev)
{
	for (unsigned int i = 0; i < dev->nr_irq_slots; i++) {
		if (!dev->irqs[i].present)
			continue;
		irq_disable_locked(&dev->irqs[i]);
		free(dev->irqs[i].vec);
	}
	free(dev->irqs);
	dev->irqs = NULL;
	dev->nr_irq_slots = 0;
}

int uvfio_device_get_irq_info(struct uvfio_device *dev,
			      struct uvfio_irq_info *info)
{
	struct uvfio_irq *irq;

	if (!info)
		return -EFAULT;
	if (!dev->realized)
		return -ENODEV;
	if (info->argsz < sizeof(*info))
		return -EINVAL;
	irq = irq_get(dev, info->index);
	if (!irq)
		return -EINVAL;
	info->flags = irq->flags;
	info->count = irq->count;
	return 0;
}

/* Signal a vector's eventfd and apply AUTOMASKED.  Caller holds irq_lock. */
static int vector_fire_locked(struct uvfio_irq *irq, struct uvfio_irq_vector *v)
{
	if (v->trigger < 0)
		return UVFIO_IRQ_DROPPED;
	if (v->masked) {
		v->pending = true;
		return UVFIO_IRQ_PENDING;
	}
	eventfd_write(v->trigger, 1);
	if (irq->flags & UVFIO_IRQ_INFO_AUTOMASKED)
		v->masked = true;
	return UVFIO_IRQ_DELIVERED;
}

static void vector_mask_locked(struct uvfio_irq *irq,
			       struct uvfio_irq_vector *v, bool masked)
{
	v->masked = masked;
	if (!masked && v->pending) {
		v->pending = false;
		vector_fire_locked(irq, v);
	}
}

int uvfio_device_irq_trigger(struct uvfio_device *dev, unsigned int index,
			     unsigned int vector)
{
	struct uvfio_irq *irq = irq_get(dev, index);
	int ret;

	if (!irq || vector >= irq->count)
		return -EINVAL;
	pthread_mutex_lock(&dev->irq_lock);
	ret = vector < irq->nvec ? vector_fire_locked(irq, &irq->vec[vector]) :
				   UVFIO_IRQ_DROPPED;
	pthread_mutex_unlock(&dev->irq_lock);
	return ret;
}

int uvfio_device_irq_mask(struct uvfio_device *dev, unsigned int index,
			  unsigned int vector, bool masked)
{
	struct uvfio_irq *irq = irq_get(dev, index);

	if (!irq || vector >= irq->count)
		return -EINVAL;
	pthread_mutex_lock(&dev->irq_lock);
	vector_mask_locked(irq, &irq->vec[vector], masked);
	pthread_mutex_unlock(&dev->irq_lock);
	return 0;
}

int uvfio_device_irq_enabled(struct uvfio_device *dev, unsigned int index)
{
	struct uvfio_irq *irq = irq_get(dev, index);
	int nvec;

	if (!irq)
		return -EINVAL;
	pthread_mutex_lock(&dev->irq_lock);
	nvec = (int)irq->nvec;
	pthread_mutex_unlock(&dev->irq_lock);
	return nvec;
}

/*
 * The kernel's vfio_set_irqs_validate_and_prepare(), with the index's
 * vector count as its limit: an absent index, or one with no vectors,
 * refuses everything.  On success *@data_size is the payload to read.
 */
static int irq_set_validate(const struct uvfio_device *dev,
			    const struct uvfio_irq_set *set, uint32_t max,
			    size_t *data_size)
{
	size_t size;

	if (set->argsz < IRQ_SET_MINSZ || set->index >= num_irqs(dev) ||
	    set->count >= UINT32_MAX - set->start ||
	    (set->flags &
	     ~(UVFIO_IRQ_SET_DATA_TYPE_MASK | UVFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	if (set->start >= max || set->start + set->count > max)
		return -EINVAL;
	switch (set->flags & UVFIO_IRQ_SET_DATA_TYPE_MASK) {
	case UVFIO_IRQ_SET_DATA_NONE:
		size = 0;
		break;
	case UVFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(uint8_t);
		break;
	case UVFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(int32_t);
		break;
	default:
		return -EINVAL;
	}
	if (set->argsz - IRQ_SET_MINSZ < (size_t)set->count * size)
		return -EINVAL;
	*data_size = (size_t)set->count * size;
	return 0;
}

/* The kernel accepts only eventfds (eventfd_ctx_fdget gives -EINVAL). */
static int dup_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;
	int copy;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (strcmp(target, "anon_inode:[eventfd]"))
			return -EINVAL;
	} else if (errno != ENOENT || access("/proc/self/fd", F_OK) == 0) {
		/* /proc is there but the fd is not: a bad descriptor. */
		return -EBADF;
	}
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return copy < 0 ? -errno : copy;
}

static void close_fds(int *fds, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * Bind (fd >= 0) or unbind (fd < 0) the triggers of vectors
 * [start, start + count), enabling the index if it was off.  All or
 * nothing: every new eventfd is checked and duplicated before anything
 * changes.  Caller holds the device lock.
 */
static int irq_bind_eventfds(struct uvfio_device *dev, unsigned int index,
			     struct uvfio_irq *irq, uint32_t start,
			     uint32_t count, const int32_t *fds)
{
	uint32_t nvec = irq->nvec;
	int *copies;
	int ret = 0;

	if (!nvec && !count)
		return -EINVAL;
	if (nvec && start + count > nvec &&
	    (irq->flags & UVFIO_IRQ_INFO_NORESIZE))
		return -EINVAL;
	copies = calloc(count ? count : 1, sizeof(*copies));
	if (!copies)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		int32_t fd;

		memcpy(&fd, &fds[i], sizeof(fd));
		copies[i] = -1;
		if (fd < 0)
			continue;
		ret = dup_eventfd(fd);
		if (ret < 0) {
			close_fds(copies, i);
			goto out;
		}
		copies[i] = ret;
	}
	ret = 0;
	if (start + count > nvec && dev->ops->irq_enable) {
		ret = dev->ops->irq_enable(dev, index, start + count);
		if (ret) {
			close_fds(copies, count);
			goto out;
		}
	}
	pthread_mutex_lock(&dev->irq_lock);
	for (uint32_t i = 0; i < count; i++) {
		struct uvfio_irq_vector *v = &irq->vec[start + i];

		if (v->trigger >= 0)
			close(v->trigger);
		v->trigger = copies[i];
	}
	if (start + count > irq->nvec)
		irq->nvec = start + count;
	pthread_mutex_unlock(&dev->irq_lock);
out:
	free(copies);
	return ret;
}

static int irq_trigger_action(struct uvfio_device *dev, unsigned int index,
			      struct uvfio_irq *irq,
			      const struct uvfio_irq_set *set)
{
	uint32_t data_type = set->flags & UVFIO_IRQ_SET_DATA_TYPE_MASK;

	if (data_type == UVFIO_IRQ_SET_DATA_NONE && set->count == 0) {
		if (!irq->nvec)
			return -EINVAL;
		pthread_mutex_lock(&dev->irq_lock);
		irq_disable_locked(irq);
		pthread_mutex_unlock(&dev->irq_lock);
		if (dev->ops->irq_enable)
			dev->ops->irq_enable(dev, index, 0);
		return 0;
	}
	if (data_type == UVFIO_IRQ_SET_DATA_EVENTFD)
		return irq_bind_eventfds(
			dev, index, irq, set->start, set->count,
			(const int32_t *)(const void *)set->data);

	/* Loopback: signal as if the hardware fired, ignoring masks. */
	if (!irq->nvec)
		return -EINVAL;
	pthread_mutex_lock(&dev->irq_lock);
	for (uint32_t i = 0; i < set->count; i++) {
		struct uvfio_irq_vector *v = &irq->vec[set->start + i];

		if (set->start + i >= irq->nvec || v->trigger < 0)
			continue;
		if (data_type == UVFIO_IRQ_SET_DATA_NONE || set->data[i])
			eventfd_write(v->trigger, 1);
	}
	pthread_mutex_unlock(&dev->irq_lock);
	return 0;
}

static int irq_mask_action(struct uvfio_device *dev, struct uvfio_irq *irq,
			   const struct uvfio_irq_set *set, bool masked)
{
	uint32_t data_type = set->flags & UVFIO_IRQ_SET_DATA_TYPE_MASK;

	if (!(irq->flags & UVFIO_IRQ_INFO_MASKABLE))
		return -ENOTTY;
	if (!irq->nvec || set->count == 0)
		return -EINVAL;
	/* irqfd-style (un)mask eventfds are not implemented. */
	if (data_type == UVFIO_IRQ_SET_DATA_EVENTFD)
		return -ENOTTY;
	pthread_mutex_lock(&dev->irq_lock);
	for (uint32_t i = 0; i < set->count; i++) {
		if (set->start + i >= irq->nvec)
			break;
		if (data_type == UVFIO_IRQ_SET_DATA_NONE || set->data[i])
			vector_mask_locked(irq, &irq->vec[set->start + i],
					   masked);
	}
	pthread_mutex_unlock(&dev->irq_lock);
	return 0;
}

int uvfio_device_set_irqs(struct uvfio_device *dev,
			  const struct uvfio_irq_set *set)
{
	struct uvfio_irq *irq;
	size_t data_size;
	int ret;

	if (!set)
		return -EFAULT;
	if (!dev->realized)
		return -ENODEV;
	irq = irq_get(dev, set->index);
	ret = irq_set_validate(dev, set, irq ? irq->count : 0, &data_size);
	if (ret)
		return ret;

	pthread_mutex_lock(&dev->lock);
	switch (set->flags & UVFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case UVFIO_IRQ_SET_ACTION_TRIGGER:
		ret = irq_trigger_action(dev, set->index, irq, set);
		break;
	case UVFIO_IRQ_SET_ACTION_MASK:
		ret = irq_mask_action(dev, irq, set, true);
		break;
	case UVFIO_IRQ_SET_ACTION_UNMASK:
		ret = irq_mask_action(dev, irq, set, false);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
