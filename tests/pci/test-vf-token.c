// SPDX-License-Identifier: MIT
/*
 * The VF token, in-process: every row of vfio-pci's truth table
 * (vfio_pci_validate_vf_token) through uvfio_device_open(), with the
 * kernel's errno; VFIO_DEVICE_FEATURE_PCI_VF_TOKEN; and VFs that cannot be
 * disabled while open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include <uvfio/uvfio.h>

#include "pci-test.h"

/* A PF with 2 VFs enabled; with @no_token, one bound to a host driver. */
static struct uvfio_pci *make_pf(bool no_token)
{
	return test_pf_with_vfs("pf", no_token);
}

static struct uvfio_device *vf_dev(struct uvfio_pci *pf, unsigned int i)
{
	return uvfio_pci_device(uvfio_pci_sriov_vf(pf, i));
}

/* SET (or GET, PROBE) the VF token feature on @dev. */
static int set_token(struct uvfio_device *dev, uint32_t op, const uuid_t u,
		     size_t len)
{
	struct {
		struct uvfio_device_feature hdr;
		uint8_t uuid[16];
	} f = { { (uint32_t)(sizeof(f.hdr) + len),
		  op | UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN },
		{ 0 } };

	memcpy(f.uuid, u, 16);
	return uvfio_device_feature(dev, &f.hdr);
}

/* Rows 1-2: a VF whose PF is not vfio's. */
static void test_vf_of_host_pf(void **state)
{
	struct uvfio_pci *pf = make_pf(true);
	uuid_t u;

	(void)state;
	uuid_generate_random(u);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 0), NULL), 0);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 1), u), -EINVAL);
	/* Such a PF has no token feature, and takes no token either. */
	assert_int_equal(set_token(uvfio_pci_device(pf),
				   UVFIO_DEVICE_FEATURE_SET, u, 16),
			 -ENOTTY);
	assert_int_equal(uvfio_device_open(uvfio_pci_device(pf), u), -EINVAL);
	/* The open VF still holds the VFs. */
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), -EBUSY);
	uvfio_device_close(vf_dev(pf, 0));
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), 0);
	uvfio_pci_destroy(pf);
}

/* Rows 3-5: a VF of a vfio PF needs the PF's token. */
static void test_vf_needs_the_token(void **state)
{
	struct uvfio_pci *pf = make_pf(false);
	struct uvfio_device *vf = vf_dev(pf, 0);
	uuid_t token, wrong;

	(void)state;
	uuid_generate_random(token);
	uuid_generate_random(wrong);
	assert_int_equal(uvfio_device_open(vf, NULL), -EACCES);
	/* The PF's first token is random: no guess opens the VF. */
	assert_int_equal(uvfio_device_open(vf, token), -EACCES);
	assert_int_equal(set_token(uvfio_pci_device(pf),
				   UVFIO_DEVICE_FEATURE_SET, token, 16),
			 0);
	assert_int_equal(uvfio_device_open(vf, wrong), -EACCES);
	assert_int_equal(uvfio_device_open(vf, token), 0);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 1), token), 0);
	uvfio_device_close(vf);
	uvfio_device_close(vf_dev(pf, 1));
	uvfio_pci_destroy(pf);
}

/* Rows 6-10: the PF, with VFs open and without. */
static void test_pf_open(void **state)
{
	struct uvfio_pci *pf = make_pf(false);
	struct uvfio_device *pdev = uvfio_pci_device(pf);
	uuid_t token, wrong, other;

	(void)state;
	uuid_generate_random(token);
	uuid_generate_random(wrong);
	uuid_generate_random(other);
	/* Row 10: no VF open, no token. */
	assert_int_equal(uvfio_device_open(pdev, NULL), 0);
	uvfio_device_close(pdev);
	/* Row 9: no VF open, a token: it becomes the PF's. */
	assert_int_equal(uvfio_device_open(pdev, token), 0);
	uvfio_device_close(pdev);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 0), token), 0);
	/* Rows 6-8: a VF open. */
	assert_int_equal(uvfio_device_open(pdev, NULL), -EACCES);
	assert_int_equal(uvfio_device_open(pdev, wrong), -EACCES);
	assert_int_equal(uvfio_device_open(pdev, token), 0);
	uvfio_device_close(pdev);
	/* The PF's user may not take over the token while a VF is open
	 * through open() (only the feature sets it unconditionally). */
	assert_int_equal(uvfio_device_open(vf_dev(pf, 1), token), 0);
	uvfio_device_close(vf_dev(pf, 0));
	uvfio_device_close(vf_dev(pf, 1));
	/* With none open again, a new token replaces the old one. */
	assert_int_equal(uvfio_device_open(pdev, other), 0);
	uvfio_device_close(pdev);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 0), token), -EACCES);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 0), other), 0);
	uvfio_device_close(vf_dev(pf, 0));
	uvfio_pci_destroy(pf);
}

