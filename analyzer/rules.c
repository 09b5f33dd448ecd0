// SPDX-License-Identifier: GPL-2.0
/*
 * The invariant rules (docs/invariants.md). Everything here reads model
 * state and writes a verdict; nothing here changes the model.
 *
 * One judge function per rule; rc_rules[] lists them in order of
 * precedence: on one event the first rule that fires is the verdict, so
 * the more specific diagnosis (who was gifted what) comes before its
 * consequences (an underflow, a use after free), and facts the kernel
 * states itself (old == 1 on a valid root) before what rests on the
 * shadow count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

#define VERDICT(v, ...) \
	snprintf((v)->detail, sizeof((v)->detail), __VA_ARGS__)

static bool is_put(const struct rc_event *ev, int owner)
{
	return ev->type == RC_EV_ROOT_PUT && ev->owner == owner;
}

/* The event of a ledger entry, as the verdict's cause. */
static void cause_ref(const struct rc_root *r, const struct rc_ref *ref,
		      struct rc_verdict *v)
{
	rc_ref_event(r, ref, &v->cause_ev);
	v->cause = &v->cause_ev;
}

/* The task of the event that made the latest gift (0: none). */
static int gift_pid(const struct rc_root *r)
{
	struct rc_event g;

	return rc_root_mark(r, RC_MARK_GIFT, &g)->pid;
}

/*
 * Could task pid, which has not zapped the root, be the consumer of a
 * pending gift that puts too early? The gifted design's consumer is the
 * task that invalidated (fast zap or teardown); a worker is any task but
 * the one that invalidated.
 */
static bool consumer_to_be(const struct rc_root *r, int pid)
{
	/* count 2, nobody zapped yet: gifted (the invalidator) or hybrid (a worker) */
	if (rc_root_design(r) == RC_DESIGN_AUTO)
		return r->gifts_inval || r->gifts_defunct;
	if (r->gifts_inval && rc_inval_gift_to_fast_zap(r) && pid == gift_pid(r))
		return true;
	if ((r->gifts_defunct || (r->gifts_inval && !rc_inval_gift_to_fast_zap(r))) &&
	    pid != gift_pid(r) && pid != r->invalid_pid)
		return true;
	return false;
}

/* The cause of an ungifted put: the put that made the root defunct, if one did. */
static const struct rc_event *ungifted_cause(const struct rc_root *r,
					     struct rc_event *out)
{
	if (r->invalid_reason == RC_RSN_LAST_PUT && rc_root_has_mark(r, RC_MARK_CAUSE))
		return rc_root_mark(r, RC_MARK_CAUSE, out);
	return rc_root_mark(r, RC_MARK_GIFT, out);
}

/*
 * A zap-owned put, judged against the gifts (docs/designs.md): each
 * pending gift belongs to one consumer: a worker (zap ctx worker) for
 * last_put revivals, and for invalidate-all in the async-worker and
 * hybrid designs; the task zapping with ctx fast_zap for invalidate-all
 * in the gifted design (and v3). Each outcome is one rule; the
 * classification is here so that the three gift rules stay disjoint.
 */
enum gift_case {
	GIFT_OK,
	GIFT_RUNNING,		/* before zap: its own zap is running */
	GIFT_NOT_YET,		/* before zap: the consumer has not zapped */
	GIFT_DOUBLE,
	GIFT_NONE_V3,		/* ungifted: invalid silently after a vCPU put */
	GIFT_NONE,		/* ungifted: nothing was gifted in this life */
	GIFT_WORKERS,		/* ungifted: a last_put gift, the worker's */
	GIFT_OTHERS,		/* ungifted: a gift of another consumer */
	GIFT_SPENT,		/* ungifted: every gift already put */
};

static enum gift_case gift_case(const struct rc_root *r, const struct rc_event *ev)
{
	const struct rc_zapper *z;

