/* SPDX-License-Identifier: MIT */
/*
 * Shared by the unit tests: cmocka's prerequisites and a few helpers.
 */
#ifndef UVFIO_TEST_UTIL_H
#define UVFIO_TEST_UTIL_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include <cmocka.h>

#include <uvfio/uvfio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Number of entries of directory @path, but . and .. */
static inline int test_count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Number of open file descriptors of this process. */
static inline int test_count_fds(void)
{
	return test_count_entries("/proc/self/fd") - 1; /* opendir's own fd */
}

/* Number of threads of this process. */
static inline int test_count_threads(void)
{
	return test_count_entries("/proc/self/task");
}

/* Counter of an eventfd, read without blocking: 0 if never signalled. */
static inline uint64_t test_eventfd_count(int fd)
{
	eventfd_t value = 0;

	if (eventfd_read(fd, &value))
		return 0;
	return value;
}

static inline int test_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* @dir, of @len bytes, becomes a new directory /tmp/uvfio-@tag-XXXXXX. */
static inline void test_mkdtemp(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/uvfio-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(dir));
}

/*
 * A started server, with @opts (NULL: the defaults), of the @n devices
 * @dev: each at the socket @path[i], @dir/<the device's name>.sock.
 */
static inline struct uvfio_server *
test_serve(const struct uvfio_server_opts *opts, const char *dir,
	   struct uvfio_device *const *dev, char (*path)[96], int n)
{
	struct uvfio_server *srv = uvfio_server_new(opts);

	assert_non_null(srv);
	for (int i = 0; i < n; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s.sock", dir,
			 uvfio_device_name(dev[i]));
		assert_int_equal(uvfio_server_add_device(srv, dev[i], path[i]),
				 0);
	}
	assert_int_equal(uvfio_server_start(srv), 0);
	return srv;
}

#endif /* UVFIO_TEST_UTIL_H */
