// SPDX-License-Identifier: GPL-2.0
/*
 * The merged, bounded-memory reading of a trace.dat (source_merge.h).
 *
 * One record per CPU is held (head[]): the next one of that CPU, read with
 * tracecmd_read_data(). The earliest head goes to the callback, then its
 * CPU's next record is read: tracecmd_iterate_events() of libtracecmd
 * 1.3.1 does the same with a peek (lib/trace-cmd/trace-input.c), so the
 * order is the same, ties included.
 *
 * After seg_pages pages the file is opened again and each CPU placed at its
 * head's offset with tracecmd_read_at(), which hands that record back: it
 * must be the same record (CPU, offset, size, time stamp and missed-events
 * mark), else the new handle is dropped and reading goes on through the
 * old one without reopening again (correct, only the memory is no longer
 * bounded). The old handle is closed only once the new one is in place.
 *
 * Pages loaded per CPU (the completeness check's input, pageguard.h) are
 * counted per handle by the page guard; a new handle's count starts after
 * it was placed (its first page of each CPU and the head's page were
 * counted by the handle before), so the sum over the handles counts each
 * page of the file once.
 *
 * Page walking (o->walk): tracecmd_read_data() allocates, fills and frees
 * a record for every event, about half of a record's cost. Its first
 * record of a page is kept (the anchor: it holds the page in memory), and
 * the rest of the page is read from the same kbuffer the library loaded
 * it into, with the calls the library makes (lib/trace-cmd/trace-input.c,
 * tracecmd_peek_data()): kbuffer_next_event() (which hands back the next
 * event and its time stamp), kbuffer_event_size(), kbuffer_curr_offset().
 * kbuffer_missed_events() is 0 past a page's first event, and record_size
 * is read by nothing, so neither is asked per record. Once the page is
 * used up, tracecmd_read_data() finds the kbuffer empty and loads the
 * next page as it would have. What the library adds is its conversion of
 * time stamps (timestamp_calc(): TSC to ns, then the file's offset); the
 * anchor is the page's first event, whose raw time stamp the page guard
 * saw at the load
 * (rc_pageguard_first()), so the anchor gives the page's offset. The
 * caller walks only when the clock is not a TSC; and walking stops for
 * good at the first page whose offset is not the first page's (a
 * conversion other than an offset), each record then converted by the
 * library. A page entered anywhere but at its first event (a new handle
 * placed by tracecmd_read_at()) is read through the library to its end.
 */
#include <dlfcn.h>
#include <errno.h>
#include <kbuffer.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "source-local.h"
#include "source_merge.h"

struct seg {
	struct tracecmd_input *top;	/* opened here (NULL: the caller's) */
	struct tracecmd_input *h;	/* the handle records are read from */
	struct rc_page_stats *base;	/* per CPU: counters when its reading began */
};

/* Page walking, per CPU. */
struct walk {
	struct kbuffer *kb;		/* the library's kbuffer of the CPU in cur.h */
	struct tep_record *anchor;	/* the page's first record, NULL: not walked */
	unsigned long long page_off;	/* file offset of the anchor's page */
	void *next;			/* the kbuffer's next event, NULL: page done */
	unsigned long long next_raw;	/* its raw time stamp */
	struct tep_record rec;		/* the record walked to (a head, never freed) */
};

struct merge {
	const struct rc_merge_opts *o;
	int ncpu;
	struct seg cur;
	struct tracecmd_input *first;	/* the caller's handle */
	struct tep_record **head;
	struct walk *walk;
	int walking;			/* pages are walked */
	int have_off;
	unsigned long long off;		/* converted - raw time stamp, mod 2^64 */
	uint64_t *page;			/* per CPU: page of the last record + 1, 0: none */
	uint64_t pages;			/* pages begun through cur */
	uint64_t limit;			/* pages per handle, 0: no more reopening */
	struct stat st;			/* the file as first seen */
	struct rc_merge_out *out;
};

