/* SPDX-License-Identifier: MIT */
/*
 * Shared by the PCI core's tests (tests/pci/ and the VF token's wire
 * test): config space access, and a plain SR-IOV PF.
 */
#ifndef UVFIO_TESTS_PCI_TEST_H
#define UVFIO_TESTS_PCI_TEST_H

#include "test-util.h"

/* @len bytes of @pci's config space at @off (little-endian). */
static inline uint32_t cfg_rd(struct uvfio_pci *pci, unsigned int off,
			      unsigned int len)
{
	uint32_t v = 0;

	assert_int_equal(
		uvfio_device_region_access(uvfio_pci_device(pci),
					   UVFIO_PCI_CONFIG_REGION_INDEX, off,
					   &v, len, false),
		len);
	return v;
}

static inline void cfg_wr(struct uvfio_pci *pci, unsigned int off, uint32_t v,
			  unsigned int len)
{
	assert_int_equal(
		uvfio_device_region_access(uvfio_pci_device(pci),
					   UVFIO_PCI_CONFIG_REGION_INDEX, off,
					   &v, len, true),
		len);
}

static const struct uvfio_pci_ops test_pci_ops = { 0 };
static const struct uvfio_pci_ids test_pf_ids = { 0x1af4, 0x10f1,   0x1af4,
						  0x0003, 0x120000, 2 };

/* A VF with nothing but what uvfio_pci_new_vf() gives it, realized. */
static inline struct uvfio_pci *test_vf_create(struct uvfio_pci *pf,
					       unsigned int index, void *opaque)
{
	struct uvfio_pci *vf =
		uvfio_pci_new_vf(pf, index, &test_pci_ops, opaque);

	assert_non_null(vf);
	uvfio_device_set_log(uvfio_pci_device(vf), NULL, NULL, 0);
	assert_int_equal(uvfio_pci_realize(vf), 0);
	return vf;
}

/* PF @name with 2 VFs enabled; with @no_token, one bound to a host driver. */
static inline struct uvfio_pci *test_pf_with_vfs(const char *name,
						 bool no_token)
{
	const struct uvfio_pci_sriov sriov = { .total_vfs = 2,
					       .vf_offset = 1,
					       .vf_stride = 1,
					       .vf_device = 0x10f2,
					       .vf_create = test_vf_create,
					       .no_vf_token = no_token };
	struct uvfio_pci *pf = uvfio_pci_new(name, &test_pci_ops, NULL,
					     &test_pf_ids,
					     UVFIO_PCIE_CONFIG_SIZE);

	assert_non_null(pf);
	uvfio_device_set_log(uvfio_pci_device(pf), NULL, NULL, 0);
	assert_true(uvfio_pci_add_sriov(pf, &sriov) > 0);
	assert_int_equal(uvfio_pci_realize(pf), 0);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 2), 0);
	return pf;
}

#endif /* UVFIO_TESTS_PCI_TEST_H */
