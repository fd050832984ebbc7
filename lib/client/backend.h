/* SPDX-License-Identifier: MIT */
/*
 * What a backend of the client library provides.  uvfio_client_open()
 * picks one by the device's name; every public call goes through the
 * handle's ops.  A backend's handle embeds struct uvfio_client first.
 */
#ifndef UVFIO_CLIENT_BACKEND_H
#define UVFIO_CLIENT_BACKEND_H

#include <uvfio/client.h>

struct client_ops {
	void (*close)(struct uvfio_client *c);
	void (*get_caps)(struct uvfio_client *c,
			 struct uvfio_client_caps *caps);
	int (*device_info)(struct uvfio_client *c,
			   struct uvfio_device_info *info);
	int (*region_info)(struct uvfio_client *c, uint32_t index,
			   struct uvfio_region_info **info);
	int (*irq_info)(struct uvfio_client *c, struct uvfio_irq_info *info);
	int (*set_irqs)(struct uvfio_client *c,
			const struct uvfio_irq_set *set);
	int (*reset)(struct uvfio_client *c);
	int (*feature)(struct uvfio_client *c,
		       struct uvfio_device_feature *feature);
	ssize_t (*region_read)(struct uvfio_client *c, uint32_t index,
			       uint64_t offset, void *buf, size_t len);
	ssize_t (*region_write)(struct uvfio_client *c, uint32_t index,
				uint64_t offset, const void *buf, size_t len);
	int (*region_write_posted)(struct uvfio_client *c, uint32_t index,
				   uint64_t offset, const void *buf,
				   size_t len);
	/* Checked entries; -EOPNOTSUPP (nothing sent): one by one. */
	int (*region_write_multi)(struct uvfio_client *c,
				  const struct uvfio_region_write *writes,
				  unsigned int nr);
	int (*region_mmap)(struct uvfio_client *c, uint32_t index,
			   uint64_t offset, uint64_t size, int prot,
			   void **addr);
	int (*dma_map)(struct uvfio_client *c, uint64_t iova, uint64_t size,
		       uint32_t prot, int fd, uint64_t fd_offset, void *vaddr);
	int (*dma_unmap)(struct uvfio_client *c, uint64_t iova, uint64_t size);
	int (*dma_unmap_all)(struct uvfio_client *c);
	/* NULL: the IOMMU cannot track dirty pages (-EOPNOTSUPP). */
	int (*dirty_pages)(struct uvfio_client *c, uint32_t flags,
			   uint64_t iova, uint64_t size, uint64_t pgsize,
			   uint64_t *bitmap);
	int (*mig_set_state)(struct uvfio_client *c,
			     enum uvfio_device_mig_state state);
	ssize_t (*mig_read)(struct uvfio_client *c, void *buf, size_t len);
	ssize_t (*mig_write)(struct uvfio_client *c, const void *buf,
			     size_t len);
	int (*mig_data_fd)(struct uvfio_client *c, int *fd);
	/* NULL: the transport cannot ask (-EOPNOTSUPP). */
	int (*mig_precopy_info)(struct uvfio_client *c,
				struct uvfio_precopy_info *info);
};

struct uvfio_client {
	const struct client_ops *ops;
};

/*
 * A DEVICE_FEATURE call with @len (at most 16) bytes of payload, copied
 * back on success.
 */
int client_feature(struct uvfio_client *c, uint32_t flags, void *payload,
		   size_t len);

/*
 * Record why an open failed, for uvfio_client_open_error(); returns
 * -@err for the caller to pass on.
 */
int client_open_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The backends' constructors: NULL with errno set. */
struct uvfio_client *vu_client_open(const char *path,
				    const struct uvfio_client_opts *opts);
struct uvfio_client *kvfio_client_open(const char *name,
				       const struct uvfio_client_opts *opts);

#endif /* UVFIO_CLIENT_BACKEND_H */
