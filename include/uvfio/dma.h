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
 * Of those, windows backed by a file descriptor: each is a mapping of this
 * process (the kernel allows about 65530 in all, vm.max_map_count), so a
 * client must not be able to spend them.
 */
#define UVFIO_DMA_DEFAULT_MAX_FD_MAPS 1024

/*
 * Message-based access to [@iova, @iova + @len) of a window without memory:
 * copy into @buf (read) or out of it (write).  Returns 0 or a negative
 * errno.  Called without any address-space lock held, possibly from
 * several threads at once.  It must not set the message handler of its
 * own address space (that waits for it to return).
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

/*
 * Unmap everything and free.  NULL is a no-op.  No access may be in
 * progress, nor start.
 */
UVFIO_API void uvfio_dma_destroy(struct uvfio_dma *dma);

/*
 * Limit the number of simultaneous windows (default
 * UVFIO_DMA_DEFAULT_MAX_MAPS).  Takes effect for later maps.
 */
UVFIO_API void uvfio_dma_set_max_maps(struct uvfio_dma *dma,
				      unsigned int max_maps);

/*
 * Limit the number of simultaneous windows backed by a file descriptor
 * (default UVFIO_DMA_DEFAULT_MAX_FD_MAPS), within the overall limit.  Takes
 * effect for later maps.
 */
UVFIO_API void uvfio_dma_set_max_fd_maps(struct uvfio_dma *dma,
					 unsigned int max_fd_maps);

/*
 * Policy for fd-backed windows (default off): when @require is true,
 * uvfio_dma_map() takes only a file sealed against shrinking (F_SEAL_SHRINK
 * in F_GET_SEALS, as a memfd created with MFD_ALLOW_SEALING can be) and
 * refuses any other with -EPERM.  Without the seal, whoever holds the fd
 * can truncate it after the map, and a device access to the vanished pages
 * kills this process with SIGBUS.  Takes effect for later maps.
 */
UVFIO_API void uvfio_dma_set_require_seals(struct uvfio_dma *dma, bool require);

/*
 * Route accesses to message-based windows; NULL makes them fail -EFAULT.
 * Accesses that start after this call use the new handler; calls to the
 * previous one that are in progress are waited for, so once this returns
 * nothing uses the previous handler or its @opaque any more (set NULL, then
 * free what @opaque points to).  Must not be called from inside a handler
 * of the same address space.
 */
UVFIO_API void uvfio_dma_set_msg_handler(struct uvfio_dma *dma,
					 uvfio_dma_msg_fn fn, void *opaque);

/* Install (or with NULL remove) the dirty-write hook. */
UVFIO_API void uvfio_dma_set_dirty_hook(struct uvfio_dma *dma,
					uvfio_dma_dirty_fn fn, void *opaque);

/*
 * Map window [@iova, @iova + @size) with UVFIO_DMA_READ/_WRITE @prot.
 * @fd >= 0: the window is @size bytes of @fd from @fd_offset, mapped shared;
 * the fd is not kept (the caller still owns it).  The bytes must lie within
 * the file as fstat() sees it now (so a file that can be truncated later
 * needs uvfio_dma_set_require_seals()).  @fd < 0: message-based.
 * Errors: -EINVAL (size 0, wrap-around, unknown prot bits, no prot,
 * @fd_offset not page-aligned, @fd_offset + @size beyond the file's size),
 * -EEXIST (overlaps a window), -ENOSPC (max maps or max fd maps reached),
 * -EPERM (seals required and the file is not sealed against shrinking),
 * or the errno of fstat() or mmap().
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
