// SPDX-License-Identifier: MIT
/*
 * The PCI core: config space permissions, BAR sizing, capability chains,
 * MSI and MSI-X masking with pending bits, FLR, INTx disable, and the
 * vfio-pci region and irq layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/pci.h>

#include "pci-test.h"

struct state {
	unsigned int resets;
	unsigned int power;
	uint8_t bar1[4096];
};

static ssize_t bar_access(struct uvfio_pci *pci, unsigned int bar,
			  uint64_t offset, void *buf, size_t len, bool is_write)
{
	struct state *s = uvfio_pci_priv(pci);

	if (bar != 1) {
		if (!is_write)
			memset(buf, 0, len);
		return (ssize_t)len;
	}
	if (is_write)
		memcpy(s->bar1 + offset, buf, len);
	else
		memcpy(buf, s->bar1 + offset, len);
	return (ssize_t)len;
}

static int reset(struct uvfio_pci *pci)
{
	struct state *s = uvfio_pci_priv(pci);

	s->resets++;
	return 0;
}

static void power(struct uvfio_pci *pci, unsigned int state)
{
	((struct state *)uvfio_pci_priv(pci))->power = state;
}

static const struct uvfio_pci_ops ops = {
	.bar_access = bar_access,
	.reset = reset,
	.power_state = power,
};

static const struct uvfio_pci_ids ids = {
	.vendor = 0x1234,
	.device = 0x5678,
	.subsystem_vendor = 0x1af4,
	.subsystem = 0x1100,
	.class_code = 0xff0000,
	.revision = 0x10,
};

/*
 * A PCIe function: BAR0 I/O 256 B, BAR1 mem32 4 KiB (MSI-X table at 0x800,
 * PBA at 0xc00), BAR2+3 mem64 prefetchable 8 GiB with memory, BAR4 mem32
 * 16 B, a 64 KiB ROM, INTA, PM, MSI (4 vectors, 64-bit, maskable), MSI-X
 * (8), PCIe with FLR, a vendor cap, DSN and a vendor extended cap.
 */
static struct uvfio_pci *make_full(struct state *s)
{
	const uint8_t vbody[5] = { 1, 2, 3, 4, 5 };
	struct uvfio_pci *pci =
		uvfio_pci_new("full", &ops, s, &ids, UVFIO_PCIE_CONFIG_SIZE);

	assert_non_null(pci);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 256, UVFIO_PCI_BAR_IO), 0);
	assert_int_equal(uvfio_pci_add_bar(pci, 1, 4096, 0), 0);
	assert_int_equal(uvfio_pci_add_bar(pci, 2, 8ull << 30,
					   UVFIO_PCI_BAR_64 |
						   UVFIO_PCI_BAR_PREFETCH |
						   UVFIO_PCI_BAR_MEMORY |
						   UVFIO_PCI_BAR_MMAP),
			 0);
	assert_int_equal(uvfio_pci_add_bar(pci, 3, 16, 0), -EEXIST);
	assert_int_equal(uvfio_pci_add_bar(pci, 4, 16, 0), 0);
	assert_int_equal(uvfio_pci_add_rom(pci, 65536, "ROM!", 4), 0);
	assert_int_equal(uvfio_pci_set_intx_pin(pci, 1), 0);
	assert_int_equal(uvfio_pci_add_pm(pci), 0x40);
	assert_int_equal(uvfio_pci_add_msi(pci, 4, true, true), 0x48);
	assert_int_equal(uvfio_pci_add_msix(pci, 8, 1, 0x800, 1, 0xc00), 0x60);
	assert_int_equal(uvfio_pci_add_pcie(pci, true), 0x6c);
	assert_int_equal(uvfio_pci_add_vendor_cap(pci, vbody, 5), 0xa8);
	assert_int_equal(uvfio_pci_add_ext_dsn(pci, 0x0123456789abcdefull),
			 0x100);
	assert_int_equal(uvfio_pci_add_ext_vendor(pci, 0x42, 1, vbody, 5),
			 0x10c);
	assert_int_equal(uvfio_pci_realize(pci), 0);
	return pci;
}

