// SPDX-License-Identifier: GPL-2.0
/*
 * spoolbench: what live mode's spool (analyzer/source_spool.c) costs a
 * run. The ring-buffer pages of a real trace (default
 * tests/data/6.12-rootstress.dat, every kvmmmu event of a run) are put
 * into a spool in $TMPDIR as live puts them, again and again (each copy
 * later in time) up to about N records (default 10,000,000); then they
 * are read back once through the spool's source, as each pass of the
 * clock check reads them (make bench; docs/performance.md).
 *
 *   spoolbench [N [TRACE]]
 *
 * Prints the ns per record of each (CPU time, user + system) and the
 * bytes kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "source.h"
#include "source_spool.h"
#include "../unit/rawpages.h"

static uint64_t seen;

static int sink(const struct rc_event *ev, void *arg)
{
	(void)arg;
	seen++;
	(void)ev;
	return 0;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The trace's pages, kept in memory to be put many times. */
struct pages {
	unsigned char *data;
	unsigned int *len;
	int *cpu;
	size_t n, cap;
	uint64_t first, last;	/* page timestamps */
};

static void keep(int cpu, const unsigned char *page, unsigned int len, void *arg)
{
	struct pages *p = arg;
	uint64_t ts;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->data = realloc(p->data, p->cap * RP_PAGE);
		p->len = realloc(p->len, p->cap * sizeof(*p->len));
		p->cpu = realloc(p->cpu, p->cap * sizeof(*p->cpu));
		if (!p->data || !p->len || !p->cpu) {
			fprintf(stderr, "spoolbench: out of memory\n");
			exit(2);
		}
	}
	memcpy(p->data + p->n * RP_PAGE, page, RP_PAGE);
	p->len[p->n] = len;
	p->cpu[p->n++] = cpu;
	memcpy(&ts, page, 8);
	if (!p->first || ts < p->first)
		p->first = ts;
	if (ts > p->last)
		p->last = ts;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
	const char *dat = argc > 2 ? argv[2] : "tests/data/6.12-rootstress.dat";
	struct rc_spool *sp = rc_spool_new((uint64_t)1 << 40, false);
	struct rc_source *file, *src;
	struct pages pg = { 0 };
	uint64_t per_copy, copies, span, roots;
	unsigned char page[RP_PAGE];
	char err[512] = "";
	double t0, t1, t2;

	file = rc_source_open_file(dat, NULL, err, sizeof(err));
	if (!sp || !n || !file || rc_source_run(file, sink, NULL, err, sizeof(err)) ||
	    rp_pages(dat, keep, &pg) <= 0 || !seen) {
		fprintf(stderr, "spoolbench: %s: %s\n", dat, err[0] ? err : "no pages");
		return 2;
	}
	per_copy = rc_source_info(file)->records_read;
	roots = seen;
	copies = (n + per_copy - 1) / per_copy;
	span = pg.last - pg.first + 1000000000ull;
	t0 = cpu_s();
	for (uint64_t k = 0; k < copies; k++)
		for (size_t i = 0; i < pg.n; i++) {
			uint64_t ts;

			memcpy(page, pg.data + i * RP_PAGE, pg.len[i]);
			memcpy(&ts, page, 8);
			ts += k * span;
			memcpy(page, &ts, 8);
			rc_spool_page(sp, pg.cpu[i], page, pg.len[i], RP_PAGE);
		}
	if (!rc_spool_whole(sp)) {
		fprintf(stderr, "spoolbench: %s\n", rc_spool_why(sp));
		return 1;
	}
	t1 = cpu_s();
	seen = 0;
	src = rc_source_open_spool(sp, file, err, sizeof(err));
	if (!src || rc_source_run(src, sink, NULL, err, sizeof(err))) {
		fprintf(stderr, "spoolbench: %s\n", err);
		return 1;
	}
	t2 = cpu_s();
	n = per_copy * copies;
	printf("records %" PRIu64 " pages %" PRIu64 " bytes %" PRIu64
	       " (%.1f a record) put %.1f ns/record read %.1f ns/record (cpu %.2f s, %.2f s) root events %" PRIu64 "\n",
	       n, rc_spool_pages(sp), rc_spool_bytes(sp), (double)rc_spool_bytes(sp) / (double)n,
	       (t1 - t0) * 1e9 / (double)n, (t2 - t1) * 1e9 / (double)n, t1 - t0, t2 - t1, seen);
	rc_source_close(src);
	rc_source_close(file);
	rc_spool_free(sp);
	free(pg.data);
	free(pg.len);
	free(pg.cpu);
	return seen == roots * copies ? 0 : 1;
}