	/*
	 * An adopted root invalidated before the trace began: gift unknown;
	 * a freed life made again from its compact tombstone: gifts forgotten
	 * (a put so long after the free is a use after free).
	 */
	if (!is_put(ev, RC_OWN_ZAP) || (r->adopted && !r->invalid_seq) || r->recalled)
		return GIFT_OK;
	z = rc_root_zapper(r, ev->pid);
	if (z && z->active)
		return GIFT_RUNNING;
	if (rc_gift_for(r, ev->pid) != RC_GK_NONE)
		return GIFT_OK;
	if (!r->gifted)
		return r->valid && rc_root_has_mark(r, RC_MARK_VCPU_PUT) &&
		       !r->owners[RC_OWN_VCPU] ?
		       GIFT_NONE_V3 : GIFT_NONE;
	if (z && z->consumed)
		return GIFT_DOUBLE;
	if ((!z || z->end_seq <= r->invalid_seq) && consumer_to_be(r, ev->pid))
		return GIFT_NOT_YET;
	if (r->gifts_defunct && !r->gifts_inval)
		return GIFT_WORKERS;
	if (r->gifts_inval || r->gifts_defunct)
		return GIFT_OTHERS;
	return GIFT_SPENT;
}

static bool judge_gift_put_before_zap(const struct rc_rule_in *in,
				      struct rc_verdict *v)
{
	switch (gift_case(in->r, in->ev)) {
	case GIFT_RUNNING:
		VERDICT(v, "zap put while this task's %s zap of the root is running",
			rc_ctx_name(rc_root_zapper(in->r, in->ev->pid)->ctx));
		return true;
	case GIFT_NOT_YET:
		VERDICT(v, "zap put before any zap of the root by this task");
		return true;
	default:
		return false;
	}
}

static bool judge_gift_ungifted_put(const struct rc_rule_in *in,
				    struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	enum gift_case g = gift_case(r, in->ev);
	const struct rc_zapper *z = g == GIFT_OK ? NULL : rc_root_zapper(r, in->ev->pid);

	switch (g) {
	case GIFT_NONE_V3:
		/*
		 * No invalidation event, yet a zapper puts: the root went
		 * invalid silently, the v3 way, after the last vCPU put.
		 */
		VERDICT(v, "no invalidate event: invalid since the last vCPU put (v3 bug)");
		v->cause = rc_root_mark(r, RC_MARK_VCPU_PUT, &v->cause_ev);
		return true;
	case GIFT_NONE:
		VERDICT(v, "%s", r->valid ?
			"zap put on a valid root: nothing was gifted" :
			"root was invalidated without a gift");
		return true;
	case GIFT_WORKERS:
		VERDICT(v, "%s zapper put what a last_put invalidation gave the worker",
			z ? rc_ctx_name(z->ctx) : "non-worker");
		break;
	case GIFT_OTHERS:
		VERDICT(v, "%s put a gift that belongs to %s",
			z ? rc_ctx_name(z->ctx) : "a task that did not zap it",
			rc_inval_gift_to_fast_zap(r) ? "the zap of invalidated roots"
						     : "the worker");
		break;
	case GIFT_SPENT:
		VERDICT(v, "every gift of the root was already put by its consumer");
		break;
	default:
		return false;
	}
	v->cause = ungifted_cause(r, &v->cause_ev);
	return true;
}

static bool judge_gift_double_put(const struct rc_rule_in *in,
				  struct rc_verdict *v)
{
	if (gift_case(in->r, in->ev) != GIFT_DOUBLE)
		return false;
	VERDICT(v, "this task already put its gift of the root");
	v->cause = rc_root_mark(in->r, RC_MARK_GIFT, &v->cause_ev);
	return true;
}

static bool judge_ref_get_zero(const struct rc_rule_in *in, struct rc_verdict *v)
{
	const struct rc_event *ev = in->ev;

	if (!rc_root_failed_get(in->r, ev->pid))
		return false;
	if (is_put(ev, RC_OWN_ITER)) {
		VERDICT(v, "iterator put after its get failed at refcount 0");
		return true;
	}
	if (ev->type == RC_EV_ROOT_ZAP_START && ev->ctx == RC_CTX_ZAP_ALL) {
		VERDICT(v, "zap of a root whose get failed at refcount 0");
		return true;
	}
	return false;
}

