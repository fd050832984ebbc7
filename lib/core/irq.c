// SPDX-License-Identifier: MIT
/*
 * Interrupts: GET_IRQ_INFO, SET_IRQS with the kernel's validation, eventfd
 * triggers, masking and device-raised interrupts.
 *
 * The per-index semantics follow vfio-pci's (vfio_pci_intrs.c), written
 * once for every index: an index is enabled by binding eventfds and only
 * disabled by TRIGGER|DATA_NONE with count 0; loopback (NONE/BOOL) needs it
 * enabled; MASK/UNMASK exist only where the index is MASKABLE.  Indexes
 * configured with uvfio_device_set_irq_single() follow instead
 * vfio_pci_set_ctx_trigger_single(), as ERR and REQ do.  Rules that tie
 * indices together (one of INTx/MSI/MSI-X at a time) belong to the bus
 * layer, through ops->irq_enable.
 *
 * Signalling never blocks, as the kernel's eventfd_signal() never does:
 * every eventfd we hold is O_NONBLOCK, and a write that finds the counter
 * saturated (EAGAIN) has nothing left to signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	struct uvfio_irq_vector *vec;
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
	/* Allocate first: a failed add must not grow num_irqs. */
	vec = calloc(count ? count : 1, sizeof(*vec));
	if (!vec)
		return -ENOMEM;
	ret = uvfio_grow_slots((void **)&dev->irqs, &dev->nr_irq_slots, index,
			       sizeof(*dev->irqs));
	if (ret) {
		free(vec);
		return ret;
	}
	for (uint32_t i = 0; i < count; i++)
		vec[i].trigger = -1;
	irq = &dev->irqs[index];
	irq->vec = vec;
	irq->count = count;
	irq->flags = flags;
	irq->present = true;
	return 0;
}

int uvfio_device_set_irq_single(struct uvfio_device *dev, unsigned int index)
{
	struct uvfio_irq *irq;

	if (dev->realized)
		return -EBUSY;
	irq = irq_get(dev, index);
	if (!irq || irq->count != 1 || (irq->flags & UVFIO_IRQ_INFO_MASKABLE)) {
		uvfio_err(
			dev,
			"irq index %u: a single-trigger index needs count 1 and no MASKABLE (%s, count %u, flags 0x%x)",
			index, irq ? "added" : "not added",
			irq ? irq->count : 0, irq ? irq->flags : 0);
		return -EINVAL;
	}
	irq->single = true;
	return 0;
}

/*
 * Drop every trigger, user mask and pending edge of @irq.  The device's
 * mask and the level of its line are the device's state and stay (the
 * kernel keeps virq_disabled across a disable, and a re-enable starts with
 * ctx->masked = virq_disabled).  Caller holds irq_lock.
 */
