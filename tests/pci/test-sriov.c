// SPDX-License-Identifier: MIT
/*
 * The PCI core's SR-IOV capability: its registers as the PCI Express spec
 * lays them out, VFs made and removed through VF Enable (the PF's user)
 * and uvfio_pci_sriov_configure() (the administrator's sriov_numvfs, with
 * the kernel's answers), and what a VF looks like.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "pci-test.h"

#define TOTAL_VFS 8
#define VF_DEVICE 0x10f2

/* Offsets inside the capability. */
#define CTRL 0x08
#define CTRL_VFE 0x1
#define CTRL_MSE 0x8
#define TOTAL 0x0e
#define NUMVFS 0x10
#define SYS_PGSIZE 0x20
#define VF_BAR0 0x24

struct driver {
	int created, released;
	int fail_at; /* vf_create of this index fails; -1: none */
};

static const struct uvfio_pci_ops vf_ops = { 0 };

static void pf_release(struct uvfio_pci *pci)
{
	(void)pci;
}

static const struct uvfio_pci_ops pf_ops = { .release = pf_release };

static struct uvfio_pci *vf_create(struct uvfio_pci *pf, unsigned int index,
				   void *opaque)
{
	struct driver *d = opaque;
	struct uvfio_pci *vf;

	if ((int)index == d->fail_at) {
		errno = ENOMEM;
		return NULL;
	}
	vf = uvfio_pci_new_vf(pf, index, &vf_ops, d);
	assert_non_null(vf);
	uvfio_device_set_log(uvfio_pci_device(vf), NULL, NULL, 0);
	assert_true(uvfio_pci_add_msix(vf, 4, 2, 0, 2, 2048) > 0);
	assert_int_equal(uvfio_pci_set_intx_pin(vf, 1), -EINVAL);
	assert_int_equal(uvfio_pci_realize(vf), 0);
	d->created++;
	return vf;
}

static struct uvfio_pci *make_pf(struct driver *d, int *cap)
{
	static const struct uvfio_pci_ids ids = { 0x1af4, 0x10f1,   0x1af4,
						  0x0003, 0x120000, 2 };
	struct uvfio_pci_sriov sriov = {
		.total_vfs = TOTAL_VFS,
		.vf_offset = 1,
		.vf_stride = 1,
		.vf_device = VF_DEVICE,
		.bar_size = { 16384, 0, 8192 },
		.bar_flags = { UVFIO_PCI_BAR_64 | UVFIO_PCI_BAR_PREFETCH, 0,
			       0 },
		.vf_create = vf_create,
		.opaque = d,
	};
	struct uvfio_pci *pf =
		uvfio_pci_new("pf", &pf_ops, d, &ids, UVFIO_PCIE_CONFIG_SIZE);

	assert_non_null(pf);
	uvfio_device_set_log(uvfio_pci_device(pf), NULL, NULL, 0);
	assert_int_equal(uvfio_pci_add_bar(pf, 0, 4096, 0), 0);
	assert_true(uvfio_pci_add_pcie(pf, true) > 0);
	*cap = uvfio_pci_add_sriov(pf, &sriov);
	assert_true(*cap >= 0x100);
	assert_int_equal(uvfio_pci_add_sriov(pf, &sriov), -EEXIST);
	assert_int_equal(uvfio_pci_realize(pf), 0);
	return pf;
}

