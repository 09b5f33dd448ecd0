// SPDX-License-Identifier: GPL-2.0
/*
 * The live source's reorder buffer (source-local.h): a min-heap by
 * (timestamp, arrival) that releases events once no CPU can still deliver
 * an earlier one.
 */
#include <stdlib.h>

#include "source-local.h"

struct rc_reorder {
	rc_sink_fn sink;
	void *arg;
	int ncpus;
	uint64_t holdback;
	size_t cap;
	struct rc_event *heap;	/* min-heap by (ts, seq = arrival number) */
	size_t n, alloc;
	uint64_t arrivals, released;
	uint64_t max_ts;
	uint64_t *cpu_ts;	/* last ts delivered per CPU */
	unsigned char *cpu_seen;
	int stopped;
	void (*tick)(void *);	/* rc_reorder_set_tick() */
	void *tick_arg;
};

struct rc_reorder *rc_reorder_new(rc_sink_fn sink, void *arg, int ncpus,
				  uint64_t holdback, size_t cap)
{
	struct rc_reorder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sink = sink;
	r->arg = arg;
	r->ncpus = ncpus > 0 ? ncpus : 1;
	r->holdback = holdback;
	r->cap = cap ? cap : 1;
	r->cpu_ts = calloc((size_t)r->ncpus, sizeof(*r->cpu_ts));
	r->cpu_seen = calloc((size_t)r->ncpus, 1);
	if (!r->cpu_ts || !r->cpu_seen) {
		rc_reorder_free(r);
		return NULL;
	}
	return r;
}

void rc_reorder_set_tick(struct rc_reorder *r, void (*tick)(void *), void *arg)
{
	r->tick = tick;
	r->tick_arg = arg;
}

void rc_reorder_free(struct rc_reorder *r)
{
	if (!r)
		return;
	free(r->heap);
	free(r->cpu_ts);
	free(r->cpu_seen);
	free(r);
}

static int ev_before(const struct rc_event *a, const struct rc_event *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void heap_pop(struct rc_reorder *r, struct rc_event *out)
{
	size_t i = 0;

	*out = r->heap[0];
	r->heap[0] = r->heap[--r->n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < r->n && ev_before(&r->heap[l], &r->heap[m]))
			m = l;
		if (l + 1 < r->n && ev_before(&r->heap[l + 1], &r->heap[m]))
			m = l + 1;
		if (m == i)
			break;
		struct rc_event t = r->heap[i];

		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

static int release_one(struct rc_reorder *r)
{
	struct rc_event ev;

	heap_pop(r, &ev);
	if (r->stopped)
		return 1;
	ev.seq = r->released++;
	if (r->sink(&ev, r->arg))
		r->stopped = 1;
	if (r->tick && !(r->released % RC_REORDER_TICK))
		r->tick(r->tick_arg);
	return r->stopped;
}

int rc_reorder_push(const struct rc_event *ev, void *arg)
{
	struct rc_reorder *r = arg;
	size_t i;

	if (r->stopped)
		return 1;
	if (r->n == r->cap && release_one(r))
		return 1;
	if (r->n == r->alloc) {
		size_t na = r->alloc ? 2 * r->alloc : 256;
		struct rc_event *h = realloc(r->heap, na * sizeof(*h));

		if (!h) {	/* no memory: hand it over now, order may suffer */
			struct rc_event e = *ev;

			e.seq = r->released++;
			if (r->sink(&e, r->arg))
				r->stopped = 1;
			return r->stopped;
		}
		r->heap = h;
		r->alloc = na;
	}
	i = r->n++;
	r->heap[i] = *ev;
	r->heap[i].seq = r->arrivals++;
	while (i && ev_before(&r->heap[i], &r->heap[(i - 1) / 2])) {
		struct rc_event t = r->heap[i];

		r->heap[i] = r->heap[(i - 1) / 2];
		r->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	if (ev->ts > r->max_ts)
		r->max_ts = ev->ts;
	if (ev->cpu >= 0 && ev->cpu < r->ncpus) {
		if (ev->ts > r->cpu_ts[ev->cpu])
			r->cpu_ts[ev->cpu] = ev->ts;
		r->cpu_seen[ev->cpu] = 1;
	}
	return 0;
}

int rc_reorder_release(struct rc_reorder *r, int all)
{
	uint64_t safe_all = UINT64_MAX, safe_time;

	for (int c = 0; c < r->ncpus; c++) {
		uint64_t t = r->cpu_seen[c] ? r->cpu_ts[c] : 0;

		if (t < safe_all)
			safe_all = t;
	}
	safe_time = r->max_ts > r->holdback ? r->max_ts - r->holdback : 0;
	while (r->n && !r->stopped &&
	       (all || r->heap[0].ts <= safe_all || r->heap[0].ts <= safe_time))
		release_one(r);
	return r->stopped;
}
