// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the page guard (analyzer/pageguard.c) and the completeness
 * judge (analyzer/completeness.c): pages built byte by byte, whole and
 * damaged in every way kbuffer would read out of bounds or loop on, both
 * endiannesses and long sizes; the interposed kbuffer_load_subbuffer()
 * hands a damaged page over cut and marked; the judge flags every kind of
 * shortfall and nothing on a whole read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kbuffer.h>

#include "completeness.h"
#include "pageguard.h"
#include "unit.h"

#define PS 4096

struct pg {
	unsigned char b[PS];
	unsigned int hdr, used;
	struct rc_page_fmt fmt;
};

static void w4(struct pg *p, unsigned int off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p->b[off + i] = (unsigned char)(p->fmt.big_endian ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void init(struct pg *p, int be, int longsz)
{
	memset(p, 0, sizeof(*p));
	p->fmt.page_size = PS;
	p->fmt.big_endian = be;
	p->fmt.long_size = longsz;
	p->hdr = 8 + (unsigned int)longsz;
}

static uint32_t hdrword(const struct pg *p, uint32_t type_len, uint32_t delta)
{
	return p->fmt.big_endian ? type_len << 27 | delta : delta << 5 | type_len;
}

/* a data record of n payload bytes (n multiple of 4, <= 112: small form) */
static void rec_small(struct pg *p, unsigned int n)
{
	w4(p, p->hdr + p->used, hdrword(p, n / 4, 1));
	p->used += 4 + n;
}

/* a data record in the long form (type_len 0, length word) */
static void rec_long(struct pg *p, uint32_t lenword, unsigned int advance)
{
	w4(p, p->hdr + p->used, hdrword(p, 0, 1));
	w4(p, p->hdr + p->used + 4, lenword);
	p->used += advance;
}

static void commit(struct pg *p, uint64_t c)
{
	if (p->fmt.long_size == 8) {
		if (p->fmt.big_endian) {
			w4(p, 8, (uint32_t)(c >> 32));
			w4(p, 12, (uint32_t)c);
		} else {
			w4(p, 8, (uint32_t)c);
			w4(p, 12, (uint32_t)(c >> 32));
		}
	} else {
		w4(p, 8, (uint32_t)c);
	}
}

static void test_check(int be, int longsz)
{
	struct rc_page_check pc;
	struct pg p;

	/* whole page: 3 records, a time extend, a long record */
	init(&p, be, longsz);
	rec_small(&p, 8);
	rec_small(&p, 16);
	w4(&p, p.hdr + p.used, hdrword(&p, 30, 0));
	p.used += 8;
	rec_long(&p, 4 + 200, 8 + 200);
	commit(&p, p.used);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == 0);
	CHECK(pc.records == 3 && pc.valid == p.used && !pc.damaged && pc.missed == 0);

	/* empty page */
	init(&p, be, longsz);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == 0 && pc.records == 0);

	/* the crash of issue 10: the commit's top byte 0xff (size and flags) */
	init(&p, be, longsz);
	rec_small(&p, 8);
	commit(&p, p.used | 0xff000000u);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == -1 && pc.damaged && pc.valid == 12 &&
	      pc.records == 1);

	/* commit just past the page */
	init(&p, be, longsz);
	rec_small(&p, 8);
	commit(&p, PS - p.hdr + 4);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == -1);

	/* a page full of whole events whose commit claims more: checked in
	 * a buffer of exactly one page, so that ASan sees any read past it */
	init(&p, be, longsz);
	while (p.used + 12 <= PS - p.hdr)
		rec_small(&p, 8);
	commit(&p, PS);
	{
		unsigned char *exact = malloc(PS);

		CHECK(exact != NULL);
		if (exact) {
			memcpy(exact, p.b, PS);
			CHECK(rc_page_check(exact, &p.fmt, &pc) == -1 && pc.damaged);
			CHECK(pc.valid == p.used && pc.records == p.used / 12);
			free(exact);
		}
	}

	/* stored lost count that does not fit after the data */
	init(&p, be, longsz);
	commit(&p, (PS - p.hdr - 2) | (3u << 30));
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == -1);

	/* stored lost count that fits */
	init(&p, be, longsz);
	rec_small(&p, 8);
	w4(&p, p.hdr + p.used, 77);
	if (longsz == 8 && be) {
		w4(&p, p.hdr + p.used, 0);
		w4(&p, p.hdr + p.used + 4, 77);
	}
	commit(&p, p.used | (3u << 30));
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == 0 && pc.missed == 77);

	/* an event running past the commit */
	init(&p, be, longsz);
	rec_small(&p, 8);
	rec_small(&p, 100);
	commit(&p, p.used - 8);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == -1 && pc.records == 1 && pc.valid == 12);

	/* a long record whose length would go backwards (kbuffer loops) */
	init(&p, be, longsz);
	rec_small(&p, 8);
	rec_long(&p, 0xfffffff0u, 8);
	commit(&p, p.used + 64);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == -1 && pc.records == 1);

	/* a length word cut by the commit */
	init(&p, be, longsz);
	rec_small(&p, 8);
	w4(&p, p.hdr + p.used, hdrword(&p, 0, 1));
	commit(&p, p.used + 4);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == -1 && pc.records == 1);

	/* padding to the end of the page is whole */
	init(&p, be, longsz);
	rec_small(&p, 8);
	w4(&p, p.hdr + p.used, hdrword(&p, 29, 0));
	w4(&p, p.hdr + p.used + 4, 100000);
	commit(&p, p.used + 40);
	CHECK(rc_page_check(p.b, &p.fmt, &pc) == 0 && pc.records == 1);
}

