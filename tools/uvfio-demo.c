// SPDX-License-Identifier: MIT
/*
 * uvfio-demo: drive a device in-process the way a VMM drives a VFIO device
 * fd, and say what each step did.  `make demo` runs it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uvfio/uvfio.h>

#include "ram/ram.h"

#define RAM_SIZE (1 << 20)

static int step;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("[%d] ", ++step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void fail(const char *what, long err)
{
	fprintf(stderr, "uvfio-demo: %s: %s\n", what, strerror((int)-err));
	exit(1);
}

static void log_sink(void *opaque, enum uvfio_log_level level, const char *name,
		     const char *msg)
{
	(void)opaque;
	printf("    log(%d) %s: %s\n", level, name, msg);
}

int main(void)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_region_info rinfo = { .argsz = sizeof(rinfo) };
	struct uvfio_device_feature probe = {
		.argsz = sizeof(probe),
		.flags = UVFIO_DEVICE_FEATURE_PROBE |
			 UVFIO_DEVICE_FEATURE_MIGRATION,
	};
	const char msg[] = "hello from uvfio";
	char buf[sizeof(msg)] = { 0 };
	struct uvfio_device *dev;
	uint8_t *map;
	long ret;

	printf("uvfio in-process demo: a 1 MiB 'ram' device, driven through the\n"
	       "same calls the vfio-user server makes for its clients, in-process.\n\n");

	dev = ram_device_new("ram0", RAM_SIZE);
	if (!dev)
		fail("ram_device_new", -errno);
	uvfio_device_set_log(dev, log_sink, NULL, UVFIO_LOG_DEBUG);
	say("created device '%s' and realized it", uvfio_device_name(dev));

	ret = uvfio_device_get_info(dev, &info);
	if (ret)
		fail("GET_INFO", ret);
	say("GET_INFO: flags 0x%x (%s), %u region(s), %u irq index(es)",
	    info.flags, info.flags & UVFIO_DEVICE_FLAGS_RESET ? "RESET" : "-",
	    info.num_regions, info.num_irqs);

	ret = uvfio_device_get_region_info(dev, &rinfo);
	if (ret)
		fail("GET_REGION_INFO", ret);
	say("GET_REGION_INFO 0: size 0x%llx flags 0x%x (READ|WRITE|MMAP), "
	    "offset 0x%llx",
	    (unsigned long long)rinfo.size, rinfo.flags,
	    (unsigned long long)rinfo.offset);

	ret = uvfio_device_region_access(dev, 0, 0x100, (void *)msg,
					 sizeof(msg), true);
	if (ret < 0)
		fail("region write", ret);
	ret = uvfio_device_region_access(dev, 0, 0x100, buf, sizeof(buf),
					 false);
	if (ret < 0)
		fail("region read", ret);
	say("wrote %zu bytes at 0x100 and read back \"%s\"", sizeof(msg), buf);

	map = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   uvfio_region_memory_fd(dev, 0), 0);
	if (map == MAP_FAILED)
		fail("mmap", -errno);
	say("mapped the region's memfd as a client would: it reads \"%s\" at 0x100",
	    (char *)map + 0x100);
	memcpy(map + 0x200, "via mmap", 9);
	uvfio_device_region_access(dev, 0, 0x200, buf, 9, false);
	say("wrote \"via mmap\" through the mapping; region access sees \"%s\"",
	    buf);

	ret = uvfio_device_region_access(dev, 0, RAM_SIZE - 4, buf, 8, false);
	say("an 8-byte read at 0x%x (crossing the end) is refused: %s",
	    RAM_SIZE - 4, strerror((int)-ret));

	ret = uvfio_device_feature(dev, &probe);
	say("DEVICE_FEATURE PROBE MIGRATION: %s (this device does not migrate)",
	    strerror((int)-ret));

	ret = uvfio_device_reset(dev);
	if (ret)
		fail("reset", ret);
	say("DEVICE_RESET: memory at 0x100 now reads %s",
	    map[0x100] ? "non-zero" : "zero");

	munmap(map, RAM_SIZE);
	uvfio_device_destroy(dev);
	say("destroyed the device; every fd and mapping released");
	return 0;
}
