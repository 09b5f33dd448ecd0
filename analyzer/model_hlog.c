// SPDX-License-Identifier: GPL-2.0
/*
 * A root's report history as bytes (model_hlog.h). One record:
 *   header   type (4 bits, 15: a type byte follows), owner (2 bits),
 *            milestone, and whether a flags byte follows
 *   [flags]  which of absent, to, reason, ctx, shared follow, an owner
 *            byte (owner over 3), a raw caller (an alloc's role, as_id
 *            and level; a caller the table does not hold)
 *   [type] [owner]
 *   seq, ts  zigzag varints of the difference from the record before
 *   cpu, pid zigzag varints; val varint; [absent] varint
 *   [to] [reason] [ctx] [shared] one byte each
 *   caller   varint: 0 none, else 1 + its index in the callers (or raw)
 * About 12 bytes a get or put rather than struct rc_hrec's 48.
 */
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "model_hlog.h"

#define REC_MAX RC_HLOG_REC_MAX
#define CAP_MAX 4095		/* rc_hlog.cap */

/* the field widths of struct rc_hlog hold the bytes of the most records */
_Static_assert(RC_HIST * REC_MAX < 1024 && RC_KEY * REC_MAX < 512 &&
	       RC_HLOG_MARKS * REC_MAX < 256, "rc_hlog lengths");
_Static_assert((RC_HIST + RC_KEY + RC_HLOG_MARKS) * REC_MAX * 5 / 4 + 16 <= CAP_MAX,
	       "rc_hlog.cap");
_Static_assert(RC_HIST < 32 && RC_KEY < 16, "rc_hlog counts");

enum {
	H_TYPE = 0x0f,		/* 15: a type byte follows */
	H_OWNER = 0x30,
	H_KEY = 0x40,
	H_FLAGS = 0x80,
	F_ABSENT = 0x01,
	F_TO = 0x02,
	F_REASON = 0x04,
	F_CTX = 0x08,
	F_SHARED = 0x10,
	F_OWNER = 0x20,
	F_RAW = 0x40,
};

static uint8_t *put_u(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static const uint8_t *get_u(const uint8_t *p, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int s = 0;

	while (*p & 0x80) {
		x |= (uint64_t)(*p++ & 0x7f) << s;
		s += 7;
	}
	*v = x | (uint64_t)*p++ << s;
	return p;
}

static uint64_t zz(uint64_t d)
{
	return d << 1 ^ (0 - (d >> 63));
}

static uint64_t unzz(uint64_t z)
{
	return z >> 1 ^ (0 - (z & 1));
}

static uint32_t zz32(int32_t v)
{
	uint32_t u = (uint32_t)v;

	return u << 1 ^ (0u - (u >> 31));
}

static int32_t unzz32(uint64_t z)
{
	uint32_t u = (uint32_t)(z >> 1) ^ (0u - (uint32_t)(z & 1));
	int32_t v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static uint32_t caller_hash(uint64_t a, uint32_t nslot)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h ^ (h >> 29)) & (nslot - 1);
}

static bool callers_grow(struct rc_callers *c)
{
	uint32_t nslot = c->nslot ? 2 * c->nslot : 64;
	uint32_t *slot = nslot ? calloc(nslot, sizeof(*slot)) : NULL;
	uint64_t *addr;

	if (!slot)
		return false;
	addr = realloc(c->addr, nslot / 2 * sizeof(*addr));
	if (!addr) {
		free(slot);
		return false;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t s = caller_hash(addr[i], nslot);

		while (slot[s])
			s = (s + 1) & (nslot - 1);
		slot[s] = i + 1;
	}
	free(c->slot);
	c->slot = slot;
	c->addr = addr;
	c->nslot = nslot;
	c->cap = nslot / 2;
	return true;
}

static uint32_t callers_find(struct rc_callers *c, uint64_t a)
{
	uint32_t s;

	if (c->nslot) {
		for (s = caller_hash(a, c->nslot); c->slot[s]; s = (s + 1) & (c->nslot - 1))
			if (c->addr[c->slot[s] - 1] == a)
				return c->slot[s];
	}
	if (c->n == c->cap && !callers_grow(c))
		return 0;
	for (s = caller_hash(a, c->nslot); c->slot[s]; s = (s + 1) & (c->nslot - 1))
		;
	c->addr[c->n++] = a;
	c->slot[s] = c->n;
	return c->n;
}

