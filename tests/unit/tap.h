/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal test harness for the unit tests: CHECK() records a pass or a
 * failure (with file:line and the expression), tap_done() prints the
 * closing "N passed, N failed" line and returns the exit status.
 */
#ifndef RC_TAP_H
#define RC_TAP_H

#include <stdio.h>

static int tap_pass, tap_fail;

#define CHECK(cond) do {						\
	if (cond) {							\
		tap_pass++;						\
	} else {							\
		tap_fail++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define CHECK_MSG(cond, ...) do {					\
	if (cond) {							\
		tap_pass++;						\
	} else {							\
		tap_fail++;						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static inline int tap_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, tap_pass, tap_fail);
	return tap_fail ? 1 : 0;
}

#endif
