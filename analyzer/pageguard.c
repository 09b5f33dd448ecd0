// SPDX-License-Identifier: GPL-2.0
/*
 * The ring-buffer page guard (pageguard.h). Page layout (the kernel's
 * struct buffer_data_page, see trace-cmd.dat.v6(5) and libtraceevent's
 * kbuffer-parse.c): u64 timestamp, a long "commit" word (data bytes in
 * bits 0-26, bit 30 "lost count stored after the data", bit 31 "events
 * were lost before this page"), then the events. Each event starts with a
 * 32-bit word: type_len in 5 bits, time delta in 27; type_len 1..28 is a
 * data record of type_len * 4 bytes, 0 a data record whose length (plus 4)
 * is in the next word, 29 padding (length in the next word), 30 a time
 * extend and 31 an absolute time stamp (8 bytes each).
 */
#include <dlfcn.h>
#include <kbuffer.h>
#include <stdlib.h>
#include <string.h>

#include "pageguard.h"

#define COMMIT_MASK ((1u << 27) - 1)
#define MISSED_EVENTS (1ull << 31)
#define MISSED_STORED (1ull << 30)
#define T_PADDING 29
#define T_TIME_EXTEND 30
#define T_TIME_STAMP 31
#define MAX_DATA_TYPE_LEN 28