uint32_t rc_callers_intern_slow(struct rc_callers *c, uint64_t a, unsigned int m)
{
	uint32_t i = callers_find(c, a);

	if (i) {
		c->memo_addr[m] = a;
		c->memo_idx[m] = i;
	}
	return i;
}

void rc_callers_free(struct rc_callers *c)
{
	free(c->pend);
	free(c->addr);
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

/*
 * A record with its caller as it is stored: an index into the callers
 * (1 + index, 0 none), or the raw value (raw: an alloc's role, as_id and
 * level, or a caller the table could not take).
 */
struct crec {
	struct rc_hrec h;
	bool raw;
};

/* h with its caller coded: interned in c when it is a caller. */
static struct crec code(struct rc_callers *c, const struct rc_hrec *h)
{
	struct crec x = { .h = *h };

	x.h.caller = rc_hlog_code_caller(c, h, &x.raw);
	return x;
}

/* x as the model reads it: its caller an address. */
static void uncode(const struct rc_callers *c, const struct crec *x, struct rc_hrec *out)
{
	*out = x->h;
	if (!x->raw)
		out->caller = rc_callers_addr(c, (uint32_t)x->h.caller);
}

/* Record x, its seq and ts as differences from (seq0, ts0), at p: the end. */
static uint8_t *rec_put(uint8_t *p, const struct crec *x, uint64_t seq0, uint64_t ts0,
			bool key)
{
	const struct rc_hrec *h = &x->h;
	uint8_t *hd = p++, f = 0;

	if (h->absent)
		f |= F_ABSENT;
	if (h->to)
		f |= F_TO;
	if (h->reason)
		f |= F_REASON;
	if (h->ctx)
		f |= F_CTX;
	if (h->shared)
		f |= F_SHARED;
	if (h->owner > 3)
		f |= F_OWNER;
	if (x->raw)
		f |= F_RAW;
	*hd = (uint8_t)((h->type < 15 ? h->type : 15) | (h->owner > 3 ? 0 : h->owner << 4) |
			(key ? H_KEY : 0) | (f ? H_FLAGS : 0));
	if (f)
		*p++ = f;
	if (h->type >= 15)
		*p++ = h->type;
	if (f & F_OWNER)
		*p++ = h->owner;
	p = put_u(p, zz(h->seq - seq0));
	p = put_u(p, zz(h->ts - ts0));
	p = put_u(p, zz32(h->cpu));
	p = put_u(p, zz32(h->pid));
	p = put_u(p, h->val);
	if (f & F_ABSENT)
		p = put_u(p, h->absent);
	if (f & F_TO)
		*p++ = h->to;
	if (f & F_REASON)
		*p++ = h->reason;
	if (f & F_CTX)
		*p++ = h->ctx;
	if (f & F_SHARED)
		*p++ = h->shared;
	return put_u(p, h->caller);
}

/* The record at p into x, its seq and ts the stored differences, and its end. */
static const uint8_t *rec_get(const uint8_t *p, struct crec *x, bool *key)
{
	struct rc_hrec *h = &x->h;
	uint8_t hd = *p++, f = hd & H_FLAGS ? *p++ : 0;
	uint64_t v;

	h->type = hd & H_TYPE;
	if (h->type == 15)
		h->type = *p++;
	h->owner = (hd & H_OWNER) >> 4;
	if (f & F_OWNER)
		h->owner = *p++;
	p = get_u(p, &h->seq);
	h->seq = unzz(h->seq);
	p = get_u(p, &h->ts);
	h->ts = unzz(h->ts);
	p = get_u(p, &v);
	h->cpu = unzz32(v);
	p = get_u(p, &v);
	h->pid = unzz32(v);
	p = get_u(p, &v);
	h->val = (uint32_t)v;
	h->absent = 0;
	if (f & F_ABSENT) {
		p = get_u(p, &v);
		h->absent = (uint16_t)v;
	}
	h->to = f & F_TO ? *p++ : 0;
	h->reason = f & F_REASON ? *p++ : 0;
	h->ctx = f & F_CTX ? *p++ : 0;
	h->shared = f & F_SHARED ? *p++ : 0;
	p = get_u(p, &h->caller);
	x->raw = f & F_RAW;
	if (key)
		*key = hd & H_KEY;
	return p;
}

static const uint8_t *skip_u(const uint8_t *p)
{
	while (*p++ & 0x80)
		;
	return p;
}

/* Past the record's header at p (to its seq): whether it is a milestone, its flags. */
static const uint8_t *rec_head(const uint8_t *p, bool *key, uint8_t *f)
{
	uint8_t hd = *p++;

	*f = hd & H_FLAGS ? *p++ : 0;
	*key = hd & H_KEY;
	return p + ((hd & H_TYPE) == 15) + !!(*f & F_OWNER);
}

/* The end of a record, from its cpu on (p), with flags f. */
static const uint8_t *rec_tail(const uint8_t *p, uint8_t f)
{
	for (int i = 0; i < 3 + !!(f & F_ABSENT); i++)	/* cpu pid val [absent] */
		p = skip_u(p);
	p += !!(f & F_TO) + !!(f & F_REASON) + !!(f & F_CTX) + !!(f & F_SHARED);
	return skip_u(p);	/* caller */
}

/*
 * The end of the record at p, read no further than it must be: whether
 * it is a milestone, and its stored seq and ts differences.
 */
static const uint8_t *rec_skip(const uint8_t *p, bool *key, uint64_t *dseq, uint64_t *dts)
{
	uint8_t f;

	p = get_u(rec_head(p, key, &f), dseq);
	*dseq = unzz(*dseq);
	p = get_u(p, dts);
	*dts = unzz(*dts);
	return rec_tail(p, f);
}

/* The end of the record at p, nothing decoded: whether it is a milestone. */
static const uint8_t *rec_end(const uint8_t *p, bool *key)
{
	uint8_t f;

	p = skip_u(skip_u(rec_head(p, key, &f)));	/* seq ts */
	return rec_tail(p, f);
}

/*
 * The end of a record whose flags are at most F_OWNER and F_RAW (a get
 * or put): past its header, six varints (seq ts cpu pid val caller).
 * With 16 bytes readable at p, found from the bytes' top bits at once:
 * a varint ends at a byte below 0x80. NULL if it does not end within
 * those 16 bytes, or the record has other flags.
 */
static const uint8_t *rec_end_fast(const uint8_t *p)
{
	const uint64_t top = 0x8080808080808080ull;
	uint8_t hd = p[0], f = hd & H_FLAGS ? p[1] : 0;
	unsigned int skip = 1 + !!(hd & H_FLAGS) + ((hd & H_TYPE) == 15) + !!(f & F_OWNER);
	uint64_t w[2], t;
	int k = 5;		/* terminators to pass: the sixth ends it */

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || (f & ~(F_OWNER | F_RAW)))
		return NULL;
	memcpy(w, p, sizeof(w));
	t = (~w[0] & top) >> (8 * skip);	/* past the header */
	for (; k && t; k--)
		t &= t - 1;
	if (t)
		return p + skip + (unsigned int)__builtin_ctzll(t) / 8 + 1;
	t = ~w[1] & top;
	for (; k && t; k--)
		t &= t - 1;
	return t ? p + 8 + (unsigned int)__builtin_ctzll(t) / 8 + 1 : NULL;
}

