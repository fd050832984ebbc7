// SPDX-License-Identifier: MIT
/*
 * The kernel backend's open, on the host: names are checked before
 * anything is opened, and the usual mistakes fail with their errno and
 * a message naming the fix.  Real devices are driven inside the kernel
 * rig (tests/kernel-rig).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <uvfio/client.h>

static void expect_refused(const char *name, int err, const char *says)
{
	const char *why;

	errno = 0;
	assert_null(uvfio_client_open(name, NULL));
	assert_int_equal(errno, err);
	why = uvfio_client_open_error();
	assert_non_null(why);
	if (!strstr(why, says))
		fail_msg("%s: '%s' does not say '%s'", name, why, says);
}

static void test_bad_names(void **state)
{
	(void)state;
	expect_refused("vfio:", EINVAL, "not a PCI address");
	expect_refused("vfio:0000:00:03", EINVAL, "not a PCI address");
	expect_refused("vfio:0000:00:20.0", EINVAL, "not a PCI address");
	expect_refused("vfio:0000:00:03.8", EINVAL, "not a PCI address");
	expect_refused("vfio:0000:00:03.0x", EINVAL, "not a PCI address");
	expect_refused("vfio:../../../etc", EINVAL, "not a PCI address");
	expect_refused("mdev:", EINVAL, "not a UUID");
	expect_refused("mdev:83b8f4f2-509f-382f-3c1e", EINVAL, "not a UUID");
	expect_refused("mdev:../../x", EINVAL, "not a UUID");
}

static void test_missing_devices(void **state)
{
	(void)state;
	/* Bus 0xfe, function 7: no machine of ours has it. */
	expect_refused("vfio:0000:fe:1f.7", ENOENT,
		       "no PCI device 0000:fe:1f.7");
	expect_refused("vfio:fe:1f.7", ENOENT, "no PCI device 0000:fe:1f.7");
	expect_refused(
		"mdev:83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", ENOENT,
		"echo 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 > /sys/class/mdev_bus");
}

/* A PCI function of this machine that no VFIO driver holds, if any. */
static int host_device_not_vfio(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while (found && (e = readdir(d))) {
		char link[PATH_MAX], target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver",
			 e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		if (!strstr(target, "vfio")) {
			snprintf(bdf, len, "%s", e->d_name);
			found = 0;
		}
	}
	closedir(d);
	return found;
}

static void test_not_bound_to_vfio(void **state)
{
	char bdf[NAME_MAX + 1], name[NAME_MAX + 8];

	(void)state;
	if (host_device_not_vfio(bdf, sizeof(bdf)))
		skip();
	snprintf(name, sizeof(name), "vfio:%s", bdf);
	expect_refused(name, ENODEV, "/sys/bus/pci/drivers/vfio-pci/bind");
}

static void test_error_is_per_open(void **state)
{
	(void)state;
	expect_refused("mdev:", EINVAL, "not a UUID");
	/* A failure that has nothing more to say clears the last one. */
	assert_null(uvfio_client_open("/nonexistent/dev.sock", NULL));
	assert_int_equal(errno, ENOENT);
	assert_null(uvfio_client_open_error());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_missing_devices),
		cmocka_unit_test(test_not_bound_to_vfio),
		cmocka_unit_test(test_error_is_per_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
