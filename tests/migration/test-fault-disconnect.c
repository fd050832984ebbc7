// SPDX-License-Identifier: MIT
/*
 * Fault injection: a full migration between two ram devices over
 * vfio-user, with the client's connection to one side cut after its
 * first, second, third... message, until one migration runs through.
 *
 * A proxy stands between the client and the side under test: it relays
 * whole messages (descriptors included) both ways, and after the client's
 * Nth message has reached the server it closes both connections.  After
 * each cut, a new client (which the server accepts only once it has
 * dropped the old one) checks what the devices hold:
 *   - the source's memory is intact, and it is out of any migration
 *     session (STOP_COPY ends in STOP, pre-copy back in a running state);
 *   - the destination holds its old memory, or nothing (reset out of
 *     RESUMING), or the whole source, and then only if the destination
 *     reached RUNNING through a complete stream: never part of one;
 *   - both serve again: a migration without a cut then succeeds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "ram/ram.h"
#include "test-util.h"
#include "raw-client.h"

/* Several MIG_DATA_READs and _WRITEs (1 MiB each): cuts mid-stream. */
#define SIZE ((3u << 20) + (20u << 10))

struct fixture {
	char dir[64];
	char path[2][96];
	struct uvfio_device *dev[2]; /* src, dst */
	struct uvfio_server *srv;
};

struct proxy {
	char path[128];
	const char *target;
	int listen_fd;
	unsigned int cut; /* close after this many client messages */
	unsigned int relayed;
	pthread_t thread;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *names[2] = { "src", "dst" };

