/* SPDX-License-Identifier: MIT */
/*
 * Shared by the device suites (edu-suite.c, mtty-suite.c): TAP output,
 * region access and interrupts through the client library.  Only the
 * public client API and VFIO semantics, as the suites themselves, so
 * that they run against the kernel's devices as well as uvfio's.
 *
 * Helpers print what went wrong as TAP diagnostics and return non-zero;
 * tests then fail.
 */
#ifndef UVFIO_DEVICE_SUITE_H
#define UVFIO_DEVICE_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uvfio/client.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* KNOWN: a known gap, which TAP reports as an expected failure. */
enum result { PASS, FAIL, SKIP, KNOWN };

/* A TAP diagnostic line: "# " and the message. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			diag("line %d: %s", __LINE__, #cond); \
			diag(__VA_ARGS__);                    \
			return FAIL;                          \
		}                                             \
	} while (0)

#define TRY(expr)                    \
	do {                         \
		if (expr)            \
			return FAIL; \
	} while (0)

/* The TAP line of test @n; @why says why it was skipped or is a gap. */
void tap_result(unsigned int n, const char *name, enum result r,
		const char *why);

void sleep_1ms(void);

int region_rw(struct uvfio_client *c, uint32_t index, uint64_t off, void *buf,
	      size_t len, bool is_write);

/* ---- interrupts ---- */

/* The eventfd's count, consumed; 0 if it was not signalled. */
uint64_t ev_take(int fd);

/* Poll @fd up to @tries times, 1 ms apart: its count, 0 if none came. */
uint64_t ev_poll(int fd, int tries);

/* Nothing signalled (by the accesses that already returned). */
int ev_none(int fd, const char *what);

int set_irqs(struct uvfio_client *c, uint32_t index, uint32_t flags,
	     uint32_t count, int fd);
int bind_eventfd(struct uvfio_client *c, uint32_t index, int fd);
int irq_disable(struct uvfio_client *c, uint32_t index);
int intx_unmask(struct uvfio_client *c);

/* ---- setup and teardown ---- */

/*
 * Open @name, and an eventfd each for INTx and MSI; on failure print TAP's
 * "Bail out!" and return -1, leaving what was made to the caller's
 * teardown (msi_off_quietly(), close_eventfds()).
 */
int suite_open(const char *name, struct uvfio_client **c, int *intx_fd,
	       int *msi_fd);

/*
 * MSI off, without a word (a test may have left it off), before the
 * client is closed.
 */
void msi_off_quietly(struct uvfio_client *c);

/* Close the eventfds suite_open() made (-1: none). */
void close_eventfds(int intx_fd, int msi_fd);

#endif /* UVFIO_DEVICE_SUITE_H */
