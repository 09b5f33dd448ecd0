// SPDX-License-Identifier: GPL-2.0
/* The engine: model -> rules -> findings (engine.h). */
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "findings.h"
#include "model.h"
#include "rules.h"

/* events of gone lives kept for findings on the next life (near_open()) */
#define RC_GONE_EVENTS 64
#define RC_GONE_LIFE RC_HIST	/* of each gone life, its latest at most */

struct rc_engine {
	struct rc_model *m;
	struct rc_findings f;
	/* findings still noting events near them (rc_finding_near()) */
	size_t *open;
	size_t nopen, cap_open;
	/*
	 * The latest events of root lives gone (the next alloc at the address
	 * ends a freed life): a finding on the next life notes those of other
	 * CPUs as near, since with a clock off they may be its own.
	 */
	struct rc_event gone_ev[RC_GONE_EVENTS];
	unsigned int ngone_ev, gone_next;
};

/* Note ev on r for the findings on r's root whose event it is near. */
static void near_note(struct rc_engine *e, const struct rc_root *r,
		      const struct rc_event *ev)
{
	for (size_t i = 0; i < e->nopen;) {
		struct rc_finding *x = &e->f.v[e->open[i]];

		if (ev->ts > x->ev.ts && ev->ts - x->ev.ts > RC_NEAR_NS) {
			e->open[i] = e->open[--e->nopen];	/* closed */
			continue;
		}
		if (x->e.kvm == r->kvm && x->e.root == r->addr && ev->seq != x->ev.seq)
			rc_finding_near(x, ev, true);
		i++;
	}
}

/* Finding x (index i) was just stored: note its history, keep it open. */
static void near_open(struct rc_engine *e, struct rc_finding *x, size_t i)
{
	for (unsigned int k = 0; k < x->e.nhist; k++)
		if (x->e.hist[k].seq != x->ev.seq)
			rc_finding_near(x, &x->e.hist[k], x->e.hist[k].seq > x->ev.seq);
	for (unsigned int k = 0; k < e->ngone_ev; k++) {
		const struct rc_event *g = &e->gone_ev[k];

		if (g->kvm == x->e.kvm && g->root == x->e.root && g->seq < x->ev.seq)
			rc_finding_near(x, g, false);
	}
	if (e->nopen == e->cap_open) {
		size_t cap = e->cap_open ? 2 * e->cap_open : 16;
		size_t *v = realloc(e->open, cap * sizeof(*v));

		if (!v)
			return;	/* no later events noted: fewer orders tried */
		e->open = v;
		e->cap_open = cap;
	}
	e->open[e->nopen++] = i;
}

static void evidence(const struct rc_root *r, const struct rc_event *ev,
		     struct rc_evidence *e)
{
	memset(e, 0, sizeof(*e));
	e->kvm = r->kvm;
	e->root = r->addr;
	e->root_id = r->id;
	e->life = r->life;
	e->count = r->count_known ? r->count : -1;
	memcpy(e->owners, r->owners, sizeof(e->owners));
	e->nevents = r->nevents;
	e->nhist = rc_root_history(r, e->hist, RC_FINDING_HIST);
	/* A VM-level moment is not in the root's history: end with it. */
	if (!e->nhist || e->hist[e->nhist - 1].seq != ev->seq ||
	    e->hist[e->nhist - 1].type != ev->type) {
		if (e->nhist == RC_FINDING_HIST)
			memmove(e->hist, e->hist + 1, --e->nhist * sizeof(e->hist[0]));
		e->hist[e->nhist++] = *ev;
		e->nevents++;
	}
	rc_events_time_order(e->hist, e->nhist);
}

