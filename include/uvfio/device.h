/* SPDX-License-Identifier: MIT */
/*
 * The uvfio device core: a VFIO device in user space.
 *
 * A device is what a VFIO device fd gives a VMM: regions, interrupts, reset,
 * the device-feature multiplexer and an info ioctl with capability chains.
 * The device driver (a "variant driver" in kernel terms) supplies callbacks;
 * the core validates every request exactly as the kernel's vfio core and
 * vfio-pci do before a callback sees it.
 *
 * Lifetime:
 *   uvfio_device_new()          create, unconfigured
 *   uvfio_device_add_*() ...    configure (single-threaded)
 *   uvfio_device_realize()      freeze the configuration
 *   uvfio_device_get_*(), uvfio_device_region_access(), uvfio_device_set_irqs(),
 *   uvfio_device_feature(), uvfio_device_reset(), uvfio_device_irq_*(),
 *   uvfio_region_memory_fd()
 *                               use, from any thread; -ENODEV before realize
 *   uvfio_device_destroy()      release everything
 *
 * Thread-safety: configuration calls are not thread-safe and fail with
 * -EBUSY after realize.  Every call of the "use" phase is thread-safe.  The
 * core serializes all device callbacks (region access, reset, irq_enable,
 * feature handlers) under one per-device lock, so a device needs no locking
 * of its own unless it runs threads; those take the same lock with
 * uvfio_device_lock().
 *
 * With the device lock held (inside a callback, or after uvfio_device_lock())
 * these may be called: uvfio_device_irq_trigger(), _irq_set_level(),
 * _irq_mask(), _irq_enabled(), the uvfio_device_get_*() calls,
 * uvfio_region_memory(_fd)(), uvfio_device_priv(), _name(), _dma() and
 * uvfio_log().  These take the device lock themselves and deadlock if it is
 * held: uvfio_device_set_irqs(), _reset(), _feature(), _region_access() and
 * uvfio_device_lock().
 *
 * Errors are negative errno values; the values are the kernel's for the same
 * request.
 */
#ifndef UVFIO_DEVICE_H
#define UVFIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uvfio/export.h>
#include <uvfio/log.h>
#include <uvfio/vfio-abi.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_device;
struct uvfio_dma;

/*
 * Region access callback: read (@is_write false) or write @len bytes at
 * @offset of region @region.  The core has already checked that the range
 * lies inside the region and that the region allows the access.  Return
 * @len, or a negative errno.  Called with the device lock held.
 */
typedef ssize_t (*uvfio_region_access_fn)(struct uvfio_device *dev,
					  unsigned int region, uint64_t offset,
					  void *buf, size_t len, bool is_write);

/*
 * Device-feature handler for one feature number.  @flags is exactly one of
 * UVFIO_DEVICE_FEATURE_GET or _SET (PROBE never reaches a handler).  @data
 * holds @size bytes (at least the minsz given at registration): the request
 * for SET, the buffer to fill for GET.  Return >= 0 on success (the value is
 * returned to the caller, as an ioctl's), or a negative errno.  Called with
 * the device lock held.
 */
typedef int (*uvfio_feature_fn)(struct uvfio_device *dev, uint32_t flags,
				void *data, size_t size, void *opaque);

