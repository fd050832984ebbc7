// SPDX-License-Identifier: MIT
/*
 * bench-migration: migration v2 over vfio-user against its physical floor,
 * measured in one run and in the same CPU placement.
 *
 *   STOP_COPY: a ram device (its memory BAR, mmappable by the client, is
 *     its whole state) of --size bytes (default 256M) in uvfiod migrates to
 *     another ram of the same size in the same uvfiod, through this
 *     process: bytes / time from the source's STOP_COPY SET to the
 *     destination's RUNNING (the data read from the source and written
 *     into the destination, which waits in RESUMING, set beforehand as a
 *     VMM prepares its destination; RUNNING commits the loaded state).
 *     Also the same span to the last byte written, and the two SETs that
 *     copy the whole state inside the server (the source's save, the
 *     destination's commit).
 *   floor: the same number of bytes streamed through a socketpair from
 *     this process to a child process, in 1 MiB writes; and relayed, as
 *     a VMM relays them: from a child to this process and on to another
 *     child, 1 MiB at a time (the two hops any migration through the VMM
 *     makes).
 *   downtime: a ram of --downtime-size bytes (default 64M) in pre-copy;
 *     before each of --iterations pre-copy rounds ends, 1% of its pages
 *     are dirtied with region writes (evenly spread); then stop-copy.
 *     Downtime is the time from the source leaving its running state (the
 *     STOP_COPY SET from PRE_COPY) to the destination being RUNNING, with
 *     the bytes stop-copy sent.  The ram device has no dirty tracking yet,
 *     so its stop-copy resends the whole state, not the dirtied pages:
 *     downtime is bounded by the full state until ram tracks dirty pages.
 *     The floor columns give the raw-stream time of the bytes stop-copy
 *     sent, and of the dirtied pages alone (what dirty tracking would
 *     approach).
 *
 * Placements: "same" pins everything to CPU 0 (the software's cost),
 * "cross" puts this process on CPU 0 and uvfiod and the floor's reader on
 * CPU 1 (what a VMM on another core sees).  Each figure is the median of
 * --reps repetitions, with the spread (min..max), after one warm-up
 * migration that is not counted.  Every migration is checked: the
 * destination's memory must equal the source's afterwards.
 *
 * Usage: bench-migration --uvfiod PATH [--size BYTES] [--downtime-size
 *        BYTES] [--reps N] [--iterations N] [--verbose]
 *        (sizes take K, M, G; --verbose prints each repetition)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "bench-util.h"

#define XFER (1u << 20) /* bytes per read, write and socket write */
#define PAGE 4096u
#define DIRTY_PERMILLE 10 /* 1% of the pages */

struct opts {
	const char *uvfiod;
	uint64_t size, dt_size;
	int reps;
	int iterations;
	bool verbose;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-migration: %s: %s\n", what, strerror(err));
	exit(1);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || !v || v % PAGE)
		return -1;
	*out = v;
	return 0;
}

/* ---- the floors: a one-way stream, and a relay, between processes ---- */

/* Write @bytes to @fd in XFER writes of @buf: false if one failed. */
static bool stream_out(int fd, const uint8_t *buf, uint64_t bytes)
{
	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < XFER ? (size_t)(bytes - done) : XFER;
		ssize_t w = write(fd, buf, n);

		if (w <= 0)
			return false;
		done += (uint64_t)w;
	}
	return true;
}

/*
 * In a child on @cpu: say "r" on @fd once pinned, take @bytes in reads of
 * up to XFER, say "k", and exit.
 */
static void sink_child(int fd, uint64_t bytes, int cpu)
{
	static uint8_t buf[XFER];

	pin(cpu);
	if (write(fd, "r", 1) != 1)
		_exit(1);
	while (bytes) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			_exit(1);
		bytes -= (uint64_t)n;
	}
	_exit(write(fd, "k", 1) == 1 ? 0 : 1);
}

