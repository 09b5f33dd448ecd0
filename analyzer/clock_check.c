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
		      const uint64_t *sub, int n, int cpu, bool strict, int moved,
		      uint64_t *still_ahead, uint64_t *now_behind, uint64_t *still_behind)
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
		const struct rc_model *m2 = rc_engine_model(e2);

		rc_engine_finish(e2);
		rc_engine_clock_check(e, e2, strict, moved);
		*still_ahead = rc_model_cpu_ahead_direct(m2, cpu);
		*still_behind = rc_model_cpu_behind(m2, cpu);
		*now_behind = 0;
		for (int c = 0; c < n; c++)
			if (c != cpu && rc_model_cpu_ahead_direct(m2, c) > *now_behind)
				*now_behind = rc_model_cpu_ahead_direct(m2, c);
		ret = 0;
	}
	rc_engine_free(e2);
	rc_source_close(src);
	return ret;
}

/* Was this (cpu, ns) pass run already? */
static bool pass_ran(const struct rc_report *rep, int cpu, int64_t ns)
{
	for (int i = 0; i < rep->nshift; i++)
		if (rep->shift[i].cpu == cpu && rep->shift[i].ns == ns)
			return true;
	return false;
}

/*
 * Run one strict pass moving cpu by ns (< 0: forward), speaking of the
 * findings near it (near) or of all; false to stop. *behind: how far cpu
 * still reads behind in that pass.
 */
static bool move_pass(const char *path, const char *instance,
		      const struct rc_model_opts *opts, struct rc_engine *e,
		      struct rc_report *rep, uint64_t *sub, int n, int cpu, int64_t ns,
		      bool near, uint64_t *behind)
{
	uint64_t more, less;

	for (int c = 0; c < n; c++)
		sub[c] = ns > 0 ? (c == cpu ? (uint64_t)ns : 0) :
			(c == cpu ? 0 : (uint64_t)-ns);
	if (clock_pass(path, instance, opts, e, sub, n, cpu, true, near ? cpu : -1,
		       &more, &less, behind))
		return false;
	rep->shift[rep->nshift++] = (struct rc_clock_shift){ .cpu = cpu, .ns = ns };
	return true;
}

/*
 * First the CPU whose clock the records show behind the most (others ran
 * ahead of it: rc_model_cpu_behind()), set forward by that much. Then
 * the targeted passes: for each finding not yet in doubt, each CPU with
 * events near it (rc_finding.near), set that CPU back by just more than
 * the nearest and the farthest of its events after the finding's (they
 * then come before it), and forward by just more than those before it
 * (every other CPU set back by as much). At most RC_CLOCK_TARGETED.
 */
static void targeted(const char *path, const char *instance,
		     const struct rc_model_opts *opts, struct rc_engine *e,
		     struct rc_report *rep, uint64_t *sub, int n)
{
	const struct rc_model *m = rc_engine_model(e);
	const struct rc_findings *f = rc_engine_findings(e);
	int left = RC_CLOCK_TARGETED, slow = -1;
	uint64_t behind = 0;
	int64_t most = 0;

	for (int c = 0; c < n; c++) {
		if (rc_model_cpu_behind(m, c) && (slow < 0 ||
		    rc_model_cpu_behind(m, c) > rc_model_cpu_behind(m, slow)))
			slow = c;
		if ((int64_t)rc_model_cpu_ahead(m, c) > most)
			most = (int64_t)rc_model_cpu_ahead(m, c);
	}
	/* no further than twice what the records showed a clock off by */
	most = 2 * most + 1000;
	/* set forward further while that pass still finds it behind (3 at most) */
	for (uint64_t fwd = slow >= 0 ? rc_model_cpu_behind(m, slow) + 1000 : 0;
	     fwd && fwd <= RC_CLOCK_MAX_NS && f->total && left > RC_CLOCK_TARGETED - 3;
	     fwd += behind + 1000) {
		left--;
		if (!move_pass(path, instance, opts, e, rep, sub, n, slow, -(int64_t)fwd,
			       false, &behind))
			return;
		if (!behind)
			break;
	}

	for (size_t i = 0; i < f->n && left > 0 && f->total; i++) {
		const struct rc_finding *x = &f->v[i];

		for (unsigned int k = 0; k < x->nnear && left > 0; k++) {
			const struct rc_near *nr = &x->near[k];
			int64_t try[4];
			int nt = 0;

			if (nr->cpu >= n)
				continue;
			for (int j = 0; j < 2; j++) {
				if (nr->has_after)
					try[nt++] = (int64_t)(nr->after[j] + 1000);
				if (nr->has_before)
					try[nt++] = -(int64_t)(nr->before[j] + 1000);
			}
			for (int t = 0; t < nt && left > 0; t++) {
				if (x->retracted || x->clock_doubt || try[t] > most ||
				    -try[t] > most || pass_ran(rep, nr->cpu, try[t]))
					continue;
				left--;
				if (!move_pass(path, instance, opts, e, rep, sub, n,
					       nr->cpu, try[t], true, &behind))
					return;
			}
		}
	}
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
		if (!nseed || (int64_t)a > seed[0].ns) {
			seed[1] = seed[0];
			seed[0] = (struct rc_clock_shift){ .cpu = c, .ns = (int64_t)a };
		} else if (nseed == 1 || (int64_t)a > seed[1].ns) {
			seed[1] = (struct rc_clock_shift){ .cpu = c, .ns = (int64_t)a };
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
		uint64_t total = (uint64_t)seed[i].ns + 1000, more = 0, less = 0, slow;

		for (int it = 0; it < RC_CLOCK_PASSES / nseed && rc_engine_findings(e)->total &&
		     total <= RC_CLOCK_MAX_NS; it++) {
			memset(sub, 0, (size_t)n * sizeof(*sub));
			sub[cpu] = total;
			if (clock_pass(path, instance, opts, e, sub, n, cpu, false, -1, &more,
				       &less, &slow))
				break;
			rep->shift[rep->nshift++] = (struct rc_clock_shift){ .cpu = cpu, .ns = (int64_t)total };
			if (more >= less && more)
				total += more + 1000;
			else if (less && less + 1000 < total)
				total -= less + 1000;
			else
				break;
		}
	}
	targeted(path, instance, opts, e, rep, sub, n);
	free(sub);
}

