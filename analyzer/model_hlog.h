/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A root's report history as bytes (issue 15): the latest events (a ring
 * of at most RC_HIST), the milestones that fell out of it (of the latest
 * RC_KEY milestones) and the marks (events the rules name as causes),
 * varint coded in one heap buffer that grows as needed. A record is
 * struct rc_hrec; its caller is an index into the model's table of
 * callers (rc_callers: a handful of kernel functions). A busy root's
 * latest records wait uncoded in slots the model's histories share
 * (struct rc_hlog_pend), since most leave the ring before anything
 * reads them. The model is the only user (model.c): this file only
 * encodes, decodes and keeps those slots.
 */
#ifndef RC_MODEL_HLOG_H
#define RC_MODEL_HLOG_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"

#define RC_HIST 16		/* events of history kept per root */
#define RC_KEY 8		/* milestones kept per root (not vCPU/iter refs) */
#define RC_HLOG_MARKS 4		/* marks a history holds (enum rc_mark) */
#define RC_HLOG_REC_MAX 56	/* bytes of one record at most */

/*
 * One event of a root's history, decoded: every field the reports print
 * (the root's kvm and address are the root's own); rc_root_history()
 * rebuilds the events.
 */
struct rc_hrec {
	uint64_t seq;
	uint64_t ts;
	uint64_t caller;	/* alloc (no caller): role, as_id << 32,
				 * level << 40 */
	uint32_t val;		/* get, put: old; alloc, invalidate: count */
	int32_t pid;
	int32_t cpu;
	uint16_t absent;	/* rc_event.absent (RC_F__COUNT <= 16 bits) */
	uint8_t type, owner, to, reason, ctx, shared;
};

/*
 * What the histories of one model share: caller addresses by index, an
 * open-addressing index of them, and the latest records of the busiest
 * histories, not coded yet (model_hlog.c, struct rc_hlog_pend).
 */
#define RC_CALLERS_MEMO 16
#define RC_HLOG_PEND_BITS 6	/* 64 histories' latest records wait */
#define RC_HLOG_BUSY 256	/* events (seq) between a history's records */
struct rc_hlog_pend;
struct rc_callers {
	uint64_t *addr;		/* index -> address */
	uint32_t *slot;		/* hash -> index + 1, 0: empty */
	uint32_t n, cap, nslot;
	/* the latest lookups, direct mapped: address and index + 1 */
	uint64_t memo_addr[RC_CALLERS_MEMO];
	uint32_t memo_idx[RC_CALLERS_MEMO];
	struct rc_hlog_pend *pend;	/* 1 << RC_HLOG_PEND_BITS slots, or NULL */
};

/*
 * The buffer holds the marks, then the old milestones, then the ring,
 * oldest record first in each. A ring record's seq and ts are deltas
 * from the record before it (the oldest one's unused), decoded back from
 * the newest's; the marks and the old milestones are delta coded from
 * the one before, the first from zero. The latest records may wait in
 * the model's slots (pend), not coded yet: the readers below give the
 * history whole either way.
 */
struct rc_hlog {
	uint8_t *buf;
	uint64_t last_seq, last_ts;	/* the newest record's (coded or not) */
	/* bytes: a record is RC_HLOG_REC_MAX at most */
	uint32_t cap : 12, ring_len : 10, old_len : 9;
	uint32_t pend : 1;		/* its latest records wait in a slot */
	uint32_t mark_len : 8;
	uint32_t ring_n : 5;		/* records in the ring */
	uint32_t ring_keys : 5;		/* of them milestones */
	uint32_t old_n : 4;		/* old milestones */
	uint32_t marks : RC_HLOG_MARKS;	/* bit k: mark k is kept */
};

uint32_t rc_callers_intern_slow(struct rc_callers *c, uint64_t a, unsigned int m);
/* 1 + the index of caller a (added if new); 0 if a is 0 or out of memory. */
static inline uint32_t rc_callers_intern(struct rc_callers *c, uint64_t a)
{
	unsigned int m = (unsigned int)(a ^ a >> 4 ^ a >> 8) % RC_CALLERS_MEMO;

	if (!a)
		return 0;
	if (c->memo_addr[m] == a)
		return c->memo_idx[m];
	return rc_callers_intern_slow(c, a, m);
}
static inline uint64_t rc_callers_addr(const struct rc_callers *c, uint32_t i)
{
	return i && i <= c->n ? c->addr[i - 1] : 0;
}
void rc_callers_free(struct rc_callers *c);

/*
 * The latest records of the busy histories, not coded yet (most of a
 * busy root's records leave its ring before anything reads them): one
 * slot per history, by its address (direct mapped); another busy
 * history's push codes them (flush() in model_hlog.c). While a history
 * has a slot, its coded ring and old milestones are as they were when it
 * took the slot, or, once RC_HIST records wait, the ring is empty and
 * the old milestones are what they would be (rc_hlog_pend_full()); the
 * readers below give what a history coded record by record would hold,
 * which is what flush() makes.
 */
struct rc_hlog_pend {
	struct rc_hlog *h;		/* NULL: the slot is free */
	uint64_t e_seq, e_ts;		/* the coded ring's newest */
	struct rc_hrec rec[RC_HIST];	/* callers coded: an index, or raw */
	uint16_t key, raw;		/* bit i: rec[i] is a milestone, raw */
	uint8_t head, n;		/* the oldest, how many */
	uint8_t nkeys;			/* milestones among them */
};