/* Seconds to stream @bytes in XFER writes to a reader on @peer_cpu. */
static double floor_stream(uint64_t bytes, int peer_cpu)
{
	static uint8_t buf[XFER];
	int sv[2];
	pid_t pid;
	double t;
	char ack;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		close(sv[0]);
		sink_child(sv[1], bytes, peer_cpu);
	}
	close(sv[1]);
	memset(buf, 0x5a, sizeof(buf));
	if (read(sv[0], &ack, 1) != 1) /* the reader is pinned and ready */
		die("floor reader", EPIPE);
	t = now_ns();
	if (!stream_out(sv[0], buf, bytes))
		die("floor write", errno);
	if (read(sv[0], &ack, 1) != 1)
		die("floor reader", EPIPE);
	t = now_ns() - t;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return t / 1e9;
}

/*
 * Seconds to relay @bytes as a VMM relays migration data: a process on
 * @peer_cpu streams them in XFER writes to this one, which reads each
 * XFER and writes it on to a second process on @peer_cpu (two hops).
 */
static double floor_relay(uint64_t bytes, int peer_cpu)
{
	static uint8_t buf[XFER];
	int in[2], out[2];
	pid_t pid[2];
	double t;
	char ack;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, in) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, out))
		die("socketpair", errno);
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			die("fork", errno);
		if (pid[i])
			continue;
		if (i == 1)
			sink_child(out[1], bytes, peer_cpu);
		/* The source: waits for "go", then streams. */
		pin(peer_cpu);
		memset(buf, 0x5a, sizeof(buf));
		if (read(in[1], &ack, 1) != 1 || !stream_out(in[1], buf, bytes))
			_exit(1);
		_exit(0);
	}
	if (read(out[0], &ack, 1) != 1)
		die("relay reader", EPIPE);
	t = now_ns();
	if (write(in[0], "g", 1) != 1)
		die("relay source", EPIPE);
	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < XFER ? (size_t)(bytes - done) : XFER;

		if (!bench_read_all(in[0], buf, n))
			die("relay read", errno ? errno : EPIPE);
		if (!bench_write_all(out[0], buf, n))
			die("relay write", errno ? errno : EPIPE);
		done += n;
	}
	if (read(out[0], &ack, 1) != 1)
		die("relay reader", EPIPE);
	t = now_ns() - t;
	for (int i = 0; i < 2; i++)
		waitpid(pid[i], NULL, 0);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	return t / 1e9;
}

/* ---- uvfiod ---- */

enum { BIG_SRC, BIG_DST, DT_SRC, DT_DST, NR_DEVS };
static const char *const dev_names[NR_DEVS] = { "big-src", "big-dst", "dt-src",
						"dt-dst" };

static pid_t uvfiod_pid;

static void kill_uvfiod(void)
{
	if (uvfiod_pid > 0) {
		kill(uvfiod_pid, SIGTERM);
		waitpid(uvfiod_pid, NULL, 0);
		uvfiod_pid = 0;
	}
}

static void start_uvfiod(const struct opts *o, const char *dir, int cpu)
{
	char spec[NR_DEVS][96];
	pid_t pid;

	for (int i = 0; i < NR_DEVS; i++)
		snprintf(spec[i], sizeof(spec[i]), "ram,id=%s,size=%llu",
			 dev_names[i],
			 (unsigned long long)(i < DT_SRC ? o->size :
							   o->dt_size));
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		pin(cpu); /* the affinity outlives exec */
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(o->uvfiod, "uvfiod", "--socket-dir", dir, "--device",
		      spec[0], "--device", spec[1], "--device", spec[2],
		      "--device", spec[3], "--threads", "1", (char *)NULL);
		_exit(127);
	}
	uvfiod_pid = pid;
	/* Ready when every socket exists (bounded: 10 s). */
	for (int i = 0; i < 1000; i++) {
		int ready = 0;

		for (int d = 0; d < NR_DEVS; d++) {
			char path[256];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s.sock", dir,
				 dev_names[d]);
			ready += !stat(path, &st);
		}
		if (ready == NR_DEVS)
			return;
		usleep(10000);
	}
	fprintf(stderr, "bench-migration: uvfiod did not start\n");
	exit(1);
}

/* ---- migrations ---- */

struct dev {
	struct uvfio_client *c;
	uint8_t *mem; /* the region, mapped */
	uint64_t size;
};

static void set_state(struct dev *d, enum uvfio_device_mig_state s)
{
	int ret = uvfio_client_mig_set_state(d->c, s);

	if (ret)
		die("MIG_DEVICE_STATE", -ret);
}

