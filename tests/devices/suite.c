// SPDX-License-Identifier: MIT
/*
 * Shared by the device suites: see suite.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void tap_result(unsigned int n, const char *name, enum result r,
		const char *why)
{
	switch (r) {
	case PASS:
		printf("ok %u - %s\n", n, name);
		break;
	case SKIP:
		printf("ok %u - %s # SKIP %s\n", n, name, why);
		break;
	case KNOWN:
		printf("not ok %u - %s # TODO %s\n", n, name, why);
		break;
	case FAIL:
		printf("not ok %u - %s\n", n, name);
		break;
	}
}

void sleep_1ms(void)
{
	struct timespec ts = { .tv_nsec = 1000000 };

	nanosleep(&ts, NULL);
}

int region_rw(struct uvfio_client *c, uint32_t index, uint64_t off, void *buf,
	      size_t len, bool is_write)
{
	ssize_t n = is_write ?
			    uvfio_client_region_write(c, index, off, buf, len) :
			    uvfio_client_region_read(c, index, off, buf, len);

	if (n == (ssize_t)len)
		return 0;
	diag("%s of %zu bytes at 0x%llx of region %u: %s",
	     is_write ? "write" : "read", len, (unsigned long long)off, index,
	     n < 0 ? strerror((int)-n) : "short");
	return -1;
}

/* ---- interrupts ---- */

uint64_t ev_take(int fd)
{
	eventfd_t v = 0;

	if (eventfd_read(fd, &v))
		return 0;
	return v;
}

uint64_t ev_poll(int fd, int tries)
{
	for (int i = 0; i < tries; i++) {
		uint64_t n = ev_take(fd);

		if (n)
			return n;
		sleep_1ms();
	}
	return 0;
}

int ev_none(int fd, const char *what)
{
	uint64_t n = ev_take(fd);

	if (!n)
		return 0;
	diag("unexpected %s interrupt (count %llu)", what,
	     (unsigned long long)n);
	return -1;
}

int set_irqs(struct uvfio_client *c, uint32_t index, uint32_t flags,
	     uint32_t count, int fd)
{
	bool with_fd = flags & UVFIO_IRQ_SET_DATA_EVENTFD;
	size_t size = sizeof(struct uvfio_irq_set) + (with_fd ? 4 : 0);
	struct uvfio_irq_set *set = calloc(1, size);
	int32_t fd32 = fd;
	int ret;

	if (!set) {
		diag("out of memory");
		return -ENOMEM;
	}
	*set = (struct uvfio_irq_set){ .argsz = (uint32_t)size,
				       .flags = flags,
				       .index = index,
				       .count = count };
	if (with_fd)
		memcpy(set->data, &fd32, sizeof(fd32));
	ret = uvfio_client_set_irqs(c, set);
	if (ret)
		diag("SET_IRQS index %u flags 0x%x count %u: %s", index, flags,
		     count, strerror(-ret));
	free(set);
	return ret;
}

int bind_eventfd(struct uvfio_client *c, uint32_t index, int fd)
{
	return set_irqs(c, index,
			UVFIO_IRQ_SET_DATA_EVENTFD |
				UVFIO_IRQ_SET_ACTION_TRIGGER,
			1, fd);
}

int irq_disable(struct uvfio_client *c, uint32_t index)
{
	return set_irqs(c, index,
			UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_TRIGGER,
			0, -1);
}

int intx_unmask(struct uvfio_client *c)
{
	return set_irqs(c, UVFIO_PCI_INTX_IRQ_INDEX,
			UVFIO_IRQ_SET_DATA_NONE | UVFIO_IRQ_SET_ACTION_UNMASK,
			1, -1);
}

/* ---- setup and teardown ---- */

int suite_open(const char *name, struct uvfio_client **c, int *intx_fd,
	       int *msi_fd)
{
	*intx_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	*msi_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (*intx_fd < 0 || *msi_fd < 0) {
		printf("Bail out! eventfd: %s\n", strerror(errno));
		return -1;
	}
	*c = uvfio_client_open(name, NULL);
	if (!*c) {
		const char *why = uvfio_client_open_error();

		printf("Bail out! cannot open %s: %s\n", name,
		       why ? why : strerror(errno));
		return -1;
	}
	return 0;
}

void msi_off_quietly(struct uvfio_client *c)
{
	uvfio_client_set_irqs(c, &(struct uvfio_irq_set){
					 .argsz = sizeof(struct uvfio_irq_set),
					 .flags = UVFIO_IRQ_SET_DATA_NONE |
						  UVFIO_IRQ_SET_ACTION_TRIGGER,
					 .index = UVFIO_PCI_MSI_IRQ_INDEX });
}

void close_eventfds(int intx_fd, int msi_fd)
{
	if (intx_fd >= 0)
		close(intx_fd);
	if (msi_fd >= 0)
		close(msi_fd);
}
