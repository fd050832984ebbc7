// SPDX-License-Identifier: MIT
/*
 * bench-scale: one uvfiod serving 1, 10, 100 and 1000 ram devices (4 KiB
 * each), each device with a connected client doing round trips.
 *
 *   connect: uvfio_client_open() of every device (connect and the VERSION
 *     negotiation), p50 and p99
 *   memory: uvfiod's VmRSS with the devices idle (no client), then with
 *     every client connected; per device, (RSS(N) - RSS(1)) / (N - 1)
 *   round trips: two client threads, each driving half of the clients in
 *     turn, a 4-byte REGION_READ each, about 20000 in all: the aggregate
 *     rate and the p99 latency
 *   floor: the same threads (one with a single device), each ping-ponging
 *     20 bytes with a process of its own through a socketpair: the rate
 *     without the server
 *
 * Placements as the other benchmarks: "same" pins uvfiod, the clients and
 * the floor's peers to CPU 0; "cross" puts uvfiod and the peers on CPU 1.
 * Each figure is the median of --reps repetitions, with the spread.
 *
 * Usage: bench-scale --uvfiod PATH [--reps N] [--max N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "bench-util.h"

#define TOTAL_RTS 20000
#define THREADS 2

struct opts {
	const char *uvfiod;
	int reps;
	int max;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- uvfiod with N devices ---- */

static pid_t start_uvfiod(const struct opts *o, const char *dir, int n, int cpu)
{
	char conf[300], sock[300];
	struct stat st;
	FILE *f;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/uvfiod.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		die(conf);
	fprintf(f, "socket-dir %s\n", dir);
	for (int i = 0; i < n; i++)
		fprintf(f, "device ram,id=r%d,size=4K\n", i);
	if (fclose(f))
		die(conf);
	pid = fork();
	if (pid == 0) {
		pin(cpu);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(o->uvfiod, "uvfiod", "--config", conf, (char *)NULL);
		_exit(127);
	}
	/* Ready when the last socket exists (bounded: 30 s). */
	snprintf(sock, sizeof(sock), "%s/r%d.sock", dir, n - 1);
	for (int i = 0; i < 3000; i++) {
		if (!stat(sock, &st))
			return pid;
		usleep(10000);
	}
	fprintf(stderr, "bench-scale: uvfiod did not start\n");
	exit(1);
}

static void stop_uvfiod(pid_t pid, const char *dir)
{
	char path[300];

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), "%s/uvfiod.conf", dir);
	unlink(path);
}

