// SPDX-License-Identifier: MIT
/*
 * uvfioctl info: everything a VMM learns about a device before using it —
 * device info, region info with capabilities, irq info, the device features
 * it answers to, and what the transport negotiated — as text or JSON.
 *
 * The facts are gathered first (struct report) and printed after, so the
 * text and the JSON cannot say different things.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "uvfioctl-sriov.h"
#include "uvfioctl.h"

struct flag_name {
	uint32_t bit;
	const char *name;
};

static const struct flag_name device_flags[] = {
	{ UVFIO_DEVICE_FLAGS_RESET, "RESET" },
	{ UVFIO_DEVICE_FLAGS_PCI, "PCI" },
	{ UVFIO_DEVICE_FLAGS_PLATFORM, "PLATFORM" },
	{ UVFIO_DEVICE_FLAGS_AMBA, "AMBA" },
	{ UVFIO_DEVICE_FLAGS_CCW, "CCW" },
	{ UVFIO_DEVICE_FLAGS_AP, "AP" },
	{ UVFIO_DEVICE_FLAGS_FSL_MC, "FSL_MC" },
	{ UVFIO_DEVICE_FLAGS_CAPS, "CAPS" },
	{ UVFIO_DEVICE_FLAGS_CDX, "CDX" },
	{ 0, NULL },
};

static const struct flag_name region_flags[] = {
	{ UVFIO_REGION_INFO_FLAG_READ, "READ" },
	{ UVFIO_REGION_INFO_FLAG_WRITE, "WRITE" },
	{ UVFIO_REGION_INFO_FLAG_MMAP, "MMAP" },
	{ UVFIO_REGION_INFO_FLAG_CAPS, "CAPS" },
	{ 0, NULL },
};

static const struct flag_name irq_flags[] = {
	{ UVFIO_IRQ_INFO_EVENTFD, "EVENTFD" },
	{ UVFIO_IRQ_INFO_MASKABLE, "MASKABLE" },
	{ UVFIO_IRQ_INFO_AUTOMASKED, "AUTOMASKED" },
	{ UVFIO_IRQ_INFO_NORESIZE, "NORESIZE" },
	{ 0, NULL },
};

static const struct flag_name mig_flags[] = {
	{ UVFIO_MIGRATION_STOP_COPY, "STOP_COPY" },
	{ UVFIO_MIGRATION_P2P, "P2P" },
	{ UVFIO_MIGRATION_PRE_COPY, "PRE_COPY" },
	{ 0, NULL },
};

static const struct flag_name feature_ops[] = {
	{ UVFIO_DEVICE_FEATURE_GET, "GET" },
	{ UVFIO_DEVICE_FEATURE_SET, "SET" },
	{ 0, NULL },
};

/* Indexed by feature number: the kernel's names without the prefix. */
static const char *const feature_names[] = {
	[UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN] = "PCI_VF_TOKEN",
	[UVFIO_DEVICE_FEATURE_MIGRATION] = "MIGRATION",
	[UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE] = "MIG_DEVICE_STATE",
	[UVFIO_DEVICE_FEATURE_LOW_POWER_ENTRY] = "LOW_POWER_ENTRY",
	[UVFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP] =
		"LOW_POWER_ENTRY_WITH_WAKEUP",
	[UVFIO_DEVICE_FEATURE_LOW_POWER_EXIT] = "LOW_POWER_EXIT",
	[UVFIO_DEVICE_FEATURE_DMA_LOGGING_START] = "DMA_LOGGING_START",
	[UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP] = "DMA_LOGGING_STOP",
	[UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT] = "DMA_LOGGING_REPORT",
	[UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE] = "MIG_DATA_SIZE",
	[UVFIO_DEVICE_FEATURE_BUS_MASTER] = "BUS_MASTER",
	[UVFIO_DEVICE_FEATURE_DMA_BUF] = "DMA_BUF",
	[UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2] = "MIG_PRECOPY_INFOv2",
};

#define NR_FEATURES (sizeof(feature_names) / sizeof(feature_names[0]))

struct region {
	uint32_t index;
	int err; /* GET_REGION_INFO's negative errno, or 0 */
	struct uvfio_region_info *info; /* the whole reply, caps included */
	/* Capabilities found in @info (pointers into it). */
	const struct uvfio_region_info_cap_sparse_mmap *sparse;
	uint32_t nr_areas; /* the areas that lie inside the reply */
	const struct uvfio_region_info_cap_type *type;
	bool msix_mappable;
};

