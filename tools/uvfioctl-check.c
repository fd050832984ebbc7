// SPDX-License-Identifier: MIT
/*
 * uvfioctl check DEV: a conformance checker for any VFIO device, kernel or
 * vfio-user, for people who review variant drivers.  It walks migration
 * protocol v2 as the kernel defines it (include/uapi/linux/vfio.h and
 * vfio_mig_get_next_state()):
 *
 *  - the device-feature multiplexer's validation of PROBE/GET/SET, argsz
 *    and unknown features;
 *  - every arc between the supported states, each from a fresh entry:
 *    valid ones land in the target, invalid ones (to ERROR, to an
 *    unsupported or undefined state, from STOP_COPY to a pre-copy
 *    state) fail with EINVAL and leave the state alone;
 *  - the stale-session rule: a data fd of an ended session yields no
 *    data, and a new session's stream starts afresh;
 *  - PRE_COPY's precopy info (kernel devices: vfio-user cannot ask);
 *  - MIG_DATA_SIZE, and VFIO_DEVICE_RESET from every state back to
 *    RUNNING.
 *
 * It changes the device's state and ends with it RUNNING: run it on a
 * device nobody else uses.  RESUMING is entered with data the device
 * itself saved, so the device's own state is what gets loaded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/client.h>
#include <uvfio/migration.h>

#include "uvfioctl.h"

#define MAX_STREAM (64u << 20)
#define NR_STATES 8 /* ERROR .. PRE_COPY_P2P */

struct checker {
	struct uvfio_client *c;
	uint64_t flags;
	bool has_reset;
	bool kernel;   /* a device of the kernel's VFIO */
	bool all_arcs; /* --all-arcs */
	unsigned int passed, failed, skipped;
	uint8_t *stream; /* what STOP_COPY gave, to enter RESUMING with */
	size_t stream_len;
};

