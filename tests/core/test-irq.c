// SPDX-License-Identifier: MIT
/*
 * Interrupts: GET_IRQ_INFO, SET_IRQS validation as the kernel's
 * vfio_set_irqs_validate_and_prepare() and vfio-pci's per-action rules,
 * eventfd ownership, masking and device-raised interrupts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uvfio/device.h>

#include "test-util.h"

#define INTX UVFIO_PCI_INTX_IRQ_INDEX
#define MSI UVFIO_PCI_MSI_IRQ_INDEX
#define MSIX UVFIO_PCI_MSIX_IRQ_INDEX
#define ERR UVFIO_PCI_ERR_IRQ_INDEX
#define REQ UVFIO_PCI_REQ_IRQ_INDEX

#define TRIGGER UVFIO_IRQ_SET_ACTION_TRIGGER
#define MASK UVFIO_IRQ_SET_ACTION_MASK
#define UNMASK UVFIO_IRQ_SET_ACTION_UNMASK
#define NONE UVFIO_IRQ_SET_DATA_NONE
#define BOOL UVFIO_IRQ_SET_DATA_BOOL
#define EVENTFD UVFIO_IRQ_SET_DATA_EVENTFD

/* What the irq_enable hook saw, and the PCI-like rule it enforces. */
struct hook {
	int active; /* index enabled, or -1 */
	unsigned int calls;
	unsigned int last_index, last_nvec;
};

static int exclusive_enable(struct uvfio_device *dev, unsigned int index,
			    unsigned int nvec)
{
	struct hook *h = uvfio_device_priv(dev);

	h->calls++;
	h->last_index = index;
	h->last_nvec = nvec;
	if (index > MSIX)
		return 0;
	if (!nvec) {
		if (h->active == (int)index)
			h->active = -1;
		return 0;
	}
	if (h->active >= 0 && h->active != (int)index)
		return -EINVAL;
	h->active = (int)index;
	return 0;
}

static const struct uvfio_device_ops ops = { .irq_enable = exclusive_enable };

/* vfio-pci's shape, non-PCIe: ERR absent, REQ single-trigger, num_irqs 5. */
static struct uvfio_device *make_device(struct hook *h, uint32_t intx_count)
{
	struct uvfio_device *dev = uvfio_device_new("irqs", &ops, h);

