/* SPDX-License-Identifier: MIT */
/*
 * The Linux VFIO user ABI, as of the newest kernel uAPI (7.1 level).
 *
 * Debian 12's <linux/vfio.h> is the 6.1 header: it lacks PRE_COPY, the
 * precopy-info ioctl, MIG_DATA_SIZE, the iommufd cdev ioctls and the 24-byte
 * vfio_device_info.  uvfio needs all of them on both sides of the wire, so it
 * carries its own definitions, written from the values the kernel fixes.
 *
 * Naming: every name is the kernel's with a "u" in front (VFIO_X is
 * UVFIO_X, struct vfio_x is struct uvfio_x), so that this header can be
 * included next to <linux/vfio.h> and a reader can map one onto the other.
 * Values, sizes and field offsets are identical to the kernel's; the static
 * asserts at the end pin every one of them.
 *
 * This header never includes <linux/vfio.h>.
 */
#ifndef UVFIO_VFIO_ABI_H
#define UVFIO_VFIO_ABI_H

#include <stddef.h>
#include <stdint.h>

#define UVFIO_API_VERSION 0

/* ioctls are _IO(';', 100 + n): no direction or size is encoded. */
#define UVFIO_TYPE ';'
#define UVFIO_BASE 100
#define UVFIO_IO(n) ((unsigned long)((UVFIO_TYPE << 8) | (UVFIO_BASE + (n))))

/* Container ioctls */
#define UVFIO_GET_API_VERSION UVFIO_IO(0)
#define UVFIO_CHECK_EXTENSION UVFIO_IO(1)
#define UVFIO_SET_IOMMU UVFIO_IO(2)

/* Extensions, for UVFIO_CHECK_EXTENSION and UVFIO_SET_IOMMU */
#define UVFIO_TYPE1_IOMMU 1
#define UVFIO_SPAPR_TCE_IOMMU 2
#define UVFIO_TYPE1v2_IOMMU 3
#define UVFIO_DMA_CC_IOMMU 4
#define UVFIO_EEH 5
#define __UVFIO_RESERVED_TYPE1_NESTING_IOMMU 6
#define UVFIO_SPAPR_TCE_v2_IOMMU 7
#define UVFIO_NOIOMMU_IOMMU 8
#define UVFIO_UNMAP_ALL 9
#define UVFIO_UPDATE_VADDR 10

/* Group ioctls */
#define UVFIO_GROUP_GET_STATUS UVFIO_IO(3)
#define UVFIO_GROUP_SET_CONTAINER UVFIO_IO(4)
#define UVFIO_GROUP_UNSET_CONTAINER UVFIO_IO(5)
#define UVFIO_GROUP_GET_DEVICE_FD UVFIO_IO(6)

struct uvfio_group_status {
	uint32_t argsz;
	uint32_t flags;
};

#define UVFIO_GROUP_FLAGS_VIABLE (1 << 0)
#define UVFIO_GROUP_FLAGS_CONTAINER_SET (1 << 1)

/* Device ioctls */
#define UVFIO_DEVICE_GET_INFO UVFIO_IO(7)
#define UVFIO_DEVICE_GET_REGION_INFO UVFIO_IO(8)
#define UVFIO_DEVICE_GET_IRQ_INFO UVFIO_IO(9)
#define UVFIO_DEVICE_SET_IRQS UVFIO_IO(10)
#define UVFIO_DEVICE_RESET UVFIO_IO(11)
#define UVFIO_DEVICE_GET_PCI_HOT_RESET_INFO UVFIO_IO(12)
#define UVFIO_DEVICE_PCI_HOT_RESET UVFIO_IO(13)
#define UVFIO_DEVICE_QUERY_GFX_PLANE UVFIO_IO(14)
#define UVFIO_DEVICE_GET_GFX_DMABUF UVFIO_IO(15)
#define UVFIO_DEVICE_IOEVENTFD UVFIO_IO(16)
#define UVFIO_DEVICE_FEATURE UVFIO_IO(17)
#define UVFIO_DEVICE_BIND_IOMMUFD UVFIO_IO(18)
#define UVFIO_DEVICE_ATTACH_IOMMUFD_PT UVFIO_IO(19)
#define UVFIO_DEVICE_DETACH_IOMMUFD_PT UVFIO_IO(20)
/* On the migration data fd, not the device fd. */
#define UVFIO_MIG_GET_PRECOPY_INFO UVFIO_IO(21)

