// SPDX-License-Identifier: MIT
/*
 * uvfioctl receive, and migrate's remote destination (tcp:HOST:PORT).
 *
 * The sender runs migrate's flow unchanged; its destination writes the
 * stream into a TCP connection, in frames that tell the receiver what the
 * bytes are.  Every frame has an 8-byte header:
 *
 *   0  u8   type: 1 HELLO, 2 PRECOPY, 3 STOPCOPY, 4 END, 5 ABORT, 6 SYNC
 *   1  u8   flags, 0
 *   2  u16  reserved, 0
 *   4  u32  payload length, little-endian
 *
 * HELLO's payload is "uvfioctl-migrate/1"; PRECOPY and STOPCOPY carry
 * stream bytes (1 to 1 MiB); END and SYNC have none; ABORT carries the
 * sender's reason (at most 1 KiB of text).  The receiver answers HELLO,
 * SYNC, END and ABORT with one status byte (0, or the positive errno of
 * what failed), and sends one at once, then closes, when the device
 * refuses data.  The sender sends SYNC at the end of pre-copy, so that a
 * refused stream is known before the source stops.
 *
 * See docs/uvfioctl.1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "uvfioctl-mig.h"
#include "uvfioctl.h"

enum frame_type {
	FRAME_HELLO = 1,
	FRAME_PRECOPY = 2,
	FRAME_STOPCOPY = 3,
	FRAME_END = 4,
	FRAME_ABORT = 5,
	FRAME_SYNC = 6,
};

#define FRAME_HDR 8
#define FRAME_DATA_MAX (1u << 20)
#define FRAME_TEXT_MAX 1024u
#define HELLO "uvfioctl-migrate/1"
/* A connection that moves nothing for this long is given up. */
#define IDLE_TIMEOUT_S 60
#define CONNECT_TIMEOUT_MS 10000

/* ---- sockets ---- */

static int send_all(int sock, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(sock, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0, -ENODATA at a clean end of file before the first byte, or -errno. */
static int recv_all(int sock, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(sock, p + got, len - got, 0);

		if (n < 0 && errno == EINTR && !mig_interrupted)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (!n)
			return got ? -ECONNRESET : -ENODATA;
		got += (size_t)n;
	}
	return 0;
}

static int send_frame(int sock, enum frame_type type, const void *data,
		      size_t len)
{
	uint8_t hdr[FRAME_HDR] = { (uint8_t)type };
	int ret;

	for (int i = 0; i < 4; i++)
		hdr[4 + i] = (uint8_t)(len >> (8 * i));
	ret = send_all(sock, hdr, sizeof(hdr));
	if (!ret && len)
		ret = send_all(sock, data, len);
	return ret;
}

static void set_timeouts(int sock)
{
	struct timeval tv = { .tv_sec = IDLE_TIMEOUT_S };
	int one = 1;

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * "tcp:HOST:PORT", HOST a name, an IPv4 address or [IPv6]: split into
 * @host and @port (both in @buf).  -EINVAL if malformed.
 */
static int parse_tcp(const char *text, char *buf, size_t size, char **host,
		     char **port)
{
	char *colon, *h;

	if (strncmp(text, "tcp:", 4) || strlen(text + 4) >= size)
		return -EINVAL;
	strcpy(buf, text + 4);
	h = buf;
	if (*h == '[') {
		char *end = strchr(h, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		*end = '\0';
		h++;
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon || strchr(h, ':') != colon)
			return -EINVAL;
	}
	*colon = '\0';
	if (!*h || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535)
		return -EINVAL;
	*host = h;
	*port = colon + 1;
	return 0;
}

/* Connect with a bounded wait; the socket or -errno. */
static int connect_timeout(const struct addrinfo *ai)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int sock, err = 0, flags;

	sock = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		      ai->ai_protocol);
	if (sock < 0)
		return -errno;
	flags = fcntl(sock, F_GETFL);
	fcntl(sock, F_SETFL, flags | O_NONBLOCK);
	if (connect(sock, ai->ai_addr, ai->ai_addrlen) &&
	    errno != EINPROGRESS) {
		err = errno;
		goto fail;
	}
	p = (struct pollfd){ .fd = sock, .events = POLLOUT };
	do {
		err = poll(&p, 1, CONNECT_TIMEOUT_MS);
	} while (err < 0 && errno == EINTR && !mig_interrupted);
	if (err <= 0) {
		err = err ? errno : ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err)
		goto fail;
	fcntl(sock, F_SETFL, flags);
	return sock;
fail:
	close(sock);
	return -err;
}

