// SPDX-License-Identifier: MIT
/*
 * Pin <uvfio/vfio-abi.h> to the numbers of the spec digest, section A
 * (/work/shared/reference/spec-digest.md).  Every literal below is the one
 * the digest gives; a struct layout written there as "{u32 a; u64 b}" is
 * checked field by field (offset and width) at its natural offsets.
 *
 * One cmocka test per digest section, so a failure names the section.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <cmocka.h>

#include <uvfio/vfio-abi.h>

#define EQ(ours, digest) assert_int_equal((ours), (digest))

#define SIZE(type, n) assert_int_equal(sizeof(struct type), (n))

#define OFF(type, field, off) \
	assert_int_equal(offsetof(struct type, field), (off))

#define WIDTH(type, field) sizeof(((struct type *)0)->field)

/* A field at @off, @width bytes wide. */
#define FIELD(type, field, off, width)                         \
	do {                                                   \
		OFF(type, field, off);                         \
		assert_int_equal(WIDTH(type, field), (width)); \
	} while (0)

/* The digest writes it as s32. */
#define SIGNED(type, field) \
	assert_true((__typeof__(((struct type *)0)->field))-1 < 0)

/*
 * A.1: @name is ioctl number @n; the digest's table gives @value, which must
 * also be _IO(';', 100 + n) and 0x3B00 | (100 + n).
 */
#define IOCTL(name, n, value)                                    \
	do {                                                     \
		assert_int_equal((name), (value));               \
		assert_int_equal((name), _IO(';', 100 + (n)));   \
		assert_int_equal((value), 0x3B00 | (100 + (n))); \
	} while (0)

/* A.1 ioctl numbers */
static void test_a1_ioctls(void **state)
{
	(void)state;

	EQ(UVFIO_TYPE, ';');
	EQ(UVFIO_TYPE, 0x3B);
	EQ(UVFIO_BASE, 100);
	EQ(UVFIO_API_VERSION, 0);

	IOCTL(UVFIO_GET_API_VERSION, 0, 0x3B64);
	IOCTL(UVFIO_CHECK_EXTENSION, 1, 0x3B65);
	IOCTL(UVFIO_SET_IOMMU, 2, 0x3B66);
	IOCTL(UVFIO_GROUP_GET_STATUS, 3, 0x3B67);
	IOCTL(UVFIO_GROUP_SET_CONTAINER, 4, 0x3B68);
	IOCTL(UVFIO_GROUP_UNSET_CONTAINER, 5, 0x3B69);
	IOCTL(UVFIO_GROUP_GET_DEVICE_FD, 6, 0x3B6A);
	IOCTL(UVFIO_DEVICE_GET_INFO, 7, 0x3B6B);
	IOCTL(UVFIO_DEVICE_GET_REGION_INFO, 8, 0x3B6C);
	IOCTL(UVFIO_DEVICE_GET_IRQ_INFO, 9, 0x3B6D);
	IOCTL(UVFIO_DEVICE_SET_IRQS, 10, 0x3B6E);
	IOCTL(UVFIO_DEVICE_RESET, 11, 0x3B6F);
	IOCTL(UVFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 12, 0x3B70);
	IOCTL(UVFIO_IOMMU_GET_INFO, 12, 0x3B70);
	IOCTL(UVFIO_DEVICE_PCI_HOT_RESET, 13, 0x3B71);
	IOCTL(UVFIO_IOMMU_MAP_DMA, 13, 0x3B71);
	IOCTL(UVFIO_DEVICE_QUERY_GFX_PLANE, 14, 0x3B72);
	IOCTL(UVFIO_IOMMU_UNMAP_DMA, 14, 0x3B72);
	IOCTL(UVFIO_DEVICE_GET_GFX_DMABUF, 15, 0x3B73);
	IOCTL(UVFIO_IOMMU_ENABLE, 15, 0x3B73);
	IOCTL(UVFIO_DEVICE_IOEVENTFD, 16, 0x3B74);
	IOCTL(UVFIO_IOMMU_DISABLE, 16, 0x3B74);
	IOCTL(UVFIO_DEVICE_FEATURE, 17, 0x3B75);
	IOCTL(UVFIO_IOMMU_DIRTY_PAGES, 17, 0x3B75);
	IOCTL(UVFIO_DEVICE_BIND_IOMMUFD, 18, 0x3B76);
	IOCTL(UVFIO_DEVICE_ATTACH_IOMMUFD_PT, 19, 0x3B77);
	IOCTL(UVFIO_DEVICE_DETACH_IOMMUFD_PT, 20, 0x3B78);
	IOCTL(UVFIO_MIG_GET_PRECOPY_INFO, 21, 0x3B79);

	/* The header's own helper is _IO() too. */
	for (unsigned int n = 0; n <= 21; n++)
		assert_int_equal(UVFIO_IO(n), _IO(';', 100 + n));

	/* GROUP_GET_STATUS: {u32 argsz; u32 flags}, VIABLE 1<<0, CONTAINER_SET 1<<1 */
	SIZE(uvfio_group_status, 8);
	FIELD(uvfio_group_status, argsz, 0, 4);
	FIELD(uvfio_group_status, flags, 4, 4);
	EQ(UVFIO_GROUP_FLAGS_VIABLE, 1 << 0);
	EQ(UVFIO_GROUP_FLAGS_CONTAINER_SET, 1 << 1);
}