/* IOMMU (type1 container) ioctls share numbers with device ioctls. */
#define UVFIO_IOMMU_GET_INFO UVFIO_IO(12)
#define UVFIO_IOMMU_MAP_DMA UVFIO_IO(13)
#define UVFIO_IOMMU_UNMAP_DMA UVFIO_IO(14)
#define UVFIO_IOMMU_ENABLE UVFIO_IO(15)
#define UVFIO_IOMMU_DISABLE UVFIO_IO(16)
#define UVFIO_IOMMU_DIRTY_PAGES UVFIO_IO(17)

/*
 * Capability chains of the *_INFO ioctls.  @next is a byte offset from the
 * start of the info buffer (not from this header); 0 ends the chain.  IDs
 * are per-ioctl namespaces.
 */
struct uvfio_info_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next;
};

/* VFIO_DEVICE_GET_INFO */
struct uvfio_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad;
};

#define UVFIO_DEVICE_FLAGS_RESET (1 << 0)
#define UVFIO_DEVICE_FLAGS_PCI (1 << 1)
#define UVFIO_DEVICE_FLAGS_PLATFORM (1 << 2)
#define UVFIO_DEVICE_FLAGS_AMBA (1 << 3)
#define UVFIO_DEVICE_FLAGS_CCW (1 << 4)
#define UVFIO_DEVICE_FLAGS_AP (1 << 5)
#define UVFIO_DEVICE_FLAGS_FSL_MC (1 << 6)
#define UVFIO_DEVICE_FLAGS_CAPS (1 << 7)
#define UVFIO_DEVICE_FLAGS_CDX (1 << 8)

/* The kernel's minimum argsz: everything up to and including num_irqs. */
#define UVFIO_DEVICE_INFO_MINSZ 16

#define UVFIO_DEVICE_API_PCI_STRING "vfio-pci"
#define UVFIO_DEVICE_API_PLATFORM_STRING "vfio-platform"
#define UVFIO_DEVICE_API_AMBA_STRING "vfio-amba"
#define UVFIO_DEVICE_API_CCW_STRING "vfio-ccw"
#define UVFIO_DEVICE_API_AP_STRING "vfio-ap"

#define UVFIO_DEVICE_INFO_CAP_ZPCI_BASE 1
#define UVFIO_DEVICE_INFO_CAP_ZPCI_GROUP 2
#define UVFIO_DEVICE_INFO_CAP_ZPCI_UTIL 3
#define UVFIO_DEVICE_INFO_CAP_ZPCI_PFIP 4
#define UVFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP 5

struct uvfio_device_info_cap_pci_atomic_comp {
	struct uvfio_info_cap_header header;
	uint32_t flags;
	uint32_t reserved;
};

#define UVFIO_PCI_ATOMIC_COMP32 (1 << 0)
#define UVFIO_PCI_ATOMIC_COMP64 (1 << 1)
#define UVFIO_PCI_ATOMIC_COMP128 (1 << 2)

/* VFIO_DEVICE_GET_REGION_INFO */
struct uvfio_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size;
	uint64_t offset;
};

#define UVFIO_REGION_INFO_FLAG_READ (1 << 0)
#define UVFIO_REGION_INFO_FLAG_WRITE (1 << 1)
#define UVFIO_REGION_INFO_FLAG_MMAP (1 << 2)
#define UVFIO_REGION_INFO_FLAG_CAPS (1 << 3)

#define UVFIO_REGION_INFO_CAP_SPARSE_MMAP 1
#define UVFIO_REGION_INFO_CAP_TYPE 2
#define UVFIO_REGION_INFO_CAP_MSIX_MAPPABLE 3
#define UVFIO_REGION_INFO_CAP_NVLINK2_SSATGT 4
#define UVFIO_REGION_INFO_CAP_NVLINK2_LNKSPD 5

struct uvfio_region_sparse_mmap_area {
	uint64_t offset; /* relative to the start of the region */
	uint64_t size;
};

struct uvfio_region_info_cap_sparse_mmap {
	struct uvfio_info_cap_header header;
	uint32_t nr_areas;
	uint32_t reserved;
	struct uvfio_region_sparse_mmap_area areas[];
};