__attribute__((format(printf, 3, 4))) static void
result(struct checker *k, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(tag, "ok"))
		k->passed++;
	else if (!strcmp(tag, "FAIL"))
		k->failed++;
	else
		k->skipped++;
	printf("%-4s ", tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define ok(k, ...) result(k, "ok", __VA_ARGS__)
#define bad(k, ...) result(k, "FAIL", __VA_ARGS__)
#define skip(k, ...) result(k, "skip", __VA_ARGS__)

static const char *state_name(uint32_t s)
{
	return s < NR_STATES ? uvfio_mig_state_name(s) : "undefined";
}

static const char *err_name(int ret)
{
	return ret ? strerror(-ret) : "success";
}

/* ---- the feature multiplexer ---- */

/* A DEVICE_FEATURE call of @argsz bytes (header and up to 16 more). */
static int feature(struct checker *k, uint32_t flags, uint32_t argsz)
{
	uint8_t buf[sizeof(struct uvfio_device_feature) + 16] = { 0 };
	struct uvfio_device_feature hdr = { .argsz = argsz, .flags = flags };

	memcpy(buf, &hdr, sizeof(hdr));
	return uvfio_client_feature(k->c, (struct uvfio_device_feature *)buf);
}

static void expect_feature(struct checker *k, const char *what, uint32_t flags,
			   uint32_t argsz, int want)
{
	int ret = feature(k, flags, argsz);

	if (ret == want)
		ok(k, "feature: %s: %s", what, err_name(ret));
	else
		bad(k, "feature: %s: %s, expected %s", what, err_name(ret),
		    err_name(want));
}

#define HDR ((uint32_t)sizeof(struct uvfio_device_feature))
#define GET UVFIO_DEVICE_FEATURE_GET
#define SET UVFIO_DEVICE_FEATURE_SET
#define PROBE UVFIO_DEVICE_FEATURE_PROBE

static void check_features(struct checker *k, bool migrates)
{
	expect_feature(k, "an unknown feature (0xfffe) is ENOTTY",
		       0xfffe | PROBE | GET, HDR, -ENOTTY);
	expect_feature(k, "undefined flag bits are EINVAL",
		       UVFIO_DEVICE_FEATURE_MIGRATION | GET | (1u << 20),
		       HDR + 8, -EINVAL);
	expect_feature(k, "GET|SET without PROBE is EINVAL",
		       UVFIO_DEVICE_FEATURE_MIGRATION | GET | SET, HDR + 8,
		       -EINVAL);
	expect_feature(k, "argsz below the header is EINVAL",
		       UVFIO_DEVICE_FEATURE_MIGRATION | PROBE | GET, 4,
		       -EINVAL);
	if (!migrates)
		return;
	expect_feature(k, "MIGRATION: PROBE of GET",
		       UVFIO_DEVICE_FEATURE_MIGRATION | PROBE | GET, HDR, 0);
	expect_feature(k, "MIGRATION: SET is EINVAL (GET only)",
		       UVFIO_DEVICE_FEATURE_MIGRATION | PROBE | SET, HDR,
		       -EINVAL);
	expect_feature(k, "MIGRATION: GET with a short argsz is EINVAL",
		       UVFIO_DEVICE_FEATURE_MIGRATION | GET, HDR + 4, -EINVAL);
	expect_feature(k, "MIG_DEVICE_STATE: PROBE of GET|SET",
		       UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | PROBE | GET |
			       SET,
		       HDR, 0);
	expect_feature(k, "MIG_DEVICE_STATE: SET with a short argsz is EINVAL",
		       UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | SET, HDR + 4,
		       -EINVAL);
}

/* ---- states ---- */

static bool supported(const struct checker *k, uint32_t s)
{
	switch (s) {
	case UVFIO_DEVICE_STATE_STOP:
	case UVFIO_DEVICE_STATE_RUNNING:
	case UVFIO_DEVICE_STATE_STOP_COPY:
	case UVFIO_DEVICE_STATE_RESUMING:
		return true;
	case UVFIO_DEVICE_STATE_RUNNING_P2P:
		return k->flags & UVFIO_MIGRATION_P2P;
	case UVFIO_DEVICE_STATE_PRE_COPY:
		return k->flags & UVFIO_MIGRATION_PRE_COPY;
	case UVFIO_DEVICE_STATE_PRE_COPY_P2P:
		return (k->flags & UVFIO_MIGRATION_PRE_COPY) &&
		       (k->flags & UVFIO_MIGRATION_P2P);
	default:
		return false;
	}
}

static bool is_precopy(uint32_t s)
{
	return s == UVFIO_DEVICE_STATE_PRE_COPY ||
	       s == UVFIO_DEVICE_STATE_PRE_COPY_P2P;
}

/*
 * The kernel's rule: every supported state can be reached from every
 * other but ERROR, except that STOP_COPY cannot go back to a pre-copy
 * state (the saving session would have to rewind).
 */
static bool arc_valid(const struct checker *k, uint32_t from, uint32_t to)
{
	if (!supported(k, to))
		return false;
	return !(is_precopy(to) && from == UVFIO_DEVICE_STATE_STOP_COPY);
}

static int get_state(struct checker *k, uint32_t *s)
{
	enum uvfio_device_mig_state st;
	int ret = uvfio_client_mig_get_state(k->c, &st);

	*s = ret ? ~0u : (uint32_t)st;
	return ret;
}

/*
 * Change the state; a RESUMING just entered gets the device's own saved
 * stream, so that the device can leave it again (a device refuses to
 * load nothing, as the kernel's mtty does).
 */
static int set(struct checker *k, uint32_t s)
{
	uint32_t before;
	int ret;

	get_state(k, &before);
	ret = uvfio_client_mig_set_state(k->c, s);
	if (!ret && s == UVFIO_DEVICE_STATE_RESUMING &&
	    before != UVFIO_DEVICE_STATE_RESUMING && k->stream_len) {
		ssize_t n =
			uvfio_client_mig_write(k->c, k->stream, k->stream_len);

		ret = n < 0 ? (int)n : 0;
	}
	return ret;
}

/* Bring the device to @s, through RUNNING: fresh sessions each time. */
static int enter(struct checker *k, uint32_t s)
{
	uint32_t now;
	int ret;

	/* Out of ERROR only by reset. */
	if (!get_state(k, &now) && now == UVFIO_DEVICE_STATE_ERROR)
		uvfio_client_reset(k->c);
	ret = set(k, UVFIO_DEVICE_STATE_RUNNING);
	return ret ? ret : set(k, s);
}

/* Save what STOP_COPY gives; RESUMING is entered with it. */
static int capture(struct checker *k)
{
	size_t cap = 1u << 16;
	int ret;

	k->stream = malloc(cap);
	if (!k->stream)
		return -ENOMEM;
	ret = enter(k, UVFIO_DEVICE_STATE_STOP_COPY);
	while (!ret) {
		ssize_t n;

		if (k->stream_len == cap) {
			uint8_t *p = cap < MAX_STREAM ?
					     realloc(k->stream, cap * 2) :
					     NULL;

			if (!p)
				return -EFBIG;
			k->stream = p;
			cap *= 2;
		}
		n = uvfio_client_mig_read(k->c, k->stream + k->stream_len,
					  cap - k->stream_len);
		if (n <= 0) {
			ret = (int)n;
			break;
		}
		k->stream_len += (size_t)n;
	}
	if (!ret)
		ret = uvfio_client_mig_set_state(k->c, UVFIO_DEVICE_STATE_STOP);
	if (!ret)
		ret = uvfio_client_mig_set_state(k->c,
						 UVFIO_DEVICE_STATE_RUNNING);
	return ret;
}

static void check_arc(struct checker *k, uint32_t from, uint32_t to)
{
	bool valid = arc_valid(k, from, to);
	uint32_t now;
	int ret;

	if (k->kernel && !k->all_arcs && is_precopy(to) && supported(k, to) &&
	    from == UVFIO_DEVICE_STATE_STOP_COPY) {
		skip(k,
		     "arc %s -> %s: kernels without the fix loop forever in "
		     "the ioctl on it (--all-arcs tries it)",
		     state_name(from), state_name(to));
		return;
	}
	ret = enter(k, from);

	if (ret) {
		bad(k, "arc %s -> %s: entering %s: %s", state_name(from),
		    state_name(to), state_name(from), err_name(ret));
		return;
	}
	ret = set(k, to);
	get_state(k, &now);
	if (valid && !ret && now == to)
		ok(k, "arc %s -> %s", state_name(from), state_name(to));
	else if (!valid && ret == -EINVAL && now == from)
		ok(k, "arc %s -> %s (%u) refused: EINVAL, state kept",
		   state_name(from), state_name(to), to);
	else
		bad(k, "arc %s -> %s (%u): %s, now %s; expected %s",
		    state_name(from), state_name(to), to, err_name(ret),
		    state_name(now),
		    valid ? "success" : "EINVAL and the state kept");
}

static void check_arcs(struct checker *k)
{
	/* Every defined state, and two that are not. */
	static const uint32_t targets[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 99 };

	for (uint32_t from = 1; from < NR_STATES; from++) {
		if (!supported(k, from))
			continue;
		for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++)
			check_arc(k, from, targets[i]);
	}
}

