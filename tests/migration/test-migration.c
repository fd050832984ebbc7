// SPDX-License-Identifier: MIT
/*
 * Migration v2 through the device features: arcs walked one at a time,
 * failures leaving the kernel's states, data sessions (stale readers see
 * end-of-file), pre-copy data and precopy info, loading that is staged
 * and committed whole or not at all, and reset; and a device's raw stream,
 * with the same sessions and none of the framing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/migration.h>

#include "test-util.h"

#define S UVFIO_DEVICE_STATE_STOP
#define R UVFIO_DEVICE_STATE_RUNNING
#define SC UVFIO_DEVICE_STATE_STOP_COPY
#define RS UVFIO_DEVICE_STATE_RESUMING
#define RP UVFIO_DEVICE_STATE_RUNNING_P2P
#define PC UVFIO_DEVICE_STATE_PRE_COPY
#define PCP UVFIO_DEVICE_STATE_PRE_COPY_P2P

#define ALL_FLAGS                                          \
	(UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P | \
	 UVFIO_MIGRATION_PRE_COPY)

/* A device whose whole state is one 64-byte register file. */
struct fake {
	uint8_t regs[64];
	uint8_t staged[64];
	bool have_staged;
	uint64_t dirty;
	int arcs[32][2];
	unsigned int nr_arcs;
	int fail_arc; /* fail the n-th arc (1-based), 0 never */
	bool fail_save, fail_commit;
	unsigned int commits, aborts;
};

static int arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
	       enum uvfio_device_mig_state to)
{
	struct fake *f = uvfio_device_priv(dev);

	if (f->nr_arcs < 32) {
		f->arcs[f->nr_arcs][0] = from;
		f->arcs[f->nr_arcs][1] = to;
	}
	f->nr_arcs++;
	return f->fail_arc && (int)f->nr_arcs == f->fail_arc ? -EIO : 0;
}

static int save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		enum uvfio_mig_phase phase)
{
	struct fake *f = uvfio_device_priv(dev);

	if (f->fail_save)
		return -ENOSPC;
	if (phase == UVFIO_MIG_DIRTY)
		f->dirty = 0;
	return uvfio_mig_put_section(s, 1, f->regs, sizeof(f->regs));
}

static uint64_t dirty_bytes(struct uvfio_device *dev)
{
	return ((struct fake *)uvfio_device_priv(dev))->dirty;
}

static uint64_t state_size(struct uvfio_device *dev)
{
	(void)dev;
	return 64;
}

static int load_section(struct uvfio_device *dev, uint16_t type,
			enum uvfio_mig_phase phase, const void *data,
			size_t len)
{
	struct fake *f = uvfio_device_priv(dev);

	(void)phase;
	if (type != 1 || len != sizeof(f->staged))
		return -EINVAL;
	memcpy(f->staged, data, len);
	f->have_staged = true;
	return 0;
}

static int load_commit(struct uvfio_device *dev)
{
	struct fake *f = uvfio_device_priv(dev);

	if (!f->have_staged || f->fail_commit)
		return -EINVAL;
	memcpy(f->regs, f->staged, sizeof(f->regs));
	f->commits++;
	return 0;
}

static void load_abort(struct uvfio_device *dev)
{
	struct fake *f = uvfio_device_priv(dev);

	f->have_staged = false;
	f->aborts++;
}

static int reset(struct uvfio_device *dev)
{
	(void)dev;
	return 0;
}

static const struct uvfio_device_ops dev_ops = { .reset = reset };

static struct uvfio_migration_ops mig_ops = {
	.flags = ALL_FLAGS,
	.arc = arc,
	.save = save,
	.dirty_bytes = dirty_bytes,
	.state_size = state_size,
	.load_section = load_section,
	.load_commit = load_commit,
	.load_abort = load_abort,
};

static const struct uvfio_mig_identity id = {
	.vendor = 0x1234,
	.device = 0x5678,
	.revision = 1,
	.type = "fake",
	.compat = "fake-1",
};

/* A realized device named @name with @ops; @priv starts with a fake. */
static struct uvfio_device *
make_with(const char *name, const struct uvfio_migration_ops *ops, void *priv)
{
	struct uvfio_device *dev = uvfio_device_new(name, &dev_ops, priv);

	assert_int_equal(uvfio_migration_init(dev, ops, &id), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	return dev;
}

static struct uvfio_device *make(struct fake *f, uint64_t flags)
{
	static struct uvfio_migration_ops ops[8];
	unsigned int slot = (unsigned int)(flags >> 1) & 7;

	ops[slot] = mig_ops;
	ops[slot].flags = flags;
	return make_with("fake", &ops[slot], f);
}

static int set_state(struct uvfio_device *dev, uint32_t state)
{
	struct {
		struct uvfio_device_feature hdr;
		struct uvfio_device_feature_mig_state st;
	} req = { { .argsz = sizeof(req),
		    .flags = UVFIO_DEVICE_FEATURE_SET |
			     UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE },
		  { .device_state = state, .data_fd = 7 } };
	int ret = uvfio_device_feature(dev, &req.hdr);

	assert_int_equal(req.st.data_fd, -1);
	assert_int_equal(req.st.device_state, uvfio_migration_state(dev));
	return ret;
}

static size_t read_all(struct uvfio_device *dev, uint64_t session, uint8_t *out,
		       size_t max)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = uvfio_migration_read(dev, session, out + got,
						 max - got < 7 ? max - got : 7);

		if (n <= 0)
			return got;
		got += (size_t)n;
	}
}