	*h = (struct hook){ .active = -1 };
	assert_non_null(dev);
	assert_int_equal(
		uvfio_device_add_irq(dev, INTX, intx_count,
				     UVFIO_IRQ_INFO_EVENTFD |
					     UVFIO_IRQ_INFO_MASKABLE |
					     UVFIO_IRQ_INFO_AUTOMASKED),
		0);
	assert_int_equal(uvfio_device_add_irq(dev, MSI, 4,
					      UVFIO_IRQ_INFO_EVENTFD |
						      UVFIO_IRQ_INFO_NORESIZE),
			 0);
	assert_int_equal(
		uvfio_device_add_irq(dev, MSIX, 8, UVFIO_IRQ_INFO_EVENTFD), 0);
	assert_int_equal(uvfio_device_add_irq(dev, REQ, 1,
					      UVFIO_IRQ_INFO_EVENTFD |
						      UVFIO_IRQ_INFO_NORESIZE),
			 0);
	assert_int_equal(uvfio_device_set_irq_single(dev, REQ), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	return dev;
}

/*
 * SET_IRQS with exactly @data_len bytes of payload, in a heap buffer of
 * exactly argsz bytes: ASan catches any read of data[] past argsz.
 */
static int set_irqs(struct uvfio_device *dev, uint32_t flags, uint32_t index,
		    uint32_t start, uint32_t count, const void *data,
		    size_t data_len)
{
	const struct uvfio_irq_set hdr = {
		.argsz = (uint32_t)(sizeof(hdr) + data_len),
		.flags = flags,
		.index = index,
		.start = start,
		.count = count,
	};
	struct uvfio_irq_set *req = malloc(sizeof(hdr) + data_len);
	int ret;

	/* No cmocka assert here: the stress test calls this from threads. */
	if (!req)
		return -ENOMEM;
	memcpy(req, &hdr, sizeof(hdr));
	if (data_len)
		memcpy(req->data, data, data_len);
	ret = uvfio_device_set_irqs(dev, req);
	free(req);
	return ret;
}

static int bind(struct uvfio_device *dev, uint32_t index, uint32_t start,
		uint32_t count, const int32_t *fds)
{
	return set_irqs(dev, TRIGGER | EVENTFD, index, start, count, fds,
			count * sizeof(*fds));
}

static void test_irq_info(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	struct uvfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct uvfio_irq_info info = { .argsz = sizeof(info), .index = MSI };

	(void)state;
	assert_int_equal(uvfio_device_get_info(dev, &dinfo), 0);
	assert_int_equal(dinfo.num_irqs, 5);
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), 0);
	assert_int_equal(info.count, 4);
	assert_int_equal(info.flags,
			 UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_NORESIZE);
	info.index = INTX;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), 0);
	assert_int_equal(info.flags, UVFIO_IRQ_INFO_EVENTFD |
					     UVFIO_IRQ_INFO_MASKABLE |
					     UVFIO_IRQ_INFO_AUTOMASKED);
	/* ERR absent (non-PCIe), index past num_irqs, short argsz. */
	info.index = ERR;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), -EINVAL);
	info.index = 5;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), -EINVAL);
	info.index = MSI;
	info.argsz = sizeof(info) - 1;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), -EINVAL);
	assert_int_equal(uvfio_device_get_irq_info(dev, NULL), -EFAULT);
	uvfio_device_destroy(dev);
}

/* vfio_set_irqs_validate_and_prepare(), case by case. */
static void test_set_irqs_validation(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	struct uvfio_irq_set hdr = { .argsz = sizeof(hdr) - 1,
				     .flags = TRIGGER | NONE,
				     .index = MSI };
	const uint8_t bools[4] = { 1, 1, 1, 1 };
	const int32_t fds[4] = { -1, -1, -1, -1 };

	(void)state;
	assert_int_equal(uvfio_device_set_irqs(dev, &hdr), -EINVAL);
	assert_int_equal(uvfio_device_set_irqs(dev, NULL), -EFAULT);
	/* index past num_irqs, absent index */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, 5, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, 63, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | EVENTFD, ERR, 0, 1, fds, 4),
			 -EINVAL);
	/* count >= U32_MAX - start */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 1, UINT32_MAX - 1,
				  NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, UINT32_MAX, NULL,
				  0),
			 -EINVAL);
	/* unknown flag bits */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE | (1u << 6), MSI, 0, 1,
				  NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE | (1u << 31), MSI, 0, 1,
				  NULL, 0),
			 -EINVAL);
	/* start/count outside the index */
	assert_int_equal(set_irqs(dev, TRIGGER | EVENTFD, MSI, 4, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | EVENTFD, MSI, 2, 3, fds, 12),
			 -EINVAL);
	/* exactly one data type */
	assert_int_equal(set_irqs(dev, TRIGGER, MSI, 0, 1, NULL, 0), -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE | BOOL, MSI, 0, 1, bools,
				  1),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL | EVENTFD, MSI, 0, 1, fds,
				  4),
			 -EINVAL);
	/* payload shorter than count elements */
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, MSI, 0, 4, bools, 3),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | EVENTFD, MSI, 0, 4, fds, 15),
			 -EINVAL);
	/* no action, or two: vfio-pci finds no handler */
	assert_int_equal(set_irqs(dev, NONE, MSI, 0, 1, NULL, 0), -ENOTTY);
	assert_int_equal(set_irqs(dev, TRIGGER | MASK | NONE, INTX, 0, 1, NULL,
				  0),
			 -ENOTTY);
	/* MSI/MSI-X/REQ cannot be masked by the user */
	assert_int_equal(set_irqs(dev, MASK | NONE, MSI, 0, 1, NULL, 0),
			 -ENOTTY);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, MSIX, 0, 1, NULL, 0),
			 -ENOTTY);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, REQ, 0, 1, NULL, 0),
			 -ENOTTY);
	/* INTx mask/unmask need INTx enabled and count 1 */
	assert_int_equal(set_irqs(dev, MASK | NONE, INTX, 0, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0),
			 -EINVAL);
	/* disable or loopback of an index that is off */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, INTX, 0, 1, bools, 1),
			 -EINVAL);
	/* enabling with no vectors */
	assert_int_equal(set_irqs(dev, TRIGGER | EVENTFD, MSI, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(h.calls, 0);
	for (unsigned int i = 0; i <= REQ; i++)
		if (i != ERR)
			assert_int_equal(uvfio_device_irq_enabled(dev, i), 0);

	/*
	 * What the count < U32_MAX - start check is for: on an enabled index,
	 * start 2 + count 0xfffffffe wraps to 0 and would pass the range
	 * check, and a loopback would reach vectors that do not exist.
	 */
	int32_t efds[2] = { test_eventfd(), test_eventfd() };

	assert_int_equal(bind(dev, MSI, 0, 2, efds), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 2, 0xfffffffe, NULL,
				  0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, MSI, 2, 0xfffffffe,
				  bools, 4),
			 -EINVAL);
	assert_int_equal(test_eventfd_count(efds[0]), 0);
	assert_int_equal(test_eventfd_count(efds[1]), 0);
	uvfio_device_destroy(dev);
	close(efds[0]);
	close(efds[1]);
}

