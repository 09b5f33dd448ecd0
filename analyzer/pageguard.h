/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring-buffer page guard. libtraceevent's kbuffer trusts the commit word of
 * every sub-buffer (page) it loads: a commit larger than the page, a stored
 * lost-event count past it, or an event whose length runs past the commit
 * make it read beyond the page (a crash on a corrupt trace.dat, issue 10),
 * and a negative event length can make it loop. libtracecmd loads every
 * page through kbuffer_load_subbuffer(); this file defines that symbol, so
 * that the dynamic linker binds libtracecmd's calls (and our own) here
 * first. Each page is checked against the sub-buffer format of the input;
 * a valid page goes to the real function untouched, a damaged one as a
 * copy cut after its last whole event and marked as having lost events
 * (count unknown), so that reading goes on, nothing is read out of bounds
 * and the loss is reported. Counters per kbuffer (that is, per CPU) feed
 * the completeness check (completeness.h).
 */
#ifndef RC_PAGEGUARD_H
#define RC_PAGEGUARD_H

#include <stddef.h>
#include <stdint.h>

/* Format of the sub-buffers of one input. */
struct rc_page_fmt {
	unsigned int page_size;	/* sub-buffer bytes (header included) */
	int long_size;		/* 4 or 8: size of the commit word */
	int big_endian;
};

/* What one page holds. */
struct rc_page_check {
	unsigned int commit;	/* data bytes the header claims */
	unsigned int valid;	/* bytes of whole events inside the page */
	unsigned int records;	/* data records in the valid part */
	long long missed;	/* lost before this page: 0, count, -1 unknown */
	int damaged;		/* header or an event out of bounds */
};

/*
 * Check page (at least fmt->page_size bytes readable) without reading out
 * of it. Returns 0 if it is whole, -1 if damaged (out->valid tells how
 * much of it can be read).
 */
int rc_page_check(const void *page, const struct rc_page_fmt *fmt,
		  struct rc_page_check *out);

/*
 * Parse the initial header of a trace.dat (magic, version, endianness,
 * long size, page size) from its first n bytes. Returns 0 and fills fmt,
 * -1 if it is not sane (page size not a power of two in [1 KiB, 4 MiB],
 * long size not 4 or 8).
 */
int rc_page_fmt_from_dat(const unsigned char *buf, size_t n, struct rc_page_fmt *fmt);

/* Per-kbuffer counters (one kbuffer per CPU in libtracecmd and live). */
struct rc_page_stats {
	uint64_t loads;		/* pages loaded */
	uint64_t damaged;	/* of which damaged (cut and marked) */
	uint64_t records;	/* data records in the readable part of the pages */
	uint64_t bytes_cut;	/* claimed bytes not readable in damaged pages */
};

/*
 * Start guarding pages of format fmt (NULL: stop guarding, pages pass
 * untouched). Resets the counters and frees the copies of an earlier input.
 */
void rc_pageguard_begin(const struct rc_page_fmt *fmt);
/* Free the copies of damaged pages; the counters stay readable. */
void rc_pageguard_end(void);
/*
 * Forget kbuf (its owner freed it): its copies are freed, its counters
 * dropped, so that a new kbuffer at the same address starts from zero.
 */
void rc_pageguard_forget(const void *kbuf);
/*
 * The first event of the page kbuf loaded last: its data and its raw time
 * stamp (as kbuffer_read_event() gives them right after the load, before
 * any conversion by the reader). -1 if kbuf loaded no page with an event
 * while guarded.
 */
int rc_pageguard_first(const void *kbuf, const void **data, unsigned long long *ts);
/* Counters of kbuf's pages so far (zeros if it loaded none). */
void rc_pageguard_stats(const void *kbuf, struct rc_page_stats *st);

#endif