/* Read until the device has nothing more now, writing into @dst. */
static uint64_t copy_data(struct dev *src, struct dev *dst, uint8_t *buf)
{
	uint64_t bytes = 0;

	for (;;) {
		ssize_t n = uvfio_client_mig_read(src->c, buf, XFER);

		if (n < 0)
			die("MIG_DATA_READ", (int)-n);
		if (!n)
			return bytes;
		if (uvfio_client_mig_write(dst->c, buf, (size_t)n) != n)
			die("MIG_DATA_WRITE", EIO);
		bytes += (uint64_t)n;
	}
}

static void check_same(const struct dev *src, const struct dev *dst)
{
	if (memcmp(src->mem, dst->mem, src->size)) {
		fprintf(stderr,
			"bench-migration: the destination differs from the source\n");
		exit(1);
	}
}

/* Make this run's state differ from the last one's: a word per page. */
static void touch(struct dev *d, uint64_t seed)
{
	for (uint64_t off = 0; off < d->size; off += PAGE)
		memcpy(d->mem + off, &seed, sizeof(seed));
}

struct stop_copy {
	double total_s, xfer_s, save_s, commit_s;
	uint64_t bytes;
};

static void migrate_stop_copy(struct dev *src, struct dev *dst, uint8_t *buf,
			      struct stop_copy *r)
{
	double t0, t1, t2, t3;

	set_state(dst, UVFIO_DEVICE_STATE_RESUMING);
	t0 = now_ns();
	set_state(src, UVFIO_DEVICE_STATE_STOP_COPY);
	t1 = now_ns();
	r->bytes = copy_data(src, dst, buf);
	t2 = now_ns();
	set_state(dst, UVFIO_DEVICE_STATE_RUNNING);
	t3 = now_ns();
	set_state(src, UVFIO_DEVICE_STATE_RUNNING);
	r->total_s = (t3 - t0) / 1e9;
	r->xfer_s = (t2 - t0) / 1e9;
	r->save_s = (t1 - t0) / 1e9;
	r->commit_s = (t3 - t2) / 1e9;
	check_same(src, dst);
}

struct downtime {
	double downtime_s;
	uint64_t stop_bytes, precopy_bytes, dirtied_bytes;
};

static void migrate_downtime(struct dev *src, struct dev *dst, uint8_t *buf,
			     int iterations, uint64_t seed, struct downtime *r)
{
	uint64_t pages = src->size / PAGE;
	uint64_t ndirty = pages * DIRTY_PERMILLE / 1000;
	uint64_t stride;
	double t0;

	if (!ndirty)
		ndirty = 1;
	stride = pages / ndirty;

	r->precopy_bytes = 0;
	r->dirtied_bytes = 0;
	set_state(dst, UVFIO_DEVICE_STATE_RESUMING);
	set_state(src, UVFIO_DEVICE_STATE_PRE_COPY);
	for (int it = 0; it < iterations; it++) {
		r->precopy_bytes += copy_data(src, dst, buf);
		/* The guest dirties 1% of the pages meanwhile. */
		for (uint64_t k = 0; k < ndirty; k++) {
			uint64_t v = seed * 1000003u + (uint64_t)it * 7919u + k;
			uint64_t off =
				(k * stride + (uint64_t)it) % pages * PAGE;

			if (uvfio_client_region_write(src->c, 0, off, &v,
						      sizeof(v)) != sizeof(v))
				die("REGION_WRITE", EIO);
			r->dirtied_bytes += PAGE;
		}
	}
	t0 = now_ns();
	set_state(src, UVFIO_DEVICE_STATE_STOP_COPY);
	r->stop_bytes = copy_data(src, dst, buf);
	set_state(dst, UVFIO_DEVICE_STATE_RUNNING);
	r->downtime_s = (now_ns() - t0) / 1e9;
	set_state(src, UVFIO_DEVICE_STATE_RUNNING);
	check_same(src, dst);
}

static void open_dev(struct dev *d, const char *dir, const char *name,
		     uint64_t size)
{
	const struct uvfio_client_opts copts = { .timeout_ms = 120000 };
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "%s/%s.sock", dir, name);
	d->c = uvfio_client_open(path, &copts);
	if (!d->c)
		die(path, errno);
	d->size = size;
	ret = uvfio_client_region_mmap(d->c, 0, 0, size, PROT_READ | PROT_WRITE,
				       (void **)&d->mem);
	if (ret)
		die("mmap of the ram region", -ret);
	/* Every page in place: the figures are the migration, not faults. */
	memset(d->mem, 0x3c, size);
}