struct uvfio_region_info_cap_type {
	struct uvfio_info_cap_header header;
	uint32_t type;
	uint32_t subtype;
};

#define UVFIO_REGION_TYPE_PCI_VENDOR_TYPE (1u << 31)
#define UVFIO_REGION_TYPE_PCI_VENDOR_MASK 0xffff
#define UVFIO_REGION_TYPE_GFX 1
#define UVFIO_REGION_TYPE_CCW 2
#define UVFIO_REGION_TYPE_MIGRATION_DEPRECATED 3

#define UVFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION 1
#define UVFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG 2
#define UVFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG 3
#define UVFIO_REGION_SUBTYPE_GFX_EDID 1
#define UVFIO_REGION_SUBTYPE_CCW_ASYNC_CMD 1
#define UVFIO_REGION_SUBTYPE_CCW_SCHIB 2
#define UVFIO_REGION_SUBTYPE_CCW_CRW 3
#define UVFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED 1

/* VFIO_DEVICE_GET_IRQ_INFO */
struct uvfio_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
};

#define UVFIO_IRQ_INFO_EVENTFD (1 << 0)
#define UVFIO_IRQ_INFO_MASKABLE (1 << 1)
#define UVFIO_IRQ_INFO_AUTOMASKED (1 << 2)
#define UVFIO_IRQ_INFO_NORESIZE (1 << 3)

/* VFIO_DEVICE_SET_IRQS: @data holds @count u8 (BOOL) or s32 (EVENTFD). */
struct uvfio_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
	uint8_t data[];
};

#define UVFIO_IRQ_SET_DATA_NONE (1 << 0)
#define UVFIO_IRQ_SET_DATA_BOOL (1 << 1)
#define UVFIO_IRQ_SET_DATA_EVENTFD (1 << 2)
#define UVFIO_IRQ_SET_ACTION_MASK (1 << 3)
#define UVFIO_IRQ_SET_ACTION_UNMASK (1 << 4)
#define UVFIO_IRQ_SET_ACTION_TRIGGER (1 << 5)

#define UVFIO_IRQ_SET_DATA_TYPE_MASK                         \
	(UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_DATA_BOOL | \
	 UVFIO_IRQ_SET_DATA_EVENTFD)
#define UVFIO_IRQ_SET_ACTION_TYPE_MASK                             \
	(UVFIO_IRQ_SET_ACTION_MASK | UVFIO_IRQ_SET_ACTION_UNMASK | \
	 UVFIO_IRQ_SET_ACTION_TRIGGER)

/* vfio-pci's fixed region and irq indices */
enum {
	UVFIO_PCI_BAR0_REGION_INDEX,
	UVFIO_PCI_BAR1_REGION_INDEX,
	UVFIO_PCI_BAR2_REGION_INDEX,
	UVFIO_PCI_BAR3_REGION_INDEX,
	UVFIO_PCI_BAR4_REGION_INDEX,
	UVFIO_PCI_BAR5_REGION_INDEX,
	UVFIO_PCI_ROM_REGION_INDEX,
	UVFIO_PCI_CONFIG_REGION_INDEX,
	UVFIO_PCI_VGA_REGION_INDEX,
	UVFIO_PCI_NUM_REGIONS = 9
};

enum {
	UVFIO_PCI_INTX_IRQ_INDEX,
	UVFIO_PCI_MSI_IRQ_INDEX,
	UVFIO_PCI_MSIX_IRQ_INDEX,
	UVFIO_PCI_ERR_IRQ_INDEX,
	UVFIO_PCI_REQ_IRQ_INDEX,
	UVFIO_PCI_NUM_IRQS
};

/* vfio-pci's convention for region offsets within the device fd. */
#define UVFIO_PCI_OFFSET_SHIFT 40

/* VFIO_DEVICE_GET_PCI_HOT_RESET_INFO / VFIO_DEVICE_PCI_HOT_RESET */
struct uvfio_pci_dependent_device {
	union {
		uint32_t group_id;
		uint32_t devid;
	};
	uint16_t segment;
	uint8_t bus;
	uint8_t devfn;
};

#define UVFIO_PCI_DEVID_OWNED 0
#define UVFIO_PCI_DEVID_NOT_OWNED (-1)

