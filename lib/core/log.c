// SPDX-License-Identifier: MIT
/*
 * Per-device logging with a pluggable sink.
 */
#include <stdio.h>
#include <stdlib.h>

#include "device-internal.h"

#define LOG_LINE_MAX 512

static void stderr_sink(void *opaque, enum uvfio_log_level level,
			const char *name, const char *msg)
{
	static const char *const tags[] = {
		[UVFIO_LOG_ERR] = "error",     [UVFIO_LOG_WARNING] = "warning",
		[UVFIO_LOG_NOTICE] = "notice", [UVFIO_LOG_INFO] = "info",
		[UVFIO_LOG_DEBUG] = "debug",
	};
	const char *tag =
		level <= UVFIO_LOG_DEBUG && tags[level] ? tags[level] : "log";

	(void)opaque;
	/* One fprintf per line: stdio locks the stream, lines don't mix. */
	fprintf(stderr, "uvfio: %s: %s: %s\n", name, tag, msg);
}

void uvfio_log_init(struct uvfio_device *dev)
{
	const char *env = getenv("UVFIO_LOG_LEVEL");

	dev->log_fn = stderr_sink;
	dev->log_opaque = NULL;
	dev->log_level = UVFIO_LOG_WARNING;
	if (env && env[0] >= '0' && env[0] <= '7' && !env[1])
		dev->log_level = (enum uvfio_log_level)(env[0] - '0');
}

void uvfio_device_set_log(struct uvfio_device *dev, uvfio_log_fn fn,
			  void *opaque, enum uvfio_log_level level)
{
	dev->log_fn = fn ? fn : stderr_sink;
	dev->log_opaque = fn ? opaque : NULL;
	dev->log_level = level;
}

void uvfio_vlog(struct uvfio_device *dev, enum uvfio_log_level level,
		const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	if (level > dev->log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	dev->log_fn(dev->log_opaque, level, dev->name, line);
}

void uvfio_log(struct uvfio_device *dev, enum uvfio_log_level level,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	uvfio_vlog(dev, level, fmt, ap);
	va_end(ap);
}