/* A.2 extensions */
static void test_a2_extensions(void **state)
{
	(void)state;

	EQ(UVFIO_TYPE1_IOMMU, 1);
	EQ(UVFIO_SPAPR_TCE_IOMMU, 2);
	EQ(UVFIO_TYPE1v2_IOMMU, 3);
	EQ(UVFIO_DMA_CC_IOMMU, 4);
	EQ(UVFIO_EEH, 5);
	EQ(__UVFIO_RESERVED_TYPE1_NESTING_IOMMU, 6);
	EQ(UVFIO_SPAPR_TCE_v2_IOMMU, 7);
	EQ(UVFIO_NOIOMMU_IOMMU, 8);
	EQ(UVFIO_UNMAP_ALL, 9);
	EQ(UVFIO_UPDATE_VADDR, 10);
}

/* A.3 capability chain header: {u16 id; u16 version; u32 next} (8 B) */
static void test_a3_cap_header(void **state)
{
	(void)state;

	SIZE(uvfio_info_cap_header, 8);
	FIELD(uvfio_info_cap_header, id, 0, 2);
	FIELD(uvfio_info_cap_header, version, 2, 2);
	FIELD(uvfio_info_cap_header, next, 4, 4);
}

/* A.4 VFIO_DEVICE_GET_INFO */
static void test_a4_device_info(void **state)
{
	(void)state;

	SIZE(uvfio_device_info, 24);
	FIELD(uvfio_device_info, argsz, 0, 4);
	FIELD(uvfio_device_info, flags, 4, 4);
	FIELD(uvfio_device_info, num_regions, 8, 4);
	FIELD(uvfio_device_info, num_irqs, 12, 4);
	FIELD(uvfio_device_info, cap_offset, 16, 4);
	FIELD(uvfio_device_info, pad, 20, 4);

	/* minsz = offsetofend(num_irqs) = 16 */
	EQ(UVFIO_DEVICE_INFO_MINSZ, 16);
	EQ(offsetof(struct uvfio_device_info, num_irqs) +
		   WIDTH(uvfio_device_info, num_irqs),
	   16);

	EQ(UVFIO_DEVICE_FLAGS_RESET, 1 << 0);
	EQ(UVFIO_DEVICE_FLAGS_PCI, 1 << 1);
	EQ(UVFIO_DEVICE_FLAGS_PLATFORM, 1 << 2);
	EQ(UVFIO_DEVICE_FLAGS_AMBA, 1 << 3);
	EQ(UVFIO_DEVICE_FLAGS_CCW, 1 << 4);
	EQ(UVFIO_DEVICE_FLAGS_AP, 1 << 5);
	EQ(UVFIO_DEVICE_FLAGS_FSL_MC, 1 << 6);
	EQ(UVFIO_DEVICE_FLAGS_CAPS, 1 << 7);
	EQ(UVFIO_DEVICE_FLAGS_CDX, 1 << 8);

	EQ(UVFIO_DEVICE_INFO_CAP_ZPCI_BASE, 1);
	EQ(UVFIO_DEVICE_INFO_CAP_ZPCI_GROUP, 2);
	EQ(UVFIO_DEVICE_INFO_CAP_ZPCI_UTIL, 3);
	EQ(UVFIO_DEVICE_INFO_CAP_ZPCI_PFIP, 4);
	EQ(UVFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, 5);

	/* PCI_ATOMIC_COMP: {hdr; u32 flags; u32 reserved} = 16 B */
	SIZE(uvfio_device_info_cap_pci_atomic_comp, 16);
	FIELD(uvfio_device_info_cap_pci_atomic_comp, header, 0, 8);
	FIELD(uvfio_device_info_cap_pci_atomic_comp, flags, 8, 4);
	FIELD(uvfio_device_info_cap_pci_atomic_comp, reserved, 12, 4);
	EQ(UVFIO_PCI_ATOMIC_COMP32, 1 << 0);
	EQ(UVFIO_PCI_ATOMIC_COMP64, 1 << 1);
	EQ(UVFIO_PCI_ATOMIC_COMP128, 1 << 2);

	assert_string_equal(UVFIO_DEVICE_API_PCI_STRING, "vfio-pci");
	assert_string_equal(UVFIO_DEVICE_API_PLATFORM_STRING, "vfio-platform");
	assert_string_equal(UVFIO_DEVICE_API_AMBA_STRING, "vfio-amba");
	assert_string_equal(UVFIO_DEVICE_API_CCW_STRING, "vfio-ccw");
	assert_string_equal(UVFIO_DEVICE_API_AP_STRING, "vfio-ap");
}

