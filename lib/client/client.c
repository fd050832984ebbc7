// SPDX-License-Identifier: MIT
/*
 * The client library's front: the device's name picks the backend
 * (vfio-user socket or the kernel's VFIO), and every call goes to it.
 * What only needs DEVICE_FEATURE is done here, once for both.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"

static __thread char open_error[512];

int client_open_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(open_error, sizeof(open_error), fmt, ap);
	va_end(ap);
	return -err;
}

const char *uvfio_client_open_error(void)
{
	return open_error[0] ? open_error : NULL;
}

struct uvfio_client *uvfio_client_open(const char *name,
				       const struct uvfio_client_opts *opts)
{
	open_error[0] = 0;
	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	if (!strncmp(name, "vfio:", 5) || !strncmp(name, "mdev:", 5))
		return kvfio_client_open(name, opts);
	return vu_client_open(strncmp(name, "unix:", 5) ? name : name + 5,
			      opts);
}

void uvfio_client_close(struct uvfio_client *c)
{
	if (c)
		c->ops->close(c);
}

void uvfio_client_get_caps(struct uvfio_client *c,
			   struct uvfio_client_caps *caps)
{
	c->ops->get_caps(c, caps);
}

int uvfio_client_device_info(struct uvfio_client *c,
			     struct uvfio_device_info *info)
{
	return c->ops->device_info(c, info);
}

int uvfio_client_region_info(struct uvfio_client *c, uint32_t index,
			     struct uvfio_region_info **info)
{
	return c->ops->region_info(c, index, info);
}

int uvfio_client_irq_info(struct uvfio_client *c, struct uvfio_irq_info *info)
{
	return c->ops->irq_info(c, info);
}

int uvfio_client_set_irqs(struct uvfio_client *c,
			  const struct uvfio_irq_set *set)
{
	return c->ops->set_irqs(c, set);
}

int uvfio_client_reset(struct uvfio_client *c)
{
	return c->ops->reset(c);
}

int uvfio_client_feature(struct uvfio_client *c,
			 struct uvfio_device_feature *feature)
{
	return c->ops->feature(c, feature);
}

ssize_t uvfio_client_region_read(struct uvfio_client *c, uint32_t index,
				 uint64_t offset, void *buf, size_t len)
{
	return c->ops->region_read(c, index, offset, buf, len);
}

ssize_t uvfio_client_region_write(struct uvfio_client *c, uint32_t index,
				  uint64_t offset, const void *buf, size_t len)
{
	return c->ops->region_write(c, index, offset, buf, len);
}

int uvfio_client_region_write_posted(struct uvfio_client *c, uint32_t index,
				     uint64_t offset, const void *buf,
				     size_t len)
{
	return c->ops->region_write_posted(c, index, offset, buf, len);
}

int uvfio_client_region_write_multi(struct uvfio_client *c,
				    const struct uvfio_region_write *writes,
				    unsigned int nr)
{
	int ret = -EOPNOTSUPP;

	for (unsigned int i = 0; i < nr; i++)
		if (!writes[i].len || writes[i].len > sizeof(writes[i].data))
			return -EINVAL;
	if (c->ops->region_write_multi)
		ret = c->ops->region_write_multi(c, writes, nr);
	if (ret != -EOPNOTSUPP)
		return ret;
	for (unsigned int i = 0; i < nr; i++) {
		const struct uvfio_region_write *w = &writes[i];

		ret = c->ops->region_write_posted(c, w->index, w->offset,
						  w->data, w->len);
		if (ret)
			return ret;
	}
	return 0;
}

int uvfio_client_region_mmap(struct uvfio_client *c, uint32_t index,
			     uint64_t offset, uint64_t size, int prot,
			     void **addr)
{
	return c->ops->region_mmap(c, index, offset, size, prot, addr);
}

int uvfio_client_dma_map(struct uvfio_client *c, uint64_t iova, uint64_t size,
			 uint32_t prot, int fd, uint64_t fd_offset, void *vaddr)
{
	return c->ops->dma_map(c, iova, size, prot, fd, fd_offset, vaddr);
}

int uvfio_client_dma_unmap(struct uvfio_client *c, uint64_t iova, uint64_t size)
{
	return c->ops->dma_unmap(c, iova, size);
}

int uvfio_client_dma_unmap_all(struct uvfio_client *c)
{
	return c->ops->dma_unmap_all(c);
}

static int dirty_pages(struct uvfio_client *c, uint32_t flags, uint64_t iova,
		       uint64_t size, uint64_t pgsize, uint64_t *bitmap)
{
	if (!c->ops->dirty_pages)
		return -EOPNOTSUPP;
	return c->ops->dirty_pages(c, flags, iova, size, pgsize, bitmap);
}

int uvfio_client_dirty_start(struct uvfio_client *c)
{
	return dirty_pages(c, UVFIO_IOMMU_DIRTY_PAGES_FLAG_START, 0, 0, 0,
			   NULL);
}

int uvfio_client_dirty_stop(struct uvfio_client *c)
{
	return dirty_pages(c, UVFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 0, 0, 0, NULL);
}

int uvfio_client_dirty_bitmap(struct uvfio_client *c, uint64_t iova,
			      uint64_t size, uint64_t pgsize, uint64_t *bitmap)
{
	return dirty_pages(c, UVFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova,
			   size, pgsize, bitmap);
}

/* ---- migration ---- */

