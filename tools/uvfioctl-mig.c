// SPDX-License-Identifier: MIT
/*
 * uvfioctl save / load / migrate: migration protocol v2 from the command
 * line, through the client library's uvfio_client_mig_* calls.
 *
 * The stream is opaque here: the devices check it (the destination refuses
 * a stream of another device, a truncated or a corrupted one, and says why
 * in its server's log).  What this file owns is the order of the state
 * changes and the way back when one of them fails: a command never leaves
 * a device in a migration state it put it in, whatever went wrong.
 *
 * This file has what the migration commands share (devices, failures,
 * progress) and save and load; migrate is in uvfioctl-migrate.c, receive
 * in uvfioctl-net.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uvfioctl-mig.h"
#include "uvfioctl.h"

/* ---- what went wrong ---- */

void outcome_fail(struct outcome *o, int err, const char *fmt, ...)
{
	va_list ap;

	if (o->failed[0]) /* the first failure is the one to report */
		return;
	va_start(ap, fmt);
	vsnprintf(o->failed, sizeof(o->failed), fmt, ap);
	va_end(ap);
	o->err = err > 0 ? err : EIO;
}

void outcome_note(struct outcome *o, const char *fmt, ...)
{
	size_t len = strlen(o->note);
	va_list ap;

	if (len && len < sizeof(o->note) - 2) {
		strcpy(o->note + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(o->note + len, sizeof(o->note) - len, fmt, ap);
	va_end(ap);
}

/* "uvfioctl: CMD: what failed: error", then what was done about it. */
int outcome_report(const struct command *cmd, const struct outcome *o)
{
	fail(cmd, "%s: %s", o->failed, strerror(o->err));
	if (o->note[0])
		fail(cmd, "%s", o->note);
	return EXIT_FAIL;
}

/* ---- interruption ---- */

volatile sig_atomic_t mig_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	mig_interrupted = 1;
}

/*
 * SIGINT and SIGTERM end the operation through its normal failure path,
 * which puts the devices back; a second signal kills as usual.
 */
void mig_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- devices ---- */

int mig_dev_open(struct mig_dev *d, const char *role, const char *name,
		 struct outcome *o)
{
	int ret;

	d->name = name;
	snprintf(d->label, sizeof(d->label), "%s%s%s", role, *role ? " " : "",
		 name);
	d->c = open_client(name);
	if (!d->c) {
		const char *why = uvfio_client_open_error();

		if (why)
			outcome_fail(o, errno, "%s: %s", d->label, why);
		else
			outcome_fail(o, errno, "%s", d->label);
		return -1;
	}
	ret = uvfio_client_mig_flags(d->c, &d->flags);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP || ret == -EINVAL)
		outcome_fail(o, -ret,
			     "%s does not support migration (no MIGRATION "
			     "feature)",
			     d->label);
	else if (ret)
		outcome_fail(o, -ret, "%s: getting the migration flags",
			     d->label);
	else if (!(d->flags & UVFIO_MIGRATION_STOP_COPY))
		outcome_fail(o, EOPNOTSUPP,
			     "%s: migration flags 0x%" PRIx64 " lack STOP_COPY",
			     d->label, d->flags);
	if (!ret && !o->failed[0]) {
		ret = uvfio_client_mig_get_state(d->c, &d->state);
		if (ret)
			outcome_fail(o, -ret, "%s: getting the migration state",
				     d->label);
	}
	if (o->failed[0]) {
		uvfio_client_close(d->c);
		d->c = NULL;
		return -1;
	}
	return 0;
}

void mig_dev_close(struct mig_dev *d)
{
	uvfio_client_close(d->c);
	d->c = NULL;
}

int mig_dev_set(struct mig_dev *d, enum uvfio_device_mig_state to,
		struct outcome *o)
{
	int ret = uvfio_client_mig_set_state(d->c, to);

	if (ret) {
		outcome_fail(o, -ret, "%s: %s -> %s", d->label,
			     uvfio_mig_state_name(d->state),
			     uvfio_mig_state_name(to));
		/* A failed arc leaves the device where the walk stopped. */
		uvfio_client_mig_get_state(d->c, &d->state);
		return ret;
	}
	d->state = to;
	return 0;
}

/* Reset a device that a load or a migration left half-way. */
void mig_dev_reset(struct mig_dev *d, struct outcome *o)
{
	int ret = uvfio_client_reset(d->c);

	if (ret) {
		uvfio_client_mig_get_state(d->c, &d->state);
		outcome_note(o, "resetting %s failed (%s); it is in %s",
			     d->label, strerror(-ret),
			     uvfio_mig_state_name(d->state));
		return;
	}
	d->state = UVFIO_DEVICE_STATE_RUNNING;
	uvfio_client_mig_get_state(d->c, &d->state);
	outcome_note(o, "%s was reset (%s)", d->label,
		     uvfio_mig_state_name(d->state));
}

/* ---- progress ---- */

void progress_init(struct progress *p)
{
	*p = (struct progress){ .on = isatty(STDERR_FILENO) == 1 };
}

