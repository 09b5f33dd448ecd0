/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The records of a trace.dat, all CPUs merged in timestamp order (as
 * tracecmd_iterate_events() merges them: the earliest record first, the
 * lowest CPU on a tie), read in bounded memory.
 *
 * Why not tracecmd_iterate_events() itself: libtracecmd 1.3.1 (trace-cmd
 * 3.1.6) keeps every decompressed chunk of a compressed (v7) trace until
 * the handle is closed, and walks the list of them for every page it
 * frees (free_zpage() in lib/trace-cmd/trace-input.c, whose lookup never
 * matches): memory grows with the trace (about 43 bytes a record) and the
 * time per page with the pages read so far. So the reader here closes the
 * handle every so many pages and opens the file again, placing each CPU
 * of the new handle at its next record with tracecmd_read_at() (the
 * record offsets of a file are the same in every handle). What it hands
 * on is the same, record for record, as one handle would give; only the
 * memory the library holds is bounded (docs/performance.md, Memory).
 * Uncompressed data is mapped from the file and never reopened.
 */
#ifndef RC_SOURCE_MERGE_H
#define RC_SOURCE_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <trace-cmd.h>

#include "pageguard.h"

/*
 * Exported by libtracecmd but declared only in its private header
 * (trace-cmd-private.h); weak, as in source_tracecmd.c: without it pages
 * loaded are not counted (the completeness check is then skipped).
 */
extern struct kbuffer *tracecmd_record_kbuf(struct tracecmd_input *handle,
					    struct tep_record *record) __attribute__((weak));

/* KVM_ROOTCHECK_SEGMENT_PAGES: pages per handle (0: never reopen) */
#define RC_SEGMENT_ENV "KVM_ROOTCHECK_SEGMENT_PAGES"
/*
 * Pages read through one handle before it is replaced, by default: at least
 * RC_SEGMENT_PAGES, and at least 1/RC_SEGMENT_SHARE of the file's pages.
 * An opening again parses the formats and copies the first opening's
 * table of every compressed chunk (24 bytes a chunk of 10 pages): about
 * 0.6 ms for 105,000 pages of 4 KiB here, so that opening stays a small
 * part of the reading however large the file.
 */
#define RC_SEGMENT_PAGES 4096
#define RC_SEGMENT_SHARE 256

struct rc_merge_opts {
	const char *path;	/* the file, to open again */
	const char *instance;	/* buffer instance read, NULL: the top buffer */
	unsigned int page_size;	/* bytes of a sub-buffer */
	/*
	 * Pages read through one handle before the next is opened, 0: never.
	 * The first handle (the caller's, which stays open) reads a quarter
	 * of them.
	 */
	uint64_t seg_pages;
	/*
	 * Bytes the first opening of the file allocated reading the headers
	 * (rc_merge_open()'s *head_bytes). libtraceevent 1.7.1 crashes where
	 * an allocation fails while it parses the formats (tep_parse_event()),
	 * so before each new handle twice that is allocated and freed: if it
	 * cannot be, reading ends with an out-of-memory error rather than
	 * risk the crash. What the library allocates for the data after the
	 * headers (tracecmd_init_data(): per CPU, 8 bytes a page and the
	 * chunk table) grows with the file and fails cleanly, so it is not
	 * counted: the room stays the same however long the trace.
	 */
	size_t open_bytes;
	/*
	 * Read the records after the first of each page straight from the
	 * library's kbuffer of the CPU (kbuffer_next_event(), as
	 * tracecmd_read_data() does, without a record allocated and freed
	 * for each): only where the time stamps are converted by a constant
	 * offset (source_merge.c).
	 */
	int walk;
};

/*
 * tracecmd_open() of the file that rc_merge_read() will read, as
 * tracecmd_open_head() and tracecmd_init_data() (what tracecmd_open()
 * does): the handles opened again later get copies of its
 * compressed-chunk tables (source_merge.c), which it holds until it is
 * closed with rc_merge_close() or another file is opened here.
 * *head_bytes (if not NULL): the heap the headers took (for
 * rc_merge_opts.open_bytes).
 */
struct tracecmd_input *rc_merge_open(const char *path, size_t *head_bytes);
/* tracecmd_close() of a handle of rc_merge_open(), its tables forgotten first. */
void rc_merge_close(struct tracecmd_input *t);

/*
 * Called for every record in merged order; a non-zero return stops the
 * reading. A record read by walking a page has no record_size (0) and
 * is valid only during the call, as any record is.
 */
typedef int (*rc_merge_fn)(struct tep_record *rec, int cpu, void *arg);

/* What reading found, per CPU and in all. */
struct rc_merge_out {
	struct rc_page_stats *pages;	/* ncpu entries, filled: pages loaded per CPU */
	unsigned int handles;		/* handles the records came through */
	unsigned int tables_read;	/* chunk tables the reopenings read from the file */
	unsigned int tables_copied;	/* chunk tables they took from rc_merge_open()'s */
	uint64_t walked;		/* records read from the kbuffer, not the library */
	int walk_stopped;		/* a page's time offset differed: walking stopped */
	int stopped;			/* fn asked to stop */
	int read_errno;			/* errno after the last read (ENOMEM: out of memory) */
};

/*
 * Read every record of the ncpu CPUs of first (a handle of o->path or of
 * its instance o->instance, with nothing read from it yet), in merged
 * order. first stays open and is the caller's; the handles opened after
 * it are closed here, each before the next is opened. Returns 0, or -1
 * with err set (out of memory, the file changed while it was read, or no
 * handle could be placed again at the records read so far).
 */
int rc_merge_read(struct tracecmd_input *first, int ncpu,
		  const struct rc_merge_opts *o, rc_merge_fn fn, void *arg,
		  struct rc_merge_out *out, char *err, size_t errlen);

/* KVM_ROOTCHECK_PAGE_WALK=0: every record through tracecmd_read_data() */
#define RC_WALK_ENV "KVM_ROOTCHECK_PAGE_WALK"

/*
 * The segment size from the environment: *pages set from
 * KVM_ROOTCHECK_SEGMENT_PAGES if it is set, else left. -1 with err set if
 * the variable is not a number.
 */
int rc_merge_env(uint64_t *pages, char *err, size_t errlen);

/*
 * Page walking from the environment: *walk set to 0 or 1 from
 * KVM_ROOTCHECK_PAGE_WALK if it is set, else left. -1 with err set if it
 * is not 0 or 1.
 */
int rc_merge_walk_env(int *walk, char *err, size_t errlen);

#endif
