// SPDX-License-Identifier: GPL-2.0
/*
 * The history codec (model_hlog.c): records come back as they went in,
 * whatever their values; the ring keeps the latest RC_HIST; the old
 * milestones are those of the latest RC_KEY that fell out of the ring,
 * checked against the fixed arrays the model kept before (a ring of
 * RC_KEY milestones with their positions); marks are set, replaced and
 * cleared one by one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "model_hlog.h"
#include "unit.h"

static bool same(const struct rc_hrec *a, const struct rc_hrec *b)
{
	return a->seq == b->seq && a->ts == b->ts && a->caller == b->caller &&
	       a->val == b->val && a->pid == b->pid && a->cpu == b->cpu &&
	       a->absent == b->absent && a->type == b->type && a->owner == b->owner &&
	       a->to == b->to && a->reason == b->reason && a->ctx == b->ctx &&
	       a->shared == b->shared;
}

static uint64_t rnd_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* A record with every field extreme or random (i: which of them). */
static struct rc_hrec extreme(unsigned int i)
{
	static const uint64_t big[] = {
		0, 1, 127, 128, UINT64_MAX, UINT64_MAX - 1, 1ull << 63, (1ull << 63) - 1,
	};
	static const int32_t ints[] = { 0, -1, 1, INT32_MIN, INT32_MAX, 4095, -4096, 100000 };
	struct rc_hrec h;

	memset(&h, 0, sizeof(h));
	h.seq = i < 64 ? big[i % 8] : rnd();
	h.ts = i < 64 ? big[(i / 8) % 8] : rnd();
	h.caller = i % 5 == 0 ? 0 : i % 5 == 1 ? UINT64_MAX : i % 5 == 2 ?
		   0xffffffff81000000ull + (rnd() % 8) * 0x40 : rnd();
	h.val = i % 3 == 0 ? UINT32_MAX : i % 3 == 1 ? 0 : (uint32_t)rnd();
	h.pid = ints[i % 8];
	h.cpu = ints[(i / 3) % 8];
	h.absent = i % 4 == 0 ? 0xffff : (uint16_t)(i % 4 == 1 ? 0 : rnd());
	h.type = (uint8_t)(i % 7 == 0 ? 255 : i % 7 == 1 ? 15 : i % RC_EV__COUNT);
	h.owner = (uint8_t)(i % 6 == 0 ? 200 : i % 4);
	h.to = (uint8_t)(i % 2 ? 255 : 0);
	h.reason = (uint8_t)(i % 3 ? i : 0);
	h.ctx = (uint8_t)(i % 5 ? 0 : 2);
	h.shared = (uint8_t)(i % 9 ? 1 : 0);
	return h;
}

/* The model's fixed arrays before (model.c before issue 15), as the reference. */
struct ref_hist {
	struct rc_hrec hist[RC_HIST], key[RC_KEY];
	unsigned int key_pos[RC_KEY], hist_n, key_n;
};

static void ref_push(struct ref_hist *r, const struct rc_hrec *h, bool key)
{
	if (key) {
		r->key[r->key_n % RC_KEY] = *h;
		r->key_pos[r->key_n % RC_KEY] = r->hist_n;
		r->key_n++;
	}
	r->hist[r->hist_n++ % RC_HIST] = *h;
}

/* The milestones of the reference that fell out of its ring, oldest first. */
static unsigned int ref_old(const struct ref_hist *r, struct rc_hrec *out)
{
	unsigned int n = r->hist_n < RC_HIST ? r->hist_n : RC_HIST;
	unsigned int start = r->hist_n - n;
	unsigned int nk = r->key_n < RC_KEY ? r->key_n : RC_KEY;
	unsigned int k0 = r->key_n - nk, nold = 0;

	while (nold < nk && r->key_pos[(k0 + nold) % RC_KEY] < start) {
		out[nold] = r->key[(k0 + nold) % RC_KEY];
		nold++;
	}
	return nold;
}

