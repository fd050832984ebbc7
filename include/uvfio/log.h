/* SPDX-License-Identifier: MIT */
/*
 * Logging.  Every device has its own sink and threshold (there is no global
 * logger): a host that serves many devices can route each one differently.
 */
#ifndef UVFIO_LOG_H
#define UVFIO_LOG_H

#include <stdarg.h>

#include <uvfio/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* syslog(3) severities, so that a sink can pass them straight through. */
enum uvfio_log_level {
	UVFIO_LOG_ERR = 3,
	UVFIO_LOG_WARNING = 4,
	UVFIO_LOG_NOTICE = 5,
	UVFIO_LOG_INFO = 6,
	UVFIO_LOG_DEBUG = 7,
};

struct uvfio_device;

/*
 * A log sink.  @name is the device's name, @msg one formatted line without a
 * trailing newline.  Called from whichever thread logs; it must be
 * thread-safe if the device is used from several threads.
 */
typedef void (*uvfio_log_fn)(void *opaque, enum uvfio_log_level level,
			     const char *name, const char *msg);

/*
 * Route @dev's messages at or above @level (numerically <= @level) to @fn.
 * @fn NULL restores the default sink (stderr, "uvfio: NAME: LEVEL: message",
 * LEVEL one of error, warning, notice, info, debug).
 * The default threshold is UVFIO_LOG_WARNING, or the value of the
 * environment variable UVFIO_LOG_LEVEL (a number 0-7) read at creation.
 * Thread-safety: call before the device is used concurrently.
 */
UVFIO_API void uvfio_device_set_log(struct uvfio_device *dev, uvfio_log_fn fn,
				    void *opaque, enum uvfio_log_level level);

/*
 * Log one message for @dev.  Thread-safe; callable from device callbacks.
 */
UVFIO_API void uvfio_log(struct uvfio_device *dev, enum uvfio_log_level level,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

UVFIO_API void uvfio_vlog(struct uvfio_device *dev, enum uvfio_log_level level,
			  const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define uvfio_err(dev, ...) uvfio_log(dev, UVFIO_LOG_ERR, __VA_ARGS__)
#define uvfio_warn(dev, ...) uvfio_log(dev, UVFIO_LOG_WARNING, __VA_ARGS__)
#define uvfio_info(dev, ...) uvfio_log(dev, UVFIO_LOG_INFO, __VA_ARGS__)
#define uvfio_dbg(dev, ...) uvfio_log(dev, UVFIO_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_LOG_H */