/* A.5 VFIO_DEVICE_GET_REGION_INFO */
static void test_a5_region_info(void **state)
{
	(void)state;

	SIZE(uvfio_region_info, 32);
	FIELD(uvfio_region_info, argsz, 0, 4);
	FIELD(uvfio_region_info, flags, 4, 4);
	FIELD(uvfio_region_info, index, 8, 4);
	FIELD(uvfio_region_info, cap_offset, 12, 4);
	FIELD(uvfio_region_info, size, 16, 8);
	FIELD(uvfio_region_info, offset, 24, 8);

	EQ(UVFIO_REGION_INFO_FLAG_READ, 1 << 0);
	EQ(UVFIO_REGION_INFO_FLAG_WRITE, 1 << 1);
	EQ(UVFIO_REGION_INFO_FLAG_MMAP, 1 << 2);
	EQ(UVFIO_REGION_INFO_FLAG_CAPS, 1 << 3);

	EQ(UVFIO_REGION_INFO_CAP_SPARSE_MMAP, 1);
	EQ(UVFIO_REGION_INFO_CAP_TYPE, 2);
	EQ(UVFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 3);
	EQ(UVFIO_REGION_INFO_CAP_NVLINK2_SSATGT, 4);
	EQ(UVFIO_REGION_INFO_CAP_NVLINK2_LNKSPD, 5);

	/* SPARSE_MMAP: hdr(8) + u32 nr_areas + u32 reserved + areas[] */
	SIZE(uvfio_region_info_cap_sparse_mmap, 16);
	FIELD(uvfio_region_info_cap_sparse_mmap, header, 0, 8);
	FIELD(uvfio_region_info_cap_sparse_mmap, nr_areas, 8, 4);
	FIELD(uvfio_region_info_cap_sparse_mmap, reserved, 12, 4);
	OFF(uvfio_region_info_cap_sparse_mmap, areas, 16);
	/* area: {u64 offset; u64 size} */
	SIZE(uvfio_region_sparse_mmap_area, 16);
	FIELD(uvfio_region_sparse_mmap_area, offset, 0, 8);
	FIELD(uvfio_region_sparse_mmap_area, size, 8, 8);

	/* TYPE: hdr + u32 type + u32 subtype (16 B) */
	SIZE(uvfio_region_info_cap_type, 16);
	FIELD(uvfio_region_info_cap_type, header, 0, 8);
	FIELD(uvfio_region_info_cap_type, type, 8, 4);
	FIELD(uvfio_region_info_cap_type, subtype, 12, 4);

	/* Region types and subtypes */
	EQ(UVFIO_REGION_TYPE_PCI_VENDOR_TYPE, 0x80000000u);
	EQ(UVFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x8086, 0x80008086u);
	EQ(UVFIO_REGION_TYPE_PCI_VENDOR_MASK, 0xffff);
	EQ(UVFIO_REGION_TYPE_GFX, 1);
	EQ(UVFIO_REGION_TYPE_CCW, 2);
	EQ(UVFIO_REGION_TYPE_MIGRATION_DEPRECATED, 3);
	EQ(UVFIO_REGION_SUBTYPE_GFX_EDID, 1);
	EQ(UVFIO_REGION_SUBTYPE_CCW_ASYNC_CMD, 1);
	EQ(UVFIO_REGION_SUBTYPE_CCW_SCHIB, 2);
	EQ(UVFIO_REGION_SUBTYPE_CCW_CRW, 3);
	EQ(UVFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED, 1);
	EQ(UVFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION, 1);
	EQ(UVFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG, 2);
	EQ(UVFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG, 3);

	/* vfio-pci fixed indices */
	EQ(UVFIO_PCI_BAR0_REGION_INDEX, 0);
	EQ(UVFIO_PCI_BAR1_REGION_INDEX, 1);
	EQ(UVFIO_PCI_BAR2_REGION_INDEX, 2);
	EQ(UVFIO_PCI_BAR3_REGION_INDEX, 3);
	EQ(UVFIO_PCI_BAR4_REGION_INDEX, 4);
	EQ(UVFIO_PCI_BAR5_REGION_INDEX, 5);
	EQ(UVFIO_PCI_ROM_REGION_INDEX, 6);
	EQ(UVFIO_PCI_CONFIG_REGION_INDEX, 7);
	EQ(UVFIO_PCI_VGA_REGION_INDEX, 8);
	EQ(UVFIO_PCI_NUM_REGIONS, 9);

	EQ(UVFIO_PCI_INTX_IRQ_INDEX, 0);
	EQ(UVFIO_PCI_MSI_IRQ_INDEX, 1);
	EQ(UVFIO_PCI_MSIX_IRQ_INDEX, 2);
	EQ(UVFIO_PCI_ERR_IRQ_INDEX, 3);
	EQ(UVFIO_PCI_REQ_IRQ_INDEX, 4);
	EQ(UVFIO_PCI_NUM_IRQS, 5);

	/* offset = index << 40 */
	EQ(UVFIO_PCI_OFFSET_SHIFT, 40);
	EQ((uint64_t)UVFIO_PCI_CONFIG_REGION_INDEX << UVFIO_PCI_OFFSET_SHIFT,
	   0x70000000000ull);
}