/*
 * One line on stderr, redrawn at most every 100 ms: the phase, a bar
 * against @estimate when there is one (full once the phase is @done), the
 * bytes of this phase and the total.
 */
void progress_show(struct progress *p, const char *phase, uint64_t bytes,
		   uint64_t estimate, uint64_t total, bool done)
{
	char bar[21], a[32], b[32];
	double t = now_ms();
	uint64_t fill = 20;

	if (!p->on || (!done && t - p->last < 100))
		return;
	p->last = t;
	if (!done && !estimate)
		fill = 0;
	else if (!done && bytes < estimate)
		fill = bytes * 20 / estimate;
	for (unsigned int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\r%-14s [%s] %s, %s in all\033[K", phase, bar,
		human_size(bytes, a), human_size(total, b));
	fflush(stderr);
	p->shown = true;
}

void progress_done(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

/* ---- save ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Two positional arguments after the options, for save and load. */
static int parse_dev_file(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	if (command_getopt(cmd, argc, argv, ":h", longopts) != -1)
		return EXIT_USAGE;
	if (argc - optind < 2)
		return usage_error(cmd, "missing %s",
				   argc == optind ? "DEV" : "FILE");
	if (argc - optind > 2)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 2]);
	if (!argv[optind + 1][0])
		return usage_error(cmd, "FILE is empty");
	return 0;
}

/* Read the whole STOP_COPY stream of @d into @fd; bytes in *@bytes. */
static int save_stream(struct mig_dev *d, int fd, const char *tmp,
		       uint64_t *bytes, struct outcome *o)
{
	struct uvfio_client_caps caps;
	struct progress p;
	uint8_t *buf;
	int ret = 0;

	uvfio_client_get_caps(d->c, &caps);
	buf = malloc(caps.max_data_xfer_size);
	if (!buf) {
		outcome_fail(o, ENOMEM, "allocating a buffer");
		return -ENOMEM;
	}
	progress_init(&p);
	while (!ret) {
		ssize_t n;

		if (mig_interrupted) {
			outcome_fail(o, EINTR, "%s: saving", d->name);
			ret = -EINTR;
			break;
		}
		n = uvfio_client_mig_read(d->c, buf, caps.max_data_xfer_size);
		if (n < 0) {
			outcome_fail(
				o, (int)-n,
				"%s: reading migration data at byte %" PRIu64,
				d->name, *bytes);
			ret = (int)n;
		} else if (!n) {
			break;
		} else {
			ret = write_all(fd, buf, (size_t)n);
			if (ret)
				outcome_fail(o, -ret, "%s", tmp);
			*bytes += (uint64_t)n;
			progress_show(&p, "saving", *bytes, 0, *bytes, false);
		}
	}
	progress_done(&p);
	free(buf);
	return ret;
}

static int run_save(const struct command *cmd, int argc, char **argv)
{
	struct outcome o = { 0 };
	struct mig_dev d = { 0 };
	enum uvfio_device_mig_state was;
	const char *file;
	char *tmp = NULL;
	uint64_t bytes = 0;
	double t0;
	int fd = -1, ret;
	char sz[32];

	ret = parse_dev_file(cmd, argc, argv);
	if (ret)
		return ret;
	file = argv[optind + 1];
	mig_catch_signals();
	if (mig_dev_open(&d, "", argv[optind], &o))
		return outcome_report(cmd, &o);
	was = d.state;
	if (was != UVFIO_DEVICE_STATE_RUNNING &&
	    was != UVFIO_DEVICE_STATE_STOP) {
		outcome_fail(&o, EBUSY,
			     "%s is in %s; save needs it RUNNING or STOP",
			     d.name, uvfio_mig_state_name(was));
		goto out;
	}
	if (asprintf(&tmp, "%s.tmp", file) < 0) {
		tmp = NULL;
		outcome_fail(&o, ENOMEM, "%s", file);
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		outcome_fail(&o, errno, "%s", tmp);
		goto out;
	}
	t0 = now_ms();
	if (mig_dev_set(&d, UVFIO_DEVICE_STATE_STOP_COPY, &o))
		goto out;
	if (save_stream(&d, fd, tmp, &bytes, &o))
		goto out;
	if (fsync(fd)) {
		outcome_fail(&o, errno, "%s", tmp);
		goto out;
	}
	ret = close(fd);
	fd = -1;
	if (ret) {
		outcome_fail(&o, errno, "%s", tmp);
		goto out;
	}
	if (mig_dev_set(&d, was, &o))
		goto out;
	if (rename(tmp, file)) {
		outcome_fail(&o, errno, "renaming %s to %s", tmp, file);
		goto out;
	}
	printf("%s: saved %s (%" PRIu64 " bytes) to %s in %.1f ms; the "
	       "device is %s\n",
	       d.name, human_size(bytes, sz), bytes, file, now_ms() - t0,
	       uvfio_mig_state_name(d.state));
out:
	if (fd >= 0)
		close(fd);
	if (o.failed[0]) {
		if (tmp && unlink(tmp) && errno != ENOENT)
			outcome_note(&o, "removing %s: %s", tmp,
				     strerror(errno));
		if (d.c && d.state != was && !mig_dev_set(&d, was, &o))
			outcome_note(&o, "%s is %s again", d.name,
				     uvfio_mig_state_name(was));
		else if (d.c && d.state != was)
			outcome_note(&o, "%s is left in %s", d.name,
				     uvfio_mig_state_name(d.state));
	}
	free(tmp);
	mig_dev_close(&d);
	return o.failed[0] ? outcome_report(cmd, &o) : EXIT_OK;
}