static void check_against(const struct rc_hlog *h, const struct rc_callers *c,
			  const struct ref_hist *r, unsigned int step)
{
	struct rc_hrec ring[RC_HIST], old[RC_KEY], want[RC_KEY];
	unsigned int n = rc_hlog_ring(h, c, ring), nw = r->hist_n < RC_HIST ? r->hist_n : RC_HIST;
	unsigned int nold = rc_hlog_old(h, c, old), nwold = ref_old(r, want);
	bool ok = n == nw && nold == nwold;
	unsigned int bad = 0;

	for (unsigned int i = 0; ok && i < n; i++, bad++)
		ok = same(&ring[i], &r->hist[(r->hist_n - n + i) % RC_HIST]);
	for (unsigned int i = 0; ok && i < nold; i++, bad++)
		ok = same(&old[i], &want[i]);
	CHECK_MSG(ok, "step %u: ring %u/%u old %u/%u, record %u", step, n, nw, nold, nwold, bad);
	if (n)
		CHECK(rc_hlog_last_cpu(h, c) == ring[n - 1].cpu);
}

/* Every extreme record, alone and in a ring, comes back as it went in. */
static void test_round_trip(void)
{
	struct rc_callers c = { 0 };
	struct rc_hlog h = { 0 };
	struct ref_hist r = { 0 };

	for (unsigned int i = 0; i < 200; i++) {
		struct rc_hrec x = extreme(i), m;

		CHECK(rc_hlog_push(&h, &c, &x, i % 3 == 0) == 0);
		ref_push(&r, &x, i % 3 == 0);
		check_against(&h, &c, &r, i);
		CHECK(rc_hlog_mark_set(&h, &c, i % RC_HLOG_MARKS, &x) == 0);
		CHECK(rc_hlog_mark(&h, &c, i % RC_HLOG_MARKS, &m) && same(&m, &x));
	}
	CHECK(!rc_hlog_empty(&h));
	rc_hlog_free(&h, &c);
	rc_callers_free(&c);
}

/*
 * Long runs of milestones and routine events in every proportion: the
 * ring and the old milestones match the reference at every step (the
 * eviction of the ring's oldest, milestones falling out of the ring,
 * the old ones falling out of the latest RC_KEY).
 */
static void test_milestones(void)
{
	static const unsigned int every[] = { 1, 2, 3, 5, 8, 17, 40, 1000 };

	for (unsigned int e = 0; e < sizeof(every) / sizeof(every[0]); e++) {
		struct rc_callers c = { 0 };
		struct rc_hlog h = { 0 };
		struct ref_hist r = { 0 };
		uint64_t seq = UINT64_MAX - 300, ts = UINT64_MAX - 5000;

		for (unsigned int i = 0; i < 300; i++) {
			struct rc_hrec x = extreme(64 + i);
			bool key = every[e] == 1000 ? rnd() % 4 == 0 : i % every[e] == 0;

			/* near 2^64 and past it, mostly rising, sometimes not */
			seq += rnd() % 5 == 0 ? (uint64_t)-(int64_t)(rnd() % 50) : rnd() % 100000;
			ts += rnd() % 7 == 0 ? (uint64_t)-(int64_t)(rnd() % 5000) : rnd() % 10000000;
			x.seq = seq;
			x.ts = ts;
			CHECK(rc_hlog_push(&h, &c, &x, key) == 0);
			ref_push(&r, &x, key);
			check_against(&h, &c, &r, i);
		}
		rc_hlog_free(&h, &c);
		rc_callers_free(&c);
	}
}

/* Marks are independent: set, replaced, cleared, in any order. */
static void test_marks(void)
{
	struct rc_callers c = { 0 };
	struct rc_hlog h = { 0 };
	struct rc_hrec want[RC_HLOG_MARKS], x;
	bool has[RC_HLOG_MARKS] = { false };

	for (unsigned int i = 0; i < 400; i++) {
		unsigned int k = (unsigned int)(rnd() % RC_HLOG_MARKS);
		bool ok = true;

		if (rnd() % 3 == 0) {
			rc_hlog_mark_clear(&h, k);
			has[k] = false;
		} else {
			want[k] = extreme(i);
			CHECK(rc_hlog_mark_set(&h, &c, k, &want[k]) == 0);
			has[k] = true;
		}
		if (i % 5 == 0) {	/* the ring beside them */
			x = extreme(i + 7);
			CHECK(rc_hlog_push(&h, &c, &x, i % 2) == 0);
		}
		for (unsigned int j = 0; j < RC_HLOG_MARKS; j++) {
			struct rc_hrec m;

			ok = ok && rc_hlog_has_mark(&h, j) == has[j] &&
			     rc_hlog_mark(&h, &c, j, &m) == has[j] && (!has[j] || same(&m, &want[j]));
		}
		CHECK_MSG(ok, "step %u", i);
	}
	rc_hlog_free(&h, &c);
	rc_callers_free(&c);
}