static bool judge_root_uaf(const struct rc_rule_in *in, struct rc_verdict *v)
{
	const struct rc_event *ev = in->ev;

	if (!in->r->freed)
		return false;
	switch (ev->type) {
	case RC_EV_ROOT_GET:
		if (!ev->old)
			return false;	/* a failed get is legal on a dead root */
		VERDICT(v, "get (owner %s) succeeded after free",
			rc_owner_name(ev->owner));
		return true;
	case RC_EV_ROOT_PUT:
		VERDICT(v, "put (owner %s) after free", rc_owner_name(ev->owner));
		return true;
	case RC_EV_ROOT_INVALIDATE:
		VERDICT(v, "invalidate after free");
		return true;
	case RC_EV_ROOT_ZAP_START:
		VERDICT(v, "%s zap started after free", rc_ctx_name(ev->ctx));
		return true;
	case RC_EV_ROOT_ZAP_END:
		VERDICT(v, "%s zap ended after free", rc_ctx_name(ev->ctx));
		return true;
	default:
		return false;
	}
}

static bool judge_root_double_free(const struct rc_rule_in *in,
				   struct rc_verdict *v)
{
	if (!in->r->freed)
		return false;
	VERDICT(v, "second free");
	return true;
}

static bool judge_ref_underflow(const struct rc_rule_in *in, struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;

	if (rc_ev_old(ev) > 0 && !(r->count_known && r->count <= 0))
		return false;	/* a put at or past zero (refcount_t is an int) */
	VERDICT(v, "put (owner %s) with kernel old=%d, shadow count %lld",
		rc_owner_name(ev->owner), rc_ev_old(ev),
		r->count_known ? (long long)r->count : -1LL);
	return true;
}

static bool judge_ref_put_unowned(const struct rc_rule_in *in,
				  struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;
	const struct rc_ref *spent;

	if (ev->owner >= RC_OWN__COUNT) {
		VERDICT(v, "put with unknown owner %u", ev->owner);
		return true;
	}
	if (r->adopted)
		return false;	/* references before the trace are unknown */
	if (ev->owner == RC_OWN_ITER || ev->owner == RC_OWN_VCPU) {
		/* the ledger: this put names itself when it matches nothing */
		if (in->put_match)
			return false;
	} else if (r->owners[ev->owner]) {
		return false;
	}
	spent = ev->owner == RC_OWN_VCPU ? rc_root_spent(r, ev->pid) : NULL;
	if (spent) {
		VERDICT(v, "vCPU put twice: this task already put its reference");
		cause_ref(r, spent, v);
		return true;
	}
	VERDICT(v, "%s put, but %s holds no reference", rc_owner_name(ev->owner),
		ev->owner == RC_OWN_ITER ? "this task" : "that owner");
	return true;
}

/*
 * A vCPU's get of an invalid root: the invalidation is its cause. The
 * kernel orders the two by mmu_lock (the invalidation holds it for
 * write, the vCPU's lookup for read or write), which no event records.
 * On one CPU, program order settles it. On two, nothing does but the
 * timestamps: the counts do not (an invalidation changes none in the
 * 6.4+ designs, and `old` orders the gets and puts of a root only up to
 * a count that comes back, which a CPU's clock off by a few events
 * already reorders: make skew-sim). Less than RC_ORDER_NS apart, a clock
 * off by their gap would reverse them: unordered.
 */
static void revalidate_order(const struct rc_root *r, const struct rc_event *ev,
			     struct rc_verdict *v)
{
	struct rc_event prev;
	uint64_t gap;
	bool has_prev;

