// SPDX-License-Identifier: MIT
/*
 * The device-feature multiplexer: the kernel core's header checks and
 * vfio_check_feature(), in the kernel's order.
 */
#include <errno.h>
#include <string.h>

#include <uvfio/device.h>

#include "test-util.h"

#define GET UVFIO_DEVICE_FEATURE_GET
#define SET UVFIO_DEVICE_FEATURE_SET
#define PROBE UVFIO_DEVICE_FEATURE_PROBE

#define F_GET_ONLY 1   /* like MIGRATION */
#define F_GET_SET 2    /* like MIG_DEVICE_STATE */
#define F_SET_NODATA 7 /* like DMA_LOGGING_STOP */

struct calls {
	unsigned int n;
	uint32_t flags;
	size_t size;
	uint64_t stored;
};

static int handler(struct uvfio_device *dev, uint32_t flags, void *data,
		   size_t size, void *opaque)
{
	struct calls *c = opaque;

	(void)dev;
	c->n++;
	c->flags = flags;
	c->size = size;
	if (flags & GET) {
		memcpy(data, &c->stored, sizeof(c->stored));
		return 0;
	}
	if (size >= sizeof(c->stored))
		memcpy(&c->stored, data, sizeof(c->stored));
	return 42; /* a handler's non-negative result passes through */
}

static const struct uvfio_device_ops ops = { 0 };

static struct uvfio_device *make_device(struct calls *c)
{
	struct uvfio_device *dev = uvfio_device_new("features", &ops, NULL);

	assert_int_equal(uvfio_device_add_feature(dev, F_GET_ONLY, GET, 8,
						  handler, c),
			 0);
	assert_int_equal(uvfio_device_add_feature(dev, F_GET_SET, GET | SET, 8,
						  handler, c),
			 0);
	assert_int_equal(uvfio_device_add_feature(dev, F_SET_NODATA, SET, 0,
						  handler, c),
			 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	return dev;
}

struct req {
	struct uvfio_device_feature hdr;
	uint64_t data[2];
};

static int feature(struct uvfio_device *dev, uint32_t flags, size_t data_len,
		   struct req *r)
{
	r->hdr.argsz = (uint32_t)(sizeof(r->hdr) + data_len);
	r->hdr.flags = flags;
	return uvfio_device_feature(dev, &r->hdr);
}

static void test_header_checks(void **state)
{
	struct calls c = { 0 };
	struct uvfio_device *dev = make_device(&c);
	struct req r = { 0 };

	(void)state;
	r.hdr.argsz = sizeof(r.hdr) - 1;
	r.hdr.flags = F_GET_ONLY | GET;
	assert_int_equal(uvfio_device_feature(dev, &r.hdr), -EINVAL);
	assert_int_equal(uvfio_device_feature(dev, NULL), -EFAULT);
	/* Flag bits beyond index/GET/SET/PROBE. */
	for (int bit = 19; bit < 32; bit++)
		assert_int_equal(feature(dev, F_GET_ONLY | GET | (1u << bit), 8,
					 &r),
				 -EINVAL);
	/* GET and SET together without PROBE, checked before the lookup. */
	assert_int_equal(feature(dev, F_GET_SET | GET | SET, 8, &r), -EINVAL);
	assert_int_equal(feature(dev, 500 | GET | SET, 8, &r), -EINVAL);
	/* Unknown feature. */
	assert_int_equal(feature(dev, 11 | GET, 8, &r), -ENOTTY);
	assert_int_equal(feature(dev, 0xffff | PROBE, 0, &r), -ENOTTY);
	assert_int_equal(c.n, 0);
	uvfio_device_destroy(dev);
}

static void test_probe(void **state)
{
	struct calls c = { 0 };
	struct uvfio_device *dev = make_device(&c);
	struct req r = { 0 };

	(void)state;
	/* PROBE with a supported op, or none, succeeds without a call. */
	assert_int_equal(feature(dev, F_GET_ONLY | PROBE, 0, &r), 0);
	assert_int_equal(feature(dev, F_GET_ONLY | PROBE | GET, 0, &r), 0);
	assert_int_equal(feature(dev, F_GET_SET | PROBE | GET | SET, 0, &r), 0);
	assert_int_equal(feature(dev, F_SET_NODATA | PROBE | SET, 0, &r), 0);
	/* PROBE of an unsupported op fails. */
	assert_int_equal(feature(dev, F_GET_ONLY | PROBE | SET, 0, &r),
			 -EINVAL);
	assert_int_equal(feature(dev, F_GET_ONLY | PROBE | GET | SET, 0, &r),
			 -EINVAL);
	assert_int_equal(feature(dev, F_SET_NODATA | PROBE | GET, 0, &r),
			 -EINVAL);
	assert_int_equal(c.n, 0);
	uvfio_device_destroy(dev);
}

static void test_ops_and_sizes(void **state)
{
	struct calls c = { 0 };
	struct uvfio_device *dev = make_device(&c);
	struct req r = { 0 };

	(void)state;
	/* Neither GET nor SET. */
	assert_int_equal(feature(dev, F_GET_SET, 8, &r), -EINVAL);
	/* An op the feature lacks. */
	assert_int_equal(feature(dev, F_GET_ONLY | SET, 8, &r), -EINVAL);
	assert_int_equal(feature(dev, F_SET_NODATA | GET, 8, &r), -EINVAL);
	/* Payload below minsz. */
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(feature(dev, F_GET_SET | SET, len, &r),
				 -EINVAL);
	assert_int_equal(c.n, 0);

	r.data[0] = 0x1122334455667788ull;
	assert_int_equal(feature(dev, F_GET_SET | SET, 8, &r), 42);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.flags, SET);
	assert_int_equal(c.size, 8);
	memset(r.data, 0, sizeof(r.data));
	assert_int_equal(feature(dev, F_GET_SET | GET, 16, &r), 0);
	assert_int_equal(c.flags, GET);
	assert_int_equal(c.size, 16);
	assert_int_equal(r.data[0], 0x1122334455667788ull);
	/* A feature with no payload runs with size 0. */
	assert_int_equal(feature(dev, F_SET_NODATA | SET, 0, &r), 42);
	assert_int_equal(c.size, 0);
	uvfio_device_destroy(dev);
}

static void test_registration(void **state)
{
	struct calls c = { 0 };
	struct uvfio_device *dev = uvfio_device_new("reg", &ops, NULL);

	(void)state;
	assert_int_equal(uvfio_device_add_feature(dev, 1, 0, 0, handler, &c),
			 -EINVAL);
	assert_int_equal(uvfio_device_add_feature(dev, 1, PROBE, 0, handler,
						  &c),
			 -EINVAL);
	assert_int_equal(uvfio_device_add_feature(dev, 1, GET, 0, NULL, &c),
			 -EINVAL);
	assert_int_equal(uvfio_device_add_feature(dev, 1, GET, 0, handler, &c),
			 0);
	assert_int_equal(uvfio_device_add_feature(dev, 1, SET, 0, handler, &c),
			 -EEXIST);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_add_feature(dev, 2, GET, 0, handler, &c),
			 -EBUSY);
	uvfio_device_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_ops_and_sizes),
		cmocka_unit_test(test_registration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
