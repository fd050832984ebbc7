// SPDX-License-Identifier: MIT
/*
 * VFIO_DEVICE_GET_INFO: derived flags and counts, the capability chain and
 * the kernel's behaviour when argsz is too small for it; and reset.
 */
#include <errno.h>
#include <string.h>

#include <uvfio/device.h>

#include "test-util.h"

static unsigned int resets;

static int count_reset(struct uvfio_device *dev)
{
	(void)dev;
	resets++;
	return 0;
}

static int failing_reset(struct uvfio_device *dev)
{
	(void)dev;
	return -EIO;
}

static ssize_t no_access(struct uvfio_device *dev, unsigned int region,
			 uint64_t offset, void *buf, size_t len, bool is_write)
{
	(void)dev, (void)region, (void)offset, (void)buf, (void)is_write;
	return (ssize_t)len;
}

static const struct uvfio_device_ops resettable = { .reset = count_reset };
static const struct uvfio_device_ops plain = { 0 };
static const struct uvfio_device_ops broken = { .reset = failing_reset };

static const struct uvfio_device_info_cap_pci_atomic_comp atomic_cap = {
	.flags = UVFIO_PCI_ATOMIC_COMP32 | UVFIO_PCI_ATOMIC_COMP64,
};

/* Caps: ATOMIC_COMP (16 B) then a 3-byte vendor cap padded to 16. */
static struct uvfio_device *make_device(const struct uvfio_device_ops *ops,
					bool caps)
{
	const struct uvfio_region_desc r = {
		.size = 16,
		.flags = UVFIO_REGION_INFO_FLAG_READ,
		.access = no_access,
	};
	const uint8_t vendor[3] = { 1, 2, 3 };
	struct uvfio_device *dev = uvfio_device_new("info", ops, NULL);

	assert_int_equal(uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_PCI),
			 0);
	assert_int_equal(uvfio_device_add_region(dev, 2, &r), 0);
	assert_int_equal(
		uvfio_device_add_irq(dev, 0, 1, UVFIO_IRQ_INFO_EVENTFD), 0);
	if (caps) {
		assert_int_equal(uvfio_device_add_info_cap(
					 dev,
					 UVFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP,
					 1, &atomic_cap.flags, 8),
				 0);
		assert_int_equal(uvfio_device_add_info_cap(dev, 0x1234, 3,
							   vendor, 3),
				 0);
	}
	assert_int_equal(uvfio_device_realize(dev), 0);
	return dev;
}

static void test_info_without_caps(void **state)
{
	struct uvfio_device *dev = make_device(&resettable, false);
	uint8_t buf[32];
	struct uvfio_device_info *info = (void *)buf;

	(void)state;
	/* The kernel's minsz is 16: anything shorter is -EINVAL. */
	for (uint32_t argsz = 0; argsz < 16; argsz++) {
		info->argsz = argsz;
		assert_int_equal(uvfio_device_get_info(dev, info), -EINVAL);
	}
	/* argsz 16 (a 6.1-era caller's minsz): nothing past it is written. */
	memset(buf, 0xee, sizeof(buf));
	info->argsz = 16;
	assert_int_equal(uvfio_device_get_info(dev, info), 0);
	assert_int_equal(info->argsz, 16);
	assert_int_equal(info->flags,
			 UVFIO_DEVICE_FLAGS_PCI | UVFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info->num_regions, 3);
	assert_int_equal(info->num_irqs, 1);
	for (size_t i = 16; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);

	memset(buf, 0xee, sizeof(buf));
	info->argsz = sizeof(*info);
	assert_int_equal(uvfio_device_get_info(dev, info), 0);
	assert_int_equal(info->cap_offset, 0);
	assert_int_equal(info->pad, 0);
	assert_int_equal(buf[sizeof(*info)], 0xee);
	assert_int_equal(uvfio_device_get_info(dev, NULL), -EFAULT);
	uvfio_device_destroy(dev);
}

