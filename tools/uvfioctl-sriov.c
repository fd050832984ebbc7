// SPDX-License-Identifier: MIT
/*
 * uvfioctl's SR-IOV: what a PF's capability says and where its VFs are
 * (for sriov and info), the administrator's sriov_numvfs, and the PF's VF
 * token.
 *
 * The VFs of a PF served by uvfiod are its sockets DIR/<pf>-vf<N>.sock
 * next to DIR/<pf>.sock (uvfiod.8); those of a kernel PF are its sysfs
 * virtfn<N> links.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "uvfioctl-sriov.h"

#define PCI_CFG_SPACE_SIZE 0x100
#define PCI_EXT_CAP_ID_SRIOV 0x10
#define SRIOV_CTRL 0x08
#define SRIOV_CTRL_VFE 0x0001
#define SRIOV_CTRL_MSE 0x0008
#define SRIOV_TOTAL_VF 0x0e
#define SRIOV_NUM_VF 0x10
#define SRIOV_VF_OFFSET 0x14
#define SRIOV_VF_STRIDE 0x16
#define SRIOV_VF_DID 0x1a
#define SYSFS_PCI "/sys/bus/pci/devices/"

static int cfg_read(struct uvfio_client *c, uint32_t off, void *buf, size_t len)
{
	ssize_t n = uvfio_client_region_read(c, UVFIO_PCI_CONFIG_REGION_INDEX,
					     off, buf, len);

	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EIO;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The SR-IOV capability's offset in config space, or 0. */
static uint32_t find_sriov(struct uvfio_client *c)
{
	uint32_t off = PCI_CFG_SPACE_SIZE;

	/* Each header is 4 bytes: bound the walk however the chain loops. */
	for (int i = 0; i < (4096 - PCI_CFG_SPACE_SIZE) / 4 && off; i++) {
		uint32_t hdr;

		if (off < PCI_CFG_SPACE_SIZE || off % 4 ||
		    cfg_read(c, off, &hdr, 4) || !hdr || hdr == ~0u)
			return 0;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_SRIOV)
			return off;
		off = hdr >> 20;
	}
	return 0;
}

static const char *kernel_bdf(const char *name)
{
	return strncmp(name, "vfio:", 5) ? NULL : name + 5;
}

static const char *socket_path(const char *name)
{
	if (!strncmp(name, "vfio:", 5) || !strncmp(name, "mdev:", 5))
		return NULL;
	return strncmp(name, "unix:", 5) ? name : name + 5;
}

static bool is_socket(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISSOCK(st.st_mode);
}

/* The last path component of link @dir/@entry, into @out. */
static bool link_name(const char *dir, const char *entry, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *slash;

	snprintf(path, sizeof(path), "%s%s/%s", SYSFS_PCI, dir, entry);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(out, len, "%s", slash ? slash + 1 : target);
	return true;
}

static void add_vf(struct sriov_facts *f, unsigned int index,
		   const char *prefix, const char *name)
{
	struct sriov_vf *vf;

	if (f->nr_vfs >= SRIOV_MAX_LISTED)
		return;
	vf = &f->vfs[f->nr_vfs++];
	vf->index = index;
	snprintf(vf->name, sizeof(vf->name), "%s%s", prefix, name);
}