/* A.6 GET_IRQ_INFO / SET_IRQS */
static void test_a6_irqs(void **state)
{
	(void)state;

	SIZE(uvfio_irq_info, 16);
	FIELD(uvfio_irq_info, argsz, 0, 4);
	FIELD(uvfio_irq_info, flags, 4, 4);
	FIELD(uvfio_irq_info, index, 8, 4);
	FIELD(uvfio_irq_info, count, 12, 4);

	EQ(UVFIO_IRQ_INFO_EVENTFD, 1 << 0);
	EQ(UVFIO_IRQ_INFO_MASKABLE, 1 << 1);
	EQ(UVFIO_IRQ_INFO_AUTOMASKED, 1 << 2);
	EQ(UVFIO_IRQ_INFO_NORESIZE, 1 << 3);

	/* 20 B + data: argsz@0, flags@4, index@8, start@12, count@16, data@20 */
	SIZE(uvfio_irq_set, 20);
	FIELD(uvfio_irq_set, argsz, 0, 4);
	FIELD(uvfio_irq_set, flags, 4, 4);
	FIELD(uvfio_irq_set, index, 8, 4);
	FIELD(uvfio_irq_set, start, 12, 4);
	FIELD(uvfio_irq_set, count, 16, 4);
	OFF(uvfio_irq_set, data, 20);

	EQ(UVFIO_IRQ_SET_DATA_NONE, 1 << 0);
	EQ(UVFIO_IRQ_SET_DATA_BOOL, 1 << 1);
	EQ(UVFIO_IRQ_SET_DATA_EVENTFD, 1 << 2);
	EQ(UVFIO_IRQ_SET_ACTION_MASK, 1 << 3);
	EQ(UVFIO_IRQ_SET_ACTION_UNMASK, 1 << 4);
	EQ(UVFIO_IRQ_SET_ACTION_TRIGGER, 1 << 5);
	EQ(UVFIO_IRQ_SET_DATA_TYPE_MASK, 0x7);
	EQ(UVFIO_IRQ_SET_ACTION_TYPE_MASK, 0x38);
}

/* A.7 hot reset info and IOEVENTFD */
static void test_a7_hot_reset_ioeventfd(void **state)
{
	(void)state;

	/* {u32 group_id|devid; u16 segment; u8 bus; u8 devfn} */
	SIZE(uvfio_pci_dependent_device, 8);
	FIELD(uvfio_pci_dependent_device, group_id, 0, 4);
	FIELD(uvfio_pci_dependent_device, devid, 0, 4);
	FIELD(uvfio_pci_dependent_device, segment, 4, 2);
	FIELD(uvfio_pci_dependent_device, bus, 6, 1);
	FIELD(uvfio_pci_dependent_device, devfn, 7, 1);

	/* {argsz, flags, count, devices[]}: 12 + 8n B */
	SIZE(uvfio_pci_hot_reset_info, 12);
	FIELD(uvfio_pci_hot_reset_info, argsz, 0, 4);
	FIELD(uvfio_pci_hot_reset_info, flags, 4, 4);
	FIELD(uvfio_pci_hot_reset_info, count, 8, 4);
	OFF(uvfio_pci_hot_reset_info, devices, 12);
	EQ(sizeof(struct uvfio_pci_hot_reset_info) +
		   3 * sizeof(struct uvfio_pci_dependent_device),
	   12 + 8 * 3);

	EQ(UVFIO_PCI_HOT_RESET_FLAG_DEV_ID, 1 << 0);
	EQ(UVFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, 1 << 1);
	EQ(UVFIO_PCI_DEVID_OWNED, 0);
	EQ(UVFIO_PCI_DEVID_NOT_OWNED, -1);

	/* {argsz, flags, u64 offset, u64 data, s32 fd, u32 reserved} 32 B */
	SIZE(uvfio_device_ioeventfd, 32);
	FIELD(uvfio_device_ioeventfd, argsz, 0, 4);
	FIELD(uvfio_device_ioeventfd, flags, 4, 4);
	FIELD(uvfio_device_ioeventfd, offset, 8, 8);
	FIELD(uvfio_device_ioeventfd, data, 16, 8);
	FIELD(uvfio_device_ioeventfd, fd, 24, 4);
	SIGNED(uvfio_device_ioeventfd, fd);
	FIELD(uvfio_device_ioeventfd, reserved, 28, 4);

	/* size 1/2/4/8 = bits 0..3 */
	EQ(UVFIO_DEVICE_IOEVENTFD_8, 1 << 0);
	EQ(UVFIO_DEVICE_IOEVENTFD_16, 1 << 1);
	EQ(UVFIO_DEVICE_IOEVENTFD_32, 1 << 2);
	EQ(UVFIO_DEVICE_IOEVENTFD_64, 1 << 3);
	EQ(UVFIO_DEVICE_IOEVENTFD_SIZE_MASK, 0xf);
}