/* Rows 11-12: neither a PF nor a VF, PCI or not. */
static void test_neither_pf_nor_vf(void **state)
{
	static const struct uvfio_device_ops plain_ops = { 0 };
	struct uvfio_pci *pci = uvfio_pci_new("plain", &test_pci_ops, NULL,
					      &test_pf_ids,
					      UVFIO_PCI_CONFIG_SIZE);
	struct uvfio_device *plain = uvfio_device_new("x", &plain_ops, NULL);
	uuid_t u;

	(void)state;
	uuid_generate_random(u);
	assert_non_null(pci);
	assert_non_null(plain);
	uvfio_device_set_log(uvfio_pci_device(pci), NULL, NULL, 0);
	uvfio_device_set_log(plain, NULL, NULL, 0);
	assert_int_equal(uvfio_pci_realize(pci), 0);
	assert_int_equal(uvfio_device_realize(plain), 0);
	assert_int_equal(uvfio_device_open(uvfio_pci_device(pci), u), -EINVAL);
	assert_int_equal(uvfio_device_open(uvfio_pci_device(pci), NULL), 0);
	uvfio_device_close(uvfio_pci_device(pci));
	assert_int_equal(uvfio_device_open(plain, u), -EINVAL);
	assert_int_equal(uvfio_device_open(plain, NULL), 0);
	uvfio_device_close(plain);
	assert_int_equal(set_token(uvfio_pci_device(pci),
				   UVFIO_DEVICE_FEATURE_SET, u, 16),
			 -ENOTTY);
	uvfio_pci_destroy(pci);
	uvfio_device_destroy(plain);
}

/*
 * VFIO_DEVICE_FEATURE_PCI_VF_TOKEN: SET only (a GET would give away the
 * last user's secret), 16 bytes, and on a PF's VFs -ENOTTY.
 */
static void test_token_feature(void **state)
{
	struct uvfio_pci *pf = make_pf(false);
	struct uvfio_device *pdev = uvfio_pci_device(pf);
	uuid_t u;

	(void)state;
	uuid_generate_random(u);
	assert_int_equal(set_token(pdev, UVFIO_DEVICE_FEATURE_GET, u, 16),
			 -EINVAL);
	assert_int_equal(set_token(pdev, UVFIO_DEVICE_FEATURE_SET, u, 15),
			 -EINVAL);
	assert_int_equal(set_token(pdev,
				   UVFIO_DEVICE_FEATURE_PROBE |
					   UVFIO_DEVICE_FEATURE_SET,
				   u, 0),
			 0);
	assert_int_equal(set_token(vf_dev(pf, 0), UVFIO_DEVICE_FEATURE_SET, u,
				   16),
			 -ENOTTY);
	assert_int_equal(set_token(pdev, UVFIO_DEVICE_FEATURE_SET, u, 16), 0);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 0), u), 0);
	uvfio_device_close(vf_dev(pf, 0));
	uvfio_pci_destroy(pf);
}

/* Open VFs hold: VF Enable is not cleared, sriov_numvfs says EBUSY. */
static void test_open_vf_holds_the_vfs(void **state)
{
	struct uvfio_pci *pf = make_pf(false);
	struct uvfio_device *pdev = uvfio_pci_device(pf);
	uint16_t ctrl = 0;
	uuid_t u;
	int cap = 0x100;

	(void)state;
	uuid_generate_random(u);
	assert_int_equal(set_token(pdev, UVFIO_DEVICE_FEATURE_SET, u, 16), 0);
	assert_int_equal(uvfio_device_open(vf_dev(pf, 1), u), 0);
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), -EBUSY);
	assert_int_equal(
		uvfio_device_region_access(pdev, UVFIO_PCI_CONFIG_REGION_INDEX,
					   cap + 8, &ctrl, 2, true),
		2);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 2);
	uvfio_device_close(vf_dev(pf, 1));
	assert_int_equal(uvfio_pci_sriov_configure(pf, 0), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(pf), 0);
	uvfio_pci_destroy(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vf_of_host_pf),
		cmocka_unit_test(test_vf_needs_the_token),
		cmocka_unit_test(test_pf_open),
		cmocka_unit_test(test_neither_pf_nor_vf),
		cmocka_unit_test(test_token_feature),
		cmocka_unit_test(test_open_vf_holds_the_vfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
