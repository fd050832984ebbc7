/* SPDX-License-Identifier: MIT */
/*
 * A device's DMA address space: the IOVA windows a client has mapped, and
 * the only way a device reaches guest memory.
 *
 * A window is either backed by memory the client shared (a file descriptor
 * the address space maps MAP_SHARED) or message-based (no fd: every access
 * goes through the transport, e.g. vfio-user DMA_READ / DMA_WRITE).  An
 * access must lie inside mapped windows with the right protection; anything
 * else fails with -EFAULT and touches nothing, never a stray pointer.
 *
 * Thread-safety: every function is thread-safe.  Accesses run concurrently
 * with each other; map and unmap wait for accesses in progress on memory
 * windows to finish, so that once uvfio_dma_unmap() returns no device can
 * still be touching the unmapped memory.
 */
#ifndef UVFIO_DMA_H
#define UVFIO_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uvfio/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_dma;

/* Window protection, the vfio-user DMA_MAP flag values. */
#define UVFIO_DMA_READ (1u << 0)
#define UVFIO_DMA_WRITE (1u << 1)

/* Defaults, the vfio-user protocol's. */
#define UVFIO_DMA_DEFAULT_MAX_MAPS 65535

/*
 * Message-based access to [@iova, @iova + @len) of a window without memory:
 * copy into @buf (read) or out of it (write).  Returns 0 or a negative
 * errno.  Called without any address-space lock held.
 */
typedef int (*uvfio_dma_msg_fn)(void *opaque, uint64_t iova, void *buf,
				size_t len, bool is_write);

/*
 * Called after every device write into a memory window, with the written
 * range (the dirty-page logger's hook).  Writes through messages are not
 * reported: the client tracks those itself.
 */
typedef void (*uvfio_dma_dirty_fn)(void *opaque, uint64_t iova, uint64_t len);

/* An empty address space.  NULL with errno set on failure. */
UVFIO_API struct uvfio_dma *uvfio_dma_new(void);

/* Unmap everything and free. NULL is a no-op. */
UVFIO_API void uvfio_dma_destroy(struct uvfio_dma *dma);

/*
 * Limit the number of simultaneous windows (default
 * UVFIO_DMA_DEFAULT_MAX_MAPS).  Takes effect for later maps.
 */
UVFIO_API void uvfio_dma_set_max_maps(struct uvfio_dma *dma,
				      unsigned int max_maps);

/* Route accesses to message-based windows; NULL makes them fail -EFAULT. */
UVFIO_API void uvfio_dma_set_msg_handler(struct uvfio_dma *dma,
					 uvfio_dma_msg_fn fn, void *opaque);

/* Install (or with NULL remove) the dirty-write hook. */
UVFIO_API void uvfio_dma_set_dirty_hook(struct uvfio_dma *dma,
					uvfio_dma_dirty_fn fn, void *opaque);

/*
 * Map window [@iova, @iova + @size) with UVFIO_DMA_READ/_WRITE @prot.
 * @fd >= 0: the window is @size bytes of @fd from @fd_offset, mapped shared;
 * the fd is not kept (the caller still owns it).  @fd < 0: message-based.
 * Errors: -EINVAL (size 0, wrap-around, unknown prot bits, no prot,
 * @fd_offset not page-aligned), -EEXIST (overlaps a window), -ENOSPC (max
 * maps reached), or the errno of mmap().
 */
UVFIO_API int uvfio_dma_map(struct uvfio_dma *dma, uint64_t iova, uint64_t size,
			    uint32_t prot, int fd, uint64_t fd_offset);

/*
 * Unmap the window that is exactly [@iova, @iova + @size): -ENOENT if no
 * window matches exactly.
 */
UVFIO_API int uvfio_dma_unmap(struct uvfio_dma *dma, uint64_t iova,
			      uint64_t size);

/* Unmap every window. */
UVFIO_API void uvfio_dma_unmap_all(struct uvfio_dma *dma);

/* Number of windows mapped now. */
UVFIO_API unsigned int uvfio_dma_count(struct uvfio_dma *dma);

/*
 * Device access: copy @len bytes between guest [@iova, @iova + @len) and
 * @buf.  The range may span adjacent windows; every byte must be mapped with
 * the needed protection, else -EFAULT before anything is copied.  Returns 0
 * or a negative errno (a message-based window's handler error).
 */
UVFIO_API int uvfio_dma_read(struct uvfio_dma *dma, uint64_t iova, void *buf,
			     size_t len);
UVFIO_API int uvfio_dma_write(struct uvfio_dma *dma, uint64_t iova,
			      const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_DMA_H */
