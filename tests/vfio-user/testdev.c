// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test-util.h"
#include "testdev.h"

static uint64_t reg(struct testdev *t, unsigned int off)
{
	uint64_t v;

	memcpy(&v, t->regs + off, sizeof(v));
	return v;
}

static void set_reg(struct testdev *t, unsigned int off, uint64_t v)
{
	memcpy(t->regs + off, &v, sizeof(v));
}

/* The doorbell: DMA through the device's address space, then MSI 0. */
static void doorbell(struct uvfio_device *dev, struct testdev *t, uint64_t go)
{
	uint64_t len = reg(t, TESTDEV_DMA_LEN), sum = 0;
	uint8_t *buf;
	int ret;

	if (len > (1 << 24)) {
		set_reg(t, TESTDEV_DMA_RESULT, EINVAL);
		return;
	}
	buf = malloc(len ? len : 1);
	if (!buf) {
		set_reg(t, TESTDEV_DMA_RESULT, ENOMEM);
		return;
	}
	if (go == 1) {
		for (uint64_t i = 0; i < len; i++)
			buf[i] = TESTDEV_PATTERN(i);
		ret = uvfio_dma_write(uvfio_device_dma(dev),
				      reg(t, TESTDEV_DMA_IOVA), buf, len);
	} else {
		ret = uvfio_dma_read(uvfio_device_dma(dev),
				     reg(t, TESTDEV_DMA_IOVA), buf, len);
		for (uint64_t i = 0; !ret && i < len; i++)
			sum += buf[i];
	}
	free(buf);
	set_reg(t, TESTDEV_DMA_RESULT, (uint64_t)-ret);
	set_reg(t, TESTDEV_DMA_SUM, sum);
	uvfio_device_irq_trigger(dev, UVFIO_PCI_MSI_IRQ_INDEX, 0);
}

static ssize_t regs_access(struct uvfio_device *dev, unsigned int region,
			   uint64_t offset, void *buf, size_t len,
			   bool is_write)
{
	struct testdev *t = uvfio_device_priv(dev);

	(void)region;
	if (!is_write) {
		memcpy(buf, t->regs + offset, len);
		return (ssize_t)len;
	}
	memcpy(t->regs + offset, buf, len);
	if (offset == TESTDEV_DMA_GO && len == 8)
		doorbell(dev, t, reg(t, TESTDEV_DMA_GO));
	return (ssize_t)len;
}

static int feature(struct uvfio_device *dev, uint32_t flags, void *data,
		   size_t size, void *opaque)
{
	struct testdev *t = opaque;

	(void)dev;
	(void)size;
	if (flags & UVFIO_DEVICE_FEATURE_GET)
		memcpy(data, &t->feature_value, sizeof(t->feature_value));
	else
		memcpy(&t->feature_value, data, sizeof(t->feature_value));
	return 0;
}

static int reset(struct uvfio_device *dev)
{
	struct testdev *t = uvfio_device_priv(dev);

	memset(t->regs, 0, sizeof(t->regs));
	t->resets++;
	return 0;
}

static const struct uvfio_device_ops ops = { .reset = reset };

struct uvfio_device *testdev_new(const char *name, struct testdev *state)
{
	const struct uvfio_region_desc regs = {
		.size = TESTDEV_REGS_SIZE,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE,
		.access = regs_access,
	};
	const struct uvfio_region_desc mem = {
		.size = TESTDEV_MEM_SIZE,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	struct uvfio_device *dev = uvfio_device_new(name, &ops, state);

	if (!dev)
		return NULL;
	if (uvfio_device_set_flags(dev, UVFIO_DEVICE_FLAGS_PCI) ||
	    uvfio_device_add_region(dev, TESTDEV_REGS, &regs) ||
	    uvfio_device_add_region(dev, TESTDEV_MEM, &mem) ||
	    uvfio_region_add_sparse_area(dev, TESTDEV_MEM, 0x1000, 0x2000) ||
	    uvfio_device_add_irq(dev, UVFIO_PCI_INTX_IRQ_INDEX, 1,
				 UVFIO_IRQ_INFO_EVENTFD |
					 UVFIO_IRQ_INFO_MASKABLE |
					 UVFIO_IRQ_INFO_AUTOMASKED) ||
	    uvfio_device_add_irq(dev, UVFIO_PCI_MSI_IRQ_INDEX, 2,
				 UVFIO_IRQ_INFO_EVENTFD |
					 UVFIO_IRQ_INFO_NORESIZE) ||
	    uvfio_device_add_feature(dev, TESTDEV_FEATURE,
				     UVFIO_DEVICE_FEATURE_GET |
					     UVFIO_DEVICE_FEATURE_SET,
				     8, feature, state) ||
	    uvfio_device_realize(dev)) {
		uvfio_device_destroy(dev);
		return NULL;
	}
	return dev;
}

struct testdev_pair *testdev_pair_new(const char *tag, int log_level)
{
	struct testdev_pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	test_mkdtemp(p->dir, sizeof(p->dir), tag);
	for (int i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "%s%d", tag, i);
		p->dev[i] = testdev_new(name, &p->state[i]);
		assert_non_null(p->dev[i]);
		if (log_level >= 0)
			uvfio_device_set_log(p->dev[i], NULL, NULL, log_level);
	}
	return p;
}

void testdev_pair_free(struct testdev_pair *p)
{
	uvfio_server_destroy(p->srv);
	for (int i = 0; i < 2; i++)
		uvfio_device_destroy(p->dev[i]);
	rmdir(p->dir);
	free(p);
}
