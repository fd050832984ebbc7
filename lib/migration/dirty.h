/* SPDX-License-Identifier: MIT */
/*
 * The dirty log's in-tree calls (not part of the API).
 */
#ifndef UVFIO_MIGRATION_DIRTY_H
#define UVFIO_MIGRATION_DIRTY_H

#include <stddef.h>

#include <uvfio/device.h>

/*
 * Free the log of @dev (idempotent).  uvfio_device_destroy() calls it
 * before the DMA space goes.
 */
void uvfio_dirty_log_release(struct uvfio_device *dev);

/* The log's chunk count, and its bytes in *@bytes: for tests and bench. */
size_t uvfio_dirty_log_stats(struct uvfio_device *dev, size_t *bytes);

#endif /* UVFIO_MIGRATION_DIRTY_H */