/* ---- the sender: migrate SRC tcp:HOST:PORT ---- */

struct tcp_dest {
	struct dest d;
	int sock;
	bool broken;  /* the connection cannot carry another frame */
	bool refused; /* the receiver failed, reset its device, and closes */
};

/* One status byte from the receiver: 0 or its errno, or -errno. */
static int read_status(struct tcp_dest *t)
{
	uint8_t st;
	int ret = recv_all(t->sock, &st, 1);

	if (ret) {
		t->broken = true;
		return ret == -ENODATA ? -ECONNRESET : ret;
	}
	return st;
}

/* What the receiver said, if it said something already (it failed). */
static int early_status(struct tcp_dest *t)
{
	struct pollfd p = { .fd = t->sock, .events = POLLIN };

	int st;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	t->broken = true;
	st = read_status(t);
	return st ? st : EPROTO; /* 0 is no answer to data */
}

static void receiver_failed(struct tcp_dest *t, int st, const char *what,
			    struct outcome *o)
{
	t->broken = true;
	t->refused = st > 0;
	if (st < 0)
		outcome_fail(o, -st, "receiver %s: %s: the connection failed",
			     t->d.name, what);
	else
		outcome_fail(o, st,
			     "receiver %s: the destination failed %s (the "
			     "receiver's output says what failed)",
			     t->d.name, what);
}

static int tcp_begin(struct dest *d, struct outcome *o)
{
	struct tcp_dest *t = (struct tcp_dest *)d;
	int ret = send_frame(t->sock, FRAME_HELLO, HELLO, strlen(HELLO));

	if (ret) {
		t->broken = true;
		receiver_failed(t, ret, "sending HELLO", o);
		return -1;
	}
	d->touched = true;
	ret = read_status(t);
	if (ret) {
		receiver_failed(t, ret, "going to RESUMING", o);
		return -1;
	}
	return 0;
}

static int tcp_put(struct dest *d, const void *buf, size_t len, bool stop_copy,
		   uint64_t at, struct outcome *o)
{
	struct tcp_dest *t = (struct tcp_dest *)d;
	char what[96];
	int ret = early_status(t);

	/* A refusal arrives late: which bytes it was about, the receiver
	 * says. */
	snprintf(what, sizeof(what), "after %" PRIu64 " stream bytes", at);
	if (!ret) {
		ret = send_frame(t->sock,
				 stop_copy ? FRAME_STOPCOPY : FRAME_PRECOPY,
				 buf, len);
		if (ret) {
			/* A receiver that refused the data said why. */
			t->broken = true;
			if (ret == -EPIPE || ret == -ECONNRESET) {
				int st = read_status(t);

				if (st > 0)
					ret = st;
			}
		}
	}
	if (ret) {
		t->broken = true;
		receiver_failed(t, ret, what, o);
		return -1;
	}
	return 0;
}

static int tcp_sync(struct dest *d, struct outcome *o)
{
	struct tcp_dest *t = (struct tcp_dest *)d;
	int ret = send_frame(t->sock, FRAME_SYNC, NULL, 0);

	if (ret)
		t->broken = true;
	if (!ret)
		ret = read_status(t);
	if (ret) {
		receiver_failed(t, ret, "by the end of pre-copy", o);
		return -1;
	}
	return 0;
}

