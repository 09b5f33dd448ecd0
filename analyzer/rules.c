// SPDX-License-Identifier: GPL-2.0
/*
 * The invariant rules (docs/invariants.md). Everything here reads model
 * state and writes a verdict; nothing here changes the model.
 */
#include <stdio.h>
#include <string.h>
#include "rules.h"

const struct rc_rule rc_rules[RC_R__COUNT] = {
	[RC_R_REF_UNDERFLOW] = { "REF-UNDERFLOW", "refcount",
		"put on a root whose refcount is already zero" },
	[RC_R_REF_PUT_UNOWNED] = { "REF-PUT-UNOWNED", "refcount",
		"put by an owner that holds no reference" },
	[RC_R_REF_GET_ZERO] = { "REF-GET-ZERO", "refcount",
		"a failed get (refcount 0) was used as a reference" },
	[RC_R_REF_COUNT_MISMATCH] = { "REF-COUNT-MISMATCH", "refcount",
		"kernel refcount disagrees with the shadow count" },
	[RC_R_ROOT_UAF] = { "ROOT-UAF", "lifetime",
		"event on a root after it was freed" },
	[RC_R_ROOT_DOUBLE_FREE] = { "ROOT-DOUBLE-FREE", "lifetime",
		"root freed twice" },
	[RC_R_ROOT_FREE_VALID] = { "ROOT-FREE-VALID", "lifetime",
		"last reference dropped while the root is still valid" },
	[RC_R_ROOT_REVALIDATE] = { "ROOT-REVALIDATE", "lifetime",
		"invalid root treated as valid again" },
	[RC_R_GIFT_UNGIFTED_PUT] = { "GIFT-UNGIFTED-PUT", "gift",
		"zap put of a reference that was never gifted to it" },
	[RC_R_GIFT_DOUBLE_PUT] = { "GIFT-DOUBLE-PUT", "gift",
		"gifted reference put twice" },
	[RC_R_GIFT_LEAK] = { "GIFT-LEAK", "gift",
		"gifted reference never put (pending at teardown)" },
	[RC_R_GIFT_PUT_BEFORE_ZAP] = { "GIFT-PUT-BEFORE-ZAP", "gift",
		"gifted reference put before the root's zap ended" },
	[RC_R_FASTZAP_INCOMPLETE] = { "FASTZAP-INCOMPLETE", "fast-zap",
		"fast zap finished with an invalidated root unzapped" },
	[RC_R_TEARDOWN_LEAK] = { "TEARDOWN-LEAK", "teardown",
		"root still alive at VM teardown" },
	[RC_R_ITER_LEAK] = { "ITER-LEAK", "teardown",
		"iterator reference never put (alive at teardown)" },
};

int rc_rule_by_id(const char *id)
{
	for (int i = 0; i < RC_R__COUNT; i++)
		if (!strcmp(rc_rules[i].id, id))
			return i;
	return -1;
}

const struct rc_task_refs *rc_root_task(const struct rc_root *r, int pid)
{
	for (unsigned int i = 0; i < r->ntasks; i++)
		if (r->tasks[i].pid == pid)
			return &r->tasks[i];
	return NULL;
}

const struct rc_zapper *rc_root_zapper(const struct rc_root *r, int pid)
{
	for (unsigned int i = 0; i < r->nzappers; i++)
		if (r->zappers[i].pid == pid)
			return &r->zappers[i];
	return NULL;
}

#define VERDICT(v, r, ...) do {						\
	(v)->rule = (r);						\
	snprintf((v)->detail, sizeof((v)->detail), __VA_ARGS__);	\
} while (0)

static bool task_failed_get_unheld(const struct rc_root *r, int pid)
{
	const struct rc_task_refs *t = rc_root_task(r, pid);

	return t && t->failed_get && !t->held;
}

/* Gift rules for a zap-owned put. Returns true if a verdict was given. */
static bool judge_zap_put(const struct rc_root *r, const struct rc_event *ev,
			  struct rc_verdict *v)
{
	const struct rc_zapper *z = rc_root_zapper(r, ev->pid);
	bool for_worker = r->gift_reason == RC_RSN_LAST_PUT;

	/* An adopted root invalidated before the trace began: gift unknown. */
	if (r->adopted && !r->invalid_seq)
		return false;

