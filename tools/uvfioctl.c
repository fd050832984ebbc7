// SPDX-License-Identifier: MIT
/*
 * uvfioctl: inspect and access VFIO devices through the client library.
 *
 * This file is the front end (global options, command dispatch) and the
 * helpers the commands share: number and region parsing, error reporting.
 * The commands live in uvfioctl-info.c, uvfioctl-access.c, uvfioctl-mig.c
 * (save, load), uvfioctl-migrate.c (migrate) and uvfioctl-net.c (receive,
 * and migrate's tcp: destination).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uvfioctl.h"

#ifndef UVFIO_VERSION
#define UVFIO_VERSION "unknown"
#endif

static const struct command *const commands[] = {
	&cmd_info,  &cmd_read,	&cmd_write,    &cmd_lspci,
	&cmd_save,  &cmd_load,	&cmd_migrate,  &cmd_receive,
	&cmd_check, &cmd_sriov, &cmd_vf_token,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Set by --timeout; 0 lets the library pick. */
static int timeout_ms;
/* Set by --vf-token: the VF token of devices that name none. */
static const char *vf_token;

#define TOKEN_OPT " vf_token="
#define UUID_LEN 36

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: uvfioctl [OPTIONS] COMMAND [ARGS...]\n"
		"\n"
		"Inspect, access, migrate and check VFIO devices: served over\n"
		"vfio-user (uvfiod), or the kernel's own.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-7s %s\n          %s\n", commands[i]->name,
			commands[i]->synopsis, commands[i]->summary);
	fprintf(out,
		"  help    [COMMAND]\n"
		"          this text, or the help of COMMAND\n"
		"\n"
		"DEV names a device: a socket path or unix:PATH (vfio-user),\n"
		"vfio:DDDD:BB:DD.F (vfio-pci) or mdev:UUID (the kernel), optionally\n"
		"followed by \" vf_token=UUID\", as the kernel's names: the VF token\n"
		"to open it with.  REGION is an index\n"
		"or a vfio-pci region name (bar0-bar5, rom, config, vga).  Numbers are\n"
		"decimal, or hexadecimal with a 0x prefix.  SRC and DST are devices\n"
		"too; migrate's DST may also be tcp:HOST:PORT, where a receive waits.\n"
		"\n"
		"Options:\n"
		"  -t, --timeout MS   wait at most MS milliseconds for each reply\n"
		"                     (default 5000)\n"
		"      --vf-token UUID  open devices with this VF token (SR-IOV\n"
		"                     VFs, and PFs whose VFs are open)\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         print this text and exit\n"
		"\n"
		"Every command takes --help.  Exit status: 0 success, 1 device or\n"
		"operation error, 2 usage error.\n");
}

void command_help(const struct command *cmd)
{
	printf("Usage: uvfioctl %s %s\n\n%s", cmd->name, cmd->synopsis,
	       cmd->help);
	printf("  -h, --help         print this text and exit\n");
}

