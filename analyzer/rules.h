/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The invariant rules: pure judgement. Each rule is a predicate over an
 * event (or a VM-level moment: the end of a fast zap, a VM's teardown)
 * and a read-only view of the root life before the event is applied. It
 * reads the model's state through model.h and writes only its verdict.
 * IDs and descriptions: docs/invariants.md. How to add one: CONTRIBUTING.md.
 */
#ifndef RC_RULES_H
#define RC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "model.h"

/* In rc_rules[] order, which is the order of precedence (see rc_rules[]). */
enum rc_rule_id {
	RC_R_GIFT_PUT_BEFORE_ZAP,
	RC_R_GIFT_UNGIFTED_PUT,
	RC_R_GIFT_DOUBLE_PUT,
	RC_R_REF_GET_ZERO,
	RC_R_ROOT_UAF,
	RC_R_ROOT_DOUBLE_FREE,
	RC_R_REF_UNDERFLOW,
	RC_R_REF_PUT_UNOWNED,
	RC_R_ROOT_REVALIDATE,
	RC_R_ROOT_CROSS_VM,
	RC_R_ROOT_ZAP_VALID,
	RC_R_ROOT_FREE_VALID,
	RC_R_REF_COUNT_MISMATCH,
	RC_R_FASTZAP_INCOMPLETE,
	RC_R_GIFT_LEAK,
	RC_R_ITER_LEAK,
	RC_R_TEARDOWN_LEAK,
	RC_R__COUNT
};

/* What a rule looks at. */
struct rc_rule_in {
	const struct rc_root *r;	/* the root life, before ev is applied */
	const struct rc_event *ev;	/* the event, or the VM-level moment */
	const struct rc_root *twin;	/* rc_model_twin(r), gets only */
	const struct rc_ref *put_match;	/* puts: rc_model_put_match() */
	uint64_t fz_start;		/* RC_EV_FAST_ZAP_DONE: seq of its
					 * start, UINT64_MAX if unknown */
};

/*
 * The largest clock skew between CPUs a verdict must stand up to (5 ms,
 * and a margin): events of two CPUs closer than this are ordered only by
 * their timestamps unless the counts or program order order them.
 */
#define RC_ORDER_NS 6000000ull

/* What a rule decided; rule < 0 means no violation. */
struct rc_verdict {
	int rule;
	char detail[160];
	const struct rc_event *cause;	/* points into the root or to
					 * cause_ev, or NULL */
	struct rc_event cause_ev;	/* a ledger entry's event (rc_ref_event()) */
	bool cross_cpu;			/* rests on the order of events of
					 * different CPUs */
	/*
	 * Rests only on the timestamps of cause (on another CPU, less than
	 * RC_ORDER_NS away), which nothing in the counts orders against the
	 * event: a possible violation, in clock doubt from the start. Its
	 * CPU's clock set by unordered_ns (< 0: forward) reverses the two.
	 */
	bool unordered;
	int unordered_cpu;
	int64_t unordered_ns;
	bool has_at;			/* the rule was broken at at_ev, an
					 * earlier event of the root, and is
					 * known only now */
	struct rc_event at_ev;
};

/* The moments a rule judges: a bit per event type. */
#define RC_ON(t) (1u << (t))

struct rc_rule {
	const char *id;
	const char *family;
	const char *summary;	/* one line, <= 64 columns */
	uint32_t on;		/* RC_ON() of the event types it judges */
	/* true (with v->detail, and v->cause if known) on a violation */
	bool (*judge)(const struct rc_rule_in *in, struct rc_verdict *v);
};

extern const struct rc_rule rc_rules[RC_R__COUNT];

/*
 * Judge one event or moment: the first rule, in rc_rules[] order, whose
 * judge fires gives the verdict (only one per event).
 */
void rc_rules_judge(const struct rc_rule_in *in, struct rc_verdict *v);

int rc_rule_by_id(const char *id);

#endif
