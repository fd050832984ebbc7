// SPDX-License-Identifier: MIT
/*
 * uvfiod: host devices and serve each on its own vfio-user socket.
 *
 * Runs in the foreground, logs to stderr, and on SIGINT or SIGTERM drops
 * its clients, removes its sockets and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uvfio/uvfio.h>

#include "registry.h"

#define MAX_DEVICES 4096
#define LINE_MAX_LEN 1024

struct config {
	const char *socket_dir;
	char *socket_dir_owned;
	unsigned int threads;
	int log_level;
	char *specs[MAX_DEVICES];
	unsigned int nr_specs;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: uvfiod --socket-dir DIR --device SPEC [--device SPEC...]\n"
		"       uvfiod --config FILE\n"
		"\n"
		"Serve software VFIO devices over vfio-user, one socket per device:\n"
		"DIR/NAME.sock.  Runs in the foreground until SIGINT or SIGTERM.\n"
		"\n"
		"  -s, --socket-dir DIR   where to create the sockets\n"
		"  -d, --device SPEC      a device: TYPE,id=NAME[,key=value...]\n"
		"  -c, --config FILE      read settings from FILE (lines: 'socket-dir DIR',\n"
		"                         'threads N', 'device SPEC'; '#' starts a comment)\n"
		"  -t, --threads N        worker threads (default 2)\n"
		"  -v, --verbose          log more (twice for debug)\n"
		"  -h, --help             this text\n"
		"\n"
		"Device types:\n");
	for (const char *const *t = device_type_help; *t; t++)
		fprintf(out, "  %s\n", *t);
}

static int add_spec(struct config *cfg, const char *spec)
{
	if (cfg->nr_specs == MAX_DEVICES) {
		fprintf(stderr, "uvfiod: more than %d devices\n", MAX_DEVICES);
		return -1;
	}
	cfg->specs[cfg->nr_specs] = strdup(spec);
	if (!cfg->specs[cfg->nr_specs])
		return -1;
	cfg->nr_specs++;
	return 0;
}

static int parse_threads(const char *text, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < 1 || v > 64)
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

static int read_config(struct config *cfg, const char *path)
{
	char line[LINE_MAX_LEN + 2];
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		fprintf(stderr, "uvfiod: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		char *key, *value;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "uvfiod: %s:%u: line longer than %d\n",
				path, lineno, LINE_MAX_LEN);
			ret = -1;
			break;
		}
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		key = trim(line);
		if (!*key)
			continue;
		value = key + strcspn(key, " \t");
		if (*value)
			*value++ = '\0';
		value = trim(value);
		if (!*value) {
			fprintf(stderr, "uvfiod: %s:%u: \"%s\" needs a value\n",
				path, lineno, key);
			ret = -1;
		} else if (!strcmp(key, "socket-dir")) {
			free(cfg->socket_dir_owned);
			cfg->socket_dir = cfg->socket_dir_owned = strdup(value);
		} else if (!strcmp(key, "threads")) {
			if (parse_threads(value, &cfg->threads)) {
				fprintf(stderr,
					"uvfiod: %s:%u: threads must be 1-64\n",
					path, lineno);
				ret = -1;
			}
		} else if (!strcmp(key, "device")) {
			ret = add_spec(cfg, value);
		} else {
			fprintf(stderr,
				"uvfiod: %s:%u: unknown setting \"%s\"\n", path,
				lineno, key);
			ret = -1;
		}
	}
	fclose(f);
	return ret;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "socket-dir", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "s:d:c:t:vh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			cfg->socket_dir = optarg;
			break;
		case 'd':
			if (add_spec(cfg, optarg))
				return -1;
			break;
		case 'c':
			if (read_config(cfg, optarg))
				return -1;
			break;
		case 't':
			if (parse_threads(optarg, &cfg->threads)) {
				fprintf(stderr,
					"uvfiod: --threads must be 1-64\n");
				return -1;
			}
			break;
		case 'v':
			cfg->log_level = cfg->log_level < UVFIO_LOG_INFO ?
						 UVFIO_LOG_INFO :
						 UVFIO_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uvfiod: unexpected argument \"%s\"\n",
			argv[optind]);
		return -1;
	}
	if (!cfg->socket_dir || !cfg->nr_specs) {
		fprintf(stderr,
			"uvfiod: need --socket-dir and at least one --device (see --help)\n");
		return -1;
	}
	return 0;
}

/*
 * Each device takes a listening socket and a connection: a thousand
 * devices need more descriptors than the usual soft limit of 1024.  Take
 * what the hard limit allows, as servers do.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct config cfg = { .log_level = UVFIO_LOG_WARNING };
	struct uvfio_device *devs[MAX_DEVICES] = { 0 };
	struct uvfio_server *srv = NULL;
	int status = 1, sig;
	sigset_t sigs;

	if (parse_args(argc, argv, &cfg))
		goto out;
	/* Every thread inherits this mask; only sigwait() below sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	srv = uvfio_server_new(
		&(struct uvfio_server_opts){ .threads = cfg.threads });
	if (!srv) {
		fprintf(stderr, "uvfiod: %s\n", strerror(errno));
		goto out;
	}
	for (unsigned int i = 0; i < cfg.nr_specs; i++) {
		struct device_spec spec;
		char err[256], path[PATH_MAX];
		int ret;

		if (device_spec_parse(cfg.specs[i], &spec, err, sizeof(err))) {
			fprintf(stderr, "uvfiod: %s\n", err);
			goto out;
		}
		devs[i] = device_spec_create(&spec, err, sizeof(err));
		if (!devs[i]) {
			fprintf(stderr, "uvfiod: %s\n", err);
			device_spec_free(&spec);
			goto out;
		}
		uvfio_device_set_log(devs[i], NULL, NULL,
				     (enum uvfio_log_level)cfg.log_level);
		snprintf(path, sizeof(path), "%s/%s.sock", cfg.socket_dir,
			 spec.id);
		device_spec_free(&spec);
		ret = uvfio_server_add_device(srv, devs[i], path);
		if (ret) {
			fprintf(stderr, "uvfiod: %s: %s\n", path,
				strerror(-ret));
			goto out;
		}
		fprintf(stderr, "uvfiod: serving %s on %s\n", cfg.specs[i],
			path);
	}
	if (uvfio_server_start(srv)) {
		fprintf(stderr, "uvfiod: cannot start threads\n");
		goto out;
	}
	fprintf(stderr, "uvfiod: ready, %u device(s)\n", cfg.nr_specs);
	while (sigwait(&sigs, &sig))
		;
	fprintf(stderr, "uvfiod: %s, shutting down\n", strsignal(sig));
	status = 0;
out:
	uvfio_server_destroy(srv);
	for (unsigned int i = 0; i < cfg.nr_specs; i++) {
		uvfio_device_destroy(devs[i]);
		free(cfg.specs[i]);
	}
	free(cfg.socket_dir_owned);
	return status;
}