	if (!r->invalid_seq ||
	    !rc_root_event_seq(r, r->invalid_seq - 1, &v->cause_ev, &prev, &has_prev) ||
	    v->cause_ev.type != RC_EV_ROOT_INVALIDATE)
		return;		/* no longer kept: judged as it is */
	v->cause = &v->cause_ev;
	if (v->cause_ev.cpu == ev->cpu || v->cause_ev.cpu < 0 || ev->cpu < 0)
		return;
	v->cross_cpu = true;
	gap = ev->ts > v->cause_ev.ts ? ev->ts - v->cause_ev.ts : v->cause_ev.ts - ev->ts;
	if (gap >= RC_ORDER_NS)
		return;
	v->unordered = true;
	v->unordered_cpu = v->cause_ev.cpu;
	/* the invalidation's CPU set forward past the get (back, if stamped after it) */
	v->unordered_ns = ev->ts >= v->cause_ev.ts ? -(int64_t)(gap + 1000) : (int64_t)(gap + 1000);
}

static bool judge_root_revalidate(const struct rc_rule_in *in,
				  struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;

	if (r->valid || !r->valid_known)
		return false;
	if (ev->type == RC_EV_ROOT_INVALIDATE) {
		VERDICT(v, "invalidated again (reason %s) after the %s invalidation",
			rc_reason_name(ev->reason), rc_reason_name(r->invalid_reason));
		return true;
	}
	if (ev->owner == RC_OWN_VCPU && ev->old) {
		VERDICT(v, "vCPU took a reference to an invalid root for reuse");
		revalidate_order(r, ev, v);
		return true;
	}
	return false;
}

/*
 * A root page belongs to one VM: a successful get that names another VM
 * while that VM's life at the address is alive took a reference through
 * the wrong struct kvm (a vCPU loading another VM's root). Only lives
 * seen from their alloc and never touched by lost events are compared.
 */
static bool judge_root_cross_vm(const struct rc_rule_in *in,
				struct rc_verdict *v)
{
	const struct rc_event *ev = in->ev;

	if (!in->twin || !ev->old)
		return false;
	VERDICT(v, "%s get names vm %llx; root is alive in vm %llx",
		rc_owner_name(ev->owner), (unsigned long long)ev->kvm,
		(unsigned long long)in->twin->kvm);
	if (rc_root_last_event(in->twin, &v->cause_ev))
		v->cause = &v->cause_ev;
	v->cross_cpu = true;
	return true;
}

/*
 * Gifted and hybrid: the MMU holds a reference until the root is
 * invalidated, so the last put of a valid root is a bug. Every design: a
 * valid root must not be freed (the async worker's last put revives it).
 */
static bool judge_root_free_valid(const struct rc_rule_in *in,
				  struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;

	if (!r->valid || !r->valid_known)
		return false;
	if (ev->type == RC_EV_ROOT_FREE) {
		/* async worker: the last put must revive it (last_put) */
		VERDICT(v, "freed while valid");
		if (rc_root_has_mark(r, RC_MARK_LAST_PUT))
			v->cause = rc_root_mark(r, RC_MARK_LAST_PUT, &v->cause_ev);
		return true;
	}
	if (ev->old == 1 && r->design != RC_DESIGN_ASYNC) {
		VERDICT(v, "last reference put (owner %s) on a valid root",
			rc_owner_name(ev->owner));
		return true;
	}
	return false;
}

static bool judge_ref_count_mismatch(const struct rc_rule_in *in,
				     struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;

	if (!r->count_known)
		return false;
	if (ev->type == RC_EV_ROOT_FREE) {
		if (!r->count)
			return false;
		VERDICT(v, "freed with shadow count %lld", (long long)r->count);
		return true;
	}
	if (ev->type == RC_EV_ROOT_GET && !ev->old) {
		/* A failed get is legal on a dying or freed root. */
		if (r->freed || r->count <= 0)
			return false;
		VERDICT(v, "get failed (kernel old=0), shadow count %lld",
			(long long)r->count);
		return true;
	}
	if (ev->old == r->count)
		return false;
	VERDICT(v, "%s: kernel old=%d, shadow count %lld",
		ev->type == RC_EV_ROOT_GET ? "get" : "put",
		rc_ev_old(ev), (long long)r->count);
	return true;
}

