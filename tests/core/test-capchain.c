// SPDX-License-Identifier: MIT
/*
 * Capability chains: building and placing them (server side) and walking
 * untrusted ones (client side).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/device.h>

#include "core/capchain.h"
#include "test-util.h"

static void put_hdr(uint8_t *buf, size_t off, uint16_t id, uint32_t next)
{
	struct uvfio_info_cap_header h = { .id = id,
					   .version = 1,
					   .next = next };

	memcpy(buf + off, &h, sizeof(h));
}

static void test_build_and_emit(void **state)
{
	struct uvfio_capchain c;
	const uint8_t body[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	uint8_t out[256];
	uint32_t argsz = sizeof(out), cap_offset = 99;
	const struct uvfio_info_cap_header *h;

	(void)state;
	uvfio_capchain_init(&c, 4096);
	/* An empty chain places nothing and reports no CAPS. */
	assert_int_equal(uvfio_capchain_emit(&c, out, 32, &argsz, &cap_offset),
			 0);
	assert_int_equal(cap_offset, 99);

	assert_int_equal(uvfio_capchain_add(&c, 10, 1, body, 4), 0);
	assert_int_equal(uvfio_capchain_add(&c, 11, 2, body, 12), 0);
	assert_int_equal(uvfio_capchain_add(&c, 12, 3, NULL, 0), 0);
	/* 8+4 -> 16, 8+12 -> 24 (at 16), 8 (at 40). */
	assert_int_equal(c.size, 48);

	memset(out, 0xee, sizeof(out));
	assert_int_equal(uvfio_capchain_emit(&c, out, 32, &argsz, &cap_offset),
			 1);
	assert_int_equal(cap_offset, 32);
	assert_int_equal(argsz, sizeof(out));
	h = uvfio_info_cap_find(out, 80, 32, 10, 12);
	assert_ptr_equal(h, out + 32);
	assert_int_equal(h->next, 48);
	assert_memory_equal(out + 40, body, 4);
	assert_int_equal(out[44], 0); /* alignment padding */
	h = uvfio_info_cap_find(out, 80, 32, 11, 20);
	assert_ptr_equal(h, out + 48);
	assert_int_equal(h->version, 2);
	assert_int_equal(h->next, 72);
	h = uvfio_info_cap_find(out, 80, 32, 12, 8);
	assert_ptr_equal(h, out + 72);
	assert_int_equal(h->next, 0);
	assert_int_equal(out[80], 0xee);

	/* Too small: nothing copied, the size needed returned. */
	memset(out, 0xee, sizeof(out));
	argsz = 79;
	assert_int_equal(uvfio_capchain_emit(&c, out, 32, &argsz, &cap_offset),
			 1);
	assert_int_equal(argsz, 80);
	assert_int_equal(cap_offset, 0);
	assert_int_equal(out[32], 0xee);
	uvfio_capchain_release(&c);
}

static void test_limit(void **state)
{
	struct uvfio_capchain c;
	uint8_t body[64] = { 0 };

	(void)state;
	uvfio_capchain_init(&c, 64);
	assert_int_equal(uvfio_capchain_add(&c, 1, 1, body, 56), 0);
	assert_int_equal(uvfio_capchain_add(&c, 2, 1, NULL, 0), -ENOSPC);
	assert_int_equal(c.size, 64);
	uvfio_capchain_release(&c);
	uvfio_capchain_init(&c, 64);
	assert_int_equal(uvfio_capchain_add(&c, 1, 1, body, 57), -ENOSPC);
	assert_int_equal(uvfio_capchain_add(&c, 1, 1, body, SIZE_MAX), -ENOSPC);
	assert_int_equal(c.size, 0);
	uvfio_capchain_release(&c);
}