/* the kbuffer a handle reads CPU cpu's pages into, NULL if unknown */
static struct kbuffer *cpu_kbuf(struct tracecmd_input *h, int cpu)
{
	struct tep_record probe;

	if (!tracecmd_record_kbuf)
		return NULL;
	memset(&probe, 0, sizeof(probe));
	probe.cpu = cpu;
	return tracecmd_record_kbuf(h, &probe);
}

static void kbuf_stats(struct tracecmd_input *h, int cpu, struct rc_page_stats *st)
{
	rc_pageguard_stats(cpu_kbuf(h, cpu), st);
}

/* out->pages[c] += what cur's CPU c loaded since its base */
static void add_seg_stats(struct merge *m)
{
	for (int c = 0; c < m->ncpu; c++) {
		struct rc_page_stats now, *acc = &m->out->pages[c];
		const struct rc_page_stats *b = &m->cur.base[c];

		kbuf_stats(m->cur.h, c, &now);
		acc->loads += now.loads - b->loads;
		acc->damaged += now.damaged - b->damaged;
		acc->records += now.records - b->records;
		acc->bytes_cut += now.bytes_cut - b->bytes_cut;
	}
}

static void close_seg(struct seg *s, int ncpu)
{
	const void **kbuf;

	if (!s->top)
		return;		/* the caller's handle */
	kbuf = tracecmd_record_kbuf ? calloc((size_t)ncpu, sizeof(*kbuf)) : NULL;
	for (int c = 0; kbuf && c < ncpu; c++)
		kbuf[c] = cpu_kbuf(s->h, c);
	if (s->h != s->top)
		tracecmd_close(s->h);
	tracecmd_close(s->top);
	/* counted already; a later kbuffer may get the same address */
	for (int c = 0; kbuf && c < ncpu; c++)
		rc_pageguard_forget(kbuf[c]);
	free(kbuf);
	s->top = s->h = NULL;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* set while a handle is opened only to read records (open_data()) */
static int skip_kallsyms;

typedef int (*kallsyms_fn)(struct tep_handle *tep, const char *kallsyms);

/*
 * Interposes libtraceevent's tep_parse_kallsyms(), which tracecmd_open()
 * calls with the file's kallsyms section: a handle opened again only to
 * read records never resolves a symbol (the caller's first handle does,
 * and its symbols were parsed when it was opened), and parsing costs
 * about 0.4 us a symbol (10 ms for a small kernel's 27,000; a distribution
 * kernel has 200,000), which would be paid at every reopening. Where the
 * interposition does not take, the symbols are parsed: slower, not wrong.
 */
int tep_parse_kallsyms(struct tep_handle *tep, const char *kallsyms)
{
	static kallsyms_fn real;

	if (skip_kallsyms)
		return 0;
	if (!real) {
		real = (kallsyms_fn)dlsym(RTLD_NEXT, "tep_parse_kallsyms");
		if (!real)
			abort();	/* no libtraceevent: cannot happen when linked */
	}
	return real(tep, kallsyms);
}

/*
 * The chunk tables of the file as its first opening read them. Opening a
 * compressed (v7) file reads the table of every compressed chunk of every
 * CPU with tracecmd_load_chunks_info(): four system calls a chunk of 10
 * pages (lseek, two 4-byte reads, lseek), 42,000 for 10M records. With a
 * handle every RC_SEGMENT_PAGES pages, reading them at every opening
 * would make the system calls grow with the square of the file's length.
 * So the first opening's tables are remembered (24 bytes a chunk in
 * libtracecmd 1.3.1; the first handle holds them until rc_merge_close(),
 * so no copy is kept) and an opening again of the same file gets copies
 * of them, in the order it asks: the same code over the same file asks
 * for the same tables in the same order. They are copied as bytes (the
 * element type is declared in the library's private header only): a
 * table holds offsets and sizes, no pointer. A copy that did not fit the
 * file would place a CPU at another record, which reopen() checks (the
 * new handle is then dropped). Where the interposition does not take,
 * every opening reads the tables: slower, not wrong.
 */
enum { CHUNKS_PASS, CHUNKS_KEEP, CHUNKS_COPY };

struct chunk_tab {
	int count;
	size_t bytes;
	const void *data;
};

static struct {
	int mode;
	int ok;			/* every table of the first opening remembered */
	struct tracecmd_input *owner;	/* that opening: its tables are these */
	struct stat st;		/* the file they were read from */
	struct chunk_tab *tab;
	size_t n, cap, next;
} chunks;

/* tables read from files and copied, all time (rc_merge_out counts) */
static unsigned int chunks_read, chunks_copied;

struct tracecmd_compression;
struct tracecmd_compress_chunk;
typedef int (*chunks_fn)(struct tracecmd_compression *handle,
			 struct tracecmd_compress_chunk **chunks_info);
/* libtracecmd's, declared in its private header only */
int tracecmd_load_chunks_info(struct tracecmd_compression *handle,
			      struct tracecmd_compress_chunk **chunks_info);

static void chunks_drop(void)
{
	free(chunks.tab);
	memset(&chunks, 0, sizeof(chunks));
}

static void chunks_keep(int count, const void *data)
{
	struct chunk_tab *t;

	if (!chunks.ok)
		return;
	if (chunks.n == chunks.cap) {
		size_t cap = chunks.cap ? 2 * chunks.cap : 8;

		t = realloc(chunks.tab, cap * sizeof(*t));
		if (!t)
			goto fail;
		chunks.tab = t;
		chunks.cap = cap;
	}
	t = &chunks.tab[chunks.n];
	memset(t, 0, sizeof(*t));
	t->count = count;
	if (count > 0) {
		/* the first handle's own table: it stays open while it is read */
		t->bytes = malloc_usable_size((void *)data);
		t->data = data;
	}
	chunks.n++;
	return;
fail:
	chunks.ok = 0;
}

int tracecmd_load_chunks_info(struct tracecmd_compression *handle,
			      struct tracecmd_compress_chunk **chunks_info)
{
	static chunks_fn real;
	int ret;

	if (chunks.mode == CHUNKS_COPY && chunks.next < chunks.n) {
		const struct chunk_tab *t = &chunks.tab[chunks.next++];
		void *p;

		chunks_copied++;
		if (t->count <= 0)
			return t->count;
		p = malloc(t->bytes);
		if (!p)
			return -1;
		memcpy(p, t->data, t->bytes);
		if (chunks_info)
			*chunks_info = p;
		else
			free(p);
		return t->count;
	}
	if (!real) {
		real = (chunks_fn)dlsym(RTLD_NEXT, "tracecmd_load_chunks_info");
		if (!real)
			abort();	/* no libtracecmd: cannot happen when linked */
	}
	ret = real(handle, chunks_info);
	chunks_read++;
	if (chunks.mode == CHUNKS_KEEP)
		chunks_keep(ret, ret > 0 && chunks_info ? *chunks_info : NULL);
	return ret;
}

struct tracecmd_input *rc_merge_open(const char *path, size_t *head_bytes)
{
	struct mallinfo2 before = mallinfo2(), after;
	struct tracecmd_input *t;

	chunks_drop();
	chunks.ok = stat(path, &chunks.st) == 0;
	chunks.mode = CHUNKS_KEEP;
	t = tracecmd_open_head(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	after = mallinfo2();
	if (head_bytes)
		*head_bytes = after.uordblks + after.hblkhd > before.uordblks + before.hblkhd ?
			      (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd) : 0;
	if (t && tracecmd_init_data(t) < 0) {
		tracecmd_close(t);
		t = NULL;
	}
	chunks.mode = CHUNKS_PASS;
	if (!t)
		chunks_drop();
	chunks.owner = t;
	return t;
}

void rc_merge_close(struct tracecmd_input *t)
{
	if (t && t == chunks.owner)
		chunks_drop();
	tracecmd_close(t);
}

static struct tracecmd_input *open_data(const struct rc_merge_opts *o,
					const struct stat *st,
					struct tracecmd_input **top)
{
	struct tracecmd_input *t;
	int n;

	skip_kallsyms = 1;
	if (chunks.ok && same_file(st, &chunks.st)) {
		chunks.mode = CHUNKS_COPY;
		chunks.next = 0;
	}
	t = tracecmd_open(o->path, TRACECMD_FL_LOAD_NO_PLUGINS);
	chunks.mode = CHUNKS_PASS;
	skip_kallsyms = 0;
	*top = t;
	if (!t || !o->instance)
		return t;
	n = tracecmd_buffer_instances(t);
	for (int i = 0; i < n; i++) {
		const char *name = tracecmd_buffer_instance_name(t, i);
		struct tracecmd_input *h;

		if (!name || strcmp(name, o->instance))
			continue;
		h = tracecmd_buffer_instance_handle(t, i);
		if (h)
			return h;
		break;
	}
	tracecmd_close(t);
	*top = NULL;
	return NULL;
}

/* Free what CPU c holds: its head unless walked to, and its anchor. */
static void drop_head(struct merge *m, int c)
{
	struct walk *w = &m->walk[c];

	if (m->head[c] != &w->rec && m->head[c] != w->anchor)
		tracecmd_free_record(m->head[c]);
	tracecmd_free_record(w->anchor);
	w->anchor = NULL;
	m->head[c] = NULL;
}

/* r was just read from cur for CPU c: walk its page if r is its first event. */
static void maybe_walk(struct merge *m, int c, struct tep_record *r)
{
	struct walk *w = &m->walk[c];
	unsigned long long raw, off;
	const void *first;

	if (!m->walking || !w->kb || rc_pageguard_first(w->kb, &first, &raw) < 0 ||
	    first != r->data)
		return;
	off = r->ts - raw;
	if (!m->have_off) {
		m->off = off;
		m->have_off = 1;
	} else if (off != m->off) {
		m->walking = 0;
		m->out->walk_stopped = 1;
		return;
	}
	w->anchor = r;
	w->page_off = r->offset - (unsigned long long)kbuffer_start_of_data(w->kb);
	w->next = kbuffer_read_event(w->kb, &w->next_raw);
	/* set once a page: the same for every record after the first */
	w->rec.cpu = r->cpu;
	w->rec.missed_events = 0;	/* kbuffer_missed_events(): past the first */
	w->rec.record_size = 0;		/* not set: nothing reads it */
}

/* The record after the head of CPU c (the head is freed): NULL at the end. */
static struct tep_record *advance(struct merge *m, int c)
{
	struct walk *w = &m->walk[c];
	struct tep_record *done = m->head[c], *r;

	if (w->anchor) {
		if (w->next) {
			struct tep_record *n = &w->rec;

			n->ts = w->next_raw + m->off;
			n->offset = w->page_off + (unsigned long long)kbuffer_curr_offset(w->kb);
			n->size = kbuffer_event_size(w->kb);
			n->data = w->next;
			w->next = kbuffer_next_event(w->kb, &w->next_raw);
			m->out->walked++;
			return n;
		}
		r = tracecmd_read_data(m->cur.h, c);
		tracecmd_free_record(w->anchor);
		w->anchor = NULL;
	} else {
		r = tracecmd_read_data(m->cur.h, c);
		tracecmd_free_record(done);
	}
	if (r)
		maybe_walk(m, c, r);
	return r;
}

/* cur is done with: its pages counted, its heads freed, a handle of ours closed. */
static void retire_cur(struct merge *m)
{
	add_seg_stats(m);
	for (int c = 0; c < m->ncpu; c++)
		drop_head(m, c);
	close_seg(&m->cur, m->ncpu);
	free(m->cur.base);
	m->cur.base = NULL;
}

/* Where a CPU's reading stands: its head record's identity. */
struct spot {
	int have;
	unsigned long long offset, ts;
	int size, missed;
};

/*
 * Place h at the spots: each CPU's next record is the one at its spot.
 * heads[c] gets that record. 0 if every CPU is there, else -1 (heads
 * freed).
 */
static int place(struct tracecmd_input *h, const struct spot *sp, int ncpu,
		 struct tep_record **heads)
{
	int c;

	for (c = 0; c < ncpu; c++) {
		struct tep_record *r;
		int cpu = -1;

		if (!sp[c].have)
			continue;
		r = tracecmd_read_at(h, sp[c].offset, &cpu);
		heads[c] = r;
		if (!r || cpu != c || r->offset != sp[c].offset || r->ts != sp[c].ts ||
		    r->size != sp[c].size || r->missed_events != sp[c].missed)
			goto fail;
	}
	return 0;
fail:
	for (c = 0; c < ncpu; c++) {
		tracecmd_free_record(heads[c]);
		heads[c] = NULL;
	}
	return -1;
}

/*
 * Replace cur by a new handle placed at the heads. A handle opened here
 * is closed first, before the next is opened: one handle's page array
 * and chunk cache at a time besides the caller's (docs/performance.md,
 * "Memory"). 0 on success or when reading goes on through the caller's
 * handle (then limit is 0); -1 with err set if the file changed or no
 * handle can be placed at the records.
 */
static int reopen(struct merge *m, char *err, size_t errlen)
{
	struct seg s = { 0 };
	struct tep_record **nh = NULL;
	struct spot *sp;
	struct stat st;
	size_t room_bytes = 2 * m->o->open_bytes + ((size_t)1 << 20);
	void *room;
	unsigned int was_read = chunks_read, was_copied = chunks_copied;
	int saved = errno, c, closed = 0;

	if (stat(m->o->path, &st) < 0 || !same_file(&st, &m->st)) {
		rc_seterr(err, errlen, "%s: the file changed while it was read", m->o->path);
		return -1;
	}
	sp = calloc((size_t)m->ncpu, sizeof(*sp));
	nh = calloc((size_t)m->ncpu, sizeof(*nh));
	if (!sp || !nh) {
		free(sp);
		free(nh);
		rc_seterr(err, errlen, "out of memory reading the trace data (opening it again)");
		return -1;
	}
	for (c = 0; c < m->ncpu; c++) {
		const struct tep_record *o = m->head[c];

		if (o)
			sp[c] = (struct spot){ 1, o->offset, o->ts, o->size, o->missed_events };
	}
	if (m->cur.top) {
		/* a handle of ours: done with before the next opens */
		retire_cur(m);
		closed = 1;
	}
	room = malloc(room_bytes);
	if (room) {
		memset(room, 0, room_bytes);
		free(room);
	}
	s.h = room ? open_data(m->o, &st, &s.top) : NULL;
	m->out->tables_read += chunks_read - was_read;
	m->out->tables_copied += chunks_copied - was_copied;
	s.base = calloc((size_t)m->ncpu, sizeof(*s.base));
	if (!s.h || !s.base || place(s.h, sp, m->ncpu, nh) < 0) {
		if (s.h)
			close_seg(&s, m->ncpu);
		free(s.base);
		s = (struct seg){ NULL, m->first, NULL };
		if (!closed) {
			/* reading goes on through the caller's handle, as it was */
			free(nh);
			free(sp);
			m->limit = 0;
			errno = saved;
			return 0;
		}
		/* through the caller's handle, placed at the records */
		s.base = calloc((size_t)m->ncpu, sizeof(*s.base));
		if (!s.base || place(m->first, sp, m->ncpu, nh) < 0) {
			free(s.base);
			free(nh);
			free(sp);
			m->cur = (struct seg){ NULL, m->first, NULL };
			rc_seterr(err, errlen, "%s: cannot read the trace again at the records read so far",
				  m->o->path);
			return -1;
		}
		m->limit = 0;
	} else {
		m->out->handles++;
		m->limit = m->o->seg_pages;
	}
	for (c = 0; c < m->ncpu; c++)
		kbuf_stats(s.h, c, &s.base[c]);
	if (!closed)
		retire_cur(m);	/* the caller's handle: stays open */
	for (c = 0; c < m->ncpu; c++) {
		m->head[c] = nh[c];
		m->walk[c].kb = cpu_kbuf(s.h, c);
	}
	free(nh);
	free(sp);
	m->cur = s;
	m->pages = 0;
	errno = saved;
	return 0;
}

int rc_merge_read(struct tracecmd_input *first, int ncpu,
		  const struct rc_merge_opts *o, rc_merge_fn fn, void *arg,
		  struct rc_merge_out *out, char *err, size_t errlen)
{
	struct merge m;
	uint64_t pmask = ~(uint64_t)(o->page_size ? o->page_size - 1 : 0);
	int ret = 0, c;

	memset(&m, 0, sizeof(m));
	m.o = o;
	m.ncpu = ncpu;
	m.out = out;
	m.cur.h = first;
	m.first = first;
	/* the first handle stays open (the caller's): a quarter of the pages */
	m.limit = o->seg_pages > 4 ? o->seg_pages / 4 : o->seg_pages;
	out->handles = 1;
	out->tables_read = out->tables_copied = 0;
	out->stopped = 0;
	if (stat(o->path, &m.st) < 0)
		m.limit = 0;
	m.head = calloc((size_t)(ncpu ? ncpu : 1), sizeof(*m.head));
	m.walk = calloc((size_t)(ncpu ? ncpu : 1), sizeof(*m.walk));
	m.walking = o->walk;
	out->walked = 0;
	out->walk_stopped = 0;
	m.page = calloc((size_t)(ncpu ? ncpu : 1), sizeof(*m.page));
	/* the first handle counts from zero: its opening loaded pages too */
	m.cur.base = calloc((size_t)(ncpu ? ncpu : 1), sizeof(*m.cur.base));
	if (!m.head || !m.page || !m.cur.base || !m.walk) {
		free(m.head);
		free(m.walk);
		free(m.page);
		free(m.cur.base);
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	errno = 0;
	for (c = 0; c < ncpu; c++) {
		m.walk[c].kb = cpu_kbuf(first, c);
		m.head[c] = tracecmd_read_data(first, c);
		if (m.head[c])
			maybe_walk(&m, c, m.head[c]);
	}
	for (;;) {
		struct tep_record *rec;
		int next = -1;
		uint64_t pg;

		for (c = 0; c < ncpu; c++)
			if (m.head[c] && (next < 0 || m.head[c]->ts < m.head[next]->ts))
				next = c;
		if (next < 0)
			break;
		rec = m.head[next];
		if (fn(rec, next, arg)) {
			out->stopped = 1;
			break;
		}
		pg = (rec->offset & pmask) + 1;
		if (pg != m.page[next]) {
			m.page[next] = pg;
			m.pages++;
		}
		m.head[next] = advance(&m, next);
		if (m.limit && m.pages >= m.limit && reopen(&m, err, errlen) < 0) {
			ret = -1;
			break;
		}
	}
	out->read_errno = errno;
	for (c = 0; c < ncpu; c++)
		drop_head(&m, c);
	if (!ret)
		add_seg_stats(&m);
	close_seg(&m.cur, ncpu);
	free(m.cur.base);
	free(m.head);
	free(m.walk);
	free(m.page);
	return ret;
}

int rc_merge_env(uint64_t *pages, char *err, size_t errlen)
{
	return rc_env_u64(RC_SEGMENT_ENV, 1ULL << 40, "a number of pages (0: never reopen)",
			  pages, err, errlen) < 0 ? -1 : 0;
}

int rc_merge_walk_env(int *walk, char *err, size_t errlen)
{
	const char *s = getenv(RC_WALK_ENV);

	if (!s || !*s)
		return 0;
	if (strcmp(s, "0") && strcmp(s, "1")) {
		rc_seterr(err, errlen, "%s='%s' is not 0 or 1", RC_WALK_ENV, s);
		return -1;
	}
	*walk = s[0] == '1';
	return 0;
}