struct uvfio_device_ops {
	/*
	 * Return the device to its power-on state.  NULL if the device cannot
	 * be reset: GET_INFO then lacks UVFIO_DEVICE_FLAGS_RESET and
	 * uvfio_device_reset() fails with -EINVAL, as vfio-pci does.
	 */
	int (*reset)(struct uvfio_device *dev);
	/*
	 * An interrupt index is about to be enabled with @nvec vectors
	 * (return < 0 to refuse, e.g. MSI while INTx is on), an enabled index
	 * without NORESIZE is about to grow to @nvec vectors (return < 0 to
	 * refuse the growth), or an index has been disabled (@nvec 0; the
	 * return value is ignored).  Not called for single-trigger indexes
	 * (uvfio_device_set_irq_single()).  Optional.
	 */
	int (*irq_enable)(struct uvfio_device *dev, unsigned int index,
			  unsigned int nvec);
	/* Free the driver's own state; the last callback a device gets. */
	void (*release)(struct uvfio_device *dev);
	/*
	 * A user opens the device (a vfio-user client is admitted, ...),
	 * presenting the VF token @vf_token (16 bytes) or none (NULL).
	 * Return < 0 to refuse the user, as the kernel's open would: the PCI
	 * core checks SR-IOV's VF token so.  Optional: without it, a token
	 * is refused (-EINVAL, "not a PF or VF") and no token is fine.
	 */
	int (*open)(struct uvfio_device *dev, const uint8_t *vf_token);
	/* The user open() admitted is gone (optional). */
	void (*close)(struct uvfio_device *dev);
};

/*
 * Create a device named @name (1-64 printable characters, used in logs).
 * @ops must outlive the device; @priv is the driver's, see
 * uvfio_device_priv().  Returns NULL with errno set (EINVAL, ENOMEM).
 */
UVFIO_API struct uvfio_device *
uvfio_device_new(const char *name, const struct uvfio_device_ops *ops,
		 void *priv);

/*
 * Release triggers, region memory and the device; calls ops->release.  No
 * other call on @dev may be running or follow.  NULL is a no-op.
 */
UVFIO_API void uvfio_device_destroy(struct uvfio_device *dev);

/* Thread-safe, lock-free accessors. */
UVFIO_API void *uvfio_device_priv(const struct uvfio_device *dev);
UVFIO_API const char *uvfio_device_name(const struct uvfio_device *dev);

/*
 * The device's DMA address space (include/uvfio/dma.h): the transport maps
 * the client's memory into it, the device reaches guest memory through it.
 * It lives as long as the device.
 */
UVFIO_API struct uvfio_dma *uvfio_device_dma(const struct uvfio_device *dev);

/*
 * Freeze the configuration.  Checks it (counts, caps) and prepares the info
 * replies.  Returns 0, -EBUSY if already realized, or -EINVAL with a log
 * message naming what is inconsistent.
 */
UVFIO_API int uvfio_device_realize(struct uvfio_device *dev);

/* ---- Configuration (before realize; not thread-safe) ---- */

/*
 * Bus type flags reported by GET_INFO: any of UVFIO_DEVICE_FLAGS_PCI,
 * _PLATFORM, _AMBA, _CCW, _AP, _FSL_MC, _CDX.  RESET and CAPS are derived
 * by the core and refused here (-EINVAL).
 */
UVFIO_API int uvfio_device_set_flags(struct uvfio_device *dev, uint32_t flags);

/*
 * Whether GET_INFO reports UVFIO_DEVICE_FLAGS_RESET; by default it does
 * whenever ops->reset is set.  vfio-pci reports it only when the function
 * has a reset method; mdev drivers such as mtty handle VFIO_DEVICE_RESET
 * without reporting it.  The reset itself still runs ops->reset.
 */
UVFIO_API int uvfio_device_set_reset_flag(struct uvfio_device *dev, bool shown);

/*
 * Override num_regions / num_irqs of GET_INFO (default: highest configured
 * index + 1).  Indices below the count that were never added report as
 * unimplemented (a zero-size region; an irq index that GET_IRQ_INFO
 * refuses with -EINVAL).  Must not be lower than what is configured.
 */
UVFIO_API int uvfio_device_set_num_regions(struct uvfio_device *dev,
					   unsigned int num_regions);
UVFIO_API int uvfio_device_set_num_irqs(struct uvfio_device *dev,
					unsigned int num_irqs);

/* Append a capability to GET_INFO's chain (@len bytes of body after the
 * 8-byte header).  Sets UVFIO_DEVICE_FLAGS_CAPS. */