/* A conventional PCI function with nothing but BAR0 and INTA. */
static struct uvfio_pci *make_plain(struct state *s)
{
	struct uvfio_pci *pci =
		uvfio_pci_new("plain", &ops, s, &ids, UVFIO_PCI_CONFIG_SIZE);

	assert_int_equal(uvfio_pci_add_bar(pci, 0, 4096, 0), 0);
	assert_int_equal(uvfio_pci_set_intx_pin(pci, 1), 0);
	assert_int_equal(uvfio_pci_realize(pci), 0);
	return pci;
}

static void test_header_permissions(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s);
	/* Writable bits of 0x00-0x3f for this function. */
	uint8_t wmask[64] = { 0 };
	uint8_t before[64], after[64];

	(void)state;
	wmask[0x04] = 0x47; /* IO MEM MASTER PARITY */
	wmask[0x05] = 0x05; /* SERR INTX_DISABLE */
	wmask[0x0c] = 0xff;
	wmask[0x0d] = 0xff;
	memset(wmask + 0x10, 0xff, 24); /* BARs: refined below */
	wmask[0x10] = 0x00;		/* I/O 256: bits 7:0 fixed */
	wmask[0x14] = 0x00;		/* mem32 4K: bits 11:0 fixed */
	wmask[0x15] = 0xf0;
	memset(wmask + 0x18, 0, 4); /* mem64 8G: low dword fixed */
	wmask[0x1c] = 0xfe;	    /* high dword: bit 0 (4G) fixed */
	wmask[0x20] = 0xf0;	    /* mem32 16 B */
	wmask[0x24] = 0x00;
	wmask[0x25] = 0x00;
	wmask[0x26] = 0x00;
	wmask[0x27] = 0x00;
	wmask[0x30] = 0x01; /* ROM 64K: enable + address bits 31:16 */
	wmask[0x32] = 0xff;
	wmask[0x33] = 0xff;
	wmask[0x3c] = 0xff;

	for (unsigned int off = 0; off < 64; off++)
		before[off] = (uint8_t)cfg_rd(pci, off, 1);
	/* Status gets its own test: W1C. */
	for (unsigned int off = 0; off < 64; off++)
		if (off != 0x06 && off != 0x07)
			cfg_wr(pci, off, 0xff, 1);
	for (unsigned int off = 0; off < 64; off++)
		after[off] = (uint8_t)cfg_rd(pci, off, 1);
	for (unsigned int off = 0; off < 64; off++) {
		uint8_t expect =
			(uint8_t)((before[off] & ~wmask[off]) | wmask[off]);

		if (off == 0x06 || off == 0x07)
			continue;
		if (after[off] != expect)
			fail_msg(
				"config 0x%02x: wrote 0xff, read 0x%02x, want 0x%02x",
				off, after[off], expect);
	}
	/* IDs, class, header type, subsystem, pin: exactly as set. */
	assert_int_equal(cfg_rd(pci, 0x00, 4), 0x56781234);
	assert_int_equal(cfg_rd(pci, 0x08, 4), 0xff000010);
	assert_int_equal(cfg_rd(pci, 0x0e, 1), 0);
	assert_int_equal(cfg_rd(pci, 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_rd(pci, 0x34, 1), 0x40);
	assert_int_equal(cfg_rd(pci, 0x3d, 1), 1);
	/* Status: CAP_LIST set; writes of ones clear only error bits. */
	assert_int_equal(cfg_rd(pci, 0x06, 2) & 0x10, 0x10);
	cfg_wr(pci, 0x06, 0xffff, 2);
	assert_int_equal(cfg_rd(pci, 0x06, 2) & ~0x08u, 0x10);
	uvfio_pci_destroy(pci);
}

