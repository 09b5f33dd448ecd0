/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal harness for the unit tests: CHECK() records a pass or a failure
 * (with file:line and the expression); unit_main() runs the tests named
 * on the command line (all of them without arguments; --list lists them)
 * and prints the closing "SUITE: N passed, N failed" line that
 * tests/lib/tally.sh adds up. A run that checks nothing fails.
 */
#ifndef RC_UNIT_H
#define RC_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do {						\
	if (cond) {							\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define CHECK_MSG(cond, ...) do {					\
	if (cond) {							\
		unit_pass++;						\
	} else {							\
		unit_fail++;						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_TEST(fn) { #fn, fn }

/* A test name as given: "test_lost" or "lost". */
static inline int unit_is(const struct unit_test *t, const char *arg)
{
	return !strcmp(t->name, arg) ||
	       (!strncmp(t->name, "test_", 5) && !strcmp(t->name + 5, arg));
}

/*
 * Run the tests named in argv[1..] (every test if none), between setup
 * (skipped if NULL; non-zero: the run fails) and teardown. Returns the
 * exit status: 0 all passed, 1 a check failed or nothing was checked,
 * 2 an unknown test name.
 */
static inline int unit_main(const char *suite, int argc, char **argv,
			    const struct unit_test *t, size_t n,
			    int (*setup)(void), void (*teardown)(void))
{
	for (int a = 1; a < argc; a++) {
		size_t i;

		if (!strcmp(argv[a], "--list")) {
			for (i = 0; i < n; i++)
				printf("%s\n", t[i].name);
			return 0;
		}
		for (i = 0; i < n && !unit_is(&t[i], argv[a]); i++)
			;
		if (i == n) {
			fprintf(stderr, "%s: no test '%s' (--list lists them)\n", suite, argv[a]);
			return 2;
		}
	}
	if (setup && setup()) {
		unit_fail++;
	} else {
		for (size_t i = 0; i < n; i++) {
			int run = argc < 2;

			for (int a = 1; a < argc && !run; a++)
				run = unit_is(&t[i], argv[a]);
			if (run)
				t[i].fn();
		}
	}
	if (teardown)
		teardown();
	printf("%s: %d passed, %d failed\n", suite, unit_pass, unit_fail);
	if (!unit_pass && !unit_fail)
		fprintf(stderr, "%s: no check ran\n", suite);
	return unit_fail || !unit_pass ? 1 : 0;
}

#endif
