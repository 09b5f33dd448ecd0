// SPDX-License-Identifier: GPL-2.0
/*
 * The model's bookkeeping, seen through its hooks: lost-event marks are
 * applied to a root only when the model next looks at it, with the effect
 * a walk of every root at the mark had; the end of a fast zap shows judge
 * the lives a rule may fire on, not the VM's freed ones. The model is fed
 * directly, with hooks that record what they are shown.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "findings.h"
#include "model.h"
#include "model_tomb.h"
#include "rules.h"
#include "unit.h"

#define KVM 0xffff888004000000ull
#define KVM2 0xffff888004100000ull
#define R1 0x1000000ull
#define R2 0x2000000ull
#define R3 0x3000000ull
#define R4 0x4000000ull
#define VCPU 100
#define ITER 200
#define FZ 300

#define MAX_CALLS 16384

/* What the hooks were shown. */
struct seen {
	struct lost_call { uint64_t addr; int cpu; uint64_t since; } lost[MAX_CALLS];
	unsigned int nlost;
	struct judge_call {
		uint64_t addr;
		enum rc_ev_type type;
		bool unverified, lost_after_free, freed, recalled;
		bool own_side;		/* r->side is its own (rc_root_side) */
		uint32_t life;
		uint64_t id, nevents;
		unsigned int nhist;	/* rc_root_history() */
		enum rc_ev_type hist0;	/* its first event's type */
	} judge[MAX_CALLS];
	unsigned int njudge;
	struct gone_call { uint64_t addr, id; bool unverified, lost_after_free; } gone[MAX_CALLS];
	unsigned int ngone, ngone_all;
	bool wants_freed;
	int find_on;		/* judge finds something on an event of this type */
};

static struct seen S;
static struct rc_model *M;
static uint64_t seq;

static bool h_judge(void *arg, const struct rc_model *m, const struct rc_root *r,
		    const struct rc_event *ev, uint64_t fz_start)
{
	struct rc_event h[RC_HIST + RC_KEY];

	(void)arg, (void)m, (void)fz_start;
	if (S.njudge < MAX_CALLS) {
		unsigned int n = rc_root_history(r, h, RC_HIST + RC_KEY);

		S.judge[S.njudge++] = (struct judge_call){
			r->addr, ev->type, r->unverified, r->lost_after_free, r->freed,
			r->recalled, r->side != &rc_root_side_none, r->life, r->id,
			r->nevents, n,
			n ? h[0].type : RC_EV__COUNT };
	}
	return (int)ev->type == S.find_on;
}

static void h_lost(void *arg, const struct rc_root *r, int cpu, uint64_t since)
{
	(void)arg;
	if (S.nlost < MAX_CALLS)
		S.lost[S.nlost++] = (struct lost_call){ r->addr, cpu, since };
}

static void h_gone(void *arg, const struct rc_root *r)
{
	(void)arg;
	S.ngone_all++;
	if (S.ngone < MAX_CALLS)
		S.gone[S.ngone++] = (struct gone_call){ r->addr, r->id, r->unverified,
							r->lost_after_free };
}

static bool h_wants_freed(void *arg)
{
	(void)arg;
	return S.wants_freed;
}

static void start(bool with_wants_freed)
{
	struct rc_model_opts o = { .design = RC_DESIGN_AUTO };
	struct rc_model_hooks h = { .judge = h_judge, .lost = h_lost, .gone = h_gone };

	if (with_wants_freed)
		h.wants_freed = h_wants_freed;
	rc_model_free(M);
	memset(&S, 0, sizeof(S));
	S.find_on = -1;
	M = rc_model_new(&o, &h);
	seq = 0;
}

static void at(int cpu, uint64_t ts, struct rc_event ev)
{
	ev.seq = seq++;
	ev.cpu = cpu;
	ev.ts = ts;
	if (!ev.kvm && ev.type != RC_EV_LOST && ev.type != RC_EV_FAST_ZAP_START)
		ev.kvm = KVM;
	rc_model_feed(M, &ev);
}

static void alloc_at(int cpu, uint64_t ts, uint64_t kvm, uint64_t root)
{
	at(cpu, ts, (struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .kvm = kvm,
				       .root = root, .count = 2, .level = 4 });
}

static void get_at(int cpu, uint64_t ts, uint64_t kvm, uint64_t root, uint32_t old)
{
	at(cpu, ts, (struct rc_event){ .type = RC_EV_ROOT_GET, .pid = ITER, .kvm = kvm,
				       .root = root, .owner = RC_OWN_ITER, .old = old });
}

static void put_at(int cpu, uint64_t ts, uint64_t root, int pid, int owner, uint32_t old)
{
	at(cpu, ts, (struct rc_event){ .type = RC_EV_ROOT_PUT, .pid = pid, .root = root,
				       .owner = owner, .old = old });
}

