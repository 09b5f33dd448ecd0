// SPDX-License-Identifier: GPL-2.0
/* Storage of findings: the first RC_MAX_FINDINGS are kept with evidence. */
#include <stdlib.h>
#include <string.h>
#include "findings.h"

void rc_findings_init(struct rc_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void rc_findings_release(struct rc_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

struct rc_finding *rc_findings_add(struct rc_findings *f, int rule,
				   const struct rc_root *r,
				   const struct rc_event *ev)
{
	struct rc_finding *x;

	f->total++;
	if (rule >= 0 && (size_t)rule < sizeof(f->per_rule) / sizeof(f->per_rule[0]))
		f->per_rule[rule]++;
	if (f->n >= RC_MAX_FINDINGS)
		return NULL;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct rc_finding *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->rule = rule;
	x->ev = *ev;
	if (r) {
		x->kvm = r->kvm;
		x->root = r->addr;
		x->root_id = r->id;
		x->life = r->life;
		x->count = r->count_known ? r->count : -1;
		memcpy(x->owners, r->owners, sizeof(x->owners));
		x->nhist = rc_root_history(r, x->hist, RC_HIST);
		x->nevents = r->nevents;
	}
	return x;
}
