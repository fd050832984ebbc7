// SPDX-License-Identifier: MIT
/*
 * The ram device: one mmappable memory region that reset zeroes.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "ram/ram.h"
#include "test-util.h"

#define SIZE (64 * 1024)

static void test_ram(void **state)
{
	struct uvfio_device *dev = ram_device_new("ram", SIZE);
	struct uvfio_region_info info = { .argsz = sizeof(info) };
	struct uvfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	const uint64_t pattern = 0x0123456789abcdefull;
	uint64_t v = 0;
	uint8_t *map;

	(void)state;
	assert_non_null(dev);
	assert_int_equal(uvfio_device_get_info(dev, &dinfo), 0);
	assert_int_equal(dinfo.flags, UVFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(dinfo.num_regions, 1);
	assert_int_equal(uvfio_device_get_region_info(dev, &info), 0);
	assert_int_equal(info.size, SIZE);
	/* Mappable whole: MMAP and no sparse capability. */
	assert_int_equal(info.flags, UVFIO_REGION_INFO_FLAG_READ |
					     UVFIO_REGION_INFO_FLAG_WRITE |
					     UVFIO_REGION_INFO_FLAG_MMAP);

	map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   uvfio_region_memory_fd(dev, RAM_REGION_INDEX), 0);
	assert_true(map != MAP_FAILED);
	memcpy(map + SIZE - 8, &pattern, 8);
	assert_int_equal(
		uvfio_device_region_access(dev, 0, SIZE - 8, &v, 8, false), 8);
	assert_int_equal(v, pattern);
	assert_int_equal(uvfio_device_reset(dev), 0);
	for (size_t i = 0; i < SIZE; i++)
		assert_int_equal(map[i], 0);
	munmap(map, SIZE);
	uvfio_device_destroy(dev);
}

static void test_ram_bad_size(void **state)
{
	(void)state;
	errno = 0;
	assert_null(ram_device_new("ram", 0));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram),
		cmocka_unit_test(test_ram_bad_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
