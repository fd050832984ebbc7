// SPDX-License-Identifier: MIT
/*
 * uvfioctl migrate: live migration from one device to another, as a VMM
 * drives it: the destination to RESUMING, pre-copy iterations while the
 * source runs, stop-copy, the destination to RUNNING, the source to STOP.
 * Every failure on the way returns the source to RUNNING and resets the
 * destination.
 *
 * The destination is a struct dest: a device on this host (here), or a
 * `uvfioctl receive` behind tcp:HOST:PORT (uvfioctl-net.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "uvfioctl-mig.h"
#include "uvfioctl.h"

#define DEFAULT_DOWNTIME_MS 300
#define DEFAULT_MAX_ITERATIONS 10
#define MAX_DOWNTIME_MS 3600000u /* an hour */
#define MAX_ITERATIONS 100000u

struct mig_report {
	bool ok;
	uint64_t bytes, precopy_bytes;
	unsigned int iterations;
	const char *stop_reason; /* why pre-copy stopped */
	double expected_ms;	 /* the last downtime prediction */
	double downtime_ms, total_ms;
	char warning[384];
};

struct migration {
	const char *src_name, *dst_name;
	unsigned int downtime_limit; /* ms */
	unsigned int max_iterations;
	bool json;
	struct dest *(*open_dest)(const char *name, struct outcome *o);

	struct mig_dev src;
	struct dest *dst;
	bool src_touched; /* the source may have left RUNNING */
	uint8_t *buf;
	size_t chunk;
	struct progress p;
	struct outcome o;
	struct mig_report r;
};

/* The destination on the same host: a device this process opens. */
struct local_dest {
	struct dest d;
	struct mig_dev dev;
};

static int local_begin(struct dest *d, struct outcome *o)
{
	struct local_dest *l = (struct local_dest *)d;

	if (l->dev.state != UVFIO_DEVICE_STATE_RUNNING &&
	    l->dev.state != UVFIO_DEVICE_STATE_STOP) {
		outcome_fail(
			o, EBUSY,
			"destination %s is in %s; migrate needs it RUNNING "
			"or STOP",
			l->dev.name, uvfio_mig_state_name(l->dev.state));
		return -EBUSY;
	}
	d->touched = true;
	return mig_dev_set(&l->dev, UVFIO_DEVICE_STATE_RESUMING, o);
}

static int local_put(struct dest *d, const void *buf, size_t len,
		     bool stop_copy, uint64_t at, struct outcome *o)
{
	struct local_dest *l = (struct local_dest *)d;
	ssize_t n = uvfio_client_mig_write(l->dev.c, buf, len);

	(void)stop_copy;
	if (n >= 0)
		return 0;
	outcome_fail(o, (int)-n,
		     "destination %s refused the stream in bytes %" PRIu64
		     "-%" PRIu64 " (its server's log says why)",
		     l->dev.name, at, at + len - 1);
	return (int)n;
}

static int local_commit(struct dest *d, struct outcome *o)
{
	struct local_dest *l = (struct local_dest *)d;

	return mig_dev_set(&l->dev, UVFIO_DEVICE_STATE_RUNNING, o);
}

static void local_abort(struct dest *d, struct outcome *o)
{
	struct local_dest *l = (struct local_dest *)d;

	if (d->touched)
		mig_dev_reset(&l->dev, o);
}

static void local_close(struct dest *d)
{
	struct local_dest *l = (struct local_dest *)d;

	mig_dev_close(&l->dev);
	free(l);
}

static const struct dest_ops local_ops = {
	.begin = local_begin,
	.put = local_put,
	.commit = local_commit,
	.abort = local_abort,
	.close = local_close,
};

