/* SPDX-License-Identifier: MIT */
/*
 * The client library's kernel backend: a device of the kernel's VFIO
 * opened through the legacy group/container uAPI (/dev/vfio/N and a
 * type1 container of its own).  Shared by the files of lib/kernel.
 */
#ifndef UVFIO_KERNEL_INTERNAL_H
#define UVFIO_KERNEL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "../client/backend.h"

#define KVFIO_MAX_REGIONS 64

/* What GET_REGION_INFO said, remembered for reads, writes and mmap. */
struct kvfio_region {
	bool known;
	uint32_t flags;
	uint64_t offset, size;
};

struct kvfio_client {
	struct uvfio_client pub; /* first: the handle callers hold */
	int container, group, device;
	bool unmap_all; /* the container has VFIO_UNMAP_ALL */
	uint32_t dma_avail;

	pthread_mutex_t lock; /* guards region[] */
	struct kvfio_region region[KVFIO_MAX_REGIONS];

	/* Guards data_fd; held across a state change and each data call. */
	pthread_mutex_t mig_lock;
	int data_fd; /* the migration session's, or -1 */
};

static inline struct kvfio_client *to_kvfio(struct uvfio_client *pub)
{
	return (struct kvfio_client *)pub;
}

/* kernel-device.c */
int kvfio_device_info(struct uvfio_client *pub, struct uvfio_device_info *info);
int kvfio_region_info(struct uvfio_client *pub, uint32_t index,
		      struct uvfio_region_info **info);
int kvfio_irq_info(struct uvfio_client *pub, struct uvfio_irq_info *info);
int kvfio_set_irqs(struct uvfio_client *pub, const struct uvfio_irq_set *set);
int kvfio_reset(struct uvfio_client *pub);
int kvfio_feature(struct uvfio_client *pub,
		  struct uvfio_device_feature *feature);
ssize_t kvfio_region_read(struct uvfio_client *pub, uint32_t index,
			  uint64_t offset, void *buf, size_t len);
ssize_t kvfio_region_write(struct uvfio_client *pub, uint32_t index,
			   uint64_t offset, const void *buf, size_t len);
int kvfio_region_write_posted(struct uvfio_client *pub, uint32_t index,
			      uint64_t offset, const void *buf, size_t len);
int kvfio_region_mmap(struct uvfio_client *pub, uint32_t index, uint64_t offset,
		      uint64_t size, int prot, void **addr);

/* kernel-mig.c */
/* End the session, if any (a reset ends it in the kernel too). */
void kvfio_mig_forget(struct kvfio_client *k);
int kvfio_mig_set_state(struct uvfio_client *pub,
			enum uvfio_device_mig_state state);
ssize_t kvfio_mig_read(struct uvfio_client *pub, void *buf, size_t len);
ssize_t kvfio_mig_write(struct uvfio_client *pub, const void *buf, size_t len);
int kvfio_mig_data_fd(struct uvfio_client *pub, int *fd);
int kvfio_mig_precopy_info(struct uvfio_client *pub,
			   struct uvfio_precopy_info *info);

#endif /* UVFIO_KERNEL_INTERNAL_H */