static void close_dev(struct dev *d)
{
	munmap(d->mem, d->size);
	uvfio_client_close(d->c);
}

struct results {
	struct figure sc_gbps, sc_xfer_gbps, sc_save_ms, sc_commit_ms;
	struct figure floor_gbps, relay_gbps;
	struct figure dt_ms, dt_floor_ms, dt_dirty_floor_ms;
	uint64_t sc_bytes, dt_stop_bytes, dt_precopy_bytes, dt_dirtied;
};

static void run_placement(const struct opts *o, int peer_cpu, struct results *r)
{
	char dir[] = "/tmp/uvfio-bench-mig-XXXXXX";
	struct dev d[NR_DEVS];
	uint8_t *buf = malloc(XFER);
	struct stop_copy sc;
	struct downtime dt;

	if (!buf || !mkdtemp(dir))
		die("setup", errno);
	start_uvfiod(o, dir, peer_cpu);
	for (int i = 0; i < NR_DEVS; i++)
		open_dev(&d[i], dir, dev_names[i],
			 i < DT_SRC ? o->size : o->dt_size);

	/* Warm-up, not counted. */
	migrate_stop_copy(&d[BIG_SRC], &d[BIG_DST], buf, &sc);
	migrate_downtime(&d[DT_SRC], &d[DT_DST], buf, o->iterations, 0, &dt);
	for (int rep = 0; rep < o->reps; rep++) {
		double floor_s, floor_dt_s;

		floor_s = floor_stream(o->size, peer_cpu);
		add(&r->relay_gbps,
		    o->size / floor_relay(o->size, peer_cpu) / 1e9);
		touch(&d[BIG_SRC], (uint64_t)rep + 1);
		migrate_stop_copy(&d[BIG_SRC], &d[BIG_DST], buf, &sc);
		add(&r->floor_gbps, sc.bytes / floor_s / 1e9);
		add(&r->sc_gbps, sc.bytes / sc.total_s / 1e9);
		add(&r->sc_xfer_gbps, sc.bytes / sc.xfer_s / 1e9);
		add(&r->sc_save_ms, sc.save_s * 1e3);
		add(&r->sc_commit_ms, sc.commit_s * 1e3);
		r->sc_bytes = sc.bytes;

		floor_dt_s = floor_stream(o->dt_size, peer_cpu);
		touch(&d[DT_SRC], (uint64_t)rep + 1);
		migrate_downtime(&d[DT_SRC], &d[DT_DST], buf, o->iterations,
				 (uint64_t)rep + 1, &dt);
		add(&r->dt_ms, dt.downtime_s * 1e3);
		/* The floor's rate, applied to what stop-copy sent and to
		 * the dirtied pages alone. */
		add(&r->dt_floor_ms,
		    floor_dt_s * dt.stop_bytes / o->dt_size * 1e3);
		add(&r->dt_dirty_floor_ms, floor_dt_s * dt.dirtied_bytes /
						   o->iterations / o->dt_size *
						   1e3);
		r->dt_stop_bytes = dt.stop_bytes;
		r->dt_precopy_bytes = dt.precopy_bytes;
		r->dt_dirtied = dt.dirtied_bytes / o->iterations;
		if (o->verbose)
			fprintf(stderr,
				"rep %d: floor %.2f GB/s, stop-copy %.1f ms (save %.1f, commit %.1f), downtime %.1f ms\n",
				rep, sc.bytes / floor_s / 1e9, sc.total_s * 1e3,
				sc.save_s * 1e3, sc.commit_s * 1e3,
				dt.downtime_s * 1e3);
	}
	for (int i = 0; i < NR_DEVS; i++)
		close_dev(&d[i]);
	kill_uvfiod();
	rmdir(dir);
	free(buf);
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1 << 20);
}