static inline struct rc_hlog_pend *rc_hlog_slot(const struct rc_callers *c,
						const struct rc_hlog *h)
{
	uint64_t a = (uint64_t)(uintptr_t)h * 0x9e3779b97f4a7c15ull;

	return &c->pend[a >> (64 - RC_HLOG_PEND_BITS)];
}

/*
 * rec's caller as a record keeps it: its index in c, or (*raw) the word
 * itself (an alloc's role, as_id and level; a caller c cannot take).
 */
static inline uint64_t rc_hlog_code_caller(struct rc_callers *c, const struct rc_hrec *rec,
					   bool *raw)
{
	uint32_t idx = 0;

	*raw = rec->caller && (rec->type == RC_EV_ROOT_ALLOC ||
			       !(idx = rc_callers_intern(c, rec->caller)));
	return *raw ? rec->caller : idx;
}

/* rc_hlog_push() of a history without a slot. */
int rc_hlog_push_slow(struct rc_hlog *h, struct rc_callers *c,
		      const struct rc_hrec *rec, bool key);
/* RC_HIST records wait in s and one more comes (model_hlog.c). */
int rc_hlog_pend_full(struct rc_hlog *h, struct rc_hlog_pend *s, bool key);

/*
 * Record rec as the newest of the ring (a milestone if key), the oldest
 * record going when there are RC_HIST: to the old milestones if it is
 * one, of which only those among the latest RC_KEY milestones are kept.
 * Returns -1 when out of memory (the history unchanged, or, when another
 * history lost its slot, that one short of records).
 *
 * Inline, the common case: a busy history's record goes to its slot
 * (from the caller's registers, not through a copy of rec in memory).
 */
static inline __attribute__((always_inline)) int
rc_hlog_push(struct rc_hlog *h, struct rc_callers *c, const struct rc_hrec *rec, bool key)
{
	struct rc_hlog_pend *s;
	struct rc_hrec *d;
	unsigned int i;
	uint64_t caller;
	bool raw;

	if (!h->pend)
		return rc_hlog_push_slow(h, c, rec, key);
	s = rc_hlog_slot(c, h);
	if (s->n == RC_HIST) {
		unsigned int k0 = s->key >> s->head & 1, keys = s->nkeys - k0 + key;

		if (h->ring_n || k0 || h->old_n > (keys < RC_KEY ? RC_KEY - keys : 0)) {
			if (rc_hlog_pend_full(h, s, key) < 0)
				return -1;
		} else {		/* nothing coded falls out: the oldest goes */
			s->head = (uint8_t)((s->head + 1) % RC_HIST);
			s->n--;
		}
	}
	caller = rc_hlog_code_caller(c, rec, &raw);
	i = (s->head + s->n++) % RC_HIST;
	d = &s->rec[i];
	/* field by field: rec is the caller's, being written (no wide reloads) */
	d->seq = rec->seq;
	d->ts = rec->ts;
	d->caller = caller;
	d->val = rec->val;
	d->pid = rec->pid;
	d->cpu = rec->cpu;
	d->absent = rec->absent;
	d->type = rec->type;
	d->owner = rec->owner;
	d->to = rec->to;
	d->reason = rec->reason;
	d->ctx = rec->ctx;
	d->shared = rec->shared;
	s->key = (uint16_t)((s->key & ~(1u << i)) | (unsigned int)key << i);
	s->raw = (uint16_t)((s->raw & ~(1u << i)) | (unsigned int)raw << i);
	s->nkeys = (uint8_t)(s->nkeys + key);
	h->last_seq = rec->seq;
	h->last_ts = rec->ts;
	return 0;
}
/* The ring into out (RC_HIST at most), oldest first: the count. */
unsigned int rc_hlog_ring(const struct rc_hlog *h, const struct rc_callers *c,
			  struct rc_hrec *out);
/* The old milestones into out (RC_KEY at most), oldest first: the count. */
unsigned int rc_hlog_old(const struct rc_hlog *h, const struct rc_callers *c,
			 struct rc_hrec *out);
/* Nothing recorded yet. */
static inline bool rc_hlog_empty(const struct rc_hlog *h)
{
	return !h->ring_n && !h->pend;
}
/* The newest ring record into out; false (out untouched) if the ring is empty. */
bool rc_hlog_last(const struct rc_hlog *h, const struct rc_callers *c,
		  struct rc_hrec *out);
/* The cpu of the newest ring record (the ring must not be empty). */
int32_t rc_hlog_last_cpu(const struct rc_hlog *h, const struct rc_callers *c);

static inline bool rc_hlog_has_mark(const struct rc_hlog *h, unsigned int k)
{
	return h->marks & (1u << k);
}
/* Mark k into out; false (out untouched) if it is not kept. */
bool rc_hlog_mark(const struct rc_hlog *h, const struct rc_callers *c,
		  unsigned int k, struct rc_hrec *out);
/* Keep rec as mark k. Returns -1, the history unchanged, when out of memory. */
int rc_hlog_mark_set(struct rc_hlog *h, struct rc_callers *c, unsigned int k,
		     const struct rc_hrec *rec);
void rc_hlog_mark_clear(struct rc_hlog *h, unsigned int k);

/* Free h's bytes and its slot in c. */
void rc_hlog_free(struct rc_hlog *h, struct rc_callers *c);

#endif