/* SRC and DST naming one socket would have the device resume itself. */
static bool same_socket(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strncmp(a, "unix:", 5))
		a += 5;
	if (!strncmp(b, "unix:", 5))
		b += 5;
	if (!strcmp(a, b))
		return true;
	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static struct dest *local_dest_open(const char *name, struct outcome *o)
{
	struct local_dest *l = calloc(1, sizeof(*l));

	if (!l) {
		outcome_fail(o, ENOMEM, "allocating");
		return NULL;
	}
	if (mig_dev_open(&l->dev, "destination", name, o)) {
		free(l);
		return NULL;
	}
	l->d.ops = &local_ops;
	l->d.name = name;
	return &l->d;
}

/* Move what the source has to give now; an iteration's bytes in *@moved. */
static int pump(struct migration *m, bool stop_copy, uint64_t estimate,
		uint64_t *moved)
{
	/* A pre-copy iteration that never catches up (a device dirtying
	 * faster than it is copied) ends after twice the estimate. */
	uint64_t cap = stop_copy ? UINT64_MAX : 2 * estimate + m->chunk;
	char phase[32];

	if (stop_copy)
		snprintf(phase, sizeof(phase), "stop-copy");
	else
		snprintf(phase, sizeof(phase), "pre-copy %u",
			 m->r.iterations + 1);
	while (*moved < cap) {
		ssize_t n;

		if (mig_interrupted) {
			outcome_fail(&m->o, EINTR, "migration interrupted");
			return -EINTR;
		}
		n = uvfio_client_mig_read(m->src.c, m->buf, m->chunk);
		if (n < 0) {
			outcome_fail(&m->o, (int)-n,
				     "source %s: reading migration data in %s",
				     m->src.name,
				     uvfio_mig_state_name(m->src.state));
			return (int)n;
		}
		if (!n)
			break;
		if (m->dst->ops->put(m->dst, m->buf, (size_t)n, stop_copy,
				     m->r.bytes, &m->o))
			return -1;
		*moved += (uint64_t)n;
		m->r.bytes += (uint64_t)n;
		if (!stop_copy)
			m->r.precopy_bytes += (uint64_t)n;
		progress_show(&m->p, phase, *moved, estimate, m->r.bytes,
			      false);
	}
	progress_show(&m->p, phase, *moved, estimate, m->r.bytes, true);
	return 0;
}

/*
 * Pre-copy iterations: each reads until the source has caught up, then
 * the data still to move (MIG_DATA_SIZE) over the iteration's throughput
 * predicts the downtime.  Stops when that fits the limit, when an
 * iteration found nothing to move, or after max_iterations.
 */
static int precopy(struct migration *m)
{
	uint64_t remaining = 0;
	int ret;

	ret = uvfio_client_mig_data_size(m->src.c, &remaining);
	if (ret) {
		outcome_fail(&m->o, -ret, "source %s: MIG_DATA_SIZE",
			     m->src.name);
		return ret;
	}
	if (mig_dev_set(&m->src, UVFIO_DEVICE_STATE_PRE_COPY, &m->o))
		return -1;
	while (m->r.iterations < m->max_iterations) {
		uint64_t moved = 0;
		double t0 = now_ms(), ms;

		ret = pump(m, false, remaining, &moved);
		if (ret)
			return ret;
		ms = now_ms() - t0;
		m->r.iterations++;
		ret = uvfio_client_mig_data_size(m->src.c, &remaining);
		if (ret) {
			outcome_fail(&m->o, -ret, "source %s: MIG_DATA_SIZE",
				     m->src.name);
			return ret;
		}
		if (!moved) {
			m->r.stop_reason = "idle";
			return 0;
		}
		/* bytes / ms of this iteration: the expected stop-copy time */
		m->r.expected_ms =
			ms > 0 ? (double)remaining * ms / (double)moved : 0;
		if (m->r.expected_ms <= m->downtime_limit) {
			m->r.stop_reason = "downtime";
			return 0;
		}
	}
	m->r.stop_reason = "max-iterations";
	return 0;
}

