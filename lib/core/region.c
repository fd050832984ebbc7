// SPDX-License-Identifier: MIT
/*
 * Regions: configuration, shared memory, bounds-checked access and
 * VFIO_DEVICE_GET_REGION_INFO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device-internal.h"

#define REGION_RW_FLAGS \
	(UVFIO_REGION_INFO_FLAG_READ | UVFIO_REGION_INFO_FLAG_WRITE)
#define REGION_DESC_FLAGS (REGION_RW_FLAGS | UVFIO_REGION_INFO_FLAG_MMAP)
#define MAX_SPARSE_AREAS 256

static struct uvfio_region *region_get(struct uvfio_device *dev,
				       unsigned int index)
{
	if (index >= dev->nr_region_slots || !dev->regions[index].present)
		return NULL;
	return &dev->regions[index];
}

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * A sealed memfd: the client that maps it cannot shrink it under us (which
 * would turn our own accesses into SIGBUS) nor grow it.
 */
static int region_alloc_memory(struct uvfio_device *dev, unsigned int index,
			       struct uvfio_region *r)
{
	uint64_t len = (r->size + page_size() - 1) & ~(page_size() - 1);
	char name[96];
	int ret;

	if (len < r->size || len > SIZE_MAX)
		return -E2BIG;
	snprintf(name, sizeof(name), "uvfio:%s:region%u", dev->name, index);
	r->mem_fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->mem_fd < 0)
		return -errno;
	if (ftruncate(r->mem_fd, (off_t)len) ||
	    fcntl(r->mem_fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		ret = -errno;
		goto fail;
	}
	r->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_NORESERVE, r->mem_fd, 0);
	if (r->mem == MAP_FAILED) {
		ret = -errno;
		r->mem = NULL;
		goto fail;
	}
	r->mem_len = len;
	return 0;
fail:
	uvfio_err(dev, "region %u: cannot allocate %llu bytes of memory: %s",
		  index, (unsigned long long)r->size, strerror(-ret));
	close(r->mem_fd);
	r->mem_fd = -1;
	return ret;
}

int uvfio_device_add_region(struct uvfio_device *dev, unsigned int index,
			    const struct uvfio_region_desc *desc)
{
	unsigned int old_slots;
	struct uvfio_region *r;
	int ret;

	if (dev->realized)
		return -EBUSY;
	if (!desc || index >= UVFIO_MAX_REGIONS)
		return -EINVAL;
	if (region_get(dev, index))
		return -EEXIST;
	if (desc->size == 0 || (desc->flags & ~REGION_DESC_FLAGS) ||
	    !(desc->flags & REGION_RW_FLAGS) ||
	    (!desc->has_memory &&
	     (!desc->access || (desc->flags & UVFIO_REGION_INFO_FLAG_MMAP)))) {
		uvfio_err(dev, "region %u: size 0x%llx flags 0x%x%s%s: invalid",
			  index, (unsigned long long)desc->size, desc->flags,
			  desc->access ? " access" : "",
			  desc->has_memory ? " memory" : "");
		return -EINVAL;
	}
	old_slots = dev->nr_region_slots;
	ret = uvfio_grow_slots((void **)&dev->regions, &dev->nr_region_slots,
			       index, sizeof(*dev->regions));
	if (ret)
		return ret;
	r = &dev->regions[index];
	r->size = desc->size;
	r->flags = desc->flags;
	r->access = desc->access;
	r->mem_fd = -1;
	uvfio_capchain_init(&r->caps, UVFIO_MAX_REGION_CAPS_SIZE);
	if (desc->has_memory) {
		ret = region_alloc_memory(dev, index, r);
		if (ret) {
			/* Leave no trace: num_regions must not count it. */
			memset(r, 0, sizeof(*r));
			dev->nr_region_slots = old_slots;
			return ret;
		}
	}
	r->present = true;
	return 0;
}

