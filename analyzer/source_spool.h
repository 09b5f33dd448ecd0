/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The spool: the decoded events of a live run, kept in an unlinked
 * temporary file so that the clock check (clock_check.h) can read them
 * again with a CPU's clock shifted, as it reads a trace.dat again. Live
 * mode reads the ring buffer once; without this it could not test a
 * violation against a skewed clock (docs/invariants.md, "Clock").
 *
 * Events are kept in stream order (each CPU's in its program order) as
 * struct rc_event, nothing else: a pass needs no symbol and no task name.
 * The file lives in $TMPDIR (else /tmp) and is gone when the spool is
 * freed or the process ends. It holds at most max_bytes; past that, or
 * after a write error, it keeps nothing more and says why (the events
 * already read are still analysed; only the clock check cannot be run).
 */
#ifndef RC_SOURCE_SPOOL_H
#define RC_SOURCE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "source.h"

/* The default bound (KVM_ROOTCHECK_SPOOL_MB), in MB. */
#define RC_SPOOL_DEFAULT_MB 1024

struct rc_spool;

/*
 * A spool of at most max_bytes (0: off), and if cap_free, at most a
 * quarter of the space free in its directory at the start (a tmpfs /tmp
 * is memory). One that is off or whose file cannot be created keeps
 * nothing and says why. NULL: out of memory.
 */
struct rc_spool *rc_spool_new(uint64_t max_bytes, bool cap_free);

/* Keep ev. Never fails: a spool that cannot keep it stops keeping. */
void rc_spool_put(struct rc_spool *sp, const struct rc_event *ev);

/* Every event put was kept (and flushed): passes can be run over it. */
bool rc_spool_whole(struct rc_spool *sp);

/* Why not whole ("" if whole): one line, for the report. */
const char *rc_spool_why(const struct rc_spool *sp);

/* Events put, bytes kept, and the most it keeps. */
uint64_t rc_spool_events(const struct rc_spool *sp);
uint64_t rc_spool_bytes(const struct rc_spool *sp);
uint64_t rc_spool_limit(const struct rc_spool *sp);

/*
 * A source that streams the spool's events again, in the order they were
 * put, its trace info a copy of *like (the live run's: kernel, clock,
 * CPUs). It may be shifted (rc_source_shift_clocks()) like a trace.dat.
 * One source at a time; the spool must outlive it. NULL with err set if
 * the spool is not whole.
 */
struct rc_source *rc_source_open_spool(struct rc_spool *sp,
				       const struct rc_trace_info *like,
				       char *err, size_t errlen);

void rc_spool_free(struct rc_spool *sp);

#endif