UVFIO_API int uvfio_device_add_info_cap(struct uvfio_device *dev, uint16_t id,
					uint16_t version, const void *body,
					size_t len);

#define UVFIO_MAX_REGIONS 256
#define UVFIO_MAX_IRQ_INDEXES 64
#define UVFIO_MAX_REGION_CAPS_SIZE 65536

struct uvfio_region_desc {
	uint64_t size;
	/* UVFIO_REGION_INFO_FLAG_READ, _WRITE, _MMAP */
	uint32_t flags;
	/* NULL: accesses read and write the region's memory directly */
	uvfio_region_access_fn access;
	/*
	 * Back the region with @size bytes of shared memory (a sealed memfd,
	 * zero-filled).  Required for _MMAP and when @access is NULL.
	 */
	bool has_memory;
};

/*
 * Add region @index (< UVFIO_MAX_REGIONS).  -EEXIST if already added,
 * -EINVAL for inconsistent flags, or the error of creating the memory.
 */
UVFIO_API int uvfio_device_add_region(struct uvfio_device *dev,
				      unsigned int index,
				      const struct uvfio_region_desc *desc);

/*
 * Restrict mmap of an _MMAP region to sparse areas: each call adds one
 * page-aligned, non-overlapping area, reported in a SPARSE_MMAP capability.
 * A region with no area added is mmappable whole.
 */
UVFIO_API int uvfio_region_add_sparse_area(struct uvfio_device *dev,
					   unsigned int index, uint64_t offset,
					   uint64_t size);

/* Append a capability to region @index's chain (@len bytes of body). */
UVFIO_API int uvfio_region_add_cap(struct uvfio_device *dev, unsigned int index,
				   uint16_t id, uint16_t version,
				   const void *body, size_t len);

/* Add the TYPE capability (UVFIO_REGION_INFO_CAP_TYPE) to region @index. */
UVFIO_API int uvfio_region_set_type(struct uvfio_device *dev,
				    unsigned int index, uint32_t type,
				    uint32_t subtype);

/*
 * Add interrupt index @index with @count vectors and UVFIO_IRQ_INFO_* @flags.
 * UVFIO_IRQ_INFO_EVENTFD is required; _AUTOMASKED requires _MASKABLE.
 * @count may be 0 (e.g. INTx with no pin): the index then refuses SET_IRQS.
 * A failed add leaves the device as it was (num_irqs included).
 */
UVFIO_API int uvfio_device_add_irq(struct uvfio_device *dev, unsigned int index,
				   uint32_t count, uint32_t flags);

/*
 * Make index @index (already added, count 1, not MASKABLE) a single-trigger
 * index, as vfio-pci's ERR and REQ: SET_IRQS follows
 * vfio_pci_set_ctx_trigger_single() instead of the enable/disable rules of
 * the other indexes.  Only TRIGGER, start 0, count <= 1:
 *   DATA_NONE      count 1 signals the bound eventfd, count 0 unbinds it;
 *                  -EINVAL if none is bound
 *   DATA_BOOL      count 0 -EINVAL; else signals if true and bound, and
 *                  succeeds even with nothing bound
 *   DATA_EVENTFD   count 0 -EINVAL; fd -1 unbinds, fd >= 0 binds
 *                  (replacing), fd < -1 changes nothing and succeeds
 * uvfio_device_irq_enabled() reports 1 while an eventfd is bound, else 0;
 * ops->irq_enable is not called.  -EINVAL for an unsuitable index,
 * -EBUSY after realize.
 */
UVFIO_API int uvfio_device_set_irq_single(struct uvfio_device *dev,
					  unsigned int index);

/*
 * Register a handler for device feature @feature.  @ops is the set of
 * UVFIO_DEVICE_FEATURE_GET/_SET it supports; @minsz the smallest payload a
 * GET or SET must carry.  -EEXIST if the feature is already registered.
 */
UVFIO_API int uvfio_device_add_feature(struct uvfio_device *dev,
				       uint16_t feature, uint32_t ops,
				       size_t minsz, uvfio_feature_fn fn,
				       void *opaque);