/* Descriptions the core refuses, and a capability where none can go. */
static void test_sriov_config_errors(void **state)
{
	static const struct uvfio_pci_ids ids = { .vendor = 0x1af4,
						  .device = 0x10f1 };
	struct driver d = { .fail_at = -1 };
	struct uvfio_pci_sriov good = { .total_vfs = 2,
					.vf_offset = 1,
					.vf_stride = 1,
					.vf_create = vf_create,
					.opaque = &d };
	struct uvfio_pci_sriov bad[7];
	struct uvfio_pci *pci =
		uvfio_pci_new("e", &pf_ops, NULL, &ids, UVFIO_PCIE_CONFIG_SIZE);
	struct uvfio_pci *conv =
		uvfio_pci_new("c", &pf_ops, NULL, &ids, UVFIO_PCI_CONFIG_SIZE);

	(void)state;
	for (int i = 0; i < 7; i++)
		bad[i] = good;
	bad[0].total_vfs = 0;
	bad[1].total_vfs = UVFIO_PCI_SRIOV_MAX_VFS + 1;
	bad[2].vf_offset = 0;
	bad[3].vf_stride = 0;
	bad[4].vf_create = NULL;
	bad[5].bar_size[5] = 4096; /* 64-bit in the last BAR */
	bad[5].bar_flags[5] = UVFIO_PCI_BAR_64;
	bad[6].total_vfs = 256; /* routing IDs past 0xffff */
	bad[6].vf_offset = 0xff00;
	bad[6].vf_stride = 2;
	for (int i = 0; i < 7; i++)
		assert_int_equal(uvfio_pci_add_sriov(pci, &bad[i]), -EINVAL);
	assert_int_equal(uvfio_pci_add_sriov(conv, &good), -EINVAL);
	assert_int_equal(uvfio_pci_sriov_configure(pci, 1), -ENODEV);
	assert_null(uvfio_pci_new_vf(pci, 0, &vf_ops, NULL));
	uvfio_pci_destroy(pci);
	uvfio_pci_destroy(conv);
}

/* The capability's registers, and what a write may change. */
static void test_sriov_registers(void **state)
{
	struct driver d = { .fail_at = -1 };
	int cap;
	struct uvfio_pci *pf = make_pf(&d, &cap);
	unsigned int o = (unsigned int)cap;

	(void)state;
	assert_int_equal(cfg_rd(pf, o, 4) & 0xffff, 0x0010);
	assert_int_equal((cfg_rd(pf, o, 4) >> 16) & 0xf, 1);
	assert_int_equal(cfg_rd(pf, o + 0x0c, 2), TOTAL_VFS); /* Initial */
	assert_int_equal(cfg_rd(pf, o + TOTAL, 2), TOTAL_VFS);
	assert_int_equal(cfg_rd(pf, o + 0x14, 2), 1);
	assert_int_equal(cfg_rd(pf, o + 0x16, 2), 1);
	assert_int_equal(cfg_rd(pf, o + 0x1a, 2), VF_DEVICE);
	assert_int_equal(cfg_rd(pf, o + 0x1c, 4), 0x553);
	assert_int_equal(cfg_rd(pf, o + SYS_PGSIZE, 4), 1);
	/* Read-only fields stay. */
	cfg_wr(pf, o + TOTAL, 0xffff, 2);
	cfg_wr(pf, o + 0x1a, 0, 2);
	assert_int_equal(cfg_rd(pf, o + TOTAL, 2), TOTAL_VFS);
	assert_int_equal(cfg_rd(pf, o + 0x1a, 2), VF_DEVICE);
	/* VF BARs size like BARs: a 64-bit prefetchable 16 KiB, a 32-bit
	 * 8 KiB, nothing elsewhere. */
	cfg_wr(pf, o + VF_BAR0, 0xffffffff, 4);
	cfg_wr(pf, o + VF_BAR0 + 4, 0xffffffff, 4);
	cfg_wr(pf, o + VF_BAR0 + 8, 0xffffffff, 4);
	cfg_wr(pf, o + VF_BAR0 + 12, 0xffffffff, 4);
	assert_int_equal(cfg_rd(pf, o + VF_BAR0, 4), 0xffffc00c);
	assert_int_equal(cfg_rd(pf, o + VF_BAR0 + 4, 4), 0xffffffff);
	assert_int_equal(cfg_rd(pf, o + VF_BAR0 + 8, 4), 0xffffe000);
	assert_int_equal(cfg_rd(pf, o + VF_BAR0 + 12, 4), 0);
	/* NumVFs and System Page Size are the user's. */
	cfg_wr(pf, o + NUMVFS, 3, 2);
	cfg_wr(pf, o + SYS_PGSIZE, 0x10, 4);
	assert_int_equal(cfg_rd(pf, o + NUMVFS, 2), 3);
	assert_int_equal(cfg_rd(pf, o + SYS_PGSIZE, 4), 0x10);
	uvfio_pci_destroy(pf);
	assert_int_equal(d.created, 0);
}

/*
 * The PF's user: NumVFs, then VF Enable; the VFs exist until VF Enable
 * goes, and NumVFs, the page size and the VF BARs hold meanwhile.
 */