/* Where the VFs of PF @name are, and what @name is the VF of. */
static void find_relatives(const char *name, struct sriov_facts *f)
{
	const char *bdf = kernel_bdf(name), *path = socket_path(name);
	char entry[64], other[PATH_MAX];

	if (bdf) {
		for (unsigned int i = 0; f->is_pf && i < f->total_vfs; i++) {
			snprintf(entry, sizeof(entry), "virtfn%u", i);
			if (link_name(bdf, entry, other, sizeof(other)))
				add_vf(f, i, "vfio:", other);
		}
		if (link_name(bdf, "physfn", other, sizeof(other))) {
			f->is_vf = true;
			snprintf(f->pf_name, sizeof(f->pf_name), "vfio:%s",
				 other);
			for (unsigned int i = 0; i < SRIOV_MAX_VF_INDEX; i++) {
				char mine[PATH_MAX];

				snprintf(entry, sizeof(entry), "virtfn%u", i);
				if (!link_name(other, entry, mine,
					       sizeof(mine)))
					break;
				if (!strcmp(mine, bdf))
					f->vf_index = i;
			}
		}
		return;
	}
	if (!path)
		return;
	/* DIR/<pf>.sock: its VFs are DIR/<pf>-vf<N>.sock. */
	size_t len = strlen(path);
	const char *prefix = path == name ? "" : "unix:";

	if (len <= 5 || strcmp(path + len - 5, ".sock"))
		return;
	for (unsigned int i = 0; f->is_pf && i < f->total_vfs; i++) {
		snprintf(other, sizeof(other), "%.*s-vf%u.sock", (int)(len - 5),
			 path, i);
		if (is_socket(other))
			add_vf(f, i, prefix, other);
	}
	/* DIR/<pf>-vf<N>.sock, with DIR/<pf>.sock beside it: a VF. */
	const char *vf = strstr(path, "-vf");

	while (vf && strstr(vf + 3, "-vf"))
		vf = strstr(vf + 3, "-vf");
	if (vf) {
		char *end;
		unsigned long index = strtoul(vf + 3, &end, 10);

		snprintf(other, sizeof(other), "%.*s.sock", (int)(vf - path),
			 path);
		if (end != vf + 3 && !strcmp(end, ".sock") &&
		    is_socket(other)) {
			f->is_vf = true;
			f->vf_index = (unsigned int)index;
			snprintf(f->pf_name, sizeof(f->pf_name), "%s%s", prefix,
				 other);
		}
	}
}

/* A number from sysfs file @attr of kernel function @bdf, if there is one. */
static bool sysfs_u16(const char *bdf, const char *attr, uint16_t *out)
{
	char path[PATH_MAX];
	unsigned int v;
	FILE *fp;
	bool ok;

	snprintf(path, sizeof(path), "%s%s/%s", SYSFS_PCI, bdf, attr);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	ok = fscanf(fp, "%u", &v) == 1 && v <= UINT16_MAX;
	fclose(fp);
	if (ok)
		*out = (uint16_t)v;
	return ok;
}

int sriov_gather(struct uvfio_client *c, const char *name,
		 struct sriov_facts *f)
{
	const char *bdf = kernel_bdf(name);
	uint32_t off;
	int ret;

	memset(f, 0, sizeof(*f));
	off = find_sriov(c);
	if (off) {
		/* The registers up to the VF Device ID, in one read. */
		uint8_t cap[SRIOV_VF_DID + 2];

		ret = cfg_read(c, off, cap, sizeof(cap));
		if (ret)
			return ret;
		f->is_pf = true;
		f->ctrl = get16(cap + SRIOV_CTRL);
		f->total_vfs = get16(cap + SRIOV_TOTAL_VF);
		f->num_vfs = get16(cap + SRIOV_NUM_VF);
		f->vf_offset = get16(cap + SRIOV_VF_OFFSET);
		f->vf_stride = get16(cap + SRIOV_VF_STRIDE);
		f->vf_device = get16(cap + SRIOV_VF_DID);
		/*
		 * vfio-pci may show NumVFs as 0 with VFs enabled: a kernel
		 * PF's own counts are in sysfs.
		 */
		if (bdf) {
			sysfs_u16(bdf, "sriov_totalvfs", &f->total_vfs);
			sysfs_u16(bdf, "sriov_numvfs", &f->num_vfs);
		}
	}
	find_relatives(name, f);
	return 0;
}

void sriov_print_text(const struct sriov_facts *f)
{
	if (f->is_pf) {
		printf("SR-IOV: PF, %" PRIu16 " of %" PRIu16
		       " VFs, VF Enable %s, VF MSE %s, VF device %04" PRIx16
		       ", offset %" PRIu16 ", stride %" PRIu16 "\n",
		       f->num_vfs, f->total_vfs,
		       f->ctrl & SRIOV_CTRL_VFE ? "on" : "off",
		       f->ctrl & SRIOV_CTRL_MSE ? "on" : "off", f->vf_device,
		       f->vf_offset, f->vf_stride);
		for (unsigned int i = 0; i < f->nr_vfs; i++)
			printf("  VF %u: %s\n", f->vfs[i].index,
			       f->vfs[i].name);
	}
	if (f->is_vf)
		printf("SR-IOV: VF %u of %s\n", f->vf_index, f->pf_name);
}

