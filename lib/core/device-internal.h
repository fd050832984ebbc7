/* SPDX-License-Identifier: MIT */
/*
 * The device core's private state, shared by the files of lib/core/.
 */
#ifndef UVFIO_CORE_DEVICE_INTERNAL_H
#define UVFIO_CORE_DEVICE_INTERNAL_H

#include <pthread.h>

#include <uvfio/device.h>
#include <uvfio/dma.h>

#include "capchain.h"

struct uvfio_region {
	bool present;
	uint64_t size;
	uint32_t flags;
	uvfio_region_access_fn access;
	int mem_fd; /* -1 without memory */
	void *mem;
	size_t mem_len; /* mapped length, page-rounded */
	struct uvfio_region_sparse_mmap_area *areas;
	unsigned int nr_areas;
	struct uvfio_capchain caps;
};

/*
 * One vector.  Two masks, as the kernel keeps ctx->masked and virq_disabled
 * apart: the user's (SET_IRQS MASK, and AUTOMASKED after each delivery) and
 * the device's (uvfio_device_irq_mask(), e.g. Command.INTX_DISABLE).  An
 * interrupt is delivered only while neither is set.  Disabling the index
 * clears the user's mask and an edge left pending, not the device's mask
 * nor the level of the line: both are device state.
 */
struct uvfio_irq_vector {
	int trigger; /* our dup of the user's eventfd (O_NONBLOCK), or -1 */
	bool user_masked; /* SET_IRQS MASK, or AUTOMASKED after a delivery */
	bool dev_masked;  /* uvfio_device_irq_mask() */
	bool pending;	  /* raised while masked: delivered on unmask */
	bool asserted;	  /* level set by uvfio_device_irq_set_level() */
};

struct uvfio_irq {
	bool present;
	/* vfio_pci_set_ctx_trigger_single() rules (ERR, REQ): one vector,
	 * bound or not, no enable state of its own */
	bool single;
	uint32_t count;
	uint32_t flags;
	/* enabled vectors; 0 = index disabled (single: 1 while bound) */
	uint32_t nvec;
	struct uvfio_irq_vector *vec;
};

struct uvfio_feature_entry {
	uint16_t feature;
	uint32_t ops;
	size_t minsz;
	uvfio_feature_fn fn;
	void *opaque;
};

struct uvfio_device {
	char *name;
	const struct uvfio_device_ops *ops;
	void *priv;
	bool realized;
	bool hide_reset_flag;
	/* Transports serving the device, with DEVICE_GOING once it may not
	 * be served any more (atomic; see uvfio_device_hold()). */
	unsigned int holders;

	uint32_t flags;
	unsigned int num_regions; /* override, 0 = derived */
	unsigned int num_irqs;
	struct uvfio_capchain info_caps;
	struct uvfio_dma *dma;
	/* The migration layer's, if the device migrates (lib/migration/). */
	struct uvfio_migration *mig;
	void (*mig_reset)(struct uvfio_device *dev);
	void (*mig_release)(struct uvfio_device *dev);
	void (*dirty_release)(struct uvfio_device *dev);

	struct uvfio_region *regions;
	unsigned int nr_region_slots;
	struct uvfio_irq *irqs;
	unsigned int nr_irq_slots;
	struct uvfio_feature_entry *features;
	unsigned int nr_features;

	/* Serializes device callbacks; taken before irq_lock. */
	pthread_mutex_t lock;
	/* Protects the irq vectors; never held across a callback. */
	pthread_mutex_t irq_lock;

	uvfio_log_fn log_fn;
	void *log_opaque;
	enum uvfio_log_level log_level;
};

/* region.c */
void uvfio_regions_release(struct uvfio_device *dev);
int uvfio_regions_realize(struct uvfio_device *dev);

/* irq.c */
void uvfio_irqs_release(struct uvfio_device *dev);

/* log.c */
void uvfio_log_init(struct uvfio_device *dev);

/*
 * Grow a slot array to hold index @index, zero-filling new slots.  Returns
 * 0 or -ENOMEM.
 */
int uvfio_grow_slots(void **array, unsigned int *nr, unsigned int index,
		     size_t elem_size);

/*
 * A transport serves @dev from now on (uvfio_server_add_device): 0, or
 * -ENODEV once the device is going.  Its owner ends the holds first.
 */
#define DEVICE_GOING 0x80000000u
int uvfio_device_hold(struct uvfio_device *dev);
void uvfio_device_unhold(struct uvfio_device *dev);
/*
 * The device's owner wants it gone (an SR-IOV VF being disabled): true,
 * and holds refused from now on, if nothing holds it; else false.
 * uvfio_device_ungo() undoes it.
 */
bool uvfio_device_going(struct uvfio_device *dev);
void uvfio_device_ungo(struct uvfio_device *dev);

/* The open of a device that is neither an SR-IOV PF nor a VF: no token. */
int device_open_plain(struct uvfio_device *dev, const uint8_t *vf_token);

#endif /* UVFIO_CORE_DEVICE_INTERNAL_H */
