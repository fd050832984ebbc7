// SPDX-License-Identifier: MIT
/*
 * Device lifetime: creation rules, configure/realize/use phases, release,
 * logging, and concurrent use from several threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/device.h>

#include "test-util.h"

static unsigned int releases;

static void count_release(struct uvfio_device *dev)
{
	(void)dev;
	releases++;
}

static const struct uvfio_device_ops ops = { .release = count_release };

static void test_names(void **state)
{
	char long_name[66];
	struct uvfio_device *dev;

	(void)state;
	errno = 0;
	assert_null(uvfio_device_new(NULL, &ops, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(uvfio_device_new("", &ops, NULL));
	assert_null(uvfio_device_new("tab\there", &ops, NULL));
	assert_null(uvfio_device_new("ok", NULL, NULL));
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	assert_null(uvfio_device_new(long_name, &ops, NULL));
	long_name[64] = '\0';
	dev = uvfio_device_new(long_name, &ops, &releases);
	assert_non_null(dev);
	assert_string_equal(uvfio_device_name(dev), long_name);
	assert_ptr_equal(uvfio_device_priv(dev), &releases);
	uvfio_device_destroy(dev);
	uvfio_device_destroy(NULL);
}

/* Every call of the use phase, on a device whose region 0 and irq 0 exist. */
static void check_use_phase(struct uvfio_device *dev, bool realized)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_region_info rinfo = { .argsz = sizeof(rinfo) };
	struct uvfio_irq_info iinfo = { .argsz = sizeof(iinfo) };
	struct uvfio_irq_set set = { .argsz = sizeof(set),
				     .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
					      UVFIO_IRQ_SET_DATA_NONE };
	struct uvfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = UVFIO_DEVICE_FEATURE_PROBE | 1,
	};
	const int nodev = realized ? 0 : -ENODEV;
	uint8_t byte;

	assert_int_equal(uvfio_device_get_info(dev, &info), nodev);
	assert_int_equal(uvfio_device_get_region_info(dev, &rinfo), nodev);
	assert_int_equal(uvfio_device_get_irq_info(dev, &iinfo), nodev);
	/* A disable of an index that is off: -EINVAL once realized. */
	assert_int_equal(uvfio_device_set_irqs(dev, &set),
			 realized ? -EINVAL : -ENODEV);
	assert_int_equal(uvfio_device_feature(dev, &feat),
			 realized ? -ENOTTY : -ENODEV);
	assert_int_equal(uvfio_device_reset(dev), realized ? -EINVAL : -ENODEV);
	assert_int_equal(uvfio_device_region_access(dev, 0, 0, &byte, 1, false),
			 realized ? 1 : -ENODEV);
	assert_int_equal(uvfio_device_irq_trigger(dev, 0, 0),
			 realized ? UVFIO_IRQ_DROPPED : -ENODEV);
	assert_int_equal(uvfio_device_irq_set_level(dev, 0, 0, false), nodev);
	assert_int_equal(uvfio_device_irq_mask(dev, 0, 0, false), nodev);
	assert_int_equal(uvfio_device_irq_enabled(dev, 0), nodev);
	/* The memory is the driver's from the region's addition on; the fd
	 * is for transports, so only once realized. */
	assert_non_null(uvfio_region_memory(dev, 0));
	if (realized)
		assert_true(uvfio_region_memory_fd(dev, 0) >= 0);
	else
		assert_int_equal(uvfio_region_memory_fd(dev, 0), -ENODEV);
}

static void test_phases(void **state)
{
	struct uvfio_device *dev = uvfio_device_new("phases", &ops, NULL);
	const struct uvfio_region_desc mem = {
		.size = 4096,
		.flags = UVFIO_REGION_INFO_FLAG_READ,
		.has_memory = true,
	};
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_region_info rinfo = { .argsz = sizeof(rinfo) };

	(void)state;
	assert_int_equal(uvfio_device_add_region(dev, 0, &mem), 0);
	assert_int_equal(
		uvfio_device_add_irq(dev, 0, 1,
				     UVFIO_IRQ_INFO_EVENTFD |
					     UVFIO_IRQ_INFO_MASKABLE |
					     UVFIO_IRQ_INFO_AUTOMASKED),
		0);
	/* Nothing of the use phase works before realize. */
	check_use_phase(dev, false);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_realize(dev), -EBUSY);
	check_use_phase(dev, true);
	uvfio_device_destroy(dev);

	/* An empty device is valid: no regions, no irqs. */
	dev = uvfio_device_new("empty", &ops, NULL);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_get_info(dev, &info), 0);
	assert_int_equal(info.num_regions, 0);
	assert_int_equal(info.num_irqs, 0);
	assert_int_equal(uvfio_device_get_region_info(dev, &rinfo), -EINVAL);

	releases = 0;
	uvfio_device_destroy(dev);
	assert_int_equal(releases, 1);
}

