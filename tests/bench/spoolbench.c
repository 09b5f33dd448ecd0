// SPDX-License-Identifier: GPL-2.0
/*
 * spoolbench: what live mode's spool (analyzer/source_spool.c) costs a
 * run: N events (default 10,000,000) put into a spool in $TMPDIR as live
 * puts them, then read back once through its source, as each pass of the
 * clock check reads them (make bench; docs/performance.md).
 *
 *   spoolbench [N]
 *
 * Prints the ns per event of each, CPU time (user + system), and the
 * bytes kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "source.h"
#include "source_spool.h"

static uint64_t seen;

static int sink(const struct rc_event *ev, void *arg)
{
	(void)arg;
	seen += ev->ts;
	return 0;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	struct rc_spool *sp = rc_spool_new((uint64_t)1 << 40, false);
	struct rc_trace_info info;
	struct rc_source *src;
	struct rc_event ev;
	char err[256];
	double t0, t1, t2;

	if (!sp || !n)
		return 2;
	memset(&ev, 0, sizeof(ev));
	memset(&info, 0, sizeof(info));
	info.ncpus = 4;
	ev.type = RC_EV_ROOT_GET;
	ev.kvm = 0xffff888004100000ull;
	t0 = cpu_s();
	for (uint64_t i = 0; i < n; i++) {
		ev.seq = i;
		ev.ts = 1000 * i;
		ev.cpu = (int)(i & 3);
		ev.root = 0x1000000 + ((i >> 4) << 12);
		ev.old = (uint32_t)i & 7;
		rc_spool_put(sp, &ev);
	}
	if (!rc_spool_whole(sp)) {
		fprintf(stderr, "spoolbench: %s\n", rc_spool_why(sp));
		return 1;
	}
	t1 = cpu_s();
	src = rc_source_open_spool(sp, &info, err, sizeof(err));
	if (!src || rc_source_run(src, sink, NULL, err, sizeof(err))) {
		fprintf(stderr, "spoolbench: %s\n", err);
		return 1;
	}
	t2 = cpu_s();
	printf("events %" PRIu64 " bytes %" PRIu64 " put %.1f ns/event read %.1f ns/event (cpu %.2f s, %.2f s) check %" PRIu64 "\n",
	       n, rc_spool_bytes(sp), (t1 - t0) * 1e9 / (double)n, (t2 - t1) * 1e9 / (double)n,
	       t1 - t0, t2 - t1, seen);
	rc_source_close(src);
	rc_spool_free(sp);
	return 0;
}