/* STOP_COPY, and the whole of @dev's state read into @out. */
static size_t save_all(struct uvfio_device *dev, uint8_t *out, size_t max)
{
	assert_int_equal(set_state(dev, SC), 0);
	return read_all(dev, uvfio_migration_session(dev), out, max);
}

static void test_features(void **state)
{
	struct fake f = { 0 };
	struct uvfio_device *dev = make(&f, ALL_FLAGS);
	struct {
		struct uvfio_device_feature hdr;
		uint64_t v;
	} req = { { .argsz = sizeof(req),
		    .flags = UVFIO_DEVICE_FEATURE_GET |
			     UVFIO_DEVICE_FEATURE_MIGRATION },
		  0 };

	(void)state;
	assert_int_equal(uvfio_device_feature(dev, &req.hdr), 0);
	assert_int_equal(req.v, ALL_FLAGS);
	req.hdr.flags = UVFIO_DEVICE_FEATURE_GET |
			UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE;
	assert_int_equal(uvfio_device_feature(dev, &req.hdr), 0);
	assert_true(req.v >= 64);
	/* MIGRATION is GET only; PRECOPY_INFOv2 is SET only. */
	req.hdr.flags = UVFIO_DEVICE_FEATURE_SET |
			UVFIO_DEVICE_FEATURE_MIGRATION;
	assert_int_equal(uvfio_device_feature(dev, &req.hdr), -EINVAL);
	req.hdr.argsz = sizeof(req.hdr);
	req.hdr.flags = UVFIO_DEVICE_FEATURE_SET |
			UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2;
	assert_int_equal(uvfio_device_feature(dev, &req.hdr), 0);
	/* The state starts RUNNING; SET to ERROR is refused. */
	assert_int_equal(uvfio_migration_state(dev), R);
	assert_int_equal(set_state(dev, UVFIO_DEVICE_STATE_ERROR), -EINVAL);
	assert_int_equal(set_state(dev, 8), -EINVAL);
	assert_int_equal(uvfio_migration_state(dev), R);
	uvfio_device_destroy(dev);

	/* Without PRE_COPY there is no PRECOPY_INFOv2, and no PRE_COPY. */
	dev = make(&f, UVFIO_MIGRATION_STOP_COPY);
	req.hdr.flags = UVFIO_DEVICE_FEATURE_PROBE |
			UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2;
	assert_int_equal(uvfio_device_feature(dev, &req.hdr), -ENOTTY);
	assert_int_equal(set_state(dev, PC), -EINVAL);
	assert_int_equal(set_state(dev, RP), -EINVAL);
	uvfio_device_destroy(dev);
}

static void test_arcs_walked_one_by_one(void **state)
{
	struct fake f = { 0 };
	struct uvfio_device *dev = make(&f, ALL_FLAGS);
	const int want[][2] = { { R, RP }, { RP, S }, { S, RS } };

	(void)state;
	assert_int_equal(set_state(dev, RS), 0);
	assert_int_equal(f.nr_arcs, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f.arcs[i][0], want[i][0]);
		assert_int_equal(f.arcs[i][1], want[i][1]);
	}
	uvfio_device_destroy(dev);
}

/*
 * A failing arc leaves the state where that arc started, and a saving or
 * resuming session it was opening does not stay open.
 */
static void test_failure_at_every_arc(void **state)
{
	static const struct {
		int target, fail, state;
	} cases[] = {
		/* R -> RP -> S -> RS */
		{ RS, 1, R },
		{ RS, 2, RP },
		{ RS, 3, S },
		/* R -> RP -> S -> SC */
		{ SC, 1, R },
		{ SC, 2, RP },
		{ SC, 3, S },
		/* R -> PC */
		{ PC, 1, R },
		/* R -> RP -> PCP */
		{ PCP, 2, RP },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake f = { .fail_arc = cases[i].fail };
		struct uvfio_device *dev = make(&f, ALL_FLAGS);

		assert_int_equal(set_state(dev, cases[i].target), -EIO);
		assert_int_equal(uvfio_migration_state(dev), cases[i].state);
		assert_int_equal(uvfio_migration_session(dev), 0);
		/* And the device is still usable. */
		f.fail_arc = 0;
		assert_int_equal(set_state(dev, cases[i].target), 0);
		uvfio_device_destroy(dev);
	}
	/* PRE_COPY -> PRE_COPY_P2P failing keeps the pre-copy session. */
	struct fake f = { .fail_arc = 2 };
	struct uvfio_device *dev = make(&f, ALL_FLAGS);
	uint64_t session;

	assert_int_equal(set_state(dev, PC), 0);
	session = uvfio_migration_session(dev);
	assert_int_equal(set_state(dev, SC), -EIO);
	assert_int_equal(uvfio_migration_state(dev), PC);
	assert_int_equal(uvfio_migration_session(dev), session);
	uvfio_device_destroy(dev);
}

