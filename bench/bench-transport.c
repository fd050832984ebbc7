// SPDX-License-Identifier: MIT
/*
 * bench-transport: the vfio-user request path against its physical floor,
 * measured in one run and in the same CPU placement.
 *
 *   floor: a raw socketpair ping-pong of a 16-byte header + 4-byte payload
 *          between two processes
 *   uvfio: 4-byte REGION_READ round trips to a ram device in uvfiod
 *          (median, p99, rate); posted 4-byte writes per second, one
 *          message each and in REGION_WRITE_MULTI batches of 200; 64 KiB
 *          region reads; device DMA into fd-mapped memory vs memcpy
 *   curve: REGION_READ round trips of 4 bytes to 1 MiB against a
 *          ping-pong of the same bytes (a 32-byte request, the header
 *          and payload back)
 *
 * Placements: "same" pins everything to CPU 0 (the software's cost),
 * "cross" puts the client on CPU 0 and the peer on CPU 1 (what a VMM on
 * another core sees).  Each figure is the median of --reps repetitions,
 * with the spread (min..max of the repetitions' medians).
 *
 * Usage: bench-transport --uvfiod PATH [--reps N] [--iters N]
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

struct opts {
	const char *uvfiod;
	int reps;
	int iters;
};

/* ---- the floor: raw ping-pong between two processes ---- */

static void echo_child(int sock, int cpu)
{
	char buf[20];

	pin(cpu);
	while (read(sock, buf, sizeof(buf)) == sizeof(buf))
		if (write(sock, buf, sizeof(buf)) != sizeof(buf))
			break;
	_exit(0);
}

static void floor_pingpong(int iters, int peer_cpu, double *lat_ns)
{
	char buf[20] = { 0 };
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		echo_child(sv[1], peer_cpu);
	}
	close(sv[1]);
	for (int i = 0; i < iters + 100; i++) {
		double t = now_ns();

		if (write(sv[0], buf, sizeof(buf)) != sizeof(buf) ||
		    read(sv[0], buf, sizeof(buf)) != sizeof(buf))
			exit(1);
		if (i >= 100)
			lat_ns[i - 100] = now_ns() - t;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
}

/*
 * The floor of a @size-byte read: 32 bytes out, 16 + @size back, the
 * peer reading the request whole and writing the reply whole.
 */
