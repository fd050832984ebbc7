/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark here needs: a monotonic clock, CPU pinning (the
 * placement matters more than the code: ../shared/reference/measuring.md)
 * and the median and spread of repeated samples.
 */
#ifndef UVFIO_BENCH_UTIL_H
#define UVFIO_BENCH_UTIL_H

#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * Exactly @n bytes from or to @fd, in as many calls as it takes: false if
 * one failed or the peer went.  (The callers decide how to die: a forked
 * child with _exit(), so as not to flush its parent's output twice.)
 */
static inline bool bench_read_all(int fd, void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = read(fd, (char *)buf + done, n - done);

		if (k <= 0)
			return false;
		done += (size_t)k;
	}
	return true;
}

static inline bool bench_write_all(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = write(fd, (const char *)buf + done, n - done);

		if (k <= 0)
			return false;
		done += (size_t)k;
	}
	return true;
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

/* Repetitions of one figure: the median is reported, the spread beside it. */
#define MAX_REPS 31

struct figure {
	double rep[MAX_REPS];
	int n;
};

static inline void add(struct figure *f, double v)
{
	f->rep[f->n++] = v;
}

/* The median (sorts the repetitions: rep[0] and rep[n - 1] are the spread). */
static inline double med(struct figure *f)
{
	return percentile(f->rep, f->n, 0.5);
}

/*
 * Results for bench/report.py: one tab-separated line each, appended to
 * the file $UVFIO_BENCH_OUT names (nothing when it is unset).  The
 * programs measure; the report holds the targets and judges.
 *
 *   fig  PLACEMENT  NAME  UVFIO  FLOOR  UNIT  RATIO  LO  HI
 *   pt   CURVE  SERIES  X  Y
 *
 * RATIO is uvfio's cost over the floor's (above 1: slower), "nan" where
 * there is no floor; LO and HI are the spread of uvfio's repetitions.
 */
static const char *bench_placement = "same CPU";

static inline FILE *bench_out(void)
{
	static FILE *f;
	static int tried;
	const char *path = getenv("UVFIO_BENCH_OUT");

	if (!tried++ && path && !(f = fopen(path, "a")))
		perror(path);
	return f;
}

static inline void bench_fig(const char *name, double uvfio, double floor,
			     const char *unit, double ratio, double lo,
			     double hi)
{
	FILE *f = bench_out();

	if (f) {
		fprintf(f, "fig\t%s\t%s\t%.6g\t%.6g\t%s\t%.6g\t%.6g\t%.6g\n",
			bench_placement, name, uvfio, floor, unit, ratio, lo,
			hi);
		fflush(f);
	}
}

static inline void bench_point(const char *curve, const char *series, double x,
			       double y)
{
	FILE *f = bench_out();

	if (f) {
		fprintf(f, "pt\t%s\t%s\t%.6g\t%.6g\n", curve, series, x, y);
		fflush(f);
	}
}

/* @v with two decimals, or "-" when there is none (NaN). */
static inline const char *bench_cell(char out[32], double v, const char *suffix)
{
	if (isnan(v))
		return "-";
	snprintf(out, 32, "%.2f%s", v, suffix);
	return out;
}

/* The head of a table of bench_row()s. */
static inline void bench_table_head(void)
{
	printf("| %-44s | %10s | %10s | %-5s | %7s | %s |\n", "figure", "uvfio",
	       "floor", "unit", "ratio", "uvfio spread");
	printf("|---|---|---|---|---|---|\n");
}

/*
 * One figure, printed and handed to bench_fig(): uvfio's repetitions @u
 * against the floor's @f (either may be NULL).  The ratio is uvfio's
 * cost over the floor's; the spread is uvfio's, or the floor's alone.
 */
static inline void bench_row(const char *name, struct figure *u,
			     struct figure *f, const char *unit,
			     bool lower_is_better)
{
	double mu = u ? med(u) : NAN, mf = f ? med(f) : NAN;
	double ratio = lower_is_better ? mu / mf : mf / mu;
	struct figure *s = u ? u : f;
	char a[32], b[32], c[32];

	printf("| %-44s | %10s | %10s | %-5s | %7s | %s%.2f..%.2f |\n", name,
	       bench_cell(a, mu, ""), bench_cell(b, mf, ""), unit,
	       bench_cell(c, ratio, "x"), u ? "" : "(floor) ", s->rep[0],
	       s->rep[s->n - 1]);
	bench_fig(name, mu, mf, unit, ratio, u ? u->rep[0] : NAN,
		  u ? u->rep[u->n - 1] : NAN);
}

#endif /* UVFIO_BENCH_UTIL_H */
