/* SPDX-License-Identifier: MIT */
/*
 * Serving devices over vfio-user.
 *
 * One listening UNIX socket per device, one client at a time per device (a
 * second client waits in the listen backlog until the first leaves).  A
 * small pool of threads runs epoll loops; each device, with its listener
 * and its client, belongs to one thread, so a device sees its requests in
 * order and never concurrently.
 *
 * When a client goes away, at any point, the server unmaps all its DMA,
 * disables every interrupt index (closing the eventfds) and accepts the
 * next client.  The device keeps its state, as the vfio-user spec asks: a
 * client may reconnect, and a migration destination must keep what was
 * loaded into it.  (The kernel instead resets a vfio-pci device on its
 * last close; a client that wants that sends DEVICE_RESET.)  Device
 * threads in the middle of DMA through the departing client (on the twin
 * socket) get an error, and the connection is freed only once they are
 * out of it.
 *
 * What a client can make the server hold is bounded:
 * - Guest memory shared with DMA_MAP must be a file sealed against
 *   shrinking (F_SEAL_SHRINK; QEMU's memory-backend-memfd with seal=on, its
 *   default, and uvfio_client_buffer_alloc() are), and the window must lie
 *   within the file: else the map fails with EPERM / EINVAL and a warning
 *   says why.  A client that truncated mapped memory would otherwise crash
 *   the server with SIGBUS.  At most UVFIO_DMA_DEFAULT_MAX_FD_MAPS windows
 *   per device are fd-backed (ENOSPC beyond).
 * - Replies the client does not read are queued, never waited for; while
 *   more than 1 MiB of them wait, the client's commands are left unread.
 * - While the server waits for a DMA reply on the main socket, commands
 *   that arrive are kept (up to 256 messages, 8 MiB) and handled in order
 *   afterwards; a client that sends more, or that sends part of a message
 *   and stalls past the DMA timeout, is disconnected.
 * - DMA requests carry at most min(client's max_data_xfer_size, 1 MiB); a
 *   client offering less than 4096 bytes per transfer is refused.
 *
 * Thread-safety: uvfio_server_new/add_device/remove_device/start/stop/
 * destroy are for one controlling thread.  A device callback the server
 * runs may also add and remove devices (a PF serving the VFs it enables):
 * what it adds is served by the same thread.  Devices must be realized
 * before they are added and outlive their service.
 */
#ifndef UVFIO_SERVER_H
#define UVFIO_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include <uvfio/device.h>
#include <uvfio/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_server;

struct uvfio_server_opts {
	/* Worker threads running event loops; 0 picks 2. */
	unsigned int threads;
	/* How long one DMA round trip through the client may take, request
	 * sent and reply received (ms); 0 picks 5000, QEMU's own
	 * x-msg-timeout. */
	int msg_timeout_ms;
	/* Mode of created sockets; 0 picks 0600. */
	unsigned int socket_mode;
	/*
	 * With socket_chown, created sockets are given to socket_uid and
	 * socket_gid ((uid_t)-1 or (gid_t)-1 keeps that one), as chown(2)
	 * does, before they accept connections.
	 */
	bool socket_chown;
	uid_t socket_uid;
	gid_t socket_gid;
};

/* NULL @opts takes every default.  NULL with errno set on failure. */
UVFIO_API struct uvfio_server *
uvfio_server_new(const struct uvfio_server_opts *opts);

/*
 * Serve @dev on a new UNIX socket at @path (an existing socket file there
 * is replaced; any other file is an error, -EEXIST).  Before or after
 * start.  A device is served once: -EBUSY if this server already serves
 * it; -ENODEV if it is going (a VF whose PF is disabling its VFs).  While
 * served, a VF keeps its PF from disabling its VFs.  Returns 0 or a
 * negative errno.
 */
UVFIO_API int uvfio_server_add_device(struct uvfio_server *srv,
				      struct uvfio_device *dev,
				      const char *path);

/*
 * Stop serving @dev: its client, if any, is dropped as on a disconnect,
 * its socket file removed.  From the controlling thread while the server is
 * stopped, or, while it runs, from a callback of a device the same worker
 * serves (a device cannot remove itself): -EINVAL otherwise, -ENOENT if
 * @dev is not served.  Returns 0 or a negative errno.
 */
UVFIO_API int uvfio_server_remove_device(struct uvfio_server *srv,
					 struct uvfio_device *dev);

/*
 * Start the worker threads: 0, -EBUSY if started, or the errno of
 * pthread_create(), in which case no thread is left running and the server
 * is as before the call (it may be started again).
 */
UVFIO_API int uvfio_server_start(struct uvfio_server *srv);

/*
 * Stop the threads, drop every client (releasing what they set up, as on
 * a disconnect), close the listeners and remove their socket files.  The
 * devices are no longer added: add them again before the next start.
 */
UVFIO_API void uvfio_server_stop(struct uvfio_server *srv);

/* Stop if running, then free.  The devices are not destroyed. */
UVFIO_API void uvfio_server_destroy(struct uvfio_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_SERVER_H */