/* The way back after a failure: source RUNNING, destination reset. */
static void roll_back(struct migration *m)
{
	if (m->src.c && m->src_touched &&
	    m->src.state != UVFIO_DEVICE_STATE_RUNNING) {
		if (!mig_dev_set(&m->src, UVFIO_DEVICE_STATE_RUNNING, &m->o))
			outcome_note(&m->o, "source %s is RUNNING again",
				     m->src.name);
		else
			outcome_note(&m->o,
				     "returning source %s to RUNNING failed; "
				     "it is in %s",
				     m->src.name,
				     uvfio_mig_state_name(m->src.state));
	} else if (m->src.c) {
		outcome_note(&m->o, "source %s is %s", m->src.name,
			     uvfio_mig_state_name(m->src.state));
	}
	if (m->dst)
		m->dst->ops->abort(m->dst, &m->o);
}

static int migrate_run(struct migration *m)
{
	struct uvfio_client_caps caps;
	uint64_t moved = 0, estimate = 0;
	double t_start = now_ms(), t_down;
	int ret;

	mig_catch_signals();
	progress_init(&m->p);
	if (mig_dev_open(&m->src, "source", m->src_name, &m->o))
		goto fail;
	if (m->src.state != UVFIO_DEVICE_STATE_RUNNING) {
		outcome_fail(&m->o, EBUSY,
			     "source %s is in %s; migrate needs it RUNNING",
			     m->src.name, uvfio_mig_state_name(m->src.state));
		goto fail;
	}
	uvfio_client_get_caps(m->src.c, &caps);
	m->chunk = caps.max_data_xfer_size;
	m->buf = malloc(m->chunk);
	if (!m->buf) {
		outcome_fail(&m->o, ENOMEM, "allocating a buffer");
		goto fail;
	}
	m->dst = m->open_dest(m->dst_name, &m->o);
	if (!m->dst)
		goto fail;

	/* The destination first: nothing changes on the source if it
	 * cannot take a stream. */
	if (m->dst->ops->begin(m->dst, &m->o))
		goto fail;
	m->src_touched = true;
	if ((m->src.flags & UVFIO_MIGRATION_PRE_COPY) && m->max_iterations) {
		if (precopy(m))
			goto fail;
	} else {
		m->r.stop_reason = m->src.flags & UVFIO_MIGRATION_PRE_COPY ?
					   "max-iterations" :
					   "no-pre-copy";
	}

	/* A destination that refused the pre-copy data must not cost the
	 * source its downtime. */
	if (m->dst->ops->sync && m->dst->ops->sync(m->dst, &m->o))
		goto fail;

	/* Downtime: from the source leaving RUNNING (or PRE_COPY, which
	 * runs) to the destination RUNNING. */
	t_down = now_ms();
	if (mig_dev_set(&m->src, UVFIO_DEVICE_STATE_STOP_COPY, &m->o))
		goto fail;
	ret = uvfio_client_mig_data_size(m->src.c, &estimate);
	if (ret)
		estimate = 0; /* only the progress bar needs it */
	if (pump(m, true, estimate, &moved))
		goto fail;
	if (m->dst->ops->commit(m->dst, &m->o))
		goto fail;
	m->r.downtime_ms = now_ms() - t_down;
	m->r.total_ms = now_ms() - t_start;
	progress_done(&m->p);
	/* The source stays stopped, as the kernel's flow leaves it. */
	if (mig_dev_set(&m->src, UVFIO_DEVICE_STATE_STOP, &m->o)) {
		snprintf(m->r.warning, sizeof(m->r.warning),
			 "%s: %s (the destination runs the migrated state; "
			 "do not resume the source)",
			 m->o.failed, strerror(m->o.err));
		m->o = (struct outcome){ 0 };
	}
	m->r.ok = true;
	return 0;
fail:
	m->r.total_ms = now_ms() - t_start;
	progress_done(&m->p);
	roll_back(m);
	return -1;
}

