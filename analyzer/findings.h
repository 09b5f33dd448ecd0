/* SPDX-License-Identifier: GPL-2.0 */
/* Violations found by the rules, with the evidence a reviewer needs. */
#ifndef RC_FINDINGS_H
#define RC_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "model.h"

#define RC_MAX_FINDINGS 1000	/* stored; the rest are only counted */

struct rc_finding {
	int rule;			/* index into rc_rules[] */
	bool retracted;			/* lost events could explain it */
	uint64_t kvm, root;
	uint64_t root_id;
	uint32_t life;
	char detail[160];		/* one line, specific to this case */
	struct rc_event ev;		/* the offending event */
	bool has_cause;
	struct rc_event cause;		/* the event that created the problem */
	uint32_t owners[RC_OWN__COUNT];	/* references held at the time */
	int64_t count;
	unsigned int nhist;
	struct rc_event hist[RC_HIST];
	uint64_t nevents;		/* events of the root life until then */
};

struct rc_findings {
	struct rc_finding *v;
	size_t n, cap;
	uint64_t total;			/* including those not stored */
	uint64_t per_rule[32];
	uint64_t retracted;
};

void rc_findings_init(struct rc_findings *f);
void rc_findings_release(struct rc_findings *f);
/* Returns the stored finding, or NULL when over RC_MAX_FINDINGS. */
struct rc_finding *rc_findings_add(struct rc_findings *f, int rule,
				   const struct rc_root *r,
				   const struct rc_event *ev);

#endif
