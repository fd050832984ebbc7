/* SPDX-License-Identifier: MIT */
/*
 * uvfiod's settings: from the command line and from a config file, whose
 * lines are "socket-dir DIR", "socket-mode MODE", "socket-owner OWNER",
 * "threads N" and "device SPEC" ('#' starts a comment).
 */
#ifndef UVFIO_TOOLS_UVFIOD_CONFIG_H
#define UVFIO_TOOLS_UVFIOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define UVFIOD_MAX_DEVICES 4096
#define UVFIOD_LINE_MAX 1024

struct uvfiod_config {
	const char *socket_dir;
	char *socket_dir_owned;
	unsigned int socket_mode; /* 0: the server's default, 0600 */
	bool socket_chown;	  /* give the sockets to: */
	uid_t socket_uid;	  /* (uid_t)-1: keep ours */
	gid_t socket_gid;	  /* (gid_t)-1: keep ours */
	unsigned int threads;	  /* 0: the server's default */
	int log_level;
	char *specs[UVFIOD_MAX_DEVICES];
	unsigned int nr_specs;
};

/* Append a device spec (copied): 0, or -1 with a message in @err. */
int uvfiod_config_add_spec(struct uvfiod_config *cfg, const char *spec,
			   char *err, size_t err_len);

/* "1".."64" into @out: 0, or -1. */
int uvfiod_config_threads(const char *text, unsigned int *out);

/* An octal mode, 1 to 0777, into @out: 0, or -1. */
int uvfiod_config_mode(const char *text, unsigned int *out);

/*
 * USER, USER:GROUP or :GROUP, each a name or a number (names first, as
 * chown(1)), into @cfg's socket owner: 0, or -1.
 */
int uvfiod_config_owner(struct uvfiod_config *cfg, const char *text);

/*
 * Read the settings of @f (named @name in messages) into @cfg.  0, or -1
 * with "NAME:LINE: what is wrong" in @err; what was read before the bad
 * line stays in @cfg.
 */
int uvfiod_config_read(struct uvfiod_config *cfg, FILE *f, const char *name,
		       char *err, size_t err_len);

/* Free what @cfg holds (not @cfg). */
void uvfiod_config_release(struct uvfiod_config *cfg);

#endif /* UVFIO_TOOLS_UVFIOD_CONFIG_H */