/* ---- Use (after realize; thread-safe) ---- */

/*
 * The VFIO_DEVICE_* ioctls.  Each takes a buffer of the ABI struct whose
 * first field, argsz, says how many bytes the buffer holds; each behaves as
 * the kernel's ioctl does, including when argsz is too small for the
 * capability chain (the call succeeds, sets the CAPS flag, leaves cap_offset
 * 0 and returns the size needed in argsz).
 */
UVFIO_API int uvfio_device_get_info(struct uvfio_device *dev,
				    struct uvfio_device_info *info);
UVFIO_API int uvfio_device_get_region_info(struct uvfio_device *dev,
					   struct uvfio_region_info *info);
UVFIO_API int uvfio_device_get_irq_info(struct uvfio_device *dev,
					struct uvfio_irq_info *info);

/*
 * VFIO_DEVICE_SET_IRQS.  Eventfds in @set->data are duplicated: the caller
 * keeps ownership of its descriptors.  MASK/UNMASK with DATA_EVENTFD
 * (irqfd-style unmask) is not supported and gives -ENOTTY.
 *
 * The core signals an eventfd without ever blocking, as the kernel's
 * eventfd_signal(): a counter already at its maximum stays there.  For that
 * it sets O_NONBLOCK on every eventfd passed to it.  The core's duplicate,
 * like a descriptor received over a socket, shares that flag with the
 * caller's descriptor: the caller's eventfd becomes non-blocking too.  (An
 * eventfd cannot be reopened as a separate open file.)  A caller that
 * clears O_NONBLOCK again on a bound eventfd can make the core's signal
 * block.
 *
 * Telling an eventfd from other descriptors needs /proc (/proc/self/fd);
 * without it every descriptor is refused with -EINVAL.
 */
UVFIO_API int uvfio_device_set_irqs(struct uvfio_device *dev,
				    const struct uvfio_irq_set *set);

/*
 * A user comes (see ops->open): 0, or the errno that refuses it.  Each
 * successful open is matched by one uvfio_device_close() when the user
 * goes.  Thread-safe; the device lock is not taken (open() and close()
 * run beside other callbacks).
 */
UVFIO_API int uvfio_device_open(struct uvfio_device *dev,
				const uint8_t *vf_token);
UVFIO_API void uvfio_device_close(struct uvfio_device *dev);

/* VFIO_DEVICE_RESET: -EINVAL if the device has no reset. */
UVFIO_API int uvfio_device_reset(struct uvfio_device *dev);

/* VFIO_DEVICE_FEATURE: @feature->argsz covers the header and payload. */
UVFIO_API int uvfio_device_feature(struct uvfio_device *dev,
				   struct uvfio_device_feature *feature);

/*
 * Read or write @len bytes at @offset of region @index.  The whole range
 * must lie inside an implemented region that allows the access; anything
 * else (including @len 0 and offset + len overflowing) is -EINVAL and
 * touches nothing.  Returns @len or a negative errno.
 */
UVFIO_API ssize_t uvfio_device_region_access(struct uvfio_device *dev,
					     unsigned int index,
					     uint64_t offset, void *buf,
					     size_t len, bool is_write);

/*
 * Region memory, for the device's own use: the mapping of a has_memory
 * region (NULL otherwise), from the region's addition until destroy, so a
 * driver may fill it while configuring.  And
 * its memfd, owned by the device (dup it to keep it), for a transport to
 * pass to a client; -ENOENT if the region has no memory, -ENODEV before
 * realize.
 */
UVFIO_API void *uvfio_region_memory(struct uvfio_device *dev,
				    unsigned int index);
UVFIO_API int uvfio_region_memory_fd(struct uvfio_device *dev,
				     unsigned int index);

