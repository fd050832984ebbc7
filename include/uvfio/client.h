/* SPDX-License-Identifier: MIT */
/*
 * The client library: open a device by name and drive it as a VMM or a
 * user-space driver would.
 *
 * Names: "unix:/path/to/dev.sock" (or a bare path) opens a vfio-user
 * device.  "vfio:DDDD:BB:DD.F" opens a PCI function bound to the kernel's
 * vfio-pci, "mdev:UUID" a mediated device: both through /dev/vfio (the
 * group and a type1 container of their own).
 *
 * The calls mirror the VFIO ioctls and take the same ABI structs, with the
 * same error codes the device returns.
 *
 * Thread-safety: every call on one handle is thread-safe; requests on a
 * handle are serialized.  uvfio_client_close() must be the last call.
 */
#ifndef UVFIO_CLIENT_H
#define UVFIO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uvfio/export.h>
#include <uvfio/vfio-abi.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_client;

struct uvfio_client_opts {
	/* A request may take at most this long (ms), from sending it to its
	 * reply, whatever else the server sends meanwhile; 0 picks 5000. */
	int timeout_ms;
	/* Ask for a twin socket for the server's DMA requests. */
	bool twin_socket;
	/* The VF token (a UUID string) of an SR-IOV PF or VF: the kernel
	 * backend puts it in the device name ("vf_token="), the vfio-user
	 * one in VERSION's capabilities (docs/protocol-extensions.md).
	 * NULL for none; not a UUID: EINVAL.  A device that wants another
	 * token refuses the open (EACCES), one that wants none too
	 * (EINVAL), as the kernel does. */
	const char *vf_token;
};

/* Open device @name.  NULL with errno set (ENOENT, ECONNREFUSED, ...). */
UVFIO_API struct uvfio_client *
uvfio_client_open(const char *name, const struct uvfio_client_opts *opts);

/*
 * Why the calling thread's last uvfio_client_open() failed, with the fix
 * when there is a usual one ("... is bound to nvme, not vfio-pci: ..."),
 * or NULL if it said nothing more than errno.
 */
UVFIO_API const char *uvfio_client_open_error(void);

/* Close the connection and free the handle.  NULL is a no-op. */
UVFIO_API void uvfio_client_close(struct uvfio_client *c);

/*
 * What the server negotiated, within this library's own limits (at most
 * 1 MiB per transfer and 16 fds per message, whatever the server offers).
 * A server that takes less than 4096 bytes per transfer is refused.
 */
struct uvfio_client_caps {
	uint16_t major, minor;
	uint32_t max_msg_fds;
	uint32_t max_data_xfer_size;
	uint32_t max_dma_maps;
	bool write_multiple;
	bool twin_socket;
};

UVFIO_API void uvfio_client_get_caps(struct uvfio_client *c,
				     struct uvfio_client_caps *caps);

/* VFIO_DEVICE_GET_INFO (flags, num_regions, num_irqs; no caps). */
UVFIO_API int uvfio_client_device_info(struct uvfio_client *c,
				       struct uvfio_device_info *info);

/*
 * VFIO_DEVICE_GET_REGION_INFO, capabilities included: *@info is set to a
 * malloc'ed reply of the full size the device needs (free() it).  -EPROTO
 * if the server's reply is malformed or needs more than a message holds.
 */
UVFIO_API int uvfio_client_region_info(struct uvfio_client *c, uint32_t index,
				       struct uvfio_region_info **info);

/* VFIO_DEVICE_GET_IRQ_INFO: @info->index in, the rest out. */
UVFIO_API int uvfio_client_irq_info(struct uvfio_client *c,
				    struct uvfio_irq_info *info);

/*
 * VFIO_DEVICE_SET_IRQS, with eventfds in @set->data as for the kernel.
 * Sent in chunks the server can take.
 */
UVFIO_API int uvfio_client_set_irqs(struct uvfio_client *c,
				    const struct uvfio_irq_set *set);

/* VFIO_DEVICE_RESET. */
UVFIO_API int uvfio_client_reset(struct uvfio_client *c);

/*
 * VFIO_DEVICE_FEATURE: @feature->argsz covers header and payload.  A GET
 * fills the payload only (argsz and flags stay as they are); -EPROTO if
 * the reply is shorter than the header or larger than argsz.
 */
UVFIO_API int uvfio_client_feature(struct uvfio_client *c,
				   struct uvfio_device_feature *feature);

/*
 * Region access through messages.  Reads and writes of any length (split
 * into transfers the server takes).  Returns @len or a negative errno.
 */
UVFIO_API ssize_t uvfio_client_region_read(struct uvfio_client *c,
					   uint32_t index, uint64_t offset,
					   void *buf, size_t len);
UVFIO_API ssize_t uvfio_client_region_write(struct uvfio_client *c,
					    uint32_t index, uint64_t offset,
					    const void *buf, size_t len);

/*
 * A posted write (no reply), as QEMU sends to memory BARs: returns once
 * sent; errors are not reported.  Ordered with everything after it.
 */
UVFIO_API int uvfio_client_region_write_posted(struct uvfio_client *c,
					       uint32_t index, uint64_t offset,
					       const void *buf, size_t len);

/* One write of a batch: @len (1 to 8) bytes of @data at @offset. */
struct uvfio_region_write {
	uint32_t index;
	uint32_t len;
	uint64_t offset;
	uint8_t data[8];
};