static double rss_kib(pid_t pid)
{
	char path[64], line[256];
	double kib = NAN;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lf kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* ---- round trips ---- */

struct driver {
	struct uvfio_client **c;
	int nr, rounds;
	double *lat;
	int cpu;
};

static void *drive(void *arg)
{
	struct driver *d = arg;
	uint32_t v;
	int k = 0;

	pin(d->cpu);
	for (int r = 0; r < d->rounds; r++) {
		for (int i = 0; i < d->nr; i++) {
			double t = now_ns();

			if (uvfio_client_region_read(d->c[i], 0, 0, &v, 4) != 4)
				exit(1);
			d->lat[k++] = now_ns() - t;
		}
	}
	return NULL;
}

static void *drive_floor(void *arg)
{
	struct driver *d = arg;
	int sock = d->nr;
	char buf[20] = { 0 };

	pin(d->cpu);
	for (int r = 0; r < d->rounds; r++)
		if (write(sock, buf, sizeof(buf)) != sizeof(buf) ||
		    recv(sock, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf))
			exit(1);
	return NULL;
}

/*
 * @threads (those with clients to drive) threads, each with an echo
 * process of its own: the rate.
 */
static double floor_rate(int peer_cpu, int threads)
{
	struct driver d[THREADS];
	pthread_t th[THREADS];
	pid_t pid[THREADS];
	double t;

	for (int i = 0; i < threads; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			die("socketpair");
		pid[i] = fork();
		if (pid[i] == 0) {
			char buf[20];

			close(sv[0]);
			pin(peer_cpu);
			while (recv(sv[1], buf, sizeof(buf), MSG_WAITALL) ==
			       sizeof(buf))
				if (write(sv[1], buf, sizeof(buf)) !=
				    sizeof(buf))
					break;
			_exit(0);
		}
		close(sv[1]);
		d[i] = (struct driver){ .nr = sv[0],
					.rounds = TOTAL_RTS / threads,
					.cpu = 0 };
	}
	t = now_ns();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, drive_floor, &d[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t = now_ns() - t;
	/* All first: a later peer holds copies of the earlier sockets. */
	for (int i = 0; i < threads; i++)
		close(d[i].nr);
	for (int i = 0; i < threads; i++)
		waitpid(pid[i], NULL, 0);
	return d[0].rounds * threads / (t / 1e9);
}

struct results {
	struct figure connect_p50, connect_p99, rss_idle, rss_conn;
	struct figure rate, p99, floor;
};

static void one_rep(const struct opts *o, int n, int peer_cpu,
		    struct results *r)
{
	char dir[] = "/tmp/uvfio-bench-XXXXXX", path[300];
	struct uvfio_client **c = calloc((size_t)n, sizeof(*c));
	int rounds = TOTAL_RTS / n > 20 ? TOTAL_RTS / n : 20;
	double *open_ns = calloc((size_t)n, sizeof(double));
	double *lat = calloc((size_t)n * (size_t)rounds, sizeof(double));
	struct driver d[THREADS];
	pthread_t th[THREADS];
	double t;
	pid_t pid;
	int k;

	if (!c || !open_ns || !lat || !mkdtemp(dir))
		die("setup");
	add(&r->floor, floor_rate(peer_cpu, n < THREADS ? n : THREADS) / 1e3);
	pid = start_uvfiod(o, dir, n, peer_cpu);
	usleep(100000); /* let uvfiod settle after its last socket */
	add(&r->rss_idle, rss_kib(pid));
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/r%d.sock", dir, i);
		t = now_ns();
		c[i] = uvfio_client_open(path, NULL);
		open_ns[i] = now_ns() - t;
		if (!c[i])
			die(path);
	}
	add(&r->rss_conn, rss_kib(pid));
	add(&r->connect_p50, percentile(open_ns, n, 0.5) / 1e3);
	add(&r->connect_p99, percentile(open_ns, n, 0.99) / 1e3);

	for (int i = 0; i < THREADS; i++) {
		int from = n * i / THREADS, to = n * (i + 1) / THREADS;

		d[i] = (struct driver){ .c = c + from,
					.nr = to - from,
					.rounds = rounds,
					.lat = lat + (size_t)from * rounds,
					.cpu = 0 };
	}
	t = now_ns();
	for (int i = 0; i < THREADS; i++)
		if (d[i].nr)
			pthread_create(&th[i], NULL, drive, &d[i]);
	for (int i = 0; i < THREADS; i++)
		if (d[i].nr)
			pthread_join(th[i], NULL);
	t = now_ns() - t;
	k = n * rounds;
	add(&r->rate, k / (t / 1e9) / 1e3);
	add(&r->p99, percentile(lat, k, 0.99) / 1e3);

	for (int i = 0; i < n; i++)
		uvfio_client_close(c[i]);
	stop_uvfiod(pid, dir);
	rmdir(dir);
	free(c);
	free(open_ns);
	free(lat);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "uvfiod", required_argument, NULL, 'u' },
		{ "reps", required_argument, NULL, 'r' },
		{ "max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .reps = 3, .max = 1000 };
	struct rlimit rl;
	int ch;

	while ((ch = getopt_long(argc, argv, "u:r:m:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			o.uvfiod = optarg;
			break;
		case 'r':
			o.reps = atoi(optarg);
			break;
		case 'm':
			o.max = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!o.uvfiod || o.reps < 1 || o.reps > MAX_REPS || o.max < 1 ||
	    o.max > 4000) {
		fprintf(stderr,
			"usage: bench-scale --uvfiod PATH [--reps 1-%d] [--max 1-4000]\n",
			MAX_REPS);
		return 2;
	}
	/* A client per device: as many descriptors as allowed. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	pin(0);
	for (int cross = 0; cross < 2; cross++) {
		double rss1 = NAN, rss1_conn = NAN;
		char curve[64];

		bench_placement = cross ? "cross-CPU" : "same CPU";
		snprintf(curve, sizeof(curve), "round trips vs devices, %s",
			 bench_placement);
		printf("\n### %s (clients CPU 0, uvfiod CPU %d), %d reps\n",
		       bench_placement, cross, o.reps);
		for (int n = 1; n <= o.max; n *= 10) {
			struct results r = { 0 };
			struct figure per_idle = { 0 }, per_conn = { 0 };
			char name[64];

			for (int rep = 0; rep < o.reps; rep++)
				one_rep(&o, n, cross, &r);
			printf("\n%d device(s)\n\n", n);
			bench_table_head();
			snprintf(name, sizeof(name),
				 "%d devices: round trips, aggregate", n);
			bench_row(name, &r.rate, &r.floor, "k/s", false);
			snprintf(name, sizeof(name),
				 "%d devices: round trip p99", n);
			bench_row(name, &r.p99, NULL, "us", true);
			snprintf(name, sizeof(name),
				 "%d devices: connect+negotiate p50", n);
			bench_row(name, &r.connect_p50, NULL, "us", true);
			snprintf(name, sizeof(name),
				 "%d devices: connect+negotiate p99", n);
			bench_row(name, &r.connect_p99, NULL, "us", true);
			bench_point(curve, "uvfio", n, med(&r.rate));
			bench_point(curve, "floor", n, med(&r.floor));
			if (n == 1) {
				rss1 = med(&r.rss_idle);
				rss1_conn = med(&r.rss_conn);
				continue;
			}
			for (int i = 0; i < r.rss_idle.n; i++) {
				add(&per_idle,
				    (r.rss_idle.rep[i] - rss1) / (n - 1));
				add(&per_conn,
				    (r.rss_conn.rep[i] - rss1_conn) / (n - 1));
			}
			snprintf(name, sizeof(name),
				 "%d devices: RSS per idle device", n);
			bench_row(name, &per_idle, NULL, "KiB", true);
			snprintf(name, sizeof(name),
				 "%d devices: RSS per connected device", n);
			bench_row(name, &per_conn, NULL, "KiB", true);
		}
	}
	return 0;
}