	if (z && z->active) {
		VERDICT(v, RC_R_GIFT_PUT_BEFORE_ZAP,
			"zap put while this task's %s zap of the root is running",
			rc_ctx_name(z->ctx));
		return true;
	}
	if (r->gift == RC_GIFT_NONE) {
		VERDICT(v, RC_R_GIFT_UNGIFTED_PUT, "%s",
			r->valid ? "zap put on a valid root: nothing was gifted"
				 : "root was invalidated without a gift");
		return true;
	}
	if (for_worker && (!z || z->ctx != RC_CTX_WORKER)) {
		if (!z && r->gift == RC_GIFT_PENDING) {
			VERDICT(v, RC_R_GIFT_PUT_BEFORE_ZAP,
				"zap put before any zap of the root");
			return true;
		}
		VERDICT(v, RC_R_GIFT_UNGIFTED_PUT,
			"%s zapper put what a last_put invalidation gave the worker",
			z ? rc_ctx_name(z->ctx) : "non-worker");
		v->cause = r->has_cause ? &r->cause_ev : &r->gift_ev;
		return true;
	}
	if (r->gift == RC_GIFT_CONSUMED) {
		VERDICT(v, RC_R_GIFT_DOUBLE_PUT,
			"gift from the %s invalidation was already put",
			rc_reason_name(r->gift_reason));
		v->cause = &r->gift_ev;
		return true;
	}
	if (!r->zapped) {
		VERDICT(v, RC_R_GIFT_PUT_BEFORE_ZAP,
			"zap put before any zap of the root ended");
		return true;
	}
	return false;
}

static void judge_put(const struct rc_root *r, const struct rc_event *ev,
		      struct rc_verdict *v)
{
	const struct rc_task_refs *t;

	if (ev->owner >= RC_OWN__COUNT) {
		VERDICT(v, RC_R_REF_PUT_UNOWNED, "put with unknown owner %u",
			ev->owner);
		return;
	}
	if (ev->owner == RC_OWN_ZAP && judge_zap_put(r, ev, v))
		return;
	if (ev->owner == RC_OWN_ITER && task_failed_get_unheld(r, ev->pid)) {
		VERDICT(v, RC_R_REF_GET_ZERO,
			"iterator put after its get failed at refcount 0");
		return;
	}
	if (r->freed) {
		VERDICT(v, RC_R_ROOT_UAF, "put (owner %s) after free",
			rc_owner_name(ev->owner));
		return;
	}
	if (ev->old == 0 || (r->count_known && r->count <= 0)) {
		VERDICT(v, RC_R_REF_UNDERFLOW,
			"put (owner %s) with kernel old=%u, shadow count %lld",
			rc_owner_name(ev->owner), ev->old,
			r->count_known ? (long long)r->count : -1LL);
		return;
	}
	if (!r->adopted) {
		bool unowned;

		if (ev->owner == RC_OWN_ITER) {
			t = rc_root_task(r, ev->pid);
			unowned = !t || !t->held;
		} else {
			unowned = r->owners[ev->owner] == 0;
		}
		if (unowned) {
			VERDICT(v, RC_R_REF_PUT_UNOWNED,
				"%s put, but %s holds no reference",
				rc_owner_name(ev->owner),
				ev->owner == RC_OWN_ITER ? "this task" : "that owner");
			return;
		}
	}
	if (r->count_known && ev->old != r->count) {
		VERDICT(v, RC_R_REF_COUNT_MISMATCH,
			"put: kernel old=%u, shadow count %lld", ev->old,
			(long long)r->count);
		return;
	}
	if (ev->old == 1 && r->valid && r->valid_known &&
	    r->design == RC_DESIGN_GIFTED) {
		VERDICT(v, RC_R_ROOT_FREE_VALID,
			"last reference put (owner %s) on a valid root",
			rc_owner_name(ev->owner));
		return;
	}
}