/* A.8 VFIO_DEVICE_FEATURE */
static void test_a8_device_feature(void **state)
{
	(void)state;

	/* {u32 argsz; u32 flags; u8 data[]} (8 B header) */
	SIZE(uvfio_device_feature, 8);
	FIELD(uvfio_device_feature, argsz, 0, 4);
	FIELD(uvfio_device_feature, flags, 4, 4);
	OFF(uvfio_device_feature, data, 8);

	EQ(UVFIO_DEVICE_FEATURE_MASK, 0xffff);
	EQ(UVFIO_DEVICE_FEATURE_GET, 1 << 16);
	EQ(UVFIO_DEVICE_FEATURE_SET, 1 << 17);
	EQ(UVFIO_DEVICE_FEATURE_PROBE, 1 << 18);

	EQ(UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN, 0);
	EQ(UVFIO_DEVICE_FEATURE_MIGRATION, 1);
	EQ(UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, 2);
	EQ(UVFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 3);
	EQ(UVFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP, 4);
	EQ(UVFIO_DEVICE_FEATURE_LOW_POWER_EXIT, 5);
	EQ(UVFIO_DEVICE_FEATURE_DMA_LOGGING_START, 6);
	EQ(UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, 7);
	EQ(UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, 8);
	EQ(UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE, 9);
	EQ(UVFIO_DEVICE_FEATURE_BUS_MASTER, 10);
	EQ(UVFIO_DEVICE_FEATURE_DMA_BUF, 11);
	EQ(UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, 12);

	/* 1 MIGRATION: u64 flags */
	SIZE(uvfio_device_feature_migration, 8);
	FIELD(uvfio_device_feature_migration, flags, 0, 8);

	/* 2 MIG_DEVICE_STATE: {u32 device_state; s32 data_fd} 8 B */
	SIZE(uvfio_device_feature_mig_state, 8);
	FIELD(uvfio_device_feature_mig_state, device_state, 0, 4);
	FIELD(uvfio_device_feature_mig_state, data_fd, 4, 4);
	SIGNED(uvfio_device_feature_mig_state, data_fd);

	/* 4 LOW_POWER_ENTRY_WITH_WAKEUP: {s32 wakeup_eventfd; u32 reserved},
	 * data minsz 8 */
	SIZE(uvfio_device_low_power_entry_with_wakeup, 8);
	FIELD(uvfio_device_low_power_entry_with_wakeup, wakeup_eventfd, 0, 4);
	SIGNED(uvfio_device_low_power_entry_with_wakeup, wakeup_eventfd);
	FIELD(uvfio_device_low_power_entry_with_wakeup, reserved, 4, 4);

	/* 9 MIG_DATA_SIZE: {u64 stop_copy_length} */
	SIZE(uvfio_device_feature_mig_data_size, 8);
	FIELD(uvfio_device_feature_mig_data_size, stop_copy_length, 0, 8);

	/* 10 BUS_MASTER: {u32 op} CLEAR_MASTER 0, SET_MASTER 1 */
	SIZE(uvfio_device_feature_bus_master, 4);
	FIELD(uvfio_device_feature_bus_master, op, 0, 4);
	EQ(UVFIO_DEVICE_FEATURE_CLEAR_MASTER, 0);
	EQ(UVFIO_DEVICE_FEATURE_SET_MASTER, 1);

	/* 11 DMA_BUF: {u32 region_index; u32 open_flags; u32 flags;
	 * u32 nr_ranges; {u64 offset; u64 length} dma_ranges[]} */
	SIZE(uvfio_device_feature_dma_buf, 16);
	FIELD(uvfio_device_feature_dma_buf, region_index, 0, 4);
	FIELD(uvfio_device_feature_dma_buf, open_flags, 4, 4);
	FIELD(uvfio_device_feature_dma_buf, flags, 8, 4);
	FIELD(uvfio_device_feature_dma_buf, nr_ranges, 12, 4);
	OFF(uvfio_device_feature_dma_buf, dma_ranges, 16);
	SIZE(uvfio_region_dma_range, 16);
	FIELD(uvfio_region_dma_range, offset, 0, 8);
	FIELD(uvfio_region_dma_range, length, 8, 8);
}

/* A.9.1 migration flags and states */
static void test_a9_1_migration_states(void **state)
{
	(void)state;

	EQ(UVFIO_MIGRATION_STOP_COPY, 1 << 0);
	EQ(UVFIO_MIGRATION_P2P, 1 << 1);
	EQ(UVFIO_MIGRATION_PRE_COPY, 1 << 2);

	EQ(UVFIO_DEVICE_STATE_ERROR, 0);
	EQ(UVFIO_DEVICE_STATE_STOP, 1);
	EQ(UVFIO_DEVICE_STATE_RUNNING, 2);
	EQ(UVFIO_DEVICE_STATE_STOP_COPY, 3);
	EQ(UVFIO_DEVICE_STATE_RESUMING, 4);
	EQ(UVFIO_DEVICE_STATE_RUNNING_P2P, 5);
	EQ(UVFIO_DEVICE_STATE_PRE_COPY, 6);
	EQ(UVFIO_DEVICE_STATE_PRE_COPY_P2P, 7);
	/* Eight states, 0..7. */
	EQ(UVFIO_DEVICE_STATE_NR, 8);

	EQ(UVFIO_DEVICE_STATE_V1_STOP, 0);
	EQ(UVFIO_DEVICE_STATE_V1_RUNNING, 1 << 0);
	EQ(UVFIO_DEVICE_STATE_V1_SAVING, 1 << 1);
	EQ(UVFIO_DEVICE_STATE_V1_RESUMING, 1 << 2);
}