/* ---- data sessions ---- */

static void check_sessions(struct checker *k)
{
	uint8_t buf[16];
	ssize_t n;
	int fd = -1, ret = enter(k, UVFIO_DEVICE_STATE_STOP_COPY);

	/* Part of the stream read: the next session must not go on from
	 * here. */
	n = ret ? ret : uvfio_client_mig_read(k->c, buf, 4);
	ret = n == 4 ? 0 : n < 0 ? (int)n : -EIO;
	if (!ret && k->kernel)
		ret = uvfio_client_mig_data_fd(k->c, &fd);
	if (!ret)
		ret = uvfio_client_mig_set_state(k->c, UVFIO_DEVICE_STATE_STOP);
	if (ret) {
		bad(k, "session: STOP_COPY, 4 bytes, STOP: %s", err_name(ret));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n <= 0)
			ok(k,
			   "session: an ended session's data fd yields no data (%s)",
			   n < 0 ? strerror(errno) : "end of file");
		else
			bad(k,
			    "session: an ended session's data fd gave %zd bytes",
			    n);
	} else {
		/* The library's data fd over vfio-user is a socket it fills
		 * during the session: the device's rule is the read below. */
		skip(k, "session: the data fd of an ended session: a vfio-user "
			"data fd is the library's socket, not the device's");
	}

	n = uvfio_client_mig_read(k->c, buf, sizeof(buf));
	if (n < 0)
		ok(k, "session: no data outside a session (%s)",
		   err_name((int)n));
	else
		bad(k, "session: a read in STOP gave %zd, expected an error",
		    n);

	/* A new session starts at the beginning of a stream again. */
	ret = enter(k, UVFIO_DEVICE_STATE_STOP_COPY);
	n = ret ? ret : uvfio_client_mig_read(k->c, buf, 4);
	if (n == 4 && k->stream_len >= 4 && !memcmp(buf, k->stream, 4))
		ok(k, "session: a new STOP_COPY stream starts afresh");
	else
		bad(k, "session: a new STOP_COPY stream's first bytes: %s",
		    n < 0 ? err_name((int)n) : "not the stream's start");
	uvfio_client_mig_set_state(k->c, UVFIO_DEVICE_STATE_RUNNING);
}