static bool judge_fastzap_incomplete(const struct rc_rule_in *in,
				     struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	uint64_t start = in->fz_start;
	bool before, own;

	if (r->freed || r->valid || r->zapped || (r->adopted && !r->invalid_seq))
		return false;
	/*
	 * Only roots invalid when this fast zap began, or invalidated by its
	 * own invalidate-all, are its business: a root made defunct later is
	 * queued after flush_workqueue() began (async worker, hybrid).
	 */
	before = start != UINT64_MAX && r->invalid_seq && r->invalid_seq <= start;
	own = r->invalid_pid == in->ev->pid && r->invalid_reason == RC_RSN_FAST_ZAP &&
	      (start == UINT64_MAX || r->invalid_seq > start);
	if (!before && !own)
		return false;
	VERDICT(v, "invalidated (%s) but not zapped when the fast zap finished",
		rc_reason_name(r->invalid_reason));
	v->cause = rc_root_mark(r, RC_MARK_GIFT, &v->cause_ev);
	return true;
}

static void owners_str(const struct rc_root *r, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int o = 0; o < RC_OWN__COUNT && off < len; o++) {
		if (!r->owners[o])
			continue;
		off += snprintf(buf + off, len - off, "%s%s=%u", off ? " " : "",
				rc_owner_name(o), r->owners[o]);
	}
	if (!buf[0])
		snprintf(buf, len, "%s", r->adopted ? "unknown" : "none");
}

static bool judge_gift_leak(const struct rc_rule_in *in, struct rc_verdict *v)
{
	char who[64];

	if (in->r->freed || !(in->r->gifts_inval || in->r->gifts_defunct))
		return false;
	owners_str(in->r, who, sizeof(who));
	VERDICT(v, "gift from the %s invalidation never put; held: %s",
		rc_reason_name(in->r->gift_reason), who);
	v->cause = rc_root_mark(in->r, RC_MARK_GIFT, &v->cause_ev);
	return true;
}

static bool judge_iter_leak(const struct rc_rule_in *in, struct rc_verdict *v)
{
	const struct rc_ref *ref = rc_root_held(in->r, RC_OWN_ITER);
	char who[64];

	if (in->r->freed || !ref)
		return false;
	owners_str(in->r, who, sizeof(who));
	VERDICT(v, "iterator reference of pid %d never put; held: %s",
		ref->pid, who);
	cause_ref(in->r, ref, v);
	return true;
}

static bool judge_teardown_leak(const struct rc_rule_in *in,
				struct rc_verdict *v)
{
	const struct rc_ref *ref;
	char who[64];

	if (in->r->freed)
		return false;
	owners_str(in->r, who, sizeof(who));
	VERDICT(v, "alive at teardown; held: %s", who);
	/* the reference never put back: a vCPU's, an iterator's, a gift, the MMU's */
	ref = rc_root_held(in->r, RC_OWN__COUNT);
	if (ref)
		cause_ref(in->r, ref, v);
	return true;
}

/*
 * The zapper of invalidated roots (ctx fast_zap: the fast zap's
 * kvm_tdp_mmu_zap_invalidated_roots(), or a worker) zaps only roots that
 * were invalidated and so given to a zapper; a valid root is zapped only
 * by kvm_tdp_mmu_zap_all() (ctx zap_all) when its VM is going away. The
 * cause is the root's event before the zap; the verdict rests on
 * cross-CPU order when that event is on another CPU (an invalidation
 * recorded there may belong before the zap).
 *
 * A root a vCPU holds cannot have gone invalid without an event: judged
 * at the zap. A root no vCPU holds may have (a silent invalidation, v3's
 * way or a bug elsewhere; GIFT-UNGIFTED-PUT names it at the zapper's put
 * of the reference it took for the invalid root), so it is judged at the
 * zapper's next event on the root, or the root's free, the end of the
 * zapper's fast zap, VM teardown: anything but a zap put means the zap
 * took a valid root. Only for count-2 roots (hybrid, gifted): their TDP
 * MMU reference keeps them valid until a traced invalidation. A count-1
 * root no vCPU holds may be a defunct one of v3 (reported at its put).
 */