struct uvfio_pci_hot_reset_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t count;
	struct uvfio_pci_dependent_device devices[];
};

#define UVFIO_PCI_HOT_RESET_FLAG_DEV_ID (1 << 0)
#define UVFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1 << 1)

struct uvfio_pci_hot_reset {
	uint32_t argsz;
	uint32_t flags;
	uint32_t count;
	int32_t group_fds[];
};

/* VFIO_DEVICE_IOEVENTFD */
struct uvfio_device_ioeventfd {
	uint32_t argsz;
	uint32_t flags;
	uint64_t offset;
	uint64_t data;
	int32_t fd;
	uint32_t reserved;
};

#define UVFIO_DEVICE_IOEVENTFD_8 (1 << 0)
#define UVFIO_DEVICE_IOEVENTFD_16 (1 << 1)
#define UVFIO_DEVICE_IOEVENTFD_32 (1 << 2)
#define UVFIO_DEVICE_IOEVENTFD_64 (1 << 3)
#define UVFIO_DEVICE_IOEVENTFD_SIZE_MASK 0xf

/* VFIO_DEVICE_FEATURE: the feature's payload follows the 8-byte header. */
struct uvfio_device_feature {
	uint32_t argsz;
	uint32_t flags;
	uint8_t data[];
};

#define UVFIO_DEVICE_FEATURE_MASK 0xffff
#define UVFIO_DEVICE_FEATURE_GET (1 << 16)
#define UVFIO_DEVICE_FEATURE_SET (1 << 17)
#define UVFIO_DEVICE_FEATURE_PROBE (1 << 18)

#define UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN 0
#define UVFIO_DEVICE_FEATURE_MIGRATION 1
#define UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE 2
#define UVFIO_DEVICE_FEATURE_LOW_POWER_ENTRY 3
#define UVFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP 4
#define UVFIO_DEVICE_FEATURE_LOW_POWER_EXIT 5
#define UVFIO_DEVICE_FEATURE_DMA_LOGGING_START 6
#define UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP 7
#define UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT 8
#define UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE 9
#define UVFIO_DEVICE_FEATURE_BUS_MASTER 10
#define UVFIO_DEVICE_FEATURE_DMA_BUF 11
#define UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 12

/* MIGRATION (GET) */
struct uvfio_device_feature_migration {
	uint64_t flags;
};

#define UVFIO_MIGRATION_STOP_COPY (1 << 0)
#define UVFIO_MIGRATION_P2P (1 << 1)
#define UVFIO_MIGRATION_PRE_COPY (1 << 2)

/* MIG_DEVICE_STATE (GET, SET) */
struct uvfio_device_feature_mig_state {
	uint32_t device_state; /* enum uvfio_device_mig_state */
	int32_t data_fd;
};

enum uvfio_device_mig_state {
	UVFIO_DEVICE_STATE_ERROR = 0,
	UVFIO_DEVICE_STATE_STOP = 1,
	UVFIO_DEVICE_STATE_RUNNING = 2,
	UVFIO_DEVICE_STATE_STOP_COPY = 3,
	UVFIO_DEVICE_STATE_RESUMING = 4,
	UVFIO_DEVICE_STATE_RUNNING_P2P = 5,
	UVFIO_DEVICE_STATE_PRE_COPY = 6,
	UVFIO_DEVICE_STATE_PRE_COPY_P2P = 7,
	UVFIO_DEVICE_STATE_NR,
};

/* The deprecated v1 migration region's device_state bits. */
#define UVFIO_DEVICE_STATE_V1_STOP (0)
#define UVFIO_DEVICE_STATE_V1_RUNNING (1 << 0)
#define UVFIO_DEVICE_STATE_V1_SAVING (1 << 1)
#define UVFIO_DEVICE_STATE_V1_RESUMING (1 << 2)

/* VFIO_MIG_GET_PRECOPY_INFO, on the data fd */
struct uvfio_precopy_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t initial_bytes;
	uint64_t dirty_bytes;
};

/* Output flag, only after MIG_PRECOPY_INFOv2 has been SET. */
#define UVFIO_PRECOPY_INFO_REINIT (1 << 0)

/* LOW_POWER_ENTRY_WITH_WAKEUP (SET) */
struct uvfio_device_low_power_entry_with_wakeup {
	int32_t wakeup_eventfd;
	uint32_t reserved;
};

