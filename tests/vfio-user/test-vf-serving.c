// SPDX-License-Identifier: MIT
/*
 * VFs served as they come and go: a PF's notifier (as uvfiod's) adds each
 * VF to the server when the PF's user or the administrator enables VFs,
 * from the server's own worker, and removes them before they go.  A VF in
 * use stays; a client that connected but never opened is dropped; a VF
 * that cannot be served fails the enabling and leaves nothing behind.
 * And uvfio_server_remove_device()'s own rules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <uvfio/uvfio.h>

#include "pci-test.h"

#define NR_VFS 2
#define SRIOV_CTRL 0x08
#define SRIOV_NUM_VF 0x10

struct fixture {
	char dir[64];
	char path[1][96];
	char vf_path[NR_VFS][128];
	struct uvfio_pci *pf;
	unsigned int sriov; /* the capability's offset */
	struct uvfio_device *dev[1];
	struct uvfio_server *srv;
	unsigned int added, removed;
	bool on_worker;	  /* every notification came on another thread */
	int self_removal; /* the PF removing itself from its own callback */
	pthread_t main_thread;
	char token[37];
};

static int serve_vf(struct uvfio_pci *pf, struct uvfio_pci *vf,
		    unsigned int index, bool added, void *opaque)
{
	struct fixture *f = opaque;

	if (pthread_equal(pthread_self(), f->main_thread))
		f->on_worker = false;
	if (!added) {
		int ret = uvfio_server_remove_device(f->srv,
						     uvfio_pci_device(vf));

		f->removed++;
		return ret == -ENOENT ? 0 : ret;
	}
	f->added++;
	f->self_removal =
		uvfio_server_remove_device(f->srv, uvfio_pci_device(pf));
	return uvfio_server_add_device(f->srv, uvfio_pci_device(vf),
				       f->vf_path[index]);
}

