// SPDX-License-Identifier: MIT
/*
 * The server's own lifecycle: start after stop, a device added twice, and
 * a start that fails half way (pthread_create is interposed here to fail
 * on demand).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "test-util.h"
#include "raw-client.h"

/* Which pthread_create call from now on fails (1 = the next); 0: none. */
static int fail_create_in;

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *,
			   void *(*)(void *), void *);

	if (!real) {
		void *sym = dlsym(RTLD_NEXT, "pthread_create");

		assert_non_null(sym);
		memcpy(&real, &sym, sizeof(real));
	}
	if (fail_create_in && !--fail_create_in)
		return EAGAIN;
	return real(thread, attr, fn, arg);
}

static int setup(void **state)
{
	*state = testdev_pair_new("srv", UVFIO_LOG_ERR);
	return 0;
}

static int teardown(void **state)
{
	testdev_pair_free(*state);
	return 0;
}

static void sock_path(struct testdev_pair *f, const char *name, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s/%s.sock", f->dir, name);
}

/* The device at @path answers a client. */
static void assert_serves(const char *path)
{
	struct vfu_device_info req = { .argsz = sizeof(req) };
	struct vfu_rx rx;
	int s = raw_connect(path);

	vfu_rx_init(&rx);
	raw_send(s, 1, VFU_CMD_VERSION, 0, "\0\0\0", 4, NULL, 0);
	assert_int_equal(raw_recv(s, &rx, 2000), 1);
	assert_false(rx.hdr.flags & VFU_FLAGS_ERROR);
	assert_int_equal(raw_call(s, 2, VFU_CMD_DEVICE_GET_INFO, &req,
				  sizeof(req), NULL, 0, &rx),
			 0);
	vfu_rx_release(&rx);
	close(s);
}

static void test_restart_after_stop(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_server *srv =
		uvfio_server_new(&(struct uvfio_server_opts){ .threads = 2 });
	char path[128];

	assert_non_null(srv);
	for (int round = 0; round < 3; round++) {
		char name[16];

		snprintf(name, sizeof(name), "round%d", round);
		sock_path(f, name, path, sizeof(path));
		assert_int_equal(uvfio_server_add_device(srv, f->dev[0], path),
				 0);
		assert_int_equal(uvfio_server_start(srv), 0);
		assert_serves(path);
		uvfio_server_stop(srv);
		assert_int_equal(access(path, F_OK), -1);
	}
	uvfio_server_destroy(srv);
}

static void test_device_added_twice(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_server *srv = uvfio_server_new(NULL);
	char a[128], b[128];

	sock_path(f, "a", a, sizeof(a));
	sock_path(f, "b", b, sizeof(b));
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], a), 0);
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], b), -EBUSY);
	assert_int_equal(access(b, F_OK), -1);
	assert_int_equal(uvfio_server_start(srv), 0);
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], b), -EBUSY);
	assert_int_equal(uvfio_server_add_device(srv, f->dev[1], b), 0);
	assert_serves(a);
	assert_serves(b);
	uvfio_server_destroy(srv);
}

/*
 * A start that cannot create every worker undoes itself: no thread left
 * running, the devices still added, and a later start works.
 */
static void test_start_failure_undone(void **state)
{
	struct testdev_pair *f = *state;
	int fds = test_count_fds(), threads = test_count_threads();
	struct uvfio_server *srv =
		uvfio_server_new(&(struct uvfio_server_opts){ .threads = 3 });
	char path[2][128];

	sock_path(f, "fail0", path[0], sizeof(path[0]));
	sock_path(f, "fail1", path[1], sizeof(path[1]));
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			uvfio_server_add_device(srv, f->dev[i], path[i]), 0);
	for (int fail = 1; fail <= 3; fail++) {
		fail_create_in = fail;
		assert_int_equal(uvfio_server_start(srv), -EAGAIN);
		fail_create_in = 0;
		assert_int_equal(test_count_threads(), threads);
	}
	assert_int_equal(uvfio_server_start(srv), 0);
	assert_int_equal(test_count_threads(), threads + 3);
	for (int i = 0; i < 2; i++)
		assert_serves(path[i]);
	uvfio_server_destroy(srv);
	assert_int_equal(test_count_threads(), threads);
	assert_int_equal(test_count_fds(), fds);
}

/* The socket's mode and owner, after add_device. */
static void socket_stat(struct testdev_pair *f, const char *name,
			const struct uvfio_server_opts *opts, struct stat *st)
{
	struct uvfio_server *srv = uvfio_server_new(opts);
	char path[128];

	sock_path(f, name, path, sizeof(path));
	assert_non_null(srv);
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], path), 0);
	assert_int_equal(lstat(path, st), 0);
	assert_true(S_ISSOCK(st->st_mode));
	uvfio_server_destroy(srv);
}

/*
 * Sockets are 0600 and ours unless asked otherwise; asked, they have the
 * mode and owner before they accept connections.  A change of owner we
 * may not make fails the device's addition and leaves no socket.
 */
static void test_socket_mode_and_owner(void **state)
{
	struct testdev_pair *f = *state;
	/* root may give a socket to anyone; others only to a group of theirs. */
	uid_t uid = geteuid() ? geteuid() : 4242;
	gid_t gid = geteuid() ? getegid() : 4343;
	struct uvfio_server_opts opts = { .socket_mode = 0660,
					  .socket_chown = true,
					  .socket_uid = uid,
					  .socket_gid = gid };
	struct uvfio_server *srv;
	struct stat st;
	char path[128];

	socket_stat(f, "default", NULL, &st);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	socket_stat(f, "shared", &opts, &st);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	opts.socket_uid = (uid_t)-1; /* the group alone */
	socket_stat(f, "group", &opts, &st);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, gid);
	if (!geteuid())
		return;
	opts.socket_uid = 0; /* not ours to give */
	srv = uvfio_server_new(&opts);
	sock_path(f, "refused", path, sizeof(path));
	assert_int_equal(uvfio_server_add_device(srv, f->dev[0], path), -EPERM);
	assert_int_equal(access(path, F_OK), -1);
	uvfio_server_destroy(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_after_stop),
		cmocka_unit_test(test_device_added_twice),
		cmocka_unit_test(test_start_failure_undone),
		cmocka_unit_test(test_socket_mode_and_owner),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
