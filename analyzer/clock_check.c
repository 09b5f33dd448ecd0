// SPDX-License-Identifier: GPL-2.0
/* The clock check (clock_check.h, docs/invariants.md). */
#include <stdlib.h>
#include <string.h>
#include "clock_check.h"
#include "source.h"

static int sink(const struct rc_event *ev, void *arg)
{
	return rc_engine_feed(arg, ev) < 0;	/* out of memory: stop */
}

/*
 * One pass of the clock check: the trace again with sub[] subtracted
 * from its CPUs' timestamps; puts in doubt e's findings not found again.
 * Returns 0, or -1 if the pass could not be run.
 */
static int clock_pass(const char *path, const char *instance,
		      const struct rc_model_opts *opts, struct rc_engine *e,
		      const uint64_t *sub, int n, int cpu, uint64_t *still_ahead,
		      uint64_t *now_behind)
{
	struct rc_model_opts mo = *opts;
	struct rc_source *src;
	struct rc_engine *e2 = NULL;
	char err[256];
	int ret = -1;

	src = rc_source_open_file(path, instance, err, sizeof(err));
	if (!src)
		return -1;
	mo.hint = rc_design_hint(rc_source_info(src)->kernel);
	mo.have_root_filter = false;
	if (!rc_source_shift_clocks(src, sub, n) && (e2 = rc_engine_new(&mo)) &&
	    !rc_source_run(src, sink, e2, err, sizeof(err)) &&
	    !rc_model_stats(rc_engine_model(e2))->oom) {
		rc_engine_finish(e2);
		rc_engine_clock_check(e, e2);
		*still_ahead = rc_model_cpu_ahead(rc_engine_model(e2), cpu);
		*now_behind = 0;
		for (int c = 0; c < n; c++)
			if (c != cpu && rc_model_cpu_ahead(rc_engine_model(e2), c) > *now_behind)
				*now_behind = rc_model_cpu_ahead(rc_engine_model(e2), c);
		ret = 0;
	}
	rc_engine_free(e2);
	rc_source_close(src);
	return ret;
}

void rc_clock_check(const char *path, const char *instance,
		    const struct rc_model_opts *opts, struct rc_engine *e,
		    struct rc_report *rep)
{
	const struct rc_model *m = rc_engine_model(e);
	int n = rc_model_ncpus(m), nseed = 0;
	struct rc_clock_shift seed[2] = { { 0, 0 }, { 0, 0 } };
	uint64_t *sub;

	if (n <= 0 || !(sub = calloc((size_t)n, sizeof(*sub))))
		return;
	/* the (at most two) CPUs that read ahead, the most first */
	for (int c = 0; c < n; c++) {
		uint64_t a = rc_model_cpu_ahead(m, c);

		if (!a)
			continue;
		if (!nseed || a > seed[0].ns) {
			seed[1] = seed[0];
			seed[0] = (struct rc_clock_shift){ .cpu = c, .ns = a };
		} else if (nseed == 1 || a > seed[1].ns) {
			seed[1] = (struct rc_clock_shift){ .cpu = c, .ns = a };
		}
		if (nseed < 2)
			nseed++;
	}
	/*
	 * How far ahead is a lower bound: set a CPU back by it (and 1 us:
	 * events at one time are in stream order); if in that pass it still
	 * reads ahead, set it back further by what that pass measured; if
	 * another CPU now reads ahead, by that much less. Up to
	 * RC_CLOCK_PASSES / nseed passes of each CPU, none by more than
	 * RC_CLOCK_MAX_NS. rep->shift lists the passes run.
	 */
	for (int i = 0; i < nseed; i++) {
		int cpu = seed[i].cpu;
		uint64_t total = seed[i].ns + 1000, more = 0, less = 0;

		for (int it = 0; it < RC_CLOCK_PASSES / nseed && rc_engine_findings(e)->total &&
		     total <= RC_CLOCK_MAX_NS; it++) {
			memset(sub, 0, (size_t)n * sizeof(*sub));
			sub[cpu] = total;
			if (clock_pass(path, instance, opts, e, sub, n, cpu, &more, &less))
				break;
			rep->shift[rep->nshift++] = (struct rc_clock_shift){ .cpu = cpu, .ns = total };
			if (more >= less && more)
				total += more + 1000;
			else if (less && less + 1000 < total)
				total -= less + 1000;
			else
				break;
		}
	}
	free(sub);
}

