// SPDX-License-Identifier: MIT
/*
 * bench-io: a device served from this process, its 1 MiB BAR trapping the
 * first page and mmappable beyond it (a sparse area), reached by clients:
 *
 *   sparse-mmapped BAR: 4-byte stores and copies of the area through the
 *       client's mapping of the area, against the same into the process's
 *       own memory: memory speed is the floor, as no access is a message.
 *   DMA through messages: the device writes 64 MiB into client memory
 *       mapped without a descriptor, so each MiB goes as a DMA_WRITE on
 *       the twin socket and waits for its reply; against a raw socket
 *       stream of the same 64 MiB, in 1 MiB writes, between two processes
 *       (a byte back once all arrived).
 *
 * The DMA figures are measured with the client on the same CPU and on
 * the other CPU (the device's side stays on CPU 0).  Each figure is the
 * median of --reps repetitions, with the spread.
 *
 * Usage: bench-io [--reps N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "bench-util.h"

#define BAR_SIZE (1u << 20)
#define TRAPPED 4096u /* the first page: registers, not mapped */
#define AREA (BAR_SIZE - TRAPPED)
#define DMA_SIZE (64u << 20)
#define CHUNK (1u << 20)

static const struct uvfio_device_ops ops = { 0 };

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-io: %s: %s\n", what, strerror(err));
	exit(1);
}

struct served {
	char dir[32], path[64];
	struct uvfio_device *dev;
	struct uvfio_server *srv;
};

static void serve(struct served *s)
{
	struct uvfio_region_desc bar = {
		.size = BAR_SIZE,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE |
			 UVFIO_REGION_INFO_FLAG_MMAP,
		.has_memory = true,
	};
	struct uvfio_server_opts opts = { .threads = 1 };
	int ret;

	strcpy(s->dir, "/tmp/uvfio-bench-XXXXXX");
	if (!mkdtemp(s->dir))
		die("mkdtemp", errno);
	snprintf(s->path, sizeof(s->path), "%s/io.sock", s->dir);
	s->dev = uvfio_device_new("bench-io", &ops, NULL);
	if (!s->dev)
		die("uvfio_device_new", errno);
	ret = uvfio_device_add_region(s->dev, 0, &bar);
	if (!ret)
		ret = uvfio_region_add_sparse_area(s->dev, 0, TRAPPED, AREA);
	if (!ret)
		ret = uvfio_device_realize(s->dev);
	if (ret)
		die("device", -ret);
	s->srv = uvfio_server_new(&opts);
	if (!s->srv)
		die("uvfio_server_new", errno);
	ret = uvfio_server_add_device(s->srv, s->dev, s->path);
	if (!ret)
		ret = uvfio_server_start(s->srv);
	if (ret)
		die("server", -ret);
}

static void unserve(struct served *s)
{
	uvfio_server_destroy(s->srv);
	uvfio_device_destroy(s->dev);
	rmdir(s->dir);
}

/* Millions of 4-byte stores per second over @n bytes at @p. */
static double store_rate(volatile uint32_t *p, size_t n)
{
	const size_t words = n / 4, stores = 64u << 20;
	double t = now_ns();

	for (size_t i = 0, w = 0; i < stores; i++) {
		p[w] = (uint32_t)i;
		if (++w == words)
			w = 0;
	}
	return stores / ((now_ns() - t) / 1e3);
}

