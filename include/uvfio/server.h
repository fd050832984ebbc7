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
 * last close; a client that wants that sends DEVICE_RESET.)
 *
 * Thread-safety: uvfio_server_new/add_device/start/stop/destroy are for one
 * controlling thread.  Devices must be realized before they are added and
 * outlive the server.
 */
#ifndef UVFIO_SERVER_H
#define UVFIO_SERVER_H

#include <stdbool.h>

#include <uvfio/device.h>
#include <uvfio/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_server;

struct uvfio_server_opts {
	/* Worker threads running event loops; 0 picks 2. */
	unsigned int threads;
	/* How long to wait for a client's reply or for room to send (ms); 0
	 * picks 5000, QEMU's own x-msg-timeout. */
	int msg_timeout_ms;
	/* Mode of created sockets; 0 picks 0600. */
	unsigned int socket_mode;
};

/* NULL @opts takes every default.  NULL with errno set on failure. */
UVFIO_API struct uvfio_server *
uvfio_server_new(const struct uvfio_server_opts *opts);

/*
 * Serve @dev on a new UNIX socket at @path (an existing socket file there
 * is replaced; any other file is an error, -EEXIST).  Before or after
 * start.  Returns 0 or a negative errno.
 */
UVFIO_API int uvfio_server_add_device(struct uvfio_server *srv,
				      struct uvfio_device *dev,
				      const char *path);

/* Start the worker threads. */
UVFIO_API int uvfio_server_start(struct uvfio_server *srv);

/*
 * Stop the threads, drop every client (releasing what they set up, as on
 * a disconnect), close the listeners and remove their socket files.
 */
UVFIO_API void uvfio_server_stop(struct uvfio_server *srv);

/* Stop if running, then free.  The devices are not destroyed. */
UVFIO_API void uvfio_server_destroy(struct uvfio_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_SERVER_H */
