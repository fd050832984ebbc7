/* SPDX-License-Identifier: MIT */
/*
 * uvfioctl: what the migration commands share: uvfioctl-mig.c (these
 * helpers, save, load), uvfioctl-migrate.c (migrate) and uvfioctl-net.c
 * (migrate's remote destination, receive).
 */
#ifndef UVFIOCTL_MIG_H
#define UVFIOCTL_MIG_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "mig-text.h"
#include "uvfioctl.h"

/* What failed (the first failure), and what was done about it. */
struct outcome {
	char failed[256]; /* empty while nothing failed */
	int err;	  /* the failure's positive errno */
	char note[512];	  /* "source r0 is RUNNING again; ..." */
};

void outcome_fail(struct outcome *o, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void outcome_note(struct outcome *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print what failed and the notes to stderr; returns EXIT_FAIL. */
int outcome_report(const struct command *cmd, const struct outcome *o);

/* Set by SIGINT / SIGTERM once mig_catch_signals() was called. */
extern volatile sig_atomic_t mig_interrupted;
void mig_catch_signals(void);

/* A device taking part in a migration. */
struct mig_dev {
	const char *name;
	char label[320]; /* "source NAME", "destination NAME" or "NAME" */
	struct uvfio_client *c;
	uint64_t flags;			   /* UVFIO_MIGRATION_* */
	enum uvfio_device_mig_state state; /* as last seen */
};

/*
 * Open @name and read its migration flags and state; @role ("source", or
 * "") names it in messages.  -1 with the reason in @o: unreachable, no
 * migration, no STOP_COPY.
 */
int mig_dev_open(struct mig_dev *d, const char *role, const char *name,
		 struct outcome *o);
void mig_dev_close(struct mig_dev *d);
/* Move to @to (the device walks the path); on failure record it in @o. */
int mig_dev_set(struct mig_dev *d, enum uvfio_device_mig_state to,
		struct outcome *o);
/* VFIO_DEVICE_RESET, noting the result in @o. */
void mig_dev_reset(struct mig_dev *d, struct outcome *o);

/* The progress line on stderr, when it is a terminal. */
struct progress {
	bool on, shown;
	double last;
};

void progress_init(struct progress *p);
void progress_show(struct progress *p, const char *phase, uint64_t bytes,
		   uint64_t estimate, uint64_t total, bool done);
void progress_done(struct progress *p);

/* Where migrate sends the stream: a local device, or a remote receiver. */
struct dest;

struct dest_ops {
	/* Get ready for a stream (the device goes to RESUMING). */
	int (*begin)(struct dest *d, struct outcome *o);
	/* Stream bytes [@at, @at + @len); @stop_copy: data read in STOP_COPY. */
	int (*put)(struct dest *d, const void *buf, size_t len, bool stop_copy,
		   uint64_t at, struct outcome *o);
	/* Optional: wait until everything put so far was taken. */
	int (*sync)(struct dest *d, struct outcome *o);
	/* The stream is complete: the device goes to RUNNING. */
	int (*commit)(struct dest *d, struct outcome *o);
	/* After a failure: leave the destination usable (reset). */
	void (*abort)(struct dest *d, struct outcome *o);
	void (*close)(struct dest *d);
};

struct dest {
	const struct dest_ops *ops;
	const char *name;
	bool touched; /* begin() changed something that abort() undoes */
};

/* The remote destination, tcp:HOST:PORT (uvfioctl-net.c). */
struct dest *tcp_dest_open(const char *name, struct outcome *o);
/* Whether @name is well-formed tcp:HOST:PORT. */
bool tcp_name_ok(const char *name);

#endif /* UVFIOCTL_MIG_H */