static int tcp_commit(struct dest *d, struct outcome *o)
{
	struct tcp_dest *t = (struct tcp_dest *)d;
	int ret = send_frame(t->sock, FRAME_END, NULL, 0);

	if (ret)
		t->broken = true;
	if (!ret)
		ret = read_status(t);
	if (ret) {
		receiver_failed(t, ret, "by the end of the stream", o);
		return -1;
	}
	d->touched = false;
	return 0;
}

static void tcp_abort(struct dest *d, struct outcome *o)
{
	struct tcp_dest *t = (struct tcp_dest *)d;
	char reason[FRAME_TEXT_MAX];
	int ret;

	if (!d->touched)
		return;
	if (t->refused) {
		outcome_note(o, "receiver %s reset the destination", d->name);
		return;
	}
	if (t->broken) {
		outcome_note(o,
			     "receiver %s: the connection is gone; the "
			     "receiver resets its device",
			     d->name);
		return;
	}
	snprintf(reason, sizeof(reason), "%s: %s", o->failed, strerror(o->err));
	ret = send_frame(t->sock, FRAME_ABORT, reason, strlen(reason));
	if (!ret)
		ret = read_status(t);
	if (ret)
		outcome_note(o, "receiver %s: resetting the destination: %s",
			     d->name, strerror(ret < 0 ? -ret : ret));
	else
		outcome_note(o, "receiver %s reset the destination", d->name);
}

static void tcp_close(struct dest *d)
{
	struct tcp_dest *t = (struct tcp_dest *)d;

	close(t->sock);
	free(t);
}

static const struct dest_ops tcp_ops = {
	.begin = tcp_begin,
	.put = tcp_put,
	.sync = tcp_sync,
	.commit = tcp_commit,
	.abort = tcp_abort,
	.close = tcp_close,
};

struct dest *tcp_dest_open(const char *name, struct outcome *o)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char buf[300], *host, *port;
	struct tcp_dest *t;
	int sock = -ECONNREFUSED, ret;

	/* migrate's parser checked the syntax already. */
	if (parse_tcp(name, buf, sizeof(buf), &host, &port)) {
		outcome_fail(o, EINVAL, "bad destination '%s'", name);
		return NULL;
	}
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		outcome_fail(o, ret == EAI_SYSTEM ? errno : EHOSTUNREACH,
			     "receiver %s: %s", name, gai_strerror(ret));
		return NULL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		sock = connect_timeout(ai);
		if (sock >= 0)
			break;
	}
	freeaddrinfo(res);
	if (sock < 0) {
		outcome_fail(o, -sock, "receiver %s: connecting", name);
		return NULL;
	}
	set_timeouts(sock);
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(sock);
		outcome_fail(o, ENOMEM, "allocating");
		return NULL;
	}
	t->d.ops = &tcp_ops;
	t->d.name = name;
	t->sock = sock;
	return &t->d;
}

/* ---- the receiver ---- */

struct receiver {
	struct mig_dev dev;
	const char *listen;
	int lsock, sock;
	char peer[INET6_ADDRSTRLEN + 16];
	uint64_t bytes[2]; /* pre-copy, stop-copy */
	bool resuming;	   /* the device went (or tried to go) to RESUMING */
	bool last_sent;	   /* the sender has its last status byte */
	uint8_t *buf;
	struct progress p;
	struct outcome o;
};

