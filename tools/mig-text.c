// SPDX-License-Identifier: MIT
/* See mig-text.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mig-text.h"

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *human_size(uint64_t n, char buf[32])
{
	if (n < 1024)
		snprintf(buf, 32, "%" PRIu64 " B", n);
	else if (n < (1u << 20))
		snprintf(buf, 32, "%.1f KiB", (double)n / 1024);
	else if (n < (1ull << 30))
		snprintf(buf, 32, "%.2f MiB", (double)n / (1 << 20));
	else
		snprintf(buf, 32, "%.2f GiB", (double)n / (1 << 30));
	return buf;
}

const char *mig_stop_text(const char *reason)
{
	static const char *const texts[][2] = {
		{ "downtime", "converged" },
		{ "idle", "nothing more to copy" },
		{ "max-iterations", "iteration limit" },
		{ "no-pre-copy", "the source has no PRE_COPY" },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (reason && !strcmp(reason, texts[i][0]))
			return texts[i][1];
	return "?";
}
