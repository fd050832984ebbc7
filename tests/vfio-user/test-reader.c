// SPDX-License-Identifier: MIT
/*
 * The message reader on its own, over a socketpair: messages parsed out of
 * the read-ahead buffer however the bytes arrive, each descriptor with the
 * message whose sendmsg() carried it, large payloads read past the buffer,
 * oversized ones dropped, and the same with read-ahead off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"
#include "vfio-user/msg.h"

#define MAX_PAYLOAD (4u << 20)

/* One message to send: its payload is @len bytes of pattern @id. */
struct msg {
	uint16_t id;
	uint32_t len;
	unsigned int nr_fds;
	int fds[VFU_MAX_FDS];
};

static uint8_t pattern(uint16_t id, size_t i)
{
	return (uint8_t)(id * 31 + i * 7 + (i >> 8));
}

static void fill_payload(uint8_t *p, const struct msg *m)
{
	for (size_t i = 0; i < m->len; i++)
		p[i] = pattern(m->id, i);
}

/* Send @m with one sendmsg() per @chunk bytes (0: all at once). */
static void send_msg(int sock, const struct msg *m, size_t chunk)
{
	size_t total = sizeof(struct vfu_header) + m->len;
	uint8_t *buf = malloc(total);
	struct vfu_header *hdr = (struct vfu_header *)(void *)buf;
	size_t done = 0;

	assert_non_null(buf);
	memset(hdr, 0, sizeof(*hdr));
	hdr->msg_id = m->id;
	hdr->command = VFU_CMD_REGION_WRITE;
	hdr->msg_size = (uint32_t)total;
	fill_payload(buf + sizeof(*hdr), m);
	while (done < total) {
		size_t n = chunk && total - done > chunk ? chunk : total - done;
		struct iovec iov = { .iov_base = buf + done, .iov_len = n };
		struct iovec *v = &iov;
		unsigned int cnt = 1;

		while (cnt) {
			ssize_t k = vfu_send_nb(sock, v, cnt,
						done ? NULL : m->fds,
						done ? 0 : m->nr_fds);

			assert_true(k >= 0);
			if (!k) {
				assert_int_equal(vfu_wait_fd(sock, POLLOUT, -1),
						 0);
				continue;
			}
			done += (size_t)k;
			vfu_iov_advance(&v, &cnt, (size_t)k);
		}
	}
	free(buf);
}

/* @got is a duplicate of @sent (the same open file). */
static void assert_same_file(int got, int sent)
{
	struct stat a, b;

	assert_int_equal(fstat(got, &a), 0);
	assert_int_equal(fstat(sent, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
}

/* Receive one message with @r and check it is @m, descriptors included. */
static void expect_msg(struct vfu_reader *r, struct vfu_rx *rx,
		       const struct msg *m)
{
	uint8_t *want = malloc(m->len + 1);

	assert_non_null(want);
	assert_int_equal(
		vfu_read_wait_until(r, rx, MAX_PAYLOAD, vfu_deadline(5000)), 1);
	assert_int_equal(rx->hdr.msg_id, m->id);
	assert_int_equal(rx->payload_len, m->len);
	assert_false(rx->discard);
	fill_payload(want, m);
	assert_memory_equal(rx->payload, want, m->len);
	assert_int_equal(rx->nr_fds, m->nr_fds);
	for (unsigned int i = 0; i < m->nr_fds; i++)
		assert_same_file(rx->fds[i], m->fds[i]);
	vfu_rx_reset(rx);
	free(want);
}

struct sender {
	int sock;
	const struct msg *msgs;
	unsigned int nr;
	size_t chunk;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	for (unsigned int i = 0; i < s->nr; i++)
		send_msg(s->sock, &s->msgs[i], s->chunk);
	return NULL;
}

/*
 * Send @msgs from a thread (so that large ones do not fill the socket)
 * and receive them with a reader of @ahead bytes.
 */
static void round_trip(const struct msg *msgs, unsigned int nr, size_t chunk,
		       size_t ahead)
{
	struct sender s = { .msgs = msgs, .nr = nr, .chunk = chunk };
	struct vfu_reader r;
	struct vfu_rx rx;
	pthread_t t;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.sock = sv[0];
	vfu_reader_init(&r, sv[1], ahead);
	vfu_rx_init(&rx);
	assert_int_equal(pthread_create(&t, NULL, sender_main, &s), 0);
	for (unsigned int i = 0; i < nr; i++)
		expect_msg(&r, &rx, &msgs[i]);
	pthread_join(t, NULL);
	close(sv[0]);
	/* Then the end of the stream, and nothing held. */
	assert_int_equal(vfu_read_wait_until(&r, &rx, MAX_PAYLOAD, -1),
			 -ECONNRESET);
	assert_int_equal(r.nr_fds, 0);
	vfu_rx_release(&rx);
	vfu_reader_release(&r);
	close(sv[1]);
}

/* Descriptors to attach: ends of pipes, distinct open files. */
static int pipes[2 * VFU_MAX_FDS];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < VFU_MAX_FDS; i++)
		assert_int_equal(pipe(&pipes[2 * i]), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2 * VFU_MAX_FDS; i++)
		close(pipes[i]);
	return 0;
}