struct feature {
	uint16_t id;
	uint32_t ops; /* UVFIO_DEVICE_FEATURE_GET / _SET */
};

struct report {
	const char *name;
	struct uvfio_device_info dev;
	bool pci;
	struct region *regions;
	uint32_t nr_regions;
	struct uvfio_irq_info *irqs; /* the indexes GET_IRQ_INFO answered */
	uint32_t nr_irqs;
	struct feature features[NR_FEATURES];
	unsigned int nr_features;
	/* Migration, when the device has the MIGRATION feature. */
	bool migration;
	int mig_err; /* getting the flags or the state failed */
	uint64_t mig_flags;
	enum uvfio_device_mig_state mig_state;
	struct uvfio_client_caps caps;
	struct sriov_facts sriov; /* of a PCI device */
};

static void report_free(struct report *r)
{
	for (uint32_t i = 0; i < r->nr_regions; i++)
		free(r->regions[i].info);
	free(r->regions);
	free(r->irqs);
}

/* Find the capabilities info_cap_find() can reach in a region reply. */
static void region_find_caps(const struct command *cmd, struct region *reg)
{
	const struct uvfio_region_info *info = reg->info;
	const struct uvfio_info_cap_header *hdr;
	size_t size = info->argsz, room;

	if (!(info->flags & UVFIO_REGION_INFO_FLAG_CAPS) || !info->cap_offset)
		return;
	hdr = uvfio_info_cap_find(info, size, info->cap_offset,
				  UVFIO_REGION_INFO_CAP_SPARSE_MMAP,
				  sizeof(*reg->sparse));
	if (hdr) {
		reg->sparse = (const void *)hdr;
		room = (size - ((const uint8_t *)hdr - (const uint8_t *)info) -
			sizeof(*reg->sparse)) /
		       sizeof(reg->sparse->areas[0]);
		reg->nr_areas = reg->sparse->nr_areas;
		if (reg->nr_areas > room) {
			fprintf(stderr,
				"uvfioctl: %s: region %" PRIu32
				": sparse mmap claims %" PRIu32
				" areas, the reply holds %zu\n",
				cmd->name, reg->index, reg->nr_areas, room);
			reg->nr_areas = (uint32_t)room;
		}
	}
	hdr = uvfio_info_cap_find(info, size, info->cap_offset,
				  UVFIO_REGION_INFO_CAP_TYPE,
				  sizeof(*reg->type));
	reg->type = (const void *)hdr;
	reg->msix_mappable =
		uvfio_info_cap_find(info, size, info->cap_offset,
				    UVFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
				    sizeof(*hdr)) != NULL;
}

static uint32_t capped(const struct command *cmd, uint32_t n, const char *what)
{
	if (n <= MAX_INDEXES)
		return n;
	fprintf(stderr,
		"uvfioctl: %s: the device reports %" PRIu32
		" %s; showing the first %d\n",
		cmd->name, n, what, MAX_INDEXES);
	return MAX_INDEXES;
}

/* A PROBE failing with one of these means "not supported". */
static bool probe_refused(int err)
{
	return err == -ENOTTY || err == -EINVAL || err == -EOPNOTSUPP ||
	       err == -ENOSYS;
}

static int probe_feature(struct uvfio_client *c, uint16_t id, uint32_t ops)
{
	struct uvfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = id | UVFIO_DEVICE_FEATURE_PROBE | ops,
	};

	return uvfio_client_feature(c, &f);
}

static int gather(const struct command *cmd, struct uvfio_client *c,
		  struct report *r)
{
	uint32_t n;
	int ret;

	r->dev.argsz = sizeof(r->dev);
	ret = uvfio_client_device_info(c, &r->dev);
	if (ret)
		return fail(cmd, "%s: device info: %s", r->name,
			    strerror(-ret));
	r->pci = r->dev.flags & UVFIO_DEVICE_FLAGS_PCI;

	n = capped(cmd, r->dev.num_regions, "regions");
	r->regions = calloc(n ? n : 1, sizeof(*r->regions));
	if (!r->regions)
		return fail(cmd, "%s", strerror(ENOMEM));
	for (uint32_t i = 0; i < n; i++) {
		struct region *reg = &r->regions[r->nr_regions++];

		reg->index = i;
		reg->err = uvfio_client_region_info(c, i, &reg->info);
		if (!reg->err)
			region_find_caps(cmd, reg);
	}

