/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private header of the input layer, shared by the trace.dat source
 * (source_tracecmd.c), the live tracefs source (source_live.c) and their
 * parts:
 *
 *  - the decoder (decode.h, decode.c);
 *  - the emitter (emit.c): numbers events, turns missed-events marks into
 *    RC_EV_LOST events, keeps the counters of struct rc_trace_info;
 *  - the ring-buffer statistics parser (cpustats.c);
 *  - the reorder buffer of the live source (reorder.c);
 *  - struct rc_source itself, with the per-kind operations that
 *    source_common.c dispatches to, the error helper and the clock table;
 *  - the test seam of the live source.
 *
 * Not part of the analyzer's public interface (that is source.h).
 */
#ifndef RC_SOURCE_LOCAL_H
#define RC_SOURCE_LOCAL_H

#include <stddef.h>
#include <stdint.h>
#include <event-parse.h>
#include "decode.h"
#include "event.h"
#include "source.h"

/*
 * The emitter. rc_emit_record() is called for every record in stream order:
 * it counts it (records_read); if the record carries a missed-events mark
 * (rec->missed_events > 0: that many, < 0: an unknown number) it first hands
 * an RC_EV_LOST for rec->cpu to the sink and adds to lost_events or sets
 * lost_unknown; then it hands the decoded event, if any, to the sink
 * (events_read counts these, not the LOST events). A record of ours that is
 * too short to decode is reported as RC_EV_LOST with lost = -1: an event
 * the analyzer cannot read is an event it lost. seq numbers every event
 * handed to the sink, LOST included, from 0. LOST events carry pid -1.
 * Returns non-zero once the sink asked to stop (then em->stopped is set).
 */
#define RC_MAX_CPUS 4096

struct rc_emitter {
	const struct rc_decoder *dec;
	struct rc_trace_info *info;
	rc_sink_fn sink;
	void *arg;
	uint64_t seq;
	int stopped;
	uint64_t last_ts;			/* of the last record */
	uint64_t missed_seen[RC_MAX_CPUS / 64];	/* CPUs with a missed-events mark */
};

int rc_emit_record(struct rc_emitter *em, struct tep_record *rec);

/*
 * Hand an RC_EV_LOST for cpu at ts to the sink (lost: count, or -1 if
 * unknown) and count it in info. Returns non-zero once the sink asked to
 * stop.
 */
int rc_emit_lost(struct rc_emitter *em, int cpu, uint64_t ts, long long lost);

/* Whether a missed-events mark was seen on cpu. */
int rc_emitter_missed_seen(const struct rc_emitter *em, int cpu);

/*
 * Ring-buffer statistics (the kernel's per_cpu/cpuN/stats; trace-cmd
 * stores them in the CPUSTAT option, each CPU's preceded by "CPU: N").
 * Events counted as overrun are reported by the kernel as missed-events
 * marks on the pages that follow; "commit overrun" and "dropped events"
 * (non-overwrite mode) are lost without any mark.
 */
struct rc_cpu_drops {
	unsigned long long overrun;
	unsigned long long commit_overrun;
	unsigned long long dropped;
};

/*
 * Add the counters of text to drops[0..n-1]. Lines before any "CPU: N"
 * line belong to CPU cpu (-1: ignore them). Returns the number of
 * counters found.
 */
int rc_parse_cpustats(const char *text, struct rc_cpu_drops *drops, int n, int cpu);

/*
 * At the end of a stream: report, as RC_EV_LOST with an unknown count at
 * the last timestamp, every CPU whose statistics show events lost without
 * a mark in the stream: commit overruns or drops, or overruns while no
 * missed-events mark was seen on that CPU. The position of such losses is
 * unknown: they make the trace inconclusive at best.
 */
int rc_emit_unmarked_drops(struct rc_emitter *em, const struct rc_cpu_drops *drops, int n);

/*
 * Reorder buffer for the live source. Each poll there merges what its
 * reader thread has read on every CPU at that moment, but an event still
 * in one CPU's buffer then comes out in a later poll, after later events
 * of other CPUs. The buffer holds events back and releases them in
 * (ts, arrival) order once it is safe: once every CPU has delivered an
 * event at least as late, or once the stream has advanced `holdback` clock
 * units past them (idle CPUs). It renumbers seq in release order. Memory:
 * at most `cap` events (beyond that the oldest is released early).
 */
struct rc_reorder;

struct rc_reorder *rc_reorder_new(rc_sink_fn sink, void *arg, int ncpus,
				  uint64_t holdback, size_t cap);
/* An rc_sink_fn: buffers ev (arg is the rc_reorder). Non-zero once the
 * real sink asked to stop. */
int rc_reorder_push(const struct rc_event *ev, void *arg);
/* Hand over what is safe (all: everything). Non-zero once the sink stopped. */
int rc_reorder_release(struct rc_reorder *r, int all);
void rc_reorder_free(struct rc_reorder *r);

/* Fill info->clock and info->clock_reliable from a trace clock name. */
void rc_set_clock(struct rc_trace_info *info, const char *clock);

/* struct rc_source: common part, and the operations of each kind. */
struct rc_source;

struct rc_source_ops {
	int (*run)(struct rc_source *src, rc_sink_fn sink, void *arg,
		   char *err, size_t errlen);
	void (*close)(struct rc_source *src);
};

struct rc_source {
	const struct rc_source_ops *ops;
	struct rc_trace_info info;
	struct tep_handle *tep;		/* symbols and comms; owned by the kind */
	struct rc_decoder *dec;
	int cmd_status;			/* live: exit status of the command, -1 if none */
	int cmd_signal;			/* live: the signal that killed it, 0 if none */
	int ran;			/* rc_source_run() was called */
	int live;			/* a live source (no clock shift) */
	uint64_t *shift;		/* rc_source_shift_clocks(), per CPU */
	int nshift;
	void *priv;			/* per-kind state */
};

/*
 * Test seam of the live source (source_live.c): stream, exactly as
 * rc_source_open_live() does, from n descriptors that deliver per-CPU raw
 * ring-buffer sub-buffers of subbuf_size bytes (the trace_pipe_raw format;
 * cpus[i] is the CPU of fds[i]) instead of a tracefs instance. Takes the
 * fds (closed by rc_source_close()), not tep (the caller frees it after).
 */
struct rc_source *rc_live_open_fds(struct tep_handle *tep, const int *fds,
				   const int *cpus, int n, int subbuf_size,
				   char *const *argv, char *err, size_t errlen);

/*
 * The next event of the page loaded in kb as a record of cpu (data points
 * into the page), and step past it. 0 when the page is done.
 */
struct kbuffer;
int rc_kbuf_take(struct kbuffer *kb, int cpu, struct tep_record *rec);

/* Fill info.missing_events and info.missing_names from src->dec. */
void rc_source_note_missing(struct rc_source *src);

/* printf into err (if any), truncating. Returns NULL for convenience. */

void *rc_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