static uint32_t rd4(const unsigned char *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rd8(const unsigned char *p, int be)
{
	uint64_t a = rd4(p, be), b = rd4(p + 4, be);

	return be ? a << 32 | b : b << 32 | a;
}

static uint64_t rdlong(const unsigned char *p, const struct rc_page_fmt *fmt)
{
	return fmt->long_size == 8 ? rd8(p, fmt->big_endian) : rd4(p, fmt->big_endian);
}

int rc_page_check(const void *page, const struct rc_page_fmt *fmt,
		  struct rc_page_check *out)
{
	const unsigned char *p = page;
	unsigned int hdr = 8 + (unsigned int)fmt->long_size;
	unsigned int cap = fmt->page_size > hdr ? fmt->page_size - hdr : 0;
	const unsigned char *data = p + hdr;
	unsigned int size, cur = 0;
	uint64_t flags;

	memset(out, 0, sizeof(*out));
	flags = rdlong(p + 8, fmt);
	size = (unsigned int)(flags & COMMIT_MASK);
	out->commit = size;
	if (flags & MISSED_EVENTS) {
		out->missed = -1;
		if (flags & MISSED_STORED) {
			if ((uint64_t)size + (unsigned int)fmt->long_size <= cap) {
				uint64_t n = rdlong(data + size, fmt);

				out->missed = n && n < (1ull << 62) ? (long long)n : -1;
			} else {
				out->damaged = 1;
			}
		}
	}
	if (size > cap) {
		out->damaged = 1;
		size = cap;
	}
	while (cur < size) {
		uint32_t w, tl, len;
		unsigned int total;

		if (size - cur < 4)
			break;
		w = rd4(data + cur, fmt->big_endian);
		tl = fmt->big_endian ? w >> 27 : w & 0x1f;
		if (tl == T_TIME_EXTEND || tl == T_TIME_STAMP) {
			total = 8;
		} else if (tl == T_PADDING) {
			if (size - cur < 8)
				break;
			len = rd4(data + cur + 4, fmt->big_endian);
			/* padding may claim the rest of the page: it ends it */
			if (len >= size - cur - 4) {
				cur = size;
				continue;
			}
			total = 4 + len;
		} else if (tl == 0) {
			if (size - cur < 8)
				break;
			len = rd4(data + cur + 4, fmt->big_endian);
			if (len < 4 || len > size)
				break;
			total = 8 + ((len - 4 + 3) & ~3u);
		} else {
			total = 4 + tl * 4;
		}
		if (total > size - cur)
			break;
		if (tl <= MAX_DATA_TYPE_LEN)
			out->records++;
		cur += total;
	}
	if (cur < size)
		out->damaged = 1;
	out->valid = cur;
	return out->damaged ? -1 : 0;
}

int rc_page_fmt_from_dat(const unsigned char *buf, size_t n, struct rc_page_fmt *fmt)
{
	size_t i = 10;	/* magic: \027\010\104 "tracing" */
	uint32_t ps;

	while (i < n && buf[i])
		i++;
	if (i + 7 > n)	/* NUL, endian, long size, page size */
		return -1;
	fmt->big_endian = buf[i + 1] != 0;
	fmt->long_size = buf[i + 2];
	ps = rd4(buf + i + 3, fmt->big_endian);
	if ((fmt->long_size != 4 && fmt->long_size != 8) || ps < 1024 ||
	    ps > (4u << 20) || (ps & (ps - 1)))
		return -1;
	fmt->page_size = ps;
	return 0;
}

struct slot {
	const void *kbuf;
	struct rc_page_stats st;
	unsigned char *copy[2];	/* damaged pages handed over, alternating */
	int next;
	const void *first;	/* first event of the page loaded last, NULL: none */
	unsigned long long first_ts;	/* its time stamp as the page has it */
};

static struct {
	int on;
	struct rc_page_fmt fmt;
	struct slot *slots;
	size_t n, alloc;
} guard;

static struct slot *slot_of(const void *kbuf, int create)
{
	for (size_t i = 0; i < guard.n; i++)
		if (guard.slots[i].kbuf == kbuf)
			return &guard.slots[i];
	if (!create)
		return NULL;
	if (guard.n == guard.alloc) {
		size_t na = guard.alloc ? 2 * guard.alloc : 16;
		struct slot *s = realloc(guard.slots, na * sizeof(*s));

		if (!s)
			return NULL;
		guard.slots = s;
		guard.alloc = na;
	}
	memset(&guard.slots[guard.n], 0, sizeof(guard.slots[0]));
	guard.slots[guard.n].kbuf = kbuf;
	return &guard.slots[guard.n++];
}

static void free_copies(void)
{
	for (size_t i = 0; i < guard.n; i++) {
		free(guard.slots[i].copy[0]);
		free(guard.slots[i].copy[1]);
		guard.slots[i].copy[0] = guard.slots[i].copy[1] = NULL;
	}
}

void rc_pageguard_begin(const struct rc_page_fmt *fmt)
{
	free_copies();
	free(guard.slots);
	memset(&guard, 0, sizeof(guard));
	if (fmt) {
		guard.fmt = *fmt;
		guard.on = 1;
	}
}

void rc_pageguard_end(void)
{
	free_copies();
	guard.on = 0;
}

void rc_pageguard_forget(const void *kbuf)
{
	struct slot *s = kbuf ? slot_of(kbuf, 0) : NULL;

	if (!s)
		return;
	free(s->copy[0]);
	free(s->copy[1]);
	*s = guard.slots[--guard.n];
}

int rc_pageguard_first(const void *kbuf, const void **data, unsigned long long *ts)
{
	const struct slot *s = kbuf ? slot_of(kbuf, 0) : NULL;

	if (!s || !s->first)
		return -1;
	*data = s->first;
	*ts = s->first_ts;
	return 0;
}

void rc_pageguard_stats(const void *kbuf, struct rc_page_stats *st)
{
	struct slot *s = slot_of(kbuf, 0);

	if (s)
		*st = s->st;
	else
		memset(st, 0, sizeof(*st));
}

/* A copy of a damaged page: its readable part, marked "events lost". */
static void *cut_copy(struct slot *s, const unsigned char *page,
		      const struct rc_page_check *pc)
{
	const struct rc_page_fmt *f = &guard.fmt;
	unsigned int hdr = 8 + (unsigned int)f->long_size;
	uint64_t commit = pc->valid | MISSED_EVENTS;
	unsigned char *c = s->copy[s->next];

	if (!c) {
		c = calloc(1, f->page_size);
		if (!c)
			return NULL;
		s->copy[s->next] = c;
	}
	s->next ^= 1;
	memset(c, 0, f->page_size);
	memcpy(c, page, 8);				/* timestamp */
	memcpy(c + hdr, page + hdr, pc->valid);	/* whole events */
	for (int i = 0; i < f->long_size; i++) {
		int sh = f->big_endian ? 8 * (f->long_size - 1 - i) : 8 * i;

		c[8 + i] = (unsigned char)(commit >> sh);
	}
	return c;
}

typedef int (*load_fn)(struct kbuffer *kbuf, void *subbuffer);

/*
 * Interposes libtraceevent's kbuffer_load_subbuffer() (declared in
 * kbuffer.h with struct kbuffer *; the pointer is opaque here).
 */

int kbuffer_load_subbuffer(struct kbuffer *kbuf, void *subbuffer)
{
	static load_fn real;
	struct rc_page_check pc;
	struct slot *s;
	int ret;

	if (!real) {
		real = (load_fn)dlsym(RTLD_NEXT, "kbuffer_load_subbuffer");
		if (!real)
			abort();	/* no libtraceevent: cannot happen when linked */
	}
	if (!guard.on || !kbuf || !subbuffer)
		return real(kbuf, subbuffer);
	s = slot_of(kbuf, 1);
	if (!s)
		return -1;
	s->first = NULL;
	s->st.loads++;
	for (unsigned int o = 0; o < guard.fmt.page_size; o += 64)
		__builtin_prefetch((const char *)subbuffer + guard.fmt.page_size + o);
	if (rc_page_check(subbuffer, &guard.fmt, &pc) == 0) {
		s->st.records += pc.records;
	} else {
		s->st.damaged++;
		s->st.records += pc.records;
		s->st.bytes_cut += pc.commit > pc.valid ? pc.commit - pc.valid : 0;
		subbuffer = cut_copy(s, subbuffer, &pc);
		if (!subbuffer)
			return -1;
	}
	ret = real(kbuf, subbuffer);
	/* where the page's reading starts: no side effect on kbuf */
	if (!ret)
		s->first = kbuffer_read_event(kbuf, &s->first_ts);
	return ret;
}
