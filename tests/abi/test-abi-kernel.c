// SPDX-License-Identifier: MIT
/*
 * <uvfio/vfio-abi.h> against the system's <linux/vfio.h> (Debian 12: the
 * 6.1 uAPI).  The "u" prefix lets both be included at once.  For every name
 * the 6.1 header has, our value must be the kernel's; for every struct both
 * have, the size and the offset and width of every field 6.1 has must match.
 * The one deliberate difference is struct vfio_device_info: 20 bytes in 6.1,
 * 24 (with the newer trailing pad) in ours.  The size of the system's is
 * checked against its version: the pad came with "vfio: align capability
 * structures" in 6.6, so newer linux-libc-dev headers have 24 bytes too.
 *
 * Names that 6.1 lacks (PRE_COPY, states 6/7, precopy info, MIG_DATA_SIZE,
 * cdev ioctls, CDX, ...) are pinned by test-abi-digest.c instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/version.h>
#include <linux/vfio.h>
#include <uvfio/vfio-abi.h>

/* Our UVFIO_X equals the kernel's VFIO_X. */
#define SAME(x) assert_int_equal(U##x, x)

/* For a name that differs beyond the prefix. */
#define SAME_AS(ours, kernel) assert_int_equal(ours, kernel)

/* Compared as the u32 the value travels in. */
#define SAME_STR(x) assert_string_equal(U##x, x)

/* struct uvfio_x and struct vfio_x */
#define SAME_SIZE(s) assert_int_equal(sizeof(struct u##s), sizeof(struct s))

