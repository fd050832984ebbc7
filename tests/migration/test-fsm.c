// SPDX-License-Identifier: MIT
/*
 * The migration path finder against the kernel: every (from, to) pair of
 * the 8x8 state table, for devices with each subset of {P2P, PRE_COPY}.
 *
 * The expected paths are written out by hand from the kernel's rules (the
 * table of vfio_mig_get_next_state and its comment in vfio_main.c, spec
 * digest A.9.3/A.9.4), not computed with the same table: a wrong cell in
 * lib/migration/fsm.c cannot hide behind a copy of itself.
 */
#include <errno.h>
#include <string.h>

#include <uvfio/migration.h>

#include "test-util.h"

#define S UVFIO_DEVICE_STATE_STOP
#define R UVFIO_DEVICE_STATE_RUNNING
#define SC UVFIO_DEVICE_STATE_STOP_COPY
#define RS UVFIO_DEVICE_STATE_RESUMING
#define RP UVFIO_DEVICE_STATE_RUNNING_P2P
#define PC UVFIO_DEVICE_STATE_PRE_COPY
#define PCP UVFIO_DEVICE_STATE_PRE_COPY_P2P
#define E UVFIO_DEVICE_STATE_ERROR
#define X 99 /* end of a path */
/* A refused transition: a path that starts with -1. */
#define NONE       \
	{          \
		-1 \
	}

#define BASE UVFIO_MIGRATION_STOP_COPY
#define P2P UVFIO_MIGRATION_P2P
#define PRE UVFIO_MIGRATION_PRE_COPY

/* A path lists the states after @from, ending at @to; NONE: -EINVAL. */
struct expect {
	int from, to;
	int path[6];
};

static const char *name(int s)
{
	static const char *const names[] = { "ERROR",	 "STOP",
					     "RUNNING",	 "STOP_COPY",
					     "RESUMING", "RUNNING_P2P",
					     "PRE_COPY", "PRE_COPY_P2P" };

	return s >= 0 && s < 8 ? names[s] : "?";
}

static bool supported(uint64_t flags, int s)
{
	if (s == E)
		return false;
	if ((s == RP || s == PCP) && !(flags & P2P))
		return false;
	if ((s == PC || s == PCP) && !(flags & PRE))
		return false;
	return true;
}

static void check(uint64_t flags, const struct expect *e)
{
	int cur = e->from;
	int i = 0;

	for (;;) {
		enum uvfio_device_mig_state next;
		int ret = uvfio_mig_next_state(flags, cur, e->to, &next);
		bool refused = e->path[0] == -1;

		if (refused) {
			if (ret != -EINVAL)
				fail_msg(
					"flags %#llx %s -> %s: want -EINVAL, got %d (next %s)",
					(unsigned long long)flags,
					name(e->from), name(e->to), ret,
					name(next));
			return;
		}
		if (cur == e->to) {
			assert_int_equal(e->path[i], X);
			return;
		}
		if (ret)
			fail_msg("flags %#llx %s -> %s: refused at %s",
				 (unsigned long long)flags, name(e->from),
				 name(e->to), name(cur));
		if ((int)next != e->path[i])
			fail_msg("flags %#llx %s -> %s: step %d is %s, want %s",
				 (unsigned long long)flags, name(e->from),
				 name(e->to), i, name(next), name(e->path[i]));
		assert_true(supported(flags, next));
		cur = next;
		i++;
	}
}

/* Every pair, for one feature set, from the table of expectations. */
static void check_all(uint64_t flags, const struct expect *table, size_t n)
{
	int seen[8][8] = { 0 };

	for (size_t i = 0; i < n; i++) {
		check(flags, &table[i]);
		seen[table[i].from][table[i].to] = 1;
	}
	/* Pairs not listed involve a state the device lacks, or ERROR. */
	for (int from = 0; from < 8; from++)
		for (int to = 0; to < 8; to++) {
			struct expect refused = { from, to, NONE };

			if (seen[from][to])
				continue;
			if (supported(flags, from) && supported(flags, to))
				fail_msg(
					"flags %#llx: %s -> %s has no expectation",
					(unsigned long long)flags, name(from),
					name(to));
			check(flags, &refused);
		}
}

/* STOP_COPY only: STOP, RUNNING, STOP_COPY, RESUMING. */
static const struct expect base[] = {
	{ S, S, { X } },	  { S, R, { R, X } },
	{ S, SC, { SC, X } },	  { S, RS, { RS, X } },
	{ R, S, { S, X } },	  { R, R, { X } },
	{ R, SC, { S, SC, X } },  { R, RS, { S, RS, X } },
	{ SC, S, { S, X } },	  { SC, R, { S, R, X } },
	{ SC, SC, { X } },	  { SC, RS, { S, RS, X } },
	{ RS, S, { S, X } },	  { RS, R, { S, R, X } },
	{ RS, SC, { S, SC, X } }, { RS, RS, { X } },
};

/* + P2P: RUNNING_P2P sits between RUNNING and STOP. */
static const struct expect p2p[] = {
	{ S, S, { X } },
	{ S, R, { RP, R, X } },
	{ S, SC, { SC, X } },
	{ S, RS, { RS, X } },
	{ S, RP, { RP, X } },
	{ R, S, { RP, S, X } },
	{ R, R, { X } },
	{ R, SC, { RP, S, SC, X } },
	{ R, RS, { RP, S, RS, X } },
	{ R, RP, { RP, X } },
	{ SC, S, { S, X } },
	{ SC, R, { S, RP, R, X } },
	{ SC, SC, { X } },
	{ SC, RS, { S, RS, X } },
	{ SC, RP, { S, RP, X } },
	{ RS, S, { S, X } },
	{ RS, R, { S, RP, R, X } },
	{ RS, SC, { S, SC, X } },
	{ RS, RS, { X } },
	{ RS, RP, { S, RP, X } },
	{ RP, S, { S, X } },
	{ RP, R, { R, X } },
	{ RP, SC, { S, SC, X } },
	{ RP, RS, { S, RS, X } },
	{ RP, RP, { X } },
};