static void test_find_malformed(void **state)
{
	uint8_t buf[64] = { 0 };

	(void)state;
	assert_null(uvfio_info_cap_find(NULL, 64, 16, 1, 0));
	assert_null(uvfio_info_cap_find(buf, 64, 0, 0, 0));
	/* header past the end, or cut by it */
	put_hdr(buf, 56, 1, 0);
	assert_non_null(uvfio_info_cap_find(buf, 64, 56, 1, 8));
	assert_null(uvfio_info_cap_find(buf, 63, 56, 1, 8));
	assert_null(uvfio_info_cap_find(buf, 64, 64, 1, 0));
	assert_null(uvfio_info_cap_find(buf, 64, UINT32_MAX & ~7u, 1, 0));
	/* a body that does not fit min_len */
	assert_null(uvfio_info_cap_find(buf, 64, 56, 1, 9));
	/* misaligned offsets: 4-byte alignment is the least accepted */
	put_hdr(buf, 16, 2, 0);
	put_hdr(buf, 24, 1, 0);
	assert_null(uvfio_info_cap_find(buf, 64, 18, 2, 0));
	assert_null(uvfio_info_cap_find(buf, 64, 22, 1, 0));
	put_hdr(buf, 16, 2, 26);
	assert_null(uvfio_info_cap_find(buf, 64, 16, 1, 0));
	put_hdr(buf, 16, 2, 24);
	assert_ptr_equal(uvfio_info_cap_find(buf, 64, 16, 1, 0), buf + 24);
	memset(buf, 0, sizeof(buf));
	/*
	 * Backward jumps to a header not visited yet, holding the id sought:
	 * only the strictly-increasing rule keeps the walk from finding it.
	 */
	put_hdr(buf, 16, 2, 32);
	put_hdr(buf, 32, 3, 24);
	put_hdr(buf, 24, 1, 0);
	assert_ptr_equal(uvfio_info_cap_find(buf, 64, 24, 1, 0), buf + 24);
	assert_null(uvfio_info_cap_find(buf, 64, 16, 1, 0));
	put_hdr(buf, 8, 1, 0);
	put_hdr(buf, 32, 3, 8);
	assert_null(uvfio_info_cap_find(buf, 64, 16, 1, 0));
	memset(buf, 0, sizeof(buf));
	put_hdr(buf, 56, 1, 0);
	/* loops: to itself and backwards */
	put_hdr(buf, 16, 2, 16);
	assert_null(uvfio_info_cap_find(buf, 64, 16, 1, 0));
	put_hdr(buf, 16, 2, 32);
	put_hdr(buf, 32, 3, 16);
	assert_null(uvfio_info_cap_find(buf, 64, 16, 1, 0));
	/* the wanted cap before the loop is still found */
	assert_ptr_equal(uvfio_info_cap_find(buf, 64, 16, 3, 8), buf + 32);
	/* a chain running off the end */
	put_hdr(buf, 32, 3, 1u << 31);
	assert_null(uvfio_info_cap_find(buf, 64, 16, 1, 0));
}

/*
 * Kernels before 6.6: the first device-info cap right after the 20-byte
 * vfio_device_info, caps not padded, so offsets are only 4-byte aligned.
 */
static void test_find_unpadded(void **state)
{
	uint64_t storage[8] = { 0 }; /* the reply, 8-aligned as malloc's */
	uint8_t *buf = (uint8_t *)storage;
	const uint64_t value = 0x1122334455667788ull;
	const struct uvfio_info_cap_header *h;
	uint64_t got;

	(void)state;
	put_hdr(buf, 20, 1, 36); /* 16 bytes: header + a u64 */
	memcpy(buf + 28, &value, sizeof(value));
	put_hdr(buf, 36, 2, 0);
	h = uvfio_info_cap_find(buf, 64, 20, 1, 16);
	assert_ptr_equal(h, buf + 20);
	/* Not 8-aligned: the u64 field is read with memcpy. */
	memcpy(&got, (const uint8_t *)h + 8, sizeof(got));
	assert_true(got == value);
	assert_ptr_equal(uvfio_info_cap_find(buf, 64, 20, 2, 8), buf + 36);
	assert_ptr_equal(uvfio_info_cap_find(buf, 64, 36, 2, 28), buf + 36);
	assert_null(uvfio_info_cap_find(buf, 64, 36, 2, 29));
}

/* Random chains never make the walker read outside the buffer. */
static void test_find_random(void **state)
{
	(void)state;
	srand(1);
	for (int round = 0; round < 20000; round++) {
		size_t size = (size_t)(rand() % 96);
		uint8_t *buf = malloc(size ? size : 1);
		uint32_t start = (uint32_t)(rand() % 104);

		for (size_t i = 0; i < size; i++)
			buf[i] = (uint8_t)(rand() % 4 ? rand() % 104 : rand());
		const struct uvfio_info_cap_header *h = uvfio_info_cap_find(
			buf, size, start, (uint16_t)(rand() % 104), 8);
		if (h) {
			assert_true((const uint8_t *)h >= buf);
			assert_true((const uint8_t *)h + 8 <= buf + size);
		}
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_emit),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_find_malformed),
		cmocka_unit_test(test_find_unpadded),
		cmocka_unit_test(test_find_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