#define SAME_OFF(s, f) \
	assert_int_equal(offsetof(struct u##s, f), offsetof(struct s, f))

#define WIDTH(type, f) sizeof(((type *)0)->f)

/* Offset and width; not for flexible array members. */
#define SAME_FIELD(s, f)                                                     \
	do {                                                                 \
		SAME_OFF(s, f);                                              \
		assert_int_equal(WIDTH(struct u##s, f), WIDTH(struct s, f)); \
	} while (0)

static void test_ioctls(void **state)
{
	(void)state;

	SAME(VFIO_API_VERSION);
	SAME(VFIO_TYPE);
	SAME(VFIO_BASE);

	SAME(VFIO_GET_API_VERSION);
	SAME(VFIO_CHECK_EXTENSION);
	SAME(VFIO_SET_IOMMU);
	SAME(VFIO_GROUP_GET_STATUS);
	SAME(VFIO_GROUP_SET_CONTAINER);
	SAME(VFIO_GROUP_UNSET_CONTAINER);
	SAME(VFIO_GROUP_GET_DEVICE_FD);
	SAME(VFIO_DEVICE_GET_INFO);
	SAME(VFIO_DEVICE_GET_REGION_INFO);
	SAME(VFIO_DEVICE_GET_IRQ_INFO);
	SAME(VFIO_DEVICE_SET_IRQS);
	SAME(VFIO_DEVICE_RESET);
	SAME(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
	SAME(VFIO_DEVICE_PCI_HOT_RESET);
	SAME(VFIO_DEVICE_QUERY_GFX_PLANE);
	SAME(VFIO_DEVICE_GET_GFX_DMABUF);
	SAME(VFIO_DEVICE_IOEVENTFD);
	SAME(VFIO_DEVICE_FEATURE);

	SAME(VFIO_IOMMU_GET_INFO);
	SAME(VFIO_IOMMU_MAP_DMA);
	SAME(VFIO_IOMMU_UNMAP_DMA);
	SAME(VFIO_IOMMU_ENABLE);
	SAME(VFIO_IOMMU_DISABLE);
	SAME(VFIO_IOMMU_DIRTY_PAGES);

	/*
	 * Numbers 17..21 are shared (digest A.1).  6.1 has no cdev or
	 * precopy ioctls, but its spapr/EEH ioctls carry the same numbers.
	 */
	SAME_AS(UVFIO_DEVICE_FEATURE, VFIO_IOMMU_SPAPR_REGISTER_MEMORY);
	SAME_AS(UVFIO_DEVICE_BIND_IOMMUFD, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY);
	SAME_AS(UVFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_IOMMU_SPAPR_TCE_CREATE);
	SAME_AS(UVFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_IOMMU_SPAPR_TCE_REMOVE);
	SAME_AS(UVFIO_MIG_GET_PRECOPY_INFO, VFIO_EEH_PE_OP);
	SAME_AS(UVFIO_IOMMU_GET_INFO, VFIO_IOMMU_SPAPR_TCE_GET_INFO);
}

static void test_extensions(void **state)
{
	(void)state;

	SAME(VFIO_TYPE1_IOMMU);
	SAME(VFIO_SPAPR_TCE_IOMMU);
	SAME(VFIO_TYPE1v2_IOMMU);
	SAME(VFIO_DMA_CC_IOMMU);
	SAME(VFIO_EEH);
	/* Renamed after 6.1. */
	SAME_AS(__UVFIO_RESERVED_TYPE1_NESTING_IOMMU, VFIO_TYPE1_NESTING_IOMMU);
	SAME(VFIO_SPAPR_TCE_v2_IOMMU);
	SAME(VFIO_NOIOMMU_IOMMU);
	SAME(VFIO_UNMAP_ALL);
	SAME(VFIO_UPDATE_VADDR);
}

static void test_group_and_device_constants(void **state)
{
	(void)state;

	SAME(VFIO_GROUP_FLAGS_VIABLE);
	SAME(VFIO_GROUP_FLAGS_CONTAINER_SET);

	SAME(VFIO_DEVICE_FLAGS_RESET);
	SAME(VFIO_DEVICE_FLAGS_PCI);
	SAME(VFIO_DEVICE_FLAGS_PLATFORM);
	SAME(VFIO_DEVICE_FLAGS_AMBA);
	SAME(VFIO_DEVICE_FLAGS_CCW);
	SAME(VFIO_DEVICE_FLAGS_AP);
	SAME(VFIO_DEVICE_FLAGS_FSL_MC);
	SAME(VFIO_DEVICE_FLAGS_CAPS);

	SAME_STR(VFIO_DEVICE_API_PCI_STRING);
	SAME_STR(VFIO_DEVICE_API_PLATFORM_STRING);
	SAME_STR(VFIO_DEVICE_API_AMBA_STRING);
	SAME_STR(VFIO_DEVICE_API_CCW_STRING);
	SAME_STR(VFIO_DEVICE_API_AP_STRING);

	SAME(VFIO_DEVICE_INFO_CAP_ZPCI_BASE);
	SAME(VFIO_DEVICE_INFO_CAP_ZPCI_GROUP);
	SAME(VFIO_DEVICE_INFO_CAP_ZPCI_UTIL);
	SAME(VFIO_DEVICE_INFO_CAP_ZPCI_PFIP);
}

static void test_region_constants(void **state)
{
	(void)state;

	SAME(VFIO_REGION_INFO_FLAG_READ);
	SAME(VFIO_REGION_INFO_FLAG_WRITE);
	SAME(VFIO_REGION_INFO_FLAG_MMAP);
	SAME(VFIO_REGION_INFO_FLAG_CAPS);

	SAME(VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	SAME(VFIO_REGION_INFO_CAP_TYPE);
	SAME(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	SAME(VFIO_REGION_INFO_CAP_NVLINK2_SSATGT);
	SAME(VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD);

	/*
	 * 6.1 spells it (1 << 31), an int; ours is unsigned: same u32.  (The
	 * kernel's shift into the sign bit is why this file is built with
	 * -fno-sanitize=shift.)
	 */
	assert_int_equal(UVFIO_REGION_TYPE_PCI_VENDOR_TYPE,
			 (uint32_t)VFIO_REGION_TYPE_PCI_VENDOR_TYPE);
	SAME(VFIO_REGION_TYPE_PCI_VENDOR_MASK);
	SAME(VFIO_REGION_TYPE_GFX);
	SAME(VFIO_REGION_TYPE_CCW);
	SAME(VFIO_REGION_TYPE_MIGRATION_DEPRECATED);

	SAME(VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION);
	SAME(VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG);
	SAME(VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG);
	SAME(VFIO_REGION_SUBTYPE_GFX_EDID);
	SAME(VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD);
	SAME(VFIO_REGION_SUBTYPE_CCW_SCHIB);
	SAME(VFIO_REGION_SUBTYPE_CCW_CRW);
	SAME(VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED);

	SAME(VFIO_PCI_BAR0_REGION_INDEX);
	SAME(VFIO_PCI_BAR1_REGION_INDEX);
	SAME(VFIO_PCI_BAR2_REGION_INDEX);
	SAME(VFIO_PCI_BAR3_REGION_INDEX);
	SAME(VFIO_PCI_BAR4_REGION_INDEX);
	SAME(VFIO_PCI_BAR5_REGION_INDEX);
	SAME(VFIO_PCI_ROM_REGION_INDEX);
	SAME(VFIO_PCI_CONFIG_REGION_INDEX);
	SAME(VFIO_PCI_VGA_REGION_INDEX);
	SAME(VFIO_PCI_NUM_REGIONS);
}

static void test_irq_constants(void **state)
{
	(void)state;

	SAME(VFIO_IRQ_INFO_EVENTFD);
	SAME(VFIO_IRQ_INFO_MASKABLE);
	SAME(VFIO_IRQ_INFO_AUTOMASKED);
	SAME(VFIO_IRQ_INFO_NORESIZE);

	SAME(VFIO_IRQ_SET_DATA_NONE);
	SAME(VFIO_IRQ_SET_DATA_BOOL);
	SAME(VFIO_IRQ_SET_DATA_EVENTFD);
	SAME(VFIO_IRQ_SET_ACTION_MASK);
	SAME(VFIO_IRQ_SET_ACTION_UNMASK);
	SAME(VFIO_IRQ_SET_ACTION_TRIGGER);
	SAME(VFIO_IRQ_SET_DATA_TYPE_MASK);
	SAME(VFIO_IRQ_SET_ACTION_TYPE_MASK);

	SAME(VFIO_PCI_INTX_IRQ_INDEX);
	SAME(VFIO_PCI_MSI_IRQ_INDEX);
	SAME(VFIO_PCI_MSIX_IRQ_INDEX);
	SAME(VFIO_PCI_ERR_IRQ_INDEX);
	SAME(VFIO_PCI_REQ_IRQ_INDEX);
	SAME(VFIO_PCI_NUM_IRQS);

	SAME(VFIO_DEVICE_IOEVENTFD_8);
	SAME(VFIO_DEVICE_IOEVENTFD_16);
	SAME(VFIO_DEVICE_IOEVENTFD_32);
	SAME(VFIO_DEVICE_IOEVENTFD_64);
	SAME(VFIO_DEVICE_IOEVENTFD_SIZE_MASK);
}

static void test_feature_and_migration_constants(void **state)
{
	(void)state;

	SAME(VFIO_DEVICE_FEATURE_MASK);
	SAME(VFIO_DEVICE_FEATURE_GET);
	SAME(VFIO_DEVICE_FEATURE_SET);
	SAME(VFIO_DEVICE_FEATURE_PROBE);

	SAME(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN);
	SAME(VFIO_DEVICE_FEATURE_MIGRATION);
	SAME(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE);
	SAME(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
	SAME(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP);
	SAME(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
	SAME(VFIO_DEVICE_FEATURE_DMA_LOGGING_START);
	SAME(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP);
	SAME(VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT);

	SAME(VFIO_MIGRATION_STOP_COPY);
	SAME(VFIO_MIGRATION_P2P);

	SAME(VFIO_DEVICE_STATE_ERROR);
	SAME(VFIO_DEVICE_STATE_STOP);
	SAME(VFIO_DEVICE_STATE_RUNNING);
	SAME(VFIO_DEVICE_STATE_STOP_COPY);
	SAME(VFIO_DEVICE_STATE_RESUMING);
	SAME(VFIO_DEVICE_STATE_RUNNING_P2P);

	SAME(VFIO_DEVICE_STATE_V1_STOP);
	SAME(VFIO_DEVICE_STATE_V1_RUNNING);
	SAME(VFIO_DEVICE_STATE_V1_SAVING);
	SAME(VFIO_DEVICE_STATE_V1_RESUMING);
}

static void test_type1_constants(void **state)
{
	(void)state;

	SAME(VFIO_IOMMU_INFO_PGSIZES);
	SAME(VFIO_IOMMU_INFO_CAPS);
	SAME(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	SAME(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	SAME(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);

	SAME(VFIO_DMA_MAP_FLAG_READ);
	SAME(VFIO_DMA_MAP_FLAG_WRITE);
	SAME(VFIO_DMA_MAP_FLAG_VADDR);
	SAME(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
	SAME(VFIO_DMA_UNMAP_FLAG_ALL);
	SAME(VFIO_DMA_UNMAP_FLAG_VADDR);

	SAME(VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
	SAME(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	SAME(VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP);
}

/* The one struct whose size differs on purpose. */
static void test_device_info_6_1(void **state)
{
	(void)state;

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	assert_int_equal(sizeof(struct vfio_device_info), 20);
#else
	assert_int_equal(sizeof(struct vfio_device_info), 24);
#endif
	assert_int_equal(sizeof(struct uvfio_device_info), 24);
	SAME_FIELD(vfio_device_info, argsz);
	SAME_FIELD(vfio_device_info, flags);
	SAME_FIELD(vfio_device_info, num_regions);
	SAME_FIELD(vfio_device_info, num_irqs);
	SAME_FIELD(vfio_device_info, cap_offset);
}

static void test_device_structs(void **state)
{
	(void)state;

	SAME_SIZE(vfio_info_cap_header);
	SAME_FIELD(vfio_info_cap_header, id);
	SAME_FIELD(vfio_info_cap_header, version);
	SAME_FIELD(vfio_info_cap_header, next);

	SAME_SIZE(vfio_group_status);
	SAME_FIELD(vfio_group_status, argsz);
	SAME_FIELD(vfio_group_status, flags);

	SAME_SIZE(vfio_region_info);
	SAME_FIELD(vfio_region_info, argsz);
	SAME_FIELD(vfio_region_info, flags);
	SAME_FIELD(vfio_region_info, index);
	SAME_FIELD(vfio_region_info, cap_offset);
	SAME_FIELD(vfio_region_info, size);
	SAME_FIELD(vfio_region_info, offset);

	SAME_SIZE(vfio_region_sparse_mmap_area);
	SAME_FIELD(vfio_region_sparse_mmap_area, offset);
	SAME_FIELD(vfio_region_sparse_mmap_area, size);

	SAME_SIZE(vfio_region_info_cap_sparse_mmap);
	SAME_FIELD(vfio_region_info_cap_sparse_mmap, header);
	SAME_FIELD(vfio_region_info_cap_sparse_mmap, nr_areas);
	SAME_FIELD(vfio_region_info_cap_sparse_mmap, reserved);
	SAME_OFF(vfio_region_info_cap_sparse_mmap, areas);

	SAME_SIZE(vfio_region_info_cap_type);
	SAME_FIELD(vfio_region_info_cap_type, header);
	SAME_FIELD(vfio_region_info_cap_type, type);
	SAME_FIELD(vfio_region_info_cap_type, subtype);

	SAME_SIZE(vfio_irq_info);
	SAME_FIELD(vfio_irq_info, argsz);
	SAME_FIELD(vfio_irq_info, flags);
	SAME_FIELD(vfio_irq_info, index);
	SAME_FIELD(vfio_irq_info, count);

	SAME_SIZE(vfio_irq_set);
	SAME_FIELD(vfio_irq_set, argsz);
	SAME_FIELD(vfio_irq_set, flags);
	SAME_FIELD(vfio_irq_set, index);
	SAME_FIELD(vfio_irq_set, start);
	SAME_FIELD(vfio_irq_set, count);
	SAME_OFF(vfio_irq_set, data);

	/* 6.1 has group_id only (no devid union member). */
	SAME_SIZE(vfio_pci_dependent_device);
	SAME_FIELD(vfio_pci_dependent_device, group_id);
	SAME_FIELD(vfio_pci_dependent_device, segment);
	SAME_FIELD(vfio_pci_dependent_device, bus);
	SAME_FIELD(vfio_pci_dependent_device, devfn);

	SAME_SIZE(vfio_pci_hot_reset_info);
	SAME_FIELD(vfio_pci_hot_reset_info, argsz);
	SAME_FIELD(vfio_pci_hot_reset_info, flags);
	SAME_FIELD(vfio_pci_hot_reset_info, count);
	SAME_OFF(vfio_pci_hot_reset_info, devices);

	SAME_SIZE(vfio_pci_hot_reset);
	SAME_FIELD(vfio_pci_hot_reset, argsz);
	SAME_FIELD(vfio_pci_hot_reset, flags);
	SAME_FIELD(vfio_pci_hot_reset, count);
	SAME_OFF(vfio_pci_hot_reset, group_fds);
	assert_int_equal(WIDTH(struct uvfio_pci_hot_reset, group_fds[0]),
			 WIDTH(struct vfio_pci_hot_reset, group_fds[0]));

	/* 6.1 has no explicit reserved tail; the size is the same. */
	SAME_SIZE(vfio_device_ioeventfd);
	SAME_FIELD(vfio_device_ioeventfd, argsz);
	SAME_FIELD(vfio_device_ioeventfd, flags);
	SAME_FIELD(vfio_device_ioeventfd, offset);
	SAME_FIELD(vfio_device_ioeventfd, data);
	SAME_FIELD(vfio_device_ioeventfd, fd);
}

static void test_feature_structs(void **state)
{
	(void)state;

	SAME_SIZE(vfio_device_feature);
	SAME_FIELD(vfio_device_feature, argsz);
	SAME_FIELD(vfio_device_feature, flags);
	SAME_OFF(vfio_device_feature, data);

	SAME_SIZE(vfio_device_feature_migration);
	SAME_FIELD(vfio_device_feature_migration, flags);

	SAME_SIZE(vfio_device_feature_mig_state);
	SAME_FIELD(vfio_device_feature_mig_state, device_state);
	SAME_FIELD(vfio_device_feature_mig_state, data_fd);

	SAME_SIZE(vfio_device_low_power_entry_with_wakeup);
	SAME_FIELD(vfio_device_low_power_entry_with_wakeup, wakeup_eventfd);
	SAME_FIELD(vfio_device_low_power_entry_with_wakeup, reserved);

	SAME_SIZE(vfio_device_feature_dma_logging_control);
	SAME_FIELD(vfio_device_feature_dma_logging_control, page_size);
	SAME_FIELD(vfio_device_feature_dma_logging_control, num_ranges);
	SAME_FIELD(vfio_device_feature_dma_logging_control, __reserved);
	SAME_FIELD(vfio_device_feature_dma_logging_control, ranges);

	SAME_SIZE(vfio_device_feature_dma_logging_range);
	SAME_FIELD(vfio_device_feature_dma_logging_range, iova);
	SAME_FIELD(vfio_device_feature_dma_logging_range, length);

	SAME_SIZE(vfio_device_feature_dma_logging_report);
	SAME_FIELD(vfio_device_feature_dma_logging_report, iova);
	SAME_FIELD(vfio_device_feature_dma_logging_report, length);
	SAME_FIELD(vfio_device_feature_dma_logging_report, page_size);
	SAME_FIELD(vfio_device_feature_dma_logging_report, bitmap);
}

static void test_type1_structs(void **state)
{
	(void)state;

	/* 6.1 has no explicit pad; the size is the same. */
	SAME_SIZE(vfio_iommu_type1_info);
	SAME_FIELD(vfio_iommu_type1_info, argsz);
	SAME_FIELD(vfio_iommu_type1_info, flags);
	SAME_FIELD(vfio_iommu_type1_info, iova_pgsizes);
	SAME_FIELD(vfio_iommu_type1_info, cap_offset);

	SAME_SIZE(vfio_iova_range);
	SAME_FIELD(vfio_iova_range, start);
	SAME_FIELD(vfio_iova_range, end);

	SAME_SIZE(vfio_iommu_type1_info_cap_iova_range);
	SAME_FIELD(vfio_iommu_type1_info_cap_iova_range, header);
	SAME_FIELD(vfio_iommu_type1_info_cap_iova_range, nr_iovas);
	SAME_FIELD(vfio_iommu_type1_info_cap_iova_range, reserved);
	SAME_OFF(vfio_iommu_type1_info_cap_iova_range, iova_ranges);

	SAME_SIZE(vfio_iommu_type1_info_cap_migration);
	SAME_FIELD(vfio_iommu_type1_info_cap_migration, header);
	SAME_FIELD(vfio_iommu_type1_info_cap_migration, flags);
	SAME_FIELD(vfio_iommu_type1_info_cap_migration, pgsize_bitmap);
	SAME_FIELD(vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size);

	SAME_SIZE(vfio_iommu_type1_info_dma_avail);
	SAME_FIELD(vfio_iommu_type1_info_dma_avail, header);
	SAME_FIELD(vfio_iommu_type1_info_dma_avail, avail);

	SAME_SIZE(vfio_iommu_type1_dma_map);
	SAME_FIELD(vfio_iommu_type1_dma_map, argsz);
	SAME_FIELD(vfio_iommu_type1_dma_map, flags);
	SAME_FIELD(vfio_iommu_type1_dma_map, vaddr);
	SAME_FIELD(vfio_iommu_type1_dma_map, iova);
	SAME_FIELD(vfio_iommu_type1_dma_map, size);

	/* 6.1's data is a __u64 *; ours is the u64 it travels as. */
	SAME_SIZE(vfio_bitmap);
	SAME_FIELD(vfio_bitmap, pgsize);
	SAME_FIELD(vfio_bitmap, size);
	SAME_FIELD(vfio_bitmap, data);

	SAME_SIZE(vfio_iommu_type1_dma_unmap);
	SAME_FIELD(vfio_iommu_type1_dma_unmap, argsz);
	SAME_FIELD(vfio_iommu_type1_dma_unmap, flags);
	SAME_FIELD(vfio_iommu_type1_dma_unmap, iova);
	SAME_FIELD(vfio_iommu_type1_dma_unmap, size);
	SAME_OFF(vfio_iommu_type1_dma_unmap, data);

	SAME_SIZE(vfio_iommu_type1_dirty_bitmap);
	SAME_FIELD(vfio_iommu_type1_dirty_bitmap, argsz);
	SAME_FIELD(vfio_iommu_type1_dirty_bitmap, flags);
	SAME_OFF(vfio_iommu_type1_dirty_bitmap, data);

	SAME_SIZE(vfio_iommu_type1_dirty_bitmap_get);
	SAME_FIELD(vfio_iommu_type1_dirty_bitmap_get, iova);
	SAME_FIELD(vfio_iommu_type1_dirty_bitmap_get, size);
	SAME_FIELD(vfio_iommu_type1_dirty_bitmap_get, bitmap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctls),
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_group_and_device_constants),
		cmocka_unit_test(test_region_constants),
		cmocka_unit_test(test_irq_constants),
		cmocka_unit_test(test_feature_and_migration_constants),
		cmocka_unit_test(test_type1_constants),
		cmocka_unit_test(test_device_info_6_1),
		cmocka_unit_test(test_device_structs),
		cmocka_unit_test(test_feature_structs),
		cmocka_unit_test(test_type1_structs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
