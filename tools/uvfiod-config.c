// SPDX-License-Identifier: MIT
/*
 * uvfiod's config file: see uvfiod-config.h.  Its bytes are untrusted
 * (fuzz/fuzz-config.c): every line is bounded and every error named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uvfiod-config.h"

int uvfiod_config_add_spec(struct uvfiod_config *cfg, const char *spec,
			   char *err, size_t err_len)
{
	if (cfg->nr_specs == UVFIOD_MAX_DEVICES) {
		snprintf(err, err_len, "more than %d devices",
			 UVFIOD_MAX_DEVICES);
		return -1;
	}
	cfg->specs[cfg->nr_specs] = strdup(spec);
	if (!cfg->specs[cfg->nr_specs]) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	cfg->nr_specs++;
	return 0;
}

int uvfiod_config_threads(const char *text, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 64)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]))
		*--end = '\0';
	return s;
}

/* One line, comment and blanks removed: 0, or -1 with the reason. */
static int config_line(struct uvfiod_config *cfg, char *line, char *why,
		       size_t why_len)
{
	char *key, *value;

	if (strchr(line, '#'))
		*strchr(line, '#') = '\0';
	key = trim(line);
	if (!*key)
		return 0;
	value = key + strcspn(key, " \t");
	if (*value)
		*value++ = '\0';
	value = trim(value);
	if (!*value) {
		snprintf(why, why_len, "\"%.64s\" needs a value", key);
		return -1;
	}
	if (!strcmp(key, "socket-dir")) {
		char *dir = strdup(value);

		if (!dir) {
			snprintf(why, why_len, "out of memory");
			return -1;
		}
		free(cfg->socket_dir_owned);
		cfg->socket_dir = cfg->socket_dir_owned = dir;
		return 0;
	}
	if (!strcmp(key, "threads")) {
		if (!uvfiod_config_threads(value, &cfg->threads))
			return 0;
		snprintf(why, why_len, "threads must be 1-64");
		return -1;
	}
	if (!strcmp(key, "device"))
		return uvfiod_config_add_spec(cfg, value, why, why_len);
	snprintf(why, why_len, "unknown setting \"%.64s\"", key);
	return -1;
}

int uvfiod_config_read(struct uvfiod_config *cfg, FILE *f, const char *name,
		       char *err, size_t err_len)
{
	unsigned int lineno = 0;
	char *line = NULL, why[160];
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	while (!ret && (n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n - (n && line[n - 1] == '\n');

		lineno++;
		if (len > UVFIOD_LINE_MAX)
			snprintf(why, sizeof(why), "line longer than %d",
				 UVFIOD_LINE_MAX);
		else if (strlen(line) != (size_t)n)
			/* It would hide the rest of the line. */
			snprintf(why, sizeof(why), "a NUL byte");
		else if (!config_line(cfg, line, why, sizeof(why)))
			continue;
		snprintf(err, err_len, "%s:%u: %s", name, lineno, why);
		ret = -1;
	}
	if (!ret && ferror(f)) {
		snprintf(err, err_len, "%s: %s", name, strerror(errno));
		ret = -1;
	}
	free(line);
	return ret;
}

void uvfiod_config_release(struct uvfiod_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nr_specs; i++)
		free(cfg->specs[i]);
	cfg->nr_specs = 0;
	free(cfg->socket_dir_owned);
	cfg->socket_dir_owned = NULL;
}
