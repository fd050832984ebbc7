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
#include <sys/eventfd.h>

#include <cmocka.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Number of open file descriptors of this process. */
static inline int test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
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

#endif /* UVFIO_TEST_UTIL_H */
