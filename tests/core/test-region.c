// SPDX-License-Identifier: MIT
/*
 * Regions: access bounds, flags, memory, region info and its capabilities.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/device.h>

#include "core/device-internal.h"
#include "test-util.h"

#define CB_SIZE 0x100
#define MEM_SIZE 0x2000
#define RO_SIZE 0x10

struct recorder {
	unsigned int calls;
};

static ssize_t record_access(struct uvfio_device *dev, unsigned int region,
			     uint64_t offset, void *buf, size_t len,
			     bool is_write)
{
	struct recorder *rec = uvfio_device_priv(dev);

	(void)region;
	(void)offset;
	rec->calls++;
	if (!is_write)
		memset(buf, 0xab, len);
	return (ssize_t)len;
}

static const struct uvfio_device_ops ops = { 0 };

/*
 * Region 0: callbacks, RW.  1: memory, RW, mmap of its second page only,
 * with a TYPE cap.  2: a gap.  3: callbacks, read-only.  4: unimplemented
 * (num_regions 5).
 */
static struct uvfio_device *make_device(struct recorder *rec)
{
	const struct uvfio_region_desc cb = {
		.size = CB_SIZE,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE,
		.access = record_access,
	};
	const struct uvfio_region_desc mem = {
		.size = MEM_SIZE,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	const struct uvfio_region_desc ro = {
		.size = RO_SIZE,
		.flags = UVFIO_REGION_INFO_FLAG_READ,
		.access = record_access,
	};
	struct uvfio_device *dev = uvfio_device_new("regions", &ops, rec);

	assert_non_null(dev);
	assert_int_equal(uvfio_device_add_region(dev, 0, &cb), 0);
	assert_int_equal(uvfio_device_add_region(dev, 1, &mem), 0);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 1, 0x1000, 0x1000),
			 0);
	assert_int_equal(uvfio_region_set_type(dev, 1, 0x80001234, 7), 0);
	assert_int_equal(uvfio_device_add_region(dev, 3, &ro), 0);
	assert_int_equal(uvfio_device_set_num_regions(dev, 5), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	return dev;
}

static bool in_range(uint64_t off, size_t len, uint64_t size)
{
	return len > 0 && off < size && len <= size - off;
}

/* Every offset/length pair near the edges, both directions. */
static void check_bounds(struct uvfio_device *dev, struct recorder *rec,
			 unsigned int index, uint64_t size, bool writable)
{
	const uint64_t offsets[] = { 0,		 1,	     size / 2,
				     size - 1,	 size,	     size + 1,
				     1ull << 32, 1ull << 63, UINT64_MAX - 1,
				     UINT64_MAX };
	const size_t lens[] = { 0,
				1,
				2,
				4,
				8,
				size - 1,
				size,
				size + 1,
				1u << 31,
				SIZE_MAX / 2,
				SIZE_MAX - 1,
				SIZE_MAX };
	uint8_t *mem = uvfio_region_memory(dev, index);
	uint8_t *snapshot = NULL;
	uint8_t *buf = malloc(size + 2);

	assert_non_null(buf);
	if (mem) {
		snapshot = malloc(size);
		memset(mem, 0x3c, size);
		memcpy(snapshot, mem, size);
	}
	for (size_t o = 0; o < ARRAY_SIZE(offsets); o++) {
		for (size_t l = 0; l < ARRAY_SIZE(lens); l++) {
			for (int w = 0; w < 2; w++) {
				uint64_t off = offsets[o];
				size_t len = lens[l];
				unsigned int before = rec->calls;
				ssize_t ret;

				memset(buf, 0x5a, size + 2);
				ret = uvfio_device_region_access(
					dev, index, off, buf, len, w);
				if (in_range(off, len, size) &&
				    (writable || !w)) {
					assert_int_equal(ret, (ssize_t)len);
					if (mem)
						memcpy(mem, snapshot, size);
					continue;
				}
				assert_int_equal(ret, -EINVAL);
				assert_int_equal(rec->calls, before);
				for (size_t i = 0; i < size + 2; i++)
					assert_int_equal(buf[i], 0x5a);
				if (mem)
					assert_memory_equal(mem, snapshot,
							    size);
			}
		}
	}
	free(snapshot);
	free(buf);
}

static void test_access_bounds(void **state)
{
	struct recorder rec = { 0 };
	struct uvfio_device *dev = make_device(&rec);

	(void)state;
	check_bounds(dev, &rec, 0, CB_SIZE, true);
	check_bounds(dev, &rec, 1, MEM_SIZE, true);
	check_bounds(dev, &rec, 3, RO_SIZE, false);
	uvfio_device_destroy(dev);
}

