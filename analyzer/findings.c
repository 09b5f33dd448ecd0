// SPDX-License-Identifier: GPL-2.0
/* Findings: recording, suppression, retraction (findings.h). */
#include <stdlib.h>
#include <string.h>
#include "findings.h"

#define NONE UINT32_MAX

void rc_findings_init(struct rc_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void rc_findings_release(struct rc_findings *f)
{
	free(f->v);
	free(f->map);
	memset(f, 0, sizeof(*f));
}

/* Open addressing, linear probing; id 0 marks an empty slot. */
static size_t slot_of(const struct rc_findings *f, uint64_t id)
{
	size_t mask = f->map_cap - 1;
	size_t i = (size_t)((id * 0x9e3779b97f4a7c15ull) >> 17) & mask;

	while (f->map[i].id && f->map[i].id != id)
		i = (i + 1) & mask;
	return i;
}

static struct rc_findings_slot *map_find(const struct rc_findings *f, uint64_t id)
{
	size_t i;

	if (!f->map_cap)
		return NULL;
	i = slot_of(f, id);
	return f->map[i].id == id ? &f->map[i] : NULL;
}

static int map_grow(struct rc_findings *f)
{
	size_t cap = f->map_cap ? f->map_cap * 2 : 64;
	struct rc_findings_slot *old = f->map;
	size_t ocap = f->map_cap;

	f->map = calloc(cap, sizeof(*f->map));
	if (!f->map) {
		f->map = old;
		return -1;
	}
	f->map_cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].id)
			f->map[slot_of(f, old[i].id)] = old[i];
	free(old);
	return 0;
}

static struct rc_findings_slot *map_insert(struct rc_findings *f, uint64_t id)
{
	size_t i;

	if ((f->map_n + 1) * 2 > f->map_cap && map_grow(f))
		return NULL;
	i = slot_of(f, id);
	if (!f->map[i].id) {
		f->map[i].id = id;
		f->map[i].idx = NONE;
		f->map_n++;
	}
	return &f->map[i];
}

void rc_findings_forget(struct rc_findings *f, uint64_t id)
{
	struct rc_findings_slot *s = map_find(f, id);
	size_t mask, i, j;

	if (!s)
		return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	mask = f->map_cap - 1;
	i = (size_t)(s - f->map);
	f->map[i].id = 0;
	f->map_n--;
	for (j = (i + 1) & mask; f->map[j].id; j = (j + 1) & mask) {
		struct rc_findings_slot e = f->map[j];

		f->map[j].id = 0;
		f->map[slot_of(f, e.id)] = e;
	}
}

enum rc_admit rc_findings_admit(struct rc_findings *f, uint64_t id,
				bool unverified)
{
	if (unverified) {
		f->unjudged++;
		return RC_ADMIT_UNJUDGED;
	}
	if (map_find(f, id)) {
		f->suppressed++;
		return RC_ADMIT_SUPPRESSED;
	}
	map_insert(f, id);	/* out of memory: later ones are reported too */
	return RC_ADMIT_NEW;
}

struct rc_finding *rc_findings_add(struct rc_findings *f,
				   const struct rc_verdict *v,
				   const struct rc_event *ev,
				   const struct rc_evidence *e)
{
	struct rc_findings_slot *s;
	struct rc_finding *x;

	if (v->unordered) {		/* a possible violation: doubted, not counted */
		f->doubted++;
		f->unordered++;
	} else {
		f->total++;
		if (v->rule >= 0 && v->rule < RC_R__COUNT)
			f->per_rule[v->rule]++;
	}
	if (f->n >= RC_MAX_FINDINGS)
		return NULL;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct rc_finding *nv = realloc(f->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		f->v = nv;
		f->cap = cap;
	}
	x = &f->v[f->n];
	memset(x, 0, sizeof(*x));
	x->rule = v->rule;
	x->cross_cpu = v->cross_cpu;
	x->unordered = x->clock_doubt = v->unordered;
	if (v->unordered) {
		x->doubt_cpu = v->unordered_cpu;
		x->doubt_ns = v->unordered_ns;
	}
	memcpy(x->detail, v->detail, sizeof(x->detail));
	x->ev = *ev;
	if (v->cause) {
		x->has_cause = true;
		x->cause = *v->cause;
	}
	x->e = *e;
	s = map_find(f, e->root_id);
	if (s)
		s->idx = (uint32_t)f->n;
	f->n++;
	return x;
}

void rc_finding_near(struct rc_finding *x, const struct rc_event *ev, bool later)
{
	bool after = ev->ts > x->ev.ts || (ev->ts == x->ev.ts && later);
	uint64_t d = after ? ev->ts - x->ev.ts : x->ev.ts - ev->ts;
	struct rc_near *n = NULL;
	uint64_t *v, *mid;
	uint8_t *nmid;
	bool *has;

	if (ev->cpu == x->ev.cpu || ev->cpu < 0 || d > RC_NEAR_NS)
		return;
	for (unsigned int i = 0; i < x->nnear && !n; i++)
		if (x->near[i].cpu == ev->cpu)
			n = &x->near[i];
	if (!n) {
		if (x->nnear == RC_NEAR_CPUS)
			return;
		n = &x->near[x->nnear++];
		memset(n, 0, sizeof(*n));
		n->cpu = ev->cpu;
	}
	v = after ? n->after : n->before;
	has = after ? &n->has_after : &n->has_before;
	mid = after ? n->mid_after : n->mid_before;
	nmid = after ? &n->nmid_after : &n->nmid_before;
	if (*has && d != v[0]) {	/* v[0] and mid[] ascending, distinct */
		uint64_t m = d > v[0] ? d : v[0];
		unsigned int i = 0;

		while (i < *nmid && mid[i] < m)
			i++;
		if (i < RC_NEAR_MIDS && (i == *nmid || mid[i] != m)) {
			unsigned int end = *nmid < RC_NEAR_MIDS ? *nmid : RC_NEAR_MIDS - 1;

			memmove(&mid[i + 1], &mid[i], (end - i) * sizeof(mid[0]));
			mid[i] = m;
			if (*nmid < RC_NEAR_MIDS)
				(*nmid)++;
		}
	}
	if (!*has || d < v[0])
		v[0] = d;
	if (!*has || d > v[1])
		v[1] = d;
	*has = true;
}

void rc_findings_doubt(struct rc_findings *f, size_t i, int cpu, int64_t ns)
{
	struct rc_finding *x;

	if (i >= f->n || f->v[i].retracted || f->v[i].clock_doubt)
		return;
	x = &f->v[i];
	x->clock_doubt = true;
	x->doubt_cpu = cpu;
	x->doubt_ns = ns;
	f->doubted++;
	if (x->rule >= 0 && x->rule < RC_R__COUNT)
		f->per_rule[x->rule]--;
	f->total--;
}

void rc_findings_retract_after(struct rc_findings *f, uint64_t id, int cpu,
			       uint64_t since)
{
	struct rc_findings_slot *s = map_find(f, id);
	struct rc_finding *x;

	if (!s || s->idx == NONE)
		return;
	x = &f->v[s->idx];
	if (x->retracted || x->clock_doubt || x->ev.ts < since ||
	    (x->ev.ts == since && x->ev.cpu == cpu))
		return;
	x->retracted = true;
	f->retracted++;
	if (x->rule >= 0 && x->rule < RC_R__COUNT)
		f->per_rule[x->rule]--;
	f->total--;
}