static void test_intx_without_pin(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 0);
	struct uvfio_irq_info info = { .argsz = sizeof(info), .index = INTX };
	const int32_t fd = -1;

	(void)state;
	assert_int_equal(uvfio_device_get_irq_info(dev, &info), 0);
	assert_int_equal(info.count, 0);
	/* An index with no vectors refuses everything, even a disable. */
	assert_int_equal(bind(dev, INTX, 0, 1, &fd), -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0), -EINVAL);
	uvfio_device_destroy(dev);
}

static void test_msi_bind_trigger_disable(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int32_t fds[2] = { test_eventfd(), test_eventfd() };
	const uint8_t bools[2] = { 0, 1 };
	const int32_t unbind = -1;

	(void)state;
	assert_int_equal(bind(dev, MSI, 0, 2, fds), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, MSI), 2);
	assert_int_equal(h.last_index, MSI);
	assert_int_equal(h.last_nvec, 2);

	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 1),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(fds[1]), 1);
	assert_int_equal(test_eventfd_count(fds[0]), 0);
	/* Vector 3 exists but was not enabled; vector 4 does not exist. */
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 3),
			 UVFIO_IRQ_DROPPED);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 4), -EINVAL);
	assert_int_equal(uvfio_device_irq_trigger(dev, ERR, 0), -EINVAL);
	/* NORESIZE: the enabled block cannot grow. */
	assert_int_equal(bind(dev, MSI, 2, 1, fds), -EINVAL);

	/* Loopback: NONE signals every vector, BOOL the chosen ones. */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 2, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(fds[0]), 1);
	assert_int_equal(test_eventfd_count(fds[1]), 1);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, MSI, 0, 2, bools, 2), 0);
	assert_int_equal(test_eventfd_count(fds[0]), 0);
	assert_int_equal(test_eventfd_count(fds[1]), 1);

	/* fd -1 unbinds one vector, the index stays on. */
	assert_int_equal(bind(dev, MSI, 0, 1, &unbind), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 0),
			 UVFIO_IRQ_DROPPED);
	assert_int_equal(uvfio_device_irq_enabled(dev, MSI), 2);

	/* MSI-X while MSI is on: refused by the bus rule, nothing changes. */
	assert_int_equal(bind(dev, MSIX, 0, 1, fds), -EINVAL);
	assert_int_equal(uvfio_device_irq_enabled(dev, MSIX), 0);

	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 0, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, MSI), 0);
	assert_int_equal(h.last_nvec, 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 1),
			 UVFIO_IRQ_DROPPED);
	assert_int_equal(test_eventfd_count(fds[1]), 0);

	/* Now MSI-X may come on, and without NORESIZE it may grow. */
	assert_int_equal(bind(dev, MSIX, 0, 1, fds), 0);
	assert_int_equal(bind(dev, MSIX, 4, 2, fds), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, MSIX), 6);
	assert_int_equal(h.last_nvec, 6);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSIX, 5),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(fds[1]), 1);
	uvfio_device_destroy(dev);
	close(fds[0]);
	close(fds[1]);
}