__attribute__((format(printf, 2, 0))) static void
vreport(const struct command *cmd, const char *fmt, va_list ap)
{
	fputs("uvfioctl: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "Try 'uvfioctl %s --help'.\n", cmd->name);
	else
		fprintf(stderr, "Try 'uvfioctl --help'.\n");
	return EXIT_USAGE;
}

int fail(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

/* Report what getopt_long() found wrong with argv[optind - 1]. */
static void option_error(const struct command *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		usage_error(cmd, "option '%s' needs a value", arg);
	else if (optopt && strncmp(arg, "--", 2))
		usage_error(cmd, "unknown option '-%c'", optopt);
	else
		usage_error(cmd, "unknown or misused option '%s'", arg);
}

int command_getopt(const struct command *cmd, int argc, char **argv,
		   const char *shortopts, const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == 'h') {
		command_help(cmd);
		exit(fflush(stdout) ? EXIT_FAIL : EXIT_OK);
	}
	if (c == '?' || c == ':') {
		option_error(cmd, c, argv);
		return '?';
	}
	return c;
}

int parse_u64(const char *text, uint64_t *out)
{
	unsigned long long v;
	const char *digits = text;
	int base = 10;
	char *end;

	if (!strncasecmp(text, "0x", 2)) {
		digits = text + 2;
		base = 16;
	}
	/* strtoull() would take a sign or blanks; only digits are numbers. */
	if (!(base == 16 ? isxdigit((unsigned char)*digits) :
			   isdigit((unsigned char)*digits)))
		return -EINVAL;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static const char *const pci_regions[UVFIO_PCI_NUM_REGIONS] = {
	[UVFIO_PCI_BAR0_REGION_INDEX] = "BAR0",
	[UVFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
	[UVFIO_PCI_BAR2_REGION_INDEX] = "BAR2",
	[UVFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
	[UVFIO_PCI_BAR4_REGION_INDEX] = "BAR4",
	[UVFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
	[UVFIO_PCI_ROM_REGION_INDEX] = "ROM",
	[UVFIO_PCI_CONFIG_REGION_INDEX] = "CONFIG",
	[UVFIO_PCI_VGA_REGION_INDEX] = "VGA",
};

const char *pci_region_name(uint32_t index)
{
	return index < UVFIO_PCI_NUM_REGIONS ? pci_regions[index] : NULL;
}

int parse_region(const char *text, uint32_t *out)
{
	uint64_t v;
	int ret;

	for (uint32_t i = 0; i < UVFIO_PCI_NUM_REGIONS; i++) {
		if (!strcasecmp(text, pci_regions[i])) {
			*out = i;
			return 0;
		}
	}
	ret = parse_u64(text, &v);
	if (ret)
		return ret;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int one_dev_operand(const struct command *cmd, int argc, char **argv)
{
	if (optind == argc)
		return usage_error(cmd, "missing DEV");
	if (argc - optind > 1)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 1]);
	return 0;
}

int reply_timeout_ms(void)
{
	return timeout_ms ? timeout_ms : 5000;
}

const char *device_name_only(const char *name)
{
	static char buf[PATH_MAX];
	const char *opt = strstr(name, TOKEN_OPT);

	if (!opt)
		return name;
	snprintf(buf, sizeof(buf), "%.*s", (int)(opt - name), name);
	return buf;
}

struct uvfio_client *open_client(const char *name)
{
	struct uvfio_client_opts opts = { .timeout_ms = timeout_ms,
					  .vf_token = vf_token };
	const char *opt = strstr(name, TOKEN_OPT);
	char token[UUID_LEN + 1];

	if (opt) {
		/* Exactly a UUID, as the kernel's parser wants. */
		opt += strlen(TOKEN_OPT);
		if (strlen(opt) != UUID_LEN) {
			errno = EINVAL;
			return NULL;
		}
		memcpy(token, opt, sizeof(token));
		opts.vf_token = token;
	}
	return uvfio_client_open(device_name_only(name), &opts);
}

struct uvfio_client *open_device(const struct command *cmd, const char *name)
{
	struct uvfio_client *c = open_client(name);

	if (!c) {
		const char *why = uvfio_client_open_error();

		fail(cmd, "%s: %s", name, why ? why : strerror(errno));
	}
	return c;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* "help [COMMAND]" */
static int run_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return usage_error(NULL, "help: unexpected argument '%s'",
				   argv[2]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error(NULL, "help: unknown command '%s'", argv[1]);
	command_help(cmd);
	return EXIT_OK;
}

static int parse_timeout(const char *text)
{
	uint64_t v;

	if (parse_u64(text, &v) || v < 1 || v > INT_MAX)
		return usage_error(NULL, "bad timeout '%s' (1 to %d ms)", text,
				   INT_MAX);
	timeout_ms = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "vf-token", required_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	int c, status;

	opterr = 0;
	/* '+': the options before the command are the tool's own. */
	while ((c = getopt_long(argc, argv, "+:t:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_timeout(optarg))
				return EXIT_USAGE;
			break;
		case 'k':
			vf_token = optarg;
			break;
		case 'V':
			printf("uvfioctl %s\n", UVFIO_VERSION);
			return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
		case 'h':
			usage(stdout);
			return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
		default:
			option_error(NULL, c, argv);
			return EXIT_USAGE;
		}
	}
	if (optind == argc)
		return usage_error(NULL, "no command given");
	/* A dead server must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "help")) {
		status = run_help(argc, argv);
	} else {
		cmd = find_command(argv[0]);
		if (!cmd)
			return usage_error(NULL, "unknown command '%s'",
					   argv[0]);
		optind = 0; /* restart getopt on the command's arguments */
		status = cmd->run(cmd, argc, argv);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "uvfioctl: writing output: %s\n",
			strerror(errno));
		return EXIT_FAIL;
	}
	return status;
}