static void report(const struct opts *o, int cross, struct results *r)
{
	char name[96];

	printf("\n### %s (bench CPU 0, uvfiod and floor reader CPU %d), %d reps\n\n",
	       cross ? "cross-CPU" : "same CPU", cross ? 1 : 0, o->reps);
	bench_table_head();
	snprintf(name, sizeof(name), "STOP_COPY %.0f MiB, SET to dst RUNNING",
		 mib(o->size));
	bench_row(name, &r->sc_gbps, &r->floor_gbps, "GB/s", false);
	snprintf(name, sizeof(name), "STOP_COPY %.0f MiB vs a raw relay",
		 mib(o->size));
	bench_row(name, &r->sc_gbps, &r->relay_gbps, "GB/s", false);
	snprintf(name, sizeof(name), "STOP_COPY %.0f MiB, SET to last write",
		 mib(o->size));
	bench_row(name, &r->sc_xfer_gbps, &r->floor_gbps, "GB/s", false);
	bench_row("  of which SET STOP_COPY (source saves)", &r->sc_save_ms,
		  NULL, "ms", true);
	bench_row("  then SET RUNNING (destination commits)", &r->sc_commit_ms,
		  NULL, "ms", true);
	snprintf(name, sizeof(name),
		 "downtime %.0f MiB, 1%% dirty, full resend", mib(o->dt_size));
	bench_row(name, &r->dt_ms, &r->dt_floor_ms, "ms", true);
	bench_row("  the dirtied pages alone (1%)", NULL, &r->dt_dirty_floor_ms,
		  "ms", true);
	printf("\nFloor: the same bytes streamed through a socketpair to a "
	       "process on CPU %d in 1 MiB writes, in each repetition.  The "
	       "relay's: the same bytes from a process to this one and on to "
	       "a third, 1 MiB at a time, as a VMM relays them (two hops, "
	       "where a migration through the VMM cannot do with fewer).  "
	       "Downtime's floor is the stream time of what its stop-copy "
	       "sent; the row below it, of the dirtied pages alone (what "
	       "downtime approaches once ram tracks dirty pages).\n",
	       cross ? 1 : 0);
	printf("\nStop-copy of %.0f MiB sent %.2f MiB.  Downtime: pre-copy "
	       "sent %.2f MiB in %d iterations, %.2f MiB (1%% of the pages) "
	       "dirtied before each iteration's end, stop-copy sent %.2f MiB: "
	       "ram has no dirty tracking yet, so stop-copy resends the whole "
	       "state; downtime is bounded by the full state until ram tracks "
	       "dirty pages.\n",
	       mib(o->size), mib(r->sc_bytes), mib(r->dt_precopy_bytes),
	       o->iterations, mib(r->dt_dirtied), mib(r->dt_stop_bytes));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "uvfiod", required_argument, NULL, 'u' },
		{ "size", required_argument, NULL, 's' },
		{ "downtime-size", required_argument, NULL, 'd' },
		{ "reps", required_argument, NULL, 'r' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.size = 256u << 20,
		.dt_size = 64u << 20,
		.reps = 5,
		.iterations = 3,
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "u:s:d:r:i:v", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'u':
			o.uvfiod = optarg;
			break;
		case 's':
			if (parse_size(optarg, &o.size))
				o.size = 0;
			break;
		case 'd':
			if (parse_size(optarg, &o.dt_size))
				o.dt_size = 0;
			break;
		case 'r':
			o.reps = atoi(optarg);
			break;
		case 'i':
			o.iterations = atoi(optarg);
			break;
		case 'v':
			o.verbose = true;
			break;
		default:
			return 2;
		}
	}
	if (!o.uvfiod || !o.size || !o.dt_size || o.reps < 1 ||
	    o.reps > MAX_REPS || o.iterations < 1 || o.iterations > 100) {
		fprintf(stderr,
			"usage: bench-migration --uvfiod PATH [--size BYTES] [--downtime-size BYTES]\n"
			"       [--reps 1-%d] [--iterations 1-100] [--verbose]\n"
			"       (sizes: multiples of 4K, with K, M or G)\n",
			MAX_REPS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	atexit(kill_uvfiod);
	pin(0);
	for (int cross = 0; cross < 2; cross++) {
		struct results r = { 0 };

		bench_placement = cross ? "cross-CPU" : "same CPU";
		run_placement(&o, cross ? 1 : 0, &r);
		report(&o, cross, &r);
	}
	return 0;
}