	n = capped(cmd, r->dev.num_irqs, "irq indexes");
	r->irqs = calloc(n ? n : 1, sizeof(*r->irqs));
	if (!r->irqs)
		return fail(cmd, "%s", strerror(ENOMEM));
	for (uint32_t i = 0; i < n; i++) {
		struct uvfio_irq_info *irq = &r->irqs[r->nr_irqs];

		irq->argsz = sizeof(*irq);
		irq->index = i;
		if (!uvfio_client_irq_info(c, irq))
			r->nr_irqs++;
	}

	for (uint16_t id = 0; id < NR_FEATURES; id++) {
		struct feature *f = &r->features[r->nr_features];

		ret = probe_feature(c, id, 0);
		if (ret && probe_refused(ret))
			continue;
		if (ret)
			return fail(cmd, "%s: probing feature %s: %s", r->name,
				    feature_names[id], strerror(-ret));
		f->id = id;
		for (const struct flag_name *op = feature_ops; op->name; op++)
			if (!probe_feature(c, id, op->bit))
				f->ops |= op->bit;
		r->nr_features++;
		if (id == UVFIO_DEVICE_FEATURE_MIGRATION)
			r->migration = true;
	}
	if (r->migration) {
		r->mig_err = uvfio_client_mig_flags(c, &r->mig_flags);
		if (!r->mig_err)
			r->mig_err =
				uvfio_client_mig_get_state(c, &r->mig_state);
	}

	uvfio_client_get_caps(c, &r->caps);
	if (r->pci) {
		ret = sriov_gather(c, device_name_only(r->name), &r->sriov);
		if (ret)
			return fail(cmd, "%s: SR-IOV capability: %s", r->name,
				    strerror(-ret));
	}
	return 0;
}

/* ---- text ---- */

static void print_flags(uint32_t flags, const struct flag_name *names)
{
	const char *sep = "";

	printf("0x%" PRIx32, flags);
	if (!flags)
		return;
	putchar(' ');
	putchar('(');
	for (const struct flag_name *f = names; f->name; f++) {
		if (flags & f->bit) {
			printf("%s%s", sep, f->name);
			sep = "|";
			flags &= ~f->bit;
		}
	}
	if (flags)
		printf("%s0x%" PRIx32, sep, flags);
	putchar(')');
}

static void print_size(uint64_t size)
{
	static const char *const units[] = { "GiB", "MiB", "KiB" };

	printf("0x%" PRIx64, size);
	if (!size)
		return;
	for (int i = 0; i < 3; i++) {
		unsigned int shift = 30 - 10 * i;

		if (!(size & ((1ull << shift) - 1))) {
			printf(" (%" PRIu64 " %s)", size >> shift, units[i]);
			return;
		}
	}
	printf(" (%" PRIu64 " bytes)", size);
}

static void print_region(const struct report *r, const struct region *reg)
{
	const struct uvfio_region_info *info = reg->info;

	printf("Region %" PRIu32, reg->index);
	if (r->pci && pci_region_name(reg->index))
		printf(" (%s)", pci_region_name(reg->index));
	if (reg->err) {
		printf(": error: %s\n", strerror(-reg->err));
		return;
	}
	printf(": size ");
	print_size(info->size);
	printf(", offset 0x%" PRIx64 ", flags ", info->offset);
	print_flags(info->flags, region_flags);
	putchar('\n');
	if (reg->sparse) {
		printf("  Sparse mmap: %" PRIu32 " area%s\n", reg->nr_areas,
		       reg->nr_areas == 1 ? "" : "s");
		for (uint32_t i = 0; i < reg->nr_areas; i++)
			printf("    offset 0x%" PRIx64 ", size 0x%" PRIx64 "\n",
			       reg->sparse->areas[i].offset,
			       reg->sparse->areas[i].size);
	}
	if (reg->type)
		printf("  Type: 0x%" PRIx32 ", subtype 0x%" PRIx32 "\n",
		       reg->type->type, reg->type->subtype);
	if (reg->msix_mappable)
		printf("  MSI-X mappable\n");
}