static void test_bad_eventfds(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int pipefd[2];
	int32_t fds[3];
	int before;

	(void)state;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	before = test_count_fds();
	/* Not an eventfd: -EINVAL as eventfd_ctx_fdget(); closed fd: -EBADF. */
	fds[0] = test_eventfd();
	fds[1] = pipefd[0];
	assert_int_equal(bind(dev, MSI, 0, 2, fds), -EINVAL);
	fds[1] = 1000;
	assert_int_equal(bind(dev, MSI, 0, 2, fds), -EBADF);
	/* All or nothing: the index stayed off, no descriptor leaked. */
	assert_int_equal(uvfio_device_irq_enabled(dev, MSI), 0);
	assert_int_equal(h.calls, 0);
	close(fds[0]);
	assert_int_equal(test_count_fds(), before);

	/* A failure while rebinding an enabled block keeps the old fds. */
	fds[0] = test_eventfd();
	fds[1] = test_eventfd();
	fds[2] = test_eventfd();
	assert_int_equal(bind(dev, MSI, 0, 2, fds), 0);
	int32_t bad[2] = { fds[2], pipefd[1] };
	assert_int_equal(bind(dev, MSI, 0, 2, bad), -EINVAL);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(fds[0]), 1);
	assert_int_equal(test_eventfd_count(fds[2]), 0);
	uvfio_device_destroy(dev);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* The core holds its own duplicate: the caller may close its fd. */
static void test_eventfd_ownership(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int efd = test_eventfd();
	int reader = dup(efd);
	int before = test_count_fds();

	(void)state;
	assert_int_equal(bind(dev, REQ, 0, 1, &efd), 0);
	assert_int_equal(test_count_fds(), before + 1);
	close(efd);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(reader), 1);
	/* Rebinding replaces (and closes) the previous duplicate. */
	assert_int_equal(bind(dev, REQ, 0, 1, &reader), 0);
	assert_int_equal(test_count_fds(), before);
	uvfio_device_destroy(dev);
	assert_int_equal(test_count_fds(), before - 1);
	close(reader);
}

static void test_intx_automask_and_unmask(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int efd = test_eventfd();
	const uint8_t no = 0, yes = 1;

	(void)state;
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);
	/* AUTOMASKED: the next one waits for the user's unmask. */
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(set_irqs(dev, UNMASK | BOOL, INTX, 0, 1, &no, 1), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	/* Delivered on unmask, so masked again. */
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, UNMASK | BOOL, INTX, 0, 1, &yes, 1), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);

	/* A user MASK holds interrupts back; irqfd-style masks are absent. */
	assert_int_equal(set_irqs(dev, MASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, MASK | EVENTFD, INTX, 0, 1, &efd, 4),
			 -ENOTTY);
	assert_int_equal(set_irqs(dev, UNMASK | EVENTFD, INTX, 0, 1, &efd, 4),
			 -ENOTTY);
	assert_int_equal(set_irqs(dev, MASK | NONE, INTX, 0, 0, NULL, 0),
			 -EINVAL);
	/* Loopback ignores the mask, as the kernel's does. */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	/*
	 * A device-side unmask does not lift the user's mask (nor would the
	 * kernel's: INTX_DISABLE was never set); the user's UNMASK delivers.
	 */
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, false), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 1, false), -EINVAL);
	assert_int_equal(uvfio_device_irq_mask(dev, ERR, 0, false), -EINVAL);

	/* Disabling clears mask and pending state. */
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 0, NULL, 0), 0);
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_DELIVERED);
	uvfio_device_destroy(dev);
	close(efd);
}