static void attach(struct msg *m, unsigned int nr, unsigned int first)
{
	m->nr_fds = nr;
	for (unsigned int i = 0; i < nr; i++)
		m->fds[i] = pipes[(first + i) % (2 * VFU_MAX_FDS)];
}

/* Many small messages, descriptors on some: one read takes several. */
static void test_small_messages_and_fds(void **state)
{
	struct msg msgs[40];
	size_t aheads[] = { VFU_READ_AHEAD, 64, 0 };

	(void)state;
	memset(msgs, 0, sizeof(msgs));
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++) {
		msgs[i].id = (uint16_t)(i + 1);
		msgs[i].len = (i * 13) % 40;
		/* First, last, consecutive and isolated carriers. */
		if (i == 0 || i == 7 || i == 8 || i == 20 || i == 39)
			attach(&msgs[i], 1 + i % 3, i);
	}
	for (unsigned int a = 0; a < ARRAY_SIZE(aheads); a++) {
		round_trip(msgs, ARRAY_SIZE(msgs), 0, aheads[a]);
		/* The same bytes one at a time, and in odd pieces. */
		round_trip(msgs, ARRAY_SIZE(msgs), 1, aheads[a]);
		round_trip(msgs, ARRAY_SIZE(msgs), 7, aheads[a]);
	}
}

/*
 * Reads that do not depend on timing: everything is sent first.  The
 * first read stops after the 5 bytes that carry A's descriptors; the
 * second takes the rest of A and stops after B's first bytes, which bring
 * B's: A's must have gone to A by then.
 */
static void test_carriers_split_across_reads(void **state)
{
	struct msg a = { .id = 1, .len = 30 }, b = { .id = 2, .len = 8 };
	struct msg c = { .id = 3, .len = 1 };
	struct vfu_reader r;
	struct vfu_rx rx;
	int sv[2];

	(void)state;
	attach(&a, 2, 0);
	attach(&b, 3, 5);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vfu_reader_init(&r, sv[1], VFU_READ_AHEAD);
	vfu_rx_init(&rx);
	send_msg(sv[0], &a, 5);
	send_msg(sv[0], &b, 0);
	send_msg(sv[0], &c, 0);
	expect_msg(&r, &rx, &a);
	expect_msg(&r, &rx, &b);
	expect_msg(&r, &rx, &c);
	vfu_rx_release(&rx);
	vfu_reader_release(&r);
	close(sv[0]);
	close(sv[1]);
}

/* Payloads around and far above the buffer, with small ones between. */
static void test_large_messages(void **state)
{
	uint32_t lens[] = { 0,
			    VFU_READ_AHEAD / 2 - 17,
			    VFU_READ_AHEAD / 2,
			    VFU_READ_AHEAD - 16,
			    VFU_READ_AHEAD,
			    3,
			    1u << 20,
			    5,
			    3u << 20,
			    VFU_READ_AHEAD * 2 + 1 };
	struct msg msgs[ARRAY_SIZE(lens)];

	(void)state;
	memset(msgs, 0, sizeof(msgs));
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		msgs[i].id = (uint16_t)(100 + i);
		msgs[i].len = lens[i];
		if (i % 3 == 1)
			attach(&msgs[i], 2, i);
	}
	round_trip(msgs, ARRAY_SIZE(msgs), 0, VFU_READ_AHEAD);
	round_trip(msgs, ARRAY_SIZE(msgs), 4093, VFU_READ_AHEAD);
	round_trip(msgs, ARRAY_SIZE(msgs), 0, 0);
}

/* Random sizes, descriptors and pieces, against the reader's buffer. */
static void test_random_streams(void **state)
{
	struct msg msgs[200];

	(void)state;
	srand(7);
	for (int run = 0; run < 20; run++) {
		memset(msgs, 0, sizeof(msgs));
		for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++) {
			msgs[i].id = (uint16_t)i;
			msgs[i].len = rand() % 4 ? (uint32_t)(rand() % 64) :
						   (uint32_t)(rand() % 70000);
			if (rand() % 5 == 0)
				attach(&msgs[i],
				       1 + (unsigned int)rand() % VFU_MAX_FDS,
				       (unsigned int)rand());
		}
		round_trip(msgs, ARRAY_SIZE(msgs),
			   run % 2 ? (size_t)(1 + rand() % 300) : 0,
			   run % 4 == 3 ? 100 : VFU_READ_AHEAD);
	}
}

static void send_header(int sock, uint16_t id, uint32_t size)
{
	struct vfu_header hdr = { .msg_id = id, .msg_size = size };

	assert_int_equal(write(sock, &hdr, sizeof(hdr)), sizeof(hdr));
}

