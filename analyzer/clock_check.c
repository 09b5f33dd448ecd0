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

/* What one pass of the clock check found. */
struct pass_out {
	uint64_t ahead;		/* the CPU moved still reads ahead (direct) */
	uint64_t behind;	/* it reads behind (rc_model_cpu_behind()) */
	uint64_t other_ahead;	/* another CPU reads ahead (direct) */
	uint64_t forced;	/* records that never fitted in the pass */
	size_t doubted;		/* e's findings it put in doubt */
};

/*
 * One pass of the clock check: the trace again with sub[] subtracted
 * from its CPUs' timestamps; puts in doubt e's findings not found again
 * (rc_engine_clock_check() as p says). Returns 0, or -1 if the pass
 * could not be run.
 */
static int clock_pass(const struct rc_clock_input *in,
		      const struct rc_model_opts *opts, struct rc_engine *e,
		      const uint64_t *sub, int n, const struct rc_pass *p,
		      struct pass_out *out)
{
	struct rc_model_opts mo = *opts;
	struct rc_source *src;
	struct rc_engine *e2 = NULL;
	char err[256];
	int ret = -1;

	src = in->open(in->arg, err, sizeof(err));
	if (!src)
		return -1;
	mo.hint = rc_design_hint(rc_source_info(src)->kernel);
	mo.have_root_filter = false;
	if (!rc_source_shift_clocks(src, sub, n) && (e2 = rc_engine_new(&mo)) &&
	    !rc_source_run(src, sink, e2, err, sizeof(err)) &&
	    !rc_model_stats(rc_engine_model(e2))->oom) {
		const struct rc_model *m2 = rc_engine_model(e2);

		rc_engine_finish(e2);
		*out = (struct pass_out){ 0 };
		out->doubted = rc_engine_clock_check(e, e2, p);
		out->ahead = rc_model_cpu_ahead_direct(m2, p->cpu);
		out->behind = rc_model_cpu_behind(m2, p->cpu);
		for (int c = 0; c < n; c++)
			if (c != p->cpu && rc_model_cpu_ahead_direct(m2, c) > out->other_ahead)
				out->other_ahead = rc_model_cpu_ahead_direct(m2, c);
		out->forced = rc_model_stats(m2)->forced;
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
 * Passes that count by fitting more records (improve) move a CPU by at
 * least this: a few microseconds of reordering among events that close
 * also make a bug's unfitted records fit (simulator traces with events
 * 1 us apart: a pass of 2-23 us cleared true bugs). Smaller skews are
 * the measured passes' (records applied out of `old` order).
 */
#define RC_IMPROVE_MIN_NS 50000

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/*
 * Run one strict pass moving cpu by ns (< 0: forward, every other CPU
 * set back by as much), speaking of the findings near it (near) or of
 * all; improve: it counts only if fewer records never fitted. False to
 * stop (the pass could not be run).
 */
static bool move_pass(const struct rc_clock_input *in,
		      const struct rc_model_opts *opts, struct rc_engine *e,
		      struct rc_report *rep, uint64_t *sub, int n, int cpu, int64_t ns,
		      bool near, bool improve, bool unfounded, struct pass_out *out)
{
	/* a pass by less than RC_IMPROVE_MIN_NS that must fit (improve) counts
	 * only if it reads the trace whole (rc_engine_clock_check()) */
	bool whole = improve && abs64(ns) < RC_IMPROVE_MIN_NS;
	struct rc_pass p = { .cpu = cpu, .ns = ns, .strict = true, .improve = improve && !whole,
			     .unfounded = unfounded, .whole = whole,
			     .moved = near && !improve ? cpu : -1 };

	for (int c = 0; c < n; c++)
		sub[c] = ns > 0 ? (c == cpu ? (uint64_t)ns : 0) :
			(c == cpu ? 0 : (uint64_t)-ns);
	if (clock_pass(in, opts, e, sub, n, &p, out))
		return false;
	rep->shift[rep->nshift++] = (struct rc_clock_shift){ .cpu = cpu, .ns = ns };
	return true;
}

/* Findings not yet in doubt on CPU c or with events of c near them. */
static size_t near_findings(const struct rc_findings *f, int c)
{
	size_t k = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct rc_finding *x = &f->v[i];
		bool near = x->ev.cpu == c;

		if (x->retracted || x->clock_doubt || !x->nnear)
			continue;
		for (unsigned int j = 0; j < x->nnear; j++)
			near |= x->near[j].cpu == c;
		k += near;
	}
	return k;
}