static bool zap_valid_ctx(uint8_t ctx)
{
	return ctx != RC_CTX_ZAP_ALL && ctx < RC_CTX__COUNT;
}

static bool zap_valid_later(const struct rc_rule_in *in, struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;
	bool has_prev;

	if (!r->side->zap_valid_seq || ev->seq == r->side->zap_valid_seq ||
	    rc_root_design(r) == RC_DESIGN_ASYNC ||
	    (r->adopted && !r->design_forced))
		return false;
	switch (ev->type) {
	case RC_EV_LOST:	/* the model asks only when the zap came first */
	case RC_EV_ROOT_FREE:
	case RC_EV_TEARDOWN:
		break;
	case RC_EV_ROOT_ZAP_END:
		return false;
	case RC_EV_ROOT_PUT:
		if (ev->owner == RC_OWN_ZAP)
			return false;	/* the gift rules judge it */
		/* fall through */
	default:
		if (ev->pid != r->side->zap_valid_pid)
			return false;
		break;
	}
	if (!rc_root_event_seq(r, r->side->zap_valid_seq, &v->at_ev, &v->cause_ev,
			       &has_prev) || !zap_valid_ctx(v->at_ev.ctx))
		return false;
	v->has_at = true;
	/* "only the TDP MMU holds": the zapper's own reference aside */
	VERDICT(v, "%s zap of a valid root only the TDP MMU holds; %s",
		rc_ctx_name(v->at_ev.ctx), ev->type == RC_EV_LOST ?
		"then lost" : "no zap put next");
	v->cause = has_prev ? &v->cause_ev : NULL;
	v->cross_cpu = !has_prev || v->cause_ev.cpu != v->at_ev.cpu;
	return true;
}

static bool judge_root_zap_valid(const struct rc_rule_in *in,
				 struct rc_verdict *v)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;
	bool has_prev;

	if (zap_valid_later(in, v))
		return true;
	if (ev->type != RC_EV_ROOT_ZAP_START || !zap_valid_ctx(ev->ctx) ||
	    !r->valid || !r->valid_known || r->freed || !r->owners[RC_OWN_VCPU])
		return false;
	VERDICT(v, "%s zap of a valid root a vCPU holds; nobody invalidated it",
		rc_ctx_name(ev->ctx));
	has_prev = rc_root_prev_event(r, &v->cause_ev);
	v->cause = has_prev ? &v->cause_ev : NULL;
	v->cross_cpu = !has_prev || v->cause_ev.cpu != ev->cpu;
	return true;
}

#define GET RC_ON(RC_EV_ROOT_GET)
#define PUT RC_ON(RC_EV_ROOT_PUT)
#define INVAL RC_ON(RC_EV_ROOT_INVALIDATE)
#define ZAP_START RC_ON(RC_EV_ROOT_ZAP_START)
#define ZAP_END RC_ON(RC_EV_ROOT_ZAP_END)
#define FREE RC_ON(RC_EV_ROOT_FREE)
#define FZ_DONE RC_ON(RC_EV_FAST_ZAP_DONE)
#define TEARDOWN RC_ON(RC_EV_TEARDOWN)