struct json_object *sriov_json(const struct sriov_facts *f)
{
	struct json_object *o, *arr;

	if (!f->is_pf && !f->is_vf)
		return NULL;
	o = json_object_new_object();
	if (f->is_pf) {
		json_object_object_add(o, "total_vfs",
				       json_object_new_int(f->total_vfs));
		json_object_object_add(o, "num_vfs",
				       json_object_new_int(f->num_vfs));
		json_object_object_add(o, "vf_enable",
				       json_object_new_boolean(f->ctrl &
							       SRIOV_CTRL_VFE));
		json_object_object_add(o, "vf_mse",
				       json_object_new_boolean(f->ctrl &
							       SRIOV_CTRL_MSE));
		json_object_object_add(o, "vf_device",
				       json_object_new_int(f->vf_device));
		arr = json_object_new_array();
		for (unsigned int i = 0; i < f->nr_vfs; i++) {
			struct json_object *vf = json_object_new_object();

			json_object_object_add(
				vf, "index",
				json_object_new_int((int)f->vfs[i].index));
			json_object_object_add(
				vf, "device",
				json_object_new_string(f->vfs[i].name));
			json_object_array_add(arr, vf);
		}
		json_object_object_add(o, "vfs", arr);
	}
	if (f->is_vf) {
		json_object_object_add(o, "pf",
				       json_object_new_string(f->pf_name));
		json_object_object_add(o, "vf_index",
				       json_object_new_int((int)f->vf_index));
	}
	return o;
}

/* ---- sriov ---- */

/* The kernel's sriov_numvfs, through sysfs. */
static int kernel_numvfs(const char *bdf, unsigned int n)
{
	char path[PATH_MAX];
	FILE *fp;
	int ret = 0;

	snprintf(path, sizeof(path), "%s%s/sriov_numvfs", SYSFS_PCI, bdf);
	fp = fopen(path, "w");
	if (!fp)
		return -errno;
	if (fprintf(fp, "%u\n", n) < 0)
		ret = -errno;
	if (fclose(fp) && !ret)
		ret = -errno;
	return ret;
}

/* uvfio's SRIOV_NUMVFS feature on the PF, once. */
static int feature_numvfs_once(struct uvfio_client *c, unsigned int n)
{
	struct {
		struct uvfio_device_feature hdr;
		uint32_t numvfs;
	} f = {
		.hdr = { .argsz = sizeof(f),
			 .flags = UVFIO_DEVICE_FEATURE_SET |
				  UVFIO_DEVICE_FEATURE_SRIOV_NUMVFS },
		.numvfs = n,
	};

	return uvfio_client_feature(c, &f.hdr);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * uvfio's SRIOV_NUMVFS feature on the PF.  While VFs are open it answers
 * EBUSY; the kernel's sriov_numvfs waits for their users instead.  So
 * does this, for the reply timeout: a VF client that closed just before
 * is only gone once its server has seen the hangup.
 */
static int feature_numvfs(struct uvfio_client *c, unsigned int n)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	uint64_t deadline = now_ms() + (uint64_t)reply_timeout_ms();
	int ret;

	while ((ret = feature_numvfs_once(c, n)) == -EBUSY && !n &&
	       now_ms() < deadline)
		nanosleep(&pause, NULL);
	return ret;
}