static void test_bar_sizing(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s);

	(void)state;
	/* Type bits before sizing. */
	assert_int_equal(cfg_rd(pci, 0x10, 4), 0x1);
	assert_int_equal(cfg_rd(pci, 0x14, 4), 0x0);
	assert_int_equal(cfg_rd(pci, 0x18, 4), 0xc);
	for (unsigned int bar = 0; bar < 6; bar++)
		cfg_wr(pci, 0x10 + 4 * bar, 0xffffffff, 4);
	cfg_wr(pci, 0x30, 0xffffffff, 4);
	assert_int_equal(cfg_rd(pci, 0x10, 4), 0xffffff01);
	assert_int_equal(cfg_rd(pci, 0x14, 4), 0xfffff000);
	assert_int_equal(cfg_rd(pci, 0x18, 4), 0x0000000c);
	assert_int_equal(cfg_rd(pci, 0x1c, 4), 0xfffffffe);
	assert_int_equal(cfg_rd(pci, 0x20, 4), 0xfffffff0);
	assert_int_equal(cfg_rd(pci, 0x24, 4), 0);
	assert_int_equal(cfg_rd(pci, 0x30, 4), 0xffff0001);
	/* An address keeps its aligned bits only. */
	cfg_wr(pci, 0x14, 0xfebf1234, 4);
	assert_int_equal(cfg_rd(pci, 0x14, 4), 0xfebf1000);
	cfg_wr(pci, 0x1c, 0x00000003, 4);
	assert_int_equal(cfg_rd(pci, 0x1c, 4), 0x00000002);
	/* A 16-bit write to the upper half of a BAR. */
	cfg_wr(pci, 0x16, 0x1234, 2);
	assert_int_equal(cfg_rd(pci, 0x14, 4), 0x12341000);
	uvfio_pci_destroy(pci);
}

static void test_bar_config_errors(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = uvfio_pci_new("errs", &ops, &s, &ids, 256);

	(void)state;
	assert_int_equal(uvfio_pci_add_bar(pci, 6, 16, 0), -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 24, 0), -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 8, 0), -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 512, UVFIO_PCI_BAR_IO),
			 -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 2, UVFIO_PCI_BAR_IO),
			 -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 1ull << 32, 0), -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 5, 16, UVFIO_PCI_BAR_64),
			 -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 4096, UVFIO_PCI_BAR_MMAP),
			 -EINVAL);
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 16, UVFIO_PCI_BAR_64), 0);
	assert_int_equal(uvfio_pci_add_bar(pci, 1, 16, 0), -EEXIST);
	assert_int_equal(uvfio_pci_add_rom(pci, 1000, NULL, 0), -EINVAL);
	assert_int_equal(uvfio_pci_add_pcie(pci, false), -EINVAL);
	assert_int_equal(uvfio_pci_add_ext_dsn(pci, 1), -EINVAL);
	assert_int_equal(uvfio_pci_add_msi(pci, 3, false, false), -EINVAL);
	assert_int_equal(uvfio_pci_add_msix(pci, 4, 2, 0, 2, 0x40), -EINVAL);
	assert_int_equal(uvfio_pci_set_intx_pin(pci, 5), -EINVAL);
	assert_null(uvfio_pci_new("bad", &ops, &s, &ids, 512));
	assert_int_equal(uvfio_pci_realize(pci), 0);
	assert_int_equal(uvfio_pci_add_pm(pci), -EBUSY);
	uvfio_pci_destroy(pci);
}