	test_mkdtemp(f->dir, sizeof(f->dir), "fault");
	for (int i = 0; i < 2; i++) {
		f->dev[i] = ram_device_new(names[i], SIZE);
		assert_non_null(f->dev[i]);
		uvfio_device_set_log(f->dev[i], NULL, NULL, 0);
	}
	f->srv = test_serve(NULL, f->dir, f->dev, f->path, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uvfio_server_destroy(f->srv);
	for (int i = 0; i < 2; i++)
		uvfio_device_destroy(f->dev[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Forward @rx (its descriptors too) to @to: 0, or -1 if that failed. */
static int forward(int to, struct vfu_rx *rx)
{
	int ret = vfu_send(to, &rx->hdr, rx->payload, rx->payload_len, rx->fds,
			   rx->nr_fds, 5000);

	vfu_rx_reset(rx);
	return ret ? -1 : 0;
}

static void *proxy_main(void *arg)
{
	struct proxy *p = arg;
	int client = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int server = raw_connect(p->target);
	struct vfu_rx up, down;

	vfu_rx_init(&up);
	vfu_rx_init(&down);
	while (client >= 0 && p->relayed < p->cut) {
		struct pollfd pfd[2] = { { client, POLLIN, 0 },
					 { server, POLLIN, 0 } };
		int ret;

		if (poll(pfd, 2, 10000) <= 0)
			break;
		if (pfd[0].revents) {
			ret = vfu_rx_step(client, &up, 16u << 20);
			if (ret < 0 || (ret == 1 && forward(server, &up)))
				break;
			if (ret == 1)
				p->relayed++;
		}
		if (pfd[1].revents) {
			ret = vfu_rx_step(server, &down, 16u << 20);
			if (ret < 0 || (ret == 1 && forward(client, &down)))
				break;
		}
	}
	vfu_rx_release(&up);
	vfu_rx_release(&down);
	if (client >= 0)
		close(client);
	close(server);
	return NULL;
}

static void proxy_start(struct proxy *p, const struct fixture *f,
			const char *target, unsigned int cut)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(p->path, sizeof(p->path), "%s/proxy.sock", f->dir);
	unlink(p->path);
	strcpy(addr.sun_path, p->path);
	p->target = target;
	p->cut = cut;
	p->relayed = 0;
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(
		bind(p->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(p->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
}

static void proxy_stop(struct proxy *p)
{
	pthread_join(p->thread, NULL);
	close(p->listen_fd);
	unlink(p->path);
}

static uint8_t *mem(struct uvfio_device *dev)
{
	return uvfio_region_memory(dev, RAM_REGION_INDEX);
}

static void fill(uint8_t *m, uint8_t seed)
{
	for (size_t i = 0; i < SIZE; i++)
		m[i] = (uint8_t)(seed + i * 7 + (i >> 12));
}

static bool all(const uint8_t *m, uint8_t seed)
{
	for (size_t i = 0; i < SIZE; i++)
		if (m[i] != (uint8_t)(seed + i * 7 + (i >> 12)))
			return false;
	return true;
}

static bool zero(const uint8_t *m)
{
	for (size_t i = 0; i < SIZE; i++)
		if (m[i])
			return false;
	return true;
}

/*
 * Stop-copy from @src to @dst as a VMM runs it, pre-copy first if asked:
 * 0, or the first error.
 */
static int migrate(struct uvfio_client *src, struct uvfio_client *dst,
		   bool precopy)
{
	static uint8_t buf[1 << 20];
	ssize_t n;
	int ret;

	ret = uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING);
	if (!ret && precopy) {
		ret = uvfio_client_mig_set_state(src,
						 UVFIO_DEVICE_STATE_PRE_COPY);
		while (!ret &&
		       (n = uvfio_client_mig_read(src, buf, sizeof(buf))) > 0)
			if (uvfio_client_mig_write(dst, buf, (size_t)n) != n)
				ret = -EIO;
		if (!ret && n < 0 && n != -ENOMSG)
			ret = (int)n;
	}
	if (!ret)
		ret = uvfio_client_mig_set_state(src,
						 UVFIO_DEVICE_STATE_STOP_COPY);
	while (!ret && (n = uvfio_client_mig_read(src, buf, sizeof(buf))) > 0)
		if (uvfio_client_mig_write(dst, buf, (size_t)n) != n)
			ret = -EIO;
	if (!ret && n < 0)
		ret = (int)n;
	if (!ret)
		ret = uvfio_client_mig_set_state(dst,
						 UVFIO_DEVICE_STATE_RUNNING);
	if (!ret)
		ret = uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP);
	return ret;
}

static struct uvfio_client *open_path(const char *path)
{
	struct uvfio_client_opts opts = { .timeout_ms = 5000 };
	struct uvfio_client *c = uvfio_client_open(path, &opts);

	assert_non_null(c);
	return c;
}

/* Cut side @side (0: source, 1: destination) after each message in turn. */
static void cut_every_message(struct fixture *f, int side, bool precopy)
{
	unsigned int cut;
	bool done = false;

	for (cut = 1; !done && cut < 200; cut++) {
		struct uvfio_client *c[2], *check[2];
		struct proxy p;
		int ret;

		fill(mem(f->dev[0]), (uint8_t)cut);
		fill(mem(f->dev[1]), 0xa5);
		proxy_start(&p, f, f->path[side], cut);
		c[side] = uvfio_client_open(p.path, NULL);
		c[!side] = open_path(f->path[!side]);
		ret = c[side] ? migrate(c[0], c[1], precopy) : -EPIPE;
		/* Ran through: no message past the last was needed. */
		done = !ret;

		uvfio_client_close(c[side]);
		uvfio_client_close(c[!side]);
		proxy_stop(&p);

		/* Accepted once the old connections are gone. */
		check[0] = open_path(f->path[0]);
		check[1] = open_path(f->path[1]);
		assert_true(all(mem(f->dev[0]), (uint8_t)cut));
		assert_int_equal(uvfio_migration_session(f->dev[0]), 0);
		assert_int_equal(uvfio_migration_session(f->dev[1]), 0);
		if (all(mem(f->dev[1]), (uint8_t)cut)) {
			assert_int_equal(uvfio_migration_state(f->dev[1]),
					 UVFIO_DEVICE_STATE_RUNNING);
		} else if (!zero(mem(f->dev[1])) &&
			   !all(mem(f->dev[1]), 0xa5)) {
			fail_msg("side %d, cut after %u: the destination holds "
				 "part of a stream",
				 side, cut);
		}
		if (done)
			assert_true(all(mem(f->dev[1]), (uint8_t)cut));
		/* Both serve again: a whole migration back the other way
		 * is not needed, one more forward is. */
		fill(mem(f->dev[1]), 0x5a);
		assert_int_equal(migrate(check[0], check[1], false), 0);
		assert_true(all(mem(f->dev[1]), (uint8_t)cut));
		assert_int_equal(uvfio_client_mig_set_state(
					 check[0], UVFIO_DEVICE_STATE_RUNNING),
				 0);
		uvfio_client_close(check[0]);
		uvfio_client_close(check[1]);
	}
	assert_true(done);
	/* Cuts happened at every message before one could run through:
	 * open, the state SETs, and each of at least four data transfers. */
	assert_true(cut > 8);
}

static void test_cut_source(void **state)
{
	cut_every_message(*state, 0, false);
}

static void test_cut_destination(void **state)
{
	cut_every_message(*state, 1, false);
}

static void test_cut_source_precopy(void **state)
{
	cut_every_message(*state, 0, true);
}

static void test_cut_destination_precopy(void **state)
{
	cut_every_message(*state, 1, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_source),
		cmocka_unit_test(test_cut_destination),
		cmocka_unit_test(test_cut_source_precopy),
		cmocka_unit_test(test_cut_destination_precopy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