static size_t hlog_len(const struct rc_hlog *h)
{
	return (size_t)h->mark_len + h->old_len + h->ring_len;
}

/*
 * The coded ring into out (and whether each is a milestone into key),
 * oldest first, its newest record's seq and ts (seq, ts): the count.
 */
static unsigned int ring_get(const struct rc_hlog *h, uint64_t seq, uint64_t ts,
			     struct crec *out, bool *key)
{
	const uint8_t *p = h->buf + h->mark_len + h->old_len;
	unsigned int i;

	for (i = 0; i < h->ring_n; i++)
		p = rec_get(p, &out[i], &key[i]);
	for (i = h->ring_n; i-- > 0;) {
		uint64_t dseq = out[i].h.seq, dts = out[i].h.ts;

		out[i].h.seq = seq;
		out[i].h.ts = ts;
		seq -= dseq;
		ts -= dts;
	}
	return h->ring_n;
}

/*
 * The oldest record of a full coded ring: its seq and ts are the
 * newest's less the differences of the records after it, which is all
 * that is read of those.
 */
static struct crec ring_oldest(const struct rc_hlog *h)
{
	const uint8_t *p = h->buf + h->mark_len + h->old_len;
	struct crec r;
	uint64_t seq = h->last_seq, ts = h->last_ts, dseq, dts;
	bool key;