static void test_irq_config_errors(void **state)
{
	struct hook h = { .active = -1 };
	struct uvfio_device *dev = uvfio_device_new("cfg", &ops, &h);

	(void)state;
	assert_int_equal(uvfio_device_add_irq(dev, 0, 1, 0), -EINVAL);
	assert_int_equal(
		uvfio_device_add_irq(dev, 0, 1,
				     UVFIO_IRQ_INFO_EVENTFD |
					     UVFIO_IRQ_INFO_AUTOMASKED),
		-EINVAL);
	assert_int_equal(uvfio_device_add_irq(
				 dev, 0, 1, UVFIO_IRQ_INFO_EVENTFD | (1 << 4)),
			 -EINVAL);
	assert_int_equal(uvfio_device_add_irq(dev, 0, 2049,
					      UVFIO_IRQ_INFO_EVENTFD),
			 -EINVAL);
	assert_int_equal(uvfio_device_add_irq(dev, UVFIO_MAX_IRQ_INDEXES, 1,
					      UVFIO_IRQ_INFO_EVENTFD),
			 -EINVAL);
	assert_int_equal(
		uvfio_device_add_irq(dev, 2, 2048, UVFIO_IRQ_INFO_EVENTFD), 0);
	assert_int_equal(uvfio_device_add_irq(dev, 2, 1,
					      UVFIO_IRQ_INFO_EVENTFD),
			 -EEXIST);
	/* Single-trigger: an added index with one vector and no masking. */
	assert_int_equal(uvfio_device_set_irq_single(dev, 0), -EINVAL);
	assert_int_equal(uvfio_device_set_irq_single(dev, 2), -EINVAL);
	assert_int_equal(uvfio_device_add_irq(dev, 0, 1,
					      UVFIO_IRQ_INFO_EVENTFD |
						      UVFIO_IRQ_INFO_MASKABLE),
			 0);
	assert_int_equal(uvfio_device_set_irq_single(dev, 0), -EINVAL);
	assert_int_equal(uvfio_device_add_irq(dev, 1, 1,
					      UVFIO_IRQ_INFO_EVENTFD |
						      UVFIO_IRQ_INFO_NORESIZE),
			 0);
	assert_int_equal(uvfio_device_set_irq_single(dev, 1), 0);
	assert_int_equal(uvfio_device_set_num_irqs(dev, 2), 0);
	assert_int_equal(uvfio_device_realize(dev), -EINVAL);
	assert_int_equal(uvfio_device_set_num_irqs(dev, 3), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_add_irq(dev, 4, 1,
					      UVFIO_IRQ_INFO_EVENTFD),
			 -EBUSY);
	assert_int_equal(uvfio_device_set_irq_single(dev, 1), -EBUSY);
	uvfio_device_destroy(dev);
}

/*
 * A client's blocking eventfd with its counter at the maximum.  The
 * kernel's eventfd_signal() never blocks; neither may the core, which
 * signals with its locks held.  An alarm turns a hang into a failure.
 */