/* The core's own steps of an arc can fail too: saving, committing. */
static void test_failure_in_save_and_commit(void **state)
{
	struct fake src = { .fail_save = true }, dst = { 0 };
	struct uvfio_device *s = make(&src, ALL_FLAGS);
	struct uvfio_device *d = make(&dst, ALL_FLAGS);
	uint8_t stream[1024];
	uint64_t session;
	size_t len;

	(void)state;
	/* Saving fails: the arc fails before the device's part, no session
	 * stays open. */
	assert_int_equal(set_state(s, SC), -ENOSPC);
	assert_int_equal(uvfio_migration_state(s), S);
	assert_int_equal(uvfio_migration_session(s), 0);
	/* S -> PC goes RP, R, then fails opening pre-copy: ends at R. */
	assert_int_equal(set_state(s, PC), -ENOSPC);
	assert_int_equal(uvfio_migration_state(s), R);
	src.fail_save = false;
	len = save_all(s, stream, sizeof(stream));

	/* Committing fails: RESUMING -> STOP fails, nothing applied. */
	for (int i = 0; i < 64; i++)
		src.regs[i] = 1;
	dst.fail_commit = true;
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session, stream, len),
			 (ssize_t)len);
	assert_int_equal(set_state(d, R), -EINVAL);
	assert_int_equal(uvfio_migration_state(d), RS);
	assert_int_equal(dst.commits, 0);
	assert_int_equal(uvfio_device_reset(d), 0);
	assert_int_equal(dst.aborts, 1);
	uvfio_device_destroy(s);
	uvfio_device_destroy(d);
}

static void test_stop_copy_session(void **state)
{
	struct fake f = { 0 };
	struct uvfio_device *dev = make(&f, ALL_FLAGS);
	uint8_t stream[1024], again[1024];
	uint64_t session;
	size_t len;

	(void)state;
	for (int i = 0; i < 64; i++)
		f.regs[i] = (uint8_t)i;
	assert_int_equal(uvfio_migration_session(dev), 0);
	/* Outside a saving state reads are refused. */
	assert_int_equal(uvfio_migration_read(dev, 0, stream, 16), -EINVAL);
	assert_int_equal(set_state(dev, S), 0);
	assert_int_equal(uvfio_migration_read(dev, 1, stream, 16), -EINVAL);
	assert_int_equal(set_state(dev, SC), 0);
	session = uvfio_migration_session(dev);
	assert_true(session != 0);
	len = read_all(dev, session, stream, sizeof(stream));
	assert_true(len > 64);
	/* End of stream in STOP_COPY is permanent. */
	assert_int_equal(uvfio_migration_read(dev, session, stream, 16), 0);
	/* Precopy info only in pre-copy states. */
	struct uvfio_precopy_info info = { .argsz = sizeof(info) };
	assert_int_equal(uvfio_migration_precopy_info(dev, session, &info),
			 -EINVAL);

	/* A new session: the old number reads end-of-file. */
	assert_int_equal(set_state(dev, S), 0);
	assert_int_equal(uvfio_migration_session(dev), 0);
	assert_int_equal(set_state(dev, SC), 0);
	assert_true(uvfio_migration_session(dev) != session);
	assert_int_equal(uvfio_migration_read(dev, session, again, 16), 0);
	assert_int_equal(read_all(dev, uvfio_migration_session(dev), again,
				  sizeof(again)),
			 len);
	assert_memory_equal(stream, again, len);
	uvfio_device_destroy(dev);
}

