// SPDX-License-Identifier: MIT
/*
 * uvfioctl read / write / lspci: region access through messages.
 *
 * Values are little-endian in the region, as PCI registers are: "read
 * --width 4" of bytes 44 33 22 11 prints 0x11223344 on any host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uvfioctl.h"

#define PCI_CONFIG_MAX 4096

struct access {
	const char *dev;
	uint32_t region;
	uint64_t offset;
	uint64_t value;
	unsigned int width;
	bool read_back; /* write: read the value back on the same connection */
};

static int parse_width(const struct command *cmd, const char *text,
		       unsigned int *width)
{
	uint64_t v;

	if (parse_u64(text, &v) || (v != 1 && v != 2 && v != 4 && v != 8))
		return usage_error(cmd, "bad width '%s' (1, 2, 4 or 8)", text);
	*width = (unsigned int)v;
	return 0;
}

static int parse_number(const struct command *cmd, const char *what,
			const char *text, uint64_t *out)
{
	int ret = parse_u64(text, out);

	if (ret == -ERANGE)
		return usage_error(cmd, "%s '%s' does not fit 64 bits", what,
				   text);
	if (ret)
		return usage_error(cmd, "bad %s '%s' (decimal, or hex with 0x)",
				   what, text);
	return 0;
}

/* DEV REGION OFFSET [VALUE] [--width N]; VALUE when @write. */
static int parse_access(const struct command *cmd, int argc, char **argv,
			bool write, struct access *a)
{
	static const struct option longopts[] = {
		{ "width", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "read-back", no_argument, NULL, 'r' }, /* write only */
		{ NULL, 0, NULL, 0 },
	};
	static const struct option read_longopts[] = {
		{ "width", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *const names[] = { "DEV", "REGION", "OFFSET", "VALUE" };
	int need = write ? 4 : 3, opt, ret;
	char **pos;

	a->width = 4;
	a->read_back = false;
	while ((opt = command_getopt(cmd, argc, argv, write ? ":w:hr" : ":w:h",
				     write ? longopts : read_longopts)) != -1) {
		if (opt == '?')
			return EXIT_USAGE;
		if (opt == 'r')
			a->read_back = true;
		else if (parse_width(cmd, optarg, &a->width))
			return EXIT_USAGE;
	}
	if (argc - optind < need)
		return usage_error(cmd, "missing %s", names[argc - optind]);
	if (argc - optind > need)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + need]);
	pos = argv + optind;
	a->dev = pos[0];
	ret = parse_region(pos[1], &a->region);
	if (ret == -ERANGE)
		return usage_error(cmd, "region '%s' is out of range", pos[1]);
	if (ret)
		return usage_error(
			cmd,
			"bad region '%s' (an index, or bar0-bar5, rom, config, vga)",
			pos[1]);
	if (parse_number(cmd, "offset", pos[2], &a->offset))
		return EXIT_USAGE;
	if (!write)
		return 0;
	if (parse_number(cmd, "value", pos[3], &a->value))
		return EXIT_USAGE;
	if (a->width < 8 && a->value >> (8 * a->width))
		return usage_error(cmd, "value %s does not fit %u byte%s",
				   pos[3], a->width, a->width > 1 ? "s" : "");
	return 0;
}

/* Region @index's info, or an error naming why the region is unusable. */
static int region_info(const struct command *cmd, struct uvfio_client *c,
		       const char *dev, uint32_t index,
		       struct uvfio_region_info **info)
{
	struct uvfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	int ret = uvfio_client_device_info(c, &dinfo);

	if (ret)
		return fail(cmd, "%s: device info: %s", dev, strerror(-ret));
	if (index >= dinfo.num_regions)
		return fail(cmd,
			    "%s: region %" PRIu32
			    " does not exist (the device has %" PRIu32
			    " region%s)",
			    dev, index, dinfo.num_regions,
			    dinfo.num_regions == 1 ? "" : "s");
	ret = uvfio_client_region_info(c, index, info);
	if (ret)
		return fail(cmd, "%s: region %" PRIu32 " info: %s", dev, index,
			    strerror(-ret));
	return 0;
}

