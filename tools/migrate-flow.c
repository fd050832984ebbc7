// SPDX-License-Identifier: MIT
/*
 * The pre-copy / stop-copy flow of `uvfioctl migrate` (uvfioctl-migrate.c)
 * for several devices at once, with the hooks a VMM needs around it: the
 * guest stops before the sources do and resumes on the destinations.
 * See migrate-flow.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mig-text.h"
#include "migrate-flow.h"

/* The most bytes one read or write moves. */
#define CHUNK_MAX (256u << 10)

/* The first failure is the one to report. */
static void flow_fail(struct mflow *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void flow_fail(struct mflow *f, int err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (f->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(f->error, sizeof(f->error), fmt, ap);
	va_end(ap);
	len = strlen(f->error);
	if (err && len < sizeof(f->error))
		snprintf(f->error + len, sizeof(f->error) - len, ": %s",
			 strerror(err));
}

static void flow_note(struct mflow *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void flow_note(struct mflow *f, const char *fmt, ...)
{
	size_t len = strlen(f->recovery);
	va_list ap;

	if (len && len < sizeof(f->recovery) - 2) {
		strcpy(f->recovery + len, "; ");
		len += 2;
	}
	if (len >= sizeof(f->recovery))
		return;
	va_start(ap, fmt);
	vsnprintf(f->recovery + len, sizeof(f->recovery) - len, fmt, ap);
	va_end(ap);
}

/* Move one side of @d to @to (the device walks the path). */
static int set_state(struct mflow *f, struct mflow_dev *d, bool src,
		     enum uvfio_device_mig_state to)
{
	struct uvfio_client *c = src ? d->src : d->dst;
	enum uvfio_device_mig_state *state = src ? &d->src_state :
						   &d->dst_state;
	int ret;

	if (src)
		d->src_touched = true;
	else
		d->dst_touched = true;
	ret = uvfio_client_mig_set_state(c, to);
	if (ret) {
		flow_fail(f, -ret, "%s %s: %s -> %s", d->name,
			  src ? "source" : "destination",
			  uvfio_mig_state_name(*state),
			  uvfio_mig_state_name(to));
		/* A failed arc leaves the device where the walk stopped. */
		uvfio_client_mig_get_state(c, state);
		return ret;
	}
	*state = to;
	return 0;
}

static int data_size(struct mflow *f, struct mflow_dev *d)
{
	int ret = uvfio_client_mig_data_size(d->src, &d->estimate);

	if (ret)
		flow_fail(f, -ret, "%s source: MIG_DATA_SIZE", d->name);
	return ret;
}

/* Check a pair and learn its flags and states. */
static int probe(struct mflow *f, struct mflow_dev *d)
{
	int ret;

	ret = uvfio_client_mig_flags(d->src, &d->src_flags);
	if (!ret)
		ret = uvfio_client_mig_get_state(d->src, &d->src_state);
	if (ret) {
		flow_fail(f, -ret, "%s source: migration flags and state",
			  d->name);
		return ret;
	}
	ret = uvfio_client_mig_flags(d->dst, &d->dst_flags);
	if (!ret)
		ret = uvfio_client_mig_get_state(d->dst, &d->dst_state);
	if (ret) {
		flow_fail(f, -ret, "%s destination: migration flags and state",
			  d->name);
		return ret;
	}
	if (!(d->src_flags & d->dst_flags & UVFIO_MIGRATION_STOP_COPY)) {
		flow_fail(f, 0,
			  "%s: migration flags 0x%" PRIx64 " -> 0x%" PRIx64
			  " lack STOP_COPY",
			  d->name, d->src_flags, d->dst_flags);
		return -EOPNOTSUPP;
	}
	if (d->src_state != UVFIO_DEVICE_STATE_RUNNING) {
		flow_fail(f, 0,
			  "%s source is in %s; migrating needs it RUNNING",
			  d->name, uvfio_mig_state_name(d->src_state));
		return -EBUSY;
	}
	if (d->dst_state != UVFIO_DEVICE_STATE_RUNNING &&
	    d->dst_state != UVFIO_DEVICE_STATE_STOP) {
		flow_fail(f, 0,
			  "%s destination is in %s; migrating needs it "
			  "RUNNING or STOP",
			  d->name, uvfio_mig_state_name(d->dst_state));
		return -EBUSY;
	}
	return 0;
}

/*
 * Move what @d's source has to give now to its destination; the bytes in
 * *@moved.  A pre-copy iteration that never catches up (a device dirtying
 * faster than it is copied) ends after twice the estimate.
 */
static int pump(struct mflow *f, struct mflow_dev *d, uint8_t *buf,
		size_t chunk, bool stop_copy, uint64_t *moved)
{
	uint64_t cap = stop_copy ? UINT64_MAX : 2 * d->estimate + chunk;
	uint64_t at = d->precopy_bytes + d->stopcopy_bytes;

	while (*moved < cap) {
		ssize_t n = uvfio_client_mig_read(d->src, buf, chunk), w;

		if (n < 0) {
			flow_fail(f, (int)-n, "%s source: reading in %s",
				  d->name, uvfio_mig_state_name(d->src_state));
			return (int)n;
		}
		if (!n)
			break;
		w = uvfio_client_mig_write(d->dst, buf, (size_t)n);
		if (w < 0) {
			flow_fail(f, (int)-w,
				  "%s destination refused the stream in bytes "
				  "%" PRIu64 "-%" PRIu64
				  " (its server's log says why)",
				  d->name, at, at + (uint64_t)n - 1);
			return (int)w;
		}
		*moved += (uint64_t)n;
		at += (uint64_t)n;
		if (stop_copy)
			d->stopcopy_bytes += (uint64_t)n;
		else
			d->precopy_bytes += (uint64_t)n;
		f->bytes += (uint64_t)n;
		if (!stop_copy)
			f->precopy_bytes += (uint64_t)n;
	}
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int precopy(struct mflow *f, uint8_t *buf, size_t chunk)
{
	for (;;) {
		struct mflow_iteration it = { .n = f->iterations + 1 };
		double t0 = now_ms();

		for (unsigned int i = 0; i < f->nr_devs; i++) {
			struct mflow_dev *d = &f->devs[i];

			d->iteration_bytes = 0;
			if (d->precopy &&
			    pump(f, d, buf, chunk, false, &d->iteration_bytes))
				return -1;
			it.bytes += d->iteration_bytes;
		}
		it.ms = now_ms() - t0;
		f->iterations++;
		for (unsigned int i = 0; i < f->nr_devs; i++) {
			if (data_size(f, &f->devs[i]))
				return -1;
			it.remaining += f->devs[i].estimate;
		}
		/* bytes / ms of this iteration: the expected stop-copy time */
		if (it.bytes)
			it.expected_ms = it.ms > 0 ?
						 (double)it.remaining * it.ms /
							 (double)it.bytes :
						 0;
		f->expected_ms = it.expected_ms;
		if (f->hooks && f->hooks->iteration)
			f->hooks->iteration(f->opaque, f, &it);
		if (!it.bytes) {
			f->stop_reason = "idle";
			return 0;
		}
		if (f->iterations >= f->min_iterations &&
		    it.expected_ms <= f->downtime_limit_ms) {
			f->stop_reason = "downtime";
			return 0;
		}
		if (f->iterations >= f->max_iterations) {
			f->stop_reason = "max-iterations";
			return 0;
		}
		sleep_ms(f->interval_ms);
	}
}

/* The guest is stopped: the rest of the state, and the switch. */
static int stop_copy(struct mflow *f, uint8_t *buf, size_t chunk)
{
	char err[256] = "";

	/* Quiesce every device before any stops: no device may be stopped
	 * while a peer can still reach it. */
	for (unsigned int i = 0; f->p2p && i < f->nr_devs; i++) {
		struct mflow_dev *d = &f->devs[i];

		if (set_state(f, d, true,
			      d->src_state == UVFIO_DEVICE_STATE_PRE_COPY ?
				      UVFIO_DEVICE_STATE_PRE_COPY_P2P :
				      UVFIO_DEVICE_STATE_RUNNING_P2P))
			return -1;
	}
	for (unsigned int i = 0; i < f->nr_devs; i++)
		if (set_state(f, &f->devs[i], true,
			      UVFIO_DEVICE_STATE_STOP_COPY))
			return -1;
	for (unsigned int i = 0; i < f->nr_devs; i++) {
		struct mflow_dev *d = &f->devs[i];
		uint64_t moved = 0;

		if (uvfio_client_mig_data_size(d->src, &d->estimate))
			d->estimate = 0; /* only a cap needs it here */
		if (pump(f, d, buf, chunk, true, &moved))
			return -1;
	}
	/* The destinations check the streams as they commit. */
	for (unsigned int i = 0; i < f->nr_devs; i++)
		if (set_state(f, &f->devs[i], false, UVFIO_DEVICE_STATE_STOP))
			return -1;
	if (f->hooks && f->hooks->restore &&
	    f->hooks->restore(f->opaque, err, sizeof(err))) {
		flow_fail(f, 0, "restoring the VMM's part: %s", err);
		return -1;
	}
	for (unsigned int i = 0; f->p2p && i < f->nr_devs; i++)
		if (set_state(f, &f->devs[i], false,
			      UVFIO_DEVICE_STATE_RUNNING_P2P))
			return -1;
	for (unsigned int i = 0; i < f->nr_devs; i++)
		if (set_state(f, &f->devs[i], false,
			      UVFIO_DEVICE_STATE_RUNNING))
			return -1;
	return 0;
}

/* The way back after a failure: sources RUNNING, destinations reset. */
static void roll_back(struct mflow *f)
{
	for (unsigned int i = 0; i < f->nr_devs; i++) {
		struct mflow_dev *d = &f->devs[i];
		int ret;

		if (d->src_touched &&
		    d->src_state != UVFIO_DEVICE_STATE_RUNNING) {
			ret = uvfio_client_mig_set_state(
				d->src, UVFIO_DEVICE_STATE_RUNNING);
			if (!ret)
				d->src_state = UVFIO_DEVICE_STATE_RUNNING;
			else
				uvfio_client_mig_get_state(d->src,
							   &d->src_state);
			flow_note(f, "%s source %s", d->name,
				  ret ? "could not be returned to RUNNING" :
					"is RUNNING again");
		}
		if (d->dst_touched) {
			ret = uvfio_client_reset(d->dst);
			uvfio_client_mig_get_state(d->dst, &d->dst_state);
			flow_note(f, "%s destination %s (%s)", d->name,
				  ret ? "could not be reset" : "was reset",
				  uvfio_mig_state_name(d->dst_state));
		}
	}
}

int mflow_run(struct mflow *f)
{
	double t_start = now_ms(), t_down;
	size_t chunk = CHUNK_MAX;
	bool any_precopy = false;
	uint8_t *buf = NULL;

	f->p2p = true;
	for (unsigned int i = 0; i < f->nr_devs; i++) {
		struct mflow_dev *d = &f->devs[i];
		struct uvfio_client_caps sc, dc;

		if (probe(f, d))
			goto fail;
		if (!(d->src_flags & d->dst_flags & UVFIO_MIGRATION_P2P))
			f->p2p = false;
		d->precopy = (d->src_flags & UVFIO_MIGRATION_PRE_COPY) &&
			     f->max_iterations;
		any_precopy |= d->precopy;
		uvfio_client_get_caps(d->src, &sc);
		uvfio_client_get_caps(d->dst, &dc);
		if (sc.max_data_xfer_size < chunk)
			chunk = sc.max_data_xfer_size;
		if (dc.max_data_xfer_size < chunk)
			chunk = dc.max_data_xfer_size;
	}
	buf = malloc(chunk);
	if (!buf) {
		flow_fail(f, ENOMEM, "allocating a buffer");
		goto fail;
	}

	/* The destinations first: nothing changes on a source if one of
	 * them cannot take a stream. */
	for (unsigned int i = 0; i < f->nr_devs; i++)
		if (set_state(f, &f->devs[i], false,
			      UVFIO_DEVICE_STATE_RESUMING))
			goto fail;
	for (unsigned int i = 0; i < f->nr_devs; i++) {
		struct mflow_dev *d = &f->devs[i];

		if (d->precopy &&
		    (data_size(f, d) ||
		     set_state(f, d, true, UVFIO_DEVICE_STATE_PRE_COPY)))
			goto fail;
	}
	if (any_precopy) {
		if (precopy(f, buf, chunk))
			goto fail;
	} else {
		/* As uvfioctl migrate: no iterations asked for, or none
		 * possible. */
		f->stop_reason = "no-pre-copy";
		for (unsigned int i = 0; i < f->nr_devs; i++)
			if (f->devs[i].src_flags & UVFIO_MIGRATION_PRE_COPY)
				f->stop_reason = "max-iterations";
	}

	/* The vCPUs stop, then the devices: the downtime starts. */
	if (f->hooks && f->hooks->stop)
		f->hooks->stop(f->opaque);
	f->stopped = true;
	t_down = now_ms();
	if (stop_copy(f, buf, chunk))
		goto fail;
	f->downtime_ms = now_ms() - t_down;
	f->total_ms = now_ms() - t_start;

	/* The sources stay stopped: the devices now run as the
	 * destinations. */
	for (unsigned int i = 0; i < f->nr_devs; i++) {
		struct mflow_dev *d = &f->devs[i];
		int ret = uvfio_client_mig_set_state(d->src,
						     UVFIO_DEVICE_STATE_STOP);

		if (ret) {
			uvfio_client_mig_get_state(d->src, &d->src_state);
			snprintf(f->warning, sizeof(f->warning),
				 "%s source: STOP_COPY -> STOP: %s (it is in "
				 "%s; do not resume it)",
				 d->name, strerror(-ret),
				 uvfio_mig_state_name(d->src_state));
		} else {
			d->src_state = UVFIO_DEVICE_STATE_STOP;
		}
	}
	free(buf);
	return 0;
fail:
	f->total_ms = now_ms() - t_start;
	roll_back(f);
	free(buf);
	return -1;
}
