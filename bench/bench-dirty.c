// SPDX-License-Identifier: MIT
/*
 * Dirty tracking at scale: how long a DMA_LOGGING_REPORT of a whole 1 TiB
 * mapped space takes (one bit per 4 KiB page: a 32 MiB bitmap) with 0% and
 * with 1% of its pages dirty, spread evenly, and how much memory the log
 * holds.
 *
 * The space is 1024 windows of 1 GiB, all backed by the same 1 GiB memfd:
 * the device writes go through uvfio_dma_write() and the dirty hook as
 * always, but dirtying 1% of 1 TiB does not cost 10 GiB of RAM.
 *
 *   bench-dirty [GiB [rounds]]     (defaults: 1024 GiB, 5 rounds)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <uvfio/device.h>
#include <uvfio/dma.h>
#include <uvfio/migration.h>
#include "migration/dirty.h"

#include "bench-util.h"

/* In-tree helper of lib/migration/dirty.c (not part of the API). */

#define PG 4096ull
#define GIB (1ull << 30)
#define MAX_ROUNDS 64

static const struct uvfio_device_ops ops = { 0 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-dirty: %s: %s\n", what, strerror(err));
	exit(1);
}

/* RssAnon of this process, in KiB: the heap, not the memfd's pages. */
static long rss_anon_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Report times against @floor (seconds; 0: none), for the report too. */
static void print_times(const char *what, double *t, unsigned int n,
			double floor)
{
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%-44s min %9.1f us  median %9.1f us  max %9.1f us\n", what,
	       t[0] * 1e6, t[n / 2] * 1e6, t[n - 1] * 1e6);
	bench_fig(what, t[n / 2] * 1e3, floor ? floor * 1e3 : NAN, "ms",
		  floor ? t[n / 2] / floor : NAN, t[0] * 1e3, t[n - 1] * 1e3);
}

/*
 * The floor of a report: writing its bitmap once (memset of the bitmap's
 * bytes, the median of @n), which any report of the space must at least do.
 */
static double bitmap_floor(size_t bytes, unsigned int n)
{
	uint8_t *p = malloc(bytes);
	double t[64];

	if (!p || n > 64)
		exit(1);
	memset(p, 1, bytes); /* fault it in */
	for (unsigned int i = 0; i < n; i++) {
		double t0 = now_ns();

		memset(p, (int)i, bytes);
		__asm__ volatile("" : : "r"(p) : "memory");
		t[i] = (now_ns() - t0) / 1e9;
	}
	free(p);
	qsort(t, n, sizeof(*t), cmp_double);
	return t[n / 2];
}

struct bench {
	struct uvfio_device *dev;
	struct uvfio_dma *dma;
	uint64_t size;
	struct uvfio_device_feature *report; /* header, request, bitmap */
	size_t bitmap_bytes;
};

/* One REPORT of the whole space into a zeroed bitmap; its duration. */
static double report(struct bench *b, uint64_t *bits_set)
{
	uint64_t req[3] = { 0, b->size, PG };
	uint8_t *bitmap = b->report->data + sizeof(req);
	double t0, t1;
	int ret;

	memset(bitmap, 0, b->bitmap_bytes);
	memcpy(b->report->data, req, sizeof(req));
	b->report->flags = UVFIO_DEVICE_FEATURE_GET |
			   UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
	t0 = now();
	ret = uvfio_device_feature(b->dev, b->report);
	t1 = now();
	if (ret)
		die("REPORT", -ret);
	if (bits_set) {
		uint64_t n = 0;

		for (size_t i = 0; i < b->bitmap_bytes; i += 8) {
			uint64_t w;

			memcpy(&w, bitmap + i, sizeof(w));
			n += (uint64_t)__builtin_popcountll(w);
		}
		*bits_set = n;
	}
	return t1 - t0;
}

/* Write 8 bytes into every 100th page; the number of pages written. */
static uint64_t dirty_one_percent(struct bench *b, double *secs)
{
	uint64_t pages = b->size / PG, n = 0, v = 0x5a5a5a5a5a5a5a5aull;
	double t0 = now();

	for (uint64_t p = 0; p < pages; p += 100, n++) {
		int ret = uvfio_dma_write(b->dma, p * PG + (p % 511) * 8, &v,
					  sizeof(v));

		if (ret)
			die("uvfio_dma_write", -ret);
	}
	*secs = now() - t0;
	return n;
}