static void test_access_refusals(void **state)
{
	struct recorder rec = { 0 };
	struct uvfio_device *dev = make_device(&rec);
	const unsigned int bad_index[] = { 2, 4, 5, 255, 256, UINT32_MAX };
	uint8_t buf[4] = { 1, 2, 3, 4 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_index); i++)
		for (int w = 0; w < 2; w++)
			assert_int_equal(
				uvfio_device_region_access(dev, bad_index[i], 0,
							   buf, 4, w),
				-EINVAL);
	/* A read-only region refuses writes before the callback. */
	assert_int_equal(uvfio_device_region_access(dev, 3, 0, buf, 4, true),
			 -EINVAL);
	assert_int_equal(uvfio_device_region_access(dev, 3, 0, buf, 4, false),
			 4);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(uvfio_device_region_access(dev, 0, 0, NULL, 4, false),
			 -EFAULT);
	assert_int_equal(rec.calls, 1);
	uvfio_device_destroy(dev);
}

static void test_access_memory(void **state)
{
	struct recorder rec = { 0 };
	struct uvfio_device *dev = make_device(&rec);
	uint8_t *mem = uvfio_region_memory(dev, 1);
	uint32_t v = 0xdeadbeef, r = 0;
	uint8_t *map;
	int fd;

	(void)state;
	assert_non_null(mem);
	assert_null(uvfio_region_memory(dev, 0));
	assert_int_equal(uvfio_region_memory_fd(dev, 0), -ENOENT);
	fd = uvfio_region_memory_fd(dev, 1);
	assert_true(fd >= 0);

	assert_int_equal(uvfio_device_region_access(dev, 1, MEM_SIZE - 4, &v, 4,
						    true),
			 4);
	assert_memory_equal(mem + MEM_SIZE - 4, &v, 4);
	map = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	assert_memory_equal(map + MEM_SIZE - 4, &v, 4);
	map[0x10] = 0x77;
	assert_int_equal(uvfio_device_region_access(dev, 1, 0x10, &r, 1, false),
			 1);
	assert_int_equal(r, 0x77);
	/* Sealed: a client holding the fd cannot shrink it under us. */
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	munmap(map, MEM_SIZE);
	assert_int_equal(rec.calls, 0);
	uvfio_device_destroy(dev);
}

static void test_region_info(void **state)
{
	struct recorder rec = { 0 };
	struct uvfio_device *dev = make_device(&rec);
	struct uvfio_region_info info = { .argsz = sizeof(info) };

	(void)state;
	assert_int_equal(uvfio_device_get_region_info(dev, &info), 0);
	assert_int_equal(info.size, CB_SIZE);
	assert_int_equal(info.flags, UVFIO_REGION_INFO_FLAG_READ |
					     UVFIO_REGION_INFO_FLAG_WRITE);
	assert_int_equal(info.cap_offset, 0);
	assert_int_equal(info.offset, 0);
	assert_int_equal(info.argsz, sizeof(info));

	info = (struct uvfio_region_info){ .argsz = sizeof(info), .index = 3 };
	assert_int_equal(uvfio_device_get_region_info(dev, &info), 0);
	assert_int_equal(info.flags, UVFIO_REGION_INFO_FLAG_READ);
	assert_int_equal(info.offset, 3ull << UVFIO_PCI_OFFSET_SHIFT);

	/* A gap and an index below num_regions: unimplemented, size 0. */
	for (uint32_t index = 2; index <= 4; index += 2) {
		info = (struct uvfio_region_info){ .argsz = sizeof(info),
						   .index = index,
						   .size = 99,
						   .flags = 99 };
		assert_int_equal(uvfio_device_get_region_info(dev, &info), 0);
		assert_int_equal(info.size, 0);
		assert_int_equal(info.flags, 0);
	}
	info = (struct uvfio_region_info){ .argsz = sizeof(info), .index = 5 };
	assert_int_equal(uvfio_device_get_region_info(dev, &info), -EINVAL);
	info = (struct uvfio_region_info){ .argsz = sizeof(info) - 1 };
	assert_int_equal(uvfio_device_get_region_info(dev, &info), -EINVAL);
	assert_int_equal(uvfio_device_get_region_info(dev, NULL), -EFAULT);
	uvfio_device_destroy(dev);
}

