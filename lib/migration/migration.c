// SPDX-License-Identifier: MIT
/*
 * Migration v2: the device state, the features that drive it, and the
 * data sessions.
 *
 * A SET of MIG_DEVICE_STATE walks the kernel's path one arc at a time.
 * The core opens and closes data sessions around the device's arcs:
 *
 *   RUNNING -> PRE_COPY, RUNNING_P2P -> PRE_COPY_P2P: a new saving session
 *     with the stream header and the INITIAL sections
 *   STOP -> STOP_COPY: a new saving session with the FINAL sections, END
 *   PRE_COPY_P2P -> STOP_COPY: the same session gets FINAL and END
 *   leaving the saving group: the session ends
 *   STOP -> RESUMING: a new resuming session (a stream parser)
 *   RESUMING -> STOP: the stream must be complete; the device commits what
 *     it staged, or the arc fails and the staged state is dropped
 *
 * Every session has a new number; readers and writers name theirs, so a
 * stale one never sees another session's data.  Everything here runs
 * under the device lock.
 *
 * A raw stream (ops->load_raw) has the same sessions without the framing:
 * no header or END written, no parser; the device's own bytes go out and
 * come in as they are, and its commit judges completeness.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/device-internal.h"
#include "migration-internal.h"
#include "stream.h"

#define STATE_FEATURE_SIZE sizeof(struct uvfio_device_feature_mig_state)
#define WHY_LEN 200

static bool is_saving(enum uvfio_device_mig_state s)
{
	return s == UVFIO_DEVICE_STATE_STOP_COPY ||
	       s == UVFIO_DEVICE_STATE_PRE_COPY ||
	       s == UVFIO_DEVICE_STATE_PRE_COPY_P2P;
}

static bool is_precopy(enum uvfio_device_mig_state s)
{
	return s == UVFIO_DEVICE_STATE_PRE_COPY ||
	       s == UVFIO_DEVICE_STATE_PRE_COPY_P2P;
}

static bool is_raw(const struct uvfio_migration *m)
{
	return m->ops->load_raw != NULL;
}

/* ---- saving ---- */

int uvfio_mig_put_section(struct uvfio_mig_save *s, uint16_t type,
			  const void *data, size_t len)
{
	struct uvfio_migration *m = s->mig;
	int ret;

	if (is_raw(m) || !type || len > UVFIO_MIG_SECTION_MAX || (len && !data))
		return -EINVAL;
	ret = mig_stream_put_section(&m->buf, m->seq, type, s->phase, data,
				     len);
	if (!ret)
		m->seq++;
	return ret;
}

int uvfio_mig_put_sectionv(struct uvfio_mig_save *s, uint16_t type,
			   const struct iovec *iov, unsigned int iovcnt)
{
	struct uvfio_migration *m = s->mig;
	int ret;

	if (is_raw(m))
		return -EINVAL;
	ret = mig_stream_put_sectionv(&m->buf, m->seq, type, s->phase, iov,
				      iovcnt);
	if (!ret)
		m->seq++;
	return ret;
}

uint64_t *uvfio_mig_save_cursor(struct uvfio_mig_save *s)
{
	return &s->mig->cursor;
}

int uvfio_mig_put_raw(struct uvfio_mig_save *s, const void *data, size_t len)
{
	if (!is_raw(s->mig) || len > UVFIO_MIG_SECTION_MAX || (len && !data))
		return -EINVAL;
	return mig_buf_append(&s->mig->buf, data, len);
}

uint64_t uvfio_mig_raw_offset(const struct uvfio_mig_save *s)
{
	const struct uvfio_migration *m = s->mig;

	return m->read_total + mig_buf_pending(&m->buf);
}

static int save_phase(struct uvfio_migration *m, enum uvfio_mig_phase phase)
{
	struct uvfio_mig_save s = { .mig = m, .phase = phase };
	int ret = m->ops->save(m->dev, &s, phase);

	if (ret == UVFIO_MIG_SAVE_MORE && phase != UVFIO_MIG_FINAL) {
		uvfio_err(m->dev, "a save of phase %d must be whole", phase);
		return -EINVAL;
	}
	if (ret < 0 || ret > UVFIO_MIG_SAVE_MORE) {
		if (ret > 0)
			ret = -EINVAL;
		uvfio_err(m->dev, "saving device state (phase %d) failed: %s",
			  phase, strerror(-ret));
	}
	return ret;
}