/* A.9.6 VFIO_MIG_GET_PRECOPY_INFO (and A.9.7 MIG_DATA_SIZE) */
static void test_a9_6_precopy_info(void **state)
{
	(void)state;

	IOCTL(UVFIO_MIG_GET_PRECOPY_INFO, 21, 0x3B79);

	/* {u32 argsz; u32 flags; u64 initial_bytes; u64 dirty_bytes} 24 B */
	SIZE(uvfio_precopy_info, 24);
	FIELD(uvfio_precopy_info, argsz, 0, 4);
	FIELD(uvfio_precopy_info, flags, 4, 4);
	FIELD(uvfio_precopy_info, initial_bytes, 8, 8);
	FIELD(uvfio_precopy_info, dirty_bytes, 16, 8);

	EQ(UVFIO_PRECOPY_INFO_REINIT, 1 << 0);
	EQ(UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, 12);
	EQ(UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE, 9);
}

/* A.10 DMA logging (features 6/7/8) */
static void test_a10_dma_logging(void **state)
{
	(void)state;

	EQ(UVFIO_DEVICE_FEATURE_DMA_LOGGING_START, 6);
	EQ(UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, 7);
	EQ(UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, 8);

	/* control: {u64 page_size; u32 num_ranges; u32 __reserved;
	 * u64 ranges} 24 B */
	SIZE(uvfio_device_feature_dma_logging_control, 24);
	FIELD(uvfio_device_feature_dma_logging_control, page_size, 0, 8);
	FIELD(uvfio_device_feature_dma_logging_control, num_ranges, 8, 4);
	FIELD(uvfio_device_feature_dma_logging_control, __reserved, 12, 4);
	FIELD(uvfio_device_feature_dma_logging_control, ranges, 16, 8);

	/* range: {u64 iova; u64 length}; PAGE_SIZE/16 = 256 with 4 KiB */
	SIZE(uvfio_device_feature_dma_logging_range, 16);
	FIELD(uvfio_device_feature_dma_logging_range, iova, 0, 8);
	FIELD(uvfio_device_feature_dma_logging_range, length, 8, 8);
	EQ(4096 / sizeof(struct uvfio_device_feature_dma_logging_range), 256);

	/* report: {u64 iova; u64 length; u64 page_size; u64 bitmap} 32 B */
	SIZE(uvfio_device_feature_dma_logging_report, 32);
	FIELD(uvfio_device_feature_dma_logging_report, iova, 0, 8);
	FIELD(uvfio_device_feature_dma_logging_report, length, 8, 8);
	FIELD(uvfio_device_feature_dma_logging_report, page_size, 16, 8);
	FIELD(uvfio_device_feature_dma_logging_report, bitmap, 24, 8);
}

