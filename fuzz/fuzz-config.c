// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as uvfiod's config file
 * (tools/uvfiod-config.c), and each device spec it accepts as the device
 * registry parses it.
 *
 * Oracles: a refused file says where and why on one line ("fuzz.conf:N:
 * ..."); an accepted one, written back out as settings, reads back as the
 * same settings.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "uvfiod-config.h"

static struct uvfiod_config cfg, again;

/* The settings of @c as a config file, in a malloc'd buffer. */
static char *write_back(const struct uvfiod_config *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		abort();
	if (c->socket_dir)
		fprintf(f, "socket-dir %s\n", c->socket_dir);
	if (c->threads)
		fprintf(f, "threads %u\n", c->threads);
	if (c->socket_mode)
		fprintf(f, "socket-mode %o\n", c->socket_mode);
	if (c->socket_chown) {
		fputs("socket-owner ", f);
		if (c->socket_uid != (uid_t)-1)
			fprintf(f, "%u", (unsigned int)c->socket_uid);
		if (c->socket_gid != (gid_t)-1)
			fprintf(f, ":%u", (unsigned int)c->socket_gid);
		fputc('\n', f);
	}
	for (unsigned int i = 0; i < c->nr_specs; i++)
		fprintf(f, "device %s\n", c->specs[i]);
	if (fclose(f))
		abort();
	return text;
}

static int read_text(struct uvfiod_config *c, const void *data, size_t size,
		     char *err, size_t err_len)
{
	FILE *f = fmemopen((void *)data, size, "r");
	int ret;

	if (!f)
		abort();
	ret = uvfiod_config_read(c, f, "fuzz.conf", err, err_len);
	fclose(f);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "", err2[512] = "";
	size_t len;
	char *text;

	if (!size)
		return 0;
	if (read_text(&cfg, data, size, err, sizeof(err))) {
		if (strncmp(err, "fuzz.conf:", 10) || strchr(err, '\n'))
			abort();
		uvfiod_config_release(&cfg);
		memset(&cfg, 0, sizeof(cfg));
		return 0;
	}
	text = write_back(&cfg, &len);
	if (len && read_text(&again, text, len, err2, sizeof(err2)))
		abort();
	if (again.nr_specs != cfg.nr_specs || again.threads != cfg.threads ||
	    again.socket_mode != cfg.socket_mode ||
	    again.socket_chown != cfg.socket_chown ||
	    again.socket_uid != cfg.socket_uid ||
	    again.socket_gid != cfg.socket_gid ||
	    !again.socket_dir != !cfg.socket_dir ||
	    (cfg.socket_dir && strcmp(again.socket_dir, cfg.socket_dir)))
		abort();
	for (unsigned int i = 0; i < cfg.nr_specs; i++) {
		struct device_spec spec;

		if (strcmp(again.specs[i], cfg.specs[i]))
			abort();
		if (!device_spec_parse(cfg.specs[i], &spec, err, sizeof(err)))
			device_spec_free(&spec);
	}
	free(text);
	uvfiod_config_release(&cfg);
	uvfiod_config_release(&again);
	memset(&cfg, 0, sizeof(cfg));
	memset(&again, 0, sizeof(again));
	return 0;
}
