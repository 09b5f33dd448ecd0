/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The invariant rules. Each rule is a pure predicate over a root's model
 * state and the event about to be applied (or a VM-level moment: the end
 * of a fast zap, VM teardown). IDs and descriptions: docs/invariants.md.
 */
#ifndef RC_RULES_H
#define RC_RULES_H

#include <stddef.h>
#include "event.h"
#include "model.h"

enum rc_rule_id {
	RC_R_REF_UNDERFLOW,
	RC_R_REF_PUT_UNOWNED,
	RC_R_REF_GET_ZERO,
	RC_R_REF_COUNT_MISMATCH,
	RC_R_ROOT_UAF,
	RC_R_ROOT_DOUBLE_FREE,
	RC_R_ROOT_FREE_VALID,
	RC_R_ROOT_REVALIDATE,
	RC_R_GIFT_UNGIFTED_PUT,
	RC_R_GIFT_DOUBLE_PUT,
	RC_R_GIFT_LEAK,
	RC_R_GIFT_PUT_BEFORE_ZAP,
	RC_R_FASTZAP_INCOMPLETE,
	RC_R_TEARDOWN_LEAK,
	RC_R_ITER_LEAK,
	RC_R__COUNT
};

struct rc_rule {
	const char *id;
	const char *family;
	const char *summary;	/* one line, <= 64 columns */
};

extern const struct rc_rule rc_rules[RC_R__COUNT];

/* What a rule decided; rule < 0 means no violation. */
struct rc_verdict {
	int rule;
	char detail[160];
	const struct rc_event *cause;	/* points into the root, or NULL */
};

/* Judge an event on a root before the model applies it. */
void rc_rules_event(const struct rc_root *r, const struct rc_event *ev,
		    struct rc_verdict *v);
/* The fast zap of r's VM has finished (ev is its done event). */
void rc_rules_fast_zap_done(const struct rc_root *r, struct rc_verdict *v);
/* r's VM is being torn down and r is still alive. */
void rc_rules_teardown(const struct rc_root *r, struct rc_verdict *v);

int rc_rule_by_id(const char *id);

/* The iterator references task pid holds on r (NULL if none recorded). */
const struct rc_task_refs *rc_root_task(const struct rc_root *r, int pid);
const struct rc_zapper *rc_root_zapper(const struct rc_root *r, int pid);

#endif