	p = rec_get(p, &r, NULL);
	for (unsigned int i = 1; i < h->ring_n; i++) {
		p = rec_skip(p, &key, &dseq, &dts);
		seq -= dseq;
		ts -= dts;
	}
	r.h.seq = seq;
	r.h.ts = ts;
	return r;
}

/* n records, each delta coded from the one before (the first from 0). */
static size_t chain_put(uint8_t *out, const struct crec *x, unsigned int n)
{
	uint8_t *p = out;

	for (unsigned int i = 0; i < n; i++)
		p = rec_put(p, &x[i], i ? x[i - 1].h.seq : 0, i ? x[i - 1].h.ts : 0, false);
	return (size_t)(p - out);
}

static unsigned int chain_get(const uint8_t *p, struct crec *out, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		p = rec_get(p, &out[i], NULL);
		if (i) {
			out[i].h.seq += out[i - 1].h.seq;
			out[i].h.ts += out[i - 1].h.ts;
		}
	}
	return n;
}

/* Room for len bytes: false if out of memory. */
static bool reserve(struct rc_hlog *h, size_t len)
{
	size_t cap;
	uint8_t *b;

	if (len <= h->cap)
		return true;
	/*
	 * To the end of malloc's 16-byte granule, no more: a history grows
	 * a record at a time until its ring is full, then keeps its size
	 * (a quarter more each time cost 3% more memory, no less time).
	 */
	cap = ((len + 7) | 15) - 7;
	if (cap > CAP_MAX)
		cap = CAP_MAX;
	b = realloc(h->buf, cap);
	if (!b)
		return false;
	h->buf = b;
	h->cap = (uint32_t)cap;
	return true;
}

/* Replace the len bytes at off by the n at src (room reserved). */
static void splice(struct rc_hlog *h, size_t off, size_t len,
		   const uint8_t *src, size_t n)
{
	size_t total = hlog_len(h);

	if (n != len)
		memmove(h->buf + off + n, h->buf + off + len, total - off - len);
	if (n)
		memcpy(h->buf + off, src, n);
}

/*
 * A full coded ring whose oldest record is no milestone, a record that
 * is none: the oldest goes, the new one (n bytes at rp) comes, in the
 * room there is. False (nothing changed) where push_coded() has more to
 * do.
 */
static bool push_routine(struct rc_hlog *h, const uint8_t *rp, size_t n)
{
	size_t off = (size_t)h->mark_len + h->old_len, cut;
	uint8_t *ring0 = h->buf + off;
	const uint8_t *end0 = NULL;

	if (h->ring_n != RC_HIST || (*ring0 & H_KEY))
		return false;
	if (h->ring_len >= 16)
		end0 = rec_end_fast(ring0);
	if (!end0) {
		bool key0;

		end0 = rec_end(ring0, &key0);
	}
	cut = (size_t)(end0 - ring0);
	if (off + h->ring_len - cut + n > h->cap)
		return false;
	memmove(ring0, end0, h->ring_len - cut);
	memcpy(ring0 + h->ring_len - cut, rp, n);
	h->ring_len = (uint32_t)(h->ring_len - cut + n);
	return true;
}

/*
 * Record x as the newest of the coded ring (a milestone if key), the
 * oldest going when there are RC_HIST: to the old milestones if it is
 * one, of which only those among the latest RC_KEY milestones are kept.
 * -1, the history unchanged, when out of memory.
 */
