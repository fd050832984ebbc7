// SPDX-License-Identifier: MIT
/*
 * The VF token over vfio-user: the client presents it in VERSION's
 * capabilities ("vf_token", docs/protocol-extensions.md) and the server
 * admits or refuses the client as vfio-pci's open would.  Every row of
 * the truth table (tests/pci/test-vf-token.c has them in-process), with
 * the kernel's errno reaching uvfio_client_open().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <uvfio/uvfio.h>

#include "pci-test.h"

enum { PF, VF0, VF1, HOST_PF, HOST_VF, PLAIN, NR_DEVS };

struct fixture {
	char dir[64];
	char path[NR_DEVS][96];
	struct uvfio_pci *pf, *host_pf, *plain;
	struct uvfio_device *dev[NR_DEVS];
	struct uvfio_server *srv;
	char token[37], wrong[37];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uuid_t u;

	assert_non_null(f);
	test_mkdtemp(f->dir, sizeof(f->dir), "vftoken");
	f->pf = test_pf_with_vfs("pf", false);
	f->host_pf = test_pf_with_vfs("hpf", true);
	f->plain = uvfio_pci_new("plain", &test_pci_ops, NULL, &test_pf_ids,
				 UVFIO_PCI_CONFIG_SIZE);
	assert_non_null(f->plain);
	uvfio_device_set_log(uvfio_pci_device(f->plain), NULL, NULL, 0);
	assert_int_equal(uvfio_pci_realize(f->plain), 0);
	f->dev[PF] = uvfio_pci_device(f->pf);
	f->dev[VF0] = uvfio_pci_device(uvfio_pci_sriov_vf(f->pf, 0));
	f->dev[VF1] = uvfio_pci_device(uvfio_pci_sriov_vf(f->pf, 1));
	f->dev[HOST_PF] = uvfio_pci_device(f->host_pf);
	f->dev[HOST_VF] = uvfio_pci_device(uvfio_pci_sriov_vf(f->host_pf, 0));
	f->dev[PLAIN] = uvfio_pci_device(f->plain);
	f->srv = test_serve(NULL, f->dir, f->dev, f->path, NR_DEVS);
	uuid_generate_random(u);
	uuid_unparse_lower(u, f->token);
	uuid_generate_random(u);
	uuid_unparse_lower(u, f->wrong);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uvfio_server_destroy(f->srv);
	uvfio_pci_destroy(f->pf);
	uvfio_pci_destroy(f->host_pf);
	uvfio_pci_destroy(f->plain);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Open device @i with @token (NULL: none): the handle, or NULL and errno. */
static struct uvfio_client *open_dev(struct fixture *f, int i,
				     const char *token)
{
	const struct uvfio_client_opts opts = { .vf_token = token };

	errno = 0;
	return uvfio_client_open(f->path[i], &opts);
}

static void assert_refused(struct fixture *f, int i, const char *token, int err)
{
	assert_null(open_dev(f, i, token));
	assert_int_equal(errno, err);
}

/*
 * The PF opens without a token once the server has dropped every VF
 * client (it closes them after the client has gone): bounded, not timed.
 */
static void wait_no_vf_open(struct fixture *f)
{
	struct uvfio_client *c;
	int tries = 0;

	while (!(c = open_dev(f, PF, NULL))) {
		assert_int_equal(errno, EACCES);
		assert_true(++tries < 10000);
		usleep(1000);
	}
	uvfio_client_close(c);
}

/* Rows 1-2: a VF whose PF is bound to a host driver. */
static void test_wire_vf_of_host_pf(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *c = open_dev(f, HOST_VF, NULL);

	assert_non_null(c);
	uvfio_client_close(c);
	assert_refused(f, HOST_VF, f->token, EINVAL);
}

/* Rows 3-5, then 6-8 while a VF is open, then 9-10. */
static void test_wire_pf_and_vfs(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *pf, *vf;

	/* Row 9: the PF's user, no VF open, sets the token. */
	pf = open_dev(f, PF, f->token);
	assert_non_null(pf);
	uvfio_client_close(pf);
	/* Rows 3-5. */
	assert_refused(f, VF0, NULL, EACCES);
	assert_refused(f, VF0, f->wrong, EACCES);
	vf = open_dev(f, VF0, f->token);
	assert_non_null(vf);
	/* Rows 6-8: VF0 is open. */
	assert_refused(f, PF, NULL, EACCES);
	assert_refused(f, PF, f->wrong, EACCES);
	pf = open_dev(f, PF, f->token);
	assert_non_null(pf);
	uvfio_client_close(pf);
	/* Its VFs are held meanwhile: sriov_numvfs says EBUSY. */
	assert_int_equal(uvfio_pci_sriov_configure(f->pf, 0), -EBUSY);
	uvfio_client_close(vf);
	/* Row 10, once the server has closed VF0. */
	wait_no_vf_open(f);
	/* Served, the VFs stay even with none open. */
	assert_int_equal(uvfio_pci_sriov_configure(f->pf, 0), -EBUSY);
	/* A VF refused at VERSION is not counted as open. */
	assert_refused(f, VF1, f->wrong, EACCES);
	pf = open_dev(f, PF, NULL);
	assert_non_null(pf);
	uvfio_client_close(pf);
}

/* Rows 11-12: neither a PF nor a VF. */
static void test_wire_neither(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *c;

	assert_refused(f, PLAIN, f->token, EINVAL);
	c = open_dev(f, PLAIN, NULL);
	assert_non_null(c);
	uvfio_client_close(c);
}

/* The token feature over the wire: SET only. */
static void test_wire_token_feature(void **state)
{
	struct fixture *f = *state;
	struct {
		struct uvfio_device_feature hdr;
		uint8_t uuid[16];
	} fe = { { sizeof(fe), UVFIO_DEVICE_FEATURE_SET |
				       UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN },
		 { 0 } };
	struct uvfio_client *c, *vf;

	wait_no_vf_open(f);
	c = open_dev(f, PF, NULL);
	assert_non_null(c);
	assert_int_equal(uuid_parse(f->wrong, fe.uuid), 0);
	assert_int_equal(uvfio_client_feature(c, &fe.hdr), 0);
	fe.hdr.flags = UVFIO_DEVICE_FEATURE_GET |
		       UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	assert_int_equal(uvfio_client_feature(c, &fe.hdr), -EINVAL);
	vf = open_dev(f, VF1, f->wrong);
	assert_non_null(vf);
	uvfio_client_close(vf);
	uvfio_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_vf_of_host_pf),
		cmocka_unit_test(test_wire_pf_and_vfs),
		cmocka_unit_test(test_wire_neither),
		cmocka_unit_test(test_wire_token_feature),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
