// SPDX-License-Identifier: GPL-2.0
/*
 * The live source's reorder buffer (source-local.h): events in order of
 * (timestamp, arrival), released once no CPU can still deliver an
 * earlier one.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "source-local.h"

/*
 * Each CPU's events come in timestamp order (a CPU's ring buffer is
 * written in order), so they wait in a FIFO per CPU (a ring of events;
 * one out of order is put in its place in its FIFO), and a min-heap of
 * the non-empty FIFOs by their first event picks the next to release:
 * an event is copied in and out once, and ordering costs O(log CPUs)
 * rather than O(log events). The order is the same as one heap of every
 * event by (timestamp, arrival) would give. Events of a CPU outside
 * [0, ncpus) share one more FIFO.
 */
struct cpu_fifo {
	struct rc_event *v;	/* ring of cap (a power of two) events */
	size_t head, n, cap;
};

struct rc_reorder {
	rc_sink_fn sink;
	void *arg;
	int ncpus;
	uint64_t holdback;
	size_t cap;
	struct cpu_fifo *q;	/* ncpus + 1 FIFOs */
	int *heap;		/* non-empty FIFOs, min-heap by first event */
	int *hpos;		/* FIFO -> its index in heap */
	int hn;
	size_t n;		/* events waiting */
	uint64_t arrivals, released;
	uint64_t max_ts;
	uint64_t *cpu_ts;	/* last ts delivered per CPU */
	unsigned char *cpu_seen;
	int stopped;
};

struct rc_reorder *rc_reorder_new(rc_sink_fn sink, void *arg, int ncpus,
				  uint64_t holdback, size_t cap)
{
	struct rc_reorder *r = calloc(1, sizeof(*r));
	size_t nq;

	if (!r)
		return NULL;
	r->sink = sink;
	r->arg = arg;
	r->ncpus = ncpus > 0 ? ncpus : 1;
	r->holdback = holdback;
	r->cap = cap ? cap : 1;
	nq = (size_t)r->ncpus + 1;
	r->cpu_ts = calloc((size_t)r->ncpus, sizeof(*r->cpu_ts));
	r->cpu_seen = calloc((size_t)r->ncpus, 1);
	r->q = calloc(nq, sizeof(*r->q));
	r->heap = calloc(nq, sizeof(*r->heap));
	r->hpos = calloc(nq, sizeof(*r->hpos));
	if (!r->cpu_ts || !r->cpu_seen || !r->q || !r->heap || !r->hpos) {
		rc_reorder_free(r);
		return NULL;
	}
	return r;
}

void rc_reorder_free(struct rc_reorder *r)
{
	if (!r)
		return;
	if (r->q)
		for (int i = 0; i <= r->ncpus; i++)
			free(r->q[i].v);
	free(r->q);
	free(r->heap);
	free(r->hpos);
	free(r->cpu_ts);
	free(r->cpu_seen);
	free(r);
}

static int ev_before(const struct rc_event *a, const struct rc_event *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* Event i of FIFO q, 0 the first. */
static struct rc_event *at(const struct cpu_fifo *q, size_t i)
{
	return &q->v[(q->head + i) & (q->cap - 1)];
}

static bool fifo_grow(struct cpu_fifo *q)
{
	size_t cap = q->cap ? 2 * q->cap : 64;
	struct rc_event *v = malloc(cap * sizeof(*v));

	if (!v)
		return false;
	for (size_t i = 0; i < q->n; i++)
		v[i] = *at(q, i);
	free(q->v);
	q->v = v;
	q->head = 0;
	q->cap = cap;
	return true;
}

static bool fifo_before(const struct rc_reorder *r, int a, int b)
{
	return ev_before(at(&r->q[a], 0), at(&r->q[b], 0));
}

static void heap_set(struct rc_reorder *r, int i, int qi)
{
	r->heap[i] = qi;
	r->hpos[qi] = i;
}

static void sift_up(struct rc_reorder *r, int i)
{
	int qi = r->heap[i];

	while (i && fifo_before(r, qi, r->heap[(i - 1) / 2])) {
		heap_set(r, i, r->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(r, i, qi);
}

static void sift_down(struct rc_reorder *r, int i)
{
	int qi = r->heap[i];

	for (;;) {
		int l = 2 * i + 1, m = l;

		if (l >= r->hn)
			break;
		if (l + 1 < r->hn && fifo_before(r, r->heap[l + 1], r->heap[l]))
			m = l + 1;
		if (!fifo_before(r, r->heap[m], qi))
			break;
		heap_set(r, i, r->heap[m]);
		i = m;
	}
	heap_set(r, i, qi);
}

/* The first of every waiting event (r->n > 0). */
static struct rc_event *first(const struct rc_reorder *r)
{
	return at(&r->q[r->heap[0]], 0);
}

/* Forget the first of every waiting event (r->n > 0). */
static void drop_first(struct rc_reorder *r)
{
	struct cpu_fifo *q = &r->q[r->heap[0]];

	q->head = (q->head + 1) & (q->cap - 1);
	q->n--;
	r->n--;
	if (!q->n) {
		if (--r->hn) {
			heap_set(r, 0, r->heap[r->hn]);
			sift_down(r, 0);
		}
	} else {
		sift_down(r, 0);
	}
}

/* Hand over the first of every waiting event, in place. */
static int release_one(struct rc_reorder *r)
{
	struct rc_event *ev = first(r);

	if (r->stopped) {
		drop_first(r);
		return 1;
	}
	ev->seq = r->released++;
	if (r->sink(ev, r->arg))
		r->stopped = 1;
	drop_first(r);
	return r->stopped;
}

int rc_reorder_push(const struct rc_event *ev, void *arg)
{
	struct rc_reorder *r = arg;
	int qi = ev->cpu >= 0 && ev->cpu < r->ncpus ? ev->cpu : r->ncpus;
	struct cpu_fifo *q = &r->q[qi];
	struct rc_event e;
	size_t pos;

	if (r->stopped)
		return 1;
	if (r->n == r->cap && release_one(r))
		return 1;
	if (q->n == q->cap && !fifo_grow(q)) {
		/* no memory: hand it over now, order may suffer */
		e = *ev;
		e.seq = r->released++;
		if (r->sink(&e, r->arg))
			r->stopped = 1;
		return r->stopped;
	}
	/*
	 * After every event of its CPU stamped no later (usually all): it
	 * arrived last, so by (timestamp, arrival) only a later stamp
	 * puts one after it.
	 */
	for (pos = q->n; pos && ev->ts < at(q, pos - 1)->ts; pos--)
		*at(q, pos) = *at(q, pos - 1);
	*at(q, pos) = *ev;
	at(q, pos)->seq = r->arrivals++;
	q->n++;
	r->n++;
	if (q->n == 1) {
		heap_set(r, r->hn++, qi);
		sift_up(r, r->hn - 1);
	} else if (!pos) {
		sift_up(r, r->hpos[qi]);
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
	       (all || first(r)->ts <= safe_all || first(r)->ts <= safe_time))
		release_one(r);
	return r->stopped;
}
