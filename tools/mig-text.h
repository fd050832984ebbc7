/* SPDX-License-Identifier: MIT */
/*
 * What the migrating tools (uvfioctl, uvfio-vmm-demo) print alike: the
 * clock their timings use, sizes, why pre-copy ended.
 */
#ifndef UVFIO_MIG_TEXT_H
#define UVFIO_MIG_TEXT_H

#include <stdint.h>

double now_ms(void); /* CLOCK_MONOTONIC */
/* "512 B", "6.1 KiB", "2.00 MiB", "1.50 GiB", written into @buf. */
const char *human_size(uint64_t n, char buf[32]);
/* Why pre-copy ended ("downtime", "idle", ...), in words. */
const char *mig_stop_text(const char *reason);

#endif /* UVFIO_MIG_TEXT_H */