int main(int argc, char **argv)
{
	uint64_t gib = argc > 1 ? strtoull(argv[1], NULL, 0) : 1024;
	unsigned int rounds = argc > 2 ? (unsigned int)atoi(argv[2]) : 5;
	struct {
		struct uvfio_device_feature hdr;
		uint64_t control[2], range[2];
	} start = { 0 };
	double fresh[MAX_ROUNDS], dirty[MAX_ROUNDS], clean[MAX_ROUNDS];
	double write_first = 0, write_warm = 0, write_nolog = 0;
	uint64_t written = 0, set = 0;
	size_t chunks, bytes, report_size;
	long rss0, rss1, rss2;
	struct bench b = { 0 };
	double floor;
	char name[64];
	int fd, ret;

	if (!gib || gib > 4096 || !rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench-dirty [GiB (1-4096) [rounds]]\n");
		return 2;
	}
	b.size = gib * GIB;
	b.dev = uvfio_device_new("bench-dirty", &ops, NULL);
	if (!b.dev)
		die("uvfio_device_new", errno);
	ret = uvfio_dirty_log_init(b.dev);
	if (!ret)
		ret = uvfio_device_realize(b.dev);
	if (ret)
		die("setup", -ret);
	b.dma = uvfio_device_dma(b.dev);
	uvfio_dma_set_max_fd_maps(b.dma, (unsigned int)gib);

	fd = memfd_create("bench-dirty", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)GIB))
		die("memfd", errno);
	for (uint64_t i = 0; i < gib; i++) {
		ret = uvfio_dma_map(b.dma, i * GIB, GIB,
				    UVFIO_DMA_READ | UVFIO_DMA_WRITE, fd, 0);
		if (ret)
			die("uvfio_dma_map", -ret);
	}

	b.bitmap_bytes = (size_t)((b.size / PG + 63) / 64 * 8);
	report_size = sizeof(struct uvfio_device_feature) + 24 + b.bitmap_bytes;
	if (report_size > UINT32_MAX)
		die("report size", E2BIG);
	b.report = calloc(1, report_size);
	if (!b.report)
		die("calloc", ENOMEM);
	b.report->argsz = (uint32_t)report_size;

	start.hdr.argsz = sizeof(start);
	start.hdr.flags = UVFIO_DEVICE_FEATURE_SET |
			  UVFIO_DEVICE_FEATURE_DMA_LOGGING_START;
	start.control[0] = PG;
	start.control[1] = 1; /* num_ranges */
	start.range[0] = 0;
	start.range[1] = b.size;
	ret = uvfio_device_feature(b.dev, &start.hdr);
	if (ret)
		die("START", -ret);

	printf("space: %llu GiB in %llu windows, 4 KiB pages, bitmap %zu "
	       "KiB\n",
	       (unsigned long long)gib, (unsigned long long)gib,
	       b.bitmap_bytes >> 10);

	/* 0% dirty, nothing ever written: no chunk exists. */
	for (unsigned int i = 0; i < rounds; i++)
		fresh[i] = report(&b, NULL);
	rss0 = rss_anon_kib(); /* the report buffer is touched now */
	chunks = uvfio_dirty_log_stats(b.dev, &bytes);
	printf("log after START: %zu chunks, %zu KiB\n", chunks, bytes >> 10);

	for (unsigned int i = 0; i < rounds; i++) {
		double w;

		written = dirty_one_percent(&b, &w);
		if (i)
			write_warm += w;
		else
			write_first = w;
		dirty[i] = report(&b, &set);
		if (set != written) {
			fprintf(stderr,
				"bench-dirty: %llu pages written, %llu "
				"reported\n",
				(unsigned long long)written,
				(unsigned long long)set);
			return 1;
		}
		/* 0% dirty again, with every chunk allocated. */
		clean[i] = report(&b, &set);
		if (set) {
			fprintf(stderr, "bench-dirty: %llu bits after clear\n",
				(unsigned long long)set);
			return 1;
		}
	}
	rss1 = rss_anon_kib();
	chunks = uvfio_dirty_log_stats(b.dev, &bytes);

	floor = bitmap_floor(b.bitmap_bytes, rounds);
	printf("floor: writing the %zu MiB bitmap once, median %.1f us\n",
	       b.bitmap_bytes >> 20, floor * 1e6);
	snprintf(name, sizeof(name), "dirty REPORT %llu GiB, 0%%, no chunk yet",
		 (unsigned long long)gib);
	print_times(name, fresh, rounds, floor);
	snprintf(name, sizeof(name), "dirty REPORT %llu GiB, 1%% dirty",
		 (unsigned long long)gib);
	print_times(name, dirty, rounds, floor);
	snprintf(name, sizeof(name), "dirty REPORT %llu GiB, 0%%, all chunks",
		 (unsigned long long)gib);
	print_times(name, clean, rounds, floor);
	printf("log memory: %zu chunks of 32 KiB, %zu KiB in all (%.4f%% of "
	       "the space)\n",
	       chunks, bytes >> 10, 100.0 * (double)bytes / (double)b.size);
	printf("RssAnon: %ld KiB before any write (32 MiB report buffer "
	       "included), %ld KiB after\n",
	       rss0, rss1);

	b.report->argsz = sizeof(struct uvfio_device_feature);
	b.report->flags = UVFIO_DEVICE_FEATURE_SET |
			  UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP;
	ret = uvfio_device_feature(b.dev, b.report);
	if (ret)
		die("STOP", -ret);
	rss2 = rss_anon_kib();
	/* The same writes with logging stopped: the hook's cost. */
	dirty_one_percent(&b, &write_nolog);
	printf("a write of 8 bytes: %.0f ns first (page faults), %.0f ns "
	       "logged, %.0f ns not logged\n",
	       write_first * 1e9 / (double)written,
	       rounds > 1 ?
		       write_warm * 1e9 / (double)(written * (rounds - 1)) :
		       0.0,
	       write_nolog * 1e9 / (double)written);
	chunks = uvfio_dirty_log_stats(b.dev, &bytes);
	printf("after STOP: %zu chunks, %zu bytes; RssAnon %ld KiB\n", chunks,
	       bytes, rss2);

	free(b.report);
	uvfio_device_destroy(b.dev);
	close(fd);
	return 0;
}