static void lost_at(int cpu, uint64_t ts)
{
	at(cpu, ts, (struct rc_event){ .type = RC_EV_LOST, .lost = 1 });
}

static unsigned int lost_calls(uint64_t addr)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < S.nlost; i++)
		n += S.lost[i].addr == addr;
	return n;
}

static const struct lost_call *lost_call(uint64_t addr, int cpu)
{
	for (unsigned int i = 0; i < S.nlost; i++)
		if (S.lost[i].addr == addr && S.lost[i].cpu == cpu)
			return &S.lost[i];
	return NULL;
}

static const struct judge_call *last_judge(uint64_t addr)
{
	for (unsigned int i = S.njudge; i-- > 0;)
		if (S.judge[i].addr == addr)
			return &S.judge[i];
	return NULL;
}

static unsigned int judged(uint64_t addr, enum rc_ev_type type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < S.njudge; i++)
		n += S.judge[i].addr == addr && S.judge[i].type == type;
	return n;
}

/*
 * A live root untouched across several marks of two CPUs: nothing
 * happens to it at the marks; the next event on it first applies them,
 * once per CPU with the earliest since (the last event read on that CPU
 * before the first mark it missed), as the walk of every root at each
 * mark would have.
 */
static void test_lost_lazy(void)
{
	const struct lost_call *c;
	const struct judge_call *j;

	start(false);
	alloc_at(0, 1000, KVM, R1);
	alloc_at(1, 2000, KVM, R2);
	get_at(1, 3000, KVM, R2, 2);
	lost_at(0, 4000);		/* cpu 0: since 1000 */
	get_at(0, 5000, KVM, R2, 3);	/* R2 catches up, R1 does not */
	lost_at(0, 6000);		/* since 5000 */
	lost_at(1, 7000);		/* since 3000 */
	lost_at(0, 8000);		/* since 6000 (the mark itself) */
	CHECK(lost_calls(R1) == 0);	/* not looked at since the first mark */
	CHECK(lost_calls(R2) == 1 && lost_call(R2, 0)->since == 1000);
	CHECK(rc_model_stats(M)->lost_reports == 4);

	put_at(1, 9000, R1, VCPU, RC_OWN_VCPU, 2);
	j = last_judge(R1);
	CHECK(j && j->type == RC_EV_ROOT_PUT && j->unverified);	/* before judge */
	CHECK(lost_calls(R1) == 2);
	c = lost_call(R1, 0);
	CHECK(c && c->since == 1000);	/* the first of its three marks */
	c = lost_call(R1, 1);
	CHECK(c && c->since == 3000);
	/* R2 missed the marks after the get: cpu 0 since 5000, cpu 1 since 3000 */
	rc_model_finish(M);
	CHECK(lost_calls(R2) == 3 && lost_call(R2, 1)->since == 3000);
	CHECK(S.lost[S.nlost - 1].addr == R2 || S.lost[S.nlost - 2].addr == R2);
	CHECK(rc_model_stats(M)->roots_unverified == 2);

	/* Roots born after a mark are not touched by it. */
	start(false);
	lost_at(0, 1000);
	alloc_at(0, 2000, KVM, R1);
	get_at(0, 3000, KVM, R1, 2);
	rc_model_finish(M);
	CHECK(lost_calls(R1) == 0 && rc_model_stats(M)->roots_unverified == 0);

	/*
	 * More marks than the log keeps (it is emptied by catching every
	 * root up): the outcome does not change.
	 */
	start(false);
	alloc_at(0, 1000, KVM, R1);
	alloc_at(1, 1500, KVM, R3);
	for (unsigned int i = 0; i < 5000; i++) {
		lost_at(0, 2000 + 10 * i);
		get_at(0, 2005 + 10 * i, KVM, R3, 2 + i);	/* R3 looked at each time */
	}
	CHECK(lost_calls(R1) <= 4);	/* caught up only by the flushes */
	put_at(1, 100000, R1, VCPU, RC_OWN_VCPU, 2);
	/* the walk at each mark: 5000 calls, what they withdraw the first does */
	CHECK(lost_calls(R1) >= 1 && lost_calls(R1) <= 5);
	CHECK(lost_call(R1, 0) && lost_call(R1, 0)->since == 1000 && !lost_call(R1, 1));
	j = last_judge(R1);
	CHECK(j && j->unverified);
	rc_model_finish(M);
	CHECK(rc_model_stats(M)->roots_unverified == 2);
}

/*
 * A mark whose since is below the last one logged for its CPU (a clock
 * that went back) is applied to every root at once, as before.
 */