static int listen_on(struct receiver *r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE },
			*res, *ai;
	char buf[300], *host, *port, h[INET6_ADDRSTRLEN], s[8];
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int one = 1, ret, err = EADDRNOTAVAIL;

	parse_tcp(r->listen, buf, sizeof(buf), &host, &port);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		outcome_fail(&r->o, ret == EAI_SYSTEM ? errno : EADDRNOTAVAIL,
			     "%s: %s", r->listen, gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		r->lsock = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				  ai->ai_protocol);
		if (r->lsock < 0) {
			err = errno;
			continue;
		}
		setsockopt(r->lsock, SOL_SOCKET, SO_REUSEADDR, &one,
			   sizeof(one));
		if (!bind(r->lsock, ai->ai_addr, ai->ai_addrlen) &&
		    !listen(r->lsock, 1))
			break;
		err = errno;
		close(r->lsock);
		r->lsock = -1;
	}
	freeaddrinfo(res);
	if (r->lsock < 0) {
		outcome_fail(&r->o, err, "listening on %s", r->listen);
		return -1;
	}
	/* The port actually bound (PORT may be 0), for scripts. */
	if (!getsockname(r->lsock, (struct sockaddr *)&sa, &len) &&
	    !getnameinfo((struct sockaddr *)&sa, len, h, sizeof(h), s,
			 sizeof(s), NI_NUMERICHOST | NI_NUMERICSERV))
		printf(strchr(h, ':') ? "listening on tcp:[%s]:%s\n" :
					"listening on tcp:%s:%s\n",
		       h, s);
	fflush(stdout);
	return 0;
}

static int accept_one(struct receiver *r)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char h[INET6_ADDRSTRLEN], s[8];

	do {
		r->sock = accept4(r->lsock, (struct sockaddr *)&sa, &len,
				  SOCK_CLOEXEC);
	} while (r->sock < 0 && errno == EINTR && !mig_interrupted);
	if (r->sock < 0) {
		outcome_fail(&r->o, errno, "accepting on %s", r->listen);
		return -1;
	}
	close(r->lsock); /* one connection only */
	r->lsock = -1;
	set_timeouts(r->sock);
	if (getnameinfo((struct sockaddr *)&sa, len, h, sizeof(h), s, sizeof(s),
			NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(r->peer, sizeof(r->peer), "the sender");
	else
		snprintf(r->peer, sizeof(r->peer), "%s port %s", h, s);
	return 0;
}

static void send_status(struct receiver *r, int err)
{
	uint8_t st = err > 0 && err < 256 ? (uint8_t)err : (err ? EIO : 0);

	send_all(r->sock, &st, 1);
	r->last_sent = st != 0;
}

/*
 * After a failure the sender may still be sending: closing with its data
 * unread would reset the connection and could lose the status byte.  So
 * stop sending, and read until the sender closes (bounded).
 */
static void linger_for_sender(struct receiver *r)
{
	double end = now_ms() + 5000;
	struct pollfd p = { .fd = r->sock, .events = POLLIN };

	shutdown(r->sock, SHUT_WR);
	while (now_ms() < end) {
		int ret = poll(&p, 1, (int)(end - now_ms()) + 1);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0 ||
		    recv(r->sock, r->buf, FRAME_DATA_MAX, MSG_DONTWAIT) <= 0)
			break;
	}
}

/* One frame header: its type and length; -1 with the reason in r->o. */
static int recv_header(struct receiver *r, uint8_t *type, uint32_t *len)
{
	uint8_t hdr[FRAME_HDR];
	uint64_t at = r->bytes[0] + r->bytes[1];
	int ret = recv_all(r->sock, hdr, sizeof(hdr));

	if (ret == -ENODATA) {
		outcome_fail(&r->o, ECONNRESET,
			     "%s closed the connection after %" PRIu64
			     " stream bytes, before the end of the stream",
			     r->peer, at);
		return -1;
	}
	if (ret) {
		outcome_fail(&r->o, -ret, "receiving from %s", r->peer);
		return -1;
	}
	*type = hdr[0];
	*len = 0;
	for (int i = 0; i < 4; i++)
		*len |= (uint32_t)hdr[4 + i] << (8 * i);
	if (hdr[1] || hdr[2] || hdr[3] || *type < FRAME_HELLO ||
	    *type > FRAME_SYNC ||
	    ((*type == FRAME_PRECOPY || *type == FRAME_STOPCOPY) &&
	     (!*len || *len > FRAME_DATA_MAX)) ||
	    ((*type == FRAME_END || *type == FRAME_SYNC) && *len) ||
	    ((*type == FRAME_HELLO || *type == FRAME_ABORT) &&
	     *len > FRAME_TEXT_MAX)) {
		outcome_fail(
			&r->o, EPROTO,
			"%s sent a bad frame header (type %u, flags 0x%02x, "
			"reserved 0x%02x%02x, length %" PRIu32 ")",
			r->peer, hdr[0], hdr[1], hdr[3], hdr[2], *len);
		return -1;
	}
	ret = *len ? recv_all(r->sock, r->buf, *len) : 0;
	if (ret) {
		outcome_fail(&r->o, ret == -ENODATA ? ECONNRESET : -ret,
			     "receiving a frame of %" PRIu32 " bytes from %s",
			     *len, r->peer);
		return -1;
	}
	return 0;
}