static void test_fmt(void)
{
	unsigned char h[32] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g', '6', 0,
				0, 8, 0x00, 0x10, 0, 0 };
	struct rc_page_fmt f;

	CHECK(rc_page_fmt_from_dat(h, sizeof(h), &f) == 0 && f.page_size == 4096 &&
	      f.long_size == 8 && !f.big_endian);
	h[13] = 5;
	CHECK(rc_page_fmt_from_dat(h, sizeof(h), &f) == -1);
	h[13] = 4;
	h[15] = 0x11;	/* 0x1100: not a power of two */
	CHECK(rc_page_fmt_from_dat(h, sizeof(h), &f) == -1);
	h[15] = 0;
	h[17] = 0x7f;	/* huge */
	CHECK(rc_page_fmt_from_dat(h, sizeof(h), &f) == -1);
	CHECK(rc_page_fmt_from_dat(h, 12, &f) == -1);
}

/* The interposed loader hands a damaged page over cut, marked, counted. */
static void test_interpose(void)
{
	struct kbuffer *kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	struct rc_page_stats st;
	unsigned long long ts;
	struct pg p;
	int n = 0;

	CHECK(kb != NULL);
	if (!kb)
		return;
	init(&p, 0, 8);
	rec_small(&p, 8);
	rec_small(&p, 8);
	commit(&p, p.used | 0xff000000u);
	rc_pageguard_begin(&p.fmt);
	CHECK(kbuffer_load_subbuffer(kb, p.b) == 0);
	CHECK(kbuffer_missed_events(kb) == -1);
	for (void *d = kbuffer_read_event(kb, &ts); d; d = kbuffer_next_event(kb, &ts))
		n++;
	CHECK(n == 2);
	rc_pageguard_stats(kb, &st);
	CHECK(st.loads == 1 && st.damaged == 1 && st.records == 2);
	/* a whole page goes through untouched */
	commit(&p, p.used);
	CHECK(kbuffer_load_subbuffer(kb, p.b) == 0);
	{
		unsigned char *d = kbuffer_read_event(kb, &ts);

		CHECK(d >= p.b && d < p.b + PS);
	}
	rc_pageguard_stats(kb, &st);
	CHECK(st.loads == 2 && st.damaged == 1 && st.records == 4);
	rc_pageguard_end();
	kbuffer_free(kb);
	rc_pageguard_begin(NULL);
}

static void test_judge(void)
{
	struct rc_cpu_read c[4];
	char line[128];

	memset(c, 0, sizeof(c));
	for (int i = 0; i < 4; i++) {
		c[i].cpu = i;
		c[i].bytes = 3 * PS;
		c[i].entries = -1;
		c[i].pages_loaded = 3;
		c[i].records_in_pages = 30;
		c[i].records_read = 30;
	}
	CHECK(rc_completeness_judge(c, 4, PS) == 0);
	c[1].pages_loaded = 1;		/* stopped silently */
	c[2].pages_damaged = 1;
	c[3].entries = 40;		/* stats say more */
	CHECK(rc_completeness_judge(c, 4, PS) == 3);
	CHECK(c[1].incomplete && c[1].pages_unread == 2);
	CHECK(c[2].incomplete && c[3].incomplete && c[3].records_missing == 10);
	CHECK(!c[0].incomplete);
	rc_completeness_line(&c[1], line, sizeof(line));
	CHECK(!strcmp(line, "CPU 1: 1 of 3 pages read"));
	rc_completeness_line(&c[3], line, sizeof(line));
	CHECK(!strcmp(line, "CPU 3: 3 of 3 pages read, >= 10 records missing"));
	c[3].entries = 0;	/* nothing left in the buffer at the end: fine */
	CHECK(rc_completeness_judge(&c[3], 1, PS) == 0);
}

/* test_check on both byte orders and both long sizes */
static void test_checks(void)
{
	for (int be = 0; be < 2; be++) {
		test_check(be, 8);
		test_check(be, 4);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_checks),
	UNIT_TEST(test_fmt),
	UNIT_TEST(test_interpose),
	UNIT_TEST(test_judge),
};

int main(int argc, char **argv)
{
	return unit_main("pageguard", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
