/* SPDX-License-Identifier: MIT */
/*
 * The live-migration flow of `uvfioctl migrate`, for a VMM that moves
 * several devices at once while its guest runs, on the public client
 * library only (uvfio_client_mig_*).
 *
 * The destinations go to RESUMING; the sources with PRE_COPY go to
 * PRE_COPY and their data is copied in iterations while the guest runs,
 * each until every source has nothing more to give now; after each, the
 * data still to move (MIG_DATA_SIZE, all sources) over the iteration's
 * throughput predicts the downtime, and iterating stops when that fits the
 * limit (after at least min_iterations), when an iteration found nothing,
 * or after max_iterations.  Then the guest stops (the stop hook), the
 * sources go to STOP_COPY (through PRE_COPY_P2P / RUNNING_P2P first when
 * every device has P2P, so that no device is stopped while a peer still
 * runs), the rest moves, the destinations commit (STOP), the VMM restores
 * its own part of the state (the restore hook), and the destinations run.
 * The sources are left in STOP, as the kernel's flow leaves them.
 *
 * Every failure on the way returns the sources to RUNNING and resets the
 * destinations; if the stop hook ran, the guest is the caller's to resume
 * on the sources.
 *
 * Thread-safety: one flow runs on one thread.  Other threads may use the
 * same handles meanwhile (the client library serializes requests); the
 * guest's vCPU thread does.
 */
#ifndef UVFIO_MIGRATE_FLOW_H
#define UVFIO_MIGRATE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uvfio/client.h>
#include <uvfio/migration.h>

struct mflow;

/* One device and its twin; the handles stay the caller's. */
struct mflow_dev {
	const char *name; /* "edu", in messages */
	struct uvfio_client *src, *dst;

	/* Set by mflow_run(). */
	uint64_t src_flags, dst_flags; /* UVFIO_MIGRATION_* */
	enum uvfio_device_mig_state src_state, dst_state; /* as last set */
	bool precopy;		  /* the source has PRE_COPY and it is used */
	uint64_t estimate;	  /* MIG_DATA_SIZE, as last read */
	uint64_t precopy_bytes;	  /* all pre-copy iterations */
	uint64_t stopcopy_bytes;  /* STOP_COPY */
	uint64_t iteration_bytes; /* the last pre-copy iteration */
	bool src_touched, dst_touched;
};

struct mflow_iteration {
	unsigned int n; /* from 1 */
	uint64_t bytes; /* all devices, this iteration */
	double ms;	/* reading and writing them */
	uint64_t remaining;
	double expected_ms; /* the predicted downtime */
};

struct mflow_hooks {
	/* After each pre-copy iteration (the devices' iteration_bytes set). */
	void (*iteration)(void *opaque, const struct mflow *f,
			  const struct mflow_iteration *it);
	/* The guest stops: called before any source stops. */
	void (*stop)(void *opaque);
	/*
	 * The destinations hold the migrated state (STOP) and do not run
	 * yet: the VMM restores its own part (config space, its IOMMU
	 * mappings).  0, or non-zero with the reason in @err.
	 */
	int (*restore)(void *opaque, char *err, size_t len);
};

struct mflow {
	struct mflow_dev *devs;
	unsigned int nr_devs;
	unsigned int downtime_limit_ms;
	unsigned int min_iterations, max_iterations;
	unsigned int interval_ms; /* the guest runs between iterations */
	const struct mflow_hooks *hooks;
	void *opaque;

	/* Results. */
	bool p2p;		 /* every device has P2P */
	bool stopped;		 /* the stop hook ran */
	unsigned int iterations; /* pre-copy iterations */
	const char *stop_reason; /* why pre-copy ended */
	double expected_ms;	 /* the last downtime prediction */
	uint64_t bytes, precopy_bytes;
	double downtime_ms; /* the first source stopping to all dst RUNNING */
	double total_ms;
	char error[512];    /* what failed (empty on success) */
	char recovery[512]; /* what was done about it */
	char warning[256];  /* a source not put in STOP after success */
};

/* Run the migration: 0, or -1 with f->error and f->recovery set. */
int mflow_run(struct mflow *f);

#endif /* UVFIO_MIGRATE_FLOW_H */