static void test_capability_chains(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s);
	const uint8_t want[] = { 0x01, 0x05, 0x11, 0x10, 0x09 };
	unsigned int off = cfg_rd(pci, 0x34, 1), n = 0, prev = 0;

	(void)state;
	while (off) {
		assert_true(n < ARRAY_SIZE(want));
		assert_true(off >= 0x40 && off > prev && !(off & 3));
		assert_int_equal(cfg_rd(pci, off, 1), want[n]);
		prev = off;
		off = cfg_rd(pci, off + 1, 1);
		n++;
	}
	assert_int_equal(n, ARRAY_SIZE(want));
	assert_int_equal(cfg_rd(pci, 0xaa, 1), 8); /* vendor length */
	assert_int_equal(cfg_rd(pci, 0xab, 4) & 0xffffff, 0x030201);
	/* Extended: DSN at 0x100, vendor after it, end. */
	assert_int_equal(cfg_rd(pci, 0x100, 4), 0x10c10003);
	assert_int_equal(cfg_rd(pci, 0x104, 4), 0x89abcdef);
	assert_int_equal(cfg_rd(pci, 0x108, 4), 0x01234567);
	assert_int_equal(cfg_rd(pci, 0x10c, 4), 0x0001000b);
	assert_int_equal(cfg_rd(pci, 0x110, 4), 0x00d10042);
	/* Capabilities are read-only where the spec says so. */
	cfg_wr(pci, 0x40, 0xffffffff, 4);
	assert_int_equal(cfg_rd(pci, 0x40, 2), 0x4801);
	cfg_wr(pci, 0x100, 0, 4);
	assert_int_equal(cfg_rd(pci, 0x100, 4), 0x10c10003);
	uvfio_pci_destroy(pci);
}

static void test_layout(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s), *plain = make_plain(&s);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_irq_info irq = { .argsz = sizeof(irq) };
	uint8_t buf[64];
	struct uvfio_region_info *r = (void *)buf;
	const uint32_t counts[] = { 1, 4, 8, 1, 1 };

	(void)state;
	assert_int_equal(uvfio_device_get_info(dev, &info), 0);
	assert_int_equal(info.num_regions, 9);
	assert_int_equal(info.num_irqs, 5);
	assert_int_equal(info.flags,
			 UVFIO_DEVICE_FLAGS_PCI | UVFIO_DEVICE_FLAGS_RESET);
	for (uint32_t i = 0; i < 5; i++) {
		irq.index = i;
		assert_int_equal(uvfio_device_get_irq_info(dev, &irq), 0);
		assert_int_equal(irq.count, counts[i]);
	}
	r->argsz = sizeof(buf);
	r->index = 3; /* upper half of the 64-bit BAR */
	assert_int_equal(uvfio_device_get_region_info(dev, r), 0);
	assert_int_equal(r->size, 0);
	r->index = 2;
	assert_int_equal(uvfio_device_get_region_info(dev, r), 0);
	assert_int_equal(r->size, 8ull << 30);
	assert_true(r->flags & UVFIO_REGION_INFO_FLAG_MMAP);
	r->index = 6;
	assert_int_equal(uvfio_device_get_region_info(dev, r), 0);
	assert_int_equal(r->flags, UVFIO_REGION_INFO_FLAG_READ);
	assert_int_equal(uvfio_device_region_access(dev, 6, 0, buf, 4, false),
			 4);
	assert_memory_equal(buf, "ROM!", 4);
	r->index = 7;
	assert_int_equal(uvfio_device_get_region_info(dev, r), 0);
	assert_int_equal(r->size, 4096);
	r->index = 8;
	assert_int_equal(uvfio_device_get_region_info(dev, r), 0);
	assert_int_equal(r->size, 0);

	/* Conventional PCI: 256 B config, no ERR index, no reset method. */
	dev = uvfio_pci_device(plain);
	assert_int_equal(uvfio_device_get_info(dev, &info), 0);
	assert_int_equal(info.flags, UVFIO_DEVICE_FLAGS_PCI);
	assert_int_equal(uvfio_device_reset(dev), -EINVAL);
	irq.index = UVFIO_PCI_ERR_IRQ_INDEX;
	assert_int_equal(uvfio_device_get_irq_info(dev, &irq), -EINVAL);
	irq.index = UVFIO_PCI_MSI_IRQ_INDEX;
	assert_int_equal(uvfio_device_get_irq_info(dev, &irq), 0);
	assert_int_equal(irq.count, 0);
	uvfio_pci_destroy(pci);
	uvfio_pci_destroy(plain);
}

static void bind(struct uvfio_device *dev, uint32_t index, uint32_t count,
		 const int *fds)
{
	struct {
		struct uvfio_irq_set hdr;
		int32_t fds[8];
	} set = { { .argsz = (uint32_t)(20 + 4 * count),
		    .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
			     UVFIO_IRQ_SET_DATA_EVENTFD,
		    .index = index,
		    .count = count },
		  { 0 } };

	memcpy(set.fds, fds, 4 * count);
	assert_int_equal(uvfio_device_set_irqs(dev, &set.hdr), 0);
}