static void test_region_info_caps(void **state)
{
	struct recorder rec = { 0 };
	struct uvfio_device *dev = make_device(&rec);
	const struct uvfio_region_info_cap_sparse_mmap *sparse;
	const struct uvfio_region_info_cap_type *type;
	struct uvfio_region_info *info;
	uint8_t buf[256];
	uint32_t needed;

	(void)state;
	/* Too small for the caps: success, CAPS set, size needed returned,
	 * nothing written past the fixed struct. */
	memset(buf, 0xee, sizeof(buf));
	info = (struct uvfio_region_info *)buf;
	info->argsz = sizeof(*info);
	info->index = 1;
	assert_int_equal(uvfio_device_get_region_info(dev, info), 0);
	assert_true(info->flags & UVFIO_REGION_INFO_FLAG_CAPS);
	assert_true(info->flags & UVFIO_REGION_INFO_FLAG_MMAP);
	assert_int_equal(info->cap_offset, 0);
	needed = info->argsz;
	/* TYPE (16) then SPARSE_MMAP with one area (16 + 16). */
	assert_int_equal(needed, sizeof(*info) + 16 + 32);
	for (size_t i = sizeof(*info); i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);

	/* One byte short is still too small. */
	info->argsz = needed - 1;
	assert_int_equal(uvfio_device_get_region_info(dev, info), 0);
	assert_int_equal(info->cap_offset, 0);
	assert_int_equal(info->argsz, needed);

	info->argsz = needed;
	assert_int_equal(uvfio_device_get_region_info(dev, info), 0);
	assert_int_equal(info->cap_offset, sizeof(*info));
	assert_int_equal(info->argsz, needed);
	assert_int_equal(info->size, MEM_SIZE);
	assert_int_equal(buf[needed], 0xee);

	type = (const void *)uvfio_info_cap_find(buf, needed, info->cap_offset,
						 UVFIO_REGION_INFO_CAP_TYPE,
						 sizeof(*type));
	assert_non_null(type);
	assert_int_equal(type->header.version, 1);
	assert_int_equal(type->type, 0x80001234);
	assert_int_equal(type->subtype, 7);

	sparse = (const void *)uvfio_info_cap_find(
		buf, needed, info->cap_offset,
		UVFIO_REGION_INFO_CAP_SPARSE_MMAP, sizeof(*sparse) + 16);
	assert_non_null(sparse);
	assert_int_equal(sparse->header.next, 0);
	assert_int_equal(sparse->nr_areas, 1);
	assert_int_equal(sparse->areas[0].offset, 0x1000);
	assert_int_equal(sparse->areas[0].size, 0x1000);
	assert_null(uvfio_info_cap_find(buf, needed, info->cap_offset,
					UVFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
					0));
	uvfio_device_destroy(dev);
}

static void test_region_config_errors(void **state)
{
	struct uvfio_region_desc d = {
		.size = 0x1000,
		.flags = UVFIO_REGION_INFO_FLAG_READ,
		.access = record_access,
	};
	struct recorder rec = { 0 };
	struct uvfio_device *dev = uvfio_device_new("cfg", &ops, &rec);

	(void)state;
	assert_int_equal(uvfio_device_add_region(dev, 0, &d), 0);
	assert_int_equal(uvfio_device_add_region(dev, 0, &d), -EEXIST);
	assert_int_equal(uvfio_device_add_region(dev, UVFIO_MAX_REGIONS, &d),
			 -EINVAL);
	assert_int_equal(uvfio_device_add_region(dev, 1, NULL), -EINVAL);
	d.size = 0;
	assert_int_equal(uvfio_device_add_region(dev, 1, &d), -EINVAL);
	d.size = 0x1000;
	d.flags = 0;
	assert_int_equal(uvfio_device_add_region(dev, 1, &d), -EINVAL);
	d.flags = UVFIO_REGION_INFO_FLAG_READ | UVFIO_REGION_INFO_FLAG_CAPS;
	assert_int_equal(uvfio_device_add_region(dev, 1, &d), -EINVAL);
	d.flags = UVFIO_REGION_INFO_FLAG_READ | UVFIO_REGION_INFO_FLAG_MMAP;
	assert_int_equal(uvfio_device_add_region(dev, 1, &d), -EINVAL);
	d.flags = UVFIO_REGION_INFO_FLAG_READ;
	d.access = NULL;
	assert_int_equal(uvfio_device_add_region(dev, 1, &d), -EINVAL);

	/* Sparse areas: only on mmap regions, page-aligned, inside, apart. */
	assert_int_equal(uvfio_region_add_sparse_area(dev, 0, 0, 0x1000),
			 -EINVAL);
	d = (struct uvfio_region_desc){
		.size = 0x4000,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	assert_int_equal(uvfio_device_add_region(dev, 2, &d), 0);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0x800, 0x1000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0, 0x800),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0, 0), -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0x3000, 0x2000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0x4000, 0x1000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(
				 dev, 2, UINT64_MAX & ~0xfffull, 0x1000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0x1000, 0x2000),
			 0);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0x2000, 0x2000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0, 0x2000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0, 0x1000), 0);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 7, 0, 0x1000),
			 -EINVAL);
	assert_int_equal(uvfio_region_add_cap(dev, 7, 1, 1, NULL, 0), -EINVAL);
	assert_int_equal(uvfio_region_add_cap(dev, 2, 1, 1, NULL, 4), -EINVAL);

	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_add_region(dev, 5, &d), -EBUSY);
	assert_int_equal(uvfio_region_add_sparse_area(dev, 2, 0x3000, 0x1000),
			 -EBUSY);
	assert_int_equal(uvfio_region_set_type(dev, 2, 1, 1), -EBUSY);
	uvfio_device_destroy(dev);
}