static void test_info_caps(void **state)
{
	struct uvfio_device *dev = make_device(&plain, true);
	const struct uvfio_device_info_cap_pci_atomic_comp *atomic;
	const struct uvfio_info_cap_header *vendor;
	uint8_t buf[128];
	struct uvfio_device_info *info = (void *)buf;
	const uint32_t needed = 24 + 16 + 16;

	(void)state;
	/* Every argsz short of the chain: success, CAPS, the size needed. */
	for (uint32_t argsz = 16; argsz < needed; argsz++) {
		memset(buf, 0xee, sizeof(buf));
		info->argsz = argsz;
		assert_int_equal(uvfio_device_get_info(dev, info), 0);
		assert_int_equal(info->flags, UVFIO_DEVICE_FLAGS_PCI |
						      UVFIO_DEVICE_FLAGS_CAPS);
		assert_int_equal(info->argsz, needed);
		if (argsz >= 20)
			assert_int_equal(info->cap_offset, 0);
		for (size_t i = argsz < 24 ? argsz : 24; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xee);
	}

	memset(buf, 0xee, sizeof(buf));
	info->argsz = sizeof(buf);
	assert_int_equal(uvfio_device_get_info(dev, info), 0);
	assert_int_equal(info->argsz, sizeof(buf));
	assert_int_equal(info->cap_offset, 24);
	assert_int_equal(info->pad, 0);
	atomic = (const void *)uvfio_info_cap_find(
		buf, needed, info->cap_offset,
		UVFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, sizeof(*atomic));
	assert_non_null(atomic);
	assert_ptr_equal(atomic, buf + 24);
	assert_int_equal(atomic->header.version, 1);
	assert_int_equal(atomic->header.next, 40);
	assert_int_equal(atomic->flags, atomic_cap.flags);
	vendor = uvfio_info_cap_find(buf, needed, info->cap_offset, 0x1234,
				     8 + 3);
	assert_non_null(vendor);
	assert_int_equal(vendor->version, 3);
	assert_int_equal(vendor->next, 0);
	assert_memory_equal((const uint8_t *)vendor + 8, "\1\2\3", 3);
	/* Padding of the last cap is zero; past the chain is untouched. */
	for (size_t i = 40 + 8 + 3; i < needed; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[needed], 0xee);
	uvfio_device_destroy(dev);
}

static void test_flags_and_counts(void **state)
{
	struct uvfio_device *dev = uvfio_device_new("counts", &plain, NULL);
	struct uvfio_device_info info = { .argsz = sizeof(info) };

	(void)state;
	assert_int_equal(uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_RESET),
			 -EINVAL);
	assert_int_equal(uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_CAPS),
			 -EINVAL);
	assert_int_equal(uvfio_device_set_flags(dev, 1u << 9), -EINVAL);
	assert_int_equal(
		uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_PLATFORM), 0);
	assert_int_equal(uvfio_device_set_num_regions(dev, 9), 0);
	assert_int_equal(uvfio_device_set_num_irqs(dev, 5), 0);
	assert_int_equal(uvfio_device_set_num_regions(dev,
						      UVFIO_MAX_REGIONS + 1),
			 -EINVAL);
	assert_int_equal(uvfio_device_set_num_irqs(dev,
						   UVFIO_MAX_IRQ_INDEXES + 1),
			 -EINVAL);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_get_info(dev, &info), 0);
	assert_int_equal(info.flags, UVFIO_DEVICE_FLAGS_PLATFORM);
	assert_int_equal(info.num_regions, 9);
	assert_int_equal(info.num_irqs, 5);
	assert_int_equal(uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_PCI),
			 -EBUSY);
	assert_int_equal(uvfio_device_set_num_regions(dev, 10), -EBUSY);
	assert_int_equal(uvfio_device_set_num_irqs(dev, 6), -EBUSY);
	assert_int_equal(uvfio_device_add_info_cap(dev, 1, 1, NULL, 0), -EBUSY);
	uvfio_device_destroy(dev);
}

static void test_reset(void **state)
{
	struct uvfio_device *dev = make_device(&resettable, false);
	struct uvfio_device *none = make_device(&plain, false);
	struct uvfio_device *bad = make_device(&broken, false);

	(void)state;
	resets = 0;
	assert_int_equal(uvfio_device_reset(dev), 0);
	assert_int_equal(resets, 1);
	/* No reset op: no RESET flag and -EINVAL, as vfio-pci. */
	assert_int_equal(uvfio_device_reset(none), -EINVAL);
	uvfio_device_set_log(bad, NULL, NULL, 0);
	assert_int_equal(uvfio_device_reset(bad), -EIO);
	uvfio_device_destroy(dev);
	uvfio_device_destroy(none);
	uvfio_device_destroy(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_without_caps),
		cmocka_unit_test(test_info_caps),
		cmocka_unit_test(test_flags_and_counts),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