static void migrate_cleanup(struct migration *m)
{
	if (m->dst)
		m->dst->ops->close(m->dst);
	m->dst = NULL;
	mig_dev_close(&m->src);
	free(m->buf);
	m->buf = NULL;
}

/* ---- the report ---- */

static struct json_object *json_ms(double ms)
{
	char text[32];

	snprintf(text, sizeof(text), "%.3f", ms);
	return json_object_new_double_s(ms, text);
}

static int print_json(const struct command *cmd, const struct migration *m)
{
	const struct mig_report *r = &m->r;
	struct json_object *o = json_object_new_object();
	const char *text;
	int ret = EXIT_OK;

	json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
	if (!r->ok) {
		json_object_object_add(o, "failed",
				       json_object_new_string(m->o.failed));
		json_object_object_add(
			o, "error", json_object_new_string(strerror(m->o.err)));
		json_object_object_add(o, "errno",
				       json_object_new_int(m->o.err));
		json_object_object_add(o, "recovery",
				       json_object_new_string(m->o.note));
	}
	json_object_object_add(o, "bytes", json_object_new_uint64(r->bytes));
	json_object_object_add(o, "precopy_bytes",
			       json_object_new_uint64(r->precopy_bytes));
	json_object_object_add(o, "iterations",
			       json_object_new_int64(r->iterations));
	if (r->ok)
		json_object_object_add(o, "downtime_ms",
				       json_ms(r->downtime_ms));
	json_object_object_add(o, "total_ms", json_ms(r->total_ms));
	json_object_object_add(
		o, "precopy_stop",
		r->stop_reason ? json_object_new_string(r->stop_reason) : NULL);
	json_object_object_add(o, "downtime_limit_ms",
			       json_object_new_int64(m->downtime_limit));
	if (m->src.c)
		json_object_object_add(
			o, "source_state",
			json_object_new_string(
				uvfio_mig_state_name(m->src.state)));
	if (r->warning[0])
		json_object_object_add(o, "warning",
				       json_object_new_string(r->warning));
	text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text)
		puts(text);
	else
		ret = fail(cmd, "building JSON: %s", strerror(ENOMEM));
	json_object_put(o);
	return ret;
}

static void print_text(const struct migration *m)
{
	const struct mig_report *r = &m->r;
	char a[32], b[32], c[32];

	printf("%s -> %s: migrated %s (%" PRIu64 " bytes) in %.1f ms\n",
	       m->src_name, m->dst_name, human_size(r->bytes, a), r->bytes,
	       r->total_ms);
	printf("  pre-copy:  %u iteration%s, %s (%s)\n", r->iterations,
	       r->iterations == 1 ? "" : "s", human_size(r->precopy_bytes, b),
	       mig_stop_text(r->stop_reason));
	printf("  stop-copy: %s\n", human_size(r->bytes - r->precopy_bytes, c));
	printf("  downtime:  %.1f ms (limit %u ms)\n", r->downtime_ms,
	       m->downtime_limit);
	printf("  source %s, destination RUNNING\n",
	       uvfio_mig_state_name(m->src.state));
}

static int parse_limit(const struct command *cmd, const char *what,
		       const char *text, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (parse_u64(text, &v) || v > max)
		return usage_error(cmd, "bad %s '%s' (0 to %u)", what, text,
				   max);
	*out = (unsigned int)v;
	return 0;
}