static void session_end(struct uvfio_migration *m)
{
	if (m->resuming) {
		mig_parser_free(m->parser);
		m->parser = NULL;
		if (!m->committed)
			m->ops->load_abort(m->dev);
		m->resuming = false;
	}
	mig_buf_release(&m->buf);
	__atomic_store_n(&m->session, 0, __ATOMIC_RELEASE);
	m->ended = false;
	m->more = false;
	m->cursor = 0;
	m->save_err = 0;
	m->load_failed = false;
	m->committed = false;
	m->final_seen = false;
}

static void session_begin(struct uvfio_migration *m)
{
	session_end(m);
	mig_buf_init(&m->buf);
	m->seq = 0;
	m->initial_end = 0;
	m->read_total = 0;
	__atomic_store_n(&m->session, ++m->last_session, __ATOMIC_RELEASE);
}

/* The FINAL save, or its next part, and END after the last. */
static int save_final(struct uvfio_migration *m)
{
	int ret;

	/* The first part starts the cursor at 0, whatever pre-copy did. */
	if (!m->more)
		m->cursor = 0;
	ret = save_phase(m, UVFIO_MIG_FINAL);

	m->more = ret == UVFIO_MIG_SAVE_MORE;
	if (m->more)
		return 0;
	if (!ret && !is_raw(m))
		ret = mig_stream_put_end(&m->buf, m->seq);
	if (!ret)
		m->ended = true;
	return ret;
}

/*
 * Before a read of @len: the FINAL save's next parts while less than that
 * is pending.  A part that fails spoils the stream: every read from then
 * on fails, rather than end early as if the state were whole.
 */
static int save_more(struct uvfio_migration *m, size_t len)
{
	while (m->more && mig_buf_pending(&m->buf) < len) {
		size_t before = mig_buf_pending(&m->buf);
		int ret = save_final(m);

		/* A part that adds nothing would have us call it forever. */
		if (!ret && m->more && mig_buf_pending(&m->buf) == before) {
			uvfio_err(m->dev, "a part of the FINAL save was empty");
			ret = -EIO;
		}
		if (ret) {
			m->more = false;
			m->save_err = ret;
		}
	}
	return m->save_err;
}

static int open_saving(struct uvfio_migration *m, bool precopy)
{
	int ret;

	session_begin(m);
	ret = is_raw(m) ? 0 : mig_stream_put_header(&m->buf, &m->id);
	if (!ret && precopy) {
		ret = save_phase(m, UVFIO_MIG_INITIAL);
		m->initial_end = mig_buf_pending(&m->buf);
	} else if (!ret) {
		ret = save_final(m);
	}
	if (ret)
		session_end(m);
	return ret;
}

static int section_loaded(void *opaque, uint16_t type,
			  enum uvfio_mig_phase phase, const void *data,
			  size_t len)
{
	struct uvfio_migration *m = opaque;
	int ret = m->ops->load_section(m->dev, type, phase, data, len);

	if (!ret && phase == UVFIO_MIG_FINAL)
		m->final_seen = true;
	return ret;
}

static int open_resuming(struct uvfio_migration *m)
{
	session_begin(m);
	if (!is_raw(m)) {
		m->parser = mig_parser_new(&m->id, section_loaded, m);
		if (!m->parser) {
			session_end(m);
			return -ENOMEM;
		}
	}
	m->resuming = true;
	return 0;
}

/*
 * RESUMING -> STOP needs a complete, valid stream with a FINAL state (a
 * raw stream's device says in its commit whether it is complete).
 */
static bool resume_complete(struct uvfio_migration *m)
{
	const char *why = NULL;

	if (m->load_failed)
		why = "the stream was refused";
	else if (!is_raw(m) && !mig_parser_complete(m->parser))
		why = "the stream is incomplete (no END)";
	else if (!is_raw(m) && !m->final_seen)
		why = "the stream holds no FINAL state";
	if (why)
		uvfio_err(m->dev, "RESUMING -> STOP refused: %s", why);
	return !why;
}

static int commit_resuming(struct uvfio_migration *m)
{
	int ret = m->ops->load_commit(m->dev);

	if (ret) {
		uvfio_err(m->dev, "committing the loaded state failed: %s",
			  strerror(-ret));
		return ret;
	}
	m->committed = true;
	return 0;
}

/* ---- arcs ---- */

static int device_arc(struct uvfio_migration *m,
		      enum uvfio_device_mig_state from,
		      enum uvfio_device_mig_state to)
{
	int ret = m->ops->arc(m->dev, from, to);

