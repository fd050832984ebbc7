/* SPDX-License-Identifier: MIT */
/*
 * uvfioctl: what the command files share with the front end.
 */
#ifndef UVFIOCTL_H
#define UVFIOCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <uvfio/uvfio.h>

/* Exit statuses */
#define EXIT_OK 0
#define EXIT_FAIL 1  /* the device or the operation failed */
#define EXIT_USAGE 2 /* the command line is wrong */

/* The most region and irq indexes `info` asks about. */
#define MAX_INDEXES 256

struct command {
	const char *name;
	const char *synopsis; /* the arguments, after the name */
	const char *summary;  /* one line for the tool's --help */
	const char *help;     /* the rest of the command's --help */
	int (*run)(const struct command *cmd, int argc, char **argv);
};

extern const struct command cmd_info, cmd_read, cmd_write, cmd_lspci;
extern const struct command cmd_save, cmd_load, cmd_migrate, cmd_receive;
extern const struct command cmd_check, cmd_sriov, cmd_vf_token;

/* Print the command's --help to stdout. */
void command_help(const struct command *cmd);

/*
 * getopt_long() over a command's arguments (argv[0] is the command name),
 * with @shortopts starting with ':'.  Handles -h/--help (prints the
 * command's help, exits 0); an unknown option or a missing value prints a
 * usage error and gives '?'.  Otherwise as getopt_long().
 */
struct option;
int command_getopt(const struct command *cmd, int argc, char **argv,
		   const char *shortopts, const struct option *longopts);

/* Print "uvfioctl: CMD: message" and a hint to stderr; returns EXIT_USAGE. */
int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * After the options, exactly one operand, DEV, at argv[optind]: 0, or
 * EXIT_USAGE once the usage error is printed.
 */
int one_dev_operand(const struct command *cmd, int argc, char **argv);

/* Print "uvfioctl: CMD: message" to stderr; returns EXIT_FAIL. */
int fail(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parse an unsigned number: decimal, or hex after "0x".  The whole string
 * must be the number, and it must fit 64 bits.  0 or -EINVAL / -ERANGE.
 */
int parse_u64(const char *text, uint64_t *out);

/* A region index, or a vfio-pci name (bar0..bar5, rom, config, vga). */
int parse_region(const char *text, uint32_t *out);

/* The vfio-pci name of region @index ("BAR0" ... "VGA"), or NULL. */
const char *pci_region_name(uint32_t index);

/* Open @name for @cmd, or print why not and return NULL. */
struct uvfio_client *open_device(const struct command *cmd, const char *name);

/*
 * Open @name with the tool's options; NULL with errno set, printing
 * nothing.  @name may end in " vf_token=UUID", as the kernel's device
 * names do: that device's VF token, in place of --vf-token's.
 */
struct uvfio_client *open_client(const char *name);

/* --timeout, or the library's default: how long a reply may take. */
int reply_timeout_ms(void);

/* @name without its " vf_token=UUID" (a static buffer). */
const char *device_name_only(const char *name);

/* A migration state's name without the prefix ("RUNNING"), or "?". */

#endif /* UVFIOCTL_H */