static void print_text(const struct report *r)
{
	const struct uvfio_client_caps *caps = &r->caps;

	printf("Device: %s\n  Flags: ", r->name);
	print_flags(r->dev.flags, device_flags);
	printf("\n  Regions: %" PRIu32 "\n  IRQs: %" PRIu32 "\n",
	       r->dev.num_regions, r->dev.num_irqs);
	for (uint32_t i = 0; i < r->nr_regions; i++)
		print_region(r, &r->regions[i]);
	for (uint32_t i = 0; i < r->nr_irqs; i++) {
		printf("IRQ %" PRIu32 ": count %" PRIu32 ", flags ",
		       r->irqs[i].index, r->irqs[i].count);
		print_flags(r->irqs[i].flags, irq_flags);
		putchar('\n');
	}
	printf("Features:");
	if (!r->nr_features)
		printf(" none");
	for (unsigned int i = 0; i < r->nr_features; i++) {
		const struct feature *f = &r->features[i];
		const char *sep = " (";

		printf("%s %s", i ? "," : "", feature_names[f->id]);
		for (const struct flag_name *op = feature_ops; op->name; op++) {
			if (f->ops & op->bit) {
				printf("%s%s", sep, op->name);
				sep = "|";
			}
		}
		if (f->ops)
			putchar(')');
	}
	putchar('\n');
	if (r->migration && r->mig_err) {
		printf("Migration: error: %s\n", strerror(-r->mig_err));
	} else if (r->migration) {
		printf("Migration: flags ");
		print_flags((uint32_t)r->mig_flags, mig_flags);
		printf(", state %s\n", uvfio_mig_state_name(r->mig_state));
	}
	sriov_print_text(&r->sriov);
	printf("Protocol: vfio-user %" PRIu16 ".%" PRIu16 "\n", caps->major,
	       caps->minor);
	printf("  max_msg_fds %" PRIu32 ", max_data_xfer_size %" PRIu32
	       ", max_dma_maps %" PRIu32 "\n",
	       caps->max_msg_fds, caps->max_data_xfer_size, caps->max_dma_maps);
	printf("  write_multiple %s, twin_socket %s\n",
	       caps->write_multiple ? "yes" : "no",
	       caps->twin_socket ? "yes" : "no");
}

/* ---- JSON ---- */

static struct json_object *json_flag_names(uint32_t flags,
					   const struct flag_name *names)
{
	struct json_object *arr = json_object_new_array();

	for (const struct flag_name *f = names; f->name; f++)
		if (flags & f->bit)
			json_object_array_add(arr,
					      json_object_new_string(f->name));
	return arr;
}

static void json_add(struct json_object *obj, const char *key,
		     struct json_object *val)
{
	json_object_object_add(obj, key, val);
}

static void json_add_flags(struct json_object *obj, uint32_t flags,
			   const struct flag_name *names)
{
	json_add(obj, "flags", json_object_new_int64(flags));
	json_add(obj, "flag_names", json_flag_names(flags, names));
}

static struct json_object *json_region(const struct report *r,
				       const struct region *reg)
{
	struct json_object *o = json_object_new_object(), *caps, *arr, *t;
	const char *name = r->pci ? pci_region_name(reg->index) : NULL;

	json_add(o, "index", json_object_new_int64(reg->index));
	json_add(o, "name", name ? json_object_new_string(name) : NULL);
	if (reg->err) {
		json_add(o, "error",
			 json_object_new_string(strerror(-reg->err)));
		json_add(o, "errno", json_object_new_int(-reg->err));
		return o;
	}
	json_add(o, "size", json_object_new_uint64(reg->info->size));
	json_add(o, "offset", json_object_new_uint64(reg->info->offset));
	json_add_flags(o, reg->info->flags, region_flags);
	caps = json_object_new_object();
	if (reg->sparse) {
		arr = json_object_new_array();
		for (uint32_t i = 0; i < reg->nr_areas; i++) {
			t = json_object_new_object();
			json_add(t, "offset",
				 json_object_new_uint64(
					 reg->sparse->areas[i].offset));
			json_add(t, "size",
				 json_object_new_uint64(
					 reg->sparse->areas[i].size));
			json_object_array_add(arr, t);
		}
		json_add(caps, "sparse_mmap", arr);
	}
	if (reg->type) {
		t = json_object_new_object();
		json_add(t, "type", json_object_new_int64(reg->type->type));
		json_add(t, "subtype",
			 json_object_new_int64(reg->type->subtype));
		json_add(caps, "type", t);
	}
	if (reg->msix_mappable)
		json_add(caps, "msix_mappable", json_object_new_boolean(1));
	json_add(o, "caps", caps);
	return o;
}

static struct json_object *json_report(const struct report *r)
{
	const struct uvfio_client_caps *caps = &r->caps;
	struct json_object *root = json_object_new_object(), *arr, *o;