static void test_saturated_eventfd(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	const uint64_t full = 0xfffffffffffffffeULL;
	int efd = eventfd(0, EFD_CLOEXEC); /* blocking, as a careless client */
	eventfd_t value = 0;

	(void)state;
	assert_true(efd >= 0);
	assert_int_equal(write(efd, &full, sizeof(full)), sizeof(full));
	alarm(20);
	/* MSI: a device trigger and a loopback. */
	assert_int_equal(bind(dev, MSI, 0, 1, &efd), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 1, NULL, 0), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 0, NULL, 0), 0);
	/* INTx: delivery on the user's unmask, under the device lock. */
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	assert_int_equal(set_irqs(dev, MASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 1, NULL, 0), 0);
	/* REQ: the single-trigger loopback. */
	assert_int_equal(bind(dev, REQ, 0, 1, &efd), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 1, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DELIVERED);
	alarm(0);
	/* Saturated, not wrapped; the shared file status is non-blocking. */
	assert_true(fcntl(efd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(eventfd_read(efd, &value), 0);
	assert_true(value == full);
	uvfio_device_destroy(dev);
	close(efd);
}

/*
 * In a child with an empty /proc: an eventfd cannot be told from other
 * descriptors, so SET_IRQS refuses every one.  Exit 0 if it did, 1 if not,
 * 77 if this system cannot hide /proc from us.
 */
static int child_bind_without_proc(void)
{
	static const struct uvfio_device_ops plain = { 0 };
	struct {
		struct uvfio_irq_set hdr;
		int32_t fd;
	} set = { { .argsz = sizeof(set),
		    .flags = TRIGGER | EVENTFD,
		    .index = 0,
		    .count = 1 },
		  -1 };
	struct uvfio_device *dev;
	int ret;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) && unshare(CLONE_NEWNS))
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/proc", "tmpfs", 0, NULL) ||
	    access("/proc/self/fd", F_OK) == 0)
		return 77;
	set.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dev = uvfio_device_new("noproc", &plain, NULL);
	if (set.fd < 0 || !dev ||
	    uvfio_device_add_irq(dev, 0, 1, UVFIO_IRQ_INFO_EVENTFD) ||
	    uvfio_device_realize(dev))
		return 2;
	ret = uvfio_device_set_irqs(dev, &set.hdr);
	if (ret != -EINVAL || uvfio_device_irq_enabled(dev, 0) != 0)
		return 1;
	set.fd = 1000; /* still a bad descriptor first */
	if (uvfio_device_set_irqs(dev, &set.hdr) != -EBADF)
		return 1;
	uvfio_device_destroy(dev);
	return 0;
}

static void test_eventfd_check_without_proc(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_bind_without_proc());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * The device's mask (Command.INTX_DISABLE, the kernel's virq_disabled) and
 * the user's (MASK, AUTOMASKED) are separate: delivery needs both clear.
 */
static void test_device_mask(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int efd = test_eventfd();
	const uint8_t yes = 1;

	(void)state;
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	/* The user's UNMASK does not lift the device's mask. */
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, true), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	/* Loopback signals nothing meanwhile (vfio_send_intx_eventfd()). */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, INTX, 0, 1, &yes, 1), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	/* Disable and re-enable: the device's mask stays, the edge is gone. */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 0, NULL, 0), 0);
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, true), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	/* Both clear: the pending interrupt is delivered, and automasks. */
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, false), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	/* Nor does the device's unmask lift the user's (automask) mask. */
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, true), 0);
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, false), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 0, NULL, 0), 0);

	/* An edge index: loopback ignores masks, as the kernel's MSI one. */
	assert_int_equal(bind(dev, MSI, 0, 1, &efd), 0);
	assert_int_equal(uvfio_device_irq_mask(dev, MSI, 0, true), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, MSI, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_mask(dev, MSI, 0, false), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_trigger(dev, MSI, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);
	uvfio_device_destroy(dev);
	close(efd);
}