static void test_precopy(void **state)
{
	struct fake f = { 0 };
	struct uvfio_device *dev = make(&f, ALL_FLAGS);
	struct uvfio_precopy_info info = { .argsz = sizeof(info),
					   .flags = 0xff };
	uint8_t buf[1024];
	uint64_t session;
	size_t initial;

	(void)state;
	assert_int_equal(set_state(dev, PC), 0);
	session = uvfio_migration_session(dev);
	assert_int_equal(uvfio_migration_precopy_info(dev, session, &info), 0);
	assert_true(info.initial_bytes > 64);
	assert_int_equal(info.dirty_bytes, 0);
	assert_int_equal(info.flags, 0);
	initial = info.initial_bytes;
	/* Reading consumes initial bytes; then a temporary end (ENOMSG). */
	assert_int_equal(uvfio_migration_read(dev, session, buf, 10), 10);
	assert_int_equal(uvfio_migration_precopy_info(dev, session, &info), 0);
	assert_int_equal(info.initial_bytes, initial - 10);
	assert_int_equal(read_all(dev, session, buf + 10, sizeof(buf) - 10),
			 initial - 10);
	assert_int_equal(uvfio_migration_read(dev, session, buf, 16), -ENOMSG);
	/* The device changes: dirty bytes, then a DIRTY section to read. */
	f.dirty = 64;
	assert_int_equal(uvfio_migration_precopy_info(dev, session, &info), 0);
	assert_int_equal(info.initial_bytes, 0);
	assert_int_equal(info.dirty_bytes, 64);
	assert_true(read_all(dev, session, buf, sizeof(buf)) > 64);
	assert_int_equal(uvfio_migration_read(dev, session, buf, 16), -ENOMSG);
	/* PRE_COPY -> STOP_COPY keeps the session and ends its stream. */
	assert_int_equal(set_state(dev, SC), 0);
	assert_int_equal(uvfio_migration_session(dev), session);
	assert_true(read_all(dev, session, buf, sizeof(buf)) > 64);
	assert_int_equal(uvfio_migration_read(dev, session, buf, 16), 0);
	/* PRE_COPY -> RUNNING ends a session. */
	assert_int_equal(set_state(dev, R), 0);
	assert_int_equal(set_state(dev, PC), 0);
	session = uvfio_migration_session(dev);
	assert_int_equal(set_state(dev, R), 0);
	assert_int_equal(uvfio_migration_session(dev), 0);
	/* A new pre-copy session: the old number reads end-of-file. */
	assert_int_equal(set_state(dev, PC), 0);
	assert_true(uvfio_migration_session(dev) != session);
	assert_int_equal(uvfio_migration_read(dev, session, buf, 16), 0);
	uvfio_device_destroy(dev);
}

/* Pre-copy, then stop-copy, then load into a fresh device; compare. */
static void precopy_then_load(uint64_t flags, int fail_at)
{
	struct fake src = { 0 }, dst = { 0 };
	struct uvfio_device *s = make(&src, flags);
	struct uvfio_device *d = make(&dst, flags);
	uint8_t stream[4096];
	uint64_t session;
	size_t len;

	for (int i = 0; i < 64; i++)
		src.regs[i] = (uint8_t)i;
	assert_int_equal(set_state(s, PC), 0);
	session = uvfio_migration_session(s);
	len = read_all(s, session, stream, sizeof(stream));
	/* The device changes after INITIAL was read. */
	for (int i = 0; i < 64; i++)
		src.regs[i] = (uint8_t)(0x80 | i);
	if (fail_at) {
		/* The arc into STOP_COPY fails: still pre-copy, nothing of
		 * the final state in the stream yet. */
		src.fail_arc = (int)src.nr_arcs + fail_at;
		assert_int_equal(set_state(s, SC), -EIO);
		assert_int_equal(uvfio_migration_session(s), session);
		assert_int_equal(uvfio_migration_read(s, session, stream + len,
						      16),
				 -ENOMSG);
		src.fail_arc = 0;
	}
	assert_int_equal(set_state(s, SC), 0);
	assert_int_equal(uvfio_migration_session(s), session);
	len += read_all(s, session, stream + len, sizeof(stream) - len);
	assert_int_equal(uvfio_migration_read(s, session, stream, 16), 0);

	assert_int_equal(set_state(d, RS), 0);
	assert_int_equal(uvfio_migration_write(d, uvfio_migration_session(d),
					       stream, len),
			 (ssize_t)len);
	assert_int_equal(set_state(d, R), 0);
	assert_memory_equal(dst.regs, src.regs, 64);
	uvfio_device_destroy(s);
	uvfio_device_destroy(d);
}

/* PRE_COPY without P2P: the direct PRE_COPY -> STOP_COPY arc. */
static void test_precopy_without_p2p(void **state)
{
	(void)state;
	precopy_then_load(UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_PRE_COPY,
			  0);
	precopy_then_load(UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_PRE_COPY,
			  1);
	precopy_then_load(ALL_FLAGS, 0);
	/* With P2P: PRE_COPY -> PRE_COPY_P2P -> STOP_COPY, either failing */
	precopy_then_load(ALL_FLAGS, 1);
	precopy_then_load(ALL_FLAGS, 2);
}

/* A save failing after the device stopped for STOP_COPY is ERROR. */
static void test_final_save_failure_is_error(void **state)
{
	struct fake f = { 0 };
	struct uvfio_device *dev = make(&f, ALL_FLAGS);

	(void)state;
	assert_int_equal(set_state(dev, PC), 0);
	f.fail_save = true;
	assert_int_equal(set_state(dev, SC), -ENOSPC);
	assert_int_equal(uvfio_migration_state(dev), UVFIO_DEVICE_STATE_ERROR);
	assert_int_equal(uvfio_migration_session(dev), 0);
	assert_int_equal(set_state(dev, R), -EINVAL);
	f.fail_save = false;
	assert_int_equal(uvfio_device_reset(dev), 0);
	assert_int_equal(uvfio_migration_state(dev), R);
	uvfio_device_destroy(dev);
}

/*
 * A device whose FINAL save comes in parts: 16 bytes of its registers per
 * call, each section a byte of offset then the bytes (gathered), the
 * cursor saying where the next part starts.
 */