/* A.11 container (type1) API */
static void test_a11_type1(void **state)
{
	(void)state;

	/* info: argsz, flags, u64 iova_pgsizes, cap_offset, pad (24 B) */
	SIZE(uvfio_iommu_type1_info, 24);
	FIELD(uvfio_iommu_type1_info, argsz, 0, 4);
	FIELD(uvfio_iommu_type1_info, flags, 4, 4);
	FIELD(uvfio_iommu_type1_info, iova_pgsizes, 8, 8);
	FIELD(uvfio_iommu_type1_info, cap_offset, 16, 4);
	FIELD(uvfio_iommu_type1_info, pad, 20, 4);
	EQ(UVFIO_IOMMU_INFO_PGSIZES, 1 << 0);
	EQ(UVFIO_IOMMU_INFO_CAPS, 1 << 1);

	EQ(UVFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	EQ(UVFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 2);
	EQ(UVFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 3);

	/* IOVA_RANGE: {hdr; u32 nr_iovas; u32 reserved;
	 * {u64 start; u64 end}[]} */
	SIZE(uvfio_iommu_type1_info_cap_iova_range, 16);
	FIELD(uvfio_iommu_type1_info_cap_iova_range, header, 0, 8);
	FIELD(uvfio_iommu_type1_info_cap_iova_range, nr_iovas, 8, 4);
	FIELD(uvfio_iommu_type1_info_cap_iova_range, reserved, 12, 4);
	OFF(uvfio_iommu_type1_info_cap_iova_range, iova_ranges, 16);
	SIZE(uvfio_iova_range, 16);
	FIELD(uvfio_iova_range, start, 0, 8);
	FIELD(uvfio_iova_range, end, 8, 8);

	/* MIGRATION: {hdr; u32 flags; u64 pgsize_bitmap;
	 * u64 max_dirty_bitmap_size} (32 B) */
	SIZE(uvfio_iommu_type1_info_cap_migration, 32);
	FIELD(uvfio_iommu_type1_info_cap_migration, header, 0, 8);
	FIELD(uvfio_iommu_type1_info_cap_migration, flags, 8, 4);
	FIELD(uvfio_iommu_type1_info_cap_migration, pgsize_bitmap, 16, 8);
	FIELD(uvfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size, 24,
	      8);

	/* DMA_AVAIL: {hdr; u32 avail} */
	SIZE(uvfio_iommu_type1_info_dma_avail, 12);
	FIELD(uvfio_iommu_type1_info_dma_avail, header, 0, 8);
	FIELD(uvfio_iommu_type1_info_dma_avail, avail, 8, 4);

	/* MAP_DMA: {argsz; flags; u64 vaddr; u64 iova; u64 size} 32 B */
	SIZE(uvfio_iommu_type1_dma_map, 32);
	FIELD(uvfio_iommu_type1_dma_map, argsz, 0, 4);
	FIELD(uvfio_iommu_type1_dma_map, flags, 4, 4);
	FIELD(uvfio_iommu_type1_dma_map, vaddr, 8, 8);
	FIELD(uvfio_iommu_type1_dma_map, iova, 16, 8);
	FIELD(uvfio_iommu_type1_dma_map, size, 24, 8);
	EQ(UVFIO_DMA_MAP_FLAG_READ, 1 << 0);
	EQ(UVFIO_DMA_MAP_FLAG_WRITE, 1 << 1);
	EQ(UVFIO_DMA_MAP_FLAG_VADDR, 1 << 2);

	/* UNMAP_DMA: {argsz; flags; u64 iova; u64 size; u8 data[]} 24 B */
	SIZE(uvfio_iommu_type1_dma_unmap, 24);
	FIELD(uvfio_iommu_type1_dma_unmap, argsz, 0, 4);
	FIELD(uvfio_iommu_type1_dma_unmap, flags, 4, 4);
	FIELD(uvfio_iommu_type1_dma_unmap, iova, 8, 8);
	FIELD(uvfio_iommu_type1_dma_unmap, size, 16, 8);
	OFF(uvfio_iommu_type1_dma_unmap, data, 24);
	EQ(UVFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 1 << 0);
	EQ(UVFIO_DMA_UNMAP_FLAG_ALL, 1 << 1);
	EQ(UVFIO_DMA_UNMAP_FLAG_VADDR, 1 << 2);

	/* vfio_bitmap: {u64 pgsize; u64 size; u64 data} 24 B */
	SIZE(uvfio_bitmap, 24);
	FIELD(uvfio_bitmap, pgsize, 0, 8);
	FIELD(uvfio_bitmap, size, 8, 8);
	FIELD(uvfio_bitmap, data, 16, 8);

	/* DIRTY_PAGES: {argsz; flags; data[]} */
	SIZE(uvfio_iommu_type1_dirty_bitmap, 8);
	FIELD(uvfio_iommu_type1_dirty_bitmap, argsz, 0, 4);
	FIELD(uvfio_iommu_type1_dirty_bitmap, flags, 4, 4);
	OFF(uvfio_iommu_type1_dirty_bitmap, data, 8);
	EQ(UVFIO_IOMMU_DIRTY_PAGES_FLAG_START, 1 << 0);
	EQ(UVFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, 1 << 1);
	EQ(UVFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, 1 << 2);

	/* GET data: {u64 iova; u64 size; struct vfio_bitmap} (40 B) */
	SIZE(uvfio_iommu_type1_dirty_bitmap_get, 40);
	FIELD(uvfio_iommu_type1_dirty_bitmap_get, iova, 0, 8);
	FIELD(uvfio_iommu_type1_dirty_bitmap_get, size, 8, 8);
	FIELD(uvfio_iommu_type1_dirty_bitmap_get, bitmap, 16, 24);
}

/* A.12 iommufd cdev flow */
static void test_a12_iommufd_cdev(void **state)
{
	(void)state;

	IOCTL(UVFIO_DEVICE_BIND_IOMMUFD, 18, 0x3B76);
	IOCTL(UVFIO_DEVICE_ATTACH_IOMMUFD_PT, 19, 0x3B77);
	IOCTL(UVFIO_DEVICE_DETACH_IOMMUFD_PT, 20, 0x3B78);

	/* {u32 argsz; u32 flags; s32 iommufd; u32 out_devid;
	 * u64 token_uuid_ptr} (24 B; minsz 16) */
	SIZE(uvfio_device_bind_iommufd, 24);
	FIELD(uvfio_device_bind_iommufd, argsz, 0, 4);
	FIELD(uvfio_device_bind_iommufd, flags, 4, 4);
	FIELD(uvfio_device_bind_iommufd, iommufd, 8, 4);
	SIGNED(uvfio_device_bind_iommufd, iommufd);
	FIELD(uvfio_device_bind_iommufd, out_devid, 12, 4);
	FIELD(uvfio_device_bind_iommufd, token_uuid_ptr, 16, 8);
	EQ(UVFIO_DEVICE_BIND_IOMMUFD_MINSZ, 16);
	EQ(UVFIO_DEVICE_BIND_FLAG_TOKEN, 1 << 0);

	/* {argsz; flags; u32 pt_id; u32 pasid} (16 B) */
	SIZE(uvfio_device_attach_iommufd_pt, 16);
	FIELD(uvfio_device_attach_iommufd_pt, argsz, 0, 4);
	FIELD(uvfio_device_attach_iommufd_pt, flags, 4, 4);
	FIELD(uvfio_device_attach_iommufd_pt, pt_id, 8, 4);
	FIELD(uvfio_device_attach_iommufd_pt, pasid, 12, 4);
	EQ(UVFIO_DEVICE_ATTACH_PASID, 1 << 0);

	/* {argsz; flags; pasid} (12 B) */
	SIZE(uvfio_device_detach_iommufd_pt, 12);
	FIELD(uvfio_device_detach_iommufd_pt, argsz, 0, 4);
	FIELD(uvfio_device_detach_iommufd_pt, flags, 4, 4);
	FIELD(uvfio_device_detach_iommufd_pt, pasid, 8, 4);
	EQ(UVFIO_DEVICE_DETACH_PASID, 1 << 0);
}

/*
 * A.13: what the newest uAPI has and Debian's 6.1 header lacks; our header
 * must carry each of them.  (VFIO_AP_CFG_CHG_IRQ_INDEX, also listed there,
 * has no uvfio counterpart and no value in the digest.)
 */
static void test_a13_newer_than_6_1(void **state)
{
	(void)state;

	EQ(UVFIO_DEVICE_FLAGS_CDX, 1 << 8);
	OFF(uvfio_device_info, pad, 20);
	SIZE(uvfio_device_info, 24);
	EQ(UVFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, 5);
	SIZE(uvfio_device_info_cap_pci_atomic_comp, 16);
	EQ(UVFIO_MIGRATION_PRE_COPY, 1 << 2);
	EQ(UVFIO_DEVICE_STATE_PRE_COPY, 6);
	EQ(UVFIO_DEVICE_STATE_PRE_COPY_P2P, 7);
	EQ(UVFIO_MIG_GET_PRECOPY_INFO, 0x3B79);
	SIZE(uvfio_precopy_info, 24);
	EQ(UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE, 9);
	EQ(UVFIO_DEVICE_FEATURE_BUS_MASTER, 10);
	EQ(UVFIO_DEVICE_FEATURE_DMA_BUF, 11);
	EQ(UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, 12);
	EQ(UVFIO_PRECOPY_INFO_REINIT, 1 << 0);
	EQ(UVFIO_DEVICE_BIND_IOMMUFD, 0x3B76);
	EQ(UVFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3B77);
	EQ(UVFIO_DEVICE_DETACH_IOMMUFD_PT, 0x3B78);
	SIZE(uvfio_device_bind_iommufd, 24);
	SIZE(uvfio_device_attach_iommufd_pt, 16);
	SIZE(uvfio_device_detach_iommufd_pt, 12);
	EQ(UVFIO_DEVICE_BIND_FLAG_TOKEN, 1 << 0);
	EQ(UVFIO_DEVICE_ATTACH_PASID, 1 << 0);
	EQ(UVFIO_DEVICE_DETACH_PASID, 1 << 0);
	/* devid shares the slot of group_id */
	OFF(uvfio_pci_dependent_device, devid, 0);
	OFF(uvfio_pci_dependent_device, group_id, 0);
	EQ(UVFIO_PCI_HOT_RESET_FLAG_DEV_ID, 1 << 0);
	EQ(UVFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, 1 << 1);
	EQ(UVFIO_PCI_DEVID_OWNED, 0);
	EQ(UVFIO_PCI_DEVID_NOT_OWNED, -1);
	EQ(__UVFIO_RESERVED_TYPE1_NESTING_IOMMU, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a1_ioctls),
		cmocka_unit_test(test_a2_extensions),
		cmocka_unit_test(test_a3_cap_header),
		cmocka_unit_test(test_a4_device_info),
		cmocka_unit_test(test_a5_region_info),
		cmocka_unit_test(test_a6_irqs),
		cmocka_unit_test(test_a7_hot_reset_ioeventfd),
		cmocka_unit_test(test_a8_device_feature),
		cmocka_unit_test(test_a9_1_migration_states),
		cmocka_unit_test(test_a9_6_precopy_info),
		cmocka_unit_test(test_a10_dma_logging),
		cmocka_unit_test(test_a11_type1),
		cmocka_unit_test(test_a12_iommufd_cdev),
		cmocka_unit_test(test_a13_newer_than_6_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