	if (ret)
		uvfio_err(m->dev, "migration arc %s -> %s failed: %s",
			  uvfio_mig_state_name(from), uvfio_mig_state_name(to),
			  strerror(-ret));
	return ret;
}

/*
 * One arc: the device's part and the data session's, ordered so that a
 * failure leaves the state where the arc started (the device's own arc is
 * undone where the kernel's table has the reverse arc):
 *
 *   into the saving group: open the session (header, INITIAL or FINAL),
 *     then the device's arc; its failure closes the session
 *   pre-copy -> STOP_COPY: the device's arc (it stops), then FINAL and END
 *     from the stopped device; a failed save is ERROR (the device stopped
 *     and the stream is spoilt: only a reset helps, as the kernel allows)
 *   STOP -> RESUMING: open the session, then the arc
 *   RESUMING -> STOP: the arc, then the commit; a failed commit takes the
 *     device back to RESUMING and fails
 */
static int step(struct uvfio_migration *m, enum uvfio_device_mig_state from,
		enum uvfio_device_mig_state to)
{
	int ret;

	if (is_precopy(from) && to == UVFIO_DEVICE_STATE_STOP_COPY) {
		ret = device_arc(m, from, to);
		if (ret)
			return ret;
		ret = save_final(m);
		if (ret) {
			session_end(m);
			__atomic_store_n(&m->state, UVFIO_DEVICE_STATE_ERROR,
					 __ATOMIC_RELEASE);
			return ret;
		}
	} else if (from == UVFIO_DEVICE_STATE_RESUMING) {
		if (!resume_complete(m))
			return -EINVAL;
		ret = device_arc(m, from, to);
		if (ret)
			return ret;
		ret = commit_resuming(m);
		if (ret) {
			device_arc(m, to, from);
			return ret;
		}
		session_end(m);
	} else if ((!is_saving(from) && is_saving(to)) ||
		   (from == UVFIO_DEVICE_STATE_STOP &&
		    to == UVFIO_DEVICE_STATE_RESUMING)) {
		ret = is_saving(to) ? open_saving(m, is_precopy(to)) :
				      open_resuming(m);
		if (ret)
			return ret;
		ret = device_arc(m, from, to);
		if (ret) {
			session_end(m);
			return ret;
		}
	} else {
		ret = device_arc(m, from, to);
		if (ret)
			return ret;
		/* Leaving the saving group ends the session. */
		if (is_saving(from) && !is_saving(to))
			session_end(m);
	}
	__atomic_store_n(&m->state, to, __ATOMIC_RELEASE);
	return 0;
}

static int set_state(struct uvfio_migration *m,
		     enum uvfio_device_mig_state target)
{
	enum uvfio_device_mig_state cur = m->state, next;
	int ret;

	while (cur != target) {
		ret = uvfio_mig_next_state(m->ops->flags, cur, target, &next);
		if (ret)
			return ret;
		ret = step(m, cur, next);
		if (ret)
			return ret;
		cur = next;
	}
	return 0;
}

/* ---- features ---- */

static int feature_migration(struct uvfio_device *dev, uint32_t flags,
			     void *data, size_t size, void *opaque)
{
	struct uvfio_migration *m = opaque;
	struct uvfio_device_feature_migration mig = { .flags = m->ops->flags };

	(void)dev, (void)flags, (void)size;
	memcpy(data, &mig, sizeof(mig));
	return 0;
}

static int feature_state(struct uvfio_device *dev, uint32_t flags, void *data,
			 size_t size, void *opaque)
{
	struct uvfio_migration *m = opaque;
	struct uvfio_device_feature_mig_state st;
	int ret = 0;

	(void)dev, (void)size;
	memcpy(&st, data, sizeof(st));
	if (flags & UVFIO_DEVICE_FEATURE_SET)
		ret = set_state(m, st.device_state);
	/* GET, and a SET that ended anywhere: report where we are.  No
	 * descriptors are made in-process: the session number names the
	 * data (uvfio_migration_session). */
	st.device_state = m->state;
	st.data_fd = -1;
	memcpy(data, &st, sizeof(st));
	return ret;
}