/* In order of precedence: the first that fires on an event is reported. */
const struct rc_rule rc_rules[RC_R__COUNT] = {
	[RC_R_GIFT_PUT_BEFORE_ZAP] = { "GIFT-PUT-BEFORE-ZAP", "gift",
		"gifted reference put before the root's zap ended",
		PUT, judge_gift_put_before_zap },
	[RC_R_GIFT_UNGIFTED_PUT] = { "GIFT-UNGIFTED-PUT", "gift",
		"zap put of a reference that was never gifted to it",
		PUT, judge_gift_ungifted_put },
	[RC_R_GIFT_DOUBLE_PUT] = { "GIFT-DOUBLE-PUT", "gift",
		"gifted reference put twice", PUT, judge_gift_double_put },
	[RC_R_REF_GET_ZERO] = { "REF-GET-ZERO", "refcount",
		"a failed get (refcount 0) was used as a reference",
		PUT | ZAP_START, judge_ref_get_zero },
	[RC_R_ROOT_UAF] = { "ROOT-UAF", "lifetime",
		"event on a root after it was freed",
		GET | PUT | INVAL | ZAP_START | ZAP_END, judge_root_uaf },
	[RC_R_ROOT_DOUBLE_FREE] = { "ROOT-DOUBLE-FREE", "lifetime",
		"root freed twice", FREE, judge_root_double_free },
	[RC_R_REF_UNDERFLOW] = { "REF-UNDERFLOW", "refcount",
		"put on a root whose refcount is already zero",
		PUT, judge_ref_underflow },
	[RC_R_REF_PUT_UNOWNED] = { "REF-PUT-UNOWNED", "refcount",
		"put by an owner that holds no reference",
		PUT, judge_ref_put_unowned },
	[RC_R_ROOT_REVALIDATE] = { "ROOT-REVALIDATE", "lifetime",
		"invalid root treated as valid again",
		GET | INVAL, judge_root_revalidate },
	[RC_R_ROOT_CROSS_VM] = { "ROOT-CROSS-VM", "lifetime",
		"get on a root that is alive in another VM",
		GET, judge_root_cross_vm },
	[RC_R_ROOT_ZAP_VALID] = { "ROOT-ZAP-VALID", "lifetime",
		"zapper of invalidated roots zapped a valid root",
		GET | PUT | INVAL | ZAP_START | FREE | FZ_DONE | TEARDOWN |
		RC_ON(RC_EV_LOST), judge_root_zap_valid },
	[RC_R_ROOT_FREE_VALID] = { "ROOT-FREE-VALID", "lifetime",
		"last reference dropped while the root is still valid",
		PUT | FREE, judge_root_free_valid },
	[RC_R_REF_COUNT_MISMATCH] = { "REF-COUNT-MISMATCH", "refcount",
		"kernel refcount disagrees with the shadow count",
		GET | PUT | FREE, judge_ref_count_mismatch },
	[RC_R_FASTZAP_INCOMPLETE] = { "FASTZAP-INCOMPLETE", "fast-zap",
		"fast zap finished with an invalidated root unzapped",
		FZ_DONE, judge_fastzap_incomplete },
	[RC_R_GIFT_LEAK] = { "GIFT-LEAK", "gift",
		"gifted reference never put (pending at teardown)",
		TEARDOWN, judge_gift_leak },
	[RC_R_ITER_LEAK] = { "ITER-LEAK", "teardown",
		"iterator reference never put (alive at teardown)",
		TEARDOWN, judge_iter_leak },
	[RC_R_TEARDOWN_LEAK] = { "TEARDOWN-LEAK", "teardown",
		"root still alive at VM teardown",
		TEARDOWN, judge_teardown_leak },
};

static void verdict_clear(struct rc_verdict *v)
{
	v->detail[0] = '\0';
	v->cause = NULL;
	v->cross_cpu = false;
	v->unordered = false;
	v->has_at = false;
}

/*
 * The rules that judge events of type t, in rc_rules[] order. With t a
 * constant, the loop unrolls and each rule's mask and judge are read from
 * the table at compile time: the rules that do not judge t go, the others
 * are called directly, not through the table per event.
 */
static inline __attribute__((always_inline)) void
judge_as(unsigned int t, const struct rc_rule_in *in, struct rc_verdict *v)
{
#pragma GCC unroll 32
	for (int i = 0; i < RC_R__COUNT; i++) {
		if (!(rc_rules[i].on & RC_ON(t)))
			continue;
		if (rc_rules[i].judge(in, v)) {
			v->rule = i;
			return;
		}
		verdict_clear(v);
	}
}

