/* SPDX-License-Identifier: MIT */
/*
 * The vfio-user wire format (QEMU docs/interop/vfio-user.rst): a 16-byte
 * header and per-command payloads, host-endian, over a UNIX stream socket
 * with file descriptors as SCM_RIGHTS.
 */
#ifndef UVFIO_VFIO_USER_PROTOCOL_H
#define UVFIO_VFIO_USER_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <uvfio/vfio-abi.h>

#define VFU_MAJOR 0
#define VFU_MINOR 2 /* highest minor we speak; peers may ask for less */

enum vfu_command {
	VFU_CMD_VERSION = 1,
	VFU_CMD_DMA_MAP = 2,
	VFU_CMD_DMA_UNMAP = 3,
	VFU_CMD_DEVICE_GET_INFO = 4,
	VFU_CMD_DEVICE_GET_REGION_INFO = 5,
	VFU_CMD_DEVICE_GET_REGION_IO_FDS = 6,
	VFU_CMD_DEVICE_GET_IRQ_INFO = 7,
	VFU_CMD_DEVICE_SET_IRQS = 8,
	VFU_CMD_REGION_READ = 9,
	VFU_CMD_REGION_WRITE = 10,
	VFU_CMD_DMA_READ = 11,
	VFU_CMD_DMA_WRITE = 12,
	VFU_CMD_DEVICE_RESET = 13,
	VFU_CMD_REGION_WRITE_MULTI = 15,
	VFU_CMD_DEVICE_FEATURE = 16,
	VFU_CMD_MIG_DATA_READ = 17,
	VFU_CMD_MIG_DATA_WRITE = 18,
	VFU_CMD_MAX = 18,
};

#define VFU_FLAGS_TYPE_MASK 0xf
#define VFU_FLAGS_TYPE_COMMAND 0
#define VFU_FLAGS_TYPE_REPLY 1
#define VFU_FLAGS_NO_REPLY (1u << 4)
#define VFU_FLAGS_ERROR (1u << 5)

struct vfu_header {
	uint16_t msg_id;
	uint16_t command;
	uint32_t msg_size; /* header included */
	uint32_t flags;
	uint32_t error_no;
};

/* VERSION: followed by an optional NUL-terminated JSON object. */
struct vfu_version {
	uint16_t major;
	uint16_t minor;
	char caps[];
};

struct vfu_dma_map {
	uint32_t argsz;
	uint32_t flags;	 /* VFU_DMA_FLAG_* */
	uint64_t offset; /* within the passed fd */
	uint64_t address;
	uint64_t size;
};

#define VFU_DMA_FLAG_READ (1u << 0)
#define VFU_DMA_FLAG_WRITE (1u << 1)

struct vfu_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t address;
	uint64_t size;
};

/* QEMU sends unmap-all as the kernel's VFIO_DMA_UNMAP_FLAG_ALL. */
#define VFU_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1u << 0)
#define VFU_DMA_UNMAP_FLAG_ALL (1u << 1)

/* DEVICE_GET_INFO: vfio_device_info without cap_offset. */
struct vfu_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};

/* Only these device flags exist in vfio-user. */
#define VFU_DEVICE_FLAGS_RESET (1u << 0)
#define VFU_DEVICE_FLAGS_PCI (1u << 1)

/* GET_REGION_INFO and GET_IRQ_INFO carry the kernel structs unchanged. */

struct vfu_region_io_fds {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
};

struct vfu_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	uint8_t data[];
};

/* DMA_READ / DMA_WRITE, server to client, as the spec lays them out. */
struct vfu_dma_rw {
	uint64_t address;
	uint64_t count;
	uint8_t data[];
};

/*
 * QEMU's client (hw/vfio-user/protocol.h VFIOUserDMARW) answers DMA_READ
 * with a u32 count, so its data starts 12 bytes into the payload.
 */
#define VFU_QEMU_DMA_RW_DATA_OFFSET 12

#define VFU_WRITE_MULTI_DATA_MAX 8

struct vfu_write_multi_entry {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	uint8_t data[VFU_WRITE_MULTI_DATA_MAX];
};

struct vfu_write_multi {
	uint64_t wr_cnt;
	struct vfu_write_multi_entry wrs[];
};

/* QEMU batches at most this many; a bound for our decoder. */
#define VFU_WRITE_MULTI_MAX 200

struct vfu_mig_data {
	uint32_t argsz;
	uint32_t size;
	uint8_t data[];
};

#define VFU_PIN(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " size")
#define VFU_OFF(type, field, off)                             \
	_Static_assert(offsetof(struct type, field) == (off), \
		       #type "." #field " offset")

VFU_PIN(vfu_header, 16);
VFU_OFF(vfu_header, command, 2);
VFU_OFF(vfu_header, msg_size, 4);
VFU_OFF(vfu_header, flags, 8);
VFU_OFF(vfu_header, error_no, 12);
VFU_PIN(vfu_version, 4);
VFU_PIN(vfu_dma_map, 32);
VFU_OFF(vfu_dma_map, offset, 8);
VFU_OFF(vfu_dma_map, address, 16);
VFU_OFF(vfu_dma_map, size, 24);
VFU_PIN(vfu_dma_unmap, 24);
VFU_OFF(vfu_dma_unmap, address, 8);
VFU_OFF(vfu_dma_unmap, size, 16);
VFU_PIN(vfu_device_info, 16);
VFU_PIN(vfu_region_io_fds, 16);
VFU_PIN(vfu_region_access, 16);
VFU_OFF(vfu_region_access, region, 8);
VFU_OFF(vfu_region_access, count, 12);
VFU_PIN(vfu_dma_rw, 16);
VFU_OFF(vfu_dma_rw, count, 8);
VFU_PIN(vfu_write_multi_entry, 24);
VFU_PIN(vfu_write_multi, 8);
VFU_PIN(vfu_mig_data, 8);

#undef VFU_PIN
#undef VFU_OFF

#endif /* UVFIO_VFIO_USER_PROTOCOL_H */
