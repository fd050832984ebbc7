/* SPDX-License-Identifier: MIT */
/*
 * Live migration, protocol v2, as the kernel defines it.
 *
 * The core owns the state machine (all eight states, the kernel's
 * next-step algorithm for multi-step transitions), the data sessions and
 * the stream format (versioned, typed sections, CRC32C; see
 * docs/migration-stream.md).  A device implements single arcs and
 * produces or stages its state as sections:
 *
 *   saving:  ops->save(phase) appends sections with uvfio_mig_put_section()
 *   loading: ops->load_section() stages each validated section, then
 *            ops->load_commit() makes the staged state the device's at
 *            RESUMING -> STOP, or ops->load_abort() drops it; the device is
 *            never left half-loaded
 *
 * A device that must speak another implementation's byte format (the
 * kernel's own driver for the same device, say) uses a raw stream
 * instead: it writes the bytes itself with uvfio_mig_put_raw() and parses
 * them in ops->load_raw(); the core keeps the states, sessions and the
 * staging rules and adds no framing.
 *
 * The features MIGRATION, MIG_DEVICE_STATE, MIG_DATA_SIZE and (with
 * PRE_COPY) MIG_PRECOPY_INFOv2 are registered on the device; transports
 * reach the data through uvfio_migration_read/write.
 *
 * Thread-safety: ops run under the device lock, as every device callback;
 * the uvfio_migration_* calls are thread-safe.
 */
#ifndef UVFIO_MIGRATION_H
#define UVFIO_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/types.h>

#include <uvfio/device.h>
#include <uvfio/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a save produces, and what a loaded section came from. */
enum uvfio_mig_phase {
	UVFIO_MIG_INITIAL = 1, /* pre-copy: the state when PRE_COPY began */
	UVFIO_MIG_DIRTY = 2,   /* pre-copy: what changed since */
	UVFIO_MIG_FINAL = 3,   /* stop-copy: the complete state */
};

struct uvfio_mig_save;

/*
 * Append one section of device state: @type is the device's own (1 to
 * 0xffff; 0 is reserved), @len at most UVFIO_MIG_SECTION_MAX.
 */
#define UVFIO_MIG_SECTION_MAX (64u << 20)
UVFIO_API int uvfio_mig_put_section(struct uvfio_mig_save *s, uint16_t type,
				    const void *data, size_t len);

/* The same, the section's bytes gathered from @iovcnt pieces. */
UVFIO_API int uvfio_mig_put_sectionv(struct uvfio_mig_save *s, uint16_t type,
				     const struct iovec *iov,
				     unsigned int iovcnt);

/*
 * What ops->save returns after writing part of a FINAL save, to be called
 * again when the reader has taken what is pending: a large state is then
 * never held whole in a buffer.  The device is stopped (STOP_COPY) from
 * the first call to the last, so the parts are of one state as long as
 * the user changes nothing either, as the uAPI asks of a stopped device
 * (a VMM's vCPUs are stopped by then): a region write or a store through
 * an mmap during STOP_COPY may or may not be in the stream.  A session
 * can end between parts (a state change, a reset) without the device
 * being told: the parts keep no state but the cursor.
 */
#define UVFIO_MIG_SAVE_MORE 1

/*
 * A value of the device's own kept across the calls of one FINAL save
 * (where the next part starts): 0 at its first call.
 */
UVFIO_API uint64_t *uvfio_mig_save_cursor(struct uvfio_mig_save *s);

/*
 * Raw streams only: append @len bytes, at most UVFIO_MIG_SECTION_MAX at a
 * time.  -EINVAL for a device with a framed stream.
 */
UVFIO_API int uvfio_mig_put_raw(struct uvfio_mig_save *s, const void *data,
				size_t len);

/*
 * The bytes this data session's stream holds so far, read or not (0 for
 * the first save of a session): e.g. for a raw stream's device to write
 * its header once when the FINAL save follows an INITIAL one.
 */
UVFIO_API uint64_t uvfio_mig_raw_offset(const struct uvfio_mig_save *s);

/* Who the stream is for: a loader refuses a stream of another identity. */
struct uvfio_mig_identity {
	uint16_t vendor, device, subsystem_vendor, subsystem;
	uint8_t revision;
	const char *type;   /* the device type, e.g. "edu" */
	const char *compat; /* device-chosen compatibility, e.g. "edu-1" */
};

struct uvfio_migration_ops {
	/* UVFIO_MIGRATION_STOP_COPY, optionally | _P2P | _PRE_COPY */
	uint64_t flags;
	/*
	 * One arc of the kernel's table (the core computes the path and
	 * handles the data sessions around it): quiesce on ->STOP and
	 * ->*_P2P, resume on ->RUNNING, and so on.  Return 0 or a negative
	 * errno; on failure the device stays in @from.
	 */
	int (*arc)(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		   enum uvfio_device_mig_state to);
	/*
	 * Append sections for @phase: INITIAL when pre-copy starts; DIRTY
	 * when the reader has drained pre-copy data and dirty_bytes() is
	 * non-zero; FINAL entering STOP_COPY (the complete state; loading a
	 * FINAL alone must rebuild the device), in parts if it returns
	 * UVFIO_MIG_SAVE_MORE.  Return 0 or a negative errno.
	 */
	int (*save)(struct uvfio_device *dev, struct uvfio_mig_save *s,
		    enum uvfio_mig_phase phase);
	/* Pre-copy: bytes of state changed since the last save (optional). */
	uint64_t (*dirty_bytes)(struct uvfio_device *dev);
	/* MIG_DATA_SIZE: estimated bytes of a FINAL save. */
	uint64_t (*state_size)(struct uvfio_device *dev);
	/*
	 * Stage one section (framing and CRC already checked): validate every
	 * value, change nothing the guest can see.  Return 0 or a negative
	 * errno (the load fails and is aborted).  @data is valid for the
	 * call only and has no particular alignment: it may lie in the
	 * transport's own buffer.
	 */
	int (*load_section)(struct uvfio_device *dev, uint16_t type,
			    enum uvfio_mig_phase phase, const void *data,
			    size_t len);
	/*
	 * Make the staged state the device's: after a complete framed
	 * stream; a raw stream's device refuses an incomplete one here.
	 */
	int (*load_commit)(struct uvfio_device *dev);
	/* Drop what was staged. */
	void (*load_abort)(struct uvfio_device *dev);
	/*
	 * Set for a raw stream, instead of load_section: stage the next
	 * @len written bytes, in whatever pieces the writer chose, checking
	 * them as they complete.  Return 0 or a negative errno, which fails
	 * the write and refuses the stream.  load_commit() then refuses a
	 * stream that is not complete.  MIG_DATA_SIZE is state_size() as is.
	 */
	int (*load_raw)(struct uvfio_device *dev, const void *data, size_t len);
};