struct parts {
	struct fake f; /* first: its arcs are fake's */
	uint8_t regs[64], staged[64];
	unsigned int calls;
	unsigned int fail_at; /* the n-th call fails (1-based), 0 never */
	bool empty_part;      /* MORE without writing anything */
	bool more_in_initial;
};

static int parts_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		      enum uvfio_mig_phase phase)
{
	struct parts *p = uvfio_device_priv(dev);
	uint64_t *next = uvfio_mig_save_cursor(s);
	uint8_t off = (uint8_t)*next;
	struct iovec iov[2] = { { &off, 1 }, { p->regs + off, 16 } };
	int ret;

	if (++p->calls == p->fail_at)
		return -ENOSPC;
	if (phase != UVFIO_MIG_FINAL) {
		*next = 48; /* the FINAL save must not start here */
		return p->more_in_initial ? UVFIO_MIG_SAVE_MORE : 0;
	}
	if (p->empty_part)
		return UVFIO_MIG_SAVE_MORE;
	ret = uvfio_mig_put_sectionv(s, 2, iov, 2);
	if (ret)
		return ret;
	*next = off + 16u;
	return *next < sizeof(p->regs) ? UVFIO_MIG_SAVE_MORE : 0;
}

static int parts_load(struct uvfio_device *dev, uint16_t type,
		      enum uvfio_mig_phase phase, const void *data, size_t len)
{
	struct parts *p = uvfio_device_priv(dev);
	const uint8_t *d = data;

	(void)phase;
	if (type != 2 || len != 17 || d[0] > sizeof(p->regs) - 16)
		return -EINVAL;
	memcpy(p->staged + d[0], d + 1, 16);
	return 0;
}

static int parts_commit(struct uvfio_device *dev)
{
	struct parts *p = uvfio_device_priv(dev);

	memcpy(p->regs, p->staged, sizeof(p->regs));
	/* The next load starts from nothing: what it lacks shows. */
	memset(p->staged, 0, sizeof(p->staged));
	return 0;
}

static void parts_abort(struct uvfio_device *dev)
{
	struct parts *p = uvfio_device_priv(dev);

	memset(p->staged, 0, sizeof(p->staged));
}

static const struct uvfio_migration_ops parts_ops = {
	.flags = ALL_FLAGS,
	.arc = arc,
	.save = parts_save,
	.state_size = state_size,
	.load_section = parts_load,
	.load_commit = parts_commit,
	.load_abort = parts_abort,
};

static struct uvfio_device *make_parts(struct parts *p)
{
	return make_with("parts", &parts_ops, p);
}

/*
 * The FINAL save in parts: one at the SET, the others as reads drain
 * them; a session left half-read starts over; a failing or empty part
 * fails every read from then on, never ending the stream early.
 */
static void test_final_save_in_parts(void **state)
{
	struct parts src = { .calls = 0 }, dst = { .calls = 0 };
	struct uvfio_device *s = make_parts(&src), *d = make_parts(&dst);
	uint8_t stream[1024], again[1024];
	uint64_t session;
	size_t len;

	(void)state;
	for (int i = 0; i < 64; i++)
		src.regs[i] = (uint8_t)(0x40 + i);
	assert_int_equal(set_state(s, SC), 0);
	assert_int_equal(src.calls, 1);
	len = read_all(s, uvfio_migration_session(s), stream, sizeof(stream));
	assert_int_equal(src.calls, 4);
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session, stream, len),
			 (ssize_t)len);
	assert_int_equal(set_state(d, R), 0);
	assert_memory_equal(dst.regs, src.regs, sizeof(src.regs));

	/* Left after one part: the next session saves from the start. */
	assert_int_equal(set_state(s, S), 0);
	assert_int_equal(set_state(s, SC), 0);
	assert_int_equal(uvfio_migration_read(s, uvfio_migration_session(s),
					      again, 10),
			 10);
	assert_int_equal(set_state(s, S), 0);
	assert_int_equal(set_state(s, SC), 0);
	assert_int_equal(read_all(s, uvfio_migration_session(s), again,
				  sizeof(again)),
			 len);
	assert_memory_equal(again, stream, len);

	/* The third part fails: so does every read after it. */
	assert_int_equal(set_state(s, S), 0);
	src.calls = 0;
	src.fail_at = 3;
	assert_int_equal(set_state(s, SC), 0);
	session = uvfio_migration_session(s);
	assert_true(read_all(s, session, again, sizeof(again)) < len);
	assert_int_equal(uvfio_migration_read(s, session, again, 16), -ENOSPC);
	assert_int_equal(uvfio_migration_read(s, session, again, 1), -ENOSPC);
	assert_int_equal(uvfio_migration_state(s), SC);

	/* A part that writes nothing. */
	assert_int_equal(set_state(s, S), 0);
	src.fail_at = 0;
	src.empty_part = true;
	assert_int_equal(set_state(s, SC), 0);
	session = uvfio_migration_session(s);
	read_all(s, session, again, sizeof(again));
	assert_int_equal(uvfio_migration_read(s, session, again, 16), -EIO);

	/* Pre-copy moved the cursor: FINAL starts from 0 all the same. */
	assert_int_equal(set_state(s, S), 0);
	src.empty_part = false;
	assert_int_equal(set_state(s, PC), 0);
	assert_int_equal(set_state(s, SC), 0);
	len = read_all(s, uvfio_migration_session(s), stream, sizeof(stream));
	memset(dst.regs, 0, sizeof(dst.regs));
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session, stream, len),
			 (ssize_t)len);
	assert_int_equal(set_state(d, R), 0);
	assert_memory_equal(dst.regs, src.regs, sizeof(src.regs));

	/* Pre-copy phases are whole. */
	assert_int_equal(set_state(s, S), 0);
	src.more_in_initial = true;
	assert_int_equal(set_state(s, PC), -EINVAL);
	assert_int_equal(uvfio_migration_session(s), 0);
	uvfio_device_destroy(s);
	uvfio_device_destroy(d);
}