/* GB/s of 256 copies of @n bytes from @src to @dst. */
static double copy_rate(void *dst, const void *src, size_t n)
{
	double t = now_ns();

	for (int i = 0; i < 256; i++) {
		memcpy(dst, src, n);
		/* Keep the compiler from dropping all but the last copy. */
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return 256.0 * n / (now_ns() - t);
}

static void sparse_bar(int reps, struct served *s)
{
	struct figure st = { 0 }, st_floor = { 0 }, cp = { 0 },
		      cp_floor = { 0 };
	struct uvfio_client *c = uvfio_client_open(s->path, NULL);
	uint8_t *own = malloc(AREA), *src = malloc(AREA);
	void *bar;
	int ret;

	if (!c)
		die("open", errno);
	if (!own || !src)
		die("malloc", ENOMEM);
	ret = uvfio_client_region_mmap(c, 0, TRAPPED, AREA,
				       PROT_READ | PROT_WRITE, &bar);
	if (ret)
		die("region mmap", -ret);
	/* Both sides faulted in: the figures are the accesses. */
	memset(own, 1, AREA);
	memset(src, 2, AREA);
	memset(bar, 3, AREA);
	for (int rep = 0; rep < reps; rep++) {
		add(&st, store_rate(bar, AREA));
		add(&st_floor, store_rate((uint32_t *)(void *)own, AREA));
		add(&cp, copy_rate(bar, src, AREA));
		add(&cp_floor, copy_rate(own, src, AREA));
	}
	/* What went through the mapping is the device's memory. */
	if (memcmp((uint8_t *)uvfio_region_memory(s->dev, 0) + TRAPPED, src,
		   AREA))
		die("BAR contents", EIO);
	bench_row("sparse-mmapped BAR: 4-byte stores", &st, &st_floor, "M/s",
		  false);
	bench_row("sparse-mmapped BAR: 1020 KiB copies", &cp, &cp_floor, "GB/s",
		  false);
	munmap(bar, AREA);
	uvfio_client_close(c);
	free(own);
	free(src);
}

/* Exactly @n bytes, or die. */
static void read_all(int fd, void *buf, size_t n)
{
	if (!bench_read_all(fd, buf, n))
		die("read", errno ? errno : EPIPE);
}

static void write_all(int fd, const void *buf, size_t n)
{
	if (!bench_write_all(fd, buf, n))
		die("write", errno ? errno : EPIPE);
}

/* The floor: DMA_SIZE bytes in CHUNK writes to a process that reads them. */
static double raw_stream(int peer_cpu, const uint8_t *src)
{
	int sv[2];
	pid_t pid;
	double t;
	char ack;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		uint8_t *dst = malloc(DMA_SIZE);

		close(sv[0]);
		pin(peer_cpu);
		if (!dst)
			_exit(1);
		memset(dst, 0, DMA_SIZE);
		write_all(sv[1], "r", 1);
		read_all(sv[1], dst, DMA_SIZE);
		write_all(sv[1], "a", 1);
		_exit(0);
	}
	close(sv[1]); /* a reader that dies shows as EOF */
	read_all(sv[0], &ack, 1);
	t = now_ns();
	for (size_t off = 0; off < DMA_SIZE; off += CHUNK)
		write_all(sv[0], src + off, CHUNK);
	read_all(sv[0], &ack, 1);
	t = now_ns() - t;
	waitpid(pid, NULL, 0);
	close(sv[0]);
	return DMA_SIZE / t;
}

/*
 * A client in another process maps DMA_SIZE bytes of its memory without a
 * descriptor, with a twin socket, and waits; the device then writes it.
 * The child is forked while the server's thread runs: it uses only malloc
 * (fork-safe in glibc) and a client of its own, nothing of the server.
 */
static void dma_messages(int reps, int peer_cpu, struct served *s)
{
	struct figure u = { 0 }, f = { 0 };
	uint8_t *src = malloc(DMA_SIZE);
	int ready[2], done[2];
	pid_t pid;
	char x;

	if (!src || pipe(ready) || pipe(done))
		die("setup", errno ? errno : ENOMEM);
	memset(src, 5, DMA_SIZE);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		struct uvfio_client_opts opts = { .twin_socket = true };
		struct uvfio_client *c;
		uint8_t *mem = malloc(DMA_SIZE);

		close(ready[0]);
		close(done[1]);
		pin(peer_cpu);
		c = uvfio_client_open(s->path, &opts);
		if (!c || !mem)
			_exit(1);
		memset(mem, 0, DMA_SIZE);
		if (uvfio_client_dma_map(c, 0, DMA_SIZE,
					 UVFIO_DMA_READ | UVFIO_DMA_WRITE, -1,
					 0, mem))
			_exit(1);
		write_all(ready[1], "r", 1);
		read_all(done[0], &x, 1);
		/* The last write arrived whole. */
		x = memcmp(mem, src, DMA_SIZE) ? 'x' : 'o';
		write_all(ready[1], &x, 1);
		uvfio_client_close(c);
		_exit(0);
	}
	/* A client that dies shows as EOF. */
	close(ready[1]);
	close(done[0]);
	read_all(ready[0], &x, 1);
	for (int rep = 0; rep < reps; rep++) {
		double t = now_ns();
		int ret = uvfio_dma_write(uvfio_device_dma(s->dev), 0, src,
					  DMA_SIZE);

		if (ret)
			die("DMA through messages", -ret);
		add(&u, DMA_SIZE / (now_ns() - t));
		add(&f, raw_stream(peer_cpu, src));
	}
	write_all(done[1], "d", 1);
	read_all(ready[0], &x, 1);
	waitpid(pid, NULL, 0);
	if (x != 'o')
		die("DMA contents", EIO);
	bench_row("DMA through messages, 64 MiB", &u, &f, "GB/s", false);
	close(ready[0]);
	close(done[1]);
	free(src);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct served s;
	int reps = 5, ch;

	while ((ch = getopt_long(argc, argv, "r:", longopts, NULL)) != -1) {
		if (ch != 'r')
			return 2;
		reps = atoi(optarg);
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: bench-io [--reps 1-%d]\n", MAX_REPS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pin(0);
	serve(&s);
	for (int cross = 0; cross < 2; cross++) {
		bench_placement = cross ? "cross-CPU" : "same CPU";
		printf("\n### %s (device CPU 0, client CPU %d), %d reps\n\n",
		       bench_placement, cross, reps);
		bench_table_head();
		if (!cross)
			sparse_bar(reps, &s);
		dma_messages(reps, cross, &s);
	}
	unserve(&s);
	return 0;
}