/* DMA_LOGGING_START (SET); @ranges points at @num_ranges ranges. */
struct uvfio_device_feature_dma_logging_control {
	uint64_t page_size;
	uint32_t num_ranges;
	uint32_t __reserved;
	uint64_t ranges;
};

struct uvfio_device_feature_dma_logging_range {
	uint64_t iova;
	uint64_t length;
};

/* DMA_LOGGING_REPORT (GET); @bitmap points at the caller's bitmap. */
struct uvfio_device_feature_dma_logging_report {
	uint64_t iova;
	uint64_t length;
	uint64_t page_size;
	uint64_t bitmap;
};

/* MIG_DATA_SIZE (GET) */
struct uvfio_device_feature_mig_data_size {
	uint64_t stop_copy_length;
};

/* BUS_MASTER (SET, CDX only) */
struct uvfio_device_feature_bus_master {
	uint32_t op;
};

#define UVFIO_DEVICE_FEATURE_CLEAR_MASTER 0
#define UVFIO_DEVICE_FEATURE_SET_MASTER 1

/* DMA_BUF (GET); the new fd is the ioctl's return value. */
struct uvfio_region_dma_range {
	uint64_t offset;
	uint64_t length;
};

struct uvfio_device_feature_dma_buf {
	uint32_t region_index;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	struct uvfio_region_dma_range dma_ranges[];
};

/* iommufd cdev flow */
struct uvfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr;
};

#define UVFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
#define UVFIO_DEVICE_BIND_IOMMUFD_MINSZ 16

struct uvfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid;
};

#define UVFIO_DEVICE_ATTACH_PASID (1 << 0)

struct uvfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid;
};

#define UVFIO_DEVICE_DETACH_PASID (1 << 0)

/* Type1 IOMMU */
struct uvfio_iommu_type1_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova_pgsizes;
	uint32_t cap_offset;
	uint32_t pad;
};

#define UVFIO_IOMMU_INFO_PGSIZES (1 << 0)
#define UVFIO_IOMMU_INFO_CAPS (1 << 1)

#define UVFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1
#define UVFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2
#define UVFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

struct uvfio_iova_range {
	uint64_t start;
	uint64_t end;
};

struct uvfio_iommu_type1_info_cap_iova_range {
	struct uvfio_info_cap_header header;
	uint32_t nr_iovas;
	uint32_t reserved;
	struct uvfio_iova_range iova_ranges[];
};

struct uvfio_iommu_type1_info_cap_migration {
	struct uvfio_info_cap_header header;
	uint32_t flags;
	uint64_t pgsize_bitmap;
	uint64_t max_dirty_bitmap_size;
};

struct uvfio_iommu_type1_info_dma_avail {
	struct uvfio_info_cap_header header;
	uint32_t avail;
};

struct uvfio_iommu_type1_dma_map {
	uint32_t argsz;
	uint32_t flags;
	uint64_t vaddr;
	uint64_t iova;
	uint64_t size;
};

#define UVFIO_DMA_MAP_FLAG_READ (1 << 0)
#define UVFIO_DMA_MAP_FLAG_WRITE (1 << 1)
#define UVFIO_DMA_MAP_FLAG_VADDR (1 << 2)

struct uvfio_bitmap {
	uint64_t pgsize;
	uint64_t size; /* bytes */
	uint64_t data; /* user pointer */
};

struct uvfio_iommu_type1_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova;
	uint64_t size;
	uint8_t data[];
};

#define UVFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1 << 0)
#define UVFIO_DMA_UNMAP_FLAG_ALL (1 << 1)
#define UVFIO_DMA_UNMAP_FLAG_VADDR (1 << 2)

struct uvfio_iommu_type1_dirty_bitmap {
	uint32_t argsz;
	uint32_t flags;
	uint8_t data[];
};

#define UVFIO_IOMMU_DIRTY_PAGES_FLAG_START (1 << 0)
#define UVFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1 << 1)
#define UVFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1 << 2)

struct uvfio_iommu_type1_dirty_bitmap_get {
	uint64_t iova;
	uint64_t size;
	struct uvfio_bitmap bitmap;
};

/*
 * Layout pins.  A change to any of these breaks the ABI with the kernel and
 * with every vfio-user peer.
 */