/* INTx as a level: delivered on unmask only while still asserted. */
static void test_level(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int efd = test_eventfd();

	(void)state;
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	/* Levels are for AUTOMASKED indexes only. */
	assert_int_equal(uvfio_device_irq_set_level(dev, MSI, 0, true),
			 -EINVAL);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 1, true),
			 -EINVAL);
	assert_int_equal(uvfio_device_irq_set_level(dev, ERR, 0, true),
			 -EINVAL);

	/* Raised twice while masked, deasserted, unmasked: nothing. */
	assert_int_equal(set_irqs(dev, MASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, false), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 0);

	/* Raised while masked, unmasked while still asserted: delivered. */
	assert_int_equal(set_irqs(dev, MASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	/* Still asserted at the next unmask: delivered again (automasked). */
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	/* Deasserted before the unmask: nothing more. */
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, false), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 0);

	/* Raised unmasked: delivered at once. */
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, false), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);

	/* The device's mask holds a level back the same way. */
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, true), 0);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, false), 0);
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, false), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);

	/* The level is device state: a line still asserted when INTx comes
	 * back on fires for the new eventfd. */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, INTX, 0, 0, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, true),
			 UVFIO_IRQ_DROPPED);
	assert_int_equal(bind(dev, INTX, 0, 1, &efd), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_set_level(dev, INTX, 0, false), 0);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	/* The edge call keeps its sticky pending bit. */
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(uvfio_device_irq_trigger(dev, INTX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 2);
	uvfio_device_destroy(dev);
	close(efd);
}

static int bind_one(struct uvfio_device *dev, uint32_t index, int32_t fd)
{
	return bind(dev, index, 0, 1, &fd);
}

/* REQ follows vfio_pci_set_ctx_trigger_single(). */
static void test_single_trigger(void **state)
{
	struct hook h;
	struct uvfio_device *dev = make_device(&h, 1);
	int efd = test_eventfd(), efd2 = test_eventfd();
	const uint8_t yes = 1, no = 0;
	int pipefd[2];

	(void)state;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	/* start 0, count <= 1 */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 1, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 2, NULL, 0),
			 -EINVAL);
	/* Nothing bound: NONE refuses, BOOL succeeds and signals nothing. */
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, REQ, 0, 0, NULL, 0),
			 -EINVAL);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, REQ, 0, 1, &yes, 1), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | EVENTFD, REQ, 0, 0, NULL, 0),
			 -EINVAL);
	/* fd < -1 changes nothing and succeeds. */
	assert_int_equal(bind_one(dev, REQ, -2), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, REQ), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DROPPED);

	assert_int_equal(bind_one(dev, REQ, efd), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, REQ), 1);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 1, NULL, 0), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, REQ, 0, 1, &no, 1), 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | BOOL, REQ, 0, 1, &yes, 1), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(bind_one(dev, REQ, -2), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, REQ), 1);
	/* A bad descriptor leaves the bound one. */
	assert_int_equal(bind_one(dev, REQ, pipefd[0]), -EINVAL);
	assert_int_equal(bind_one(dev, REQ, 1000), -EBADF);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 1);
	/* fd >= 0 replaces. */
	assert_int_equal(bind_one(dev, REQ, efd2), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(test_eventfd_count(efd2), 1);
	/* fd -1 unbinds (also when nothing is bound); so does NONE count 0. */
	assert_int_equal(bind_one(dev, REQ, -1), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, REQ), 0);
	assert_int_equal(uvfio_device_irq_trigger(dev, REQ, 0),
			 UVFIO_IRQ_DROPPED);
	assert_int_equal(bind_one(dev, REQ, -1), 0);
	assert_int_equal(bind_one(dev, REQ, efd), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 0, NULL, 0), 0);
	assert_int_equal(uvfio_device_irq_enabled(dev, REQ), 0);
	assert_int_equal(set_irqs(dev, TRIGGER | NONE, REQ, 0, 0, NULL, 0),
			 -EINVAL);
	/* Trigger only, and no enable hook. */
	assert_int_equal(set_irqs(dev, MASK | NONE, REQ, 0, 1, NULL, 0),
			 -ENOTTY);
	assert_int_equal(h.calls, 0);
	uvfio_device_destroy(dev);
	close(efd);
	close(efd2);
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * Threads that bind, unbind and disable indexes while others raise, mask
 * and query them.  Meant for the ASan/UBSan build: it checks that no state
 * is torn, not timing.
 */
#define STRESS_ROUNDS 1500

struct stress {
	struct uvfio_device *dev;
	int efd[3];
	int stop;
	int errors;
};

static void stress_error(struct stress *st)
{
	__atomic_add_fetch(&st->errors, 1, __ATOMIC_RELAXED);
}