static int run_sriov(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "numvfs", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name, *bdf;
	struct sriov_facts f;
	struct uvfio_client *c;
	bool json = false, set = false;
	uint64_t n = 0;
	int opt, ret;

	while ((opt = command_getopt(cmd, argc, argv, ":n:jh", longopts)) !=
	       -1) {
		if (opt == '?')
			return EXIT_USAGE;
		if (opt == 'j') {
			json = true;
			continue;
		}
		if (parse_u64(optarg, &n) || n > UINT16_MAX)
			return usage_error(cmd, "bad VF count '%s'", optarg);
		set = true;
	}
	if (one_dev_operand(cmd, argc, argv))
		return EXIT_USAGE;
	name = argv[optind];
	bdf = kernel_bdf(device_name_only(name));
	/* The kernel's PF needs no open: sysfs is the administrator's. */
	if (set && bdf) {
		ret = kernel_numvfs(bdf, (unsigned int)n);
		if (ret)
			return fail(cmd, "%s: sriov_numvfs %" PRIu64 ": %s",
				    name, n, strerror(-ret));
	}
	c = open_device(cmd, name);
	if (!c)
		return EXIT_FAIL;
	if (set && !bdf) {
		ret = feature_numvfs(c, (unsigned int)n);
		if (ret) {
			uvfio_client_close(c);
			return fail(cmd, "%s: %" PRIu64 " VFs: %s", name, n,
				    ret == -ENOTTY ?
					    "the device has no SR-IOV" :
					    strerror(-ret));
		}
	}
	ret = sriov_gather(c, device_name_only(name), &f);
	uvfio_client_close(c);
	if (ret)
		return fail(cmd, "%s: config space: %s", name, strerror(-ret));
	if (!f.is_pf)
		return fail(cmd, "%s: no SR-IOV capability", name);
	if (json) {
		struct json_object *o = sriov_json(&f);

		puts(json_object_to_json_string_ext(o,
						    JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		sriov_print_text(&f);
	}
	return EXIT_OK;
}

const struct command cmd_sriov = {
	.name = "sriov",
	.synopsis = "PF [--numvfs N] [--json]",
	.summary = "show a PF's VFs, or enable N of them (0: none)",
	.help = "Show what the PF's SR-IOV capability says and where its VFs\n"
		"are: the sockets uvfiod serves them on (DIR/<pf>-vf<N>.sock),\n"
		"or the kernel's VFs of a vfio:BDF.  With --numvfs, first do what\n"
		"the kernel's sriov_numvfs does: enable N VFs, or remove them\n"
		"all with 0.  To change a non-zero count, go through 0.  VFs in\n"
		"use are waited for (up to --timeout), then stay (EBUSY).  For a\n"
		"kernel PF this writes sysfs (vfio-pci needs enable_sriov=1); for\n"
		"a uvfiod PF it goes through the PF's socket, so the PF must be\n"
		"free, and while VFs are open the PF opens only with the VF token\n"
		"(DEV vf_token=UUID).\n"
		"\n"
		"Options:\n"
		"  -n, --numvfs N     enable N VFs (0: disable)\n"
		"  -j, --json         print one JSON object instead of text\n",
	.run = run_sriov,
};

/* ---- vf-token ---- */

static int run_vf_token(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct {
		struct uvfio_device_feature hdr;
		uuid_t token;
	} f = {
		.hdr = { .argsz = sizeof(f),
			 .flags = UVFIO_DEVICE_FEATURE_SET |
				  UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN },
	};
	struct uvfio_client *c;
	int opt, ret;

	while ((opt = command_getopt(cmd, argc, argv, ":h", longopts)) != -1)
		if (opt == '?')
			return EXIT_USAGE;
	if (argc - optind != 2)
		return usage_error(cmd,
				   argc - optind < 2 ?
					   "need PF and UUID" :
					   "unexpected argument '%s'",
				   argv[argc - 1]);
	if (uuid_parse(argv[optind + 1], f.token))
		return usage_error(cmd, "'%s' is not a UUID", argv[optind + 1]);
	c = open_device(cmd, argv[optind]);
	if (!c)
		return EXIT_FAIL;
	ret = uvfio_client_feature(c, &f.hdr);
	uvfio_client_close(c);
	if (ret)
		return fail(cmd, "%s: VF token: %s", argv[optind],
			    ret == -ENOTTY ?
				    "the device is no PF with a VF token" :
				    strerror(-ret));
	return EXIT_OK;
}

const struct command cmd_vf_token = {
	.name = "vf-token",
	.synopsis = "PF UUID",
	.summary = "set the VF token the PF's VFs are opened with",
	.help = "Set the PF's VF token (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN), the\n"
		"secret a VF's user must present: DEV vf_token=UUID, or\n"
		"--vf-token.  The token cannot be read back.  While VFs are\n"
		"open, the PF itself opens only with the current token.\n",
	.run = run_vf_token,
};