int uvfio_region_add_sparse_area(struct uvfio_device *dev, unsigned int index,
				 uint64_t offset, uint64_t size)
{
	struct uvfio_region *r = region_get(dev, index);
	struct uvfio_region_sparse_mmap_area *areas;

	if (dev->realized)
		return -EBUSY;
	if (!r || !(r->flags & UVFIO_REGION_INFO_FLAG_MMAP) || !size ||
	    (offset | size) & (page_size() - 1) || offset >= r->size ||
	    size > r->size - offset) {
		uvfio_err(dev, "region %u: sparse area 0x%llx+0x%llx invalid",
			  index, (unsigned long long)offset,
			  (unsigned long long)size);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < r->nr_areas; i++) {
		const struct uvfio_region_sparse_mmap_area *a = &r->areas[i];

		if (offset < a->offset + a->size && a->offset < offset + size)
			return -EINVAL;
	}
	if (r->nr_areas == MAX_SPARSE_AREAS)
		return -ENOSPC;
	areas = realloc(r->areas, (r->nr_areas + 1) * sizeof(*areas));
	if (!areas)
		return -ENOMEM;
	areas[r->nr_areas].offset = offset;
	areas[r->nr_areas].size = size;
	r->areas = areas;
	r->nr_areas++;
	return 0;
}

int uvfio_region_add_cap(struct uvfio_device *dev, unsigned int index,
			 uint16_t id, uint16_t version, const void *body,
			 size_t len)
{
	struct uvfio_region *r = region_get(dev, index);

	if (dev->realized)
		return -EBUSY;
	if (!r || (len && !body))
		return -EINVAL;
	return uvfio_capchain_add(&r->caps, id, version, body, len);
}

int uvfio_region_set_type(struct uvfio_device *dev, unsigned int index,
			  uint32_t type, uint32_t subtype)
{
	struct uvfio_region_info_cap_type cap = { .type = type,
						  .subtype = subtype };
	const size_t hdr = sizeof(cap.header);

	return uvfio_region_add_cap(dev, index, UVFIO_REGION_INFO_CAP_TYPE, 1,
				    (uint8_t *)&cap + hdr, sizeof(cap) - hdr);
}

/*
 * Remove the last capability of @c, the one that uvfio_regions_realize()
 * appended.  Chain offsets are relative to the chain's start; the previous
 * capability is the one whose next points at the last.
 */
static void capchain_drop_last(struct uvfio_capchain *c)
{
	struct uvfio_info_cap_header hdr;
	size_t off = 0;

	if (!c->last) {
		c->size = 0;
		return;
	}
	for (;;) {
		memcpy(&hdr, c->buf + off, sizeof(hdr));
		if (hdr.next == c->last)
			break;
		off = hdr.next;
	}
	hdr.next = 0;
	memcpy(c->buf + off, &hdr, sizeof(hdr));
	c->size = c->last;
	c->last = off;
}

/* Undo uvfio_regions_realize() for regions below @end. */
static void regions_unrealize(struct uvfio_device *dev, unsigned int end)
{
	for (unsigned int i = 0; i < end; i++) {
		struct uvfio_region *r = &dev->regions[i];

		if (r->present && r->nr_areas)
			capchain_drop_last(&r->caps);
	}
}

/*
 * Append the SPARSE_MMAP capability of each region that has areas.  All or
 * nothing, so that a failed realize can be retried.
 */
int uvfio_regions_realize(struct uvfio_device *dev)
{
	for (unsigned int i = 0; i < dev->nr_region_slots; i++) {
		struct uvfio_region *r = &dev->regions[i];
		struct uvfio_region_info_cap_sparse_mmap *cap;
		const size_t hdr = sizeof(cap->header);
		size_t len;
		int ret;

		if (!r->present || !r->nr_areas)
			continue;
		len = sizeof(*cap) + r->nr_areas * sizeof(cap->areas[0]);
		cap = calloc(1, len);
		if (!cap) {
			regions_unrealize(dev, i);
			return -ENOMEM;
		}
		cap->nr_areas = r->nr_areas;
		memcpy(cap->areas, r->areas,
		       r->nr_areas * sizeof(cap->areas[0]));
		ret = uvfio_capchain_add(&r->caps,
					 UVFIO_REGION_INFO_CAP_SPARSE_MMAP, 1,
					 (uint8_t *)cap + hdr, len - hdr);
		free(cap);
		if (ret) {
			uvfio_err(dev, "region %u: capabilities too large", i);
			regions_unrealize(dev, i);
			return ret;
		}
	}
	return 0;
}