static int migrate_parse(const struct command *cmd, int argc, char **argv,
			 struct migration *m)
{
	static const struct option longopts[] = {
		{ "downtime-limit", required_argument, NULL, 'd' },
		{ "max-iterations", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	m->downtime_limit = DEFAULT_DOWNTIME_MS;
	m->max_iterations = DEFAULT_MAX_ITERATIONS;
	while ((opt = command_getopt(cmd, argc, argv, ":d:i:jh", longopts)) !=
	       -1) {
		switch (opt) {
		case 'd':
			if (parse_limit(cmd, "downtime limit", optarg,
					MAX_DOWNTIME_MS, &m->downtime_limit))
				return EXIT_USAGE;
			break;
		case 'i':
			if (parse_limit(cmd, "iteration count", optarg,
					MAX_ITERATIONS, &m->max_iterations))
				return EXIT_USAGE;
			break;
		case 'j':
			m->json = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2)
		return usage_error(cmd, "missing %s",
				   argc == optind ? "SRC" : "DST");
	if (argc - optind > 2)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 2]);
	m->src_name = argv[optind];
	m->dst_name = argv[optind + 1];
	return 0;
}

static int migrate_finish(const struct command *cmd, struct migration *m)
{
	int ret = EXIT_OK;

	if (m->json)
		ret = print_json(cmd, m);
	else if (m->r.ok)
		print_text(m);
	if (!m->r.ok)
		return outcome_report(cmd, &m->o);
	if (m->r.warning[0])
		fail(cmd, "warning: %s", m->r.warning);
	return ret;
}

static int run_migrate(const struct command *cmd, int argc, char **argv)
{
	struct migration m = { 0 };
	int ret;

	ret = migrate_parse(cmd, argc, argv, &m);
	if (ret)
		return ret;
	if (!strncmp(m.dst_name, "tcp:", 4)) {
		if (!tcp_name_ok(m.dst_name))
			return usage_error(
				cmd,
				"bad destination '%s' (tcp:HOST:PORT, "
				"tcp:[IPv6]:PORT)",
				m.dst_name);
		m.open_dest = tcp_dest_open;
	} else {
		if (same_socket(m.src_name, m.dst_name))
			return usage_error(cmd,
					   "SRC and DST are the same device");
		m.open_dest = local_dest_open;
	}
	migrate_run(&m);
	ret = migrate_finish(cmd, &m);
	migrate_cleanup(&m);
	return ret;
}

const struct command cmd_migrate = {
	.name = "migrate",
	.synopsis =
		"SRC DST [--downtime-limit MS] [--max-iterations N] [--json]",
	.summary = "live-migrate a device's state to another device",
	.help = "Move SRC's state to DST while SRC runs, as a VMM does.  DST\n"
		"(RUNNING or STOP) goes to RESUMING.  If SRC supports PRE_COPY, it\n"
		"goes to PRE_COPY and its data is copied to DST in iterations,\n"
		"each until SRC has nothing more to give now; after each, the\n"
		"data still to move (MIG_DATA_SIZE) over the iteration's\n"
		"throughput predicts the downtime, and iterating stops when that\n"
		"fits the limit, when an iteration found nothing, or after N\n"
		"iterations.  Then SRC goes to STOP_COPY, the rest is copied and\n"
		"DST goes to RUNNING.  SRC is left in STOP: the device now runs\n"
		"as DST, as the kernel's migration flow leaves it.\n"
		"\n"
		"Reports the bytes moved (and those of pre-copy), the iterations\n"
		"and the downtime: from SRC leaving RUNNING to DST RUNNING,\n"
		"measured.  On a terminal, a progress line on stderr.  If anything\n"
		"fails midway, or on SIGINT/SIGTERM, SRC is returned to RUNNING and\n"
		"DST is reset, and the report says what failed.\n"
		"\n"
		"DST may be tcp:HOST:PORT, a `uvfioctl receive` on another host.\n"
		"\n"
		"Options:\n"
		"  -d, --downtime-limit MS\n"
		"                     the downtime to aim for (default 300 ms)\n"
		"  -i, --max-iterations N\n"
		"                     at most N pre-copy iterations (default 10;\n"
		"                     0: stop-copy only)\n"
		"  -j, --json         print one JSON object on stdout: ok, bytes,\n"
		"                     precopy_bytes, iterations, downtime_ms,\n"
		"                     total_ms...; on failure ok false, failed,\n"
		"                     error, errno, recovery\n",
	.run = run_migrate,
};
