/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test and bench helper: a trace.dat's records written back as the
 * kernel's ring-buffer pages (what trace_pipe_raw delivers), for the
 * live spool (analyzer/source_spool.h). Pages of RP_PAGE bytes with an
 * 8-byte commit word in the host's byte order (the traces here are
 * x86-64); every event in the long form (type_len 0 and a length word),
 * a time-extend before an event whose delta does not fit in 27 bits, a
 * new page at each missed-events mark, its count stored after the data.
 *
 * rp_pages(dat, fn, arg): fn(cpu, page, len, arg) for each page, CPUs
 * taken in turn a page at a time (the order a reader of several CPUs
 * sees), each CPU's in its order. Returns the pages, or -1.
 */
#ifndef RC_TEST_RAWPAGES_H
#define RC_TEST_RAWPAGES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>

/* exported by libtracecmd, not in its header (as in source_tracecmd.c) */
extern int tracecmd_cpus(struct tracecmd_input *handle);

#define RP_PAGE 4096
#define RP_HDR 16			/* timestamp, commit */
#define RP_MISSING (1ull << 31)
#define RP_STORED (1ull << 30)

struct rp_cpu {
	unsigned char *pages;		/* n pages of RP_PAGE bytes */
	unsigned int *len;		/* bytes of each to hand over */
	size_t n, cap;
	size_t used;			/* data bytes of the last page */
	unsigned long long last_ts;
};

static inline void rp_put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void rp_put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline unsigned char *rp_page(struct rp_cpu *c, size_t k)
{
	return c->pages + k * RP_PAGE;
}

/* Close the last page: its commit (and stored lost count), its length. */
static inline void rp_close(struct rp_cpu *c, long long missed)
{
	unsigned char *p = rp_page(c, c->n - 1);
	uint64_t commit = c->used;
	unsigned int len = RP_HDR + (unsigned int)c->used;

	if (missed) {
		commit |= RP_MISSING;
		if (missed > 0) {
			commit |= RP_STORED;
			rp_put64(p + len, (uint64_t)missed);
			len += 8;
		}
	}
	rp_put64(p + 8, commit);
	c->len[c->n - 1] = len;
}

static inline int rp_new_page(struct rp_cpu *c, unsigned long long ts)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		unsigned char *pages = realloc(c->pages, cap * RP_PAGE);
		unsigned int *len;

		if (!pages)
			return -1;
		c->pages = pages;
		len = realloc(c->len, cap * sizeof(*len));
		if (!len)
			return -1;
		c->len = len;
		c->cap = cap;
	}
	memset(rp_page(c, c->n), 0, RP_PAGE);
	rp_put64(rp_page(c, c->n), ts);
	c->len[c->n] = RP_HDR;
	c->n++;
	c->used = 0;
	c->last_ts = ts;
	return 0;
}

/* Add a record; missed: the mark it carries (0 none, count, -1 unknown). */
static inline int rp_add(struct rp_cpu *c, const struct tep_record *rec, long long *missed)
{
	unsigned long long delta;
	unsigned int size = ((unsigned int)rec->size + 3) & ~3u;
	unsigned int need = 8 + size + 8 + 8;	/* event, extend, stored count */
	unsigned char *p;

	if (!c->n || rec->missed_events || RP_HDR + c->used + need > RP_PAGE) {
		if (c->n)
			rp_close(c, *missed);
		*missed = rec->missed_events;
		if (rp_new_page(c, rec->ts))
			return -1;
	}
	p = rp_page(c, c->n - 1) + RP_HDR + c->used;
	delta = rec->ts - c->last_ts;
	if (delta >> 27) {
		rp_put32(p, (uint32_t)((delta & ((1u << 27) - 1)) << 5 | 30));
		rp_put32(p + 4, (uint32_t)(delta >> 27));
		p += 8;
		c->used += 8;
		delta = 0;
	}
	rp_put32(p, (uint32_t)(delta << 5));
	rp_put32(p + 4, size + 4);
	memcpy(p + 8, rec->data, (size_t)rec->size);
	c->used += 8 + size;
	c->last_ts = rec->ts;
	return 0;
}

typedef void (*rp_page_fn)(int cpu, const unsigned char *page, unsigned int len, void *arg);

static inline long rp_pages(const char *dat, rp_page_fn fn, void *arg)
{
	struct tracecmd_input *h = tracecmd_open(dat, 0);
	struct rp_cpu *cpus;
	struct tep_record *rec;
	long total = 0;
	int ncpus, more = 1;

	if (!h)
		return -1;
	ncpus = tracecmd_cpus(h);
	cpus = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*cpus));
	if (!cpus) {
		tracecmd_close(h);
		return -1;
	}
	for (int c = 0; c < ncpus && total >= 0; c++) {
		long long missed = 0;

		while ((rec = tracecmd_read_data(h, c))) {
			if (rp_add(&cpus[c], rec, &missed))
				total = -1;
			tracecmd_free_record(rec);
			if (total < 0)
				break;
		}
		if (cpus[c].n)
			rp_close(&cpus[c], missed);
	}
	for (size_t k = 0; total >= 0 && more; k++) {
		more = 0;
		for (int c = 0; c < ncpus; c++)
			if (k < cpus[c].n) {
				fn(c, rp_page(&cpus[c], k), cpus[c].len[k], arg);
				total++;
				more = 1;
			}
	}
	for (int c = 0; c < ncpus; c++) {
		free(cpus[c].pages);
		free(cpus[c].len);
	}
	free(cpus);
	tracecmd_close(h);
	return total;
}

#endif