static void test_region_memory_release(void **state)
{
	const struct uvfio_region_desc d = {
		.size = 1ull << 33, /* 8 GiB: sparse, never touched */
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	int fds = test_count_fds();

	(void)state;
	for (int i = 0; i < 16; i++) {
		struct uvfio_device *dev = uvfio_device_new("big", &ops, NULL);

		assert_int_equal(uvfio_device_add_region(dev, 0, &d), 0);
		assert_int_equal(uvfio_device_realize(dev), 0);
		uvfio_device_destroy(dev);
	}
	assert_int_equal(test_count_fds(), fds);
}

/* A failed add leaves nothing behind: GET_INFO does not count it. */
static void test_failed_add(void **state)
{
	struct recorder rec = { 0 };
	struct uvfio_device *dev = uvfio_device_new("failed", &ops, &rec);
	struct uvfio_region_desc d = {
		.size = UINT64_MAX, /* page rounding overflows */
		.flags = UVFIO_REGION_INFO_FLAG_READ,
		.has_memory = true,
	};
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_region_info rinfo = { .argsz = sizeof(rinfo) };
	int fds = test_count_fds();

	(void)state;
	assert_true(uvfio_device_add_region(dev, 5, &d) < 0);
	d.size = 1ull << 60; /* a memfd that cannot be mapped */
	assert_true(uvfio_device_add_region(dev, 6, &d) < 0);
	assert_int_equal(test_count_fds(), fds);
	d.size = 0x1000;
	assert_int_equal(uvfio_device_add_region(dev, 2, &d), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_get_info(dev, &info), 0);
	assert_int_equal(info.num_regions, 3);
	rinfo.index = 5;
	assert_int_equal(uvfio_device_get_region_info(dev, &rinfo), -EINVAL);
	uvfio_device_destroy(dev);
}

/*
 * A realize that fails (here: region 2's caps overflow with its SPARSE_MMAP
 * cap) leaves the chains of the regions before it as they were, so that a
 * retry does not append their SPARSE_MMAP caps twice.
 */
static void test_failed_realize_is_undone(void **state)
{
	const struct uvfio_region_desc d = {
		.size = 0x2000,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	static uint8_t big[UVFIO_MAX_REGION_CAPS_SIZE - 16];
	const uint32_t body = 0x11223344;
	struct uvfio_device *dev = uvfio_device_new("retry", &ops, NULL);
	struct uvfio_info_cap_header hdr;
	struct uvfio_region *r;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(uvfio_device_add_region(dev, i, &d), 0);
		assert_int_equal(
			uvfio_region_add_sparse_area(dev, i, 0, 0x1000), 0);
	}
	assert_int_equal(uvfio_region_set_type(dev, 0, 1, 1), 0);
	assert_int_equal(uvfio_region_set_type(dev, 1, 1, 1), 0);
	assert_int_equal(uvfio_region_add_cap(dev, 1, 9, 1, &body, 4), 0);
	assert_int_equal(uvfio_region_add_cap(dev, 2, 9, 1, big, sizeof(big)),
			 0);

	for (int attempt = 0; attempt < 2; attempt++) {
		assert_int_equal(uvfio_device_realize(dev), -ENOSPC);
		r = &dev->regions[0];
		assert_int_equal(r->caps.size, 16);
		memcpy(&hdr, r->caps.buf, sizeof(hdr));
		assert_int_equal(hdr.next, 0);
		r = &dev->regions[1];
		assert_int_equal(r->caps.size, 32);
		assert_int_equal(r->caps.last, 16);
		memcpy(&hdr, r->caps.buf + 16, sizeof(hdr));
		assert_int_equal(hdr.id, 9);
		assert_int_equal(hdr.next, 0);
		assert_int_equal(dev->regions[2].caps.size, sizeof(big) + 8);
	}
	uvfio_device_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_bounds),
		cmocka_unit_test(test_access_refusals),
		cmocka_unit_test(test_access_memory),
		cmocka_unit_test(test_region_info),
		cmocka_unit_test(test_region_info_caps),
		cmocka_unit_test(test_region_config_errors),
		cmocka_unit_test(test_region_memory_release),
		cmocka_unit_test(test_failed_add),
		cmocka_unit_test(test_failed_realize_is_undone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