static void test_msix_masking(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	int fds[2] = { test_eventfd(), test_eventfd() };
	uint8_t table[16], pba = 0xaa;

	(void)state;
	bind(dev, UVFIO_PCI_MSIX_IRQ_INDEX, 2, fds);
	/* Enable reads back in the capability. */
	assert_int_equal(cfg_rd(pci, 0x62, 2), 0x8007);
	assert_int_equal(uvfio_pci_irq_raise(pci, 1), 0);
	assert_int_equal(test_eventfd_count(fds[1]), 1);
	assert_int_equal(uvfio_pci_irq_raise(pci, 8), -EINVAL);

	/* Masked: pending in the PBA, delivered on unmask. */
	assert_int_equal(uvfio_pci_msix_mask(pci, 0, true), 0);
	assert_int_equal(uvfio_pci_irq_raise(pci, 0), 0);
	assert_int_equal(test_eventfd_count(fds[0]), 0);
	assert_int_equal(
		uvfio_device_region_access(dev, 1, 0xc00, &pba, 1, false), 1);
	assert_int_equal(pba, 0x01);
	assert_int_equal(uvfio_pci_msix_mask(pci, 0, false), 0);
	assert_int_equal(test_eventfd_count(fds[0]), 1);
	assert_int_equal(
		uvfio_device_region_access(dev, 1, 0xc00, &pba, 1, false), 1);
	assert_int_equal(pba, 0);

	/* Function mask holds every vector. */
	uvfio_pci_msix_function_mask(pci, true);
	assert_int_equal(cfg_rd(pci, 0x62, 2), 0xc007);
	uvfio_pci_irq_raise(pci, 0);
	uvfio_pci_irq_raise(pci, 1);
	assert_int_equal(
		test_eventfd_count(fds[0]) + test_eventfd_count(fds[1]), 0);
	uvfio_pci_msix_function_mask(pci, false);
	assert_int_equal(test_eventfd_count(fds[0]), 1);
	assert_int_equal(test_eventfd_count(fds[1]), 1);

	/* The table is not reachable through region access. */
	memset(table, 0, sizeof(table));
	assert_int_equal(
		uvfio_device_region_access(dev, 1, 0x800, table, 16, true), 16);
	assert_int_equal(uvfio_device_region_access(dev, 1, 0x7f8, table, 16,
						    false),
			 16);
	for (int i = 8; i < 16; i++)
		assert_int_equal(table[i], 0xff);
	uvfio_pci_irq_raise(pci, 0); /* the write above masked nothing */
	assert_int_equal(test_eventfd_count(fds[0]), 1);
	/* Vectors past the enabled count stay masked. */
	assert_int_equal(uvfio_pci_irq_raise(pci, 5), 0);
	uvfio_pci_destroy(pci);
	close(fds[0]);
	close(fds[1]);
}