#define UVFIO_ABI_PIN(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " size")
#define UVFIO_ABI_OFF(type, field, off)                       \
	_Static_assert(offsetof(struct type, field) == (off), \
		       #type "." #field " offset")

UVFIO_ABI_PIN(uvfio_group_status, 8);
UVFIO_ABI_PIN(uvfio_info_cap_header, 8);
UVFIO_ABI_OFF(uvfio_info_cap_header, id, 0);
UVFIO_ABI_OFF(uvfio_info_cap_header, version, 2);
UVFIO_ABI_OFF(uvfio_info_cap_header, next, 4);

UVFIO_ABI_PIN(uvfio_device_info, 24);
UVFIO_ABI_OFF(uvfio_device_info, argsz, 0);
UVFIO_ABI_OFF(uvfio_device_info, flags, 4);
UVFIO_ABI_OFF(uvfio_device_info, num_regions, 8);
UVFIO_ABI_OFF(uvfio_device_info, num_irqs, 12);
UVFIO_ABI_OFF(uvfio_device_info, cap_offset, 16);
UVFIO_ABI_OFF(uvfio_device_info, pad, 20);
UVFIO_ABI_PIN(uvfio_device_info_cap_pci_atomic_comp, 16);

UVFIO_ABI_PIN(uvfio_region_info, 32);
UVFIO_ABI_OFF(uvfio_region_info, argsz, 0);
UVFIO_ABI_OFF(uvfio_region_info, flags, 4);
UVFIO_ABI_OFF(uvfio_region_info, index, 8);
UVFIO_ABI_OFF(uvfio_region_info, cap_offset, 12);
UVFIO_ABI_OFF(uvfio_region_info, size, 16);
UVFIO_ABI_OFF(uvfio_region_info, offset, 24);
UVFIO_ABI_PIN(uvfio_region_sparse_mmap_area, 16);
UVFIO_ABI_PIN(uvfio_region_info_cap_sparse_mmap, 16);
UVFIO_ABI_OFF(uvfio_region_info_cap_sparse_mmap, nr_areas, 8);
UVFIO_ABI_OFF(uvfio_region_info_cap_sparse_mmap, areas, 16);
UVFIO_ABI_PIN(uvfio_region_info_cap_type, 16);
UVFIO_ABI_OFF(uvfio_region_info_cap_type, type, 8);
UVFIO_ABI_OFF(uvfio_region_info_cap_type, subtype, 12);

UVFIO_ABI_PIN(uvfio_irq_info, 16);
UVFIO_ABI_OFF(uvfio_irq_info, index, 8);
UVFIO_ABI_OFF(uvfio_irq_info, count, 12);
UVFIO_ABI_PIN(uvfio_irq_set, 20);
UVFIO_ABI_OFF(uvfio_irq_set, argsz, 0);
UVFIO_ABI_OFF(uvfio_irq_set, flags, 4);
UVFIO_ABI_OFF(uvfio_irq_set, index, 8);
UVFIO_ABI_OFF(uvfio_irq_set, start, 12);
UVFIO_ABI_OFF(uvfio_irq_set, count, 16);
UVFIO_ABI_OFF(uvfio_irq_set, data, 20);

UVFIO_ABI_PIN(uvfio_pci_dependent_device, 8);
UVFIO_ABI_OFF(uvfio_pci_dependent_device, segment, 4);
UVFIO_ABI_OFF(uvfio_pci_dependent_device, bus, 6);
UVFIO_ABI_OFF(uvfio_pci_dependent_device, devfn, 7);
UVFIO_ABI_PIN(uvfio_pci_hot_reset_info, 12);
UVFIO_ABI_PIN(uvfio_pci_hot_reset, 12);
UVFIO_ABI_PIN(uvfio_device_ioeventfd, 32);
UVFIO_ABI_OFF(uvfio_device_ioeventfd, offset, 8);
UVFIO_ABI_OFF(uvfio_device_ioeventfd, data, 16);
UVFIO_ABI_OFF(uvfio_device_ioeventfd, fd, 24);

UVFIO_ABI_PIN(uvfio_device_feature, 8);
UVFIO_ABI_OFF(uvfio_device_feature, data, 8);
UVFIO_ABI_PIN(uvfio_device_feature_migration, 8);
UVFIO_ABI_PIN(uvfio_device_feature_mig_state, 8);
UVFIO_ABI_OFF(uvfio_device_feature_mig_state, data_fd, 4);
UVFIO_ABI_PIN(uvfio_precopy_info, 24);
UVFIO_ABI_OFF(uvfio_precopy_info, initial_bytes, 8);
UVFIO_ABI_OFF(uvfio_precopy_info, dirty_bytes, 16);
UVFIO_ABI_PIN(uvfio_device_low_power_entry_with_wakeup, 8);
UVFIO_ABI_PIN(uvfio_device_feature_dma_logging_control, 24);
UVFIO_ABI_OFF(uvfio_device_feature_dma_logging_control, num_ranges, 8);
UVFIO_ABI_OFF(uvfio_device_feature_dma_logging_control, ranges, 16);
UVFIO_ABI_PIN(uvfio_device_feature_dma_logging_range, 16);
UVFIO_ABI_PIN(uvfio_device_feature_dma_logging_report, 32);
UVFIO_ABI_OFF(uvfio_device_feature_dma_logging_report, page_size, 16);
UVFIO_ABI_OFF(uvfio_device_feature_dma_logging_report, bitmap, 24);
UVFIO_ABI_PIN(uvfio_device_feature_mig_data_size, 8);
UVFIO_ABI_PIN(uvfio_device_feature_bus_master, 4);
UVFIO_ABI_PIN(uvfio_region_dma_range, 16);
UVFIO_ABI_PIN(uvfio_device_feature_dma_buf, 16);
UVFIO_ABI_OFF(uvfio_device_feature_dma_buf, dma_ranges, 16);

UVFIO_ABI_PIN(uvfio_device_bind_iommufd, 24);
UVFIO_ABI_OFF(uvfio_device_bind_iommufd, iommufd, 8);
UVFIO_ABI_OFF(uvfio_device_bind_iommufd, out_devid, 12);
UVFIO_ABI_OFF(uvfio_device_bind_iommufd, token_uuid_ptr, 16);
UVFIO_ABI_PIN(uvfio_device_attach_iommufd_pt, 16);
UVFIO_ABI_OFF(uvfio_device_attach_iommufd_pt, pt_id, 8);
UVFIO_ABI_OFF(uvfio_device_attach_iommufd_pt, pasid, 12);
UVFIO_ABI_PIN(uvfio_device_detach_iommufd_pt, 12);

UVFIO_ABI_PIN(uvfio_iommu_type1_info, 24);
UVFIO_ABI_OFF(uvfio_iommu_type1_info, iova_pgsizes, 8);
UVFIO_ABI_OFF(uvfio_iommu_type1_info, cap_offset, 16);
UVFIO_ABI_PIN(uvfio_iova_range, 16);
UVFIO_ABI_PIN(uvfio_iommu_type1_info_cap_iova_range, 16);
UVFIO_ABI_PIN(uvfio_iommu_type1_info_cap_migration, 32);
UVFIO_ABI_OFF(uvfio_iommu_type1_info_cap_migration, pgsize_bitmap, 16);
UVFIO_ABI_OFF(uvfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size, 24);
UVFIO_ABI_PIN(uvfio_iommu_type1_info_dma_avail, 12);
UVFIO_ABI_PIN(uvfio_iommu_type1_dma_map, 32);
UVFIO_ABI_OFF(uvfio_iommu_type1_dma_map, vaddr, 8);
UVFIO_ABI_OFF(uvfio_iommu_type1_dma_map, iova, 16);
UVFIO_ABI_OFF(uvfio_iommu_type1_dma_map, size, 24);
UVFIO_ABI_PIN(uvfio_bitmap, 24);
UVFIO_ABI_PIN(uvfio_iommu_type1_dma_unmap, 24);
UVFIO_ABI_OFF(uvfio_iommu_type1_dma_unmap, iova, 8);
UVFIO_ABI_OFF(uvfio_iommu_type1_dma_unmap, size, 16);
UVFIO_ABI_PIN(uvfio_iommu_type1_dirty_bitmap, 8);
UVFIO_ABI_PIN(uvfio_iommu_type1_dirty_bitmap_get, 40);

#undef UVFIO_ABI_PIN
#undef UVFIO_ABI_OFF

#endif /* UVFIO_VFIO_ABI_H */