/* Save from one device, load into another: commit only a whole stream. */
static void test_load(void **state)
{
	struct fake src = { 0 }, dst = { 0 };
	struct uvfio_device *s = make(&src, ALL_FLAGS);
	struct uvfio_device *d = make(&dst, ALL_FLAGS);
	uint8_t stream[1024];
	uint64_t session;
	size_t len;

	(void)state;
	for (int i = 0; i < 64; i++)
		src.regs[i] = (uint8_t)(0xa0 + i);
	len = save_all(s, stream, sizeof(stream));

	/* Outside RESUMING writes are refused. */
	assert_int_equal(uvfio_migration_write(d, 1, stream, len), -EINVAL);
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session + 1, stream, len),
			 -EBADF);
	/* A truncated stream: RESUMING -> STOP fails, nothing changes. */
	assert_int_equal(uvfio_migration_write(d, session, stream, len - 1),
			 (ssize_t)(len - 1));
	assert_int_equal(set_state(d, S), -EINVAL);
	assert_int_equal(uvfio_migration_state(d), RS);
	assert_int_equal(dst.commits, 0);
	assert_int_equal(dst.regs[0], 0);
	/* Reset recovers: RUNNING, the staged state dropped. */
	assert_int_equal(uvfio_device_reset(d), 0);
	assert_int_equal(uvfio_migration_state(d), R);
	assert_true(dst.aborts >= 1);
	assert_int_equal(uvfio_migration_session(d), 0);

	/* A corrupted byte: the write itself is refused. */
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	stream[len / 2] ^= 0x40;
	assert_int_equal(uvfio_migration_write(d, session, stream, len),
			 -EINVAL);
	stream[len / 2] ^= 0x40;
	assert_int_equal(uvfio_migration_write(d, session, stream, len),
			 -EINVAL); /* the session stays refused */
	assert_int_equal(set_state(d, S), -EINVAL);
	assert_int_equal(dst.regs[0], 0);
	assert_int_equal(uvfio_device_reset(d), 0);

	/* The whole stream, in pieces: committed at RESUMING -> STOP. */
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	for (size_t off = 0; off < len; off += 5)
		assert_int_equal(
			uvfio_migration_write(d, session, stream + off,
					      len - off < 5 ? len - off : 5),
			(ssize_t)(len - off < 5 ? len - off : 5));
	assert_int_equal(set_state(d, R), 0);
	assert_int_equal(dst.commits, 1);
	assert_memory_equal(dst.regs, src.regs, 64);
	uvfio_device_destroy(s);
	uvfio_device_destroy(d);
}

static void test_other_identity_refused(void **state)
{
	static struct uvfio_migration_ops ops;
	struct uvfio_mig_identity other = id;
	struct fake src = { 0 }, dst = { 0 };
	struct uvfio_device *s = uvfio_device_new("other", &dev_ops, &src);
	struct uvfio_device *d = make(&dst, ALL_FLAGS);
	uint8_t stream[1024];
	size_t len;

	(void)state;
	ops = mig_ops;
	other.compat = "fake-2";
	assert_int_equal(uvfio_migration_init(s, &ops, &other), 0);
	assert_int_equal(uvfio_device_realize(s), 0);
	len = save_all(s, stream, sizeof(stream));
	assert_int_equal(set_state(d, RS), 0);
	assert_int_equal(uvfio_migration_write(d, uvfio_migration_session(d),
					       stream, len),
			 -EINVAL);
	assert_int_equal(set_state(d, S), -EINVAL);
	uvfio_device_destroy(s);
	uvfio_device_destroy(d);
}

static void test_init_checks(void **state)
{
	static struct uvfio_migration_ops bad;
	struct fake f = { 0 };
	struct uvfio_device *dev = uvfio_device_new("bad", &dev_ops, &f);
	struct uvfio_mig_identity noname = id;

	(void)state;
	bad = mig_ops;
	bad.flags = UVFIO_MIGRATION_P2P;
	assert_int_equal(uvfio_migration_init(dev, &bad, &id), -EINVAL);
	bad = mig_ops;
	bad.load_commit = NULL;
	assert_int_equal(uvfio_migration_init(dev, &bad, &id), -EINVAL);
	noname.type = "";
	assert_int_equal(uvfio_migration_init(dev, &mig_ops, &noname), -EINVAL);
	assert_int_equal(uvfio_migration_init(dev, &mig_ops, &id), 0);
	assert_int_equal(uvfio_migration_init(dev, &mig_ops, &id), -EEXIST);
	assert_int_equal(uvfio_device_realize(dev), 0);
	uvfio_device_destroy(dev);
}