/*
 * Give @dev migration (before realize).  Registers the migration
 * features; the device starts in RUNNING.  -EINVAL if @ops lacks
 * STOP_COPY, arc, save, state_size or the load calls, or has both
 * load_section and load_raw (the kernel refuses incomplete drivers too).
 */
UVFIO_API int uvfio_migration_init(struct uvfio_device *dev,
				   const struct uvfio_migration_ops *ops,
				   const struct uvfio_mig_identity *id);

/* The current state (thread-safe). */
UVFIO_API enum uvfio_device_mig_state
uvfio_migration_state(struct uvfio_device *dev);

/*
 * The current data session: a number that changes with every session, 0
 * when none is open.  A reader or writer names the session it belongs
 * to; a stale one gets end-of-file (read) or -EBADF (write), never data of
 * a later session.
 */
UVFIO_API uint64_t uvfio_migration_session(struct uvfio_device *dev);

/*
 * The client that drove @dev's migration is gone (a transport calls this
 * when it drops a client).  Its data session goes with it, as the kernel
 * closes the data fd with its process: a saving device takes the arc out
 * of the saving group (STOP_COPY to STOP, PRE_COPY to RUNNING,
 * PRE_COPY_P2P to RUNNING_P2P), so nothing of its state is lost; one in
 * RESUMING, which holds part of a stream at most, is reset (the only way
 * out that commits nothing), and so is one in ERROR, or one whose arc
 * fails.  Other states stay as they are.  No-op without migration.
 */
UVFIO_API void uvfio_migration_client_gone(struct uvfio_device *dev);

/*
 * Read saved data of @session (PRE_COPY, PRE_COPY_P2P, STOP_COPY).
 * Returns bytes read; 0 at the end of STOP_COPY's stream (and for a stale
 * session in a saving state); -ENOMSG in pre-copy when nothing is pending
 * now; -EINVAL outside a saving state.
 */
UVFIO_API ssize_t uvfio_migration_read(struct uvfio_device *dev,
				       uint64_t session, void *buf, size_t len);

/*
 * Write stream data to @session (RESUMING).  The stream is checked as it
 * arrives: a bad header, section or CRC fails the write with -EINVAL (the
 * reason is logged; a raw stream fails with the device's load_raw error)
 * and the session with it.  -EINVAL outside RESUMING, -EBADF for a stale
 * session.
 */
UVFIO_API ssize_t uvfio_migration_write(struct uvfio_device *dev,
					uint64_t session, const void *buf,
					size_t len);

/*
 * VFIO_MIG_GET_PRECOPY_INFO on @session: -EINVAL outside PRE_COPY /
 * PRE_COPY_P2P.  @info->flags: as the kernel, UVFIO_PRECOPY_INFO_REINIT
 * only after MIG_PRECOPY_INFOv2 was SET.
 */
UVFIO_API int uvfio_migration_precopy_info(struct uvfio_device *dev,
					   uint64_t session,
					   struct uvfio_precopy_info *info);

/*
 * Device dirty tracking (DMA logging): registers DMA_LOGGING_START, _STOP
 * and _REPORT on @dev (before realize), fed by every device write into
 * guest memory through its DMA space.  The payloads are vfio-user's, with
 * nothing behind pointers.  START's payload is {u64 page_size; u32
 * num_ranges; u32 reserved} then the ranges {u64 iova; u64 length}
 * (num_ranges 0 logs everything); REPORT's is {u64 iova; u64 length; u64
 * page_size} then the bitmap (bit n of u64 word w is page w * 64 + n of
 * the range).  Offsets count from the end of the 8-byte feature header.  The
 * kernel backend translates the kernel's pointer layout to these.
 */
UVFIO_API int uvfio_dirty_log_init(struct uvfio_device *dev);

/* The kernel's name of @state ("STOP_COPY", ...), "?" if out of range. */
UVFIO_API const char *uvfio_mig_state_name(enum uvfio_device_mig_state state);

/*
 * The next state on the way from @cur to @new for a device with migration
 * @flags (the kernel's vfio_mig_get_next_state, with the ERROR-loop fix).
 * 0 with *@next set, or -EINVAL.
 */
UVFIO_API int uvfio_mig_next_state(uint64_t flags,
				   enum uvfio_device_mig_state cur,
				   enum uvfio_device_mig_state new_state,
				   enum uvfio_device_mig_state *next);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_MIGRATION_H */