/*
 * Records that fit no order of the CPUs as stamped, no lost event to
 * explain them, and the records measured no clock off by enough to move
 * a CPU past the events near a violation: try the CPUs with violations
 * on or near them (the most first) moved back and forward by each of
 * rungs[]; a pass that fits no worse is refined by what it still
 * measured that CPU off (twice at most). A pass counts only if fewer
 * records never fit (improve), and it then speaks of every finding: the
 * records as a whole read better so. At most RC_CLOCK_LADDER passes.
 */
#define RC_LADDER_CPUS 4	/* CPUs tried by the ladder, at most */
static const int64_t rungs[] = { 200000, 600000, 1500000, 3000000, 4500000, 6000000 };

static void ladder(const struct rc_clock_input *in,
		   const struct rc_model_opts *opts, struct rc_engine *e,
		   struct rc_report *rep, uint64_t *sub, int n)
{
	const struct rc_findings *f = rc_engine_findings(e);
	uint64_t forced = rc_model_stats(rc_engine_model(e))->forced;
	int left = RC_CLOCK_LADDER, order[RC_LADDER_CPUS], no = 0;
	size_t cnt[RC_LADDER_CPUS];

	if (!forced || rc_model_stats(rc_engine_model(e))->lost_reports)
		return;
	/* the CPUs with the most findings on or near them, in that order */
	for (int c = 0; c < n; c++) {
		size_t k = near_findings(f, c);
		int at;

		if (!k)
			continue;
		for (at = no; at > 0 && cnt[at - 1] < k; at--)
			if (at < RC_LADDER_CPUS) {
				order[at] = order[at - 1];
				cnt[at] = cnt[at - 1];
			}
		if (at < RC_LADDER_CPUS) {
			order[at] = c;
			cnt[at] = k;
			if (no < RC_LADDER_CPUS)
				no++;
		}
	}
	for (size_t r = 0; r < sizeof(rungs) / sizeof(rungs[0]); r++) {
		for (int i = 0; i < no; i++) {
			int c = order[i];

			for (int sgn = 1; sgn >= -1; sgn -= 2) {
				int64_t ns = sgn * rungs[r];

				for (int it = 0; it < 3; it++) {
					struct pass_out o;

					if (!f->total || left <= 0)
						return;
					if (pass_ran(rep, c, ns) || abs64(ns) > (int64_t)RC_NEAR_NS ||
					    abs64(ns) < RC_IMPROVE_MIN_NS)
						break;
					left--;
					if (!move_pass(in, opts, e, rep, sub, n, c, ns,
						       true, true, false, &o))
						return;
					if (o.doubted || o.forced > forced || (o.ahead && o.behind))
						break;
					if (o.ahead)
						ns += (int64_t)o.ahead + 1000;
					else if (o.behind)
						ns -= (int64_t)o.behind + 1000;
					else
						break;
				}
			}
		}
	}
}

/*
 * First the CPU whose clock the records show behind the most (others ran
 * ahead of it: rc_model_cpu_behind()), set forward by that much. Then
 * the targeted passes: for each finding not yet in doubt, each CPU with
 * events near it (rc_finding.near), set that CPU back by just more than
 * the nearest and the farthest of its events after the finding's (they
 * then come before it), and forward by just more than those before it
 * (every other CPU set back by as much). At most RC_CLOCK_TARGETED. No
 * further than twice what the records showed a clock off by, unless no
 * event was lost: then a pass may go as far as the events near, by
 * RC_IMPROVE_MIN_NS at least (a skew no record measures still moves a
 * CPU's events across another's); if records never fitted, it must fit
 * more of them (improve), and one that does raises that bound.
 */
static void targeted(const struct rc_clock_input *in,
		     const struct rc_model_opts *opts, struct rc_engine *e,
		     struct rc_report *rep, uint64_t *sub, int n)
{
	const struct rc_model *m = rc_engine_model(e);
	const struct rc_findings *f = rc_engine_findings(e);
	int left = RC_CLOCK_TARGETED, slow = -1;
	bool lossy = rc_model_stats(m)->lost_reports;
	bool forced = rc_model_stats(m)->forced && !lossy;
	struct pass_out o = { 0 };
	int64_t most = 0;