int client_feature(struct uvfio_client *c, uint32_t flags, void *payload,
		   size_t len)
{
	/* Bytes, not the header struct: it ends in a flexible array. */
	uint8_t buf[sizeof(struct uvfio_device_feature) + 16];
	struct uvfio_device_feature hdr = {
		.argsz = (uint32_t)(sizeof(hdr) + len),
		.flags = flags,
	};
	int ret;

	if (len > sizeof(buf) - sizeof(hdr))
		return -EINVAL;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	ret = c->ops->feature(c, (struct uvfio_device_feature *)buf);
	if (!ret)
		memcpy(payload, buf + sizeof(hdr), len);
	return ret;
}

static int get_u64(struct uvfio_client *c, uint32_t feat, uint64_t *out)
{
	/* A GET carries its payload to the device: zeros, not our stack. */
	*out = 0;
	return client_feature(c, feat | UVFIO_DEVICE_FEATURE_GET, out,
			      sizeof(*out));
}

int uvfio_client_mig_flags(struct uvfio_client *c, uint64_t *flags)
{
	return get_u64(c, UVFIO_DEVICE_FEATURE_MIGRATION, flags);
}

int uvfio_client_mig_data_size(struct uvfio_client *c, uint64_t *bytes)
{
	return get_u64(c, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE, bytes);
}

int uvfio_client_mig_get_state(struct uvfio_client *c,
			       enum uvfio_device_mig_state *state)
{
	struct uvfio_device_feature_mig_state st = { .data_fd = -1 };
	int ret = client_feature(c,
				 UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
					 UVFIO_DEVICE_FEATURE_GET,
				 &st, sizeof(st));

	if (!ret)
		*state = st.device_state;
	return ret;
}

int uvfio_client_mig_set_state(struct uvfio_client *c,
			       enum uvfio_device_mig_state state)
{
	return c->ops->mig_set_state(c, state);
}

ssize_t uvfio_client_mig_read(struct uvfio_client *c, void *buf, size_t len)
{
	return c->ops->mig_read(c, buf, len);
}

ssize_t uvfio_client_mig_write(struct uvfio_client *c, const void *buf,
			       size_t len)
{
	return c->ops->mig_write(c, buf, len);
}

int uvfio_client_mig_data_fd(struct uvfio_client *c, int *fd)
{
	return c->ops->mig_data_fd(c, fd);
}

int uvfio_client_mig_precopy_info(struct uvfio_client *c,
				  struct uvfio_precopy_info *info)
{
	if (!c->ops->mig_precopy_info)
		return -EOPNOTSUPP;
	return c->ops->mig_precopy_info(c, info);
}