static int setup(void **state)
{
	const struct uvfio_pci_sriov sriov = { .total_vfs = NR_VFS,
					       .vf_offset = 1,
					       .vf_stride = 1,
					       .vf_device = 0x10f2,
					       .vf_create = test_vf_create };
	struct fixture *f = calloc(1, sizeof(*f));
	int off;
	uuid_t u;

	assert_non_null(f);
	test_mkdtemp(f->dir, sizeof(f->dir), "vfserve");
	f->pf = uvfio_pci_new("pf", &test_pci_ops, NULL, &test_pf_ids,
			      UVFIO_PCIE_CONFIG_SIZE);
	assert_non_null(f->pf);
	uvfio_device_set_log(uvfio_pci_device(f->pf), NULL, NULL, 0);
	off = uvfio_pci_add_sriov(f->pf, &sriov);
	assert_true(off > 0);
	f->sriov = (unsigned int)off;
	assert_int_equal(uvfio_pci_realize(f->pf), 0);
	for (int i = 0; i < NR_VFS; i++)
		snprintf(f->vf_path[i], sizeof(f->vf_path[i]),
			 "%s/pf-vf%d.sock", f->dir, i);
	f->dev[0] = uvfio_pci_device(f->pf);
	f->main_thread = pthread_self();
	f->on_worker = true;
	f->srv = test_serve(NULL, f->dir, f->dev, f->path, 1);
	uvfio_pci_sriov_set_notify(f->pf, serve_vf, f);
	uuid_generate_random(u);
	uuid_unparse_lower(u, f->token);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uvfio_pci_sriov_set_notify(f->pf, NULL, NULL);
	uvfio_server_destroy(f->srv);
	uvfio_pci_destroy(f->pf);
	for (int i = 0; i < NR_VFS; i++)
		unlink(f->vf_path[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct uvfio_client *open_tok(const char *path, const char *token)
{
	const struct uvfio_client_opts opts = { .vf_token = token };

	errno = 0;
	return uvfio_client_open(path, &opts);
}

static int set_numvfs(struct uvfio_client *c, uint32_t n)
{
	struct {
		struct uvfio_device_feature hdr;
		uint32_t numvfs;
	} ft = {
		.hdr = { .argsz = sizeof(ft),
			 .flags = UVFIO_DEVICE_FEATURE_SET |
				  UVFIO_DEVICE_FEATURE_SRIOV_NUMVFS },
		.numvfs = n,
	};

	return uvfio_client_feature(c, &ft.hdr);
}

static void cfg_write(struct uvfio_client *c, unsigned int off, uint16_t v)
{
	assert_int_equal(uvfio_client_region_write(
				 c, UVFIO_PCI_CONFIG_REGION_INDEX, off, &v, 2),
			 2);
}

static uint16_t cfg_read(struct uvfio_client *c, unsigned int off)
{
	uint16_t v = 0;

	assert_int_equal(uvfio_client_region_read(
				 c, UVFIO_PCI_CONFIG_REGION_INDEX, off, &v, 2),
			 2);
	return v;
}

static bool served(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISSOCK(st.st_mode);
}

/* The PF's user enables VFs in config space, and disables them. */
static void test_config_write(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *pf = open_tok(f->path[0], f->token), *vf;

	assert_non_null(pf);
	cfg_write(pf, f->sriov + SRIOV_NUM_VF, NR_VFS);
	cfg_write(pf, f->sriov + SRIOV_CTRL, 0x9); /* VF Enable, VF MSE */
	assert_int_equal(cfg_read(pf, f->sriov + SRIOV_CTRL) & 1, 1);
	assert_int_equal(f->added, NR_VFS);
	for (int i = 0; i < NR_VFS; i++)
		assert_true(served(f->vf_path[i]));
	vf = open_tok(f->vf_path[1], f->token);
	assert_non_null(vf);
	uvfio_client_close(vf);

	/* Closed clients reach the server a moment later: until then the
	 * VF is open and VF Enable stays set. */
	do {
		cfg_write(pf, f->sriov + SRIOV_CTRL, 0x8);
	} while (cfg_read(pf, f->sriov + SRIOV_CTRL) & 1);
	assert_int_equal(f->removed, NR_VFS);
	for (int i = 0; i < NR_VFS; i++)
		assert_false(served(f->vf_path[i]));
	assert_true(f->on_worker);
	/* Its own callback runs: the PF could not remove itself. */
	assert_int_equal(f->self_removal, -EINVAL);
	assert_true(served(f->path[0]));
	uvfio_client_close(pf);
}

/* An open VF keeps the VFs; a connected client that never opened goes. */
static void test_in_use(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct uvfio_client *pf = open_tok(f->path[0], f->token), *vf;
	char byte;
	int raw, ret;

	assert_non_null(pf);
	assert_int_equal(set_numvfs(pf, NR_VFS), 0);
	vf = open_tok(f->vf_path[0], f->token);
	assert_non_null(vf);
	assert_int_equal(set_numvfs(pf, 0), -EBUSY);
	assert_int_equal(set_numvfs(pf, 1), -EBUSY);
	assert_true(served(f->vf_path[0]));
	assert_int_equal(f->removed, 0);
	uvfio_client_close(vf);

	/* A client of VF 1 that connected and said nothing. */
	raw = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(raw >= 0);
	strcpy(addr.sun_path, f->vf_path[1]);
	assert_int_equal(connect(raw, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	while ((ret = set_numvfs(pf, 0)) == -EBUSY)
		;
	assert_int_equal(ret, 0);
	/* It is told: end of file, or a reset if it was never accepted. */
	assert_true(read(raw, &byte, 1) <= 0);
	close(raw);
	for (int i = 0; i < NR_VFS; i++)
		assert_false(served(f->vf_path[i]));
	assert_int_equal(f->added, NR_VFS);
	assert_int_equal(f->removed, NR_VFS);
	uvfio_client_close(pf);
}

/* A VF that cannot be served fails the enabling, and undoes it. */
static void test_cannot_serve(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *pf = open_tok(f->path[0], f->token);
	FILE *fp = fopen(f->vf_path[1], "w");

	assert_non_null(pf);
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(set_numvfs(pf, NR_VFS), -EEXIST);
	assert_int_equal(f->added, NR_VFS);
	assert_int_equal(f->removed, 1);
	assert_false(served(f->vf_path[0]));
	assert_int_equal(cfg_read(pf, f->sriov + SRIOV_CTRL) & 1, 0);
	assert_int_equal(cfg_read(pf, f->sriov + SRIOV_NUM_VF), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(f->pf), 0);
	/* The same through config space: VF Enable stays clear. */
	cfg_write(pf, f->sriov + SRIOV_NUM_VF, NR_VFS);
	cfg_write(pf, f->sriov + SRIOV_CTRL, 0x9);
	assert_int_equal(cfg_read(pf, f->sriov + SRIOV_CTRL) & 1, 0);
	unlink(f->vf_path[1]);
	assert_int_equal(set_numvfs(pf, NR_VFS), 0);
	uvfio_client_close(pf);
}

/*
 * VFs enabled by the controlling thread while the server runs are served
 * by any worker; the PF's worker then cannot remove them all.  They stay,
 * served: never destroyed while a server has them.
 */
static void test_served_elsewhere(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *pf, *vf;
	FILE *fp = fopen(f->vf_path[1], "w");
	uint16_t id = 0;

	/* VF 1 cannot be served, and VF 0 cannot be unserved from here:
	 * the enabling stands, VF 1 unserved. */
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(uvfio_pci_sriov_configure(f->pf, NR_VFS), 0);
	assert_int_equal(uvfio_pci_sriov_numvfs(f->pf), NR_VFS);
	assert_true(served(f->vf_path[0]));
	unlink(f->vf_path[1]);
	assert_false(served(f->vf_path[1]));
	/* Removing them fails, and they are served again: VF 1 too now. */
	assert_int_equal(uvfio_pci_sriov_configure(f->pf, 0), -EBUSY);
	assert_int_equal(uvfio_pci_sriov_numvfs(f->pf), NR_VFS);
	assert_true(served(f->vf_path[0]));
	assert_true(served(f->vf_path[1]));

	/* From the PF's worker, which serves only one of them, too. */
	pf = open_tok(f->path[0], f->token);
	assert_non_null(pf);
	assert_int_equal(set_numvfs(pf, 0), -EBUSY);
	assert_true(served(f->vf_path[0]));
	assert_true(served(f->vf_path[1]));
	for (int i = 0; i < NR_VFS; i++) {
		vf = open_tok(f->vf_path[i], f->token);
		assert_non_null(vf);
		assert_int_equal(uvfio_client_region_read(
					 vf, UVFIO_PCI_CONFIG_REGION_INDEX, 2,
					 &id, 2),
				 2);
		assert_int_equal(id, 0x10f2);
		uvfio_client_close(vf);
	}
	uvfio_client_close(pf);
}

/* Where remove may be called from, and what it answers. */
static void test_remove_rules(void **state)
{
	struct fixture *f = *state;
	struct uvfio_server *srv = uvfio_server_new(NULL);
	char path[128];

	/* A running server's device, from outside its worker: refused. */
	assert_int_equal(uvfio_server_remove_device(f->srv, f->dev[0]),
			 -EINVAL);
	assert_true(served(f->path[0]));
	/* Stopped: from the controlling thread. */
	assert_non_null(srv);
	snprintf(path, sizeof(path), "%s/again.sock", f->dir);
	uvfio_server_stop(f->srv);
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], path), 0);
	assert_true(served(path));
	assert_int_equal(uvfio_server_remove_device(srv, f->dev[0]), 0);
	assert_false(served(path));
	assert_int_equal(uvfio_server_remove_device(srv, f->dev[0]), -ENOENT);
	/* Served no more, the device may be served again. */
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], path), 0);
	uvfio_server_destroy(srv);
	assert_false(served(path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_config_write), T(test_in_use),
		T(test_cannot_serve), T(test_served_elsewhere),
		T(test_remove_rules),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