static void test_sriov_enable_by_the_pf_user(void **state)
{
	struct driver d = { .fail_at = -1 };
	int cap;
	struct uvfio_pci *pf = make_pf(&d, &cap);
	unsigned int o = (unsigned int)cap, index = 99;
	struct uvfio_pci *vf;

	(void)state;
	/* VF Enable with NumVFs 0, or above TotalVFs: nothing. */
	cfg_wr(pf, o + CTRL, CTRL_VFE, 2);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), 0);
	cfg_wr(pf, o + NUMVFS, TOTAL_VFS + 1, 2);
	cfg_wr(pf, o + CTRL, CTRL_VFE, 2);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);

	cfg_wr(pf, o + NUMVFS, 3, 2);
	cfg_wr(pf, o + VF_BAR0 + 8, 0x80000000, 4);
	cfg_wr(pf, o + CTRL, CTRL_VFE, 2);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), CTRL_VFE);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 3);
	assert_int_equal(d.created, 3);
	vf = uvfio_pci_sriov_vf(pf, 2);
	assert_non_null(vf);
	assert_null(uvfio_pci_sriov_vf(pf, 3));
	assert_ptr_equal(uvfio_pci_vf_pf(vf, &index), pf);
	assert_int_equal(index, 2);
	assert_null(uvfio_pci_vf_pf(pf, &index));
	assert_string_equal(uvfio_device_name(uvfio_pci_device(vf)), "pf-vf2");
	/* Fixed while the VFs exist. */
	cfg_wr(pf, o + NUMVFS, 5, 2);
	cfg_wr(pf, o + SYS_PGSIZE, 0x2, 4);
	cfg_wr(pf, o + VF_BAR0 + 8, 0xffffffff, 4);
	assert_int_equal(cfg_rd(pf, o + NUMVFS, 2), 3);
	assert_int_equal(cfg_rd(pf, o + SYS_PGSIZE, 4), 1);
	assert_int_equal(cfg_rd(pf, o + VF_BAR0 + 8, 4), 0x80000000);
	/* Gone with VF Enable; the registers are the user's again. */
	cfg_wr(pf, o + CTRL, 0, 2);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);
	assert_null(uvfio_pci_sriov_vf(pf, 0));
	cfg_wr(pf, o + NUMVFS, 5, 2);
	assert_int_equal(cfg_rd(pf, o + NUMVFS, 2), 5);
	/* A VF the driver cannot make: VF Enable stays clear, none left. */
	d.fail_at = 3;
	cfg_wr(pf, o + CTRL, CTRL_VFE, 2);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);
	assert_int_equal(d.created, 6);
	/* The PF takes its VFs along. */
	d.fail_at = -1;
	cfg_wr(pf, o + CTRL, CTRL_VFE, 2);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 5);
	uvfio_pci_destroy(pf);
}

/* The administrator's sriov_numvfs, with the kernel's answers. */
static void test_sriov_configure(void **state)
{
	struct driver d = { .fail_at = -1 };
	int cap;
	struct uvfio_pci *pf = make_pf(&d, &cap);
	unsigned int o = (unsigned int)cap;

	(void)state;
	assert_int_equal(uvfio_pci_sriov_configure(pf, TOTAL_VFS + 1), -ERANGE);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), 0);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 4), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 4);
	assert_int_equal(cfg_rd(pf, o + NUMVFS, 2), 4);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), CTRL_VFE | CTRL_MSE);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 4), 0); /* as it is */
	assert_int_equal(uvfio_pci_sriov_configure(pf, 2), -EBUSY);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 4);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), 0);
	assert_int_equal(cfg_rd(pf, o + NUMVFS, 2), 0); /* as the kernel */
	d.fail_at = 1;
	assert_int_equal(uvfio_pci_sriov_configure(pf, 2), -ENOMEM);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2), 0);
	assert_int_equal(cfg_rd(pf, o + NUMVFS, 2), 0);
	d.fail_at = -1;
	assert_int_equal(uvfio_pci_sriov_configure(pf, TOTAL_VFS), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), TOTAL_VFS);
	uvfio_pci_destroy(pf);
}

/*
 * A VF as vfio-pci shows one: the PF's IDs but for the VF Device ID, no
 * INTx, its BARs sized as the capability says, decoding while the PF's VF
 * MSE is set whatever its own Command.Memory.
 */