static bool on_judge(void *arg, const struct rc_model *m,
		     const struct rc_root *r, const struct rc_event *ev,
		     uint64_t fz_start)
{
	struct rc_engine *e = arg;
	struct rc_rule_in in = { .r = r, .ev = ev, .fz_start = fz_start };
	struct rc_verdict v;
	struct rc_evidence ev_e;

	if (e->nopen)
		near_note(e, r, ev);
	if (ev->type == RC_EV_ROOT_GET)
		in.twin = rc_model_twin(m, r);
	else if (ev->type == RC_EV_ROOT_PUT)
		in.put_match = rc_model_put_match(m, r, ev);
	rc_rules_judge(&in, &v);
	if (v.rule < 0)
		return false;
	if (rc_findings_admit(&e->f, r->id, r->unverified) == RC_ADMIT_NEW) {
		struct rc_finding *x;

		evidence(r, ev, &ev_e);
		x = rc_findings_add(&e->f, &v, v.has_at ? &v.at_ev : ev, &ev_e);
		if (v.unordered) {
			/*
			 * A possible violation only (in doubt from the start,
			 * stored or not); the root's counts are not a bug's,
			 * and a later finding on it is reported (the root is
			 * not held as violated).
			 */
			rc_findings_forget(&e->f, r->id);
			return false;
		}
		if (x)
			near_open(e, x, (size_t)(x - e->f.v));
	}
	return true;
}

static void on_lost(void *arg, const struct rc_root *r, int cpu, uint64_t since)
{
	struct rc_engine *e = arg;

	rc_findings_retract_after(&e->f, r->id, cpu, since);
}

static void on_gone(void *arg, const struct rc_root *r)
{
	struct rc_engine *e = arg;
	struct rc_event h[RC_GONE_LIFE];
	unsigned int n;

	rc_findings_forget(&e->f, r->id);
	if (!r->vm || !r->freed || r->vm->torn_down)
		return;		/* a compact tombstone (no history), or no next life */
	n = rc_root_history(r, h, RC_GONE_LIFE);
	for (unsigned int k = 0; k < n; k++) {
		e->gone_ev[e->gone_next] = h[k];
		e->gone_next = (e->gone_next + 1) % RC_GONE_EVENTS;
		if (e->ngone_ev < RC_GONE_EVENTS)
			e->ngone_ev++;
	}
}

/*
 * on_judge() of a freed life at the end of a fast zap finds nothing, but
 * with findings open it closes or notes them (near_note()): the model
 * then shows it the freed lives too.
 */
static bool on_wants_freed(void *arg)
{
	const struct rc_engine *e = arg;

	return e->nopen != 0;
}

struct rc_engine *rc_engine_new(const struct rc_model_opts *opts)
{
	struct rc_engine *e = calloc(1, sizeof(*e));
	struct rc_model_hooks hooks = {
		.judge = on_judge, .lost = on_lost, .gone = on_gone,
		.wants_freed = on_wants_freed,
	};

	if (!e)
		return NULL;
	rc_findings_init(&e->f);
	hooks.arg = e;
	e->m = rc_model_new(opts, &hooks);
	if (!e->m) {
		free(e);
		return NULL;
	}
	return e;
}

void rc_engine_free(struct rc_engine *e)
{
	if (!e)
		return;
	rc_model_free(e->m);
	rc_findings_release(&e->f);
	free(e->open);
	free(e);
}

int rc_engine_feed(struct rc_engine *e, const struct rc_event *ev)
{
	return rc_model_feed(e->m, ev);
}

void rc_engine_finish(struct rc_engine *e)
{
	rc_model_finish(e->m);
}

const struct rc_model *rc_engine_model(const struct rc_engine *e)
{
	return e->m;
}

const struct rc_findings *rc_engine_findings(const struct rc_engine *e)
{
	return &e->f;
}

/* The time stamp ev of pass p had as recorded (p's shift undone). */
static uint64_t as_recorded(const struct rc_event *ev, const struct rc_pass *p)
{
	if (p->ns > 0)
		return ev->ts + (ev->cpu == p->cpu ? (uint64_t)p->ns : 0);
	return ev->ts + (ev->cpu == p->cpu ? 0 : (uint64_t)-p->ns);
}

/*
 * x found again by pass p in f: the same rule on the same root (VM,
 * address), on the same life or at the same event (CPU, task, type, time
 * stamp as recorded). The event holds when the pass numbers the root's
 * lives otherwise: a CPU moved so that a vCPU's get comes before an alloc
 * makes a life seen mid-life first, and every life after it is one
 * further on. Another rule at the same event, or the rule at a
 * neighbouring event, is not the same finding: under skew that is how a
 * wrong rule would be kept (docs/invariants.md, tried and dropped).
 */