/* + PRE_COPY (no P2P): PRE_COPY hangs off RUNNING, leads to STOP_COPY. */
static const struct expect pre[] = {
	{ S, S, { X } },
	{ S, R, { R, X } },
	{ S, SC, { SC, X } },
	{ S, RS, { RS, X } },
	{ S, PC, { R, PC, X } },
	{ R, S, { S, X } },
	{ R, R, { X } },
	{ R, SC, { S, SC, X } },
	{ R, RS, { S, RS, X } },
	{ R, PC, { PC, X } },
	{ SC, S, { S, X } },
	{ SC, R, { S, R, X } },
	{ SC, SC, { X } },
	{ SC, RS, { S, RS, X } },
	{ SC, PC, NONE }, /* never back into pre-copy */
	{ RS, S, { S, X } },
	{ RS, R, { S, R, X } },
	{ RS, SC, { S, SC, X } },
	{ RS, RS, { X } },
	{ RS, PC, { S, R, PC, X } },
	{ PC, S, { R, S, X } },
	{ PC, R, { R, X } },
	{ PC, SC, { SC, X } }, /* the one direct saving-to-saving arc */
	{ PC, RS, { R, S, RS, X } },
	{ PC, PC, { X } },
};

/* Everything. */
static const struct expect all[] = {
	{ S, S, { X } },
	{ S, R, { RP, R, X } },
	{ S, SC, { SC, X } },
	{ S, RS, { RS, X } },
	{ S, RP, { RP, X } },
	{ S, PC, { RP, R, PC, X } },
	{ S, PCP, { RP, PCP, X } },
	{ R, S, { RP, S, X } },
	{ R, R, { X } },
	{ R, SC, { RP, S, SC, X } },
	{ R, RS, { RP, S, RS, X } },
	{ R, RP, { RP, X } },
	{ R, PC, { PC, X } },
	{ R, PCP, { RP, PCP, X } },
	{ SC, S, { S, X } },
	{ SC, R, { S, RP, R, X } },
	{ SC, SC, { X } },
	{ SC, RS, { S, RS, X } },
	{ SC, RP, { S, RP, X } },
	{ SC, PC, NONE },
	{ SC, PCP, NONE },
	{ RS, S, { S, X } },
	{ RS, R, { S, RP, R, X } },
	{ RS, SC, { S, SC, X } },
	{ RS, RS, { X } },
	{ RS, RP, { S, RP, X } },
	{ RS, PC, { S, RP, R, PC, X } },
	{ RS, PCP, { S, RP, PCP, X } },
	{ RP, S, { S, X } },
	{ RP, R, { R, X } },
	{ RP, SC, { S, SC, X } },
	{ RP, RS, { S, RS, X } },
	{ RP, RP, { X } },
	{ RP, PC, { R, PC, X } },
	{ RP, PCP, { PCP, X } },
	{ PC, S, { R, RP, S, X } },
	{ PC, R, { R, X } },
	{ PC, SC, { PCP, SC, X } },
	{ PC, RS, { R, RP, S, RS, X } },
	{ PC, RP, { R, RP, X } },
	{ PC, PC, { X } },
	{ PC, PCP, { PCP, X } },
	{ PCP, S, { RP, S, X } },
	{ PCP, R, { RP, R, X } },
	{ PCP, SC, { SC, X } },
	{ PCP, RS, { RP, S, RS, X } },
	{ PCP, RP, { RP, X } },
	{ PCP, PC, { PC, X } },
	{ PCP, PCP, { X } },
};

static void test_stop_copy_only(void **state)
{
	(void)state;
	check_all(BASE, base, ARRAY_SIZE(base));
}

static void test_p2p(void **state)
{
	(void)state;
	check_all(BASE | P2P, p2p, ARRAY_SIZE(p2p));
}

static void test_pre_copy(void **state)
{
	(void)state;
	check_all(BASE | PRE, pre, ARRAY_SIZE(pre));
}

static void test_all_features(void **state)
{
	(void)state;
	check_all(BASE | P2P | PRE, all, ARRAY_SIZE(all));
}

static void test_bad_arguments(void **state)
{
	enum uvfio_device_mig_state next;

	(void)state;
	/* ERROR is never a target, and never a starting point. */
	assert_int_equal(uvfio_mig_next_state(BASE, R, E, &next), -EINVAL);
	assert_int_equal(uvfio_mig_next_state(BASE, E, R, &next), -EINVAL);
	assert_int_equal(uvfio_mig_next_state(BASE, R, 8, &next), -EINVAL);
	assert_int_equal(uvfio_mig_next_state(BASE, 8, R, &next), -EINVAL);
	assert_int_equal(uvfio_mig_next_state(BASE, R, -1, &next), -EINVAL);
	/* Without STOP_COPY nothing is supported. */
	assert_int_equal(uvfio_mig_next_state(0, R, S, &next), -EINVAL);
	/* The old kernel loop: STOP_COPY -> PRE_COPY_P2P with P2P but no
	 * PRE_COPY terminates (target unsupported). */
	assert_int_equal(uvfio_mig_next_state(BASE | P2P, SC, PCP, &next),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_copy_only),
		cmocka_unit_test(test_p2p),
		cmocka_unit_test(test_pre_copy),
		cmocka_unit_test(test_all_features),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