/* Over @max_payload: dropped, and the next message parses. */
static void test_oversized_dropped(void **state)
{
	struct msg small = { .id = 9, .len = 10 };
	uint8_t junk[3000] = { 0 };
	struct vfu_reader r;
	struct vfu_rx rx;
	int sv[2];

	(void)state;
	for (size_t ahead = 0; ahead <= VFU_READ_AHEAD;
	     ahead += VFU_READ_AHEAD) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		vfu_reader_init(&r, sv[1], ahead);
		vfu_rx_init(&rx);
		send_header(sv[0], 8, sizeof(struct vfu_header) + sizeof(junk));
		assert_int_equal(write(sv[0], junk, sizeof(junk)),
				 sizeof(junk));
		send_msg(sv[0], &small, 0);
		assert_int_equal(vfu_read_wait_until(&r, &rx, 100, -1), 1);
		assert_true(rx.discard);
		assert_int_equal(rx.hdr.msg_id, 8);
		vfu_rx_reset(&rx);
		expect_msg(&r, &rx, &small);
		vfu_rx_release(&rx);
		vfu_reader_release(&r);
		close(sv[0]);
		close(sv[1]);
	}
}

/* A size below the header cannot be framed. */
static void test_bad_size(void **state)
{
	struct vfu_reader r;
	struct vfu_rx rx;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vfu_reader_init(&r, sv[1], VFU_READ_AHEAD);
	vfu_rx_init(&rx);
	send_header(sv[0], 1, sizeof(struct vfu_header) - 1);
	assert_int_equal(vfu_read_wait_until(&r, &rx, MAX_PAYLOAD, -1),
			 -EBADMSG);
	vfu_rx_release(&rx);
	vfu_reader_release(&r);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Half a message, then nothing: the wait times out with the message
 * partial, and completes when the rest comes.  A stream that ends after a
 * read brought descriptors leaks none of them.
 */
static void test_partial_and_end(void **state)
{
	struct msg m = { .id = 3, .len = 100 };
	struct vfu_reader r;
	struct vfu_rx rx;
	int before = test_count_fds();
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vfu_reader_init(&r, sv[1], VFU_READ_AHEAD);
	vfu_rx_init(&rx);
	send_header(sv[0], 3, sizeof(struct vfu_header) + m.len);
	assert_int_equal(vfu_read_wait_until(&r, &rx, MAX_PAYLOAD,
					     vfu_deadline(50)),
			 -ETIMEDOUT);
	assert_true(vfu_rx_partial(&rx));
	assert_true(vfu_reader_drained(&r));
	{
		uint8_t p[100];

		fill_payload(p, &m);
		assert_int_equal(write(sv[0], p, sizeof(p)), sizeof(p));
	}
	assert_int_equal(vfu_read_wait_until(&r, &rx, MAX_PAYLOAD, -1), 1);
	assert_int_equal(rx.payload_len, 100);
	vfu_rx_reset(&rx);

	/* A carrier cut short by the end of the stream. */
	attach(&m, 4, 0);
	m.len = 50;
	send_msg(sv[0], &m, 0);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	/* After the short read, nothing is read until rearmed. */
	assert_true(vfu_reader_drained(&r));
	assert_int_equal(vfu_read_step(&r, &rx, 20), 0);
	assert_false(vfu_rx_partial(&rx));
	vfu_reader_rearm(&r);
	assert_int_equal(vfu_read_step(&r, &rx, 20), 1);
	assert_true(rx.discard);
	vfu_rx_reset(&rx);
	vfu_reader_rearm(&r);
	assert_int_equal(vfu_read_step(&r, &rx, MAX_PAYLOAD), -ECONNRESET);
	vfu_rx_release(&rx);
	vfu_reader_release(&r);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(test_count_fds(), before);
}

/* Descriptors past VFU_MAX_FDS are closed and the message says so. */
static void test_too_many_fds(void **state)
{
	int fds[VFU_MAX_FDS + 1];
	struct msg m = { .id = 1, .len = 4 };
	struct vfu_reader r;
	struct vfu_rx rx;
	int before = test_count_fds();
	int sv[2];

	(void)state;
	for (int i = 0; i <= VFU_MAX_FDS; i++)
		fds[i] = pipes[i];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vfu_reader_init(&r, sv[1], VFU_READ_AHEAD);
	vfu_rx_init(&rx);
	{
		struct vfu_header hdr = { .msg_id = 1, .msg_size = 20 };
		struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { fds, m.len } };
		char ctl[CMSG_SPACE(sizeof(fds))] = { 0 }; /* padding too */
		struct msghdr mh = { .msg_iov = iov,
				     .msg_iovlen = 2,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		assert_int_equal(sendmsg(sv[0], &mh, 0), 20);
	}
	assert_int_equal(vfu_read_wait_until(&r, &rx, MAX_PAYLOAD, -1), 1);
	assert_true(rx.fds_truncated);
	assert_true(rx.nr_fds <= VFU_MAX_FDS);
	vfu_rx_release(&rx);
	vfu_reader_release(&r);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(test_count_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_messages_and_fds),
		cmocka_unit_test(test_carriers_split_across_reads),
		cmocka_unit_test(test_large_messages),
		cmocka_unit_test(test_random_streams),
		cmocka_unit_test(test_oversized_dropped),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_partial_and_end),
		cmocka_unit_test(test_too_many_fds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