static int push_coded(struct rc_hlog *h, const struct crec *x, bool key)
{
	uint8_t rp[REC_MAX], old[RC_KEY * REC_MAX];
	struct crec olds[RC_KEY + 1];
	size_t n, cut = 0, nold = h->old_len, total = hlog_len(h);
	unsigned int keys = h->ring_keys + key, oldn = h->old_n, limit;
	bool full = h->ring_n == RC_HIST, key0 = false, redo_old;

	/* the first record of a ring: its differences are not used */
	n = (size_t)(rec_put(rp, x, h->ring_n ? h->last_seq : x->h.seq,
			     h->ring_n ? h->last_ts : x->h.ts, key) - rp);
	if (!key && push_routine(h, rp, n)) {
		h->last_seq = x->h.seq;
		h->last_ts = x->h.ts;
		return 0;
	}
	if (full) {
		/*
		 * The oldest goes; the next becomes the first, its stored
		 * differences from the one that went now unused (the ring
		 * decodes from the newest back): its bytes stay as they are.
		 */
		const uint8_t *ring0 = h->buf + h->mark_len + h->old_len;

		cut = (size_t)(rec_end(ring0, &key0) - ring0);
		keys -= key0;
	}
	limit = keys < RC_KEY ? RC_KEY - keys : 0;
	redo_old = (full && key0 && limit) || oldn > limit;
	if (redo_old) {
		if (oldn)
			chain_get(h->buf + h->mark_len, olds, oldn);
		if (full && key0 && limit)
			olds[oldn++] = ring_oldest(h);
		if (oldn > limit) {
			memmove(olds, olds + (oldn - limit), limit * sizeof(olds[0]));
			oldn = limit;
		}
		nold = chain_put(old, olds, oldn);
	}
	if (!reserve(h, total - cut + n + (nold > h->old_len ? nold - h->old_len : 0)))
		return -1;
	if (full) {
		splice(h, total - h->ring_len, cut, NULL, 0);
		h->ring_len = (uint32_t)(h->ring_len - cut);
		h->ring_n--;
	}
	memcpy(h->buf + hlog_len(h), rp, n);
	h->ring_len = (uint32_t)(h->ring_len + n);
	h->ring_n++;
	h->ring_keys = keys;
	h->last_seq = x->h.seq;
	h->last_ts = x->h.ts;
	if (redo_old) {
		splice(h, h->mark_len, h->old_len, old, nold);
		h->old_len = (uint32_t)nold;
		h->old_n = (uint32_t)oldn;
	}
	return 0;
}

/* The kth oldest record waiting in s, as stored, and whether it is a milestone. */
static struct crec pend_rec(const struct rc_hlog_pend *s, unsigned int k, bool *key)
{
	unsigned int i = (s->head + k) % RC_HIST;
	struct crec x = { .h = s->rec[i], .raw = s->raw >> i & 1 };

	*key = s->key >> i & 1;
	return x;
}

/* Code the records waiting in s into their history; the slot is freed. */
static int flush(struct rc_hlog_pend *s)
{
	struct rc_hlog *h = s->h;
	int ret = 0;

	h->last_seq = s->e_seq;		/* the coded ring's newest */
	h->last_ts = s->e_ts;
	for (unsigned int k = 0; k < s->n; k++) {
		bool key;
		struct crec x = pend_rec(s, k, &key);

		if (push_coded(h, &x, key) < 0)
			ret = -1;
	}
	h->pend = 0;
	s->h = NULL;
	return ret;
}

/*
 * RC_HIST records wait in s and one more (a milestone if key) comes: the
 * coded ring is out of the ring, and so is the oldest waiting record.
 * The old milestones are the latest of theirs and the milestones that
 * fell out, as many as RC_KEY less the milestones of the ring after.
 */
int rc_hlog_pend_full(struct rc_hlog *h, struct rc_hlog_pend *s, bool key)
{
	bool key0 = s->key >> s->head & 1;
	unsigned int keys = s->nkeys - key0 + key;
	unsigned int limit = keys < RC_KEY ? RC_KEY - keys : 0, n = h->old_n;

	if (h->ring_keys || key0 || h->old_n > limit) {
		struct crec cand[RC_KEY + RC_HIST + 1], ring[RC_HIST];
		bool rkey[RC_HIST], k;
		uint8_t out[(RC_KEY + RC_HIST + 1) * REC_MAX];
		unsigned int nr = ring_get(h, s->e_seq, s->e_ts, ring, rkey);
		size_t len;

		chain_get(h->buf + h->mark_len, cand, n);
		for (unsigned int i = 0; i < nr; i++)
			if (rkey[i])
				cand[n++] = ring[i];
		if (key0)
			cand[n++] = pend_rec(s, 0, &k);
		if (n > limit) {
			memmove(cand, cand + (n - limit), limit * sizeof(cand[0]));
			n = limit;
		}
		len = chain_put(out, cand, n);
		h->ring_len = 0;	/* out of the ring, whatever happens */
		h->ring_n = 0;
		h->ring_keys = 0;
		if (!reserve(h, (size_t)h->mark_len + len))
			return -1;
		splice(h, h->mark_len, h->old_len, out, len);
		h->old_len = (uint32_t)len;
		h->old_n = n;
	}
	h->ring_len = 0;
	h->ring_n = 0;
	h->ring_keys = 0;
	s->head = (uint8_t)((s->head + 1) % RC_HIST);
	s->n--;
	s->nkeys -= key0;
	return 0;
}