static int receive_stream(struct receiver *r)
{
	uint8_t type;
	uint32_t len;
	ssize_t n;

	if (recv_header(r, &type, &len))
		return -1;
	if (type != FRAME_HELLO || len != strlen(HELLO) ||
	    memcmp(r->buf, HELLO, len)) {
		outcome_fail(
			&r->o, EPROTO,
			"%s is not a uvfioctl migrate (frame type %u of %" PRIu32
			" bytes, expected HELLO \"" HELLO "\")",
			r->peer, type, len);
		return -1;
	}
	r->resuming = true;
	if (mig_dev_set(&r->dev, UVFIO_DEVICE_STATE_RESUMING, &r->o)) {
		send_status(r, r->o.err);
		return -1;
	}
	send_status(r, 0);
	for (;;) {
		if (mig_interrupted) {
			outcome_fail(&r->o, EINTR, "receiving interrupted");
			send_status(r, EINTR);
			return -1;
		}
		if (recv_header(r, &type, &len))
			return -1;
		if (type == FRAME_END)
			break;
		if (type == FRAME_SYNC) {
			send_status(r, 0); /* every write before it succeeded */
			continue;
		}
		if (type == FRAME_ABORT) {
			outcome_fail(&r->o, ECANCELED,
				     "%s gave up the migration: %.*s", r->peer,
				     (int)len, (const char *)r->buf);
			mig_dev_reset(&r->dev, &r->o);
			r->resuming = false;
			send_status(r, 0);
			r->last_sent = true;
			return -1;
		}
		if (type == FRAME_HELLO) {
			outcome_fail(&r->o, EPROTO, "%s sent HELLO twice",
				     r->peer);
			send_status(r, EPROTO);
			return -1;
		}
		n = uvfio_client_mig_write(r->dev.c, r->buf, len);
		if (n < 0) {
			uint64_t at = r->bytes[0] + r->bytes[1];

			outcome_fail(&r->o, (int)-n,
				     "%s refused the stream in bytes %" PRIu64
				     "-%" PRIu64 " (its server's log says why)",
				     r->dev.name, at, at + len - 1);
			send_status(r, (int)-n);
			return -1;
		}
		r->bytes[type == FRAME_STOPCOPY] += len;
		progress_show(&r->p,
			      type == FRAME_STOPCOPY ? "stop-copy" : "pre-copy",
			      r->bytes[type == FRAME_STOPCOPY], 0,
			      r->bytes[0] + r->bytes[1], false);
	}
	progress_done(&r->p);
	if (mig_dev_set(&r->dev, UVFIO_DEVICE_STATE_RUNNING, &r->o)) {
		outcome_note(&r->o,
			     "the stream of %" PRIu64
			     " bytes is incomplete or does not fit the device "
			     "(its server's log says why)",
			     r->bytes[0] + r->bytes[1]);
		send_status(r, r->o.err);
		return -1;
	}
	r->resuming = false;
	send_status(r, 0);
	return 0;
}