static void judge_get(const struct rc_root *r, const struct rc_event *ev,
		      struct rc_verdict *v)
{
	if (ev->old == 0) {
		/* A failed get is legal on a dying or freed root. */
		if (!r->freed && r->count_known && r->count > 0)
			VERDICT(v, RC_R_REF_COUNT_MISMATCH,
				"get failed (kernel old=0), shadow count %lld",
				(long long)r->count);
		return;
	}
	if (r->freed) {
		VERDICT(v, RC_R_ROOT_UAF, "get (owner %s) succeeded after free",
			rc_owner_name(ev->owner));
		return;
	}
	if (ev->owner == RC_OWN_VCPU && !r->valid && r->valid_known) {
		VERDICT(v, RC_R_ROOT_REVALIDATE,
			"vCPU took a reference to an invalid root for reuse");
		return;
	}
	if (r->count_known && ev->old != r->count) {
		VERDICT(v, RC_R_REF_COUNT_MISMATCH,
			"get: kernel old=%u, shadow count %lld", ev->old,
			(long long)r->count);
		return;
	}
}

void rc_rules_event(const struct rc_root *r, const struct rc_event *ev,
		    struct rc_verdict *v)
{
	v->rule = -1;
	v->detail[0] = '\0';
	v->cause = NULL;

	switch (ev->type) {
	case RC_EV_ROOT_GET:
		judge_get(r, ev, v);
		break;
	case RC_EV_ROOT_PUT:
		judge_put(r, ev, v);
		break;
	case RC_EV_ROOT_INVALIDATE:
		if (r->freed)
			VERDICT(v, RC_R_ROOT_UAF, "invalidate after free");
		else if (!r->valid && r->valid_known)
			VERDICT(v, RC_R_ROOT_REVALIDATE,
				"invalidated again (reason %s) after the %s invalidation",
				rc_reason_name(ev->reason),
				rc_reason_name(r->invalid_reason));
		break;
	case RC_EV_ROOT_ZAP_START:
		if (task_failed_get_unheld(r, ev->pid) && ev->ctx == RC_CTX_ZAP_ALL)
			VERDICT(v, RC_R_REF_GET_ZERO,
				"zap of a root whose get failed at refcount 0");
		else if (r->freed)
			VERDICT(v, RC_R_ROOT_UAF, "%s zap started after free",
				rc_ctx_name(ev->ctx));
		break;
	case RC_EV_ROOT_ZAP_END:
		if (r->freed)
			VERDICT(v, RC_R_ROOT_UAF, "%s zap ended after free",
				rc_ctx_name(ev->ctx));
		break;
	case RC_EV_ROOT_FREE:
		if (r->freed)
			VERDICT(v, RC_R_ROOT_DOUBLE_FREE, "second free");
		else if (r->valid && r->valid_known &&
			 r->design == RC_DESIGN_GIFTED)
			VERDICT(v, RC_R_ROOT_FREE_VALID, "freed while valid");
		else if (r->count_known && r->count != 0)
			VERDICT(v, RC_R_REF_COUNT_MISMATCH,
				"freed with shadow count %lld", (long long)r->count);
		break;
	default:
		break;
	}
}

void rc_rules_fast_zap_done(const struct rc_root *r, struct rc_verdict *v)
{
	v->rule = -1;
	v->cause = NULL;
	if (r->freed || r->valid || r->zapped || (r->adopted && !r->invalid_seq))
		return;
	VERDICT(v, RC_R_FASTZAP_INCOMPLETE,
		"invalidated (%s) but not zapped when the fast zap finished",
		rc_reason_name(r->invalid_reason));
	v->cause = &r->gift_ev;
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

void rc_rules_teardown(const struct rc_root *r, struct rc_verdict *v)
{
	char who[64];

	v->rule = -1;
	v->cause = NULL;
	if (r->freed)
		return;
	owners_str(r, who, sizeof(who));
	if (r->gift == RC_GIFT_PENDING) {
		VERDICT(v, RC_R_GIFT_LEAK,
			"gift from the %s invalidation never put; held: %s",
			rc_reason_name(r->gift_reason), who);
		v->cause = &r->gift_ev;
	} else if (r->owners[RC_OWN_ITER]) {
		const struct rc_task_refs *t = NULL;

		for (unsigned int i = 0; i < r->ntasks && !t; i++)
			if (r->tasks[i].held)
				t = &r->tasks[i];
		VERDICT(v, RC_R_ITER_LEAK,
			"iterator reference of pid %d never put; held: %s",
			t ? t->pid : -1, who);
	} else {
		VERDICT(v, RC_R_TEARDOWN_LEAK, "alive at teardown; held: %s",
			who);
	}
}