static int feature_data_size(struct uvfio_device *dev, uint32_t flags,
			     void *data, size_t size, void *opaque)
{
	struct uvfio_migration *m = opaque;
	struct uvfio_device_feature_mig_data_size ds = {
		/* the device's bytes, plus the framing of ours */
		.stop_copy_length =
			m->ops->state_size(dev) + (is_raw(m) ? 0 : 512),
	};

	(void)flags, (void)size;
	memcpy(data, &ds, sizeof(ds));
	return 0;
}

static int feature_precopy_v2(struct uvfio_device *dev, uint32_t flags,
			      void *data, size_t size, void *opaque)
{
	struct uvfio_migration *m = opaque;

	(void)dev, (void)flags, (void)data, (void)size;
	m->precopy_info_v2 = true;
	return 0;
}

/* ---- reset ---- */

/* VFIO_DEVICE_RESET ends any session and returns to RUNNING. */
static void migration_reset(struct uvfio_device *dev)
{
	struct uvfio_migration *m = dev->mig;

	session_end(m);
	__atomic_store_n(&m->state, UVFIO_DEVICE_STATE_RUNNING,
			 __ATOMIC_RELEASE);
}

static void migration_release(struct uvfio_device *dev)
{
	struct uvfio_migration *m = dev->mig;

	session_end(m);
	free(m->type);
	free(m->compat);
	free(m);
	dev->mig = NULL;
}

static bool name_ok(const char *s)
{
	return s && *s && strlen(s) <= MIG_NAME_MAX;
}