struct captured {
	unsigned int n;
	enum uvfio_log_level level;
	char name[80];
	char msg[600];
};

static void capture(void *opaque, enum uvfio_log_level level, const char *name,
		    const char *msg)
{
	struct captured *c = opaque;

	c->n++;
	c->level = level;
	strncpy(c->name, name, sizeof(c->name) - 1);
	strncpy(c->msg, msg, sizeof(c->msg) - 1);
}

static void test_log(void **state)
{
	struct uvfio_device *dev = uvfio_device_new("logger", &ops, NULL);
	struct captured c = { 0 };
	char big[1000];

	(void)state;
	uvfio_device_set_log(dev, capture, &c, UVFIO_LOG_INFO);
	uvfio_dbg(dev, "not shown");
	assert_int_equal(c.n, 0);
	uvfio_info(dev, "value %d", 7);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.level, UVFIO_LOG_INFO);
	assert_string_equal(c.name, "logger");
	assert_string_equal(c.msg, "value 7");
	/* The core logs what it refuses, naming the values. */
	assert_int_equal(uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_RESET),
			 -EINVAL);
	assert_int_equal(c.level, UVFIO_LOG_ERR);
	assert_non_null(strstr(c.msg, "0x1"));
	/* Long lines are cut, not overflowed. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	uvfio_warn(dev, "%s", big);
	assert_true(strlen(c.msg) < 512);
	uvfio_device_destroy(dev);
}

static ssize_t mem_access(struct uvfio_device *dev, unsigned int region,
			  uint64_t offset, void *buf, size_t len, bool is_write)
{
	uint64_t *counter = uvfio_device_priv(dev);

	(void)region, (void)offset, (void)buf;
	/* Not atomic on purpose: the core's lock must serialize us. */
	if (is_write)
		*counter = *counter + 1;
	return (ssize_t)len;
}

static const struct uvfio_device_ops counter_ops = { 0 };

#define THREADS 4
#define WRITES 20000

static void *writer(void *arg)
{
	struct uvfio_device *dev = arg;
	uint32_t v = 1;

	for (int i = 0; i < WRITES; i++) {
		if (uvfio_device_region_access(dev, 0, 0, &v, 4, true) != 4)
			return (void *)1;
		if (uvfio_device_irq_trigger(dev, 0, 0) < 0)
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent_use(void **state)
{
	const struct uvfio_region_desc r = {
		.size = 4,
		.flags = UVFIO_REGION_INFO_FLAG_WRITE,
		.access = mem_access,
	};
	uint64_t counter = 0;
	struct uvfio_device *dev =
		uvfio_device_new("busy", &counter_ops, &counter);
	pthread_t threads[THREADS];
	int efd = test_eventfd();

	(void)state;
	assert_int_equal(uvfio_device_add_region(dev, 0, &r), 0);
	assert_int_equal(
		uvfio_device_add_irq(dev, 0, 1, UVFIO_IRQ_INFO_EVENTFD), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	struct {
		struct uvfio_irq_set hdr;
		int32_t fd;
	} set = { { .argsz = sizeof(set),
		    .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
			     UVFIO_IRQ_SET_DATA_EVENTFD,
		    .count = 1 },
		  efd };
	assert_int_equal(uvfio_device_set_irqs(dev, &set.hdr), 0);

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, writer, dev),
				 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;

		pthread_join(threads[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(counter, THREADS * WRITES);
	assert_int_equal(test_eventfd_count(efd), THREADS * WRITES);
	uvfio_device_destroy(dev);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_concurrent_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
