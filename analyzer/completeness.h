/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Completeness check of a trace.dat read: per CPU, what was read against
 * what the file says it holds. libtracecmd stops reading a CPU silently
 * when a page cannot be loaded, and a damaged page (pageguard.h) is read
 * only up to its last whole event; neither leaves a lost-events mark. The
 * file says how much there is: each CPU's data size (so its page count)
 * and, in the ring-buffer statistics trace-cmd records, the entries that
 * were still in the buffer when recording stopped, all of which it then
 * extracted into the file.
 */
#ifndef RC_COMPLETENESS_H
#define RC_COMPLETENESS_H

#include <stddef.h>
#include <stdint.h>

struct rc_cpu_read {
	int cpu;
	/* what the file says */
	uint64_t bytes;			/* data bytes of this CPU */
	int64_t entries;		/* stats "entries:", -1 if not recorded */
	/* what was read */
	uint64_t pages_loaded;		/* pages the library loaded */
	uint64_t pages_damaged;		/* of which cut by the page guard */
	uint64_t records_in_pages;	/* records in the readable part of those */
	uint64_t records_read;		/* records handed to the analyzer */
	/* rc_completeness_judge() fills these */
	uint64_t pages_expected;
	uint64_t pages_unread;
	uint64_t records_missing;	/* known lower bound */
	int incomplete;
};

/*
 * Judge each of the n CPUs (page_size: bytes of a sub-buffer). A CPU is
 * incomplete if fewer pages were loaded than its data size holds, a page
 * was damaged, fewer records were handed over than its loaded pages hold,
 * or fewer than the stats' entries. Returns the number of incomplete CPUs.
 */
int rc_completeness_judge(struct rc_cpu_read *c, int n, unsigned int page_size);

/* "CPU 1: 12 of 40 pages read, 2 damaged, >= 1234 records missing" */
void rc_completeness_line(const struct rc_cpu_read *c, char *buf, size_t len);

#endif