static bool has_same(const struct rc_findings *f, const struct rc_finding *x,
		     const struct rc_pass *p)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct rc_finding *y = &f->v[i];

		if (y->retracted || y->e.kvm != x->e.kvm || y->e.root != x->e.root ||
		    y->rule != x->rule)
			continue;
		if (y->e.life == x->e.life)
			return true;
		if (y->ev.type == x->ev.type && y->ev.cpu == x->ev.cpu &&
		    y->ev.pid == x->ev.pid && as_recorded(&y->ev, p) == x->ev.ts)
			return true;
	}
	return false;
}

/* How many findings of y are on a root (VM, address) where x has none. */
static size_t added_roots(const struct rc_findings *x, const struct rc_findings *y)
{
	size_t n = 0;

	for (size_t i = 0; i < y->n; i++) {
		const struct rc_finding *b = &y->v[i];
		bool seen = false;

		if (b->retracted)
			continue;
		for (size_t j = 0; j < x->n && !seen; j++)
			seen = x->v[j].e.kvm == b->e.kvm && x->v[j].e.root == b->e.root;
		n += !seen;
	}
	return n;
}

/* Finding x is on cpu or noted events of cpu near its own. */
static bool near_cpu(const struct rc_finding *x, int cpu)
{
	if (x->ev.cpu == cpu)
		return true;
	for (unsigned int i = 0; i < x->nnear; i++)
		if (x->near[i].cpu == cpu)
			return true;
	return false;
}

size_t rc_engine_clock_check(struct rc_engine *e, const struct rc_engine *shifted,
			     const struct rc_pass *p)
{
	size_t n = 0, had = 0;
	bool mismatch_only;

	for (size_t i = 0; i < e->f.n; i++)
		had += !e->f.v[i].retracted;
	/*
	 * A clock set back that breaks more roots the trace as recorded
	 * found clean than it found violations at all reads the trace worse
	 * than the clock as it was: the records refute it (events late on
	 * their CPU, say, rather than a clock ahead). Nothing is doubted on
	 * its word.
	 */
	if (added_roots(&e->f, &shifted->f) > had)
		return 0;
	/*
	 * A strict pass (one CPU moved by what separates a finding from
	 * events of that CPU near it, or set forward) must read the trace at
	 * least as well as recorded: no root newly in violation, no more
	 * records that never fitted the count; and if nothing in the
	 * records asked for it (unfounded), no more root events read after
	 * their VM's teardown (the teardown comes after every root event of
	 * its VM: a CPU moved past it, with nothing of its own left to
	 * break, is moved too far). With moved >= 0 it speaks only of the
	 * findings on or near that CPU.
	 */
	if (p->strict && (added_roots(&e->f, &shifted->f) ||
			   rc_model_stats(shifted->m)->forced > rc_model_stats(e->m)->forced))
		return 0;
	if (p->unfounded && rc_model_stats(shifted->m)->after_teardown >
			    rc_model_stats(e->m)->after_teardown)
		return 0;
	if (p->improve && rc_model_stats(shifted->m)->forced >= rc_model_stats(e->m)->forced)
		return 0;
	/*
	 * A pass by a few microseconds (whole) counts only if every record
	 * fits. If it still finds violations (on roots the trace as
	 * recorded found in violation: it is strict), it speaks only of the
	 * count mismatches it does not find again: a mismatch says that no
	 * order of the CPUs chains the kernel's counts, and this pass shows
	 * one that does; any other violation it leaves where it was (a
	 * bug's own broken counts can fit after a few microseconds of
	 * reordering among events that close).
	 */
	if (p->whole && rc_model_stats(shifted->m)->forced)
		return 0;
	mismatch_only = p->whole && shifted->f.total;
	for (size_t i = 0; i < e->f.n; i++) {
		const struct rc_finding *x = &e->f.v[i];

		if (x->retracted || x->clock_doubt || has_same(&shifted->f, x, p) ||
		    (p->moved >= 0 && !near_cpu(x, p->moved)) ||
		    (mismatch_only && x->rule != RC_R_REF_COUNT_MISMATCH))
			continue;
		rc_findings_doubt(&e->f, i, p->cpu, p->ns);
		n++;
	}
	return n;
}