static void check_precopy(struct checker *k, uint32_t s)
{
	struct uvfio_precopy_info a, b;
	uint8_t buf[4096];
	ssize_t n;
	int ret = enter(k, s);

	if (!ret)
		ret = uvfio_client_mig_precopy_info(k->c, &a);
	if (ret == -EOPNOTSUPP) {
		skip(k, "precopy info in %s: vfio-user has no way to ask",
		     state_name(s));
		return;
	}
	if (ret) {
		bad(k, "precopy info in %s: %s", state_name(s), err_name(ret));
		return;
	}
	if (!a.initial_bytes) {
		bad(k, "precopy info in %s: initial_bytes 0 at the start",
		    state_name(s));
		return;
	}
	n = uvfio_client_mig_read(k->c, buf,
				  a.initial_bytes < sizeof(buf) ?
					  (size_t)a.initial_bytes :
					  sizeof(buf));
	ret = n < 0 ? (int)n :
	      !n    ? -ENODATA :
		      uvfio_client_mig_precopy_info(k->c, &b);
	if (ret)
		bad(k, "precopy info in %s after a read: %s", state_name(s),
		    err_name(ret));
	else if (b.initial_bytes + (uint64_t)n == a.initial_bytes)
		ok(k,
		   "precopy info in %s: initial_bytes %lu, %zd read, then %lu",
		   state_name(s), (unsigned long)a.initial_bytes, n,
		   (unsigned long)b.initial_bytes);
	else
		bad(k,
		    "precopy info in %s: initial_bytes %lu, %zd read, then %lu",
		    state_name(s), (unsigned long)a.initial_bytes, n,
		    (unsigned long)b.initial_bytes);
}

static void check_precopy_rules(struct checker *k)
{
	struct uvfio_precopy_info info;
	int ret;

	if (!(k->flags & UVFIO_MIGRATION_PRE_COPY)) {
		skip(k, "precopy info: the device has no PRE_COPY");
		return;
	}
	check_precopy(k, UVFIO_DEVICE_STATE_PRE_COPY);
	if (supported(k, UVFIO_DEVICE_STATE_PRE_COPY_P2P))
		check_precopy(k, UVFIO_DEVICE_STATE_PRE_COPY_P2P);
	/* PRE_COPY -> STOP_COPY may keep the fd: the ioctl must now fail. */
	ret = enter(k, UVFIO_DEVICE_STATE_PRE_COPY);
	if (!ret)
		ret = uvfio_client_mig_set_state(k->c,
						 UVFIO_DEVICE_STATE_STOP_COPY);
	if (!ret) {
		ret = uvfio_client_mig_precopy_info(k->c, &info);
		if (ret == -EOPNOTSUPP)
			skip(k,
			     "precopy info in STOP_COPY: vfio-user has no way to ask");
		else if (ret == -EINVAL)
			ok(k, "precopy info in STOP_COPY: EINVAL");
		else
			bad(k, "precopy info in STOP_COPY: %s, expected EINVAL",
			    err_name(ret));
	} else {
		bad(k, "PRE_COPY -> STOP_COPY: %s", err_name(ret));
	}
	uvfio_client_mig_set_state(k->c, UVFIO_DEVICE_STATE_RUNNING);
}

static void check_data_size(struct checker *k)
{
	uint64_t bytes;
	int ret;

	if (feature(k, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE | PROBE | GET, HDR)) {
		skip(k, "MIG_DATA_SIZE: not offered (kernels before 6.5)");
		return;
	}
	expect_feature(k, "MIG_DATA_SIZE: SET is EINVAL (GET only)",
		       UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE | PROBE | SET, HDR,
		       -EINVAL);
	ret = enter(k, UVFIO_DEVICE_STATE_STOP_COPY);
	if (!ret)
		ret = uvfio_client_mig_data_size(k->c, &bytes);
	if (ret)
		bad(k, "MIG_DATA_SIZE in STOP_COPY: %s", err_name(ret));
	else
		ok(k, "MIG_DATA_SIZE in STOP_COPY: %lu bytes (a stream of %zu)",
		   (unsigned long)bytes, k->stream_len);
	uvfio_client_mig_set_state(k->c, UVFIO_DEVICE_STATE_RUNNING);
}