static int run_receive(const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct receiver r = { .lsock = -1, .sock = -1 };
	char buf[300], *host, *port, a[32], b[32], c[32];
	double t0;
	int opt;

	while ((opt = command_getopt(cmd, argc, argv, ":l:h", longopts)) !=
	       -1) {
		if (opt == '?')
			return EXIT_USAGE;
		r.listen = optarg;
	}
	if (one_dev_operand(cmd, argc, argv))
		return EXIT_USAGE;
	if (!r.listen)
		return usage_error(cmd, "missing --listen tcp:ADDR:PORT");
	if (parse_tcp(r.listen, buf, sizeof(buf), &host, &port))
		return usage_error(
			cmd,
			"bad address '%s' (tcp:ADDR:PORT, tcp:[IPv6]:PORT)",
			r.listen);
	mig_catch_signals();
	progress_init(&r.p);
	r.buf = malloc(FRAME_DATA_MAX);
	if (!r.buf)
		return fail(cmd, "%s", strerror(ENOMEM));
	/* The device first: nothing listens for a device that cannot load. */
	if (mig_dev_open(&r.dev, "", argv[optind], &r.o))
		goto out;
	if (r.dev.state != UVFIO_DEVICE_STATE_RUNNING &&
	    r.dev.state != UVFIO_DEVICE_STATE_STOP) {
		outcome_fail(&r.o, EBUSY,
			     "%s is in %s; receive needs it RUNNING or STOP",
			     r.dev.name, uvfio_mig_state_name(r.dev.state));
		goto out;
	}
	if (listen_on(&r) || accept_one(&r))
		goto out;
	t0 = now_ms();
	if (receive_stream(&r))
		goto out;
	printf("%s: received %s (%" PRIu64 " bytes: %s pre-copy, %s stop-copy) "
	       "from %s in %.1f ms; the device is RUNNING\n",
	       r.dev.name, human_size(r.bytes[0] + r.bytes[1], a),
	       r.bytes[0] + r.bytes[1], human_size(r.bytes[0], b),
	       human_size(r.bytes[1], c), r.peer, now_ms() - t0);
out:
	progress_done(&r.p);
	if (r.o.failed[0] && r.resuming)
		mig_dev_reset(&r.dev, &r.o);
	if (r.sock >= 0 && r.o.failed[0]) {
		/* A sender still sending learns why it should stop. */
		if (!r.last_sent)
			send_status(&r, r.o.err);
		linger_for_sender(&r);
	}
	if (r.sock >= 0)
		close(r.sock);
	if (r.lsock >= 0)
		close(r.lsock);
	mig_dev_close(&r.dev);
	free(r.buf);
	return r.o.failed[0] ? outcome_report(cmd, &r.o) : EXIT_OK;
}

const struct command cmd_receive = {
	.name = "receive",
	.synopsis = "DEV --listen tcp:ADDR:PORT",
	.summary = "take one migration from the network into the device",
	.help = "The destination side of `uvfioctl migrate SRC tcp:HOST:PORT`\n"
		"on another host.  Checks that DEV (RUNNING or STOP) supports\n"
		"migration, listens on ADDR:PORT (prints \"listening on\n"
		"tcp:ADDR:PORT\" with the port bound, so PORT may be 0), accepts\n"
		"one connection, and applies the stream as `load` does: DEV goes\n"
		"to RESUMING, takes the stream, and goes to RUNNING at its end.\n"
		"The sender learns the outcome from a one-byte status.  If the\n"
		"stream is refused, the sender gives up, or the connection ends\n"
		"early, DEV is reset and the status is 1.  The frames are\n"
		"described in uvfioctl(1).  Nothing authenticates or encrypts\n"
		"the connection: use it on a network you trust.\n"
		"\n"
		"Options:\n"
		"  -l, --listen tcp:ADDR:PORT\n"
		"                     where to listen: an IPv4 address, [IPv6],\n"
		"                     or a name\n",
	.run = run_receive,
};

/* Checked before migrate opens anything. */
bool tcp_name_ok(const char *name)
{
	char buf[300], *host, *port;

	return !parse_tcp(name, buf, sizeof(buf), &host, &port);
}