/*
 * Posted writes (as uvfio_client_region_write_posted()), performed in
 * order.  Over vfio-user, with a server that accepts write_multiple, they
 * go as REGION_WRITE_MULTI messages of up to 200 writes, as QEMU batches
 * them (a write the device refuses drops the rest of its message, with
 * no reply to say so); otherwise one message, or one pwrite() on the
 * kernel backend, per write.  Returns 0, -EINVAL (nothing written) if an entry's length is not
 * 1 to 8, or the error of sending.
 */
UVFIO_API int
uvfio_client_region_write_multi(struct uvfio_client *c,
				const struct uvfio_region_write *writes,
				unsigned int nr);

/*
 * Map [@offset, @offset + @size) of a mappable region (a sparse area, or
 * the whole region when it has none) into this process: the bytes of the
 * fd the server gave, from the offset its region info gave.  -EINVAL if
 * the region is not mappable or the range leaves it.  *@addr receives the
 * mapping; release it with munmap().
 */
UVFIO_API int uvfio_client_region_mmap(struct uvfio_client *c, uint32_t index,
				       uint64_t offset, uint64_t size, int prot,
				       void **addr);

/*
 * DMA_MAP of [@iova, @iova + @size): with @fd >= 0 the server maps @size
 * bytes of @fd at @fd_offset; with @fd < 0 it reaches the memory through
 * messages, which this library answers from @vaddr.  @vaddr (this process's
 * view of the window) is required either way.  @prot: UVFIO_DMA_READ/WRITE.
 */
UVFIO_API int uvfio_client_dma_map(struct uvfio_client *c, uint64_t iova,
				   uint64_t size, uint32_t prot, int fd,
				   uint64_t fd_offset, void *vaddr);
UVFIO_API int uvfio_client_dma_unmap(struct uvfio_client *c, uint64_t iova,
				     uint64_t size);
UVFIO_API int uvfio_client_dma_unmap_all(struct uvfio_client *c);

/*
 * The IOMMU's dirty page tracking (type1's VFIO_IOMMU_DIRTY_PAGES) over
 * the device's DMA mappings, for the kernel backend; -EOPNOTSUPP where
 * the IOMMU has none (vfio-user devices log their DMA through the
 * DMA_LOGGING device features instead).  The bitmap has a bit per
 * @pgsize page of [@iova, @iova + @size), one range of one mapping or
 * less, and is cleared as it is read.
 */
UVFIO_API int uvfio_client_dirty_start(struct uvfio_client *c);
UVFIO_API int uvfio_client_dirty_stop(struct uvfio_client *c);
UVFIO_API int uvfio_client_dirty_bitmap(struct uvfio_client *c, uint64_t iova,
					uint64_t size, uint64_t pgsize,
					uint64_t *bitmap);

/*
 * Migration (protocol v2).  The state moves with MIG_DEVICE_STATE, which
 * walks multi-step paths on the device's side; the data of the session
 * the new state opened is read (saving) or written (resuming) here.
 */
UVFIO_API int uvfio_client_mig_flags(struct uvfio_client *c, uint64_t *flags);
UVFIO_API int uvfio_client_mig_get_state(struct uvfio_client *c,
					 enum uvfio_device_mig_state *state);
UVFIO_API int uvfio_client_mig_set_state(struct uvfio_client *c,
					 enum uvfio_device_mig_state state);
/* MIG_DATA_SIZE: estimated bytes of the stop-copy data. */
UVFIO_API int uvfio_client_mig_data_size(struct uvfio_client *c,
					 uint64_t *bytes);
/*
 * Read saved data: bytes read; 0 when nothing more is available now (the
 * end of STOP_COPY's stream, or pre-copy caught up); a negative errno.
 */
UVFIO_API ssize_t uvfio_client_mig_read(struct uvfio_client *c, void *buf,
					size_t len);
/* Write stream data in RESUMING: @len or a negative errno. */
UVFIO_API ssize_t uvfio_client_mig_write(struct uvfio_client *c,
					 const void *buf, size_t len);

/*
 * The session's data as a file descriptor, as the kernel's data_fd: in
 * STOP_COPY the stream can be read from it to end-of-file; in RESUMING
 * it is written to it, and closing it ends the input.  The caller owns
 * the fd.  One at a time per handle (-EBUSY while the previous one is
 * still moving data); -EINVAL in other states.  In RESUMING, close the fd
 * before changing the state: the change waits until all that was written
 * has reached the device.  Pre-copy's "nothing now"
 * (the kernel's -ENOMSG) cannot be said through a socket: use
 * uvfio_client_mig_read() there.  If the device refuses the data, the
 * writer sees EPIPE; a read stream cut short by an error just ends, and
 * the destination's loader refuses the incomplete stream.
 */
UVFIO_API int uvfio_client_mig_data_fd(struct uvfio_client *c, int *fd);

/*
 * VFIO_MIG_GET_PRECOPY_INFO on the session's data, in PRE_COPY and
 * PRE_COPY_P2P: the device's -EINVAL elsewhere; -EOPNOTSUPP where the
 * transport cannot ask (vfio-user).
 */
UVFIO_API int uvfio_client_mig_precopy_info(struct uvfio_client *c,
					    struct uvfio_precopy_info *info);

/*
 * Guest-memory helper: @size bytes of shared memory in a memfd, sealed at
 * that size (F_SEAL_SHRINK | F_SEAL_GROW), as servers require of memory
 * they map.
 */
struct uvfio_client_buffer {
	void *addr;
	size_t size;
	int fd;
};

UVFIO_API int uvfio_client_buffer_alloc(size_t size,
					struct uvfio_client_buffer *buf);
UVFIO_API void uvfio_client_buffer_free(struct uvfio_client_buffer *buf);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_CLIENT_H */