int uvfio_migration_init(struct uvfio_device *dev,
			 const struct uvfio_migration_ops *ops,
			 const struct uvfio_mig_identity *id)
{
	const uint64_t known = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
			       UVFIO_MIGRATION_PRE_COPY;
	unsigned int nr_features = dev->nr_features;
	struct uvfio_migration *m;
	int ret;

	if (dev->realized)
		return -EBUSY;
	if (dev->mig)
		return -EEXIST;
	if (!ops || !id || !(ops->flags & UVFIO_MIGRATION_STOP_COPY) ||
	    (ops->flags & ~known) || !ops->arc || !ops->save ||
	    !ops->state_size || (!ops->load_section == !ops->load_raw) ||
	    !ops->load_commit || !ops->load_abort || !name_ok(id->type) ||
	    !name_ok(id->compat)) {
		uvfio_err(dev, "migration ops or identity incomplete");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dev = dev;
	m->ops = ops;
	m->id = *id;
	m->type = strdup(id->type);
	m->compat = strdup(id->compat);
	m->id.type = m->type;
	m->id.compat = m->compat;
	m->state = UVFIO_DEVICE_STATE_RUNNING;
	mig_buf_init(&m->buf);
	if (!m->type || !m->compat) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = uvfio_device_add_feature(
		dev, UVFIO_DEVICE_FEATURE_MIGRATION, UVFIO_DEVICE_FEATURE_GET,
		sizeof(struct uvfio_device_feature_migration),
		feature_migration, m);
	if (!ret)
		ret = uvfio_device_add_feature(
			dev, UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			UVFIO_DEVICE_FEATURE_GET | UVFIO_DEVICE_FEATURE_SET,
			STATE_FEATURE_SIZE, feature_state, m);
	if (!ret)
		ret = uvfio_device_add_feature(
			dev, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
			UVFIO_DEVICE_FEATURE_GET,
			sizeof(struct uvfio_device_feature_mig_data_size),
			feature_data_size, m);
	if (!ret && (ops->flags & UVFIO_MIGRATION_PRE_COPY))
		ret = uvfio_device_add_feature(
			dev, UVFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2,
			UVFIO_DEVICE_FEATURE_SET, 0, feature_precopy_v2, m);
	if (ret)
		goto fail;
	dev->mig = m;
	dev->mig_reset = migration_reset;
	dev->mig_release = migration_release;
	return 0;
fail:
	/* Features are appended: drop those that point at @m. */
	dev->nr_features = nr_features;
	free(m->type);
	free(m->compat);
	free(m);
	return ret;
}

/* ---- the data path, for transports ---- */

enum uvfio_device_mig_state uvfio_migration_state(struct uvfio_device *dev)
{
	return dev->mig ? __atomic_load_n(&dev->mig->state, __ATOMIC_ACQUIRE) :
			  UVFIO_DEVICE_STATE_ERROR;
}

uint64_t uvfio_migration_session(struct uvfio_device *dev)
{
	return dev->mig ?
		       __atomic_load_n(&dev->mig->session, __ATOMIC_ACQUIRE) :
		       0;
}

/* Where a saving state goes when its reader is gone; ERROR: nowhere. */
static enum uvfio_device_mig_state out_of_saving(enum uvfio_device_mig_state s)
{
	switch (s) {
	case UVFIO_DEVICE_STATE_STOP_COPY:
		return UVFIO_DEVICE_STATE_STOP;
	case UVFIO_DEVICE_STATE_PRE_COPY:
		return UVFIO_DEVICE_STATE_RUNNING;
	case UVFIO_DEVICE_STATE_PRE_COPY_P2P:
		return UVFIO_DEVICE_STATE_RUNNING_P2P;
	default:
		return UVFIO_DEVICE_STATE_ERROR;
	}
}

void uvfio_migration_client_gone(struct uvfio_device *dev)
{
	struct uvfio_migration *m = dev->mig;
	enum uvfio_device_mig_state was, to;
	int ret = -EAGAIN;

	if (!m)
		return;
	pthread_mutex_lock(&dev->lock);
	was = m->state;
	if (!m->session && was != UVFIO_DEVICE_STATE_ERROR) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	to = out_of_saving(was);
	if (to != UVFIO_DEVICE_STATE_ERROR)
		ret = set_state(m, to);
	pthread_mutex_unlock(&dev->lock);
	/* RESUMING, ERROR, or a failed arc (where it was, or ERROR). */
	if (ret)
		ret = uvfio_device_reset(dev);
	uvfio_info(dev, "client gone in migration state %s: now %s%s",
		   uvfio_mig_state_name(was),
		   uvfio_mig_state_name(uvfio_migration_state(dev)),
		   ret ? ", the session could not be ended" : "");
}

/* In pre-copy, with everything read, fetch what changed since. */
static void refill_precopy(struct uvfio_migration *m)
{
	if (m->ended || mig_buf_pending(&m->buf) || !m->ops->dirty_bytes ||
	    !m->ops->dirty_bytes(m->dev))
		return;
	save_phase(m, UVFIO_MIG_DIRTY);
}

ssize_t uvfio_migration_read(struct uvfio_device *dev, uint64_t session,
			     void *buf, size_t len)
{
	struct uvfio_migration *m = dev->mig;
	ssize_t ret;

	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (!is_saving(m->state)) {
		ret = -EINVAL;
	} else if (!session || session != m->session) {
		ret = 0; /* a stale session sees end-of-file */
	} else {
		if (is_precopy(m->state))
			refill_precopy(m);
		ret = save_more(m, len);
		if (ret)
			goto out;
		ret = (ssize_t)mig_buf_read(&m->buf, buf, len);
		m->read_total += (uint64_t)ret;
		if (!ret && is_precopy(m->state) && len)
			ret = -ENOMSG; /* nothing now; more may come */
	}
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

ssize_t uvfio_migration_write(struct uvfio_device *dev, uint64_t session,
			      const void *buf, size_t len)
{
	struct uvfio_migration *m = dev->mig;
	char why[WHY_LEN] = "";
	ssize_t ret;

	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (m->state != UVFIO_DEVICE_STATE_RESUMING || !m->resuming) {
		ret = -EINVAL;
	} else if (!session || session != m->session) {
		ret = -EBADF;
	} else if (m->load_failed) {
		ret = -EINVAL;
	} else if (is_raw(m)) {
		ret = m->ops->load_raw(dev, buf, len);
		m->load_failed = ret != 0;
		if (!ret)
			ret = (ssize_t)len;
	} else {
		ret = mig_parser_feed(m->parser, buf, len, why, sizeof(why));
		if (ret) {
			m->load_failed = true;
			uvfio_err(dev, "migration stream refused: %s", why);
		} else {
			ret = (ssize_t)len;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int uvfio_migration_precopy_info(struct uvfio_device *dev, uint64_t session,
				 struct uvfio_precopy_info *info)
{
	struct uvfio_migration *m = dev->mig;
	int ret = 0;

	if (!m || !info || info->argsz < sizeof(*info))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (!session || session != m->session || !is_precopy(m->state)) {
		ret = -EINVAL;
	} else {
		uint64_t done = m->read_total;

		info->initial_bytes =
			m->initial_end > done ? m->initial_end - done : 0;
		info->dirty_bytes =
			mig_buf_pending(&m->buf) - info->initial_bytes;
		if (m->ops->dirty_bytes)
			info->dirty_bytes += m->ops->dirty_bytes(dev);
		/* Output flags exist only with v2; we never re-base. */
		info->flags = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