/*
 * A raw stream: the fake writes "HDR!" then its 64 registers, with no
 * framing of the core's; its loader takes the bytes as they come.
 */
#define RAW_HDR "HDR!"
#define RAW_LEN (4 + 64)

struct raw_fake {
	struct fake f;
	uint8_t in[RAW_LEN];
	size_t filled;
	int put_section_ret, put_raw_ret;
};

static int raw_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		    enum uvfio_mig_phase phase)
{
	struct raw_fake *r = uvfio_device_priv(dev);
	int ret = 0;

	r->put_section_ret = uvfio_mig_put_section(s, 1, "x", 1);
	if (!uvfio_mig_raw_offset(s))
		ret = uvfio_mig_put_raw(s, RAW_HDR, 4);
	if (!ret && phase == UVFIO_MIG_FINAL)
		ret = uvfio_mig_put_raw(s, r->f.regs, sizeof(r->f.regs));
	return ret;
}

static uint64_t raw_state_size(struct uvfio_device *dev)
{
	(void)dev;
	return RAW_LEN;
}

static int raw_load(struct uvfio_device *dev, const void *data, size_t len)
{
	struct raw_fake *r = uvfio_device_priv(dev);
	size_t before = r->filled;

	if (len > RAW_LEN - r->filled)
		return -E2BIG;
	memcpy(r->in + r->filled, data, len);
	r->filled += len;
	if (before < 4 && r->filled >= 4 && memcmp(r->in, RAW_HDR, 4))
		return -EPROTO;
	return 0;
}

static int raw_commit(struct uvfio_device *dev)
{
	struct raw_fake *r = uvfio_device_priv(dev);

	if (r->filled != RAW_LEN)
		return -EINVAL;
	memcpy(r->f.regs, r->in + 4, 64);
	r->filled = 0;
	r->f.commits++;
	return 0;
}

static void raw_abort(struct uvfio_device *dev)
{
	struct raw_fake *r = uvfio_device_priv(dev);

	r->filled = 0;
	r->f.aborts++;
}

static const struct uvfio_migration_ops raw_ops = {
	.flags = ALL_FLAGS,
	.arc = arc,
	.save = raw_save,
	.state_size = raw_state_size,
	.load_raw = raw_load,
	.load_commit = raw_commit,
	.load_abort = raw_abort,
};

static struct uvfio_device *make_raw(struct raw_fake *r)
{
	return make_with("raw", &raw_ops, r);
}

static uint64_t data_size(struct uvfio_device *dev)
{
	struct {
		struct uvfio_device_feature hdr;
		struct uvfio_device_feature_mig_data_size ds;
	} req = { { .argsz = sizeof(req),
		    .flags = UVFIO_DEVICE_FEATURE_GET |
			     UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE },
		  { 0 } };

	assert_int_equal(uvfio_device_feature(dev, &req.hdr), 0);
	return req.ds.stop_copy_length;
}

static void test_raw_save(void **state)
{
	struct raw_fake r = { 0 };
	struct uvfio_device *dev = make_raw(&r);
	struct uvfio_precopy_info info = { .argsz = sizeof(info) };
	uint8_t want[RAW_LEN], got[256];
	uint64_t session;

	(void)state;
	for (int i = 0; i < 64; i++)
		r.f.regs[i] = (uint8_t)(0x30 + i);
	memcpy(want, RAW_HDR, 4);
	memcpy(want + 4, r.f.regs, 64);
	/* No framing: the size is the device's own, exactly. */
	assert_int_equal(data_size(dev), RAW_LEN);

	/* STOP -> STOP_COPY: the device's bytes and nothing else. */
	assert_int_equal(set_state(dev, S), 0);
	assert_int_equal(save_all(dev, got, sizeof(got)), RAW_LEN);
	assert_memory_equal(got, want, RAW_LEN);
	assert_int_equal(r.put_section_ret, -EINVAL);

	/* Pre-copy: the header is the initial data, then STOP_COPY adds
	 * the registers to the same session, and the whole is the same. */
	assert_int_equal(set_state(dev, R), 0);
	assert_int_equal(set_state(dev, PC), 0);
	session = uvfio_migration_session(dev);
	assert_int_equal(uvfio_migration_precopy_info(dev, session, &info), 0);
	assert_int_equal(info.initial_bytes, 4);
	assert_int_equal(info.dirty_bytes, 0);
	assert_int_equal(uvfio_migration_read(dev, session, got, sizeof(got)),
			 4);
	assert_int_equal(uvfio_migration_read(dev, session, got, sizeof(got)),
			 -ENOMSG);
	assert_int_equal(set_state(dev, SC), 0);
	assert_int_equal(uvfio_migration_session(dev), session);
	assert_int_equal(read_all(dev, session, got + 4, sizeof(got) - 4), 64);
	assert_memory_equal(got, want, RAW_LEN);

	/* The header not (or half) read at STOP_COPY: still written once. */
	for (size_t read = 0; read <= 2; read += 2) {
		assert_int_equal(set_state(dev, R), 0);
		assert_int_equal(set_state(dev, PC), 0);
		session = uvfio_migration_session(dev);
		if (read)
			assert_int_equal(uvfio_migration_read(dev, session, got,
							      read),
					 (ssize_t)read);
		assert_int_equal(set_state(dev, SC), 0);
		assert_int_equal(read_all(dev, session, got + read,
					  sizeof(got) - read),
				 RAW_LEN - read);
		assert_memory_equal(got, want, RAW_LEN);
	}
	uvfio_device_destroy(dev);
}