int rc_hlog_push_slow(struct rc_hlog *h, struct rc_callers *c,
		      const struct rc_hrec *rec, bool key)
{
	struct crec x = code(c, rec);
	struct rc_hlog_pend *s;
	int ret = 0;

	/*
	 * A history that is not busy (nothing recorded in the last
	 * RC_HLOG_BUSY events of the trace) is coded at once: with many roots
	 * each touched now and then, a slot would only move the coding to
	 * another root's memory.
	 */
	if (rc_hlog_empty(h) || rec->seq - h->last_seq > RC_HLOG_BUSY)
		return push_coded(h, &x, key);
	if (!c->pend)
		c->pend = calloc(1u << RC_HLOG_PEND_BITS, sizeof(*c->pend));
	if (!c->pend)
		return push_coded(h, &x, key);	/* coded at once */
	/* the slot, and the record its first */
	s = rc_hlog_slot(c, h);
	if (s->h && flush(s) < 0)
		ret = -1;	/* that history is short of records */
	s->h = h;
	s->e_seq = h->last_seq;
	s->e_ts = h->last_ts;
	s->rec[0] = x.h;
	s->key = key;
	s->raw = x.raw;
	s->head = 0;
	s->n = 1;
	s->nkeys = key;
	h->pend = 1;
	h->last_seq = rec->seq;
	h->last_ts = rec->ts;
	return ret;
}

/*
 * What h holds, as if every record were coded: the ring (RC_HIST at
 * most) and the old milestones (RC_KEY at most), oldest first, callers
 * as stored.
 */
static void view(const struct rc_hlog *h, const struct rc_callers *c,
		 struct crec *ring, unsigned int *nring, struct crec *old, unsigned int *nold)
{
	const struct rc_hlog_pend *s = h->pend ? rc_hlog_slot(c, h) : NULL;
	struct crec all[2 * RC_HIST], cand[RC_KEY + RC_HIST];
	bool key[2 * RC_HIST];
	unsigned int n, start, keys = 0, nc, limit;

	if (!s) {
		*nring = ring_get(h, h->last_seq, h->last_ts, ring, key);
		*nold = h->old_n ? chain_get(h->buf + h->mark_len, old, h->old_n) : 0;
		return;
	}
	n = ring_get(h, s->e_seq, s->e_ts, all, key);
	for (unsigned int k = 0; k < s->n; k++, n++)
		all[n] = pend_rec(s, k, &key[n]);
	start = n > RC_HIST ? n - RC_HIST : 0;
	for (unsigned int i = start; i < n; i++)
		keys += key[i];
	limit = keys < RC_KEY ? RC_KEY - keys : 0;
	nc = h->old_n ? chain_get(h->buf + h->mark_len, cand, h->old_n) : 0;
	for (unsigned int i = 0; i < start; i++)
		if (key[i])
			cand[nc++] = all[i];
	if (nc > limit) {
		memmove(cand, cand + (nc - limit), limit * sizeof(cand[0]));
		nc = limit;
	}
	memcpy(old, cand, nc * sizeof(cand[0]));
	*nold = nc;
	memcpy(ring, all + start, (n - start) * sizeof(all[0]));
	*nring = n - start;
}

