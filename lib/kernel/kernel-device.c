// SPDX-License-Identifier: MIT
/*
 * The kernel backend's device calls: the VFIO device ioctls on the
 * device fd, and region access with pread/pwrite/mmap at the offset
 * GET_REGION_INFO gave for the region.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel-internal.h"

int kvfio_device_info(struct uvfio_client *pub, struct uvfio_device_info *info)
{
	struct kvfio_client *k = to_kvfio(pub);
	struct uvfio_device_info di = { .argsz = sizeof(di) };

	if (ioctl(k->device, UVFIO_DEVICE_GET_INFO, &di))
		return -errno;
	/* As the vfio-user backend: no capability chain through this call. */
	*info = (struct uvfio_device_info){
		.argsz = sizeof(*info),
		.flags = di.flags & ~UVFIO_DEVICE_FLAGS_CAPS,
		.num_regions = di.num_regions,
		.num_irqs = di.num_irqs,
	};
	return 0;
}

static void remember(struct kvfio_client *k, const struct uvfio_region_info *ri)
{
	if (ri->index >= KVFIO_MAX_REGIONS)
		return;
	pthread_mutex_lock(&k->lock);
	k->region[ri->index] = (struct kvfio_region){
		.known = true,
		.flags = ri->flags,
		.offset = ri->offset,
		.size = ri->size,
	};
	pthread_mutex_unlock(&k->lock);
}

int kvfio_region_info(struct uvfio_client *pub, uint32_t index,
		      struct uvfio_region_info **info)
{
	struct kvfio_client *k = to_kvfio(pub);
	uint32_t argsz = sizeof(struct uvfio_region_info);

	/* The kernel says how much the capability chain needs: ask again
	 * with that much (twice at most, in case it grew). */
	for (int tries = 0; tries < 3; tries++) {
		struct uvfio_region_info *ri = calloc(1, argsz);

		if (!ri)
			return -ENOMEM;
		ri->argsz = argsz;
		ri->index = index;
		if (ioctl(k->device, UVFIO_DEVICE_GET_REGION_INFO, ri)) {
			int ret = -errno;

			free(ri);
			return ret;
		}
		if (ri->argsz <= argsz) {
			remember(k, ri);
			*info = ri;
			return 0;
		}
		argsz = ri->argsz;
		free(ri);
	}
	return -EPROTO;
}

int kvfio_irq_info(struct uvfio_client *pub, struct uvfio_irq_info *info)
{
	struct kvfio_client *k = to_kvfio(pub);

	info->argsz = sizeof(*info);
	return ioctl(k->device, UVFIO_DEVICE_GET_IRQ_INFO, info) ? -errno : 0;
}

int kvfio_set_irqs(struct uvfio_client *pub, const struct uvfio_irq_set *set)
{
	struct kvfio_client *k = to_kvfio(pub);

	return ioctl(k->device, UVFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

int kvfio_reset(struct uvfio_client *pub)
{
	struct kvfio_client *k = to_kvfio(pub);

	if (ioctl(k->device, UVFIO_DEVICE_RESET))
		return -errno;
	/* The device is RUNNING again: its session's fd is dead. */
	kvfio_mig_forget(k);
	return 0;
}

int kvfio_feature(struct uvfio_client *pub,
		  struct uvfio_device_feature *feature)
{
	struct kvfio_client *k = to_kvfio(pub);

	return ioctl(k->device, UVFIO_DEVICE_FEATURE, feature) ? -errno : 0;
}

/* ---- region access ---- */

/* The region's file offset, after checking [@off, @off + @len) is in it. */
static int locate(struct kvfio_client *k, uint32_t index, uint64_t off,
		  uint64_t len, uint32_t need, struct kvfio_region *out)
{
	if (index >= KVFIO_MAX_REGIONS)
		return -EINVAL;
	pthread_mutex_lock(&k->lock);
	*out = k->region[index];
	pthread_mutex_unlock(&k->lock);
	if (!out->known) {
		struct uvfio_region_info *ri;
		int ret = kvfio_region_info(&k->pub, index, &ri);

		if (ret)
			return ret;
		free(ri);
		pthread_mutex_lock(&k->lock);
		*out = k->region[index];
		pthread_mutex_unlock(&k->lock);
	}
	if ((out->flags & need) != need)
		return -EINVAL;
	if (off > out->size || len > out->size - off ||
	    out->offset > (uint64_t)INT64_MAX - out->size)
		return -EINVAL;
	return 0;
}

static ssize_t region_rw(struct kvfio_client *k, uint32_t index,
			 uint64_t offset, void *buf, size_t len, bool is_write)
{
	struct kvfio_region r;
	size_t done = 0;
	int ret = locate(k, index, offset, len,
			 is_write ? UVFIO_REGION_INFO_FLAG_WRITE :
				    UVFIO_REGION_INFO_FLAG_READ,
			 &r);

	while (!ret && done < len) {
		off_t pos = (off_t)(r.offset + offset + done);
		uint8_t *p = (uint8_t *)buf + done;
		ssize_t n = is_write ? pwrite(k->device, p, len - done, pos) :
				       pread(k->device, p, len - done, pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return ret ? ret : (ssize_t)len;
}

ssize_t kvfio_region_read(struct uvfio_client *pub, uint32_t index,
			  uint64_t offset, void *buf, size_t len)
{
	return region_rw(to_kvfio(pub), index, offset, buf, len, false);
}

ssize_t kvfio_region_write(struct uvfio_client *pub, uint32_t index,
			   uint64_t offset, const void *buf, size_t len)
{
	/* Not written through: pwrite() only reads the buffer. */
	return region_rw(to_kvfio(pub), index, offset, (void *)buf, len, true);
}

int kvfio_region_write_posted(struct uvfio_client *pub, uint32_t index,
			      uint64_t offset, const void *buf, size_t len)
{
	/* A pwrite is as cheap as it gets here: no reply to skip. */
	ssize_t n = kvfio_region_write(pub, index, offset, buf, len);

	return n < 0 ? (int)n : 0;
}

int kvfio_region_mmap(struct uvfio_client *pub, uint32_t index, uint64_t offset,
		      uint64_t size, int prot, void **addr)
{
	struct kvfio_client *k = to_kvfio(pub);
	struct kvfio_region r;
	int ret =
		locate(k, index, offset, size, UVFIO_REGION_INFO_FLAG_MMAP, &r);
	void *p;

	if (ret)
		return ret;
	if (!size)
		return -EINVAL;
	/* The kernel refuses what lies outside the region's sparse areas. */
	p = mmap(NULL, size, prot, MAP_SHARED, k->device,
		 (off_t)(r.offset + offset));
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}