static void test_lost_backwards(void)
{
	start(false);
	alloc_at(0, 1000, KVM, R1);
	alloc_at(1, 1100, KVM, R2);
	at(0, 5000, (struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	lost_at(0, 5001);		/* since 5000: logged */
	at(0, 3000, (struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	lost_at(0, 3001);		/* since 3000 < 5000: every root now */
	CHECK(lost_calls(R1) == 2 && lost_calls(R2) == 2);
	CHECK(S.lost[0].since == 5000 && S.lost[2].since == 3000);
	rc_model_finish(M);
	CHECK(lost_calls(R1) == 2 && rc_model_stats(M)->roots_unverified == 2);
}

/*
 * A freed root untouched across marks: with its last event before a
 * mark's since it may have a new life's alloc among the lost events
 * (lost_after_free); a mark of a CPU whose last event came before the
 * root's last one makes it unverified instead. Both, across the marks
 * it missed, as the walk at each mark did.
 */
static void test_lost_freed(void)
{
	start(false);
	alloc_at(0, 1000, KVM, R1);
	put_at(0, 2000, R1, VCPU, RC_OWN_VCPU, 2);
	at(0, 2500, (struct rc_event){ .type = RC_EV_ROOT_INVALIDATE, .pid = FZ, .root = R1,
				       .reason = RC_RSN_FAST_ZAP });
	put_at(0, 2600, R1, FZ, RC_OWN_ZAP, 1);
	at(0, 3000, (struct rc_event){ .type = RC_EV_ROOT_FREE, .pid = FZ, .root = R1 });
	at(1, 1500, (struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	lost_at(1, 3100);		/* cpu 1 since 1500 < 3000: unverified */
	at(0, 4000, (struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	lost_at(0, 4100);		/* cpu 0 since 4000 > 3000: lost_after_free */
	lost_at(0, 4200);
	CHECK(lost_calls(R1) == 0);
	/* the next event at the address: a new life, not a use after free */
	get_at(0, 5000, KVM, R1, 2);
	CHECK(S.ngone == 1 && S.gone[0].addr == R1 && S.gone[0].lost_after_free &&
	      S.gone[0].unverified);
	CHECK(lost_calls(R1) == 1 && lost_call(R1, 1) && lost_call(R1, 1)->since == 1500);
	CHECK(rc_model_stats(M)->roots_adopted == 1);
	CHECK(judged(R1, RC_EV_ROOT_GET) == 1 && !last_judge(R1)->freed);

	/* A loss before the free, on the free's CPU: the root stays the owner. */
	start(false);
	alloc_at(0, 1000, KVM, R1);
	lost_at(0, 1100);		/* since 1000 */
	put_at(0, 2000, R1, VCPU, RC_OWN_VCPU, 2);
	at(0, 2500, (struct rc_event){ .type = RC_EV_ROOT_INVALIDATE, .pid = FZ, .root = R1,
				       .reason = RC_RSN_FAST_ZAP });
	put_at(0, 2600, R1, FZ, RC_OWN_ZAP, 1);
	at(0, 3000, (struct rc_event){ .type = RC_EV_ROOT_FREE, .pid = FZ, .root = R1 });
	CHECK(lost_calls(R1) == 1);
	get_at(0, 5000, KVM, R1, 2);
	CHECK(S.ngone == 0 && last_judge(R1) && last_judge(R1)->freed);
}

/*
 * A zap of a valid root whose task's next event may be among the lost
 * ones is judged at the mark itself, in the order of a walk of the
 * hash, not when the root is next looked at; a zap after the mark's
 * since is not, the root is unverified.
 */
static void test_lost_zap_valid(void)
{
	start(false);
	alloc_at(0, 1000, KVM, R1);
	alloc_at(0, 1100, KVM, R2);
	alloc_at(0, 1200, KVM, R3);
	at(0, 2000, (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = FZ, .root = R2,
				       .ctx = RC_CTX_FAST_ZAP });
	at(0, 2100, (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = FZ, .root = R1,
				       .ctx = RC_CTX_FAST_ZAP });
	at(1, 2200, (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = FZ, .root = R3,
				       .ctx = RC_CTX_FAST_ZAP });
	S.njudge = 0;
	lost_at(0, 3000);		/* since 2100: R1 and R2, not R3 (cpu 1, 2200) */
	CHECK(S.njudge == 2 && S.judge[0].type == RC_EV_LOST && S.judge[1].type == RC_EV_LOST);
	/* the hash's order (R2's bucket is 74, R1's 165), not the list's */
	CHECK(S.njudge == 2 && S.judge[0].addr == R2 && S.judge[1].addr == R1);
	CHECK(S.njudge == 2 && !S.judge[0].unverified && !S.judge[1].unverified);
	CHECK(lost_calls(R1) == 1 && lost_calls(R2) == 1);	/* at once, after judge */
	lost_at(0, 3100);		/* judged once: the zap is forgotten */
	CHECK(S.njudge == 2);
	rc_model_finish(M);
	CHECK(judged(R3, RC_EV_LOST) == 0 && rc_model_stats(M)->roots_unverified == 3);

	/* Through the engine: the finding names the zap, "then lost". */
	{
		struct rc_model_opts o = { .design = RC_DESIGN_AUTO };
		struct rc_engine *e = rc_engine_new(&o);
		const struct rc_findings *f;
		struct rc_event ev = { .type = RC_EV_ROOT_ALLOC, .kvm = KVM, .root = R4,
				       .count = 2, .pid = VCPU, .ts = 1000 };

		rc_engine_feed(e, &ev);
		ev = (struct rc_event){ .type = RC_EV_ROOT_PUT, .kvm = KVM, .root = R4,
					.pid = VCPU, .owner = RC_OWN_VCPU, .old = 2, .seq = 1,
					.ts = 1500 };
		rc_engine_feed(e, &ev);
		ev = (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .kvm = KVM, .root = R4,
					.pid = FZ, .ctx = RC_CTX_FAST_ZAP, .seq = 2, .ts = 2000 };
		rc_engine_feed(e, &ev);
		CHECK(rc_engine_findings(e)->n == 0);
		ev = (struct rc_event){ .type = RC_EV_LOST, .lost = 1, .seq = 3, .ts = 3000 };
		rc_engine_feed(e, &ev);
		f = rc_engine_findings(e);
		CHECK(f->n == 1 && f->v[0].rule == RC_R_ROOT_ZAP_VALID &&
		      strstr(f->v[0].detail, "then lost") && !f->v[0].retracted);
		rc_engine_finish(e);
		CHECK(f->n == 1 && !f->v[0].retracted && f->total == 1);
		rc_engine_free(e);
	}
}

/*
 * A live root another VM's get names at its address is a twin only if
 * no lost-event mark touched it, caught up or not.
 */
static void test_lost_twin(void)
{
	struct rc_model_opts o = { .design = RC_DESIGN_AUTO };
	struct rc_engine *e;
	struct rc_event ev;

	for (int loss = 0; loss < 2; loss++) {
		e = rc_engine_new(&o);
		ev = (struct rc_event){ .type = RC_EV_ROOT_ALLOC, .kvm = KVM, .root = R1,
					.count = 2, .pid = VCPU, .ts = 1000 };
		rc_engine_feed(e, &ev);
		if (loss) {
			ev = (struct rc_event){ .type = RC_EV_LOST, .lost = 1, .seq = 1, .ts = 1500 };
			rc_engine_feed(e, &ev);
		}
		/* the other VM's life at the address, born after the loss */
		ev = (struct rc_event){ .type = RC_EV_ROOT_ALLOC, .kvm = KVM2, .root = R1,
					.count = 2, .pid = VCPU, .seq = 2, .ts = 2000 };
		rc_engine_feed(e, &ev);
		ev = (struct rc_event){ .type = RC_EV_ROOT_GET, .kvm = KVM2, .root = R1,
					.owner = RC_OWN_VCPU, .old = 2, .pid = VCPU, .seq = 3,
					.ts = 3000 };
		rc_engine_feed(e, &ev);
		rc_engine_finish(e);
		if (loss)
			CHECK(rc_engine_findings(e)->n == 0);
		else
			CHECK(rc_engine_findings(e)->n == 1 &&
			      rc_engine_findings(e)->v[0].rule == RC_R_ROOT_CROSS_VM);
		rc_engine_free(e);
	}
}

/*
 * A vCPU reference another task puts (VM destruction) is what one vCPU
 * has loaded: task 101 allocated R1, never put it and loaded R2; task
 * 102 loaded R1; the destroying task puts one vCPU reference of R1. That
 * is 102's: the leak the teardown names is 101's alloc, not 102's get
 * (which the oldest-first match named).
 */
static void test_foreign_vcpu_put(void)
{
	struct rc_model_opts o = { .design = RC_DESIGN_AUTO };
	const struct rc_event evs[] = {
		{ .type = RC_EV_ROOT_ALLOC, .root = R1, .count = 1, .pid = 101 },
		{ .type = RC_EV_ROOT_ALLOC, .root = R2, .count = 1, .pid = 101 },
		{ .type = RC_EV_ROOT_GET, .root = R1, .owner = RC_OWN_VCPU, .old = 1, .pid = 102 },
		{ .type = RC_EV_ROOT_PUT, .root = R1, .owner = RC_OWN_VCPU, .old = 2, .pid = 999 },
		{ .type = RC_EV_ROOT_PUT, .root = R2, .owner = RC_OWN_VCPU, .old = 2, .pid = 999 },
		{ .type = RC_EV_TEARDOWN, .pid = 999 },
	};
	struct rc_engine *e = rc_engine_new(&o);
	const struct rc_findings *f;
	bool seen = false;

	for (unsigned int i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		struct rc_event ev = evs[i];

		ev.kvm = KVM;
		ev.seq = i;
		ev.ts = 1000 * (i + 1);
		rc_engine_feed(e, &ev);
	}
	rc_engine_finish(e);
	f = rc_engine_findings(e);
	for (size_t i = 0; i < f->n; i++) {
		const struct rc_finding *x = &f->v[i];

		if (x->e.root != R1 || x->rule != RC_R_TEARDOWN_LEAK)
			continue;
		seen = true;
		CHECK(x->has_cause && x->cause.seq == 0 && x->cause.pid == 101);
	}
	CHECK(seen);
	rc_engine_free(e);
}

/* Root addr: allocated, a vCPU put, invalidated, zapped, put, freed (cpu 0). */
static void life(uint64_t addr, uint64_t ts)
{
	alloc_at(0, ts, KVM, addr);
	put_at(0, ts + 10, addr, VCPU, RC_OWN_VCPU, 2);
	at(0, ts + 20, (struct rc_event){ .type = RC_EV_ROOT_INVALIDATE, .pid = FZ,
					  .root = addr, .reason = RC_RSN_FAST_ZAP });
	at(0, ts + 30, (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = FZ,
					  .root = addr, .ctx = RC_CTX_FAST_ZAP });
	at(0, ts + 40, (struct rc_event){ .type = RC_EV_ROOT_ZAP_END, .pid = FZ,
					  .root = addr, .ctx = RC_CTX_FAST_ZAP });
	put_at(0, ts + 50, addr, FZ, RC_OWN_ZAP, 1);
	at(0, ts + 60, (struct rc_event){ .type = RC_EV_ROOT_FREE, .pid = FZ, .root = addr });
}

static void fz_done_at(uint64_t ts)
{
	at(0, ts, (struct rc_event){ .type = RC_EV_FAST_ZAP_DONE, .pid = FZ });
}

/*
 * The end of a fast zap shows judge the VM's live roots, not its freed
 * lives (no rule fires on them then), unless the hook asks for them; a
 * freed life with a zap of the valid root still to judge is shown.
 */
static void test_fz_skips_freed(void)
{
	start(true);
	life(R1, 1000);
	life(R2, 2000);
	alloc_at(0, 3000, KVM, R3);
	S.njudge = 0;
	fz_done_at(4000);
	CHECK(S.njudge == 1 && S.judge[0].addr == R3 &&
	      S.judge[0].type == RC_EV_FAST_ZAP_DONE);

	S.njudge = 0;
	S.wants_freed = true;		/* all, newest first, as before */
	fz_done_at(5000);
	CHECK(S.njudge == 3 && S.judge[0].addr == R3 && S.judge[1].addr == R2 &&
	      S.judge[2].addr == R1);

	/* a finding during the walk: the oldest life is judged last, still */
	S.njudge = 0;
	S.wants_freed = false;
	S.find_on = RC_EV_FAST_ZAP_DONE;
	fz_done_at(5500);
	CHECK(S.njudge == 1 && S.judge[0].addr == R3);

	/* Without the hook: never. */
	start(false);
	life(R1, 1000);
	alloc_at(0, 3000, KVM, R3);
	S.njudge = 0;
	fz_done_at(4000);
	CHECK(S.njudge == 1 && S.judge[0].addr == R3);

	/*
	 * A zap of the valid root R2 by a task that has not touched it
	 * since, then R2's free by another: its fast zap's end judges it.
	 */
	start(false);
	life(R1, 1000);
	alloc_at(0, 2000, KVM, R2);
	put_at(0, 2010, R2, VCPU, RC_OWN_VCPU, 2);
	at(0, 2020, (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = FZ, .root = R2,
				       .ctx = RC_CTX_FAST_ZAP });
	put_at(0, 2025, R2, ITER, RC_OWN_MMU, 1);
	at(0, 2030, (struct rc_event){ .type = RC_EV_ROOT_FREE, .pid = ITER, .root = R2 });
	S.njudge = 0;
	fz_done_at(3000);
	CHECK(S.njudge == 1 && S.judge[0].addr == R2 && S.judge[0].freed);
	/* its task's next event on it forgets the zap: skipped from then on */
	put_at(0, 3100, R2, FZ, RC_OWN_ITER, 1);
	S.njudge = 0;
	fz_done_at(4000);
	CHECK(S.njudge == 0);
	/* teardown still forgets every life of the VM */
	at(0, 5000, (struct rc_event){ .type = RC_EV_TEARDOWN, .pid = FZ });
	CHECK(S.ngone == 2);
}

static bool wants_after_find;

static bool h_wants_after(void *arg)
{
	(void)arg;
	return wants_after_find;
}

static bool h_judge_find(void *arg, const struct rc_model *m, const struct rc_root *r,
			 const struct rc_event *ev, uint64_t fz_start)
{
	h_judge(arg, m, r, ev, fz_start);
	if (ev->type == RC_EV_FAST_ZAP_DONE && r->addr == R3)
		wants_after_find = true;	/* a finding is open now */
	return false;
}

/*
 * A hook that starts wanting the freed lives during the walk (the engine
 * opened a finding) sees the oldest life last, as the walk of every life
 * did: only that one judge call of the skipped ones could matter.
 */
static void test_fz_wants_late(void)
{
	struct rc_model_opts o = { .design = RC_DESIGN_AUTO };
	struct rc_model_hooks h = { .judge = h_judge_find, .wants_freed = h_wants_after };

	rc_model_free(M);
	memset(&S, 0, sizeof(S));
	S.find_on = -1;
	M = rc_model_new(&o, &h);
	seq = 0;
	wants_after_find = false;
	life(R1, 1000);
	life(R2, 2000);
	alloc_at(0, 3000, KVM, R3);
	S.njudge = 0;
	fz_done_at(4000);
	CHECK(S.njudge == 2 && S.judge[0].addr == R3 && S.judge[1].addr == R1);
}


#define MS 1000000ull

/* An event far from any root: the model's clock moves on. */
static void tick_at(int cpu, uint64_t ts)
{
	at(cpu, ts, (struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
}

/*
 * A freed life is kept whole until its free is RC_REORDER_NS old, then
 * small (model_tomb.h), silently: a later event at its address makes it
 * again, the same life (id, life number, event count) with the free as
 * its history, judged as freed; an alloc there starts the next life.
 */
static void test_tomb_recall(void)
{
	const struct judge_call *j;
	uint64_t id;

	start(false);
	life(R1, 1000);
	put_at(0, 2000, R1, VCPU, RC_OWN_VCPU, 1);	/* whole: its history */
	j = last_judge(R1);
	CHECK(j && j->freed && !j->recalled && j->nhist == 8 && j->hist0 == RC_EV_ROOT_ALLOC);
	id = j->id;

	start(false);
	life(R1, 1000);
	tick_at(1, 1060 + RC_REORDER_NS + 1);		/* the free is old now */
	CHECK(S.ngone == 0);
	put_at(0, 200 * MS, R1, VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R1);
	CHECK(j && j->type == RC_EV_ROOT_PUT && j->freed && j->recalled);
	/* the history (the event judged included): the free, the put */
	CHECK(j && j->id == id && j->life == 1 && j->nevents == 8);
	CHECK(j && j->nhist == 2 && j->hist0 == RC_EV_ROOT_FREE);
	CHECK(S.ngone == 0 && rc_model_stats(M)->roots == 1 &&
	      rc_model_stats(M)->roots_freed == 1);
	/* made again, it is whole until it is old again: a second free */
	at(0, 201 * MS, (struct rc_event){ .type = RC_EV_ROOT_FREE, .pid = FZ, .root = R1 });
	j = last_judge(R1);
	CHECK(j && j->type == RC_EV_ROOT_FREE && j->freed && j->nhist == 3);
	tick_at(1, 400 * MS);
	/* an alloc at the address: the next life, the old one forgotten once */
	alloc_at(0, 500 * MS, KVM, R1);
	get_at(0, 501 * MS, KVM, R1, 2);
	j = last_judge(R1);
	CHECK(j && !j->freed && !j->recalled && j->life == 2 && j->id == id + 1);
	CHECK(S.ngone == 1 && S.gone[0].id == id);
	CHECK(rc_model_stats(M)->roots == 2 && rc_model_stats(M)->roots_adopted == 0);

	/* past RC_TOMBSTONES freed lives the oldest are kept small, however young */
	start(false);
	for (uint64_t i = 0; i < RC_TOMBSTONES + 5; i++)
		life(R1 + (i << 12), 1000 + i * 100);
	put_at(0, 1 * MS, R1, VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R1);
	CHECK(j && j->freed && j->recalled && S.ngone_all == 0);
	put_at(0, 1 * MS, R1 + ((RC_TOMBSTONES + 4ull) << 12), VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R1 + ((RC_TOMBSTONES + 4ull) << 12));
	CHECK(j && j->freed && !j->recalled);
}

/*
 * Lost-event marks reach a compact tombstone as they reach a whole freed
 * life: a loss on a CPU idle since before the free leaves the life
 * unverified (the lost hook told, with that since), a loss after the
 * free may hide a new life's alloc (the next event adopts a new life).
 */
static void test_tomb_lost(void)
{
	start(false);
	tick_at(1, 500);			/* cpu 1's last event */
	life(R1, 1000);
	tick_at(0, 100 * MS);			/* R1 small now */
	lost_at(1, 100 * MS + 1);		/* since 500 < the free */
	CHECK(lost_calls(R1) == 0);		/* applied when next looked at */
	put_at(0, 101 * MS, R1, VCPU, RC_OWN_VCPU, 1);
	CHECK(last_judge(R1) && last_judge(R1)->recalled && last_judge(R1)->unverified);
	CHECK(lost_calls(R1) == 1 && lost_call(R1, 1)->since == 500);
	CHECK(rc_model_stats(M)->roots_unverified == 1);

	start(false);
	life(R1, 1000);
	tick_at(0, 100 * MS);
	lost_at(0, 100 * MS + 1);		/* since 100 ms > the free */
	get_at(0, 101 * MS, KVM, R1, 2);
	CHECK(S.ngone == 1 && S.gone[0].lost_after_free && !S.gone[0].unverified);
	CHECK(last_judge(R1) && !last_judge(R1)->freed && lost_calls(R1) == 0);
	CHECK(rc_model_stats(M)->roots_adopted == 1);

	/* a mark of a CPU out of range (since 0) walks every life at once */
	start(false);
	life(R1, 1000);
	tick_at(0, 100 * MS);
	at(5000, 100 * MS + 1, (struct rc_event){ .type = RC_EV_LOST, .lost = 1 });
	CHECK(lost_calls(R1) == 1 && rc_model_stats(M)->roots_unverified == 1);
	put_at(0, 101 * MS, R1, VCPU, RC_OWN_VCPU, 1);
	CHECK(last_judge(R1) && last_judge(R1)->recalled && last_judge(R1)->unverified);
	CHECK(lost_calls(R1) == 1);

	/* at the end of the trace: counted, told */
	start(false);
	tick_at(1, 500);
	life(R1, 1000);
	tick_at(0, 100 * MS);
	lost_at(1, 100 * MS + 1);
	rc_model_finish(M);
	CHECK(lost_calls(R1) == 1 && rc_model_stats(M)->roots_unverified == 1);
}

/*
 * A VM's compact tombstones go with it: a new VM at the same kvm does
 * not find them (its event adopts a life), and marks after the teardown
 * do not reach them; the ring's oldest goes when it is full, told.
 */
static void test_tomb_teardown_ring(void)
{
	uint64_t last;

	start(false);
	tick_at(1, 500);
	life(R1, 1000);
	tick_at(0, 100 * MS);
	at(0, 101 * MS, (struct rc_event){ .type = RC_EV_TEARDOWN, .pid = FZ });
	lost_at(1, 102 * MS);			/* since 500: after the teardown */
	get_at(0, 103 * MS, KVM, R1, 2);	/* a new VM, a new life */
	CHECK(last_judge(R1) && !last_judge(R1)->freed && last_judge(R1)->life == 1);
	CHECK(rc_model_stats(M)->roots_adopted == 1);
	/* unverified: the adopted life (events were lost), not the old one */
	CHECK(lost_calls(R1) == 0 && rc_model_stats(M)->roots_unverified == 1);
	CHECK(S.ngone == 1 && !S.gone[0].unverified);

	/* the same with the new VM seen first; a mark before the teardown counts */
	start(false);
	tick_at(1, 500);
	life(R1, 1000);
	tick_at(0, 100 * MS);
	lost_at(1, 100 * MS + 1);		/* since 500: R1 unverified */
	at(0, 101 * MS, (struct rc_event){ .type = RC_EV_TEARDOWN, .pid = FZ });
	CHECK(lost_calls(R1) == 1 && rc_model_stats(M)->roots_unverified == 1);
	alloc_at(0, 102 * MS, KVM, R2);		/* the new VM at KVM */
	put_at(0, 103 * MS, R1, VCPU, RC_OWN_VCPU, 1);
	CHECK(last_judge(R1) && !last_judge(R1)->freed && rc_model_stats(M)->roots_adopted == 1);
	CHECK(S.ngone == 1 && S.gone[0].addr == R1 && S.gone[0].unverified);

	start(false);
	for (uint64_t i = 0; i < RC_TOMBS_MAX + 10; i++)
		life(R1 + (i << 12), 1000 + i * MS);
	tick_at(0, (RC_TOMBS_MAX + 10) * MS + 100 * MS);
	CHECK(rc_model_stats(M)->roots == RC_TOMBS_MAX + 10);
	CHECK(S.ngone_all == 10);		/* the ring's 10 oldest */
	S.njudge = 0;
	last = R1 + ((RC_TOMBS_MAX + 9ull) << 12);
	put_at(0, (RC_TOMBS_MAX + 10) * MS + 200 * MS, last, VCPU, RC_OWN_VCPU, 1);
	CHECK(last_judge(last) && last_judge(last)->freed && last_judge(last)->recalled);
	put_at(0, (RC_TOMBS_MAX + 10) * MS + 201 * MS, R1, VCPU, RC_OWN_VCPU, 1);	/* gone */
	CHECK(last_judge(R1) && !last_judge(R1)->freed);
}

/*
 * Issue 15's per-root memory: a root that holds nothing back, has no zap
 * of its valid root to judge and is not freed has no rc_root_side of its
 * own; one that needs it gets one. An event whose seq, CPU or task does
 * not fit a ledger entry (struct rc_ref), or a caller past the 65,535th
 * distinct one, is counted as over a cap, not applied in a narrowed form.
 */
static void test_side_and_ref_limits(void)
{
	const struct judge_call *j;
	uint64_t caps;

	start(false);
	alloc_at(0, 1000, KVM, R1);
	get_at(0, 1100, KVM, R1, 2);
	put_at(0, 1200, R1, ITER, RC_OWN_ITER, 3);
	j = last_judge(R1);
	CHECK(j && j->type == RC_EV_ROOT_PUT && !j->own_side);
	/* a zap of the valid root: left to judge, so the root has its own */
	at(0, 1300, (struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = ITER, .root = R1,
				       .ctx = RC_CTX_WORKER });
	get_at(0, 1400, KVM, R1, 2);
	j = last_judge(R1);
	CHECK(j && j->type == RC_EV_ROOT_GET && j->own_side);
	/* freed (among the tombstones kept whole): none of its own either */
	life(R2, 2000);
	put_at(0, 2100, R2, VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R2);
	CHECK(j && j->freed && !j->recalled && !j->own_side);	/* its slot: rc_root.tomb_slot */
	CHECK(rc_model_stats(M)->over_cap == 0);

	/* out of a ledger entry's range: counted, not applied */
	start(false);
	alloc_at(0, 1000, KVM, R1);
	S.njudge = 0;
	at(0, 1100, (struct rc_event){ .type = RC_EV_ROOT_GET, .pid = 1 << 23, .root = R1,
				       .owner = RC_OWN_ITER, .old = 2 });
	at(8192, 1200, (struct rc_event){ .type = RC_EV_ROOT_GET, .pid = ITER, .root = R1,
					  .owner = RC_OWN_ITER, .old = 2 });
	seq = 1ull << RC_REF_SEQ_BITS;
	get_at(0, 1300, KVM, R1, 2);
	CHECK(S.njudge == 0 && rc_model_stats(M)->over_cap == 3);
	seq = 100;
	at(8191, 1400, (struct rc_event){ .type = RC_EV_ROOT_GET, .pid = (1 << 23) - 1,
					  .root = R1, .owner = RC_OWN_ITER, .old = 2 });
	CHECK(S.njudge == 1 && rc_model_stats(M)->over_cap == 3);

	/* 65,540 distinct callers: the ledger entries of the last 5 keep none */
	start(false);
	alloc_at(0, 1000, KVM, R1);
	for (uint32_t k = 0; k < 65540; k++) {
		at(0, 2000 + 2 * k, (struct rc_event){ .type = RC_EV_ROOT_GET, .pid = ITER,
						       .root = R1, .owner = RC_OWN_ITER, .old = 2,
						       .caller = 0xffffffff81000000ull + 16 * k });
		put_at(0, 2001 + 2 * k, R1, ITER, RC_OWN_ITER, 3);
	}
	caps = rc_model_stats(M)->over_cap;
	CHECK(caps == 5);
}

/*
 * The freed lives kept whole are a ring of RC_TOMB_RING slots: lives
 * forgotten from its middle (an alloc again at their address) leave
 * holes, closed when the ring is full of them. The oldest life stays
 * the oldest and whole through that.
 */
static void test_tomb_ring_compact(void)
{
	const struct judge_call *j;
	uint64_t ts = 2000;

	start(false);
	life(R1, 1000);
	life(R4, 1100);
	for (uint64_t i = 0; i < RC_TOMB_RING + 50; i++, ts += 200)
		life(R2 + ((i % 8) << 12), ts);	/* forgets that address's life before */
	CHECK(S.ngone_all == RC_TOMB_RING + 50 - 8);
	/* R1's free is under RC_REORDER_NS old: still whole */
	put_at(0, ts, R1, VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R1);
	CHECK(j && j->freed && !j->recalled && j->nhist == 8);
	/* past the bound the rest are made small (R1 cannot: a put after its free) */
	tick_at(1, ts + RC_REORDER_NS + 1000);
	put_at(0, ts + RC_REORDER_NS + 2000, R2, VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R2);
	CHECK(j && j->freed && j->recalled && j->life == (RC_TOMB_RING + 50) / 8 + 1);
	put_at(0, ts + RC_REORDER_NS + 3000, R4, VCPU, RC_OWN_VCPU, 1);
	j = last_judge(R4);
	CHECK(j && j->freed && j->recalled && j->nhist == 2);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_lost_lazy),
	UNIT_TEST(test_lost_backwards),
	UNIT_TEST(test_lost_freed),
	UNIT_TEST(test_lost_zap_valid),
	UNIT_TEST(test_lost_twin),
	UNIT_TEST(test_foreign_vcpu_put),
	UNIT_TEST(test_fz_skips_freed),
	UNIT_TEST(test_fz_wants_late),
	UNIT_TEST(test_tomb_recall),
	UNIT_TEST(test_tomb_lost),
	UNIT_TEST(test_tomb_teardown_ring),
	UNIT_TEST(test_side_and_ref_limits),
	UNIT_TEST(test_tomb_ring_compact),
};

static void free_model(void)
{
	rc_model_free(M);
}

int main(int argc, char **argv)
{
	return unit_main("model", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, free_model);
}