/* The ring of view() (old_part: its old milestones) into out, callers as addresses. */
static unsigned int view_out(const struct rc_hlog *h, const struct rc_callers *c,
			     bool old_part, struct rc_hrec *out)
{
	struct crec ring[RC_HIST], old[RC_KEY];
	unsigned int n, nold;

	view(h, c, ring, &n, old, &nold);
	if (old_part)
		n = nold;
	for (unsigned int i = 0; i < n; i++)
		uncode(c, old_part ? &old[i] : &ring[i], &out[i]);
	return n;
}

unsigned int rc_hlog_ring(const struct rc_hlog *h, const struct rc_callers *c,
			  struct rc_hrec *out)
{
	return view_out(h, c, false, out);
}

unsigned int rc_hlog_old(const struct rc_hlog *h, const struct rc_callers *c,
			 struct rc_hrec *out)
{
	return view_out(h, c, true, out);
}

/* The newest record, as stored (the ring must not be empty). */
static struct crec newest(const struct rc_hlog *h, const struct rc_callers *c)
{
	const uint8_t *p = h->buf + h->mark_len + h->old_len;
	struct crec x;
	bool key;

	if (h->pend) {
		const struct rc_hlog_pend *s = rc_hlog_slot(c, h);

		return pend_rec(s, s->n - 1u, &key);
	}
	for (unsigned int i = 1; i < h->ring_n; i++)
		p = rec_end(p, &key);
	rec_get(p, &x, NULL);
	x.h.seq = h->last_seq;
	x.h.ts = h->last_ts;
	return x;
}

bool rc_hlog_last(const struct rc_hlog *h, const struct rc_callers *c,
		  struct rc_hrec *out)
{
	struct crec x;

	if (rc_hlog_empty(h))
		return false;
	x = newest(h, c);
	uncode(c, &x, out);
	return true;
}

int32_t rc_hlog_last_cpu(const struct rc_hlog *h, const struct rc_callers *c)
{
	return newest(h, c).h.cpu;
}

bool rc_hlog_mark(const struct rc_hlog *h, const struct rc_callers *c,
		  unsigned int k, struct rc_hrec *out)
{
	struct crec m[RC_HLOG_MARKS];
	unsigned int n = 0;

	if (!rc_hlog_has_mark(h, k))
		return false;
	for (unsigned int i = 0; i < k; i++)
		n += rc_hlog_has_mark(h, i);
	chain_get(h->buf, m, n + 1);
	uncode(c, &m[n], out);
	return true;
}

/* The marks as they are, with mark k x (NULL: cleared). */
static int marks_put(struct rc_hlog *h, unsigned int k, const struct crec *x)
{
	struct crec m[RC_HLOG_MARKS], keep[RC_HLOG_MARKS];
	uint8_t out[RC_HLOG_MARKS * REC_MAX];
	unsigned int n = 0, nkeep = 0;
	unsigned int marks = h->marks;
	size_t len;

	for (unsigned int i = 0; i < RC_HLOG_MARKS; i++)
		n += rc_hlog_has_mark(h, i);
	chain_get(h->buf, m, n);
	n = 0;
	for (unsigned int i = 0; i < RC_HLOG_MARKS; i++) {
		if (i == k && x)
			keep[nkeep++] = *x;
		else if (i != k && rc_hlog_has_mark(h, i))
			keep[nkeep++] = m[n];
		n += rc_hlog_has_mark(h, i);
	}
	marks = x ? marks | 1u << k : marks & ~(1u << k);
	len = chain_put(out, keep, nkeep);
	if (!reserve(h, hlog_len(h) - h->mark_len + len))
		return -1;
	splice(h, 0, h->mark_len, out, len);
	h->mark_len = (uint32_t)len;
	h->marks = marks;
	return 0;
}

int rc_hlog_mark_set(struct rc_hlog *h, struct rc_callers *c, unsigned int k,
		     const struct rc_hrec *rec)
{
	struct crec x = code(c, rec);

	return marks_put(h, k, &x);
}

void rc_hlog_mark_clear(struct rc_hlog *h, unsigned int k)
{
	if (rc_hlog_has_mark(h, k))
		marks_put(h, k, NULL);	/* shrinks: cannot fail */
}

void rc_hlog_free(struct rc_hlog *h, struct rc_callers *c)
{
	if (h->pend && c->pend)
		rc_hlog_slot(c, h)->h = NULL;
	free(h->buf);
	memset(h, 0, sizeof(*h));
}