/* Check that the access fits the region before asking the device. */
static int check_access(const struct command *cmd, const struct access *a,
			const struct uvfio_region_info *info, bool write)
{
	uint32_t need = write ? UVFIO_REGION_INFO_FLAG_WRITE :
				UVFIO_REGION_INFO_FLAG_READ;

	if (!info->size)
		return fail(cmd,
			    "%s: region %" PRIu32
			    " is not implemented (size 0)",
			    a->dev, a->region);
	if (!(info->flags & need))
		return fail(cmd, "%s: region %" PRIu32 " is not %s", a->dev,
			    a->region, write ? "writable" : "readable");
	if (a->offset >= info->size || info->size - a->offset < a->width)
		return fail(cmd,
			    "offset 0x%" PRIx64
			    " + %u is beyond region %" PRIu32
			    " (size 0x%" PRIx64 ")",
			    a->offset, a->width, a->region, info->size);
	return 0;
}

static int access_failed(const struct command *cmd, const struct access *a,
			 const char *op, ssize_t err)
{
	return fail(cmd, "%s: %s region %" PRIu32 " offset 0x%" PRIx64 ": %s",
		    a->dev, op, a->region, a->offset, strerror((int)-err));
}

/* The access itself, once the arguments and the region are checked. */
static int access_region(const struct command *cmd, struct uvfio_client *c,
			 const struct access *a, bool write)
{
	uint8_t buf[8];
	uint64_t v = 0;
	ssize_t n;

	if (write) {
		for (unsigned int i = 0; i < a->width; i++)
			buf[i] = (uint8_t)(a->value >> (8 * i));
		n = uvfio_client_region_write(c, a->region, a->offset, buf,
					      a->width);
		if (n < 0)
			return access_failed(cmd, a, "writing", n);
		if (!a->read_back)
			return EXIT_OK;
	}
	n = uvfio_client_region_read(c, a->region, a->offset, buf, a->width);
	if (n < 0)
		return access_failed(cmd, a, "reading", n);
	for (unsigned int i = 0; i < a->width; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	printf("0x%0*" PRIx64 "\n", (int)(2 * a->width), v);
	return EXIT_OK;
}

static int run_access(const struct command *cmd, int argc, char **argv,
		      bool write)
{
	struct uvfio_region_info *info = NULL;
	struct uvfio_client *c;
	struct access a;
	int ret;

	ret = parse_access(cmd, argc, argv, write, &a);
	if (ret)
		return ret;
	c = open_device(cmd, a.dev);
	if (!c)
		return EXIT_FAIL;
	ret = region_info(cmd, c, a.dev, a.region, &info);
	if (!ret)
		ret = check_access(cmd, &a, info, write);
	free(info);
	if (!ret)
		ret = access_region(cmd, c, &a, write);
	uvfio_client_close(c);
	return ret;
}

static int run_read(const struct command *cmd, int argc, char **argv)
{
	return run_access(cmd, argc, argv, false);
}

static int run_write(const struct command *cmd, int argc, char **argv)
{
	return run_access(cmd, argc, argv, true);
}

#define ACCESS_HELP                                                          \
	"REGION is a region index, or a vfio-pci region name: bar0-bar5,\n"  \
	"rom, config, vga (any case).  Numbers are decimal, or hex with a\n" \
	"0x prefix.  Values are little-endian in the region.\n"              \
	"\n"                                                                 \
	"Options:\n"                                                         \
	"  -w, --width N      access N bytes: 1, 2, 4 (default) or 8\n"

const struct command cmd_read = {
	.name = "read",
	.synopsis = "DEV REGION OFFSET [--width N]",
	.summary = "read a value from a region and print it in hex",
	.help = "Read N bytes at OFFSET of region REGION and print them as one\n"
		"hex number of 2N digits.\n"
		"\n" ACCESS_HELP,
	.run = run_read,
};

const struct command cmd_write = {
	.name = "write",
	.synopsis = "DEV REGION OFFSET VALUE [--width N] [--read-back]",
	.summary = "write a value to a region",
	.help = "Write VALUE as N bytes at OFFSET of region REGION.  VALUE must\n"
		"fit N bytes.  --read-back reads the value back on the same\n"
		"connection (the device keeps its state between connections,\n"
		"so a later read sees it too).\n"
		"\n" ACCESS_HELP
		"  -r, --read-back    then read the same N bytes and print them\n",
	.run = run_write,
};

/* ---- lspci ---- */

/* Read @len bytes of config space as lspci reads it: in dwords. */
static int read_config(struct uvfio_client *c, uint8_t *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t n = len - off >= 4 ? 4 : 1;
		ssize_t ret = uvfio_client_region_read(
			c, UVFIO_PCI_CONFIG_REGION_INDEX, off, buf + off, n);

		if (ret < 0)
			return (int)ret;
		off += n;
	}
	return 0;
}