static void test_raw_load(void **state)
{
	struct raw_fake src = { 0 }, dst = { 0 };
	struct uvfio_device *s = make_raw(&src);
	struct uvfio_device *d = make_raw(&dst);
	uint8_t stream[RAW_LEN];
	uint64_t session;

	(void)state;
	for (int i = 0; i < 64; i++)
		src.f.regs[i] = (uint8_t)(0xc0 + i);
	assert_int_equal(save_all(s, stream, sizeof(stream)), RAW_LEN);

	/* The device's own refusal fails the write and the session. */
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session, "HDR?", 4), -EPROTO);
	assert_int_equal(uvfio_migration_write(d, session, stream + 4, 64),
			 -EINVAL);
	assert_int_equal(set_state(d, S), -EINVAL);
	assert_int_equal(uvfio_device_reset(d), 0);
	assert_int_equal(dst.f.commits, 0);
	assert_int_equal(dst.f.aborts, 1);

	/* Short: RESUMING -> STOP fails in the commit and stays RESUMING;
	 * the rest of the bytes complete it. */
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session, stream, 10), 10);
	assert_int_equal(set_state(d, S), -EINVAL);
	assert_int_equal(uvfio_migration_state(d), RS);
	assert_int_equal(dst.f.regs[0], 0);
	assert_int_equal(dst.f.aborts, 1); /* the session goes on */
	for (size_t off = 10; off < RAW_LEN; off++)
		assert_int_equal(
			uvfio_migration_write(d, session, stream + off, 1), 1);
	/* A stale session's writer is still refused. */
	assert_int_equal(uvfio_migration_write(d, session + 1, stream, 1),
			 -EBADF);
	assert_int_equal(set_state(d, R), 0);
	assert_int_equal(dst.f.commits, 1);
	assert_int_equal(dst.f.aborts, 1); /* committed: nothing to drop */
	assert_memory_equal(dst.f.regs, src.f.regs, 64);

	/* Bytes past the end: the device's answer, and the stream refused. */
	assert_int_equal(set_state(d, S), 0);
	assert_int_equal(set_state(d, RS), 0);
	session = uvfio_migration_session(d);
	assert_int_equal(uvfio_migration_write(d, session, stream, RAW_LEN),
			 RAW_LEN);
	assert_int_equal(uvfio_migration_write(d, session, stream, 1), -E2BIG);
	assert_int_equal(set_state(d, S), -EINVAL);
	uvfio_device_destroy(s);
	uvfio_device_destroy(d);
}

static void test_raw_init_checks(void **state)
{
	static struct uvfio_migration_ops bad;
	struct raw_fake r = { 0 };
	struct uvfio_device *dev = uvfio_device_new("bad", &dev_ops, &r);

	(void)state;
	/* Exactly one of load_section and load_raw. */
	bad = raw_ops;
	bad.load_section = load_section;
	assert_int_equal(uvfio_migration_init(dev, &bad, &id), -EINVAL);
	bad = raw_ops;
	bad.load_raw = NULL;
	assert_int_equal(uvfio_migration_init(dev, &bad, &id), -EINVAL);
	/* A framed device cannot write raw bytes. */
	bad = mig_ops;
	bad.save = raw_save;
	assert_int_equal(uvfio_migration_init(dev, &bad, &id), 0);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(set_state(dev, S), 0);
	assert_int_equal(set_state(dev, SC), -EINVAL);
	assert_int_equal(uvfio_migration_state(dev), S);
	uvfio_device_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_arcs_walked_one_by_one),
		cmocka_unit_test(test_failure_at_every_arc),
		cmocka_unit_test(test_failure_in_save_and_commit),
		cmocka_unit_test(test_stop_copy_session),
		cmocka_unit_test(test_precopy),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_precopy_without_p2p),
		cmocka_unit_test(test_final_save_failure_is_error),
		cmocka_unit_test(test_final_save_in_parts),
		cmocka_unit_test(test_other_identity_refused),
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_raw_save),
		cmocka_unit_test(test_raw_load),
		cmocka_unit_test(test_raw_init_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