static void floor_sized(int iters, int peer_cpu, size_t size, double *lat_ns)
{
	size_t reply = 16 + size;
	char req[32] = { 0 };
	char *buf = calloc(1, reply);
	int sv[2];
	pid_t pid;

	if (!buf || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		pin(peer_cpu);
		while (recv(sv[1], req, sizeof(req), MSG_WAITALL) ==
		       sizeof(req))
			if (write(sv[1], buf, reply) != (ssize_t)reply)
				break;
		_exit(0);
	}
	close(sv[1]);
	for (int i = 0; i < iters + 10; i++) {
		double t = now_ns();

		if (write(sv[0], req, sizeof(req)) != sizeof(req) ||
		    recv(sv[0], buf, reply, MSG_WAITALL) != (ssize_t)reply)
			exit(1);
		if (i >= 10)
			lat_ns[i - 10] = now_ns() - t;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	free(buf);
}

/* Raw one-way stream of 4-byte-payload messages: the posted floor. */
static double floor_oneway_rate(int iters, int peer_cpu)
{
	char buf[20] = { 0 }, sink[4096];
	int sv[2];
	pid_t pid;
	double t;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	pid = fork();
	if (pid == 0) {
		long left = (long)iters * sizeof(buf);

		close(sv[0]);
		pin(peer_cpu);
		while (left > 0) {
			ssize_t n = read(sv[1], sink, sizeof(sink));

			if (n <= 0)
				break;
			left -= n;
		}
		if (write(sv[1], "k", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	t = now_ns();
	for (int i = 0; i < iters; i++)
		if (write(sv[0], buf, sizeof(buf)) != sizeof(buf))
			exit(1);
	if (read(sv[0], sink, 1) != 1)
		exit(1);
	t = now_ns() - t;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return iters / (t / 1e9);
}

/* ---- uvfiod ---- */

static pid_t start_uvfiod(const struct opts *o, const char *dir, int cpu)
{
	char sock[256], dev[64];
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/ram0.sock", dir);
	snprintf(dev, sizeof(dev), "ram,id=ram0,size=1M");
	pid = fork();
	if (pid == 0) {
		pin(cpu);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(o->uvfiod, "uvfiod", "--socket-dir", dir, "--device", dev,
		      "--threads", "1", (char *)NULL);
		_exit(127);
	}
	/* Ready when the socket exists (bounded: 10 s). */
	for (int i = 0; i < 1000; i++) {
		struct stat st;

		if (!stat(sock, &st))
			return pid;
		usleep(10000);
	}
	fprintf(stderr, "bench: uvfiod did not start\n");
	exit(1);
}

static void stop_uvfiod(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

struct results {
	struct figure floor_rtt, floor_p99, read_rtt, read_p99, read_rate;
	struct figure floor_oneway, posted_rate, multi_rate, read64k_gbps;
};

/* 4-byte posted writes per second in REGION_WRITE_MULTI batches of 200. */
static double write_multi_rate(struct uvfio_client *c, int writes)
{
	static struct uvfio_region_write batch[200];
	double t;
	uint32_t v;

	for (unsigned int i = 0; i < 200; i++) {
		batch[i].len = 4;
		batch[i].offset = 4 * i;
		memcpy(batch[i].data, &i, 4);
	}
	writes -= writes % 200;
	t = now_ns();
	for (int i = 0; i < writes; i += 200)
		if (uvfio_client_region_write_multi(c, batch, 200))
			exit(1);
	/* A read behind them: all writes were handled. */
	if (uvfio_client_region_read(c, 0, 4 * 199, &v, 4) != 4 || v != 199)
		exit(1);
	return writes / ((now_ns() - t) / 1e9);
}

static void run_placement(const struct opts *o, int peer_cpu, struct results *r)
{
	double *lat = calloc((size_t)o->iters, sizeof(double));
	char dir[] = "/tmp/uvfio-bench-XXXXXX";
	char path[256];
	static uint8_t big[65536];

	if (!lat || !mkdtemp(dir))
		exit(1);
	snprintf(path, sizeof(path), "%s/ram0.sock", dir);
	for (int rep = 0; rep < o->reps; rep++) {
		struct uvfio_client *c;
		pid_t pid;
		uint32_t v = 0;
		double t;

		floor_pingpong(o->iters, peer_cpu, lat);
		add(&r->floor_rtt, percentile(lat, o->iters, 0.5));
		add(&r->floor_p99, percentile(lat, o->iters, 0.99));
		add(&r->floor_oneway,
		    floor_oneway_rate(o->iters * 4, peer_cpu));

		pid = start_uvfiod(o, dir, peer_cpu);
		c = uvfio_client_open(path, NULL);
		if (!c) {
			perror("bench: open");
			exit(1);
		}
		for (int i = 0; i < o->iters + 100; i++) {
			t = now_ns();
			if (uvfio_client_region_read(c, 0, 0, &v, 4) != 4)
				exit(1);
			if (i >= 100)
				lat[i - 100] = now_ns() - t;
		}
		t = 0;
		for (int i = 0; i < o->iters; i++)
			t += lat[i];
		add(&r->read_rate, o->iters / (t / 1e9));
		add(&r->read_rtt, percentile(lat, o->iters, 0.5));
		add(&r->read_p99, percentile(lat, o->iters, 0.99));

		t = now_ns();
		for (int i = 0; i < o->iters * 4; i++)
			if (uvfio_client_region_write_posted(c, 0, 0, &v, 4))
				exit(1);
		/* A read behind them: all writes were handled. */
		uvfio_client_region_read(c, 0, 0, &v, 4);
		add(&r->posted_rate, o->iters * 4 / ((now_ns() - t) / 1e9));
		add(&r->multi_rate, write_multi_rate(c, o->iters * 20));

		t = now_ns();
		for (int i = 0; i < 2000; i++)
			if (uvfio_client_region_read(
				    c, 0, 0, big, sizeof(big)) != sizeof(big))
				exit(1);
		add(&r->read64k_gbps, 2000.0 * sizeof(big) / (now_ns() - t));
		uvfio_client_close(c);
		stop_uvfiod(pid);
	}
	rmdir(dir);
	free(lat);
}

/* Device DMA into a fd-mapped window vs memcpy of the same bytes. */
static void dma_vs_memcpy(int reps, struct figure *dma, struct figure *mcp)
{
	const size_t size = 64 << 20;
	struct uvfio_client_buffer guest;
	struct uvfio_dma *space = uvfio_dma_new();
	uint8_t *src = malloc(size);

	if (!space || !src || uvfio_client_buffer_alloc(size, &guest) ||
	    uvfio_dma_map(space, 0, size, UVFIO_DMA_READ | UVFIO_DMA_WRITE,
			  guest.fd, 0))
		exit(1);
	memset(src, 1, size);
	/* Fault every page in first: the figure is the copy, not the faults. */
	memset(guest.addr, 0, size);
	if (uvfio_dma_write(space, 0, src, size))
		exit(1);
	for (int rep = 0; rep < reps; rep++) {
		double t = now_ns();

		if (uvfio_dma_write(space, 0, src, size))
			exit(1);
		add(dma, size / (now_ns() - t));
		t = now_ns();
		memcpy(guest.addr, src, size);
		add(mcp, size / (now_ns() - t));
	}
	uvfio_dma_destroy(space);
	uvfio_client_buffer_free(&guest);
	free(src);
}

/*
 * REGION_READ round trips from 4 bytes to 1 MiB against their floor: the
 * median of --reps medians for each size, as points of a curve.
 */
static void latency_curve(const struct opts *o, int peer_cpu)
{
	static const size_t sizes[] = { 4,     64,     512,    4096,
					32768, 131072, 524288, 1 << 20 };
	char dir[] = "/tmp/uvfio-bench-XXXXXX", path[256], curve[64];
	double *lat = calloc(2000, sizeof(double));
	void *buf = malloc(1 << 20);

	if (!lat || !buf || !mkdtemp(dir))
		exit(1);
	snprintf(path, sizeof(path), "%s/ram0.sock", dir);
	snprintf(curve, sizeof(curve), "REGION_READ latency, %s",
		 bench_placement);
	printf("\n%s (p50, us)\n\n| bytes | uvfio | floor | ratio |\n"
	       "|---|---|---|---|\n",
	       curve);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		int iters = sizes[k] >= 131072 ? 200 : 2000;
		struct figure u = { 0 }, f = { 0 };
		double mu, mf;

		for (int rep = 0; rep < o->reps; rep++) {
			struct uvfio_client *c;
			pid_t pid;

			floor_sized(iters, peer_cpu, sizes[k], lat);
			add(&f, percentile(lat, iters, 0.5) / 1e3);
			pid = start_uvfiod(o, dir, peer_cpu);
			c = uvfio_client_open(path, NULL);
			if (!c)
				exit(1);
			for (int i = 0; i < iters + 10; i++) {
				double t = now_ns();

				if (uvfio_client_region_read(c, 0, 0, buf,
							     sizes[k]) !=
				    (ssize_t)sizes[k])
					exit(1);
				if (i >= 10)
					lat[i - 10] = now_ns() - t;
			}
			add(&u, percentile(lat, iters, 0.5) / 1e3);
			uvfio_client_close(c);
			stop_uvfiod(pid);
		}
		mu = med(&u);
		mf = med(&f);
		printf("| %zu | %.2f | %.2f | %.2fx |\n", sizes[k], mu, mf,
		       mu / mf);
		bench_point(curve, "uvfio", (double)sizes[k], mu);
		bench_point(curve, "floor", (double)sizes[k], mf);
	}
	rmdir(dir);
	free(lat);
	free(buf);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "uvfiod", required_argument, NULL, 'u' },
		{ "reps", required_argument, NULL, 'r' },
		{ "iters", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .reps = 5, .iters = 20000 };
	int ch;

	while ((ch = getopt_long(argc, argv, "u:r:i:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			o.uvfiod = optarg;
			break;
		case 'r':
			o.reps = atoi(optarg);
			break;
		case 'i':
			o.iters = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!o.uvfiod || o.reps < 1 || o.reps > MAX_REPS || o.iters < 100) {
		fprintf(stderr,
			"usage: bench-transport --uvfiod PATH [--reps 1-%d] [--iters >=100]\n",
			MAX_REPS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pin(0);
	for (int cross = 0; cross < 2; cross++) {
		struct results r = { 0 };
		struct figure dma = { 0 }, mcp = { 0 };

		bench_placement = cross ? "cross-CPU" : "same CPU";
		run_placement(&o, cross ? 1 : 0, &r);
		printf("\n### %s (client CPU 0, peer CPU %d), %d reps x %d iters\n\n",
		       cross ? "cross-CPU" : "same CPU", cross ? 1 : 0, o.reps,
		       o.iters);
		bench_table_head();
		bench_row("4-byte REGION_READ round trip, p50", &r.read_rtt,
			  &r.floor_rtt, "ns", true);
		bench_row("4-byte REGION_READ round trip, p99", &r.read_p99,
			  &r.floor_p99, "ns", true);
		for (int i = 0; i < r.read_rate.n; i++)
			r.read_rate.rep[i] /= 1e3;
		bench_row("REGION_READ rate", &r.read_rate, NULL, "k/s", false);
		for (int i = 0; i < r.posted_rate.n; i++) {
			r.posted_rate.rep[i] /= 1e6;
			r.multi_rate.rep[i] /= 1e6;
			r.floor_oneway.rep[i] /= 1e6;
		}
		bench_row("posted 4-byte writes", &r.posted_rate,
			  &r.floor_oneway, "M/s", false);
		/* Against single posted writes: the ratio is the batch's
		 * cost per write relative to theirs. */
		bench_row("4-byte writes, WRITE_MULTI x200 vs single",
			  &r.multi_rate, &r.posted_rate, "M/s", false);
		bench_row("64 KiB REGION_READ", &r.read64k_gbps, NULL, "GB/s",
			  false);
		if (!cross) {
			dma_vs_memcpy(o.reps, &dma, &mcp);
			bench_row("DMA into fd-mapped memory, 64 MiB", &dma,
				  &mcp, "GB/s", false);
		}
		latency_curve(&o, cross ? 1 : 0);
	}
	return 0;
}