void uvfio_regions_release(struct uvfio_device *dev)
{
	for (unsigned int i = 0; i < dev->nr_region_slots; i++) {
		struct uvfio_region *r = &dev->regions[i];

		if (!r->present)
			continue;
		if (r->mem)
			munmap(r->mem, r->mem_len);
		if (r->mem_fd >= 0)
			close(r->mem_fd);
		free(r->areas);
		uvfio_capchain_release(&r->caps);
	}
	free(dev->regions);
	dev->regions = NULL;
	dev->nr_region_slots = 0;
}

int uvfio_device_get_region_info(struct uvfio_device *dev,
				 struct uvfio_region_info *info)
{
	struct uvfio_region_info out = { 0 };
	unsigned int num_regions;
	struct uvfio_region *r;

	if (!info)
		return -EFAULT;
	if (!dev->realized)
		return -ENODEV;
	if (info->argsz < sizeof(out))
		return -EINVAL;
	num_regions = dev->num_regions > dev->nr_region_slots ?
			      dev->num_regions :
			      dev->nr_region_slots;
	if (info->index >= num_regions)
		return -EINVAL;

	out.argsz = info->argsz;
	out.index = info->index;
	out.offset = (uint64_t)info->index << UVFIO_PCI_OFFSET_SHIFT;
	r = region_get(dev, info->index);
	if (r) {
		out.size = r->size;
		out.flags = r->flags;
		if (uvfio_capchain_emit(&r->caps, info, sizeof(out), &out.argsz,
					&out.cap_offset))
			out.flags |= UVFIO_REGION_INFO_FLAG_CAPS;
	}
	memcpy(info, &out, sizeof(out));
	return 0;
}

ssize_t uvfio_device_region_access(struct uvfio_device *dev, unsigned int index,
				   uint64_t offset, void *buf, size_t len,
				   bool is_write)
{
	uint32_t need = is_write ? UVFIO_REGION_INFO_FLAG_WRITE :
				   UVFIO_REGION_INFO_FLAG_READ;
	struct uvfio_region *r;
	ssize_t ret;

	if (!dev->realized)
		return -ENODEV;
	r = region_get(dev, index);
	if (!r || !(r->flags & need) || len == 0 || len > SSIZE_MAX ||
	    offset >= r->size || len > r->size - offset)
		return -EINVAL;
	if (!buf)
		return -EFAULT;

	pthread_mutex_lock(&dev->lock);
	if (r->access) {
		ret = r->access(dev, index, offset, buf, len, is_write);
		if (ret > (ssize_t)len) {
			uvfio_err(
				dev,
				"region %u: access callback returned %zd for %zu bytes",
				index, ret, len);
			ret = -EIO;
		}
	} else {
		if (is_write)
			memcpy((uint8_t *)r->mem + offset, buf, len);
		else
			memcpy(buf, (uint8_t *)r->mem + offset, len);
		ret = (ssize_t)len;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void *uvfio_region_memory(struct uvfio_device *dev, unsigned int index)
{
	/* Also before realize: a driver fills its memory while configuring. */
	struct uvfio_region *r = region_get(dev, index);

	return r ? r->mem : NULL;
}

int uvfio_region_memory_fd(struct uvfio_device *dev, unsigned int index)
{
	struct uvfio_region *r;

	if (!dev->realized)
		return -ENODEV;
	r = region_get(dev, index);
	return r && r->mem_fd >= 0 ? r->mem_fd : -ENOENT;
}