	for (int c = 0; c < n; c++) {
		if (rc_model_cpu_behind(m, c) && (slow < 0 ||
		    rc_model_cpu_behind(m, c) > rc_model_cpu_behind(m, slow)))
			slow = c;
		if ((int64_t)rc_model_cpu_ahead(m, c) > most)
			most = (int64_t)rc_model_cpu_ahead(m, c);
	}
	most = 2 * most + 1000;
	/* set forward further while that pass still finds it behind (3 at most) */
	for (uint64_t fwd = slow >= 0 ? rc_model_cpu_behind(m, slow) + 1000 : 0;
	     fwd && fwd <= RC_CLOCK_MAX_NS && f->total && left > RC_CLOCK_TARGETED - 3;
	     fwd += o.behind + 1000) {
		left--;
		if (!move_pass(in, opts, e, rep, sub, n, slow, -(int64_t)fwd,
			       false, false, false, &o))
			return;
		if (!o.behind)
			break;
	}

	/*
	 * First past the nearest and the farthest events of each CPU near
	 * each finding; then, with RC_CLOCK_MIDS passes of their own, past
	 * the ones between (the order a violation rests on may be that of an
	 * event in the middle: a zap's end between its start and its put).
	 */
	for (int mids = 0; mids < 2; mids++) {
		if (mids)
			left = RC_CLOCK_MIDS;
		for (size_t i = 0; i < f->n && left > 0 && f->total; i++) {
			const struct rc_finding *x = &f->v[i];

			for (unsigned int k = 0; k < x->nnear && left > 0; k++) {
				const struct rc_near *nr = &x->near[k];
				int64_t try[2 * RC_NEAR_MIDS];
				int nt = 0;

				if (nr->cpu >= n)
					continue;
				for (int j = 0; !mids && j < 2; j++) {
					if (nr->has_after)
						try[nt++] = (int64_t)(nr->after[j] + 1000);
					if (nr->has_before)
						try[nt++] = -(int64_t)(nr->before[j] + 1000);
				}
				for (int j = 0; mids && j < RC_NEAR_MIDS; j++) {
					if (j < nr->nmid_after && nr->mid_after[j] != nr->after[1])
						try[nt++] = (int64_t)(nr->mid_after[j] + 1000);
					if (j < nr->nmid_before && nr->mid_before[j] != nr->before[1])
						try[nt++] = -(int64_t)(nr->mid_before[j] + 1000);
				}
				for (int t = 0; t < nt && left > 0; t++) {
					bool far = abs64(try[t]) > most;

					if (x->retracted || x->clock_doubt ||
					    (far && (lossy || (abs64(try[t]) < RC_IMPROVE_MIN_NS && !forced))) ||
					    pass_ran(rep, nr->cpu, try[t]))
						continue;
					left--;
					if (!move_pass(in, opts, e, rep, sub, n,
						       nr->cpu, try[t], true, far && forced,
						       far && !forced, &o))
						return;
					/* the records fit better so: a clock off by this much */
					if (far && o.doubted && 2 * abs64(try[t]) + 1000 > most)
						most = 2 * abs64(try[t]) + 1000;
				}
			}
		}
	}
}

void rc_clock_check(const struct rc_clock_input *in,
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
		uint64_t total = (uint64_t)seed[i].ns + 1000;
		struct pass_out o;
		struct rc_pass p = { .cpu = cpu, .moved = -1 };

		for (int it = 0; it < RC_CLOCK_PASSES / nseed && rc_engine_findings(e)->total &&
		     total <= RC_CLOCK_MAX_NS; it++) {
			memset(sub, 0, (size_t)n * sizeof(*sub));
			sub[cpu] = total;
			p.ns = (int64_t)total;
			if (clock_pass(in, opts, e, sub, n, &p, &o))
				break;
			rep->shift[rep->nshift++] = (struct rc_clock_shift){ .cpu = cpu, .ns = (int64_t)total };
			if (o.ahead >= o.other_ahead && o.ahead)
				total += o.ahead + 1000;
			else if (o.other_ahead && o.other_ahead + 1000 < total)
				total -= o.other_ahead + 1000;
			else
				break;
		}
	}
	targeted(in, opts, e, rep, sub, n);
	ladder(in, opts, e, rep, sub, n);
	free(sub);
}

