// SPDX-License-Identifier: MIT
/*
 * Interrupts: GET_IRQ_INFO, SET_IRQS validation as the kernel's
 * vfio_set_irqs_validate_and_prepare() and vfio-pci's per-action rules,
 * eventfd ownership, masking and device-raised interrupts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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

/* vfio-pci's shape, non-PCIe: ERR absent, num_irqs 5. */
static struct uvfio_device *make_device(struct hook *h, uint32_t intx_count)
{
	struct uvfio_device *dev = uvfio_device_new("irqs", &ops, h);

	h->active = -1;
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
	assert_int_equal(uvfio_device_realize(dev), 0);
	return dev;
}

struct irq_req {
	struct uvfio_irq_set hdr;
	int32_t data[16];
};

static int set_irqs(struct uvfio_device *dev, uint32_t flags, uint32_t index,
		    uint32_t start, uint32_t count, const void *data,
		    size_t data_len)
{
	struct irq_req req = { .hdr = {
				       .argsz = (uint32_t)(sizeof(req.hdr) +
							   data_len),
				       .flags = flags,
				       .index = index,
				       .start = start,
				       .count = count,
			       } };

	assert_true(data_len <= sizeof(req.data));
	if (data_len)
		memcpy(req.data, data, data_len);
	return uvfio_device_set_irqs(dev, &req.hdr);
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
	uvfio_device_destroy(dev);
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
	/* Device-side unmask (Command.INTX_DISABLE cleared) delivers. */
	assert_int_equal(uvfio_device_irq_mask(dev, INTX, 0, false), 0);
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
	assert_int_equal(uvfio_device_set_num_irqs(dev, 2), 0);
	assert_int_equal(uvfio_device_realize(dev), -EINVAL);
	assert_int_equal(uvfio_device_set_num_irqs(dev, 3), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_device_add_irq(dev, 4, 1,
					      UVFIO_IRQ_INFO_EVENTFD),
			 -EBUSY);
	uvfio_device_destroy(dev);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