	json_add(root, "device", json_object_new_string(r->name));
	json_add_flags(root, r->dev.flags, device_flags);
	json_add(root, "num_regions",
		 json_object_new_int64(r->dev.num_regions));
	json_add(root, "num_irqs", json_object_new_int64(r->dev.num_irqs));

	arr = json_object_new_array();
	for (uint32_t i = 0; i < r->nr_regions; i++)
		json_object_array_add(arr, json_region(r, &r->regions[i]));
	json_add(root, "regions", arr);

	arr = json_object_new_array();
	for (uint32_t i = 0; i < r->nr_irqs; i++) {
		o = json_object_new_object();
		json_add(o, "index", json_object_new_int64(r->irqs[i].index));
		json_add(o, "count", json_object_new_int64(r->irqs[i].count));
		json_add_flags(o, r->irqs[i].flags, irq_flags);
		json_object_array_add(arr, o);
	}
	json_add(root, "irqs", arr);

	arr = json_object_new_array();
	for (unsigned int i = 0; i < r->nr_features; i++) {
		o = json_object_new_object();
		json_add(o, "id", json_object_new_int(r->features[i].id));
		json_add(o, "name",
			 json_object_new_string(
				 feature_names[r->features[i].id]));
		json_add(o, "ops",
			 json_flag_names(r->features[i].ops, feature_ops));
		json_object_array_add(arr, o);
	}
	json_add(root, "features", arr);

	o = NULL;
	if (r->migration) {
		o = json_object_new_object();
		if (r->mig_err) {
			json_add(o, "error",
				 json_object_new_string(strerror(-r->mig_err)));
			json_add(o, "errno", json_object_new_int(-r->mig_err));
		} else {
			json_add_flags(o, (uint32_t)r->mig_flags, mig_flags);
			json_add(o, "state",
				 json_object_new_string(
					 uvfio_mig_state_name(r->mig_state)));
		}
	}
	json_add(root, "migration", o);
	json_add(root, "sriov", sriov_json(&r->sriov));

	o = json_object_new_object();
	json_add(o, "transport", json_object_new_string("vfio-user"));
	json_add(o, "major", json_object_new_int(caps->major));
	json_add(o, "minor", json_object_new_int(caps->minor));
	json_add(o, "max_msg_fds", json_object_new_int64(caps->max_msg_fds));
	json_add(o, "max_data_xfer_size",
		 json_object_new_int64(caps->max_data_xfer_size));
	json_add(o, "max_dma_maps", json_object_new_int64(caps->max_dma_maps));
	json_add(o, "write_multiple",
		 json_object_new_boolean(caps->write_multiple));
	json_add(o, "twin_socket", json_object_new_boolean(caps->twin_socket));
	json_add(root, "protocol", o);
	return root;
}

static int print_json(const struct command *cmd, const struct report *r)
{
	struct json_object *root = json_report(r);
	const char *text =
		root ? json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE) :
		       NULL;
	int ret = EXIT_OK;

	if (text)
		puts(text);
	else
		ret = fail(cmd, "building JSON: %s", strerror(ENOMEM));
	json_object_put(root);
	return ret;
}

static int run_info(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { 0 };
	struct uvfio_client *c;
	bool json = false;
	int opt, ret;

	while ((opt = command_getopt(cmd, argc, argv, ":jh", longopts)) != -1) {
		if (opt == '?')
			return EXIT_USAGE;
		json = true;
	}
	if (one_dev_operand(cmd, argc, argv))
		return EXIT_USAGE;
	r.name = argv[optind];
	c = open_device(cmd, r.name);
	if (!c)
		return EXIT_FAIL;
	ret = gather(cmd, c, &r);
	uvfio_client_close(c);
	if (!ret)
		ret = json ? print_json(cmd, &r) : (print_text(&r), EXIT_OK);
	report_free(&r);
	return ret;
}

const struct command cmd_info = {
	.name = "info",
	.synopsis = "DEV [--json]",
	.summary = "show the device, its regions, irqs, features and protocol",
	.help = "Ask the device what a VMM asks before using it: device info,\n"
		"every region's info with its capabilities (sparse mmap areas,\n"
		"type, MSI-X mappable), every irq index that answers, the\n"
		"device features 0-12 it supports (probed, with GET and SET\n"
		"separately), the migration flags and state of a device that\n"
		"supports migration, and the vfio-user capabilities negotiated.\n"
		"\n"
		"Options:\n"
		"  -j, --json         print one JSON object instead of text\n",
	.run = run_info,
};