static void irq_disable_locked(struct uvfio_irq *irq)
{
	for (uint32_t i = 0; i < irq->count; i++) {
		struct uvfio_irq_vector *v = &irq->vec[i];

		if (v->trigger >= 0)
			close(v->trigger);
		v->trigger = -1;
		v->user_masked = false;
		v->pending = false;
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

/*
 * eventfd_signal(): add 1 without ever blocking.  The descriptor is
 * O_NONBLOCK, so a counter at its maximum gives EAGAIN: the reader will see
 * a non-zero count anyway, the signal is delivered.
 */
static void signal_eventfd(int fd)
{
	const uint64_t one = 1;
	ssize_t n;

	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

static bool vector_masked(const struct uvfio_irq_vector *v)
{
	return v->user_masked || v->dev_masked;
}

/* Signal a vector's eventfd and apply AUTOMASKED.  Caller holds irq_lock. */
static int vector_fire_locked(struct uvfio_irq *irq, struct uvfio_irq_vector *v)
{
	if (v->trigger < 0)
		return UVFIO_IRQ_DROPPED;
	if (vector_masked(v)) {
		v->pending = true;
		return UVFIO_IRQ_PENDING;
	}
	signal_eventfd(v->trigger);
	if (irq->flags & UVFIO_IRQ_INFO_AUTOMASKED)
		v->user_masked = true;
	return UVFIO_IRQ_DELIVERED;
}

/*
 * After an unmask or a bind: deliver an edge that waited, or a line that is
 * still asserted (pci_check_and_unmask_intx(): a level interrupt fires
 * again on unmask while the device holds it).  Caller holds irq_lock.
 */
static void vector_update_locked(struct uvfio_irq *irq,
				 struct uvfio_irq_vector *v)
{
	if (vector_masked(v) || v->trigger < 0 || !(v->pending || v->asserted))
		return;
	v->pending = false;
	vector_fire_locked(irq, v);
}

/* An index and vector the device may raise: -ENODEV, -EINVAL or 0. */
static int irq_check(struct uvfio_device *dev, unsigned int index,
		     unsigned int vector, struct uvfio_irq **irqp)
{
	if (!dev->realized)
		return -ENODEV;
	*irqp = irq_get(dev, index);
	if (!*irqp || vector >= (*irqp)->count)
		return -EINVAL;
	return 0;
}

int uvfio_device_irq_trigger(struct uvfio_device *dev, unsigned int index,
			     unsigned int vector)
{
	struct uvfio_irq *irq;
	int ret = irq_check(dev, index, vector, &irq);

	if (ret)
		return ret;
	pthread_mutex_lock(&dev->irq_lock);
	ret = vector < irq->nvec ? vector_fire_locked(irq, &irq->vec[vector]) :
				   UVFIO_IRQ_DROPPED;
	pthread_mutex_unlock(&dev->irq_lock);
	return ret;
}

int uvfio_device_irq_set_level(struct uvfio_device *dev, unsigned int index,
			       unsigned int vector, bool asserted)
{
	struct uvfio_irq_vector *v;
	struct uvfio_irq *irq;
	int ret = irq_check(dev, index, vector, &irq);

	if (ret)
		return ret;
	if (!(irq->flags & UVFIO_IRQ_INFO_AUTOMASKED))
		return -EINVAL;
	v = &irq->vec[vector];
	pthread_mutex_lock(&dev->irq_lock);
	v->asserted = asserted;
	if (asserted) {
		ret = vector < irq->nvec ? vector_fire_locked(irq, v) :
					   UVFIO_IRQ_DROPPED;
	} else {
		/* A deasserted line has nothing left to deliver. */
		v->pending = false;
		ret = 0;
	}
	pthread_mutex_unlock(&dev->irq_lock);
	return ret;
}

int uvfio_device_irq_mask(struct uvfio_device *dev, unsigned int index,
			  unsigned int vector, bool masked)
{
	struct uvfio_irq_vector *v;
	struct uvfio_irq *irq;
	int ret = irq_check(dev, index, vector, &irq);

	if (ret)
		return ret;
	v = &irq->vec[vector];
	pthread_mutex_lock(&dev->irq_lock);
	v->dev_masked = masked;
	if (!masked)
		vector_update_locked(irq, v);
	pthread_mutex_unlock(&dev->irq_lock);
	return 0;
}

int uvfio_device_irq_enabled(struct uvfio_device *dev, unsigned int index)
{
	struct uvfio_irq *irq;
	int nvec;

	if (!dev->realized)
		return -ENODEV;
	irq = irq_get(dev, index);
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

/*
 * Duplicate @fd if it is an eventfd: the kernel accepts nothing else
 * (eventfd_ctx_fdget() gives -EINVAL).  The check looks at our own copy,
 * so the descriptor cannot change between check and use.  Only /proc tells
 * an eventfd from the other anonymous-inode files (timerfd, signalfd, ...),
 * so without /proc every descriptor is refused with -EINVAL.
 */
static int dup_eventfd(int fd)
{
	static const char eventfd_link[] = "anon_inode:[eventfd]";
	char path[64], target[sizeof(eventfd_link) + 1];
	ssize_t n;
	int copy;

	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0)
		return -errno; /* EBADF: not an open descriptor */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", copy);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || (size_t)n != sizeof(eventfd_link) - 1 ||
	    memcmp(target, eventfd_link, (size_t)n)) {
		close(copy);
		return -EINVAL;
	}
	return copy;
}

/*
 * Make writes to @fd non-blocking.  An eventfd cannot be reopened through
 * /proc (ENXIO) and takes no RWF_NOWAIT, so the only way is O_NONBLOCK on
 * the open file description, which the caller's descriptor shares: the
 * caller's eventfd becomes non-blocking too (QEMU's already are).
 */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* dup_eventfd() and set_nonblock(): our own non-blocking eventfd. */
static int take_eventfd(int fd)
{
	int copy = dup_eventfd(fd);
	int ret;

	if (copy < 0)
		return copy;
	ret = set_nonblock(copy);
	if (ret) {
		close(copy);
		return ret;
	}
	return copy;
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
		ret = take_eventfd(fd);
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
	if (start + count > irq->nvec)
		irq->nvec = start + count;
	for (uint32_t i = 0; i < count; i++) {
		struct uvfio_irq_vector *v = &irq->vec[start + i];

		if (v->trigger >= 0)
			close(v->trigger);
		v->trigger = copies[i];
		/* A line the device still asserts fires once it has a
		 * trigger, as a level IRQ does when its handler comes. */
		vector_update_locked(irq, v);
	}
	pthread_mutex_unlock(&dev->irq_lock);
out:
	free(copies);
	return ret;
}

/* Replace (or, with -1, drop) the trigger of a single index.  irq_lock. */
static void single_set_trigger_locked(struct uvfio_irq *irq, int fd)
{
	struct uvfio_irq_vector *v = &irq->vec[0];

	if (v->trigger >= 0)
		close(v->trigger);
	v->trigger = fd;
	irq->nvec = fd >= 0;
}

/*
 * vfio_pci_set_ctx_trigger_single(), for ERR/REQ-style indexes.  The
 * validation already left start 0 and count <= 1 (the index has one
 * vector).  Caller holds the device lock.
 */
static int irq_single_action(struct uvfio_device *dev, struct uvfio_irq *irq,
			     const struct uvfio_irq_set *set)
{
	uint32_t data_type = set->flags & UVFIO_IRQ_SET_DATA_TYPE_MASK;
	struct uvfio_irq_vector *v = &irq->vec[0];
	int32_t fd;
	int ret = 0;

	if (data_type == UVFIO_IRQ_SET_DATA_EVENTFD) {
		if (!set->count)
			return -EINVAL;
		memcpy(&fd, set->data, sizeof(fd));
		if (fd < -1)
			return 0; /* the kernel ignores it, too */
		if (fd >= 0) {
			/* The old trigger stays if the new one is bad. */
			fd = take_eventfd(fd);
			if (fd < 0)
				return fd;
		}
		pthread_mutex_lock(&dev->irq_lock);
		single_set_trigger_locked(irq, fd);
		pthread_mutex_unlock(&dev->irq_lock);
		return 0;
	}

	pthread_mutex_lock(&dev->irq_lock);
	if (data_type == UVFIO_IRQ_SET_DATA_NONE) {
		/* count 1 signals, count 0 unbinds; nothing bound: -EINVAL */
		if (v->trigger < 0)
			ret = -EINVAL;
		else if (set->count)
			signal_eventfd(v->trigger);
		else
			single_set_trigger_locked(irq, -1);
	} else if (!set->count) { /* DATA_BOOL */
		ret = -EINVAL;
	} else if (set->data[0] && v->trigger >= 0) {
		signal_eventfd(v->trigger);
	}
	pthread_mutex_unlock(&dev->irq_lock);
	return ret;
}

static int irq_trigger_action(struct uvfio_device *dev, unsigned int index,
			      struct uvfio_irq *irq,
			      const struct uvfio_irq_set *set)
{
	uint32_t data_type = set->flags & UVFIO_IRQ_SET_DATA_TYPE_MASK;

	if (irq->single)
		return irq_single_action(dev, irq, set);
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

	/*
	 * Loopback: signal as if the hardware fired, ignoring the user's mask.
	 * A level (AUTOMASKED) vector the device masks stays silent, as
	 * vfio_send_intx_eventfd() does while virq_disabled.
	 */
	if (!irq->nvec)
		return -EINVAL;
	pthread_mutex_lock(&dev->irq_lock);
	for (uint32_t i = 0; i < set->count && set->start + i < irq->nvec;
	     i++) {
		struct uvfio_irq_vector *v = &irq->vec[set->start + i];

		if (v->trigger < 0 ||
		    (v->dev_masked && (irq->flags & UVFIO_IRQ_INFO_AUTOMASKED)))
			continue;
		if (data_type == UVFIO_IRQ_SET_DATA_NONE || set->data[i])
			signal_eventfd(v->trigger);
	}
	pthread_mutex_unlock(&dev->irq_lock);
	return 0;
}

/*
 * The user's MASK/UNMASK.  Unmasking clears only the user's mask: a vector
 * the device masks stays masked (vfio_pci_intx_unmask_handler() does
 * nothing while virq_disabled).
 */
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
	for (uint32_t i = 0; i < set->count && set->start + i < irq->nvec;
	     i++) {
		struct uvfio_irq_vector *v = &irq->vec[set->start + i];

		if (data_type != UVFIO_IRQ_SET_DATA_NONE && !set->data[i])
			continue;
		v->user_masked = masked;
		if (!masked)
			vector_update_locked(irq, v);
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
