/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The spool: the ring-buffer sub-buffers (pages) a live run read, kept
 * as read in an unlinked temporary file, so that the clock check
 * (clock_check.h) can read the run again with a CPU's clock shifted, as
 * it reads a trace.dat again. Live mode reads the ring buffer once;
 * without this it could not test a violation against a skewed clock
 * (docs/invariants.md, "Clock").
 *
 * What is kept is what trace-cmd record would write: each page's header,
 * its events and its lost-events count, nothing decoded, one write() a
 * page straight from the reader's ring (no per-event work while the run
 * goes on). Each CPU's pages are kept in their order; a pass parses them
 * again and merges the CPUs by timestamp (ties: the lower CPU first), as
 * the live run did. The ring-buffer drop counters read at the end of the
 * run are kept too, for the losses no page marks.
 *
 * The file lives in $TMPDIR (else /tmp) and is gone when the spool is
 * freed or the process ends. It holds at most max_bytes (with the index
 * of its pages, 8 bytes a page, kept in memory); past that, or after a
 * write error, it keeps nothing more and says why (the events already
 * read are still analysed; only the clock check cannot be run).
 */
#ifndef RC_SOURCE_SPOOL_H
#define RC_SOURCE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "source.h"

/* The default bound (KVM_ROOTCHECK_SPOOL_MB), in MB. */
#define RC_SPOOL_DEFAULT_MB 1024

struct rc_spool;
struct rc_cpu_drops;

/*
 * A spool of at most max_bytes (0: off), and if cap_free, at most a
 * quarter of the space free in its directory at the start (a tmpfs /tmp
 * is memory). One that is off or whose file cannot be created keeps
 * nothing and says why. NULL: out of memory.
 */
struct rc_spool *rc_spool_new(uint64_t max_bytes, bool cap_free);

/*
 * Keep a page of cpu's ring buffer: its first len bytes (header, events
 * and a stored lost-events count), out of a sub-buffer of size bytes.
 * Never fails: a spool that cannot keep it stops keeping.
 */
void rc_spool_page(struct rc_spool *sp, int cpu, const void *page, unsigned int len,
		   unsigned int size);

/* Keep the drop counters of n CPUs read at the end of the run. */
void rc_spool_drops(struct rc_spool *sp, const struct rc_cpu_drops *drops, int n);

/*
 * Hand live source src the spool to keep its pages in (NULL: none).
 * Ignored by a source that is not live.
 */
void rc_source_set_spool(struct rc_source *src, struct rc_spool *sp);

/* Every page given was kept: passes can be run over it. */
bool rc_spool_whole(const struct rc_spool *sp);

/* Why not whole ("" if whole): one line, for the report. */
const char *rc_spool_why(const struct rc_spool *sp);

/* Pages given, bytes kept (index included), and the most it keeps. */
uint64_t rc_spool_pages(const struct rc_spool *sp);
uint64_t rc_spool_bytes(const struct rc_spool *sp);
uint64_t rc_spool_limit(const struct rc_spool *sp);

/*
 * A source that streams the spool's events again, its trace info a copy
 * of like's (the live run's: kernel, clock, CPUs; counters from zero),
 * decoding with like's event formats: like must outlive it. It may be
 * shifted (rc_source_shift_clocks()) like a trace.dat. One source at a
 * time; the spool must outlive it. NULL with err set if the spool is not
 * whole.
 */
struct rc_source *rc_source_open_spool(struct rc_spool *sp, const struct rc_source *like,
				       char *err, size_t errlen);

void rc_spool_free(struct rc_spool *sp);

#endif