/*
 * A get or put none of its rules can fire on, read from the first test
 * of each (most events of a trace: a vCPU or iterator taking or putting
 * back a reference of a valid root whose count agrees). Each clause is
 * the negation of a rule's first condition, in rc_rules[] order; a rule
 * that judges gets or puts and fires on anything else must add its own
 * here. The sanitizer build (RC_RULES_SELFCHECK, make check) judges every
 * quiet event in full as well and aborts if a rule fires.
 */
static bool quiet_get(const struct rc_rule_in *in)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;

	return !r->freed &&			/* ROOT-UAF */
	       r->valid &&			/* ROOT-REVALIDATE */
	       !in->twin &&			/* ROOT-CROSS-VM */
	       !r->side->zap_valid_seq &&	/* ROOT-ZAP-VALID */
	       ev->old &&			/* REF-COUNT-MISMATCH */
	       (!r->count_known || ev->old == r->count);
}

static bool quiet_put(const struct rc_rule_in *in)
{
	const struct rc_root *r = in->r;
	const struct rc_event *ev = in->ev;
	unsigned int o = ev->owner;

	return o < RC_OWN__COUNT && o != RC_OWN_ZAP &&	/* the gift rules */
	       !r->had_failed &&			/* REF-GET-ZERO */
	       !r->freed &&				/* ROOT-UAF */
	       rc_ev_old(ev) > 0 && (!r->count_known || r->count > 0) &&	/* REF-UNDERFLOW */
	       (r->adopted || (o == RC_OWN_ITER || o == RC_OWN_VCPU ?
			       in->put_match != NULL : r->owners[o] != 0)) &&
							/* REF-PUT-UNOWNED */
	       !r->side->zap_valid_seq &&		/* ROOT-ZAP-VALID */
	       (ev->old != 1 || !r->valid || !r->valid_known ||
		r->design == RC_DESIGN_ASYNC) &&	/* ROOT-FREE-VALID */
	       (!r->count_known || ev->old == r->count);	/* REF-COUNT-MISMATCH */
}

#ifdef RC_RULES_SELFCHECK
#define QUIET(t, q) \
	case t: \
		judge_as(t, in, v); \
		if ((q) && v->rule >= 0) { \
			fprintf(stderr, "kvm-rootcheck: rules: %s fired on a quiet event\n", \
				rc_rules[v->rule].id); \
			abort(); \
		} \
		break
#else
#define QUIET(t, q) \
	case t: \
		if (!(q)) \
			judge_as(t, in, v); \
		break
#endif

#define JUDGE_AS(t) \
	case t: \
		judge_as(t, in, v); \
		break

void rc_rules_judge(const struct rc_rule_in *in, struct rc_verdict *v)
{
	_Static_assert(RC_EV__COUNT == 12, "rc_rules_judge() has a case per event type");

	v->rule = -1;
	verdict_clear(v);
	switch (in->ev->type) {
	JUDGE_AS(RC_EV_ROOT_ALLOC);
	QUIET(RC_EV_ROOT_GET, quiet_get(in));
	QUIET(RC_EV_ROOT_PUT, quiet_put(in));
	JUDGE_AS(RC_EV_ROOT_INVALIDATE);
	JUDGE_AS(RC_EV_ROOT_ZAP_START);
	JUDGE_AS(RC_EV_ROOT_ZAP_END);
	JUDGE_AS(RC_EV_ROOT_FREE);
	JUDGE_AS(RC_EV_FAST_ZAP_START);
	JUDGE_AS(RC_EV_FAST_ZAP_DONE);
	JUDGE_AS(RC_EV_TEARDOWN);
	JUDGE_AS(RC_EV_ROOT_HANDOFF);
	JUDGE_AS(RC_EV_LOST);
	default:
		break;
	}
}

int rc_rule_by_id(const char *id)
{
	for (int i = 0; i < RC_R__COUNT; i++)
		if (!strcmp(rc_rules[i].id, id))
			return i;
	return -1;
}