static void test_msi(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	int fds[4] = { test_eventfd(), test_eventfd(), test_eventfd(),
		       test_eventfd() };

	(void)state;
	/* Before SET_IRQS: MMC reads 0 and Enable does not stick. */
	assert_int_equal(cfg_rd(pci, 0x4a, 2), 0x0180);
	cfg_wr(pci, 0x4a, 0x0021, 2);
	assert_int_equal(cfg_rd(pci, 0x4a, 2) & 0x71, 0);
	bind(dev, UVFIO_PCI_MSI_IRQ_INDEX, 4, fds);
	/* qmax = log2(4): MMC 2; MME clamps to it; Enable sticks. */
	assert_int_equal(cfg_rd(pci, 0x4a, 2) & 0x0e, 0x04);
	cfg_wr(pci, 0x4a, 0x0071, 2);
	assert_int_equal(cfg_rd(pci, 0x4a, 2) & 0x71, 0x21);
	/* INTx and MSI-X are refused while MSI is on. */
	assert_int_equal(uvfio_device_irq_enabled(dev, 0), 0);
	{
		struct {
			struct uvfio_irq_set hdr;
			int32_t fd;
		} set = { { .argsz = 24,
			    .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
				     UVFIO_IRQ_SET_DATA_EVENTFD,
			    .index = UVFIO_PCI_MSIX_IRQ_INDEX,
			    .count = 1 },
			  fds[0] };

		assert_int_equal(uvfio_device_set_irqs(dev, &set.hdr), -EINVAL);
		set.hdr.index = UVFIO_PCI_INTX_IRQ_INDEX;
		assert_int_equal(uvfio_device_set_irqs(dev, &set.hdr), -EINVAL);
	}
	assert_int_equal(uvfio_pci_irq_raise(pci, 2), 0);
	assert_int_equal(test_eventfd_count(fds[2]), 1);
	/* Per-vector mask in config: pending bit, delivered on unmask. */
	cfg_wr(pci, 0x58, 0x4, 4);
	uvfio_pci_irq_raise(pci, 2);
	assert_int_equal(test_eventfd_count(fds[2]), 0);
	assert_int_equal(cfg_rd(pci, 0x5c, 4), 0x4);
	cfg_wr(pci, 0x5c, 0, 4); /* pending is read-only */
	assert_int_equal(cfg_rd(pci, 0x5c, 4), 0x4);
	cfg_wr(pci, 0x58, 0, 4);
	assert_int_equal(test_eventfd_count(fds[2]), 1);
	assert_int_equal(cfg_rd(pci, 0x5c, 4), 0);
	uvfio_pci_destroy(pci);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

static void test_intx_disable_and_level(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_plain(&s);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	struct uvfio_irq_set unmask = {
		.argsz = sizeof(unmask),
		.flags = UVFIO_IRQ_SET_ACTION_UNMASK | UVFIO_IRQ_SET_DATA_NONE,
		.index = UVFIO_PCI_INTX_IRQ_INDEX,
		.count = 1,
	};
	int efd = test_eventfd();

	(void)state;
	bind(dev, UVFIO_PCI_INTX_IRQ_INDEX, 1, &efd);
	uvfio_pci_irq_raise(pci, 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	assert_int_equal(cfg_rd(pci, 0x06, 2) & 0x08, 0x08);
	/* Still asserted at unmask: delivered again (level). */
	assert_int_equal(uvfio_device_set_irqs(dev, &unmask), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	uvfio_pci_irq_lower(pci);
	assert_int_equal(cfg_rd(pci, 0x06, 2) & 0x08, 0);
	assert_int_equal(uvfio_device_set_irqs(dev, &unmask), 0);
	assert_int_equal(test_eventfd_count(efd), 0);

	/* INTX_DISABLE holds the line back until cleared. */
	cfg_wr(pci, 0x04, 0x0402, 2);
	uvfio_pci_irq_raise(pci, 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(cfg_rd(pci, 0x06, 2) & 0x08, 0x08);
	cfg_wr(pci, 0x04, 0x0002, 2);
	assert_int_equal(test_eventfd_count(efd), 1);
	uvfio_pci_destroy(pci);
	close(efd);
}

static void test_mem_enable_pm_and_flr(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = make_full(&s);
	struct uvfio_device *dev = uvfio_pci_device(pci);
	uint32_t v = 0x11223344;

	(void)state;
	/* Enabled after realize, as vfio-pci's open leaves it. */
	assert_int_equal(cfg_rd(pci, 0x04, 2) & 0x3, 0x3);
	assert_int_equal(uvfio_device_region_access(dev, 1, 0, &v, 4, true), 4);
	cfg_wr(pci, 0x04, 0x0001, 2);
	assert_int_equal(uvfio_device_region_access(dev, 1, 0, &v, 4, false),
			 -EIO);
	/* I/O BARs follow their own enable, not MEM. */
	assert_int_equal(uvfio_device_region_access(dev, 0, 0, &v, 4, false),
			 4);
	cfg_wr(pci, 0x04, 0x0003, 2);
	/* D3hot: memory BARs refuse; D3hot -> D0 resets the function. */
	cfg_wr(pci, 0x44, 0x0003, 2);
	assert_int_equal(s.power, 3);
	assert_int_equal(uvfio_device_region_access(dev, 1, 0, &v, 4, false),
			 -EIO);
	cfg_wr(pci, 0x44, 0x0001, 2); /* D1 does not exist */
	assert_int_equal(cfg_rd(pci, 0x44, 2) & 3, 3);
	cfg_wr(pci, 0x44, 0x0000, 2);
	assert_int_equal(s.power, 0);
	assert_int_equal(s.resets, 1);
	assert_int_equal(uvfio_device_region_access(dev, 1, 0, &v, 4, false),
			 4);
	/* FLR through PCIe Device Control: resets, reads back 0. */
	cfg_wr(pci, 0x6c + 8, 0xa810, 2);
	assert_int_equal(s.resets, 2);
	assert_int_equal(cfg_rd(pci, 0x6c + 8, 2), 0x2810);
	/* And VFIO_DEVICE_RESET does the same. */
	assert_int_equal(uvfio_device_reset(dev), 0);
	assert_int_equal(s.resets, 3);
	uvfio_pci_destroy(pci);
}

/* MSI-X in a mappable memory BAR: MSIX_MAPPABLE, table in BAR memory. */
static void test_msix_mappable(void **state)
{
	struct state s = { 0 };
	struct uvfio_pci *pci = uvfio_pci_new("mappable", &ops, &s, &ids,
					      UVFIO_PCI_CONFIG_SIZE);
	struct uvfio_device *dev;
	uint8_t buf[128], *mem, ctrl = 0;
	struct uvfio_region_info *r = (void *)buf;
	int efd = test_eventfd();

	(void)state;
	assert_int_equal(uvfio_pci_add_bar(pci, 0, 0x4000,
					   UVFIO_PCI_BAR_MEMORY |
						   UVFIO_PCI_BAR_MMAP),
			 0);
	assert_int_equal(uvfio_pci_add_msix(pci, 4, 0, 0x2000, 0, 0x3000),
			 0x40);
	assert_int_equal(uvfio_pci_realize(pci), 0);
	dev = uvfio_pci_device(pci);
	r->argsz = sizeof(buf);
	r->index = 0;
	assert_int_equal(uvfio_device_get_region_info(dev, r), 0);
	assert_true(r->flags & UVFIO_REGION_INFO_FLAG_MMAP);
	assert_non_null(uvfio_info_cap_find(buf, r->argsz, r->cap_offset,
					    UVFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
					    8));
	/* The table lives in the BAR's memory (what a mapping sees), but
	 * region access still reads 0xff there. */
	mem = uvfio_pci_bar_memory(pci, 0);
	assert_int_equal(mem[0x2000 + 12] & 1, 1);
	assert_int_equal(uvfio_device_region_access(dev, 0, 0x2000 + 12, &ctrl,
						    1, false),
			 1);
	assert_int_equal(ctrl, 0xff);
	bind(dev, UVFIO_PCI_MSIX_IRQ_INDEX, 1, &efd);
	assert_int_equal(mem[0x2000 + 12] & 1, 0);
	/* Masking through the mapping holds the vector pending. */
	mem[0x2000 + 12] |= 1;
	uvfio_pci_irq_raise(pci, 0);
	assert_int_equal(test_eventfd_count(efd), 0);
	assert_int_equal(mem[0x3000] & 1, 1);
	assert_int_equal(uvfio_pci_msix_mask(pci, 0, false), 0);
	assert_int_equal(test_eventfd_count(efd), 1);
	uvfio_pci_destroy(pci);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_permissions),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_bar_config_errors),
		cmocka_unit_test(test_capability_chains),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_msix_masking),
		cmocka_unit_test(test_msix_mappable),
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_intx_disable_and_level),
		cmocka_unit_test(test_mem_enable_pm_and_flr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
