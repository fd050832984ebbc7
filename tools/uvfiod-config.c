// SPDX-License-Identifier: MIT
/*
 * uvfiod's config file: see uvfiod-config.h.  Its bytes are untrusted
 * (fuzz/fuzz-config.c): every line is bounded and every error named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
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

int uvfiod_config_mode(const char *text, unsigned int *out)
{
	char *end;
	long v;

	if (*text < '0' || *text > '7') /* strtol would skip blanks, a sign */
		return -1;
	errno = 0;
	v = strtol(text, &end, 8);
	if (errno || *end || v < 1 || v > 0777)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* A user or group id as digits: 0, or -1 (the all-ones id means "none"). */
static int parse_id(const char *text, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v >= 0xffffffffu)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int user_id(const char *name, uid_t *uid)
{
	struct passwd *pw = getpwnam(name);
	unsigned int id;

	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	if (parse_id(name, &id))
		return -1;
	*uid = id;
	return 0;
}

static int group_id(const char *name, gid_t *gid)
{
	struct group *gr = getgrnam(name);
	unsigned int id;

	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (parse_id(name, &id))
		return -1;
	*gid = id;
	return 0;
}

int uvfiod_config_owner(struct uvfiod_config *cfg, const char *text)
{
	char user[UVFIOD_LINE_MAX + 1];
	const char *colon = strchr(text, ':');
	size_t ulen = colon ? (size_t)(colon - text) : strlen(text);
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (ulen >= sizeof(user) || (!ulen && (!colon || !colon[1])))
		return -1;
	memcpy(user, text, ulen);
	user[ulen] = '\0';
	if ((ulen && user_id(user, &uid)) ||
	    (colon && (!colon[1] || group_id(colon + 1, &gid))))
		return -1;
	cfg->socket_chown = true;
	cfg->socket_uid = uid;
	cfg->socket_gid = gid;
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
	if (!strcmp(key, "socket-mode")) {
		if (!uvfiod_config_mode(value, &cfg->socket_mode))
			return 0;
		snprintf(why, why_len, "socket-mode must be octal, 1 to 0777");
		return -1;
	}
	if (!strcmp(key, "socket-owner")) {
		if (!uvfiod_config_owner(cfg, value))
			return 0;
		snprintf(why, why_len,
			 "socket-owner \"%.64s\" is no USER[:GROUP]", value);
		return -1;
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