const struct command cmd_save = {
	.name = "save",
	.synopsis = "DEV FILE",
	.summary = "save the device's migration state to a file",
	.help = "Take DEV (RUNNING or STOP) to STOP_COPY, read its whole\n"
		"migration stream into FILE, and put DEV back in the state it\n"
		"was in.  The stream goes to FILE.tmp first, which is renamed to\n"
		"FILE only when everything succeeded: a failure never leaves a\n"
		"partial FILE, and DEV is put back in its state whatever failed.\n"
		"Prints the bytes saved.\n"
		"\n"
		"Options:\n",
	.run = run_save,
};

/* ---- load ---- */

/* Write @fd's contents to @d in chunks; bytes in *@bytes. */
static int load_stream(struct mig_dev *d, int fd, const char *file,
		       uint64_t *bytes, struct outcome *o)
{
	const size_t chunk = 1u << 20;
	struct progress p;
	uint8_t *buf = malloc(chunk);
	int ret = 0;

	if (!buf) {
		outcome_fail(o, ENOMEM, "allocating a buffer");
		return -ENOMEM;
	}
	progress_init(&p);
	while (!ret) {
		ssize_t n = read(fd, buf, chunk), w;

		if (mig_interrupted) {
			outcome_fail(o, EINTR, "%s: loading", d->name);
			ret = -EINTR;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0) {
			outcome_fail(o, errno, "%s", file);
			ret = -errno;
		} else if (!n) {
			break;
		} else {
			w = uvfio_client_mig_write(d->c, buf, (size_t)n);
			if (w < 0) {
				outcome_fail(o, (int)-w,
					     "%s refused the stream in bytes "
					     "%" PRIu64 "-%" PRIu64
					     " (its server's log says why)",
					     d->name, *bytes,
					     *bytes + (uint64_t)n - 1);
				ret = (int)w;
			}
			*bytes += (uint64_t)n;
			progress_show(&p, "loading", *bytes, 0, *bytes, false);
		}
	}
	progress_done(&p);
	free(buf);
	return ret;
}

static int run_load(const struct command *cmd, int argc, char **argv)
{
	struct outcome o = { 0 };
	struct mig_dev d = { 0 };
	const char *file;
	uint64_t bytes = 0;
	bool touched = false;
	double t0;
	int fd, ret;
	char sz[32];

	ret = parse_dev_file(cmd, argc, argv);
	if (ret)
		return ret;
	file = argv[optind + 1];
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(cmd, "%s: %s", file, strerror(errno));
	mig_catch_signals();
	if (mig_dev_open(&d, "", argv[optind], &o))
		goto out;
	if (d.state != UVFIO_DEVICE_STATE_RUNNING &&
	    d.state != UVFIO_DEVICE_STATE_STOP) {
		outcome_fail(&o, EBUSY,
			     "%s is in %s; load needs it RUNNING or STOP",
			     d.name, uvfio_mig_state_name(d.state));
		goto out;
	}
	t0 = now_ms();
	touched = true;
	if (mig_dev_set(&d, UVFIO_DEVICE_STATE_RESUMING, &o))
		goto out;
	if (load_stream(&d, fd, file, &bytes, &o))
		goto out;
	if (mig_dev_set(&d, UVFIO_DEVICE_STATE_RUNNING, &o)) {
		outcome_note(&o,
			     "the stream of %" PRIu64
			     " bytes is incomplete or does not fit the device "
			     "(its server's log says why)",
			     bytes);
		goto out;
	}
	printf("%s: loaded %s (%" PRIu64 " bytes) from %s in %.1f ms; the "
	       "device is RUNNING\n",
	       d.name, human_size(bytes, sz), bytes, file, now_ms() - t0);
out:
	close(fd);
	if (o.failed[0] && touched)
		mig_dev_reset(&d, &o);
	mig_dev_close(&d);
	return o.failed[0] ? outcome_report(cmd, &o) : EXIT_OK;
}

const struct command cmd_load = {
	.name = "load",
	.synopsis = "DEV FILE",
	.summary = "load a saved migration state into the device",
	.help = "Take DEV (RUNNING or STOP) to RESUMING, write FILE to it as its\n"
		"migration stream (in chunks of 1 MiB), and take it to RUNNING,\n"
		"which is when the device checks the stream as a whole and\n"
		"makes it its state.  A device refuses a stream of another\n"
		"device or another configuration, a truncated and a corrupted\n"
		"one; its server's log says why.  On any failure DEV is reset\n"
		"(VFIO_DEVICE_RESET), so that it is not left in RESUMING, and\n"
		"the message says what failed and with which error.\n"
		"\n"
		"Options:\n",
	.run = run_load,
};
