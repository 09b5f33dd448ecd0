// SPDX-License-Identifier: GPL-2.0
/*
 * reorderbench: the live source's reorder buffer alone (analyzer/reorder.c),
 * fed as `kvm-rootcheck live` feeds it (make bench; docs/performance.md):
 * 4 CPUs, 50,000 events a second in all, a poll every 10 ms handing each
 * CPU's events over in order, then a release; CPU 3 idle for 400 ms of
 * every 800, so events wait up to the holdback (1 s). 20 s of trace,
 * 875,000 events. Count its instructions:
 *
 *   valgrind --tool=cachegrind --cache-sim=no reorderbench
 *
 * Prints the events handed over and a checksum of their timestamps.
 */
#include <stdio.h>
#include <string.h>

#include "source-local.h"

static unsigned long long handed, sum;

static int sink(const struct rc_event *ev, void *arg)
{
	(void)arg;
	handed++;
	sum += ev->ts;
	return 0;
}

int main(void)
{
	struct rc_reorder *r = rc_reorder_new(sink, NULL, 4, 1000000000ull, 256 * 1024);
	unsigned long long t = 0;

	if (!r)
		return 1;
	for (int poll = 0; poll < 2000; poll++) {
		for (int c = 0; c < 4; c++) {
			if (c == 3 && (poll / 40) % 2)
				continue;
			for (int i = 0; i < 125; i++) {
				struct rc_event e;

				memset(&e, 0, sizeof(e));
				e.ts = t + (unsigned long long)i * 80000 + (unsigned long long)c * 1000;
				e.cpu = c;
				rc_reorder_push(&e, r);
			}
		}
		t += 10000000;
		rc_reorder_release(r, 0);
	}
	rc_reorder_release(r, 1);
	printf("%llu %llu\n", handed, sum);
	rc_reorder_free(r);
	return 0;
}
