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
#include "uvfiod-config.h"

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
		"                         'socket-mode MODE', 'socket-owner USER[:GROUP]',\n"
		"                         'threads N', 'device SPEC'; '#' starts a comment)\n"
		"      --socket-mode MODE the sockets' mode, octal (default 0600)\n"
		"      --socket-owner USER[:GROUP]  give the sockets to USER, GROUP\n"
		"  -t, --threads N        worker threads (default 2)\n"
		"  -v, --verbose          log more (twice for debug)\n"
		"  -h, --help             this text\n"
		"\n"
		"Device types:\n");
	for (const char *const *t = device_type_help; *t; t++)
		fprintf(out, "  %s\n", *t);
}

static int read_config_file(struct uvfiod_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char err[512];
	int ret;

	if (!f) {
		fprintf(stderr, "uvfiod: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = uvfiod_config_read(cfg, f, path, err, sizeof(err));
	if (ret)
		fprintf(stderr, "uvfiod: %s\n", err);
	fclose(f);
	return ret;
}

static int parse_args(int argc, char **argv, struct uvfiod_config *cfg)
{
	static const struct option longopts[] = {
		{ "socket-dir", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "socket-owner", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;

	while ((c = getopt_long(argc, argv, "s:d:c:t:vh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			cfg->socket_dir = optarg;
			break;
		case 'd':
			if (uvfiod_config_add_spec(cfg, optarg, err,
						   sizeof(err))) {
				fprintf(stderr, "uvfiod: %s\n", err);
				return -1;
			}
			break;
		case 'c':
			if (read_config_file(cfg, optarg))
				return -1;
			break;
		case 'm':
			if (uvfiod_config_mode(optarg, &cfg->socket_mode)) {
				fprintf(stderr, "uvfiod: --socket-mode must be "
						"octal, 1 to 0777\n");
				return -1;
			}
			break;
		case 'o':
			if (uvfiod_config_owner(cfg, optarg)) {
				fprintf(stderr,
					"uvfiod: --socket-owner \"%s\" is no "
					"USER[:GROUP]\n",
					optarg);
				return -1;
			}
			break;
		case 't':
			if (uvfiod_config_threads(optarg, &cfg->threads)) {
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

/* A PF's VFs are served as they come, at DIR/<pf>-vf<N>.sock. */
struct vf_service {
	struct uvfio_server *srv;
	const char *socket_dir;
	char pf_id[128];
	int log_level;
};

static int serve_vf(struct uvfio_pci *pf, struct uvfio_pci *vf,
		    unsigned int index, bool added, void *opaque)
{
	struct vf_service *svc = opaque;
	struct uvfio_device *dev = uvfio_pci_device(vf);
	char path[PATH_MAX];
	int ret;

	(void)pf;
	if (!added) {
		ret = uvfio_server_remove_device(svc->srv, dev);
		if (ret == -ENOENT)
			return 0; /* never served */
		if (ret)
			fprintf(stderr, "uvfiod: %s: cannot stop serving: %s\n",
				uvfio_device_name(dev), strerror(-ret));
		else
			fprintf(stderr, "uvfiod: %s-vf%u gone\n", svc->pf_id,
				index);
		return ret;
	}
	uvfio_device_set_log(dev, NULL, NULL,
			     (enum uvfio_log_level)svc->log_level);
	if (snprintf(path, sizeof(path), "%s/%s-vf%u.sock", svc->socket_dir,
		     svc->pf_id, index) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = uvfio_server_add_device(svc->srv, dev, path);
	if (ret)
		fprintf(stderr, "uvfiod: %s: %s\n", path, strerror(-ret));
	else
		fprintf(stderr, "uvfiod: serving %s-vf%u on %s\n", svc->pf_id,
			index, path);
	return ret;
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
	static struct uvfiod_config cfg = { .log_level = UVFIO_LOG_WARNING };
	static struct uvfio_device *devs[UVFIOD_MAX_DEVICES];
	static struct vf_service vf_svcs[UVFIOD_MAX_DEVICES];
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

	srv = uvfio_server_new(&(struct uvfio_server_opts){
		.threads = cfg.threads,
		.socket_mode = cfg.socket_mode,
		.socket_chown = cfg.socket_chown,
		.socket_uid = cfg.socket_uid,
		.socket_gid = cfg.socket_gid,
	});
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
		if (uvfio_pci_of(devs[i])) {
			vf_svcs[i] = (struct vf_service){
				.srv = srv,
				.socket_dir = cfg.socket_dir,
				.log_level = cfg.log_level,
			};
			snprintf(vf_svcs[i].pf_id, sizeof(vf_svcs[i].pf_id),
				 "%s", spec.id);
			uvfio_pci_sriov_set_notify(uvfio_pci_of(devs[i]),
						   serve_vf, &vf_svcs[i]);
		}
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
	for (unsigned int i = 0; i < cfg.nr_specs; i++)
		if (uvfio_pci_of(devs[i]))
			uvfio_pci_sriov_set_notify(uvfio_pci_of(devs[i]), NULL,
						   NULL);
	uvfio_server_destroy(srv);
	for (unsigned int i = 0; i < cfg.nr_specs; i++)
		uvfio_device_destroy(devs[i]);
	uvfiod_config_release(&cfg);
	return status;
}
