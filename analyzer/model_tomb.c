// SPDX-License-Identifier: GPL-2.0
/* Compact tombstones: a ring and an index by (kvm, address) (model_tomb.h). */
#include <stdlib.h>
#include <string.h>
#include "model_tomb.h"

static size_t home(const struct rc_tombs *t, uint64_t kvm, uint64_t addr)
{
	uint64_t h = ((addr >> 12) ^ (kvm >> 6) * 0x2545f4914f6cdd1dull) *
		     0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 31)) & (t->nslot - 1);
}

static void index_put(struct rc_tombs *t, uint32_t pos)
{
	const struct rc_tomb *x = &t->v[pos];
	size_t i = home(t, x->kvm, rc_tomb_addr(x));

	while (t->slot[i])
		i = (i + 1) & (t->nslot - 1);
	t->slot[i] = (uint16_t)(pos + 1);
}

/* Index with room for one more at a load of 3/4 at most; -1: out of memory. */
static int index_room(struct rc_tombs *t)
{
	uint16_t *old = t->slot;
	size_t n = t->nslot;

	if (4 * ((size_t)t->live + 1) <= 3 * (size_t)t->nslot)
		return 0;
	t->nslot = n ? 2 * n : 64;
	t->slot = calloc(t->nslot, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		t->nslot = n;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (old[i])
			index_put(t, old[i] - 1);
	free(old);
	return 0;
}

/* Unindex position pos; what followed it in its cluster is indexed again. */
static void index_del(struct rc_tombs *t, uint32_t pos)
{
	const struct rc_tomb *x = &t->v[pos];
	size_t mask = t->nslot - 1, i = home(t, x->kvm, rc_tomb_addr(x));

	while (t->slot[i] != pos + 1)
		i = (i + 1) & mask;
	t->slot[i] = 0;
	for (i = (i + 1) & mask; t->slot[i]; i = (i + 1) & mask) {
		uint32_t p = t->slot[i] - 1;

		t->slot[i] = 0;
		index_put(t, p);
	}
}

int rc_tombs_add(struct rc_tombs *t, const struct rc_tomb *rec,
		 struct rc_tomb *evicted)
{
	uint32_t pos;
	int out = 0;

	if (index_room(t))
		return -1;
	if (t->n < RC_TOMBS_MAX) {
		if (t->n == t->cap) {
			uint32_t cap = t->cap ? 2 * t->cap : 256;

			if (cap > RC_TOMBS_MAX)
				cap = RC_TOMBS_MAX;
			struct rc_tomb *v = realloc(t->v, (size_t)cap * sizeof(*v));

			if (!v)
				return -1;
			t->v = v;
			t->cap = cap;
		}
		pos = t->n++;
	} else {
		pos = t->next;
		t->next = (t->next + 1) % RC_TOMBS_MAX;
		if (t->v[pos].id) {
			*evicted = t->v[pos];
			index_del(t, pos);
			t->live--;
			out = 1;
		}
	}
	t->v[pos] = *rec;
	index_put(t, pos);
	t->live++;
	return out;
}

struct rc_tomb *rc_tombs_find(const struct rc_tombs *t, uint64_t kvm, uint64_t addr)
{
	size_t i;

	if (!t->live)
		return NULL;
	for (i = home(t, kvm, addr); t->slot[i]; i = (i + 1) & (t->nslot - 1)) {
		struct rc_tomb *x = &t->v[t->slot[i] - 1];

		if (x->kvm == kvm && rc_tomb_addr(x) == addr)
			return x;
	}
	return NULL;
}

void rc_tombs_del(struct rc_tombs *t, struct rc_tomb *x)
{
	index_del(t, (uint32_t)(x - t->v));
	x->id = 0;
	t->live--;
}

void rc_tombs_free(struct rc_tombs *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