static void test_vf_config_space(void **state)
{
	struct driver d = { .fail_at = -1 };
	int cap;
	struct uvfio_pci *pf = make_pf(&d, &cap);
	unsigned int o = (unsigned int)cap;
	struct uvfio_pci *vf;
	struct uvfio_device *dev;
	struct uvfio_irq_info irq = { .argsz = sizeof(irq),
				      .index = UVFIO_PCI_INTX_IRQ_INDEX };
	uint32_t v = 0;

	(void)state;
	assert_int_equal(uvfio_pci_sriov_configure(pf, 1), 0);
	vf = uvfio_pci_sriov_vf(pf, 0);
	dev = uvfio_pci_device(vf);
	assert_int_equal(cfg_rd(vf, 0, 2), 0x1af4);
	assert_int_equal(cfg_rd(vf, 2, 2), VF_DEVICE);
	assert_int_equal(cfg_rd(vf, 8, 4), cfg_rd(pf, 8, 4)); /* class, rev */
	assert_int_equal(cfg_rd(vf, 0x2c, 4), cfg_rd(pf, 0x2c, 4));
	assert_int_equal(cfg_rd(vf, 0x3d, 1), 0);
	assert_int_equal(uvfio_device_get_irq_info(dev, &irq), 0);
	assert_int_equal(irq.count, 0);
	cfg_wr(vf, 0x10, 0xffffffff, 4);
	cfg_wr(vf, 0x14, 0xffffffff, 4);
	cfg_wr(vf, 0x18, 0xffffffff, 4);
	assert_int_equal(cfg_rd(vf, 0x10, 4), 0xffffc00c);
	assert_int_equal(cfg_rd(vf, 0x14, 4), 0xffffffff);
	assert_int_equal(cfg_rd(vf, 0x18, 4), 0xffffe000);
	/* Decodes with the PF's VF MSE, its own Command.Memory aside. */
	cfg_wr(vf, 4, 0, 2);
	assert_int_equal(uvfio_device_region_access(dev, 2, 2048, &v, 4, false),
			 4);
	cfg_wr(pf, o + CTRL, CTRL_VFE, 2);
	assert_int_equal(uvfio_device_region_access(dev, 2, 2048, &v, 4, false),
			 -EIO);
	cfg_wr(vf, 4, 2, 2);
	assert_int_equal(cfg_rd(vf, 4, 2) & 2, 2); /* kept, as written */
	assert_int_equal(uvfio_device_region_access(dev, 2, 2048, &v, 4, false),
			 -EIO);
	cfg_wr(pf, o + CTRL, CTRL_VFE | CTRL_MSE, 2);
	assert_int_equal(uvfio_device_region_access(dev, 2, 2048, &v, 4, false),
			 4);
	uvfio_pci_destroy(pf);
}

/*
 * A VF a server serves stays: neither sriov_numvfs nor a cleared VF
 * Enable removes it (the server would be left with a freed device).
 */
static void test_served_vf_stays(void **state)
{
	struct driver d = { .fail_at = -1 };
	int cap;
	struct uvfio_pci *pf = make_pf(&d, &cap);
	unsigned int o = (unsigned int)cap;
	struct uvfio_server *srv = uvfio_server_new(NULL);
	char dir[64], path[128];

	(void)state;
	test_mkdtemp(dir, sizeof(dir), "sriov");
	snprintf(path, sizeof(path), "%s/vf1.sock", dir);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 2), 0);
	assert_int_equal(
		uvfio_server_add_device(
			srv, uvfio_pci_device(uvfio_pci_sriov_vf(pf, 1)), path),
		0);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), -EBUSY);
	cfg_wr(pf, o + CTRL, 0, 2);
	assert_int_equal(cfg_rd(pf, o + CTRL, 2) & CTRL_VFE, CTRL_VFE);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 2);
	uvfio_server_destroy(srv);
	cfg_wr(pf, o + CTRL, 0, 2);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);
	rmdir(dir);
	uvfio_pci_destroy(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sriov_config_errors),
		cmocka_unit_test(test_sriov_registers),
		cmocka_unit_test(test_sriov_enable_by_the_pf_user),
		cmocka_unit_test(test_sriov_configure),
		cmocka_unit_test(test_vf_config_space),
		cmocka_unit_test(test_served_vf_stays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
