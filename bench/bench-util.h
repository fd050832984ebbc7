/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark here needs: a monotonic clock, CPU pinning (the
 * placement matters more than the code: ../shared/reference/measuring.md)
 * and sorting samples for medians.
 */
#ifndef UVFIO_BENCH_UTIL_H
#define UVFIO_BENCH_UTIL_H

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Pin the calling thread (and what it forks) to @cpu. */
static inline void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @p quantile of @n samples (sorted in place). */
static inline double percentile(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1))];
}

#endif /* UVFIO_BENCH_UTIL_H */
