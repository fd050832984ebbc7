// SPDX-License-Identifier: MIT
/*
 * The migration state machine's path finding: the kernel's
 * vfio_mig_get_next_state() (drivers/vfio/vfio_main.c), table and rules,
 * with the fix that stops at ERROR instead of looping forever on
 * STOP_COPY -> PRE_COPY* when a hop is unsupported.
 *
 * The table gives, for a device with every optional feature, the next
 * state from @cur toward @new.  Paths are shortest, and a saving state is
 * never an interior step.  A device without some feature skips the states
 * that need it by looking up the next hop again from there.
 */
#include <errno.h>

#include <uvfio/migration.h>

#define S UVFIO_DEVICE_STATE_STOP
#define R UVFIO_DEVICE_STATE_RUNNING
#define SC UVFIO_DEVICE_STATE_STOP_COPY
#define RS UVFIO_DEVICE_STATE_RESUMING
#define RP UVFIO_DEVICE_STATE_RUNNING_P2P
#define PC UVFIO_DEVICE_STATE_PRE_COPY
#define PCP UVFIO_DEVICE_STATE_PRE_COPY_P2P
#define E UVFIO_DEVICE_STATE_ERROR
#define NR UVFIO_DEVICE_STATE_NR

static const enum uvfio_device_mig_state next_hop[NR][NR] = {
	/*               ERROR  STOP RUNNING STOP_COPY RESUMING R_P2P PRE_COPY PC_P2P */
	[S] = { E, S, RP, SC, RS, RP, RP, RP },
	[R] = { E, RP, R, RP, RP, RP, PC, RP },
	[SC] = { E, S, S, SC, S, S, E, E },
	[RS] = { E, S, S, S, RS, S, S, S },
	[RP] = { E, S, R, S, S, RP, R, PCP },
	[PC] = { E, R, R, PCP, R, R, PC, PCP },
	[PCP] = { E, RP, RP, SC, RP, RP, PC, PCP },
	[E] = { E, E, E, E, E, E, E, E },
};

/* The migration flags a state needs; ERROR needs what no device has. */
static const uint64_t state_flags[NR] = {
	[E] = ~0ull,
	[S] = UVFIO_MIGRATION_STOP_COPY,
	[R] = UVFIO_MIGRATION_STOP_COPY,
	[SC] = UVFIO_MIGRATION_STOP_COPY,
	[RS] = UVFIO_MIGRATION_STOP_COPY,
	[RP] = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P,
	[PC] = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_PRE_COPY,
	[PCP] = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		UVFIO_MIGRATION_PRE_COPY,
};

static bool supported(uint64_t flags, enum uvfio_device_mig_state state)
{
	return (state_flags[state] & flags) == state_flags[state];
}

int uvfio_mig_next_state(uint64_t flags, enum uvfio_device_mig_state cur,
			 enum uvfio_device_mig_state new_state,
			 enum uvfio_device_mig_state *next)
{
	enum uvfio_device_mig_state hop;

	if ((unsigned int)cur >= NR || !supported(flags, cur) ||
	    (unsigned int)new_state >= NR || !supported(flags, new_state))
		return -EINVAL;
	hop = next_hop[cur][new_state];
	while (hop != E && !supported(flags, hop))
		hop = next_hop[hop][new_state];
	if (hop == E)
		return -EINVAL;
	*next = hop;
	return 0;
}

const char *uvfio_mig_state_name(enum uvfio_device_mig_state state)
{
	static const char *const names[NR] = {
		[E] = "ERROR",	   [S] = "STOP",
		[R] = "RUNNING",   [SC] = "STOP_COPY",
		[RS] = "RESUMING", [RP] = "RUNNING_P2P",
		[PC] = "PRE_COPY", [PCP] = "PRE_COPY_P2P",
	};

	return (unsigned int)state < NR ? names[state] : "?";
}