/* Many distinct callers: each kept, the table grown. */
static void test_many_callers(void)
{
	struct rc_callers c = { 0 };
	struct rc_hlog h = { 0 };
	struct ref_hist r = { 0 };
	bool ok = true;

	for (unsigned int i = 0; i < 70000; i++) {
		struct rc_hrec x = extreme(i);

		x.type = RC_EV_ROOT_GET;
		x.caller = 0xffffffff80000000ull + i * 16ull;
		if (rc_hlog_push(&h, &c, &x, i % 11 == 0) != 0)
			ok = false;
		ref_push(&r, &x, i % 11 == 0);
		if (i % 997 == 0 || i > 69990)
			check_against(&h, &c, &r, i);
	}
	CHECK(ok);
	CHECK(c.n == 70000);
	rc_hlog_free(&h, &c);
	rc_callers_free(&c);
}

/*
 * Many histories pushed to in turn share the slots where the latest
 * records wait uncoded (model_hlog.c, struct rc_hlog_pend): a history
 * that loses its slot to another is coded, one that keeps it past
 * RC_HIST records drops its coded ring. Each matches the reference at
 * every step, through every mix of the two, marks set between pushes,
 * histories freed and made again.
 */
static void test_shared_slots(void)
{
	enum { NH = 3 << RC_HLOG_PEND_BITS };
	static struct rc_hlog h[NH];
	static struct ref_hist r[NH];
	struct rc_callers c = { 0 };
	unsigned int hot = 0;
	bool pushed = true;

	memset(h, 0, sizeof(h));
	memset(r, 0, sizeof(r));
	for (unsigned int i = 0; i < 60000; i++) {
		/* runs on one history, or spread over all of them */
		unsigned int k = rnd() % 4 ? hot : (unsigned int)(rnd() % NH);
		struct rc_hrec x = extreme(64 + i % 500);
		bool key = rnd() % (k % 3 + 2) == 0;

		if (rnd() % 50 == 0)
			hot = (unsigned int)(rnd() % NH);
		x.seq = r[k].hist_n ? r[k].hist[(r[k].hist_n - 1) % RC_HIST].seq + rnd() % 300 : rnd();
		if (rnd() % 200 == 0) {
			rc_hlog_free(&h[k], &c);
			memset(&r[k], 0, sizeof(r[k]));
			continue;
		}
		if (rnd() % 30 == 0)
			CHECK(rc_hlog_mark_set(&h[k], &c, (unsigned int)(rnd() % RC_HLOG_MARKS), &x) == 0);
		pushed = pushed && rc_hlog_push(&h[k], &c, &x, key) == 0;
		ref_push(&r[k], &x, key);
		if (rnd() % 8 == 0)
			check_against(&h[k], &c, &r[k], i);
		if (i % 5000 == 0)
			for (unsigned int j = 0; j < NH; j++)
				check_against(&h[j], &c, &r[j], i);
	}
	CHECK(pushed);
	for (unsigned int j = 0; j < NH; j++) {
		check_against(&h[j], &c, &r[j], 60000);
		rc_hlog_free(&h[j], &c);
	}
	rc_callers_free(&c);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_round_trip),
	UNIT_TEST(test_milestones),
	UNIT_TEST(test_marks),
	UNIT_TEST(test_many_callers),
	UNIT_TEST(test_shared_slots),
};

int main(int argc, char **argv)
{
	return unit_main("hlog", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