/* What uvfio_device_irq_trigger() did. */
enum uvfio_irq_result {
	UVFIO_IRQ_DELIVERED = 0, /* eventfd signalled */
	UVFIO_IRQ_PENDING = 1,	 /* vector masked: delivered on unmask */
	UVFIO_IRQ_DROPPED = 2,	 /* index disabled or no eventfd bound */
};

/*
 * Raise vector @vector of irq @index as an edge, as the device's hardware
 * would (MSI, MSI-X, a one-shot event).  Masked: held pending (one pending
 * bit, however many edges) and delivered on unmask.  AUTOMASKED indexes
 * mask themselves on delivery until the user unmasks.  For a level
 * interrupt (INTx) use uvfio_device_irq_set_level().  Returns an enum
 * uvfio_irq_result, -EINVAL for a bad index/vector, -ENODEV before realize.
 */
UVFIO_API int uvfio_device_irq_trigger(struct uvfio_device *dev,
				       unsigned int index, unsigned int vector);

/*
 * Drive the level of vector @vector of an AUTOMASKED (level, INTx-like)
 * index.  Asserting behaves as uvfio_device_irq_trigger() (delivered and
 * automasked if unmasked, else pending) and returns its result.
 * Deasserting drops anything pending and returns 0.  On every unmask (the
 * user's UNMASK, the device's uvfio_device_irq_mask() false) and when an
 * eventfd gets bound, a line still asserted is delivered again, as the
 * kernel's pci_check_and_unmask_intx(); a line deasserted meanwhile is not.
 * The level is device state: disabling the index keeps it.  -EINVAL for a
 * bad index/vector or an index without AUTOMASKED, -ENODEV before realize.
 */
UVFIO_API int uvfio_device_irq_set_level(struct uvfio_device *dev,
					 unsigned int index,
					 unsigned int vector, bool asserted);

/*
 * Mask or unmask a vector from the device side (e.g. PCI Command.INTX_DISABLE,
 * the kernel's virq_disabled).  This mask is separate from the user's
 * (SET_IRQS MASK and AUTOMASKED): an interrupt is delivered only while
 * neither is set, the user's UNMASK does not lift the device's mask nor the
 * reverse, and disabling the index keeps the device's mask.  While it is
 * set, loopback (SET_IRQS TRIGGER NONE/BOOL) on an AUTOMASKED index
 * signals nothing.  Unmasking delivers what is pending if the user's mask
 * is clear too.  -EINVAL for a bad index/vector, -ENODEV before realize.
 */
UVFIO_API int uvfio_device_irq_mask(struct uvfio_device *dev,
				    unsigned int index, unsigned int vector,
				    bool masked);

/*
 * Number of enabled vectors of @index (0 when disabled; a single-trigger
 * index: 1 while an eventfd is bound), -EINVAL, or -ENODEV before realize.
 */
UVFIO_API int uvfio_device_irq_enabled(struct uvfio_device *dev,
				       unsigned int index);

/* The per-device lock that serializes callbacks, for device threads. */
UVFIO_API void uvfio_device_lock(struct uvfio_device *dev);
UVFIO_API void uvfio_device_unlock(struct uvfio_device *dev);

/*
 * Find capability @id in the chain of an info reply of @size bytes that
 * starts at @cap_offset, with at least @min_len bytes (header included)
 * inside the buffer.  Safe on untrusted replies: offsets must stay inside
 * the buffer, be 4-byte aligned and strictly increase.  Returns NULL if the
 * capability is absent or the chain is malformed.
 *
 * Only 4-byte alignment is required because kernels before 6.6 neither
 * padded struct vfio_device_info to 24 bytes nor caps to 8: their first
 * device-info cap sits at offset 20.  So the capability returned may be
 * only 4-byte aligned (relative to @info): read its u64 fields (sparse mmap
 * areas, ...) with memcpy, not in place.
 */
UVFIO_API const struct uvfio_info_cap_header *
uvfio_info_cap_find(const void *info, size_t size, uint32_t cap_offset,
		    uint16_t id, size_t min_len);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_DEVICE_H */
