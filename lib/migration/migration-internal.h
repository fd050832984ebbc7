/* SPDX-License-Identifier: MIT */
/*
 * The migration layer's private state.
 */
#ifndef UVFIO_MIGRATION_INTERNAL_H
#define UVFIO_MIGRATION_INTERNAL_H

#include <uvfio/migration.h>

#include "stream.h"

struct uvfio_migration {
	struct uvfio_device *dev;
	const struct uvfio_migration_ops *ops;
	struct uvfio_mig_identity id;
	char *type, *compat; /* our copies behind id */

	enum uvfio_device_mig_state state; /* atomic reads outside the lock */
	uint64_t session; /* current session, 0 if none; atomic reads */
	uint64_t last_session;

	/* saving */
	struct mig_buf buf;
	uint32_t seq;
	uint64_t initial_end; /* stream offset where INITIAL data ends */
	uint64_t read_total;  /* stream bytes handed to the reader */
	bool ended;	      /* END written */
	bool more;	      /* the FINAL save has parts to come */
	uint64_t cursor;      /* the device's, across those parts */
	int save_err;	      /* a part failed: the stream is spoilt */
	bool precopy_info_v2;

	/* resuming */
	bool resuming;		   /* a resuming session is open */
	struct mig_parser *parser; /* framed streams only */
	bool load_failed;
	bool committed;
	bool final_seen; /* a FINAL section was staged */
};

struct uvfio_mig_save {
	struct uvfio_migration *mig;
	enum uvfio_mig_phase phase;
};

#endif /* UVFIO_MIGRATION_INTERNAL_H */