static unsigned int get16(const uint8_t *p)
{
	return p[0] | (unsigned int)p[1] << 8;
}

/*
 * The format of `lspci -nxxx` (or -nxxxx), which `lspci -F FILE` reads
 * back: a "BB:DD.F " line, then lines of "OFF:" and 16 " xx" bytes, then
 * an empty line.
 */
static void print_dump(const uint8_t *cfg, size_t len)
{
	printf("00:00.0 %04x: %04x:%04x", get16(cfg + 0x0a), get16(cfg),
	       get16(cfg + 0x02));
	if (cfg[0x08])
		printf(" (rev %02x)", cfg[0x08]);
	putchar('\n');
	for (size_t i = 0; i < len; i++) {
		if (!(i % 16))
			printf("%02zx:", i);
		printf(" %02x", cfg[i]);
		if (i % 16 == 15 || i == len - 1)
			putchar('\n');
	}
	putchar('\n');
}

static int run_lspci(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const uint32_t index = UVFIO_PCI_CONFIG_REGION_INDEX;
	struct uvfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct uvfio_region_info *info = NULL;
	uint8_t cfg[PCI_CONFIG_MAX] = { 0 };
	struct uvfio_client *c;
	const char *dev;
	size_t len;
	int ret;

	/* --help is the only option, and command_getopt() handles it. */
	if (command_getopt(cmd, argc, argv, ":h", longopts) != -1)
		return EXIT_USAGE;
	if (one_dev_operand(cmd, argc, argv))
		return EXIT_USAGE;
	dev = argv[optind];
	c = open_device(cmd, dev);
	if (!c)
		return EXIT_FAIL;
	ret = uvfio_client_device_info(c, &dinfo);
	if (ret) {
		ret = fail(cmd, "%s: device info: %s", dev, strerror(-ret));
		goto out;
	}
	if (!(dinfo.flags & UVFIO_DEVICE_FLAGS_PCI) ||
	    dinfo.num_regions <= index) {
		ret = fail(cmd, "%s is not a PCI device: no PCI config space",
			   dev);
		goto out;
	}
	ret = uvfio_client_region_info(c, index, &info);
	if (ret) {
		ret = fail(cmd, "%s: config region info: %s", dev,
			   strerror(-ret));
		goto out;
	}
	if (!info->size || !(info->flags & UVFIO_REGION_INFO_FLAG_READ)) {
		ret = fail(cmd,
			   "%s has no PCI config space (region %" PRIu32
			   " is %s)",
			   dev, index,
			   info->size ? "not readable" : "not implemented");
		goto out;
	}
	len = info->size < PCI_CONFIG_MAX ? (size_t)info->size : PCI_CONFIG_MAX;
	ret = read_config(c, cfg, len);
	if (ret) {
		ret = fail(cmd, "%s: reading config space: %s", dev,
			   strerror(-ret));
		goto out;
	}
	print_dump(cfg, len);
	ret = EXIT_OK;
out:
	free(info);
	uvfio_client_close(c);
	return ret;
}

const struct command cmd_lspci = {
	.name = "lspci",
	.synopsis = "DEV",
	.summary = "dump PCI config space in the format lspci -F reads",
	.help = "Read the PCI config region (index 7: 256 bytes, or up to 4096\n"
		"when the region is that large) and print it as `lspci -nxxx`\n"
		"does, as device 00:00.0.  Decode it with:\n"
		"\n"
		"  uvfioctl lspci DEV > dump && lspci -vv -F dump\n"
		"\n"
		"Fails with status 1 when the device has no PCI config space.\n"
		"\n"
		"Options:\n",
	.run = run_lspci,
};