static void *stress_binder(void *arg)
{
	struct stress *st = arg;
	struct uvfio_device *dev = st->dev;
	const int32_t none[3] = { -1, -1, -1 };

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		/* INTx on, masked, unmasked, looped back, unbound, off. */
		if (bind(dev, INTX, 0, 1, &st->efd[0]) ||
		    set_irqs(dev, MASK | NONE, INTX, 0, 1, NULL, 0) ||
		    set_irqs(dev, UNMASK | NONE, INTX, 0, 1, NULL, 0) ||
		    set_irqs(dev, TRIGGER | NONE, INTX, 0, 1, NULL, 0) ||
		    bind(dev, INTX, 0, 1, none) ||
		    set_irqs(dev, TRIGGER | NONE, INTX, 0, 0, NULL, 0))
			stress_error(st);
		/* MSI-X grown, rebound, off. */
		if (bind(dev, MSIX, 0, 2, st->efd) ||
		    bind(dev, MSIX, 2, 3, st->efd) ||
		    bind(dev, MSIX, 1, 3, none) ||
		    set_irqs(dev, TRIGGER | NONE, MSIX, 0, 0, NULL, 0))
			stress_error(st);
		/* REQ bound, replaced, unbound. */
		if (bind(dev, REQ, 0, 1, &st->efd[1]) ||
		    bind(dev, REQ, 0, 1, &st->efd[2]) ||
		    set_irqs(dev, TRIGGER | NONE, REQ, 0, 0, NULL, 0))
			stress_error(st);
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *stress_raiser(void *arg)
{
	struct stress *st = arg;
	struct uvfio_device *dev = st->dev;
	unsigned int n = 0;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		n++;
		if (uvfio_device_irq_trigger(dev, INTX, 0) < 0 ||
		    uvfio_device_irq_set_level(dev, INTX, 0, n & 1) < 0 ||
		    uvfio_device_irq_mask(dev, INTX, 0, n & 2) < 0 ||
		    uvfio_device_irq_trigger(dev, MSIX, n % 8) < 0 ||
		    uvfio_device_irq_mask(dev, MSIX, n % 8, n & 4) < 0 ||
		    uvfio_device_irq_trigger(dev, REQ, 0) < 0 ||
		    uvfio_device_irq_enabled(dev, MSIX) < 0)
			stress_error(st);
		if (!(n % 64))
			for (int i = 0; i < 3; i++)
				test_eventfd_count(st->efd[i]);
	}
	return NULL;
}

static void test_concurrent_bind_and_raise(void **state)
{
	struct hook h;
	struct stress st = { .dev = make_device(&h, 1) };
	pthread_t binder, raisers[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		st.efd[i] = test_eventfd();
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&raisers[i], NULL,
						stress_raiser, &st),
				 0);
	assert_int_equal(pthread_create(&binder, NULL, stress_binder, &st), 0);
	pthread_join(binder, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(raisers[i], NULL);
	assert_int_equal(st.errors, 0);
	for (unsigned int i = 0; i <= REQ; i++)
		if (i != ERR)
			assert_int_equal(uvfio_device_irq_enabled(st.dev, i),
					 0);
	uvfio_device_destroy(st.dev);
	for (int i = 0; i < 3; i++)
		close(st.efd[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irq_info),
		cmocka_unit_test(test_set_irqs_validation),
		cmocka_unit_test(test_intx_without_pin),
		cmocka_unit_test(test_msi_bind_trigger_disable),
		cmocka_unit_test(test_bad_eventfds),
		cmocka_unit_test(test_eventfd_ownership),
		cmocka_unit_test(test_intx_automask_and_unmask),
		cmocka_unit_test(test_irq_config_errors),
		cmocka_unit_test(test_saturated_eventfd),
		cmocka_unit_test(test_eventfd_check_without_proc),
		cmocka_unit_test(test_device_mask),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_single_trigger),
		cmocka_unit_test(test_concurrent_bind_and_raise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