static void check_resets(struct checker *k)
{
	for (uint32_t s = 1; s < NR_STATES; s++) {
		uint32_t now;
		int ret;

		if (!supported(k, s))
			continue;
		ret = enter(k, s);
		if (ret) {
			bad(k, "reset in %s: entering it: %s", state_name(s),
			    err_name(ret));
			continue;
		}
		ret = uvfio_client_reset(k->c);
		if (ret && !k->has_reset) {
			skip(k, "reset in %s: %s, and the device has no reset",
			     state_name(s), err_name(ret));
			continue;
		}
		get_state(k, &now);
		if (!ret && now == UVFIO_DEVICE_STATE_RUNNING)
			ok(k, "reset in %s: RUNNING", state_name(s));
		else
			bad(k, "reset in %s: %s, now %s", state_name(s),
			    err_name(ret), state_name(now));
	}
}

static int run_check(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all-arcs", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct checker k = { 0 };
	uint32_t state;
	int opt, ret;

	while ((opt = command_getopt(cmd, argc, argv, ":ah", longopts)) != -1) {
		if (opt == '?')
			return EXIT_USAGE;
		k.all_arcs = true;
	}
	if (one_dev_operand(cmd, argc, argv))
		return EXIT_USAGE;
	k.kernel = !strncmp(argv[optind], "vfio:", 5) ||
		   !strncmp(argv[optind], "mdev:", 5);
	k.c = open_device(cmd, argv[optind]);
	if (!k.c)
		return EXIT_FAIL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!uvfio_client_device_info(k.c, &info))
		k.has_reset = info.flags & UVFIO_DEVICE_FLAGS_RESET;
	ret = uvfio_client_mig_flags(k.c, &k.flags);
	check_features(&k, !ret);
	if (ret) {
		skip(&k, "migration: MIGRATION gives %s", err_name(ret));
		goto out;
	}
	ok(&k, "migration: flags 0x%lx", (unsigned long)k.flags);
	if (get_state(&k, &state) || state != UVFIO_DEVICE_STATE_RUNNING) {
		bad(&k, "migration: the device is in %s, not RUNNING: in use?",
		    state_name(state));
		goto out;
	}
	ret = capture(&k);
	if (ret) {
		bad(&k, "STOP_COPY: saving the device's state: %s",
		    err_name(ret));
		goto out;
	}
	ok(&k, "STOP_COPY: a stream of %zu bytes, to end of stream",
	   k.stream_len);
	check_arcs(&k);
	check_sessions(&k);
	check_precopy_rules(&k);
	check_data_size(&k);
	check_resets(&k);
out:
	/* Walked (the capture started): leave it RUNNING, failed or not. */
	if (k.stream)
		enter(&k, UVFIO_DEVICE_STATE_RUNNING);
	printf("%u checks: %u passed, %u failed, %u skipped\n",
	       k.passed + k.failed + k.skipped, k.passed, k.failed, k.skipped);
	free(k.stream);
	uvfio_client_close(k.c);
	return k.failed ? EXIT_FAIL : EXIT_OK;
}

const struct command cmd_check = {
	.name = "check",
	.synopsis = "DEV [--all-arcs]",
	.summary = "check a device's VFIO migration and feature conformance",
	.help = "Walk migration protocol v2 on DEV as the kernel defines it:\n"
		"the feature multiplexer's validation, every arc between the\n"
		"supported states (and the invalid ones), the stale-session\n"
		"rule, precopy info, MIG_DATA_SIZE and reset from every state.\n"
		"One line per check (ok, FAIL or skip) and a summary.  The\n"
		"device's state changes, RESUMING loads what it saved, and it\n"
		"ends RUNNING: use a device nobody else uses.  Exit status 1\n"
		"if a check failed.\n"
		"\n"
		"Options:\n"
		"  -a, --all-arcs   on a kernel device, also try STOP_COPY to\n"
		"                   PRE_COPY(_P2P): kernels without the fix for\n"
		"                   it loop forever in the ioctl\n",
	.run = run_check,
};
